"""Hostile submissions for the grader's tests (see ``build.py``)."""

"""Grading exercise notebooks without trusting them.

The learner's answer cells run in a separate, limited worker process (``worker.py``) inside a
bubblewrap sandbox (``sandbox.py``, ``process.py``); the grader sends inputs, receives plain data
(``wire.py``: JSON with base64 arrays, never pickle) and compares in its own process with the
package's reference implementations (``runner.py``). ``gradebook.py`` and ``reports.py`` write the
output folder; ``selftest.py`` attacks the grader with ``attacks.py``; ``autograder.py`` builds
Gradescope's autograder.
"""

"""Helpers used by one chapter only, each module named after its notebook's stem (``chNN_stem``).

Library code used by several chapters lives in the concept packages (``scratch``, ``optim``,
``models``, ``data``, ...); a module here may import those, never the other way round.
"""

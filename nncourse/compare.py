"""Compare a learner's result with the reference's and say, in one line, what differs and where."""

from __future__ import annotations

from typing import Any

import numpy as np


def compare(expected: Any, got: Any, *, rtol: float = 1e-6, atol: float = 1e-8, what: str = "result") -> str | None:
    """``None`` when ``got`` matches ``expected``, else a message saying what differs and where.

    Arrays: type, shape, then the first element outside ``atol + rtol * |expected|``. Tuples and
    lists: length, then element by element; dicts: keys, then value by value. Numbers: within tolerance; bools and ints exactly.
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{what} should be a dict with keys {sorted(expected)}, got {_kind(got)}"
        if set(got) != set(expected):
            return f"{what} should have keys {sorted(expected)}, got {sorted(got, key=str)}"
        for key in expected:
            msg = compare(expected[key], got[key], rtol=rtol, atol=atol, what=f"{what}[{key!r}]")
            if msg:
                return msg
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{what} should be a {type(expected).__name__} of {len(expected)} items, got {_kind(got)}"
        if len(got) != len(expected):
            return f"{what} should have {len(expected)} items, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            msg = compare(e, g, rtol=rtol, atol=atol, what=f"{what}[{i}]")
            if msg:
                return msg
        return None
    if hasattr(got, "detach") and hasattr(got, "numpy"):  # a torch tensor is fine where an array is asked for
        got = got.detach().cpu().numpy()
    if isinstance(got, np.ndarray) and got.ndim == 0 and not isinstance(expected, np.ndarray):
        got = got[()]  # a 0-d array where a number is expected is that number
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            if expected.ndim == 0 and isinstance(got, (int, float, np.generic)):  # a number is not a 0-d array
                return f"{what} should be a 0-d numpy array (shape ()), got a number, {_kind(got)}: np.asarray turns a number into one"
            return f"{what} should be a numpy array of shape {expected.shape}, got {_kind(got)}"
        if got.shape != expected.shape:
            return f"{what}: expected shape {expected.shape}, got {got.shape}"
        if got.dtype.kind not in "biuf" or (
            expected.dtype.kind in "biu" and got.dtype.kind == "f" and not np.all(np.mod(got, 1) == 0)
        ):
            return f"{what}: expected dtype {expected.dtype}, got {got.dtype}"
        e64, g64 = expected.astype(np.float64), got.astype(np.float64)
        if np.isnan(g64).any() and not np.isnan(e64).any():
            idx = tuple(int(i) for i in np.argwhere(np.isnan(g64))[0])
            return f"{what} contains NaN, first at index {idx}"
        bad = ~np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            where = f" at index {idx}" if idx else ""
            e_text, g_text = _pair(e64[idx], g64[idx])
            if not idx:  # a 0-d array
                return f"{what}: expected {e_text}, got {g_text}"
            return f"{what} differs{where}: expected {e_text}, got {g_text} ({int(bad.sum())} of {bad.size} entries differ)"
        return None
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"{what} should be True or False, got {_kind(got)}"
        return None if bool(got) == bool(expected) else f"{what}: expected {bool(expected)}, got {bool(got)}"
    if isinstance(expected, (int, np.integer)):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            return f"{what} should be an int, got {_kind(got)}"
        return None if int(got) == int(expected) else f"{what}: expected {int(expected)}, got {int(got)}"
    if isinstance(expected, (float, np.floating)):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return f"{what} should be a number, got {_kind(got)}"
        if np.isclose(float(got), float(expected), rtol=rtol, atol=atol):
            return None
        e_text, g_text = _pair(expected, got)
        return f"{what}: expected {e_text}, got {g_text}"
    return None if got == expected else f"{what}: expected {expected!r}, got {got!r}"


def _kind(value: Any) -> str:
    """How a value is named in messages: never "float64 of shape ()" for a plain number."""
    if isinstance(value, np.generic):
        return f"numpy {type(value).__name__} {value.item()!r:.60}"
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} (dtype {value.dtype})"
    shape = getattr(value, "shape", None)
    return (
        f"{type(value).__name__} of shape {tuple(shape)}"
        if shape is not None
        else f"{type(value).__name__} {value!r:.60}"
    )


def _pair(expected: Any, got: Any) -> tuple[str, str]:
    """Both numbers with 6 significant digits, or with more (up to 17) until they read differently."""
    e, g = float(expected), float(got)
    for digits in (6, 8, 10, 12, 17):
        e_text, g_text = f"{e:.{digits}g}", f"{g:.{digits}g}"
        if e_text != g_text:
            break
    return e_text, g_text

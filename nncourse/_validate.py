"""Input validation shared by every public function: clear errors that name the expected shape.

A learner who passes ``X`` with shape ``(3, 32)`` where ``(32, 3)`` was meant should read exactly that
in the error, not a numpy broadcasting message three frames deeper.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Dim = int | str | None
"""One entry of an expected shape: an exact size, a name that must agree across arrays, or any size."""


def _fmt(shape: Sequence[Dim]) -> str:
    parts = ["*" if d is None else str(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_array(
    name: str,
    value: Any,
    shape: Sequence[Dim] | None = None,
    *,
    dims: dict[str, int] | None = None,
    dtype_kind: str | None = None,
    finite: bool = False,
) -> dict[str, int]:
    """Check that ``value`` is an array of the expected shape; raise ``ValueError`` naming it otherwise.

    Args:
        name: the argument's name as the caller knows it, e.g. ``"X"``.
        value: a numpy array or a torch tensor (anything with ``.shape``; lists are converted).
        shape: expected shape; each entry an int (exact), a str (a named size, e.g. ``"N"``, that must
            agree with earlier arrays through ``dims``) or ``None`` (any size).
        dims: named sizes seen so far; updated in place and returned so several arrays can share them.
        dtype_kind: numpy dtype kinds allowed, e.g. ``"f"`` for floats or ``"iub"`` for integers/bools.
        finite: also reject NaN and infinity.

    Returns:
        The ``dims`` mapping, extended with the named sizes found in ``value``.
    """
    dims = {} if dims is None else dims
    if not hasattr(value, "shape"):
        try:
            value = np.asarray(value)
        except Exception as exc:  # anything unconvertible is a type error for the user
            raise TypeError(f"{name} must be an array, got {type(value).__name__}") from exc
    got = tuple(int(d) for d in value.shape)
    if shape is not None:
        expected = _fmt(shape)
        named = ", ".join(f"{k}={v}" for k, v in dims.items())
        hint = f" (with {named})" if named else ""
        if len(got) != len(shape):
            raise ValueError(f"{name} must have shape {expected}{hint}, got shape {got}")
        for want, have in zip(shape, got, strict=True):
            if want is None:
                continue
            if isinstance(want, str):
                if want in dims and dims[want] != have:
                    raise ValueError(
                        f"{name} must have shape {expected}{hint}, got shape {got} ({want}={have} vs {dims[want]})"
                    )
                dims[want] = have
            elif want != have:
                raise ValueError(f"{name} must have shape {expected}{hint}, got shape {got}")
    if dtype_kind is not None:
        kind = np.dtype(str(value.dtype).replace("torch.", "")).kind if hasattr(value, "dtype") else "O"
        if kind not in dtype_kind:
            raise ValueError(f"{name} must have a {_kind_words(dtype_kind)} dtype, got {value.dtype}")
    if finite:
        arr = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity")
    return dims


def _kind_words(kinds: str) -> str:
    words = {"f": "float", "i": "signed integer", "u": "unsigned integer", "b": "bool", "c": "complex"}
    return " or ".join(words.get(k, k) for k in kinds)


# --- optim / autograd / data
# Scalar arguments: each check returns the value converted (float, int, bool) or raises an error
# that names the argument and what was expected.


def check_hyper(name: str, value: Any, *, low: float = 0.0, high: float | None = None, high_open: bool = True) -> float:
    """``value`` as a finite float with ``low <= value`` (and ``< high``, or ``<= high`` when not
    ``high_open``); ``TypeError`` for a non-number (strings and bools included), ``ValueError`` when
    out of range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not np.isfinite(number) or number < low:
        raise ValueError(f"{name} must be a finite number >= {low}, got {value!r}")
    if high is not None and (number >= high if high_open else number > high):
        bound = f"< {high}" if high_open else f"<= {high}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return number


def check_int(name: str, value: Any, *, low: int = 1) -> int:
    """``value`` as an int ``>= low`` (numpy integers accepted; bools and floats are a ``TypeError``)."""
    words = "a positive integer" if low == 1 else f"an int >= {low}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be {words}, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be {words}, got {value!r}")
    return int(value)


def check_betas(name: str, betas: Any) -> tuple[float, float]:
    """A pair ``(beta1, beta2)``, each a float in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2), each in [0, 1), got {betas!r}")
    return (check_hyper(f"{name}[0]", betas[0], high=1.0), check_hyper(f"{name}[1]", betas[1], high=1.0))


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    if not any(value is c or (type(value) is type(c) and value == c) for c in choices):
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is a bool (``True``/``False``, numpy bools included), else ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


# --- scratch layers


def make_rng(rng: np.random.Generator | int) -> np.random.Generator:
    """Turn an explicit seed (``int``) or an existing ``np.random.Generator`` into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def check_float_dtype(dtype: Any) -> np.dtype:
    """Return ``np.dtype(dtype)``, or raise ``ValueError`` if it is not a floating-point dtype."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating-point dtype (e.g. np.float64), got {dt}")
    return dt


def check_int_tuple(name: str, value: Any, n: int, *, minimum: int = 1) -> tuple[int, ...]:
    """``value`` as a tuple of ``n`` ints, each ``>= minimum``; an int is repeated ``n`` times.

    For torch-style size arguments (``kernel_size=3`` or ``(3, 5)``, ``stride``, ``padding``, ...).
    Raises ``ValueError`` naming the argument otherwise.
    """
    items = (value,) * n if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if (
        not isinstance(items, (tuple, list))
        or len(items) != n
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in items)
    ):
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in items)

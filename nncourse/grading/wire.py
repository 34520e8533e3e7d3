"""Plain-data messages between the grader and a worker: JSON, arrays as base64 bytes. Never pickle.

This module imports nothing from ``nncourse``: the worker loads it by file path before the
learner's code runs. ``decode`` trusts nothing it reads: every array's dtype, shape and size is
checked, and anything else is refused with ``WireError``.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

ALLOWED_DTYPES = {
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
}
MAX_ITEMS = 10_000_000
MAX_DEPTH = 20


class WireError(ValueError):
    """A value that cannot cross the wire (or a message that is not a valid one)."""


def encode(value: Any, depth: int = 0) -> Any:
    """Turn a learner's result into JSON-ready plain data; refuse anything that is not plain data."""
    if depth > MAX_DEPTH:
        raise WireError("result is nested too deeply")
    if value is None or type(value) in (bool, int, str):
        if type(value) is int and abs(value) > 2**63:
            raise WireError("integer too large")
        if type(value) is str and len(value) > 10_000:
            raise WireError("string too long")
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic):  # numpy scalars: keep int/float/bool, as the Python type
        if value.dtype.name not in ALLOWED_DTYPES:
            raise WireError(f"numpy scalar of dtype {value.dtype} is not plain data")
        return encode(value.item(), depth + 1)
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True, subok=False)  # a plain ndarray, whatever subclass came in
        if array.dtype.name not in ALLOWED_DTYPES:
            raise WireError(f"array of dtype {array.dtype} is not plain data; use a numeric dtype")
        if array.size > MAX_ITEMS:
            raise WireError(f"array too large ({array.size} items)")
        array = np.ascontiguousarray(array).reshape(array.shape)  # ascontiguousarray turns 0-d into 1-d
        return {
            "__ndarray__": base64.b64encode(array.tobytes()).decode("ascii"),
            "dtype": array.dtype.name,
            "shape": list(array.shape),
        }
    if type(value) in (list, tuple):
        items = [encode(v, depth + 1) for v in value]
        return items if type(value) is list else {"__tuple__": items}
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise WireError("dict keys must be strings")
        return {"__dict__": {k: encode(v, depth + 1) for k, v in value.items()}}
    raise WireError(f"a value of type {type(value).__name__} is not plain data (numbers, arrays, tuples, lists, dicts)")


def decode(data: Any, depth: int = 0) -> Any:
    """Rebuild a value from ``encode``'s output, validating everything."""
    if depth > MAX_DEPTH:
        raise WireError("message nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, depth + 1) for v in data]
    if type(data) is dict:
        if set(data) == {"__float__"} and data["__float__"] in ("nan", "inf", "-inf"):
            return float(data["__float__"])
        if set(data) == {"__tuple__"} and type(data["__tuple__"]) is list:
            return tuple(decode(v, depth + 1) for v in data["__tuple__"])
        if set(data) == {"__dict__"} and type(data["__dict__"]) is dict:
            return {str(k): decode(v, depth + 1) for k, v in data["__dict__"].items()}
        if set(data) == {"__ndarray__", "dtype", "shape"}:
            return _decode_array(data)
    raise WireError(f"not a plain-data message: {str(data)[:80]}")


def _decode_array(data: dict) -> np.ndarray:
    dtype, shape, payload = data["dtype"], data["shape"], data["__ndarray__"]
    if dtype not in ALLOWED_DTYPES or type(shape) is not list or not all(type(d) is int and 0 <= d for d in shape):
        raise WireError("bad array header")
    count = math.prod(shape)
    if count > MAX_ITEMS or type(payload) is not str:
        raise WireError("array too large")
    raw = base64.b64decode(payload.encode("ascii"), validate=True)
    if len(raw) != count * np.dtype(dtype).itemsize:
        raise WireError("array size does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def dumps(message: dict) -> bytes:
    """One message as a line of JSON (NaN never appears: non-finite floats are encoded)."""
    return json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8") + b"\n"


def loads(line: bytes) -> dict:
    message = json.loads(
        line.decode("utf-8"), parse_constant=lambda c: (_ for _ in ()).throw(WireError(f"bad constant {c}"))
    )
    if type(message) is not dict:
        raise WireError("a message must be a JSON object")
    return message

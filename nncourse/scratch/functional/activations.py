"""Kernels of the activations: ``relu``, ``sigmoid``, ``tanh``, ``gelu``, ``softmax``, ``log_softmax``.

Every pair has the form ``out, cache = name_forward(x, **settings)`` and
``dx = name_backward(dout, cache)``; ``x``, ``out``, ``dout`` and ``dx`` share one shape and dtype.
The cache holds arrays computed here (the local derivative, a mask, a copy of the output): it never
aliases ``x`` or ``out``, so changing either in place after forward leaves backward correct.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_COEF = 0.044715

Kernel = tuple[np.ndarray, dict[str, Any]]


def _axis(dim: Any, x: np.ndarray) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__} {dim!r}")
    if not -x.ndim <= dim < max(x.ndim, 1):
        raise ValueError(f"dim={dim} is out of range for x of shape {x.shape} ({x.ndim} dims)")
    return int(dim) % max(x.ndim, 1)


def relu_forward(x: np.ndarray) -> Kernel:
    """out = max(x, 0); NaN stays NaN. Cache: where the gradient passes (x > 0, or x is NaN)."""
    # torch's backward zeroes the gradient where out <= 0; a NaN input is not <= 0, so dout passes
    return np.maximum(x, 0), {"keep": np.logical_not(np.less_equal(x, 0))}


def relu_backward(dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """dx = dout where x > 0 (or x is NaN), else 0 (also at exactly x = 0, as torch).

    A multiplication by the 0/1 mask (masked writes are ten times slower on random masks): an
    infinite or NaN ``dout`` at a blocked entry gives NaN there, where torch gives 0.
    """
    return dout * cache["keep"]


def sigmoid_forward(x: np.ndarray) -> Kernel:
    """out = 1 / (1 + exp(-x)); exp may overflow to inf for x < -710, which gives the right limit 0."""
    s = np.asarray(np.negative(x))  # asarray: a 0-d input gives a numpy scalar
    with np.errstate(over="ignore"):
        np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)
    return s, {"local": s * (1 - s)}  # d sigmoid / dx = s (1 - s)


def tanh_forward(x: np.ndarray) -> Kernel:
    """out = tanh(x); local derivative 1 - tanh(x)^2."""
    t = np.tanh(x)
    local = np.asarray(t * t)
    np.subtract(1, local, out=local)
    return t, {"local": local}


def gelu_forward(x: np.ndarray, *, approximate: str = "none") -> Kernel:
    """GELU. ``"none"``: x * Phi(x), Phi the standard normal CDF (exact, via scipy's ``ndtr``).

    ``"tanh"``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Both as ``torch.nn.GELU``.
    """
    if approximate == "none":
        from scipy.special import ndtr  # imported here: keeps ``import nncourse`` light

        cdf = ndtr(x).astype(x.dtype, copy=False)  # Phi(x)
        pdf = np.asarray(np.multiply(x, x))
        pdf *= -0.5
        np.exp(pdf, out=pdf)
        pdf *= _INV_SQRT_2PI  # phi(x) = Phi'(x)
        out = x * cdf
        pdf *= x
        pdf += cdf  # d/dx [x Phi(x)] = Phi(x) + x phi(x)
        return out, {"local": pdf}
    if approximate == "tanh":
        x2 = x * x
        u = np.asarray(x2 * _GELU_TANH_COEF)
        u += 1
        u *= x
        u *= _SQRT_2_OVER_PI  # u = sqrt(2/pi) (x + 0.044715 x^3)
        t = np.tanh(u, out=u)
        half = 0.5 * (1 + t)
        out = x * half
        # d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        du = np.asarray(x2 * (3 * _GELU_TANH_COEF))
        du += 1
        du *= (0.5 * _SQRT_2_OVER_PI) * x
        du *= 1 - t * t
        du += half
        return out, {"local": du}
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def local_backward(dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """Backward of every element-wise kernel that saved its derivative: dx = dout * f'(x)."""
    return dout * cache["local"]


sigmoid_backward = local_backward
tanh_backward = local_backward
gelu_backward = local_backward


def softmax_forward(x: np.ndarray, *, dim: int = -1) -> Kernel:
    """out = exp(x) / sum(exp(x)) along ``dim``, shifted by the maximum so nothing overflows."""
    axis = _axis(dim, x)
    e = x - x.max(axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e, {"out": e.copy(), "axis": axis}


def softmax_backward(dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """dy_i/dx_j = y_i (delta_ij - y_j), so dx = y * (dout - sum(dout * y)) along the axis."""
    y, axis = cache["out"], cache["axis"]
    dx = np.asarray(dout * y)
    total = dx.sum(axis=axis, keepdims=True)
    np.subtract(dout, total, out=dx)  # reuse the buffer: dx = (dout - sum(dout * y)) * y
    dx *= y
    return dx


def log_softmax_forward(x: np.ndarray, *, dim: int = -1) -> Kernel:
    """out = x - logsumexp(x) along ``dim``, computed stably. Cache: softmax(x)."""
    axis = _axis(dim, x)
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=axis, keepdims=True)
    e /= total
    shifted -= np.log(total)
    return shifted, {"softmax": e, "axis": axis}


def log_softmax_backward(dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """dy_i/dx_j = delta_ij - softmax_j, so dx = dout - softmax * sum(dout) along the axis."""
    p, axis = cache["softmax"], cache["axis"]
    dx = np.asarray(p * -dout.sum(axis=axis, keepdims=True))
    dx += dout
    return dx

"""Activation functions: ``ReLU``, ``Sigmoid``, ``Tanh``, ``GELU``, ``Softmax``, ``LogSoftmax``.

Each one works on an input of any shape and returns an output of the same shape and dtype. None has
parameters. The local derivative is written next to the forward formula it belongs to.
"""
from __future__ import annotations

import math

import numpy as np

from nncourse.scratch.base import Cache, Layer

# numpy has no erf; math.erf is exact to double precision, applied element by element.
_erf = np.frompyfunc(math.erf, 1, 1)
_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_COEF = 0.044715


class ReLU(Layer):
    """out = max(x, 0), element-wise. x: any shape."""

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        x = self._input(x)
        out = np.maximum(x, 0)
        return out, Cache(self, out.shape, positive=x > 0)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        # d relu/dx = 1 where x > 0, else 0 (torch also uses 0 at exactly x = 0)
        return np.where(cache["positive"], dout, 0).astype(dout.dtype, copy=False)


class Sigmoid(Layer):
    """out = 1 / (1 + exp(-x)), element-wise, computed without overflow. x: any shape."""

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        x = self._input(x)
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        # x >= 0: 1 / (1 + e^-x);  x < 0: e^x / (1 + e^x). Both use e = e^-|x|.
        out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        return out, Cache(self, out.shape, out=out)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        s = cache["out"]
        # d sigmoid/dx = sigmoid * (1 - sigmoid)
        return dout * s * (1 - s)


class Tanh(Layer):
    """out = tanh(x), element-wise. x: any shape."""

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        x = self._input(x)
        out = np.tanh(x)
        return out, Cache(self, out.shape, out=out)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        t = cache["out"]
        # d tanh/dx = 1 - tanh^2
        return dout * (1 - t * t)


class GELU(Layer):
    """Gaussian Error Linear Unit, element-wise. x: any shape.

    ``approximate="none"``: out = x * Phi(x), Phi the standard normal CDF (exact, via erf).
    ``approximate="tanh"``: out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        x = self._input(x)
        x64 = x.astype(np.float64, copy=False)
        if self.approximate == "none":
            cdf = 0.5 * (1.0 + np.asarray(_erf(x64 / _SQRT_2), dtype=np.float64))  # Phi(x); asarray: 0-d gives a float
            pdf = _INV_SQRT_2PI * np.exp(-0.5 * x64 * x64)  # phi(x) = Phi'(x)
            out = x64 * cdf
            # d/dx [x Phi(x)] = Phi(x) + x phi(x)
            local = cdf + x64 * pdf
        else:
            u = _SQRT_2_OVER_PI * (x64 + _GELU_TANH_COEF * x64**3)
            t = np.tanh(u)
            out = 0.5 * x64 * (1.0 + t)
            # d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) du/dx,  du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
            du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_COEF * x64 * x64)
            local = 0.5 * (1.0 + t) + 0.5 * x64 * (1.0 - t * t) * du
        out = out.astype(x.dtype, copy=False)
        return out, Cache(self, out.shape, local=local.astype(x.dtype, copy=False))

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        return dout * cache["local"]  # chain rule with the derivative saved in forward

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


def _check_dim(dim: object) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise ValueError(f"dim must be an int, got {dim!r}")
    return int(dim)


def _axis(dim: int, x: np.ndarray) -> int:
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"dim={dim} is out of range for x of shape {x.shape} ({x.ndim} dims)")
    return dim % x.ndim


class _AlongDim(Layer):
    """Base of the normalisations along one axis: holds ``dim`` and shifts inputs for stability."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = _check_dim(dim)

    def _shifted(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """``x`` minus its max along ``dim`` (the largest entry becomes 0: exp cannot overflow), and the axis."""
        axis = _axis(self.dim, x)
        return x - x.max(axis=axis, keepdims=True), axis

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """out = exp(x) / sum(exp(x)) along ``dim``. x: any shape with at least one dim; out: same shape."""

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        shifted, axis = self._shifted(self._input(x))
        e = np.exp(shifted)
        out = e / e.sum(axis=axis, keepdims=True)
        return out, Cache(self, out.shape, out=out, axis=axis)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        y, axis = cache["out"], cache["axis"]
        # d y_i / d x_j = y_i (delta_ij - y_j), so dx_j = y_j (dout_j - sum_i dout_i y_i)
        return y * (dout - (dout * y).sum(axis=axis, keepdims=True))


class LogSoftmax(_AlongDim):
    """out = x - log(sum(exp(x))) along ``dim``, computed stably. x: any shape; out: same shape."""

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        shifted, axis = self._shifted(self._input(x))
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return out, Cache(self, out.shape, out=out, axis=axis)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        y, axis = cache["out"], cache["axis"]
        # d y_i / d x_j = delta_ij - softmax_j, so dx_j = dout_j - softmax_j * sum_i dout_i
        return dout - np.exp(y) * dout.sum(axis=axis, keepdims=True)

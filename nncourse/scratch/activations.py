"""Activation layers: ``ReLU``, ``Sigmoid``, ``Tanh``, ``GELU``, ``Softmax``, ``LogSoftmax``.

Each takes a float input of any shape and returns an output of the same shape and dtype; none has
parameters. The formulas are the kernels of ``nncourse.scratch.functional``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from nncourse.scratch import functional as F
from nncourse.scratch.base import Cache, Layer


class _Elementwise(Layer):
    """A parameter-free layer that runs one kernel pair: ``forward(x)``, ``backward(dout, cache) -> dx``."""

    kernel_forward: ClassVar[Callable[..., Any]]
    kernel_backward: ClassVar[Callable[..., Any]]

    def _settings(self) -> dict[str, Any]:
        return {}

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """x: any float shape -> out: same shape and dtype."""
        x = self._input("x", x)
        out, saved = type(self).kernel_forward(x, **self._settings())
        return out, Cache(self, out.shape, saved)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout: shape of out -> dx: shape of x."""
        dout, cache = self._start_backward(dout, cache)
        return type(self).kernel_backward(dout, cache)


class ReLU(_Elementwise):
    """out = max(x, 0). The gradient is 0 where x <= 0 (also at x = 0) and passes at NaN, as in torch."""

    kernel_forward = F.relu_forward
    kernel_backward = F.relu_backward


class Sigmoid(_Elementwise):
    """out = 1 / (1 + exp(-x)), finite for every x."""

    kernel_forward = F.sigmoid_forward
    kernel_backward = F.sigmoid_backward


class Tanh(_Elementwise):
    """out = tanh(x)."""

    kernel_forward = F.tanh_forward
    kernel_backward = F.tanh_backward


class GELU(_Elementwise):
    """Gaussian Error Linear Unit: ``approximate="none"`` is x * Phi(x) (exact), ``"tanh"`` torch's approximation."""

    kernel_forward = F.gelu_forward
    kernel_backward = F.gelu_backward

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def _settings(self) -> dict[str, Any]:
        return {"approximate": self.approximate}

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _AlongDim(_Elementwise):
    """Base of the normalisations along one axis ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"dim must be an int, got {type(dim).__name__} {dim!r}")
        self.dim = int(dim)

    def _settings(self) -> dict[str, Any]:
        return {"dim": self.dim}

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """out = exp(x) / sum(exp(x)) along ``dim``, computed stably."""

    kernel_forward = F.softmax_forward
    kernel_backward = F.softmax_backward


class LogSoftmax(_AlongDim):
    """out = x - log(sum(exp(x))) along ``dim``, computed stably."""

    kernel_forward = F.log_softmax_forward
    kernel_backward = F.log_softmax_backward

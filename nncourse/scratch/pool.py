"""Pooling layers ``MaxPool2d`` and ``AvgPool2d`` around the kernels of ``nncourse.scratch.functional.pool``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_int_tuple
from nncourse.scratch.base import Cache, Layer
from nncourse.scratch.functional.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)

__all__ = ["AvgPool2d", "MaxPool2d"]


class _Pool2d(Layer):
    """A pooling layer: no parameters, only window settings."""

    def _forward(self, x: Any) -> tuple[np.ndarray, dict[str, Any]]:
        raise NotImplementedError

    def _backward(self, dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: Any) -> tuple[np.ndarray, Cache]:
        """x (N, C, H, W) or unbatched (C, H, W), as torch -> out (N, C, H_out, W_out) or (C, H_out, W_out)."""
        unbatched = np.ndim(x) == 3
        out, kernel_cache = self._forward(np.asarray(x)[None] if unbatched else x)
        out = out[0] if unbatched else out
        return out, Cache(self, out.shape, {"kernel": kernel_cache, "unbatched": unbatched})

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout like out -> dx like x."""
        dout, cache = self._start_backward(dout, cache)
        if cache["unbatched"]:
            return self._backward(dout[None], cache["kernel"])[0]
        return self._backward(dout, cache["kernel"])


class MaxPool2d(_Pool2d):
    """Max pooling, twin of ``torch.nn.MaxPool2d`` (``ceil_mode=False``, no indices returned)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> None:
        super().__init__()
        self.kernel_size = check_int_tuple("kernel_size", kernel_size, 2)
        self.stride = self.kernel_size if stride is None else check_int_tuple("stride", stride, 2)
        self.padding = check_int_tuple("padding", padding, 2, minimum=0)
        self.dilation = check_int_tuple("dilation", dilation, 2)

    def _forward(self, x: Any) -> tuple[np.ndarray, dict[str, Any]]:
        return max_pool2d_forward(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def _backward(self, dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
        return max_pool2d_backward(dout, cache)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"


class AvgPool2d(_Pool2d):
    """Average pooling, twin of ``torch.nn.AvgPool2d`` (``ceil_mode=False``, no ``divisor_override``)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = check_int_tuple("kernel_size", kernel_size, 2)
        self.stride = self.kernel_size if stride is None else check_int_tuple("stride", stride, 2)
        self.padding = check_int_tuple("padding", padding, 2, minimum=0)
        if not isinstance(count_include_pad, bool):
            raise TypeError(f"count_include_pad must be a bool, got {count_include_pad!r}")
        self.count_include_pad = count_include_pad

    def _forward(self, x: Any) -> tuple[np.ndarray, dict[str, Any]]:
        return avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def _backward(self, dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
        return avg_pool2d_backward(dout, cache)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

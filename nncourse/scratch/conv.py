"""Convolution layers ``Conv1d`` and ``Conv2d``: thin holders of ``weight``/``bias`` around the kernels of
``nncourse.scratch.functional.conv`` (NCHW, torch's weight layout and default initialisation)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse._validate import check_float_dtype, check_int, check_int_tuple, make_rng
from nncourse.scratch.base import Cache, Layer
from nncourse.scratch.functional.conv import conv1d_backward, conv1d_forward, conv2d_backward, conv2d_forward

__all__ = ["Conv1d", "Conv2d"]


class _ConvNd(Layer):
    """Shared constructor of ``Conv1d`` and ``Conv2d``: torch's arguments, names, shapes and init."""

    ndim = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        bias: bool = True,
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.kernel_size = check_int_tuple("kernel_size", kernel_size, self.ndim)
        self.stride = check_int_tuple("stride", stride, self.ndim)
        self.padding = check_int_tuple("padding", padding, self.ndim, minimum=0)
        self.dilation = check_int_tuple("dilation", dilation, self.ndim)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        dt, gen = check_float_dtype(dtype), make_rng(rng)
        # torch: kaiming_uniform_(a=sqrt(5)) for the weight and U(-b, b) for the bias, both b = 1/sqrt(fan_in)
        bound = 1.0 / math.sqrt(self.in_channels * math.prod(self.kernel_size))
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.add_param("weight", gen.uniform(-bound, bound, size=shape).astype(dt))
        if bias:
            self.add_param("bias", gen.uniform(-bound, bound, size=(self.out_channels,)).astype(dt))

    def _kernel_forward(self, x: Any) -> tuple[np.ndarray, dict[str, Any]]:
        raise NotImplementedError

    def _kernel_backward(self, dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, Any]:
        raise NotImplementedError

    def forward(self, x: Any) -> tuple[np.ndarray, Cache]:
        """x (N, C_in, *spatial) or unbatched (C_in, *spatial), as torch -> out (N, C_out, *spatial_out) or (C_out, ...)."""
        unbatched = np.ndim(x) == self.ndim + 1
        out, kernel_cache = self._kernel_forward(np.asarray(x)[None] if unbatched else x)
        out = out[0] if unbatched else out
        return out, Cache(self, out.shape, {"kernel": kernel_cache, "unbatched": unbatched})

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout like out -> dx like x; adds into grads['weight'] (and grads['bias'])."""
        dout, cache = self._start_backward(dout, cache)
        unbatched = cache["unbatched"]
        dx, dweight, dbias = self._kernel_backward(dout[None] if unbatched else dout, cache["kernel"])
        self._accumulate("weight", dweight)
        if "bias" in self.params:
            self._accumulate("bias", dbias)
        return dx[0] if unbatched else dx

    def extra_repr(self) -> str:
        k, s, p, d = (
            v[0] if self.ndim == 1 else v for v in (self.kernel_size, self.stride, self.padding, self.dilation)
        )
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={k}, stride={s}"
        text += f", padding={p}" if any(self.padding) else ""
        text += f", dilation={d}" if any(v != 1 for v in self.dilation) else ""
        return text + ("" if "bias" in self.params else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution layer, twin of ``torch.nn.Conv2d`` (groups=1, zero padding).

    Parameters: weight (C_out, C_in, kH, kW), bias (C_out,), both ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
    with ``fan_in = C_in * kH * kW`` (torch's default). x (N, C_in, H, W) -> out (N, C_out, H_out, W_out).
    """

    ndim = 2

    def _kernel_forward(self, x: Any) -> tuple[np.ndarray, dict[str, Any]]:
        return conv2d_forward(
            x,
            self.params["weight"],
            self.params.get("bias"),
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
        )

    def _kernel_backward(self, dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, Any]:
        return conv2d_backward(dout, cache)


class Conv1d(_ConvNd):
    """1-D convolution layer, twin of ``torch.nn.Conv1d`` (groups=1, zero padding).

    Parameters: weight (C_out, C_in, k), bias (C_out,), torch's default init. x (N, C_in, L) -> (N, C_out, L_out).
    """

    ndim = 1

    def _kernel_forward(self, x: Any) -> tuple[np.ndarray, dict[str, Any]]:
        return conv1d_forward(
            x,
            self.params["weight"],
            self.params.get("bias"),
            stride=self.stride[0],
            padding=self.padding[0],
            dilation=self.dilation[0],
        )

    def _kernel_backward(self, dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, Any]:
        return conv1d_backward(dout, cache)

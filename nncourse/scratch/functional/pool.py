"""Pooling kernels and layers (chapter 09), twins of ``torch.nn.functional.max_pool2d/avg_pool2d``.

Pooling slides a ``kH x kW`` window over each channel separately (no weights) and keeps the largest
value (max) or the mean (average). ``stride`` defaults to the kernel size, so windows tile the
image; the output size follows ``conv_output_size`` (floored, as torch's ``ceil_mode=False``).
Max pooling pads with ``-inf`` (padding never wins); average pooling pads with zeros and, by default,
counts the padding in the mean (``count_include_pad=True``, as torch).

    max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1) -> (out, cache)
    max_pool2d_backward(dout, cache) -> dx          each output's gradient goes to its window's maximum
    avg_pool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True) -> (out, cache)
    avg_pool2d_backward(dout, cache) -> dx          each output's gradient is shared by its window

x: (N, C, H, W) -> out: (N, C, H_out, W_out). Layers: ``MaxPool2d``, ``AvgPool2d``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array, check_int_tuple
from nncourse.scratch.functional.conv import conv_output_size, windows

__all__ = ["avg_pool2d_backward", "avg_pool2d_forward", "max_pool2d_backward", "max_pool2d_forward"]


def _settings(x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> dict[str, Any]:
    """Validate the input and the window settings; return them with the output size."""
    shape = tuple(np.shape(x))
    if len(shape) == 3:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {shape}: add a batch axis, x[None]")
    check_array("x", x, ("N", "C", "H", "W"), dtype_kind="f")
    k = check_int_tuple("kernel_size", kernel_size, 2)
    s = k if stride is None else check_int_tuple("stride", stride, 2)
    p = check_int_tuple("padding", padding, 2, minimum=0)
    d = check_int_tuple("dilation", dilation, 2)
    if any(2 * p[a] > k[a] for a in range(2)):  # torch refuses this too
        raise ValueError(f"padding {p} must be at most half of kernel_size {k}")
    try:
        out = tuple(conv_output_size(shape[2 + a], k[a], s[a], p[a], d[a]) for a in range(2))
    except ValueError as exc:
        raise ValueError(f"x of shape {shape} with kernel_size {k}: {exc}") from None
    return {"kernel": k, "stride": s, "padding": p, "dilation": d, "out": out, "x_shape": shape}


def _pad(x: np.ndarray, padding: tuple[int, int], value: float) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value) if ph or pw else x


def max_pool2d_forward(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1
) -> tuple[np.ndarray, dict[str, Any]]:
    """x (N, C, H, W) -> out (N, C, H_out, W_out), the maximum of each (dilated) window."""
    g = _settings(x, kernel_size, stride, padding, dilation)
    x = np.asarray(x)
    n, c = x.shape[:2]
    (kh, kw), (ho, wo) = g["kernel"], g["out"]
    xp = _pad(x, g["padding"], -np.inf)
    view = windows(xp, g["kernel"], g["stride"], g["dilation"], g["out"]).reshape(n, c, ho, wo, kh * kw)
    arg = view.argmax(axis=-1)  # (N, C, H_out, W_out): which window entry won (the first, on ties)
    out = np.take_along_axis(view, arg[..., None], axis=-1)[..., 0]
    # where the winner sits in the padded image, as a flat index, for the backward scatter
    i, j = np.divmod(arg, kw)
    rows = np.arange(ho)[:, None] * g["stride"][0] + i * g["dilation"][0]
    cols = np.arange(wo)[None, :] * g["stride"][1] + j * g["dilation"][1]
    planes = np.arange(n * c).reshape(n, c, 1, 1)
    flat = (planes * xp.shape[2] + rows) * xp.shape[3] + cols
    return out, {**g, "flat": flat, "padded_shape": xp.shape, "out_shape": out.shape}


def max_pool2d_backward(dout: Any, cache: dict[str, Any]) -> np.ndarray:
    """dout (N, C, H_out, W_out) -> dx (N, C, H, W): each output's gradient added to its window's winner."""
    check_array("dout", dout, cache["out_shape"], dtype_kind="f")
    dout = np.asarray(dout)
    size = int(np.prod(cache["padded_shape"]))
    dxp = np.bincount(cache["flat"].ravel(), weights=dout.ravel(), minlength=size).reshape(cache["padded_shape"])
    (ph, pw), (h, w) = cache["padding"], cache["x_shape"][2:]
    return np.ascontiguousarray(dxp[:, :, ph : ph + h, pw : pw + w], dtype=dout.dtype)


def avg_pool2d_forward(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, count_include_pad: bool = True
) -> tuple[np.ndarray, dict[str, Any]]:
    """x (N, C, H, W) -> out (N, C, H_out, W_out), the mean of each window.

    ``count_include_pad=False`` divides by the number of real (unpadded) pixels in each window.
    """
    if not isinstance(count_include_pad, bool):
        raise TypeError(f"count_include_pad must be a bool, got {count_include_pad!r}")
    g = _settings(x, kernel_size, stride, padding, 1)
    x = np.asarray(x)
    k, s, d, o = g["kernel"], g["stride"], g["dilation"], g["out"]
    sums = windows(_pad(x, g["padding"], 0.0), k, s, d, o).sum(axis=(-2, -1))  # (N, C, H_out, W_out)
    if count_include_pad:
        counts = np.full(o, float(k[0] * k[1]))
    else:
        ones = _pad(np.ones((1, 1, *x.shape[2:])), g["padding"], 0.0)
        counts = windows(ones, k, s, d, o).sum(axis=(-2, -1))[0, 0]  # (H_out, W_out) real pixels per window
    out = (sums / counts).astype(x.dtype, copy=False)
    return out, {**g, "counts": counts, "out_shape": out.shape}


def avg_pool2d_backward(dout: Any, cache: dict[str, Any]) -> np.ndarray:
    """dout (N, C, H_out, W_out) -> dx (N, C, H, W): each window entry gets dout / count."""
    check_array("dout", dout, cache["out_shape"], dtype_kind="f")
    share = np.asarray(dout) / cache["counts"]  # (N, C, H_out, W_out)
    n, c, h, w = cache["x_shape"]
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = cache["kernel"], cache["stride"], cache["padding"], cache["out"]
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=share.dtype)
    for i in range(kh):  # every kernel offset read one strided slice of the input: send the share back
        for j in range(kw):
            dxp[:, :, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += share
    return np.ascontiguousarray(dxp[:, :, ph : ph + h, pw : pw + w], dtype=np.asarray(dout).dtype)

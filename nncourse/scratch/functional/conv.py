"""Convolution kernels and layers (chapter 09), twins of ``torch.nn.functional.conv1d/conv2d``.

Like torch, "convolution" here is a *cross-correlation*: the kernel is not flipped. Layouts are
torch's: inputs ``(N, C_in, H, W)`` (NCHW) or ``(N, C_in, L)``, weights ``(C_out, C_in, kH, kW)`` or
``(C_out, C_in, k)``, bias ``(C_out,)``. Along each spatial axis, with input size ``n``, kernel ``k``,
stride ``s``, padding ``p`` and dilation ``d``::

    out = floor((n + 2p - d(k - 1) - 1) / s) + 1          (conv_output_size)

Kernels (stateless, ``name_forward(...) -> (out, cache)``, ``name_backward(dout, cache) -> grads``)::

    conv2d_forward(x, weight, bias=None, *, stride=1, padding=0, dilation=1) -> (out, cache)
    conv2d_backward(dout, cache) -> (dx, dweight, dbias)      dbias is None without a bias
    conv1d_forward / conv1d_backward                           the same on (N, C, L)
    conv2d_forward_loops, conv2d_backward_loops                explicit loops, for teaching

The vectorised forward is *im2col*: a strided view lists every receptive field (no copy), one
reshape lays them out as the columns of a matrix, and one matrix product with the flattened weights
computes every output. The backward runs the matrix products in reverse and scatters the
gradient of each column back onto the input (*col2im*), one kernel tap at a time.
Layers ``Conv1d`` and ``Conv2d`` hold ``weight`` and ``bias`` and call these kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array, check_int_tuple

__all__ = [
    "conv1d_backward",
    "conv1d_forward",
    "conv2d_backward",
    "conv2d_backward_loops",
    "conv2d_forward",
    "conv2d_forward_loops",
    "conv_output_size",
]


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis: ``floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1``.

    A division that is not whole is floored, as torch does (the last input rows are not covered).
    Raises ``ValueError`` with the computed sizes when the dilated kernel is larger than the padded input.
    """
    (size,) = check_int_tuple("size", size, 1)
    (kernel,) = check_int_tuple("kernel", kernel, 1)
    (stride,) = check_int_tuple("stride", stride, 1)
    (padding,) = check_int_tuple("padding", padding, 1, minimum=0)
    (dilation,) = check_int_tuple("dilation", dilation, 1)
    extent, padded = dilation * (kernel - 1) + 1, size + 2 * padding
    if extent > padded:
        raise ValueError(
            f"kernel extent {extent} (kernel {kernel}, dilation {dilation}) is larger than the padded input "
            f"{padded} (input {size} + 2 * padding {padding}): no output position fits"
        )
    return (padded - extent) // stride + 1


def _spatial_input(x: Any, c_in: int, names: tuple[str, ...]) -> np.ndarray:
    """Check ``x`` is ``(N, C_in, *names)`` floats, spotting unbatched and channels-last inputs."""
    expected = "(N, C_in, " + ", ".join(names) + ")"
    shape = tuple(np.shape(x))
    if len(shape) == len(names) + 1:
        raise ValueError(f"x must have shape {expected} with C_in={c_in}, got shape {shape}: add a batch axis, x[None]")
    check_array("x", x, ("N", None, *names), dtype_kind="f")
    if shape[1] != c_in:
        if shape[-1] == c_in:
            order = (0, len(shape) - 1, *range(1, len(shape) - 1))
            raise ValueError(
                f"x has shape {shape}: channels last (NHWC)? Expected {expected} with C_in={c_in} channels "
                f"in dim 1; use x.transpose{order}"
            )
        raise ValueError(
            f"x has {shape[1]} channels in dim 1 but weight expects C_in={c_in}: x shape {shape}, expected {expected}"
        )
    return np.asarray(x)


def _check_params(weight: Any, bias: Any, ndim: int) -> tuple[np.ndarray, np.ndarray | None]:
    names = ("C_out", "C_in", "kH", "kW") if ndim == 2 else ("C_out", "C_in", "k")
    dims = check_array("weight", weight, names, dtype_kind="f")
    if bias is not None:
        check_array("bias", bias, ("C_out",), dims=dims, dtype_kind="f")
        bias = np.asarray(bias)
    return np.asarray(weight), bias


def _geometry(
    x: np.ndarray, weight: np.ndarray, stride: Any, padding: Any, dilation: Any
) -> dict[str, tuple[int, ...]]:
    s = check_int_tuple("stride", stride, 2)
    p = check_int_tuple("padding", padding, 2, minimum=0)
    d = check_int_tuple("dilation", dilation, 2)
    try:
        out = tuple(conv_output_size(x.shape[2 + a], weight.shape[2 + a], s[a], p[a], d[a]) for a in range(2))
    except ValueError as exc:
        raise ValueError(f"x of shape {x.shape} with weight of shape {weight.shape}: {exc}") from None
    return {"stride": s, "padding": p, "dilation": d, "out": out}


def _pad(x: np.ndarray, padding: tuple[int, ...], value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of (N, C, H, W) by ``padding`` on both sides."""
    if padding == (0, 0):
        return x
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def windows(
    xp: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...], out: tuple[int, ...]
) -> np.ndarray:
    """Read-only strided view ``(N, C, H_out, W_out, kH, kW)`` of every receptive field of padded ``xp``.

    ``view[n, c, r, s, i, j] = xp[n, c, r * stride_h + i * dilation_h, s * stride_w + j * dilation_w]``.
    """
    sn, sc, sh, sw = xp.strides
    shape = (xp.shape[0], xp.shape[1], out[0], out[1], kernel[0], kernel[1])
    steps = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return np.lib.stride_tricks.as_strided(xp, shape=shape, strides=steps, writeable=False)


# ---------------------------------------------------------------------------------------------- 2-D
def conv2d_forward(
    x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1
) -> tuple[np.ndarray, dict[str, Any]]:
    """x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None -> out (N, C_out, H_out, W_out)."""
    weight, bias = _check_params(weight, bias, 2)
    c_out, c_in, kh, kw = weight.shape
    x = _spatial_input(x, c_in, ("H", "W"))
    g = _geometry(x, weight, stride, padding, dilation)
    n, (ho, wo) = x.shape[0], g["out"]
    view = windows(_pad(x, g["padding"]), (kh, kw), g["stride"], g["dilation"], g["out"])
    # im2col: one column per output position (n, i, j), one row per kernel tap (c, u, v) as in the weights
    cols = view.transpose(1, 4, 5, 0, 2, 3).reshape(c_in * kh * kw, n * ho * wo)
    out = weight.reshape(c_out, -1) @ cols  # (C_out, C_in*kH*kW) @ (C_in*kH*kW, N*H_out*W_out): every output at once
    if bias is not None:
        out += bias[:, None]
    out = np.ascontiguousarray(out.reshape(c_out, n, ho, wo).transpose(1, 0, 2, 3), dtype=x.dtype)
    cache = {
        "cols": cols,
        "weight": weight.copy(),
        "x_shape": x.shape,
        "has_bias": bias is not None,
        "out_shape": out.shape,
        **g,
    }
    return out, cache


def conv2d_backward(dout: Any, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """dout (N, C_out, H_out, W_out) -> (dx (N, C_in, H, W), dweight like weight, dbias (C_out,) or None)."""
    check_array("dout", dout, cache["out_shape"], dtype_kind="f")
    weight, cols = cache["weight"], cache["cols"]
    c_out, c_in, kh, kw = weight.shape
    n, _, h, w = cache["x_shape"]
    (ho, wo), (sh, sw), (ph, pw), (dh, dw) = cache["out"], cache["stride"], cache["padding"], cache["dilation"]
    d = np.asarray(dout).transpose(1, 0, 2, 3).reshape(c_out, n * ho * wo)  # columns ordered like cols'
    # out = W @ cols + b, a linear layer: dW = d @ cols.T, db = row sums of d, dcols = W.T @ d
    dweight = (d @ cols.T).reshape(weight.shape).astype(weight.dtype, copy=False)
    dbias = d.sum(axis=1).astype(weight.dtype, copy=False) if cache["has_bias"] else None
    taps = weight.transpose(2, 3, 1, 0)  # (kH, kW, C_in, C_out): taps[i, j].T is W's column block of tap (i, j)
    dxp = np.zeros((c_in, n, h + 2 * ph, w + 2 * pw), dtype=np.result_type(weight, d))  # channels first, like cols
    for i in range(kh):  # col2im, one kernel tap at a time: its rows of dcols go back to the input pixels it read
        for j in range(kw):
            dcols_ij = (taps[i, j] @ d).reshape(c_in, n, ho, wo)
            dxp[:, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh, j * dw : j * dw + sw * (wo - 1) + 1 : sw] += dcols_ij
    dx = dxp[:, :, ph : ph + h, pw : pw + w].transpose(1, 0, 2, 3).astype(cols.dtype, copy=False)
    return np.ascontiguousarray(dx), dweight, dbias


def conv2d_forward_loops(
    x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1
) -> np.ndarray:
    """The definition, one output number at a time: same arguments and result as ``conv2d_forward``'s ``out``."""
    weight, bias = _check_params(weight, bias, 2)
    c_out, c_in, kh, kw = weight.shape
    x = _spatial_input(x, c_in, ("H", "W"))
    g = _geometry(x, weight, stride, padding, dilation)
    (ho, wo), (sh, sw), (dh, dw) = g["out"], g["stride"], g["dilation"]
    xp = _pad(x, g["padding"])
    out = np.zeros((x.shape[0], c_out, ho, wo), dtype=x.dtype)
    for n in range(x.shape[0]):
        for o in range(c_out):
            for r in range(ho):
                for s in range(wo):
                    field = xp[n, :, r * sh : r * sh + dh * (kh - 1) + 1 : dh, s * sw : s * sw + dw * (kw - 1) + 1 : dw]
                    out[n, o, r, s] = np.sum(field * weight[o]) + (bias[o] if bias is not None else 0.0)
    return out


def conv2d_backward_loops(
    dout: Any, x: Any, weight: Any, *, has_bias: bool = True, stride: Any = 1, padding: Any = 0, dilation: Any = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The backward pass one output number at a time: each output sends ``dout`` back to what it read."""
    weight, _ = _check_params(weight, None, 2)
    c_out, c_in, kh, kw = weight.shape
    x = _spatial_input(x, c_in, ("H", "W"))
    g = _geometry(x, weight, stride, padding, dilation)
    (ho, wo), (sh, sw), (ph, pw), (dh, dw) = g["out"], g["stride"], g["padding"], g["dilation"]
    check_array("dout", dout, (x.shape[0], c_out, ho, wo), dtype_kind="f")
    xp = _pad(x, g["padding"])
    dxp, dweight, dbias = np.zeros_like(xp), np.zeros_like(weight), np.zeros(c_out, dtype=weight.dtype)
    for n in range(x.shape[0]):
        for o in range(c_out):
            for r in range(ho):
                for s in range(wo):
                    rows = slice(r * sh, r * sh + dh * (kh - 1) + 1, dh)
                    columns = slice(s * sw, s * sw + dw * (kw - 1) + 1, dw)
                    dxp[n, :, rows, columns] += dout[n, o, r, s] * weight[o]  # out = sum(field * weight[o]) + b
                    dweight[o] += dout[n, o, r, s] * xp[n, :, rows, columns]
                    dbias[o] += dout[n, o, r, s]
    dx = dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return np.ascontiguousarray(dx), dweight, (dbias if has_bias else None)


# ---------------------------------------------------------------------------------------------- 1-D
def conv1d_forward(
    x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1
) -> tuple[np.ndarray, dict[str, Any]]:
    """x (N, C_in, L), weight (C_out, C_in, k), bias (C_out,) or None -> out (N, C_out, L_out).

    A 1-D convolution is the 2-D one on an image of height 1: this adds that axis and calls ``conv2d_forward``.
    """
    weight, bias = _check_params(weight, bias, 1)
    x = _spatial_input(x, weight.shape[1], ("L",))
    settings = {
        name: (1, *check_int_tuple(name, value, 1, minimum=int(name != "padding")))
        for name, value in (("stride", stride), ("padding", padding), ("dilation", dilation))
    }
    settings["padding"] = (0, settings["padding"][1])
    try:
        conv_output_size(x.shape[2], weight.shape[2], *(settings[k][1] for k in ("stride", "padding", "dilation")))
    except ValueError as exc:
        raise ValueError(f"x of shape {x.shape} with weight of shape {weight.shape}: {exc}") from None
    out, cache = conv2d_forward(x[:, :, None, :], weight[:, :, None, :], bias, **settings)
    return out[:, :, 0, :], cache


def conv1d_backward(dout: Any, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """dout (N, C_out, L_out) -> (dx (N, C_in, L), dweight (C_out, C_in, k), dbias (C_out,) or None)."""
    n, c_out, _, l_out = cache["out_shape"]
    check_array("dout", dout, (n, c_out, l_out), dtype_kind="f")
    dx, dweight, dbias = conv2d_backward(np.asarray(dout)[:, :, None, :], cache)
    return dx[:, :, 0, :], dweight[:, :, 0, :], dbias


# ---------------------------------------------------------------------------------------------- layers

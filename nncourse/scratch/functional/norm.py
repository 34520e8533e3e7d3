"""Kernels of the normalisations: ``batch_norm`` (per channel) and ``layer_norm`` (per example).

Both work on a 3-D view ``(A, B, L)`` of the input whose statistics are taken per ``B`` over axes
0 and 2: batch norm views x (N, C, *) as (N, C, prod(*)); layer norm views x (*, *normalized) as
(1, prod(*), prod(normalized)). Statistics are accumulated in float64 whatever the input dtype
(float32 sums lose digits at large offsets); the output and the gradients have the input's dtype.
``weight`` and ``bias`` may be ``None`` (no affine part): their gradients are then ``None``.

With x_hat = (x - mean) * inv_std, out = weight * x_hat + bias, and means over the group:
    dx = weight * inv_std * (dout - mean(dout) - x_hat * mean(dout * x_hat))   (batch statistics)
    dx = weight * inv_std * dout                                               (fixed statistics)
"""
from __future__ import annotations

from typing import Any

import numpy as np

Kernel = tuple[np.ndarray, dict[str, Any]]
F64 = np.float64


def _centre(x3: np.ndarray, mean: np.ndarray | None, var: np.ndarray | None, eps: float):
    """``x - mean`` in float64, the (B,) mean, the biased variance and 1 / sqrt(var + eps)."""
    n = x3.shape[0] * x3.shape[2]
    if mean is None:
        mean = x3.sum(axis=(0, 2), dtype=F64) / n  # (B,)
        xc = np.subtract(x3, mean[:, None], dtype=F64)  # (A, B, L)
        var = np.einsum("abl,abl->b", xc, xc) / n  # (B,), two-pass: exact for a constant group
    else:
        xc = np.subtract(x3, np.asarray(mean, F64)[:, None], dtype=F64)
    return xc, mean, var, 1.0 / np.sqrt(np.asarray(var, F64) + eps)


def batch_norm_forward(
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    *,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    training: bool = True,
    eps: float = 1e-5,
) -> Kernel:
    """Batch normalisation of x: (N, C, *) per channel C, then ``weight * x_hat + bias`` (both (C,)).

    ``training=True``: the batch's mean and biased variance over N and every axis after C (also in
    the cache as ``"mean"`` and ``"var"``, float64 (C,), for the caller's running estimates).
    ``training=False``: ``running_mean`` and ``running_var`` (C,) normalise instead.
    """
    x3 = x.reshape(x.shape[0], x.shape[1], -1)  # (N, C, L)
    if training:
        xc, mean, var, inv_std = _centre(x3, None, None, eps)
    else:
        xc, mean, var, inv_std = _centre(x3, running_mean, running_var, eps)
    w = np.ones(x.shape[1]) if weight is None else weight.astype(F64)
    out = np.multiply(xc, (w * inv_std)[:, None], out=np.empty(x3.shape, x.dtype))
    if bias is not None:
        out += bias[:, None]
    cache = {"xc": xc, "inv_std": inv_std, "weight": w, "affine": weight is not None, "bias": bias is not None,
             "training": training, "mean": mean, "var": var, "shape": x.shape, "dtype": x.dtype}
    return out.reshape(x.shape), cache


def batch_norm_backward(dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dout: (N, C, *) -> (dx: (N, C, *), dweight: (C,) or None, dbias: (C,) or None)."""
    xc, inv_std, w = cache["xc"], cache["inv_std"], cache["weight"]
    d3 = dout.reshape(xc.shape)
    n = xc.shape[0] * xc.shape[2]
    dbias = d3.sum(axis=(0, 2), dtype=F64)  # (C,)
    dweight = np.einsum("abl,abl->b", d3, xc) * inv_std  # (C,) = sum(dout * x_hat)
    a = w * inv_std
    dx = np.empty(xc.shape, cache["dtype"])
    if cache["training"]:
        # dx = a * (dout - dbias / n - x_hat * dweight / n), x_hat = xc * inv_std: per channel, dx = a dout + b xc + c
        tmp = np.multiply(xc, (-a * inv_std * dweight / n)[:, None])
        tmp -= (a * dbias / n)[:, None]
        tmp += d3 * a[:, None]
        np.copyto(dx, tmp, casting="same_kind")
    else:
        np.multiply(d3, a[:, None], out=dx, casting="same_kind")
    dt = cache["dtype"]
    grads_w = dweight.astype(dt) if cache["affine"] else None
    return dx.reshape(cache["shape"]), grads_w, dbias.astype(dt) if cache["bias"] else None


def layer_norm_forward(
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    *,
    normalized_shape: tuple[int, ...] | None = None,
    eps: float = 1e-5,
) -> Kernel:
    """Layer normalisation of x: (*, *normalized_shape) over its last ``len(normalized_shape)`` axes.

    ``normalized_shape`` defaults to ``weight.shape``; ``weight`` and ``bias`` have that shape.
    """
    norm_shape = tuple(weight.shape if normalized_shape is None else normalized_shape)
    d = int(np.prod(norm_shape))
    x3 = x.reshape(1, -1, d)  # (1, M, D): statistics per example m
    xc, _, _, inv_std = _centre(x3, None, None, eps)
    x_hat = xc * inv_std[:, None]  # (1, M, D) float64
    if weight is None and bias is None:
        out = x_hat.astype(x.dtype)
    else:
        out = np.multiply(x_hat, 1.0 if weight is None else weight.reshape(d), out=np.empty(x3.shape, x.dtype), casting="same_kind")
        if bias is not None:
            out += bias.reshape(d)
    cache = {"x_hat": x_hat, "inv_std": inv_std, "weight": None if weight is None else weight.reshape(d).astype(F64),
             "bias": bias is not None, "shape": x.shape, "norm_shape": norm_shape, "dtype": x.dtype}
    return out.reshape(x.shape), cache


def layer_norm_backward(dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dout: shape of x -> (dx, dweight: normalized_shape or None, dbias: normalized_shape or None)."""
    x_hat, inv_std, w, dt = cache["x_hat"], cache["inv_std"], cache["weight"], cache["dtype"]
    d3 = dout.reshape(x_hat.shape)
    d = x_hat.shape[2]
    g = d3 if w is None else d3 * w  # dL/dx_hat
    s1 = g.sum(axis=(0, 2), dtype=F64) / d  # (M,) mean(dx_hat)
    s2 = np.einsum("abl,abl->b", g, x_hat) / d  # (M,) mean(dx_hat * x_hat)
    tmp = np.multiply(x_hat, -s2[:, None])
    tmp -= s1[:, None]
    tmp += g
    tmp *= inv_std[:, None]
    dx = tmp.astype(dt, copy=False).reshape(cache["shape"])
    ns = cache["norm_shape"]
    dweight = None if w is None else np.einsum("abl,abl->l", d3, x_hat).astype(dt).reshape(ns)
    dbias = d3.sum(axis=(0, 1), dtype=F64).astype(dt).reshape(ns) if cache["bias"] else None
    return dx, dweight, dbias

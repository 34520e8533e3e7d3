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


def _normalise(
    x3: np.ndarray, mean: np.ndarray | None, var: np.ndarray | None, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_hat in x's dtype, the (B,) mean and biased variance (float64) and inv_std = 1 / sqrt(var + eps).

    The statistics are taken per B over axes 0 and 2, in float64 and in two passes (exact 0 for a
    constant group); ``mean``/``var`` given: those fixed statistics are used instead.
    """
    n = x3.shape[0] * x3.shape[2]
    if mean is None:
        mean = x3.sum(axis=(0, 2), dtype=F64) / n  # (B,)
        xc = np.subtract(x3, mean[:, None], dtype=F64)  # (A, B, L)
        var = np.einsum("abl,abl->b", xc, xc) / n  # (B,)
    else:
        mean, var = np.asarray(mean, F64), np.asarray(var, F64)
        xc = np.subtract(x3, mean[:, None], dtype=F64)
    inv_std = 1.0 / np.sqrt(var + eps)
    if x3.dtype == F64:
        x_hat = np.multiply(xc, inv_std[:, None], out=xc)
    else:
        x_hat = np.multiply(xc, inv_std[:, None], out=np.empty(x3.shape, x3.dtype), casting="same_kind")
    return x_hat, mean, var, inv_std


def _dot(a: np.ndarray, b: np.ndarray, spec: str) -> np.ndarray:
    """sum of a * b over the axes ``spec`` drops, accumulated in float64."""
    return (
        np.einsum(spec, a, b, dtype=F64, casting="same_kind")
        if a.dtype != F64 or b.dtype != F64
        else np.einsum(spec, a, b)
    )


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
    stats = (None, None) if training else (running_mean, running_var)
    x_hat, mean, var, inv_std = _normalise(x3, *stats, eps)
    dt = x.dtype
    out = x_hat * weight.astype(dt)[:, None] if weight is not None else x_hat.copy()
    if bias is not None:
        out += bias.astype(dt)[:, None]
    w = np.ones(x.shape[1]) if weight is None else weight.astype(F64)
    cache = {
        "x_hat": x_hat,
        "inv_std": inv_std,
        "weight": w,
        "affine": weight is not None,
        "bias": bias is not None,
        "training": training,
        "mean": mean,
        "var": var,
        "shape": x.shape,
    }
    return out.reshape(x.shape), cache


def batch_norm_backward(
    dout: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dout: (N, C, *) -> (dx: (N, C, *), dweight: (C,) or None, dbias: (C,) or None)."""
    x_hat, inv_std, w = cache["x_hat"], cache["inv_std"], cache["weight"]
    dt = x_hat.dtype
    d3 = dout.reshape(x_hat.shape)
    n = x_hat.shape[0] * x_hat.shape[2]
    dbias = d3.sum(axis=(0, 2), dtype=F64)  # (C,)
    dweight = _dot(d3, x_hat, "abl,abl->b")  # (C,) = sum(dout * x_hat)
    a = w * inv_std  # (C,) d out / d x at fixed statistics
    dx = np.multiply(d3, a.astype(dt)[:, None], dtype=dt)
    if cache["training"]:
        # dx = a * (dout - dbias / n - x_hat * dweight / n): per channel, a dout + b x_hat + c
        dx -= x_hat * (a * dweight / n).astype(dt)[:, None]
        dx -= (a * dbias / n).astype(dt)[:, None]
    grad_w = dweight.astype(dt) if cache["affine"] else None
    return dx.reshape(cache["shape"]), grad_w, dbias.astype(dt) if cache["bias"] else None


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
    if normalized_shape is None and weight is None:
        raise ValueError("layer_norm_forward needs normalized_shape when weight is None")
    norm_shape = tuple(weight.shape if weight is not None and normalized_shape is None else normalized_shape or ())
    d = int(np.prod(norm_shape))
    x3 = x.reshape(1, -1, d)  # (1, M, D): statistics per example m
    x_hat, _, _, inv_std = _normalise(x3, None, None, eps)
    dt = x.dtype
    out = x_hat * weight.reshape(d).astype(dt) if weight is not None else x_hat.copy()
    if bias is not None:
        out += bias.reshape(d).astype(dt)
    cache = {
        "x_hat": x_hat,
        "inv_std": inv_std,
        "weight": None if weight is None else weight.reshape(d).astype(dt),
        "bias": bias is not None,
        "shape": x.shape,
        "norm_shape": norm_shape,
    }
    return out.reshape(x.shape), cache


def layer_norm_backward(
    dout: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dout: shape of x -> (dx, dweight: normalized_shape or None, dbias: normalized_shape or None)."""
    x_hat, inv_std, w = cache["x_hat"], cache["inv_std"], cache["weight"]
    dt = x_hat.dtype
    d3 = dout.reshape(x_hat.shape)
    d = x_hat.shape[2]
    g = np.multiply(d3, w, dtype=dt) if w is not None else d3.astype(dt)  # dL/dx_hat, a fresh array
    s1 = g.sum(axis=(0, 2), dtype=F64) / d  # (M,) mean(dx_hat)
    s2 = _dot(g, x_hat, "abl,abl->b") / d  # (M,) mean(dx_hat * x_hat)
    g -= x_hat * s2.astype(dt)[:, None]
    g -= s1.astype(dt)[:, None]
    g *= inv_std.astype(dt)[:, None]
    ns = cache["norm_shape"]
    dweight = None if w is None else _dot(d3, x_hat, "abl,abl->l").astype(dt).reshape(ns)
    dbias = d3.sum(axis=(0, 1), dtype=F64).astype(dt).reshape(ns) if cache["bias"] else None
    return g.reshape(cache["shape"]), dweight, dbias

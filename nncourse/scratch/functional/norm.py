"""Kernels of the normalisations: ``batch_norm`` (over N and the spatial axes) and ``layer_norm``.

Statistics are accumulated in float64 whatever the input dtype (float32 statistics lose digits at
large offsets), and the normalised values ``x_hat`` are kept in float64 for backward; the output has
the input's dtype. ``weight`` and ``bias`` may be ``None`` (no affine part): their gradients are then
``None``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

Kernel = tuple[np.ndarray, dict[str, Any]]
F64 = np.float64


def _normalise(x: np.ndarray, axes: tuple[int, ...], mean: np.ndarray | None, var: np.ndarray | None, eps: float):
    """x_hat (float64), inv_std, and the mean and (biased) variance used; statistics over ``axes``."""
    if mean is None:
        mean = x.mean(axis=axes, dtype=F64, keepdims=True)
        xc = np.subtract(x, mean, dtype=F64)
        var = np.mean(np.square(xc), axis=axes, keepdims=True)
    else:
        xc = np.subtract(x, mean, dtype=F64)
    inv_std = 1.0 / np.sqrt(var + eps)
    xc *= inv_std  # x_hat, in place
    return xc, inv_std, mean, var


def _affine(x_hat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, shape: tuple[int, ...], dtype: Any):
    out = x_hat if weight is None else x_hat * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape) if out is x_hat else np.add(out, bias.reshape(shape), out=out)
    return out.astype(dtype, copy=True if out is x_hat else False)


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
    """Batch normalisation of x: (N, C, *) per channel C, then ``weight * x_hat + bias``.

    ``training=True``: the batch's own mean and biased variance over N and every axis after C
    (returned in the cache as ``"mean"``, ``"var"``, float64 (C,), for the caller's running
    estimates). ``training=False``: ``running_mean`` and ``running_var`` (C,) normalise instead.
    """
    c = x.shape[1]
    axes = (0, *range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        x_hat, inv_std, mean, var = _normalise(x, axes, None, None, eps)
    else:
        x_hat, inv_std, mean, var = _normalise(
            x, axes, np.asarray(running_mean, F64).reshape(shape), np.asarray(running_var, F64).reshape(shape), eps
        )
    out = _affine(x_hat, weight, bias, shape, x.dtype)
    cache = {
        "x_hat": x_hat, "inv_std": inv_std, "axes": axes, "shape": shape, "training": training,
        "weight": None if weight is None else weight.astype(F64).reshape(shape), "bias": bias is not None,
        "mean": mean.reshape(c), "var": var.reshape(c), "dtype": x.dtype,
    }
    return out, cache


def _norm_backward(dout: np.ndarray, cache: dict[str, Any], param_axes: tuple[int, ...], stat_axes: tuple[int, ...], param_shape: tuple[int, ...]):
    """Shared backward: gradients of weight and bias summed over ``param_axes``; dx through the statistics."""
    x_hat, inv_std, w = cache["x_hat"], cache["inv_std"], cache["weight"]
    dbias = dout.sum(axis=param_axes, dtype=F64)
    dweight = (dout * x_hat).sum(axis=param_axes)
    g = inv_std if w is None else inv_std * w  # d out / d x_hat * d x_hat / d x, per normalised group
    if not cache["training"]:
        dx = dout * g  # fixed statistics: x_hat = (x - mean) * inv_std is affine in x
    else:
        # out = w * x_hat + b with x_hat = (x - mu) * inv_std, mu and inv_std functions of the group:
        #   dx = w * inv_std * (dout - mean(dout) - x_hat * mean(dout * x_hat))   (means over the group)
        m = int(np.prod([x_hat.shape[a] for a in stat_axes]))
        s1 = dout.sum(axis=stat_axes, keepdims=True, dtype=F64) / m
        s2 = (dout * x_hat).sum(axis=stat_axes, keepdims=True) / m
        dx = x_hat * s2
        dx += s1
        np.subtract(dout, dx, out=dx)
        dx *= g
    dx = dx.astype(cache["dtype"], copy=False)
    dt = cache["dtype"]
    dweight = None if w is None else dweight.reshape(param_shape).astype(dt, copy=False)
    dbias = dbias.reshape(param_shape).astype(dt, copy=False) if cache["bias"] else None
    return dx, dweight, dbias


def batch_norm_backward(dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dout: (N, C, *) -> (dx: (N, C, *), dweight: (C,), dbias: (C,))."""
    c = cache["x_hat"].shape[1]
    return _norm_backward(dout, cache, cache["axes"], cache["axes"], (c,))


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
    k = len(norm_shape)
    lead = x.ndim - k
    axes = tuple(range(lead, x.ndim))
    x_hat, inv_std, _, _ = _normalise(x, axes, None, None, eps)
    shape = (1,) * lead + norm_shape
    out = _affine(x_hat, weight, bias, shape, x.dtype)
    cache = {
        "x_hat": x_hat, "inv_std": inv_std, "axes": axes, "lead": tuple(range(lead)), "norm_shape": norm_shape,
        "training": True, "weight": None if weight is None else weight.astype(F64).reshape(shape),
        "bias": bias is not None, "dtype": x.dtype,
    }
    return out, cache


def layer_norm_backward(dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dout: shape of x -> (dx, dweight: normalized_shape, dbias: normalized_shape)."""
    return _norm_backward(dout, cache, cache["lead"], cache["axes"], cache["norm_shape"])

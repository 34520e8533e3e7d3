"""Activations and losses as plain numpy functions (chapter 02), with their derivatives.

Element-wise activations take ``x`` of any shape and return an array of the same shape; the matching
``*_grad(x)`` returns the derivative ``d f / d x`` at every entry (same shape)::

    sigmoid, tanh, relu, gelu            f(x)
    sigmoid_grad, tanh_grad, relu_grad, gelu_grad     f'(x)

Along the last axis (or ``axis``) of scores ``z: (..., C)``: ``logsumexp`` (stable), ``softmax``,
``log_softmax`` and ``softmax_jacobian``. Losses return a Python float (mean reduction) and their
gradient with respect to the first argument: ``cross_entropy`` / ``cross_entropy_grad`` (logits and
integer labels), ``binary_cross_entropy_with_logits`` / ``..._grad`` (one logit per example), ``mse`` /
``mse_grad``.

The math of the activations and of the two torch-named losses lives once, in ``nncourse.scratch``;
these functions call it and only add the function-style interface.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array
from nncourse.scratch.activations import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nncourse.scratch.base import Layer
from nncourse.scratch.losses import CrossEntropyLoss, MSELoss

__all__ = [
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad", "cross_entropy",
    "cross_entropy_grad", "gelu", "gelu_grad", "log_softmax", "logsumexp", "mse", "mse_grad", "relu",
    "relu_grad", "sigmoid", "sigmoid_grad", "softmax", "softmax_jacobian", "tanh", "tanh_grad",
]


def _float(name: str, x: Any) -> np.ndarray:
    """``x`` as a float array: floats keep their dtype, ints and bools become float64."""
    check_array(name, x, None, dtype_kind="fiub")
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _value(layer: Layer, x: Any) -> np.ndarray:
    x = _float("x", x)
    out, _ = layer.forward(x)
    return out.reshape(x.shape)


def _slope(layer: Layer, x: Any) -> np.ndarray:
    """Derivative of an element-wise layer: its backward pass with an upstream gradient of ones."""
    x = _float("x", x)
    out, cache = layer.forward(x)
    return layer.backward(np.ones_like(out), cache).reshape(x.shape)


# ---------------------------------------------------------------------- element-wise activations
def sigmoid(x: Any) -> np.ndarray:
    """1 / (1 + exp(-x)), without overflow for any x. x: any shape -> same shape."""
    return _value(Sigmoid(), x)


def sigmoid_grad(x: Any) -> np.ndarray:
    """sigmoid(x) * (1 - sigmoid(x)); largest (0.25) at 0. x: any shape -> same shape."""
    return _slope(Sigmoid(), x)


def tanh(x: Any) -> np.ndarray:
    """tanh(x). x: any shape -> same shape."""
    return _value(Tanh(), x)


def tanh_grad(x: Any) -> np.ndarray:
    """1 - tanh(x)^2; largest (1) at 0. x: any shape -> same shape."""
    return _slope(Tanh(), x)


def relu(x: Any) -> np.ndarray:
    """max(x, 0). x: any shape -> same shape."""
    return _value(ReLU(), x)


def relu_grad(x: Any) -> np.ndarray:
    """1 where x > 0, else 0 (0 at x = 0, as torch). x: any shape -> same shape."""
    return _slope(ReLU(), x)


def gelu(x: Any) -> np.ndarray:
    """x * Phi(x), Phi the standard normal CDF (torch's exact GELU). x: any shape -> same shape."""
    return _value(GELU(), x)


def gelu_grad(x: Any) -> np.ndarray:
    """Phi(x) + x * phi(x), phi the standard normal density. x: any shape -> same shape."""
    return _slope(GELU(), x)


# ---------------------------------------------------------------------- along one axis
def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(z))) along ``axis``, computed as m + log(sum(exp(z - m))) with m the maximum.

    Shifting by the maximum makes the largest exponent exp(0) = 1: nothing overflows, and the sum is
    at least 1, so its log is finite. z: (..., C) -> (...) (or (..., 1) with ``keepdims``).
    """
    z = _float("z", z)
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension, got a scalar")
    m = np.max(z, axis=axis, keepdims=True)  # (..., 1)
    m = np.where(np.isfinite(m), m, 0.0)  # a row of -inf (or +inf) must not give inf - inf = nan
    with np.errstate(divide="ignore"):  # a row of -inf has sum 0 and log-sum-exp -inf, as in torch
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))  # (..., 1)
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)) along ``axis``, computed stably. z: (..., C) -> same shape, rows sum to 1."""
    return _value(Softmax(dim=axis), z)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """z - logsumexp(z) along ``axis``, computed stably. z: (..., C) -> same shape."""
    return _value(LogSoftmax(dim=axis), z)


def softmax_jacobian(z: Any) -> np.ndarray:
    """d softmax(z)_i / d z_j = p_i (delta_ij - p_j) along the last axis. z: (..., C) -> (..., C, C)."""
    p = softmax(z)  # (..., C)
    return p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]  # (..., C, C)


# ---------------------------------------------------------------------- losses
def _check_labels(logits: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    dims = check_array("logits", logits, ("N", "C"), dtype_kind="f")
    check_array("y", y, ("N",), dims=dims, dtype_kind="iu")
    return np.asarray(logits), np.asarray(y)


def cross_entropy(logits: Any, y: Any) -> float:
    """Mean over the batch of -log softmax(logits)[n, y[n]]. logits: (N, C) float, y: (N,) int in [0, C)."""
    logits, y = _check_labels(logits, y)
    loss, _ = CrossEntropyLoss().forward(logits, y)
    return loss


def cross_entropy_grad(logits: Any, y: Any) -> np.ndarray:
    """d cross_entropy / d logits = (softmax(logits) - onehot(y)) / N. Shapes as ``cross_entropy``; returns (N, C)."""
    logits, y = _check_labels(logits, y)
    criterion = CrossEntropyLoss()
    _, cache = criterion.forward(logits, y)
    return criterion.backward(cache)  # (N, C)


def _check_binary(z: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    dims = check_array("z", z, ("N",), dtype_kind="f")
    check_array("y", y, ("N",), dims=dims, dtype_kind="fiub")
    z, y = np.asarray(z), np.asarray(y)
    if z.size == 0:
        raise ValueError("z must hold at least one logit, got shape (0,)")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must contain only the labels 0 and 1")
    return z, y.astype(z.dtype)


def binary_cross_entropy_with_logits(z: Any, y: Any) -> float:
    """Mean of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] for z: (N,) logits and y: (N,) in {0, 1}.

    Written as log(1 + exp(z)) - y z = logaddexp(0, z) - y z, which never takes the log of 0.
    """
    z, y = _check_binary(z, y)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def binary_cross_entropy_with_logits_grad(z: Any, y: Any) -> np.ndarray:
    """d loss / d z = (sigmoid(z) - y) / N. z, y: (N,) -> (N,)."""
    z, y = _check_binary(z, y)
    return (sigmoid(z) - y) / z.size  # (N,)


def _check_pair(pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    check_array("pred", pred, None, dtype_kind="f")
    pred = np.asarray(pred)
    check_array("target", target, pred.shape, dtype_kind="fiu")
    return pred, np.asarray(target)


def mse(pred: Any, target: Any) -> float:
    """mean((pred - target)^2) over every entry. pred: any shape, float; target: same shape."""
    pred, target = _check_pair(pred, target)
    loss, _ = MSELoss().forward(pred, target)
    return loss


def mse_grad(pred: Any, target: Any) -> np.ndarray:
    """d mse / d pred = 2 (pred - target) / pred.size. Returns the shape of pred."""
    pred, target = _check_pair(pred, target)
    criterion = MSELoss()
    _, cache = criterion.forward(pred, target)
    return criterion.backward(cache)

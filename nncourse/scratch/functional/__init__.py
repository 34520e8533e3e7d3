"""Stateless numpy kernels: the one home of every formula in ``nncourse.scratch``.

Kernels (plain arrays in and out; torch's layouts and names; no validation, for speed: the layers
and the helpers below validate)::

    out, cache = name_forward(*arrays, **settings)
    grads      = name_backward(dout, cache)     # one gradient per differentiable input, in order

    relu, sigmoid, tanh, gelu(approximate=), softmax(dim=), log_softmax(dim=)      -> dx
    linear(x, weight, bias)                     -> (dx, dweight, dbias)
    embedding(indices, weight, padding_idx=)    -> dweight
    dropout(x, mask, p=)                        -> dx
    batch_norm(x, weight, bias, running_mean=, running_var=, training=, eps=)  -> (dx, dweight, dbias)
    layer_norm(x, weight, bias, normalized_shape=, eps=)                      -> (dx, dweight, dbias)
    cross_entropy(logits, target, ignore_index=, reduction=), mse(pred, target, reduction=),
    bce_with_logits(z, target, reduction=)      -> dpred

The cache never aliases an argument or the output, so in-place changes after forward are harmless.

Chapter 02's value/derivative helpers (validated, any float or int input) are built on the kernels:
``sigmoid``, ``tanh``, ``relu``, ``gelu`` and their ``*_grad``; ``logsumexp``, ``softmax``,
``log_softmax``, ``softmax_jacobian``; ``cross_entropy`` / ``cross_entropy_grad``,
``binary_cross_entropy_with_logits`` / ``..._grad``, ``mse`` / ``mse_grad`` (mean reduction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nncourse._validate import check_array
from nncourse.scratch.functional.activations import (
    gelu_backward,
    gelu_forward,
    log_softmax_backward,
    log_softmax_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from nncourse.scratch.functional.attention import (
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from nncourse.scratch.functional.conv import (
    conv1d_backward,
    conv1d_forward,
    conv2d_backward,
    conv2d_forward,
)
from nncourse.scratch.functional.gated import (
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
)
from nncourse.scratch.functional.layers import (
    dropout_backward,
    dropout_forward,
    embedding_backward,
    embedding_forward,
    linear_backward,
    linear_forward,
)
from nncourse.scratch.functional.losses import (
    bce_with_logits_backward,
    bce_with_logits_forward,
    cross_entropy_backward,
    cross_entropy_forward,
    mse_backward,
    mse_forward,
)
from nncourse.scratch.functional.norm import (
    batch_norm_backward,
    batch_norm_forward,
    layer_norm_backward,
    layer_norm_forward,
)
from nncourse.scratch.functional.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from nncourse.scratch.functional.rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward

__all__ = [
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "batch_norm_backward",
    "batch_norm_forward",
    "bce_with_logits_backward",
    "bce_with_logits_forward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "conv1d_backward",
    "conv1d_forward",
    "conv2d_backward",
    "conv2d_forward",
    "cross_entropy",
    "cross_entropy_backward",
    "cross_entropy_forward",
    "cross_entropy_grad",
    "dropout_backward",
    "dropout_forward",
    "embedding_backward",
    "embedding_forward",
    "gelu",
    "gelu_backward",
    "gelu_forward",
    "gelu_grad",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "layer_norm_backward",
    "layer_norm_forward",
    "linear_backward",
    "linear_forward",
    "log_softmax",
    "log_softmax_backward",
    "log_softmax_forward",
    "logsumexp",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "mse",
    "mse_backward",
    "mse_forward",
    "mse_grad",
    "relu",
    "relu_backward",
    "relu_forward",
    "relu_grad",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "scaled_dot_product_attention_backward",
    "scaled_dot_product_attention_forward",
    "sigmoid",
    "sigmoid_backward",
    "sigmoid_forward",
    "sigmoid_grad",
    "softmax",
    "softmax_backward",
    "softmax_forward",
    "softmax_jacobian",
    "tanh",
    "tanh_backward",
    "tanh_forward",
    "tanh_grad",
]


def _float(name: str, x: Any) -> np.ndarray:
    """``x`` as a float array: floats keep their dtype, ints and bools become float64."""
    check_array(name, x, None, dtype_kind="fiub")
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _value(forward: Callable[..., Any], x: Any, **settings: Any) -> np.ndarray:
    return forward(_float("x", x), **settings)[0]


def _slope(forward: Callable[..., Any], backward: Callable[..., Any], x: Any) -> np.ndarray:
    """Derivative of an element-wise kernel: its backward with an upstream gradient of ones."""
    x = _float("x", x)
    out, cache = forward(x)
    return backward(np.ones_like(out), cache)


# ---------------------------------------------------------------------- element-wise activations
def sigmoid(x: Any) -> np.ndarray:
    """1 / (1 + exp(-x)), without overflow for any x. x: any shape -> same shape."""
    return _value(sigmoid_forward, x)


def sigmoid_grad(x: Any) -> np.ndarray:
    """sigmoid(x) * (1 - sigmoid(x)); largest (0.25) at 0. x: any shape -> same shape."""
    return _slope(sigmoid_forward, sigmoid_backward, x)


def tanh(x: Any) -> np.ndarray:
    """tanh(x). x: any shape -> same shape."""
    return _value(tanh_forward, x)


def tanh_grad(x: Any) -> np.ndarray:
    """1 - tanh(x)^2; largest (1) at 0. x: any shape -> same shape."""
    return _slope(tanh_forward, tanh_backward, x)


def relu(x: Any) -> np.ndarray:
    """max(x, 0). x: any shape -> same shape."""
    return _value(relu_forward, x)


def relu_grad(x: Any) -> np.ndarray:
    """1 where x > 0, else 0 (0 at x = 0 as torch; 1 at NaN, where torch passes the gradient). Same shape."""
    return _slope(relu_forward, relu_backward, x)


def gelu(x: Any) -> np.ndarray:
    """x * Phi(x), Phi the standard normal CDF (torch's exact GELU). x: any shape -> same shape."""
    return _value(gelu_forward, x)


def gelu_grad(x: Any) -> np.ndarray:
    """Phi(x) + x * phi(x), phi the standard normal density. x: any shape -> same shape."""
    return _slope(gelu_forward, gelu_backward, x)


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
    return _value(softmax_forward, z, dim=axis)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """z - logsumexp(z) along ``axis``, computed stably. z: (..., C) -> same shape."""
    return _value(log_softmax_forward, z, dim=axis)


def softmax_jacobian(z: Any) -> np.ndarray:
    """d softmax(z)_i / d z_j = p_i (delta_ij - p_j) along the last axis. z: (..., C) -> (..., C, C)."""
    p = softmax(z)  # (..., C)
    return p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]  # (..., C, C)


# ---------------------------------------------------------------------- losses (mean reduction)
def _check_labels(logits: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    dims = check_array("logits", logits, ("N", "C"), dtype_kind="f")
    check_array("y", y, ("N",), dims=dims, dtype_kind="iu")
    logits, y = np.asarray(logits), np.asarray(y)
    if logits.shape[0] == 0:
        raise ValueError("logits must have at least one row, got shape (0, C)")
    if y.min() < 0 or y.max() >= dims["C"]:
        raise ValueError(f"y must hold class indices in [0, {dims['C']}), got values in [{y.min()}, {y.max()}]")
    return logits, y


def cross_entropy(logits: Any, y: Any) -> float:
    """Mean over the batch of -log softmax(logits)[n, y[n]]. logits: (N, C) float, y: (N,) int in [0, C)."""
    return cross_entropy_forward(*_check_labels(logits, y))[0]


def cross_entropy_grad(logits: Any, y: Any) -> np.ndarray:
    """d cross_entropy / d logits = (softmax(logits) - onehot(y)) / N. Shapes as ``cross_entropy``; returns (N, C).

    This is also chapter 03's ``softmax_cross_entropy_backward`` exercise: one function, one home.
    """
    _, cache = cross_entropy_forward(*_check_labels(logits, y))
    return cross_entropy_backward(1.0, cache)  # (N, C)


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

    Computed as max(z, 0) - y z + log1p(exp(-|z|)): stable and exact in both tails.
    """
    return bce_with_logits_forward(*_check_binary(z, y))[0]


def binary_cross_entropy_with_logits_grad(z: Any, y: Any) -> np.ndarray:
    """d loss / d z = (sigmoid(z) - y) / N. z, y: (N,) -> (N,)."""
    _, cache = bce_with_logits_forward(*_check_binary(z, y))
    return bce_with_logits_backward(1.0, cache)


def _check_pair(pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    check_array("pred", pred, None, dtype_kind="f")
    pred = np.asarray(pred)
    check_array("target", target, pred.shape, dtype_kind="fiu")
    if pred.size == 0:
        raise ValueError(f"pred must not be empty, got shape {pred.shape}")
    return pred, np.asarray(target)


def mse(pred: Any, target: Any) -> float:
    """mean((pred - target)^2) over every entry. pred: any shape, float; target: same shape."""
    return mse_forward(*_check_pair(pred, target))[0]


def mse_grad(pred: Any, target: Any) -> np.ndarray:
    """d mse / d pred = 2 (pred - target) / pred.size. Returns the shape of pred."""
    _, cache = mse_forward(*_check_pair(pred, target))
    return mse_backward(1.0, cache)

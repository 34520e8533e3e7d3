"""Scaled dot-product attention, forward and backward, with torch's semantics.

``out, cache = scaled_dot_product_attention_forward(q, k, v, attn_mask=, is_causal=, dropout_mask=,
dropout_p=, scale=)`` and ``dq, dk, dv = scaled_dot_product_attention_backward(dout, cache)``.

Shapes (as ``torch.nn.functional.scaled_dot_product_attention``): q (..., L, E), k (..., S, E),
v (..., S, Ev) -> out (..., L, Ev); the leading axes broadcast against each other. The steps::

    scores = q @ k^T * scale            (..., L, S), scale = 1 / sqrt(E) unless given
    scores = scores + mask              bool mask: True = may attend, False adds -inf; float: added
    attn   = softmax(scores, axis=-1)   each query's weights over the S keys sum to 1
    attn_d = attn * dropout_mask / (1 - p)      only when dropout_p > 0, with a given (fixed) mask
    out    = attn_d @ v

``is_causal=True`` lets query i see keys 0..i only (torch's top-left aligned lower triangle of an
(L, S) matrix); it cannot be combined with ``attn_mask`` (torch refuses too).

A query whose row is masked everywhere (every key -inf) has no distribution to average with. A plain
softmax gives NaN there; like torch's ``F.scaled_dot_product_attention`` on CPU, this kernel returns
zero weights, a zero output row and zero gradients for that query instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse.scratch.functional.activations import softmax_backward, softmax_forward

Kernel = tuple[np.ndarray, dict[str, Any]]


def _shape_error(name: str, shape: tuple[int, ...], want: tuple[int, ...]) -> ValueError:
    return ValueError(
        f"{name} with shape {tuple(shape)} does not broadcast to the attention scores' shape {tuple(want)} (..., L, S)"
    )


def _additive_mask(
    attn_mask: Any, is_causal: bool, scores_shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray | None:
    """The mask as a float array to add to the scores (broadcastable to ``scores_shape``), or None."""
    lq, s = scores_shape[-2:]
    if is_causal:
        if attn_mask is not None:
            raise ValueError("pass either attn_mask or is_causal=True, not both (as torch)")
        attn_mask = np.tril(np.ones((lq, s), dtype=bool))
    if attn_mask is None:
        return None
    mask = np.asarray(attn_mask)
    try:
        if np.broadcast_shapes(mask.shape, scores_shape) != tuple(scores_shape):
            raise _shape_error("attn_mask", mask.shape, scores_shape)
    except ValueError as exc:
        raise _shape_error("attn_mask", mask.shape, scores_shape) from exc
    if mask.dtype == bool:
        return np.where(mask, dtype.type(0), dtype.type(-np.inf))
    if mask.dtype.kind != "f":
        raise ValueError(f"attn_mask must be a bool or float array, got dtype {mask.dtype}")
    return mask.astype(dtype, copy=False)


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def scaled_dot_product_attention_forward(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    *,
    attn_mask: np.ndarray | None = None,
    is_causal: bool = False,
    dropout_mask: np.ndarray | None = None,
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> Kernel:
    """q (..., L, E), k (..., S, E), v (..., S, Ev) -> out (..., L, Ev).

    Args:
        attn_mask: broadcastable to (..., L, S); bool (True = attend) or float (added to the scores).
        is_causal: apply the lower-triangular mask (query i sees keys j <= i).
        dropout_mask: keep-mask (True/1 = keep) broadcastable to (..., L, S), used when dropout_p > 0;
            it is given, not drawn, so the kernel is deterministic.
        dropout_p: dropout probability of the attention weights, in [0, 1).
        scale: multiplies q @ k^T; default 1 / sqrt(E).

    The cache holds the weights ``attn`` (after the softmax, before dropout) for the caller to read.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"q (..., L, E), k (..., S, E) and v (..., S, Ev) disagree: got q {q.shape}, k {k.shape}, v {v.shape}"
        )
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    dtype = np.result_type(q, k, v)
    scores = q @ np.swapaxes(k, -1, -2)  # (..., L, S), a fresh array: scale and mask it in place
    scores *= dtype.type(scale)
    mask = _additive_mask(attn_mask, is_causal, scores.shape, dtype)
    any_dead = False
    if mask is not None:
        scores += mask
        dead = np.all(scores == -np.inf, axis=-1, keepdims=True)  # rows with nothing to attend to
        any_dead = bool(dead.any())
        if any_dead:
            scores[np.broadcast_to(dead, scores.shape)] = 0
    attn, soft_cache = softmax_forward(scores, dim=-1)  # soft_cache["out"] is a private copy of attn
    if any_dead:  # zero weights (and so zero output and gradients) for a fully masked row, as torch
        attn[np.broadcast_to(dead, attn.shape)] = 0
        soft_cache["out"][np.broadcast_to(dead, attn.shape)] = 0
    keep = None
    if dropout_p > 0.0:
        if not 0.0 < dropout_p < 1.0:
            raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")
        if dropout_mask is None:
            raise ValueError(
                f"dropout_p > 0 needs a dropout_mask (True = keep) broadcastable to the scores' shape {scores.shape}"
            )
        dm = np.asarray(dropout_mask)
        try:
            np.broadcast_to(dm, scores.shape)
        except ValueError as exc:
            raise _shape_error("dropout_mask", dm.shape, scores.shape) from exc
        keep = dm.astype(dtype) * dtype.type(1.0 / (1.0 - dropout_p))
        attn_d = attn * keep
    else:
        attn_d = attn
    out = attn_d @ v  # (..., L, S) @ (..., S, Ev)
    cache = {
        "q": q.copy(),
        "k": k.copy(),
        "v": v.copy(),
        "attn": soft_cache["out"],
        "attn_d": attn_d if keep is not None else None,
        "keep": keep,
        "softmax": soft_cache,
        "scale": scale,
    }
    return out, cache


def scaled_dot_product_attention_backward(
    dout: np.ndarray, cache: dict[str, Any], *, dattn: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (..., L, Ev) -> (dq like q, dk like k, dv like v).

    ``dattn`` (optional, broadcastable to (..., L, S)) is an extra upstream gradient for the weights
    ``attn`` themselves (before dropout), for callers that also return the weights.

    With P = attn, P_d = P * keep, out = P_d V and scores Z = scale * Q K^T (+ mask, a constant):
    dV = P_d^T dout; dP = (dout V^T) * keep; dZ = softmax backward, row by row,
    P * (dP - sum_j dP_j P_j); dQ = scale * dZ K; dK = scale * dZ^T Q.
    """
    q, k, v = cache["q"], cache["k"], cache["v"]
    attn = cache["attn"]
    attn_d = attn if cache["keep"] is None else cache["attn_d"]
    dv = np.swapaxes(attn_d, -1, -2) @ dout  # (..., S, L) @ (..., L, Ev)
    dp = dout @ np.swapaxes(v, -1, -2)  # (..., L, S)
    if cache["keep"] is not None:
        dp = dp * cache["keep"]
    if dattn is not None:
        dp = dp + dattn
    dz = softmax_backward(dp, cache["softmax"]) * cache["scale"]
    dq = dz @ k  # (..., L, S) @ (..., S, E)
    dk = np.swapaxes(dz, -1, -2) @ q  # (..., S, L) @ (..., L, E)
    return _unbroadcast(dq, q.shape), _unbroadcast(dk, k.shape), _unbroadcast(dv, v.shape)

"""Kernels with weights or masks: ``linear``, ``embedding``, ``dropout``.

``out, cache = name_forward(*arrays, **settings)``; ``grads = name_backward(dout, cache)`` with one
gradient per differentiable input, in argument order (``None`` for an absent bias). Layouts as
torch: Linear ``weight`` is (out_features, in_features); Embedding ``weight`` is
(num_embeddings, embedding_dim). The cache keeps private copies of what backward reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Kernel = tuple[np.ndarray, dict[str, Any]]


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> Kernel:
    """out = x @ weight.T + bias. x: (*, in), weight: (out, in), bias: (out,) or None -> out: (*, out)."""
    x2 = x.reshape(-1, x.shape[-1])  # (M, in): every leading axis is a batch axis
    out = x2 @ weight.T  # (M, in) @ (in, out) -> (M, out)
    if bias is not None:
        out += bias  # (out,) broadcasts over the M rows
    out = out.astype(x.dtype, copy=False).reshape(*x.shape[:-1], weight.shape[0])
    cache = {"x": x2.copy(), "weight": weight.copy(), "bias": bias is not None, "x_shape": x.shape}
    return out, cache


def linear_backward(dout: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """dout: (*, out) -> (dx: (*, in), dweight: (out, in), dbias: (out,) or None).

    out[m, o] = sum_i x[m, i] w[o, i] + b[o], so dW = dout.T @ x, db = sum over rows of dout and
    dx = dout @ W.
    """
    x, w = cache["x"], cache["weight"]
    d2 = dout.reshape(-1, w.shape[0])  # (M, out)
    dx = (d2 @ w).astype(x.dtype, copy=False).reshape(cache["x_shape"])  # (M, out) @ (out, in)
    dweight = d2.T @ x  # (out, M) @ (M, in) -> (out, in)
    dbias = d2.sum(axis=0) if cache["bias"] else None
    return dx, dweight, dbias


def embedding_forward(indices: np.ndarray, weight: np.ndarray, *, padding_idx: int | None = None) -> Kernel:
    """out = weight[indices]. indices: (*) ints in [0, V), weight: (V, D) -> out: (*, D).

    ``padding_idx``: the row that gets no gradient (torch's convention; its value is not changed here).
    """
    out = weight[indices]  # fancy indexing copies
    return out, {
        "indices": indices.reshape(-1).copy(),
        "shape": weight.shape,
        "dtype": weight.dtype,
        "padding_idx": padding_idx,
    }


def embedding_backward(dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """dout: (*, D) -> dweight: (V, D), the sum of the dout rows of every position holding each index.

    The indices are not differentiable: the only gradient is the weight's.
    """
    v, d = cache["shape"]
    idx = cache["indices"]
    rows = dout.reshape(-1, d)  # (M, D), row m belongs to index idx[m]
    dtype = np.result_type(cache["dtype"], dout.dtype)
    if idx.size:
        from scipy.sparse import csr_matrix  # imported here: keeps ``import nncourse`` light

        # dweight = onehot(idx).T @ rows, with the one-hot matrix (V, M) stored sparse: a scatter-add in C
        scatter = csr_matrix((np.ones(idx.size, dtype), (idx, np.arange(idx.size))), shape=(v, idx.size))
        dweight = np.asarray(scatter @ rows.astype(dtype, copy=False))
    else:
        dweight = np.zeros((v, d), dtype=dtype)
    if cache["padding_idx"] is not None:
        dweight[cache["padding_idx"]] = 0
    return dweight


def dropout_forward(x: np.ndarray, mask: np.ndarray, *, p: float) -> Kernel:
    """Inverted dropout with a given keep-mask: out = x * mask / (1 - p). x, mask: same shape.

    ``mask`` is True (or 1) where the entry is kept; scaling the kept entries by 1 / (1 - p) keeps
    the expected output equal to the input, so evaluation needs no rescaling.
    """
    scale = np.asarray(mask, dtype=x.dtype) * x.dtype.type(1.0 / (1.0 - p))  # private copy, mask / (1 - p)
    return x * scale, {"scale": scale}


def dropout_backward(dout: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """With a fixed mask dropout is linear and diagonal: dx = dout * mask / (1 - p)."""
    return dout * cache["scale"]

"""Kernels of the losses: ``cross_entropy``, ``mse``, ``bce_with_logits``.

``loss, cache = name_forward(pred, target, *, reduction="mean", ...)`` and
``dpred = name_backward(dout, cache)``. ``reduction``: ``"mean"`` and ``"sum"`` give a Python float
and take a scalar ``dout`` (1.0 when the loss is the end of the graph); ``"none"`` gives one loss per
element and takes ``dout`` of that shape. Targets are constants: the only gradient is the prediction's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _reduce(per_item: np.ndarray, reduction: str, count: int | None = None) -> Any:
    if reduction == "none":
        return per_item
    total = float(per_item.sum())
    if reduction == "sum":
        return total
    n = per_item.size if count is None else count
    return total / n if n else float("nan")  # torch: the mean over nothing is NaN


def _upstream(dout: Any, cache: dict[str, Any]) -> Any:
    """The factor each element's gradient is multiplied by: dout, divided by the count for "mean"."""
    if cache["reduction"] == "none":
        return np.asarray(dout)
    scale = float(dout)
    return scale / cache["count"] if cache["reduction"] == "mean" else scale


def cross_entropy_forward(
    logits: np.ndarray, target: np.ndarray, *, ignore_index: int = -100, reduction: str = "mean"
) -> tuple[Any, dict[str, Any]]:
    """-log softmax(logits)[target] per item, as ``torch.nn.functional.cross_entropy``.

    logits: (N, C) or (N, C, d1, ...) (classes on axis 1) or (C,); target: (N,) / (N, d1, ...) / ()
    integer class indices in [0, C), or ``ignore_index`` for items that count for nothing (not even
    in the mean's denominator). ``reduction="none"`` gives a loss of target's shape (0 where ignored).
    """
    c = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
    z = np.moveaxis(logits, 1, -1) if logits.ndim > 2 else logits  # classes last: (..., C)
    z = z.reshape(-1, c)  # (M, C)
    t = target.reshape(-1)
    valid = t != ignore_index
    safe_t = np.where(valid, t, 0)
    shifted = z - z.max(axis=1, keepdims=True)  # row max 0: exp cannot overflow
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    e /= total  # softmax, (M, C)
    rows = np.arange(z.shape[0])
    per_item = np.log(total[:, 0]) - shifted[rows, safe_t]  # logsumexp - z[target]
    per_item[~valid] = 0
    count = int(valid.sum())
    loss = _reduce(per_item.reshape(target.shape).astype(logits.dtype, copy=False), reduction, count)
    cache = {
        "probs": e,
        "target": safe_t,
        "valid": valid,
        "count": count,
        "reduction": reduction,
        "shape": logits.shape,
    }
    return loss, cache


def cross_entropy_backward(dout: Any, cache: dict[str, Any]) -> np.ndarray:
    """d loss / d logits = (softmax(logits) - onehot(target)) * dout (/ count for "mean"), 0 for ignored items."""
    grad = cache["probs"].copy()  # (M, C)
    rows = np.arange(grad.shape[0])
    grad[rows, cache["target"]] -= 1.0
    up = _upstream(dout, cache)
    weight = np.where(cache["valid"], np.reshape(up, -1) if np.ndim(up) else up, 0.0)  # (M,)
    grad *= weight[:, None].astype(grad.dtype, copy=False)
    shape = cache["shape"]
    if len(shape) > 2:
        moved = (shape[0], *shape[2:], shape[1])
        return np.moveaxis(grad.reshape(moved), -1, 1)
    return grad.reshape(shape)


def mse_forward(pred: np.ndarray, target: np.ndarray, *, reduction: str = "mean") -> tuple[Any, dict[str, Any]]:
    """(pred - target)^2 per element, reduced. pred and target: the same shape."""
    diff = pred - target
    return _reduce(diff * diff, reduction), {"diff": diff, "count": diff.size, "reduction": reduction}


def mse_backward(dout: Any, cache: dict[str, Any]) -> np.ndarray:
    """d loss / d pred = 2 (pred - target) * dout (/ size for "mean")."""
    diff = cache["diff"]
    return (diff * 2) * np.asarray(_upstream(dout, cache), dtype=diff.dtype)


def bce_with_logits_forward(
    z: np.ndarray, target: np.ndarray, *, reduction: str = "mean"
) -> tuple[Any, dict[str, Any]]:
    """-[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] per element, for logits z and targets y in [0, 1].

    Written as max(z, 0) - y z + log(1 + exp(-|z|)): no log of 0, no overflow, and no cancellation
    for confident predictions (at z = 30, y = 1 the loss is exactly log1p(exp(-30)) ~ 9.4e-14).
    """
    y = np.asarray(target, dtype=z.dtype)
    per_item = np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))
    s = np.asarray(np.negative(z))
    with np.errstate(over="ignore"):
        np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)  # sigmoid(z)
    return _reduce(per_item, reduction), {"residual": s - y, "count": z.size, "reduction": reduction}


def bce_with_logits_backward(dout: Any, cache: dict[str, Any]) -> np.ndarray:
    """d loss / d z = (sigmoid(z) - y) * dout (/ size for "mean")."""
    r = cache["residual"]
    return r * np.asarray(_upstream(dout, cache), dtype=r.dtype)

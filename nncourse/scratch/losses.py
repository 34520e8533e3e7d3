"""Losses: ``CrossEntropyLoss`` and ``MSELoss``, twins of the torch modules (mean reduction).

Losses are not ``Layer`` subclasses: they take two inputs and return a Python float, and their
backward has a different signature:

    loss, cache = criterion.forward(pred, target)
    dpred = criterion.backward(cache, dout=1.0)   # dout = dL/dloss, a scalar (1.0 when loss is L)

``cache`` comes first because ``dout`` is almost always 1.0 at the end of the graph.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array
from nncourse.scratch.base import Cache, require_cache


class _Loss:
    """Shared plumbing: the call shortcut, the scalar ``dout`` check and torch-like ``repr``."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, Cache]:
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, Cache]:
        raise NotImplementedError

    def _start_backward(self, cache: Any, dout: Any) -> tuple[Cache, float]:
        cache = require_cache(self, cache)
        check_array("dout", dout, (), dtype_kind="fiu")
        return cache, float(dout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CrossEntropyLoss(_Loss):
    """Mean cross-entropy between raw scores and integer class labels.

    forward(logits: (N, C) float, target: (N,) int in [0, C)) -> (loss: float, cache)
        loss = mean_n [ log sum_c exp(logits[n, c]) - logits[n, target[n]] ]
    backward(cache, dout: float = 1.0) -> dlogits: (N, C)
    """

    def forward(self, logits: np.ndarray, target: np.ndarray) -> tuple[float, Cache]:
        dims = check_array("logits", logits, ("N", "C"), dtype_kind="f")
        check_array("target", target, ("N",), dims=dims, dtype_kind="iu")
        logits, target = np.asarray(logits), np.asarray(target)
        n, c = logits.shape
        if n == 0:
            raise ValueError("logits must have at least one row, got shape (0, C)")
        if target.min() < 0 or target.max() >= c:
            raise ValueError(f"target must hold class indices in [0, {c}), got values in [{target.min()}, {target.max()}]")
        shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), row max is 0: stable exp
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
        rows = np.arange(n)
        loss = -float(log_probs[rows, target].mean())
        return loss, Cache(self, (), probs=np.exp(log_probs), target=target)

    def backward(self, cache: Cache, dout: float = 1.0) -> np.ndarray:
        """cache from forward, dout = dL/dloss (scalar) -> dlogits: (N, C)."""
        cache, dout = self._start_backward(cache, dout)
        probs, target = cache["probs"], cache["target"]
        n = probs.shape[0]
        # d loss / d logits[n, c] = (softmax[n, c] - [c == target[n]]) / N   (the 1/N is the mean)
        grad = probs.copy()  # (N, C)
        grad[np.arange(n), target] -= 1.0
        return grad * (dout / n)


class MSELoss(_Loss):
    """Mean squared error.

    forward(pred: any shape float, target: same shape) -> (loss: float, cache)
        loss = mean((pred - target)^2)
    backward(cache, dout: float = 1.0) -> dpred: same shape as pred
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, Cache]:
        check_array("pred", pred, None, dtype_kind="f")
        pred = np.asarray(pred)
        check_array("target", target, pred.shape, dtype_kind="fiu")
        target = np.asarray(target)
        if pred.size == 0:
            raise ValueError(f"pred must not be empty, got shape {pred.shape}")
        diff = pred - target
        return float(np.mean(diff * diff)), Cache(self, (), diff=diff)

    def backward(self, cache: Cache, dout: float = 1.0) -> np.ndarray:
        """cache from forward, dout = dL/dloss (scalar) -> dpred: same shape as pred."""
        cache, dout = self._start_backward(cache, dout)
        diff = cache["diff"]
        # d mean((p - t)^2) / d p = 2 (p - t) / size
        return diff * (2.0 * dout / diff.size)

"""Losses: ``CrossEntropyLoss``, ``MSELoss`` and ``BCEWithLogitsLoss``, twins of the torch modules.

Losses are layers with two inputs and the same contract, with ``dout`` defaulting to 1.0::

    loss, cache = criterion.forward(pred, target)   # float for reduction "mean"/"sum"
    dpred = criterion.backward(1.0, cache)          # or criterion.backward(cache=cache)

``dout`` is dL/dloss: a scalar for "mean"/"sum", an array of the loss's shape for "none". The
target is a constant: ``backward`` returns the prediction's gradient only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array
from nncourse.scratch import functional as F
from nncourse.scratch.base import Cache, Layer
from nncourse.scratch.functional.losses import REDUCTIONS


class _Loss(Layer):
    """Shared plumbing: the ``reduction`` setting and the ``backward(dout=1.0, cache=None)`` signature."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def _cache(self, loss: Any, saved: dict[str, Any]) -> Cache:
        return Cache(self, np.shape(loss), saved)

    def _start_backward(self, dout: Any, cache: Any) -> tuple[Any, Cache]:
        if isinstance(dout, Cache) and cache is None:
            raise TypeError(
                f"{type(self).__name__}.backward takes (dout, cache): call backward(1.0, cache) or backward(cache=cache)"
            )
        if isinstance(dout, (int, float, np.number)) and not isinstance(dout, bool):
            dout = np.float64(dout)
        return super()._start_backward(dout, cache)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Cross-entropy between raw scores and integer class labels, as ``torch.nn.CrossEntropyLoss``.

    forward(logits, target):
        logits (N, C), (N, C, d1, ...) or (C,) float; target (N,), (N, d1, ...) or () integers in
        [0, C) or ``ignore_index`` (such items count for nothing, not even in the mean).
        loss = reduce over items of [logsumexp(logits[item]) - logits[item, target[item]]]
    backward(dout=1.0, cache) -> dlogits of logits' shape.
    """

    def __init__(self, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
            raise TypeError(f"ignore_index must be an int, got {type(ignore_index).__name__}")
        self.ignore_index = int(ignore_index)

    def forward(self, logits: np.ndarray, target: np.ndarray) -> tuple[Any, Cache]:
        check_array("logits", logits, None, dtype_kind="f")
        check_array("target", target, None, dtype_kind="iu")
        logits, target = np.asarray(logits), np.asarray(target)
        if logits.ndim == 0:
            raise ValueError("logits must have shape (N, C), (N, C, d1, ...) or (C,), got a scalar")
        want = () if logits.ndim == 1 else logits.shape[:1] + logits.shape[2:]
        if target.shape != want:
            raise ValueError(
                f"target must have shape {want} to match logits of shape {logits.shape} (classes on axis 1), got shape {target.shape}"
            )
        c = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
        if c == 0 or logits.size == 0:
            raise ValueError(f"logits must not be empty, got shape {logits.shape}")
        used = target[target != self.ignore_index]
        if used.size and (used.min() < 0 or used.max() >= c):
            raise ValueError(
                f"target must hold class indices in [0, {c}) or ignore_index={self.ignore_index}, got values in [{used.min()}, {used.max()}]"
            )
        loss, saved = F.cross_entropy_forward(logits, target, ignore_index=self.ignore_index, reduction=self.reduction)
        return loss, self._cache(loss, saved)

    def backward(self, dout: Any = 1.0, cache: Cache | None = None) -> np.ndarray:
        """dout = dL/dloss (scalar, or the loss's shape for "none"); cache from forward -> dlogits."""
        dout, cache = self._start_backward(dout, cache)
        return F.cross_entropy_backward(dout, cache)

    def extra_repr(self) -> str:
        parts = [] if self.ignore_index == -100 else [f"ignore_index={self.ignore_index}"]
        return ", ".join(parts + ([super().extra_repr()] if super().extra_repr() else []))


class _PairLoss(_Loss):
    """A loss of a float prediction and a target of the same shape."""

    kernels: tuple[Any, Any]

    def forward(self, pred: np.ndarray, target: np.ndarray) -> tuple[Any, Cache]:
        check_array("pred", pred, None, dtype_kind="f")
        pred = np.asarray(pred)
        check_array("target", target, pred.shape, dtype_kind="fiub")
        if pred.size == 0:
            raise ValueError(f"pred must not be empty, got shape {pred.shape}")
        loss, saved = type(self).kernels[0](pred, np.asarray(target), reduction=self.reduction)
        return loss, self._cache(loss, saved)

    def backward(self, dout: Any = 1.0, cache: Cache | None = None) -> np.ndarray:
        """dout = dL/dloss (scalar, or pred's shape for "none"); cache from forward -> dpred: pred's shape."""
        dout, cache = self._start_backward(dout, cache)
        return type(self).kernels[1](dout, cache)


class MSELoss(_PairLoss):
    """Squared error (pred - target)^2, reduced; pred any float shape, target the same shape."""

    kernels = (F.mse_forward, F.mse_backward)


class BCEWithLogitsLoss(_PairLoss):
    """Binary cross-entropy of logits z and targets y in [0, 1] (same shape), stable in both tails."""

    kernels = (F.bce_with_logits_forward, F.bce_with_logits_backward)

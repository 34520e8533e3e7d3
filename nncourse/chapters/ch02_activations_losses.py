"""Logistic regression trained by full-batch gradient descent, from scratch in numpy (chapter 02).

One neuron with a sigmoid: for inputs ``X: (N, D)`` the model gives ``p = sigmoid(X @ w + b): (N,)``,
the probability of class 1. The loss is the mean binary cross-entropy, and its gradient is short:

    z = X @ w + b                    (N,)
    loss = mean(log(1 + exp(z)) - y * z)
    dz = (sigmoid(z) - y) / N        (N,)
    dw = X.T @ dz                    (D,)
    db = sum(dz)

Labels are 0 and 1. Gradient descent starts from ``w = 0, b = 0`` and repeats ``w -= lr * dw``.

Argument order, shared with chapter 01: functions that compute outputs take ``(X, w, b)``, like
``weighted_sum``; functions that update the parameters take ``(w, b, X, y, lr)``, like ``update``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array
from nncourse.scratch import functional as F


def _check(w: Any, b: Any, X: Any, y: Any) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    dims = check_array("X", X, ("N", "D"), dtype_kind="fiu")
    check_array("w", w, ("D",), dims=dims, dtype_kind="fiu")
    check_array("y", y, ("N",), dims=dims, dtype_kind="fiub")
    check_array("b", b, (), dtype_kind="fiu")
    y = np.asarray(y)
    if dims["N"] == 0:
        raise ValueError("X must have at least one row, got shape (0, D)")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must contain only the labels 0 and 1")
    return np.asarray(w, dtype=np.float64), float(b), np.asarray(X, dtype=np.float64), y.astype(np.float64)


def _check_lr(lr: Any) -> None:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")


def logits(X: Any, w: Any, b: float) -> np.ndarray:
    """``z = X @ w + b``. X: (N, D), w: (D,), scalar b -> (N,)."""
    dims = check_array("X", X, ("N", "D"), dtype_kind="fiu")
    check_array("w", w, ("D",), dims=dims, dtype_kind="fiu")
    return np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + float(b)  # (N,)


def predict_proba(X: Any, w: Any, b: float) -> np.ndarray:
    """Probability of class 1, ``sigmoid(X @ w + b)``: (N,)."""
    return F.sigmoid(logits(X, w, b))


def predict(X: Any, w: Any, b: float) -> np.ndarray:
    """Class 1 where the probability is above 0.5 (the logit above 0), else 0: (N,) int64."""
    return (logits(X, w, b) > 0).astype(np.int64)


def loss_and_grad(w: Any, b: float, X: Any, y: Any) -> tuple[float, np.ndarray, float]:
    """Mean binary cross-entropy of the model on ``X: (N, D)``, ``y: (N,)`` in {0, 1}, and its gradient.

    Returns ``(loss, dw: (D,), db)`` with ``loss`` and ``db`` Python floats.
    """
    w, b, X, y = _check(w, b, X, y)
    z = X @ w + b  # (N,)
    loss = F.binary_cross_entropy_with_logits(z, y)
    dz = F.binary_cross_entropy_with_logits_grad(z, y)  # (N,) = (sigmoid(z) - y) / N
    return loss, X.T @ dz, float(dz.sum())  # dw: (D,)


def step(w: Any, b: float, X: Any, y: Any, lr: float) -> tuple[np.ndarray, float]:
    """One gradient-descent step: returns a NEW ``(w - lr * dw, b - lr * db)``; the inputs are not modified."""
    _check_lr(lr)
    _, dw, db = loss_and_grad(w, b, X, y)
    return np.asarray(w, dtype=np.float64) - lr * dw, float(b) - lr * db


def fit(X: Any, y: Any, lr: float = 0.5, steps: int = 500) -> tuple[np.ndarray, float, list[float]]:
    """Gradient descent from ``w = 0, b = 0`` for ``steps`` full-batch steps.

    X: (N, D), y: (N,) in {0, 1}. Returns ``(w: (D,), b, losses)`` where ``losses[t]`` is the training
    loss before step ``t`` (``len(losses) == steps``).
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    _check_lr(lr)
    dims = check_array("X", X, ("N", "D"))
    w, b = np.zeros(dims["D"]), 0.0
    losses: list[float] = []
    for _ in range(int(steps)):
        loss, dw, db = loss_and_grad(w, b, X, y)
        if not np.isfinite(loss):
            raise ValueError(f"the loss became {loss} after {len(losses)} steps: lower the learning rate (lr={lr})")
        losses.append(loss)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses

"""The perceptron (chapter 01): a weighted sum, a threshold, and Rosenblatt's learning rule.

Labels are 0 and 1. For one example ``x: (D,)`` the neuron computes ``z = w·x + b`` and outputs
``1`` when ``z > 0``, else ``0``. After a mistake the rule moves the boundary towards the example:

    w <- w + lr * (y - y_hat) * x,     b <- b + lr * (y - y_hat)

(``y - y_hat`` is +1 for a missed positive, -1 for a false positive, 0 when right.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nncourse._validate import check_array


def weighted_sum(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """``z = X @ w + b``. ``X: (N, D)``, ``w: (D,)``, scalar ``b``; returns ``z: (N,)``."""
    dims = check_array("X", X, ("N", "D"))
    check_array("w", w, ("D",), dims=dims)
    return X @ w + b  # (N,)


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Class 1 where ``w·x + b > 0``, else class 0. Returns ``(N,) int64``."""
    return (weighted_sum(X, w, b) > 0).astype(np.int64)  # (N,)


def update(w: np.ndarray, b: float, x: np.ndarray, y: int, lr: float = 1.0) -> tuple[np.ndarray, float]:
    """One step of the perceptron rule on example ``x: (D,)`` with label ``y`` in {0, 1}.

    Returns a NEW ``(w, b)``; the inputs are not modified. Unchanged when the example is classified right.
    """
    dims = check_array("w", w, ("D",))
    check_array("x", x, ("D",), dims=dims)
    if y not in (0, 1):
        raise ValueError(f"y must be 0 or 1, got {y!r}")
    y_hat = int(x @ w + b > 0)
    error = y - y_hat  # -1, 0 or +1
    return w + lr * error * x, float(b + lr * error)


@dataclass
class PerceptronResult:
    """What ``train`` found: the weights, the bias, and the mistakes made in each epoch."""

    w: np.ndarray
    b: float
    mistakes: list[int] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.mistakes)

    @property
    def converged(self) -> bool:
        """True when the last epoch made no mistake: every training point is classified right."""
        return bool(self.mistakes) and self.mistakes[-1] == 0


def train(X: np.ndarray, y: np.ndarray, lr: float = 1.0, max_epochs: int = 100) -> PerceptronResult:
    """Run the perceptron rule over ``X: (N, D)``, ``y: (N,)`` in order, epoch after epoch.

    Starts from ``w = 0``, ``b = 0``; stops after the first epoch without a mistake (converged) or
    after ``max_epochs``. The perceptron convergence theorem promises a stop for linearly separable
    data; on XOR it never happens.
    """
    dims = check_array("X", X, ("N", "D"))
    check_array("y", y, ("N",), dims=dims)
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must contain only the labels 0 and 1")
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be >= 1, got {max_epochs}")
    w, b = np.zeros(X.shape[1]), 0.0
    result = PerceptronResult(w, b)
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y, strict=True):
            w_new, b_new = update(w, b, x_i, int(y_i), lr)
            mistakes += int(b_new != b or not np.array_equal(w_new, w))
            w, b = w_new, b_new
        result.mistakes.append(mistakes)
        if mistakes == 0:
            break
    result.w, result.b = w, b
    return result

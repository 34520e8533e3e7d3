"""Exercise 07: regularization. Five tasks on plain arrays: dropout forward and backward with a given
mask, the L2 penalty and its gradient, the epoch early stopping keeps, and batch norm in training mode."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.chapters import ch07_regularization as ref
from nncourse.checks import Case, Exercise, Task, compare
from nncourse.scratch import BatchNorm1d

EXERCISE_ID = "07_regularization"


def _l2_one(W: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    penalty, grads = ref.l2_penalty({"W": W}, lam)
    return penalty, grads["W"]


def _batchnorm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    layer = BatchNorm1d(x.shape[1], eps=eps)
    layer.params["weight"][...] = gamma
    layer.params["bias"][...] = beta
    out, _ = layer.forward(x)  # training mode: the batch's own mean and (biased) variance
    return out


def _verify_batchnorm(case: Case, expected: np.ndarray, got: Any) -> str | None:
    """``compare``, and when it fails, name the statistic that is off (per row instead of per feature, or N - 1)."""
    msg = compare(expected, got, rtol=1e-6, atol=1e-8)
    if msg is None or not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return msg
    x, gamma, beta, eps = (*case.args, 1e-5)[:4]
    per_row = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps) * gamma + beta
    unbiased = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + eps) * gamma + beta if len(x) > 1 else None
    if np.allclose(got, per_row, rtol=1e-6, atol=1e-8):
        return (
            msg
            + " (your statistics are taken per row: batch norm takes each feature's mean and variance over the batch)"
        )
    if unbiased is not None and np.allclose(got, unbiased, rtol=1e-6, atol=1e-8):
        return msg + " (your variance divides by N - 1: batch norm uses the batch's own variance, dividing by N)"
    return msg


def _mask(rng: np.random.Generator, shape: tuple[int, ...], p: float) -> np.ndarray:
    return rng.random(shape) >= p  # True = kept


def _dropout_cases(seed: int, shapes: tuple[tuple[int, ...], ...], backward: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 4))
    cases = [
        Case(
            "p = 0 keeps everything",
            (x, 0.0, np.ones((3, 4), dtype=bool)),
            hint="with p = 0 the scale 1 / (1 - p) is 1: the output equals the input",
        ),
        Case(
            "p = 0.5, scale the kept entries",
            (x, 0.5, _mask(rng, (3, 4), 0.5)),
            hint="kept entries grow so that the expected value stays the same: check the direction of the scaling",
        ),
    ]
    for shape in shapes:
        p = float(np.round(rng.uniform(0.1, 0.8), 2))
        cases.append(Case(f"shape {shape}, p = {p}", (rng.normal(size=shape), p, _mask(rng, shape, p))))
    if backward:
        cases.append(Case("batch of one", (rng.normal(size=(1, 5)), 0.2, _mask(rng, (1, 5), 0.2))))
    return cases


def _l2_cases(seed: int, shapes: tuple[tuple[int, ...], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = [
        Case(
            "a 2 x 2 matrix",
            (np.array([[1.0, -2.0], [0.5, 3.0]]), 0.1),
            hint="the penalty has a factor 1/2, so that its gradient carries lam alone",
        ),
        Case("lam = 0", (rng.normal(size=(3, 2)), 0.0)),
    ]
    for shape in shapes:
        cases.append(Case(f"shape {shape}", (rng.normal(size=shape), float(np.round(rng.uniform(0.01, 1.0), 3)))))
    return cases


def _early_cases(seed: int, n: int, noise: float, patiences: tuple[int, int]) -> list[Case]:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    curve = 1.0 / (1.0 + 0.3 * t) + 0.015 * t + noise * rng.normal(size=n)  # falls, then rises, with noise
    noisy = [float(v) for v in np.round(curve, 4)]
    short, long = patiences
    return [
        Case(
            "stops after 2 bad epochs",
            ([1.0, 0.8, 0.7, 0.75, 0.72, 0.6], 2),
            hint="count the epochs since the best one; stop when that count reaches patience, before seeing the later 0.6",
        ),
        Case(
            "a tie is not an improvement",
            ([0.9, 0.5, 0.5, 0.4], 1),
            hint="an epoch improves only if its loss is strictly lower than the best so far",
        ),
        Case(
            "patience longer than the run",
            ([0.5, 0.4, 0.45, 0.3, 0.35], 10),
            hint="if training never stops, the kept epoch is simply the best one overall (0-based)",
        ),
        Case(f"{n} noisy epochs, patience {short}", (noisy, short)),
        Case(f"{n} noisy epochs, patience {long}", (noisy, long)),
    ]


def _bn_cases(seed: int, shapes: tuple[tuple[int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    constant = np.column_stack([np.full(4, 3.0), rng.normal(size=4)])  # first feature is the same in every row
    cases = [
        Case(
            "two rows, gamma = 1, beta = 0",
            (np.array([[0.0, 100.0], [200.0, 700.0]]), np.ones(2), np.zeros(2), 1e-5),
        ),
        Case(
            "a constant feature",
            (constant, np.array([2.0, 1.0]), np.array([0.5, -1.0]), 1e-5),
            hint="a constant column has variance 0: eps keeps the division finite and the output is beta",
        ),
    ]
    for n, c in shapes:
        x = rng.normal(loc=rng.normal(size=c) * 3, scale=rng.uniform(0.5, 4, size=c), size=(n, c))
        cases.append(Case(f"{n} x {c} batch", (x, rng.normal(size=c), rng.normal(size=c), 1e-3)))
    return cases


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="Regularization",
    tasks=[
        Task(
            "dropout_forward",
            ref.dropout_forward,
            lambda: _dropout_cases(0, ((5, 6),), False),
            lambda seed=70: _dropout_cases(seed, ((8, 3), (2, 3, 4)), False),
        ),
        Task(
            "dropout_backward",
            ref.dropout_backward,
            lambda: _dropout_cases(1, ((4, 7),), True),
            lambda seed=71: _dropout_cases(seed, ((6, 2), (10,)), True),
        ),
        Task(
            "l2_penalty_and_grad",
            _l2_one,
            lambda: _l2_cases(2, ((4, 3),)),
            lambda seed=72: _l2_cases(seed, ((5, 2), (7,), (3, 3, 2))),
            outputs=("penalty", "dW"),
        ),
        Task(
            "early_stopping_epoch",
            ref.early_stopping_epoch,
            lambda: _early_cases(3, 20, 0.04, (3, 8)),
            lambda seed=73: _early_cases(seed, 40, 0.06, (2, 3)),
            points=2,
        ),
        Task(
            "batchnorm_train_forward",
            _batchnorm_train,
            lambda: _bn_cases(4, ((6, 3),)),
            lambda seed=74: _bn_cases(seed, ((5, 4), (32, 8))),
            points=2,
            verify=_verify_batchnorm,
        ),
    ],
)

"""Exercise 01: the perceptron. Three tasks: ``predict``, ``update``, ``train_perceptron``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.chapters import ch01_perceptron as ref
from nncourse.checks import Case, Exercise, Task, compare
from nncourse.data import blobs, xor

EXERCISE_ID = "01_perceptron"


def _train_tuple(
    X: np.ndarray, y: np.ndarray, lr: float = 1.0, max_epochs: int = 100
) -> tuple[np.ndarray, float, list[int]]:
    result = ref.train(X, y, lr=lr, max_epochs=max_epochs)
    return result.w, result.b, result.mistakes


def _verify_classes(case: Case, expected: np.ndarray, got: Any) -> str | None:
    """``compare``, and the classes must be integers (the task says so): 0.0 and 1.0 are not accepted."""
    msg = compare(expected, got)
    if msg is None and got.dtype.kind not in "iu":
        return f"the classes should be an integer array, got dtype {got.dtype}: convert the comparison's result to integers"
    return msg


def _predict_cases(seed: int, sizes: tuple[int, ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    on_boundary = (np.array([[1.0, -1.0]]), np.array([1.0, 1.0]), 0.0)
    cases = []
    for n in sizes:
        d = int(rng.integers(1, 5))
        cases.append(Case(f"{n} points in {d}-D", (rng.normal(size=(n, d)), rng.normal(size=d), float(rng.normal()))))
    cases.insert(
        1,
        Case(
            "one point on the boundary",
            on_boundary,
            hint="z = 0 exactly gives class 0: only a strictly positive z is class 1",
        ),
    )
    return cases


def _update_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=3), rng.normal(size=3)
    right = int(x @ w + 0.5 > 0)
    return [
        Case("correct example: no change", (w, 0.5, x, right, 1.0)),
        Case("missed positive", (np.zeros(2), 0.0, np.array([1.0, 2.0]), 1, 1.0)),
        Case("false positive, lr=0.5", (np.array([1.0, 1.0]), 0.0, np.array([2.0, 1.0]), 0, 0.5)),
        Case("random example, lr=0.1", (w, -0.2, x, 1 - right, 0.1)),
    ]


def _train_cases(seed: int) -> list[Case]:
    Xb, yb = blobs(30, seed=seed)
    Xx, yx = xor(4, noise=0.0)
    return [
        Case("two points", (np.array([[1.0, 1.0], [-1.0, -2.0]]), np.array([1, 0]))),
        Case("separable blobs", (Xb, yb), {"lr": 1.0, "max_epochs": 50}),
        Case("XOR never converges", (Xx, yx), {"lr": 1.0, "max_epochs": 12}),
    ]


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="The perceptron",
    tasks=[
        Task(
            "predict",
            ref.predict,
            lambda: _predict_cases(0, (5, 1)),
            lambda seed=101: _predict_cases(seed, (7, 1, 40)),
            verify=_verify_classes,
            substitutable=True,
        ),
        Task(
            "update",
            ref.update,
            lambda: _update_cases(0),
            lambda seed=202: _update_cases(seed),
            outputs=("w", "b"),
            substitutable=True,
        ),
        Task(
            "train_perceptron",
            _train_tuple,
            lambda: _train_cases(0),
            lambda seed=303: _train_cases(seed),
            points=2,
            outputs=("w", "b", "mistakes"),
            requires=("update",),
        ),
    ],
)

"""Exercise 02: activations and losses. Tasks: ``sigmoid``, ``sigmoid_grad``, ``logsumexp``,
``cross_entropy``, ``cross_entropy_grad``, ``logistic_step``."""

from __future__ import annotations

import numpy as np

from nncourse.chapters import ch02_activations_losses as L
from nncourse.checks import Case, Exercise, Task
from nncourse.scratch import functional as F

EXERCISE_ID = "02_activations_losses"

HUGE_HINT = "exp(1000) overflows to inf: shift each row so that its largest logit is 0 before exponentiating, and undo the shift"


def _elementwise_cases(seed: int, shapes: tuple[tuple[int, ...], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = [Case("x = 0", (np.zeros(1),))]
    for shape in shapes:
        cases.append(Case(f"random x of shape {shape}", (rng.normal(scale=3.0, size=shape),)))
    cases.append(
        Case(
            "saturated inputs",
            (np.array([-800.0, -40.0, -5.0, 5.0, 40.0, 800.0]),),
            hint="np.exp overflows above about 709 (here x = ±800): rewrite σ(x) so that, for either sign of x, only e to a non-positive power is computed",  # noqa: RUF001
        )
    )
    return cases


def _logit_cases(seed: int, shapes: tuple[tuple[int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = [Case(f"random logits of shape {shape}", (rng.normal(scale=2.0, size=shape),)) for shape in shapes]
    cases.append(
        Case(
            "batch size 1",
            (rng.normal(size=(1, 4)),),
            hint="one value per row, also for a single row: reduce over the classes only",
        )
    )
    cases.append(Case("logits of 1000", (np.array([[1000.0, 999.0, 0.0], [-1000.0, 0.0, 1.0]]),), hint=HUGE_HINT))
    return cases


def _label_cases(
    seed: int, shapes: tuple[tuple[int, int], ...], huge_hint: str, one_hint: str, first_hint: str = ""
) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    for n, c in shapes:
        args = (rng.normal(scale=2.0, size=(n, c)), rng.integers(0, c, size=n))
        cases.append(Case(f"{n} examples, {c} classes", args, hint="" if cases else first_hint))
    cases.append(Case("batch size 1", (rng.normal(size=(1, 3)), np.array([2])), hint=one_hint))
    huge = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]])
    cases.append(Case("logits of 1000", (huge, np.array([1, 2])), hint=huge_hint))
    return cases


def _logistic_cases(seed: int, sizes: tuple[tuple[int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    for n, d in sizes:
        X = rng.normal(size=(n, d))
        y = rng.integers(0, 2, size=n)
        hint = "" if cases else "the loss is a mean over the N examples, so both gradients carry a factor 1/N"
        cases.append(
            Case(f"{n} examples, {d} features", (rng.normal(size=d), float(rng.normal()), X, y, 0.1), hint=hint)
        )
    cases.append(
        Case(
            "batch size 1",
            (np.array([0.5, -1.0]), 0.25, np.array([[2.0, 1.0]]), np.array([1]), 0.5),
            hint="the weight gradient has the shape of w, (D,), and b stays a float, also when N = 1",
        )
    )
    cases.append(
        Case(
            "start from zero, lr=1",
            (np.zeros(3), 0.0, rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0]), 1.0),
            hint="at w = 0, b = 0 every probability is 0.5: work out the bias gradient by hand and compare",
        )
    )
    return cases


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="Activations and losses",
    tasks=[
        Task(
            "sigmoid",
            F.sigmoid,
            lambda: _elementwise_cases(0, ((5,), (3, 4))),
            lambda seed=11: _elementwise_cases(seed, ((7,), (2, 3, 2))),
        ),
        Task(
            "sigmoid_grad",
            F.sigmoid_grad,
            lambda: _elementwise_cases(1, ((5,), (3, 4))),
            lambda seed=12: _elementwise_cases(seed, ((9,), (4, 2))),
        ),
        Task(
            "logsumexp",
            F.logsumexp,
            lambda: _logit_cases(2, ((4, 3), (2, 10))),
            lambda seed=13: _logit_cases(seed, ((6, 5), (3, 2))),
        ),
        Task(
            "cross_entropy",
            F.cross_entropy,
            lambda: _label_cases(
                3,
                ((4, 3), (8, 5)),
                HUGE_HINT + " (your logsumexp does it; a log of a softmax does not)",
                "each row contributes the logit of its own label y[n]: one number per row, not an (N, N) table",
            ),
            lambda seed=14: _label_cases(
                seed, ((5, 2), (7, 6)), HUGE_HINT, "each row contributes the logit of its own label"
            ),
        ),
        Task(
            "cross_entropy_grad",
            F.cross_entropy_grad,
            lambda: _label_cases(
                4,
                ((4, 3), (6, 5)),
                HUGE_HINT + " (a stable softmax)",
                "the one-hot part touches only each row's own label, and the whole gradient carries the mean's 1/N",
                first_hint="the loss is a mean over N examples: did you divide by N?",
            ),
            lambda seed=15: _label_cases(
                seed,
                ((3, 4), (9, 2)),
                HUGE_HINT,
                "the whole gradient carries the mean's 1/N",
                first_hint="the loss is a mean: divide by N",
            ),
        ),
        Task(
            "logistic_step",
            L.step,
            lambda: _logistic_cases(5, ((10, 3), (4, 5))),
            lambda seed=16: _logistic_cases(seed, ((12, 2), (7, 4))),
            points=2,
            outputs=("w", "b"),
        ),
    ],
)

"""Exercise 03: forward and backward of a two-layer MLP in numpy, piece by piece.

Tasks (math convention ``Z = X @ W + b`` with ``W: (D_in, D_out)``): ``linear_forward``,
``linear_backward``, ``relu_backward``, ``softmax_cross_entropy_backward``, ``mlp_gradients``.
References: ``nncourse.chapters.ch03_mlp_backprop`` (math-convention wrappers of the
``nncourse.scratch.functional`` kernels); ``softmax_cross_entropy_backward`` is ``functional.cross_entropy_grad``.
"""

from __future__ import annotations

import numpy as np

from nncourse.chapters import ch03_mlp_backprop as ref
from nncourse.checks import Case, Exercise, Task
from nncourse.scratch import functional as F

EXERCISE_ID = "03_mlp_backprop"

TRANSPOSE_HINT = (
    "each gradient has the shape of what it is the gradient of: dX like X (N, D), dW like W (D, H), db like b (H,)"
)
BATCH_OF_ONE_HINT = "with N = 1 every array stays 2-D, (1, D) and (1, H): nothing may be squeezed away, and db still sums over the batch"


def _layer(rng: np.random.Generator, n: int, d: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return rng.normal(size=(n, d)), rng.normal(size=(d, h)) / np.sqrt(d), rng.normal(size=h)  # X, W, b


def _forward_cases(seed: int, shapes: tuple[tuple[int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, d, h in shapes:
        label = "batch of 1" if n == 1 else f"X ({n}, {d}), W ({d}, {h})"
        hint = (
            "one example is still a batch: the result is (1, H)"
            if n == 1
            else "the bias is added to every row of the product"
        )
        cases.append(Case(label, _layer(rng, n, d, h), hint=hint))
    return cases


def _backward_cases(seed: int, shapes: tuple[tuple[int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, d, h in shapes:
        X, W, _ = _layer(rng, n, d, h)
        dZ = rng.normal(size=(n, h))
        label = "batch of 1" if n == 1 else f"X ({n}, {d}), W ({d}, {h})"
        cases.append(Case(label, (dZ, X, W), hint=BATCH_OF_ONE_HINT if n == 1 else TRANSPOSE_HINT))
    return cases


def _relu_cases(seed: int, shape: tuple[int, int]) -> list[Case]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    x.flat[::3] = 0.0  # exact zeros: the kink
    cases = [
        Case(
            f"random {shape}",
            (rng.normal(size=shape), rng.normal(size=shape)),
            hint="the gradient passes where the input was positive and stops elsewhere",
        ),
        Case(
            "x exactly 0",
            (rng.normal(size=shape), x),
            hint="relu'(0) is taken as 0 (as torch does): at exactly 0 the gradient stops",
        ),
        Case("one value", (np.array([2.5]), np.array([-1.0]))),
    ]
    return cases


def _softmax_cases(seed: int, n: int, c: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    return [
        Case(
            f"logits ({n}, {c})",
            (rng.normal(size=(n, c)) * 2, rng.integers(0, c, size=n)),
            hint="the loss is a mean over the N rows, so its gradient carries a factor 1/N",
        ),
        Case(
            "batch of 1", (rng.normal(size=(1, c)), np.array([c - 1])), hint="N = 1: logits is (1, C), the result too"
        ),
        Case(
            "huge logits",
            (np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]]), np.array([1, 1])),
            hint="exp(1000) overflows to inf and gives NaN: shift each row so that its largest logit is 0 first",
        ),
    ]


def _mlp_cases(seed: int, shapes: tuple[tuple[int, int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, d, h, c in shapes:
        args = (
            rng.normal(size=(n, d)),
            rng.integers(0, c, size=n),
            rng.normal(size=(d, h)) / np.sqrt(d),
            rng.normal(size=h) * 0.5,
            rng.normal(size=(h, c)) / np.sqrt(h),
            rng.normal(size=c) * 0.5,
        )
        label = f"batch of 1, D={d}, H={h}, C={c}" if n == 1 else f"N={n}, D={d}, H={h}, C={c}"
        hint = (
            BATCH_OF_ONE_HINT
            if n == 1
            else "run the forward pass keeping Z1 and H, then your backward functions in reverse order of the layers"
        )
        cases.append(Case(label, args, hint=hint))
    return cases


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="MLP forward and backward",
    tasks=[
        Task(
            "linear_forward",
            ref.linear_forward,
            lambda: _forward_cases(0, ((4, 3, 5), (1, 2, 3))),
            lambda seed=100: _forward_cases(seed, ((6, 4, 2), (1, 5, 3), (10, 2, 7))),
        ),
        Task(
            "linear_backward",
            ref.linear_backward,
            lambda: _backward_cases(1, ((5, 3, 4), (1, 3, 2))),
            lambda seed=101: _backward_cases(seed, ((7, 2, 6), (1, 4, 3), (3, 5, 8))),
            points=2,
            outputs=("dX", "dW", "db"),
        ),
        Task(
            "relu_backward",
            ref.relu_backward,
            lambda: _relu_cases(2, (4, 5)),
            lambda seed=102: _relu_cases(seed, (6, 3)),
        ),
        Task(
            "softmax_cross_entropy_backward",
            F.cross_entropy_grad,
            lambda: _softmax_cases(3, 5, 3),
            lambda seed=103: _softmax_cases(seed, 8, 3),
        ),
        Task(
            "mlp_gradients",
            ref.mlp_gradients,
            lambda: _mlp_cases(4, ((8, 3, 6, 4), (1, 2, 5, 3))),
            lambda seed=104: _mlp_cases(seed, ((12, 2, 7, 3), (1, 4, 3, 2), (5, 6, 9, 4))),
            points=2,
            requires=("linear_forward", "linear_backward", "relu_backward", "softmax_cross_entropy_backward"),
        ),
    ],
)

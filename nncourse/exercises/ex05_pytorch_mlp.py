"""Exercise 05: a PyTorch MLP from a ``state_dict``. Tasks: ``mlp_logits``, ``train_step``, ``choose_learning_rate``.

Networks cross the grader's wire as ``{name: array}`` dictionaries in torch's layout (see
``nncourse.chapters.ch05_pytorch_mlp``, which holds the references). ``choose_learning_rate`` is the
reasoning task: any rate that meets the stated loss is accepted, checked by training with it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse.chapters import ch05_pytorch_mlp as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "05_pytorch_mlp"
MIN_LR, MAX_LR = 1e-3, 10.0
"""The range of learning rates ``choose_learning_rate`` may return (stated in the task)."""


def _net_cases(seed: int, shapes: tuple[tuple[int, ...], ...], with_lr: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for k, sizes in enumerate(shapes):
        n = 1 if k == 1 else int(rng.integers(3, 9))
        X = rng.normal(size=(n, sizes[0]))
        state = ref.initial_state(list(sizes), seed=seed + k)
        label = f"{n} example{'s' if n > 1 else ''}, sizes {list(sizes)}"
        if with_lr:
            y = rng.integers(0, sizes[-1], size=n)
            lr = float(np.round(rng.uniform(0.1, 1.0), 2))
            hint = (
                ""
                if k
                else (
                    "an SGD step moves each parameter against its gradient; the gradients come from "
                    "the mean cross-entropy of this one batch, and old gradients must not linger"
                )
            )
            cases.append(Case(f"{label}, lr={lr}", (X, y, state, lr), hint=hint))
        else:
            hint = (
                ""
                if k
                else (
                    "torch stores a Linear weight as (out_features, in_features): read the layer sizes "
                    "from the weight's shape in that order"
                )
            )
            cases.append(Case(label, (X, state), hint=hint))
    return cases


def _lr_cases(seeds: tuple[int, ...], steps: tuple[int, ...], target: float) -> list[Case]:
    cases = []
    for seed, n_steps in zip(seeds, steps, strict=True):
        X, y, state = ref.xor_problem(seed=seed)
        cases.append(Case(f"XOR (seed {seed}), {n_steps} steps, loss below {target}", (X, y, state, n_steps, target)))
    return cases


def _verify_lr(case: Case, expected: Any, got: Any) -> str | None:
    """Accept any learning rate with which the reference training meets the target."""
    X, y, state, steps, target = case.args
    if (
        isinstance(got, bool)
        or not isinstance(got, (int, float, np.integer, np.floating))
        or not math.isfinite(float(got))
        or got <= 0
    ):
        return f"expected a positive number (the learning rate), got {type(got).__name__} {got!r:.40}"
    if not MIN_LR <= got <= MAX_LR:
        return (
            f"the learning rate must lie between {MIN_LR} and {MAX_LR}, got {float(got):.4g}: with larger rates the "
            "weights jump so far that a low loss is luck of the starting point, not a choice"
        )
    loss = ref.loss_after(X, y, state, float(got), steps)
    if loss < target:
        return None
    verdict = "the training blew up" if not math.isfinite(loss) else f"the loss ends at {loss:.4f}"
    return (
        f"with lr = {float(got):.4g}, {steps} steps: {verdict}, not below {target}; "
        "too small a rate creeps, too large a rate overshoots: try rates a factor of 2 to 3 apart"
    )


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="A PyTorch MLP",
    prelude="import numpy as np\nimport torch\nfrom torch import nn\n",
    imports=(
        "torch",
        "torch._dynamo",
    ),  # an optimizer's constructor imports torch._dynamo, which needs a temporary folder
    tasks=[
        Task(
            "mlp_logits",
            ref.mlp_logits,
            lambda: _net_cases(0, ((3, 5, 2), (4, 6, 3), (2, 8, 8, 3)), False),
            lambda seed=50: _net_cases(seed, ((5, 4, 4), (2, 3, 2), (3, 6, 5, 4, 2)), False),
            rtol=1e-4,
            atol=1e-6,
            substitutable=True,
        ),
        Task(
            "train_step",
            ref.train_step,
            lambda: _net_cases(1, ((2, 4, 2), (3, 5, 3), (2, 6, 6, 3)), True),
            lambda seed=51: _net_cases(seed, ((4, 3, 2), (2, 7, 4), (3, 4, 5, 2)), True),
            points=2,
            rtol=1e-4,
            atol=1e-6,
            substitutable=True,
        ),
        Task(
            "choose_learning_rate",
            ref.choose_learning_rate,
            lambda: _lr_cases((0, 0), (50, 20), 0.05),
            lambda: _lr_cases((1, 2, 3), (40, 20, 30), 0.05),
            points=2,
            verify=_verify_lr,
        ),
    ],
)

"""Exercise 06: optimization. Four tasks: ``momentum_step``, ``adam_step``, ``adamw_step``, ``cosine_lr``.

Each step task takes one parameter array, its gradient and the optimizer's state as plain arrays and
returns the new ones. The references load that state into a ``nncourse.optim`` optimizer and let it
take the step, so the formulas live in one place only.
"""

from __future__ import annotations

import numpy as np

from nncourse.checks import Case, Exercise, Task
from nncourse.optim import SGD, Adam, AdamW, warmup_cosine

EXERCISE_ID = "06_optimization"


def _f64(x: np.ndarray) -> np.ndarray:
    return np.array(x, dtype=np.float64)  # a private float64 copy


def momentum_step(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    """Reference: torch's SGD with momentum, one step from the given velocity buffer (any shape)."""
    p = _f64(param)
    opt = SGD(lr=lr, momentum=momentum)
    opt.state["p"] = {"momentum_buffer": _f64(velocity)}
    opt.step({"p": p}, {"p": _f64(grad)})
    return p, opt.state["p"]["momentum_buffer"]


def _adam_like(
    opt: Adam, param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(t, bool) or int(t) != t or t < 1:
        raise ValueError(f"t is the number of this step, an int >= 1, got {t!r}")
    p = _f64(param)
    opt.state["p"] = {"step": int(t) - 1, "exp_avg": _f64(m), "exp_avg_sq": _f64(v)}
    opt.step({"p": p}, {"p": _f64(grad)})
    state = opt.state["p"]
    return p, state["exp_avg"], state["exp_avg_sq"]


def adam_step(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: step number ``t`` (1-based) of torch's Adam, from moments ``m`` and ``v``."""
    return _adam_like(Adam(lr=lr, betas=(beta1, beta2), eps=eps), param, grad, m, v, t)


def adamw_step(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: step number ``t`` of torch's AdamW (decoupled weight decay)."""
    opt = AdamW(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    return _adam_like(opt, param, grad, m, v, t)


def cosine_lr(step: int, total_steps: int, base_lr: float, min_lr: float = 0.0) -> float:
    """Reference: half a cosine from ``base_lr`` (step 0) to ``min_lr`` (step ``total_steps`` and after)."""
    return warmup_cosine(step, 0, total_steps, base_lr, min_lr)


# ---------------------------------------------------------------------------- cases
def _momentum_cases(seed: int, shape: tuple[int, ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    p, g, b = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
    return [
        Case(
            "first step: velocity zeros",
            (np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.zeros(2), 0.1, 0.9),
            hint="torch's convention: velocity = momentum * velocity + grad (no 1 - momentum factor), then param -= lr * velocity",
        ),
        Case(
            f"random {shape}, momentum 0.9",
            (p, g, b, 0.05, 0.9),
            hint="the gradient enters the velocity undamped: velocity = momentum * velocity + grad",
        ),
        Case(
            "lr 0: the parameter stays, the velocity still moves",
            (p, g, b, 0.0, 0.5),
            hint="update the velocity first, then the parameter with the NEW velocity",
        ),
    ]


def _adam_cases(seed: int, shape: tuple[int, ...], decay: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    p, g = rng.normal(size=shape), rng.normal(size=shape)
    m, v = 0.1 * rng.normal(size=shape), rng.uniform(0.01, 1.0, size=shape)
    extra = {"weight_decay": 0.1} if decay else {}
    cases = [
        Case(
            "t=1 from zero moments",
            (p, g, np.zeros(shape), np.zeros(shape), 1),
            {"lr": 0.01, **extra},
            hint="bias correction: divide m by 1 - beta1**t and v by 1 - beta2**t, with t = 1 on the first step "
            "(the first step then moves every entry by about lr)",
        ),
        Case(
            f"t={7 + seed % 5}, random moments",
            (p, g, m, v, 7 + seed % 5),
            {"lr": 0.003, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, **extra},
            hint="eps is added to sqrt(v_hat), after the square root",
        ),
    ]
    if decay:  # the decay cases first, so that their hints speak to the typical AdamW mistakes
        cases[:0] = [
            Case(
                "weight_decay=0 is plain Adam",
                (p, g, m, v, 3),
                {"lr": 0.01, "weight_decay": 0.0},
                hint="with weight_decay=0 AdamW must give exactly Adam's step",
            ),
            Case(
                "large decay, tiny gradient",
                (p, 1e-6 * g, m, v, 50),
                {"lr": 0.1, "weight_decay": 0.5},
                hint="AdamW shrinks the weight by (1 - lr * weight_decay) and does NOT add "
                "weight_decay * param to the gradient",
            ),
        ]
    else:
        cases.append(
            Case(
                "scalar parameter, late step",
                (np.array([2.0]), np.array([-0.5]), np.array([0.2]), np.array([0.3]), 1000),
            )
        )
    return cases


def _cosine_cases(total: int, base: float, low: float) -> list[Case]:
    return [
        Case("step 0 is the base lr", (0, total, base, low)),
        Case("halfway", (total // 2, total, base, low)),
        Case("a quarter of the way", (total // 4 + 1, total, base, low)),
        Case(
            "last step is min_lr",
            (total, total, base, low),
            hint="at step == total_steps the cosine has turned half a circle: lr = min_lr",
        ),
        Case(
            "past the end stays at min_lr",
            (total + 7, total, base, low),
            hint="for step >= total_steps return min_lr (no restart)",
        ),
        Case("min_lr defaults to 0", (3, total, base)),
    ]


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="Optimization",
    tasks=[
        Task(
            "momentum_step",
            momentum_step,
            lambda: _momentum_cases(0, (3,)),
            lambda seed=606: _momentum_cases(seed, (2, 3)),
            outputs=("param", "velocity"),
        ),
        Task(
            "adam_step",
            adam_step,
            lambda: _adam_cases(0, (4,), False),
            lambda seed=616: _adam_cases(seed, (3, 2), False),
            points=2,
            outputs=("param", "m", "v"),
        ),
        Task(
            "adamw_step",
            adamw_step,
            lambda: _adam_cases(1, (4,), True),
            lambda seed=626: _adam_cases(seed, (5,), True),
            outputs=("param", "m", "v"),
        ),
        Task(
            "cosine_lr",
            cosine_lr,
            lambda: _cosine_cases(100, 0.1, 0.001),
            lambda seed=None: _cosine_cases(37 if seed is None else 20 + seed % 61, 3e-4, 1e-5),
        ),
    ],
)

"""Exercise 08: depth vs width. Tasks: ``count_parameters``, ``sawtooth_state``, ``widest_within_budget``.

``sawtooth_state`` returns a hand-built network as a ``{name: array}`` state in torch's layout; any
network of the stated shape that computes the sawtooth is accepted (checked by ``_verify_sawtooth``,
which runs the state on a fine grid). References: ``nncourse.chapters.ch08_depth_width``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

from nncourse.chapters import ch08_depth_width as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "08_depth_width"


def count_parameters(sizes: list[int]) -> int:
    """Reference: weights and biases of ``Linear(sizes[i], sizes[i + 1])`` layers, summed."""
    return int(sum((a + 1) * b for a, b in pairwise(sizes)))


def sawtooth_state(k: int) -> dict[str, np.ndarray]:
    """Reference: the state of ``ref.construct_sawtooth_net(k)`` as float64 arrays."""
    return {name: value.numpy().copy() for name, value in ref.construct_sawtooth_net(k).state_dict().items()}


def widest_within_budget(depth: int, budget: int) -> int:
    """Reference: the largest width whose chapter-08 network (1 -> depth x width -> 1) has at most ``budget`` parameters."""
    width = 0
    while ref.relu_net_1d_parameters(width + 1, depth) <= budget:
        width += 1
    return width


def _run_state(state: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Evaluate a ``Linear, ReLU, ..., Linear`` state on ``x: (N,)`` in numpy; returns ``(N,)``."""
    h = x[:, None]  # (N, 1)
    n_layers = len(state) // 2
    for i in range(n_layers):
        h = h @ np.asarray(state[f"{2 * i}.weight"], dtype=np.float64).T + np.asarray(
            state[f"{2 * i}.bias"], dtype=np.float64
        )
        if i < n_layers - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0]


def _verify_sawtooth(case: Case, expected: dict[str, np.ndarray], got: Any) -> str | None:
    """Accept any state of ``k`` hidden layers of at most 2 units, 1-D in and out, that equals ``sawtooth(x, k)``."""
    (k,) = case.args
    if not isinstance(got, dict):
        return f"expected a dict of arrays (a state), got {type(got).__name__}"
    names = [f"{2 * i}.{part}" for i in range(k + 1) for part in ("weight", "bias")]
    if sorted(got) != sorted(names):
        return f"for k = {k} the state needs the keys {names} (k hidden Linear layers and the output layer), got {sorted(got)}"
    try:
        shapes = {name: np.shape(np.asarray(got[name], dtype=np.float64)) for name in names}
    except (TypeError, ValueError):
        return "every value of the state must be an array of numbers"
    widths = [shapes[f"{2 * i}.weight"][0] if len(shapes[f"{2 * i}.weight"]) == 2 else -1 for i in range(k)]
    if any(w < 1 or w > 2 for w in widths):
        return f"each hidden layer has at most 2 units; the weights' shapes are {[shapes[n] for n in names[::2]]}"
    fan_in = 1
    for i, width in enumerate([*widths, 1]):
        if shapes[f"{2 * i}.weight"] != (width, fan_in) or shapes[f"{2 * i}.bias"] != (width,):
            return (
                f"layer {2 * i}: a weight of shape {(width, fan_in)} (out, in) and a bias of shape {(width,)} expected, "
                f"got {shapes[f'{2 * i}.weight']} and {shapes[f'{2 * i}.bias']}"
            )
        fan_in = width
    x = np.linspace(-1.0, 1.0, 2001)
    out, target = _run_state(got, x), ref.sawtooth(x, k)
    bad = ~np.isclose(out, target, atol=1e-6)
    if bad.any():
        i = int(np.argmax(bad))
        return f"at x = {x[i]:.4f} the network gives {out[i]:.6g}, the sawtooth {target[i]:.6g} ({int(bad.sum())} of {len(x)} grid points differ)"
    return None


def _count_cases(seed: int, n: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = [
        Case("one layer, Linear(3, 2)", ([3, 2],)),
        Case(
            "chapter 05's network",
            ([20, 64, 64, 3],),
            hint="a Linear(a, b) layer holds a weight and a bias for each of its b outputs",
        ),
    ]
    for _ in range(n):
        sizes = [int(s) for s in rng.integers(1, 40, size=int(rng.integers(3, 7)))]
        cases.append(Case(f"sizes {sizes}", (sizes,)))
    return cases


def _sawtooth_cases(ks: tuple[int, ...]) -> list[Case]:
    hints = {
        1: "one tent: |x| is the sum of two ReLUs, one of x and one of -x",
        2: "each hidden layer folds the previous tent value once more",
    }
    return [Case(f"k = {k}", (k,), hint=hints.get(k, "")) for k in ks]


def _budget_cases(pairs: tuple[tuple[int, int], ...]) -> list[Case]:
    cases = [Case(f"depth {d}, budget {b}", (d, b)) for d, b in pairs]
    cases[0].hint = "count the parameters of a width as a function of it and find where it passes the budget"
    return cases


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="Depth vs width",
    tasks=[
        Task("count_parameters", count_parameters, lambda: _count_cases(0, 2), lambda seed=88: _count_cases(seed, 4)),
        Task(
            "sawtooth_state",
            sawtooth_state,
            lambda: _sawtooth_cases((1, 2, 4)),
            lambda: _sawtooth_cases((1, 3, 5, 6)),
            points=2,
            verify=_verify_sawtooth,
        ),
        Task(
            "widest_within_budget",
            widest_within_budget,
            lambda: _budget_cases(((1, 100), (3, 1000), (2, 3))),
            lambda: _budget_cases(((1, 37), (4, 5000), (2, 10), (6, 200_000), (3, 4))),
        ),
    ],
)

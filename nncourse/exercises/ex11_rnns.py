"""Exercise 11: the RNN step forward and backward, BPTT over a short sequence, choosing a clipping threshold.

Tasks (torch's layouts, one bias): ``rnn_step_forward``, ``rnn_step_backward``, ``rnn_bptt``
(uses the two step functions) and ``choose_max_norm`` (reasoning: a threshold, for a given
learning rate, that makes the exploding-regime training run of the chapter reach the target loss,
checked by training).
References: ``nncourse.chapters.ch11_rnns``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.chapters import ch11_rnns as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "11_rnns"

LAYOUT_HINT = "W_ih is (H, I) and W_hh is (H, H) as in torch: x @ W_ih.T, h @ W_hh.T"
BACKWARD_HINT = (
    "da = dh_new * (1 - h_new**2); dx = da @ W_ih; dh = da @ W_hh; dW_ih = da.T @ x; "
    "dW_hh = da.T @ h; db = da.sum(axis=0)"
)
BPTT_HINT = (
    "walk t from T-1 down to 0 with the gradient of h_t = dhs[t] + what came back from step t+1; "
    "add up the weight gradients of every step"
)


def _weights(rng: np.random.Generator, i: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return rng.normal(size=(h, i)) / np.sqrt(i), rng.normal(size=(h, h)) * 0.8 / np.sqrt(h), rng.normal(size=h) * 0.3


def _forward_cases(seed: int, shapes: tuple[tuple[int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, i, h in shapes:
        w_ih, w_hh, b = _weights(rng, i, h)
        label = "batch of 1" if n == 1 else f"x ({n}, {i}), h ({n}, {h})"
        hint = "keep x (1, I) and h (1, H) 2-D" if n == 1 else LAYOUT_HINT
        if i == h:
            hint = "I == H here: a swapped W_ih and W_hh still has the right shapes; " + LAYOUT_HINT
        cases.append(Case(label, (rng.normal(size=(n, i)), rng.normal(size=(n, h)), w_ih, w_hh, b), hint=hint))
    return cases


def _backward_cases(seed: int, shapes: tuple[tuple[int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, i, h in shapes:
        w_ih, w_hh, b = _weights(rng, i, h)
        x, hp = rng.normal(size=(n, i)), rng.normal(size=(n, h))
        h_new = ref.rnn_step_forward(x, hp, w_ih, w_hh, b)
        label = "batch of 1" if n == 1 else f"x ({n}, {i}), h ({n}, {h})"
        cases.append(Case(label, (rng.normal(size=(n, h)), x, hp, h_new, w_ih, w_hh), hint=BACKWARD_HINT))
    return cases


def _bptt_cases(seed: int, shapes: tuple[tuple[int, int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for t, n, i, h in shapes:
        w_ih, w_hh, b = _weights(rng, i, h)
        dhs = rng.normal(size=(t, n, h))
        if t > 2:
            dhs[:-1] = 0.0  # a loss on the last state only: everything else must come back through time
            label = f"T={t}, loss on the last step only"
        else:
            label = "one step" if t == 1 else f"T={t}, N={n}"
        cases.append(
            Case(label, (rng.normal(size=(t, n, i)), rng.normal(size=(n, h)), w_ih, w_hh, b, dhs), hint=BPTT_HINT)
        )
    return cases


def _verify_max_norm(case: Case, expected: Any, got: Any) -> str | None:
    """Accept any threshold with which the chapter's training run reaches the target loss."""
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        return f"expected a number (the max_norm to clip to), got {type(got).__name__}"
    if not np.isfinite(got) or got <= 0:
        return f"max_norm must be a positive finite number, got {got!r}"
    lr = case.kwargs["lr"]
    loss = ref.final_loss(ref.train_sum_task(float(got), lr=lr)[0])
    if loss < ref.TARGET_LOSS:
        return None
    what = "diverged" if not np.isfinite(loss) else f"ended at a mean loss of {loss:.3g}"
    return (
        f"with lr={lr:g} and max_norm={got:g} the training run {what}; the target is below {ref.TARGET_LOSS:g} "
        "(too large a threshold lets the exploding gradients through, too small a one makes the steps tiny)"
    )


def _choose(lr: float) -> float:  # the reference: cap the step length lr * max_norm near 0.08
    return 0.08 / lr


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="RNN forward, BPTT and clipping",
    tasks=[
        Task(
            "rnn_step_forward",
            ref.rnn_step_forward,
            lambda: _forward_cases(0, ((4, 3, 5), (1, 2, 3))),
            lambda: _forward_cases(100, ((6, 4, 2), (1, 5, 3), (3, 4, 4))),
        ),
        Task(
            "rnn_step_backward",
            ref.rnn_step_backward,
            lambda: _backward_cases(1, ((5, 3, 4), (1, 3, 2))),
            lambda: _backward_cases(101, ((7, 2, 6), (1, 4, 3), (3, 5, 5))),
            points=2,
            outputs=("dx", "dh", "dW_ih", "dW_hh", "db"),
        ),
        Task(
            "rnn_bptt",
            ref.rnn_bptt,
            lambda: _bptt_cases(2, ((1, 2, 3, 4), (2, 3, 2, 3), (6, 2, 3, 4))),
            lambda: _bptt_cases(102, ((1, 1, 2, 3), (3, 2, 4, 3), (8, 3, 2, 5), (5, 1, 3, 3))),
            points=2,
            requires=("rnn_step_forward", "rnn_step_backward"),
        ),
        Task(
            "choose_max_norm",
            _choose,
            lambda: [Case("the chapter's training run, lr 0.2", kwargs={"lr": 0.2})],
            lambda: [Case("the chapter's training run with lr 0.4", kwargs={"lr": 0.4})],
            verify=_verify_max_norm,
        ),
    ],
)

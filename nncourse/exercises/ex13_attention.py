"""Exercise 13: attention forward and backward, the causal mask, and a multi-head parameter count.

Tasks (one head, batch first, bool mask True = may attend): ``attention_forward``,
``attention_backward`` (the softmax Jacobian), ``causal_mask`` and ``mha_parameter_count``
(reasoning: what the number of heads does to the parameter count).
References: ``nncourse.chapters.ch13_attention``.
"""

from __future__ import annotations

import numpy as np

from nncourse.chapters import ch13_attention as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "13_attention"

FORWARD_HINT = (
    "scores = Q @ K.swapaxes(-1, -2) / sqrt(d); where the mask is False put -inf; softmax over the "
    "last axis (subtract the row maximum first); out = A @ V"
)
BACKWARD_HINT = (
    "dV = A^T dout; dA = dout V^T; dZ = A * (dA - (dA * A).sum(-1, keepdims=True)); "
    "dQ = dZ K / sqrt(d); dK = dZ^T Q / sqrt(d)"
)


def _qkv(rng: np.random.Generator, n: int, lq: int, s: int, d: int, dv: int) -> tuple[np.ndarray, ...]:
    return rng.normal(size=(n, lq, d)), rng.normal(size=(n, s, d)), rng.normal(size=(n, s, dv))


def _forward_cases(seed: int, shapes: tuple[tuple[int, int, int, int, int, str], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, lq, s, d, dv, kind in shapes:
        q, k, v = _qkv(rng, n, lq, s, d, dv)
        if kind == "causal":
            mask, label = ref.causal_mask(lq), f"causal mask, L={lq}"
        elif kind == "mask":
            mask = rng.random((lq, s)) < 0.6
            mask[:, 0] = True
            label = f"a random mask ({lq}, {s})"
        elif kind == "large":
            q, mask, label = q * 30, None, "large scores (does your softmax subtract the row maximum?)"
        else:
            mask, label = None, f"Q ({n}, {lq}, {d}), K ({n}, {s}, {d}), V ({n}, {s}, {dv})"
        cases.append(Case(label, (q, k, v), {"mask": mask}, hint=FORWARD_HINT))
    return cases


def _backward_cases(seed: int, shapes: tuple[tuple[int, int, int, int, int, bool], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, lq, s, d, dv, causal in shapes:
        q, k, v = _qkv(rng, n, lq, s, d, dv)
        _, weights = ref.attention_forward(q, k, v, ref.causal_mask(lq) if causal else None)
        label = f"{'causal, ' if causal else ''}Q ({n}, {lq}, {d}), K ({n}, {s}, {d}), V ({n}, {s}, {dv})"
        cases.append(Case(label, (rng.normal(size=(n, lq, dv)), q, k, v, weights), hint=BACKWARD_HINT))
    return cases


def _mask_cases(lengths: tuple[int, ...]) -> list[Case]:
    return [
        Case(f"L={n}", (n,), hint="np.tril of a square of ones, as bool: True on and below the diagonal")
        for n in lengths
    ]


def _count_cases(rows: tuple[tuple[int, int, bool], ...]) -> list[Case]:
    return [
        Case(
            f"embed_dim={e}, num_heads={h}, bias={b}",
            (e, h, b),
            hint="in_proj_weight (3E, E), in_proj_bias (3E,), out_proj (E, E) + (E,): do the heads add any?",
        )
        for e, h, b in rows
    ]


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="Attention forward, backward and masks",
    tasks=[
        Task(
            "attention_forward",
            ref.attention_forward,
            lambda: _forward_cases(0, ((2, 4, 4, 3, 3, "none"), (1, 5, 5, 4, 2, "causal"), (2, 3, 6, 4, 5, "mask"))),
            lambda: _forward_cases(
                100,
                ((3, 5, 7, 4, 2, "none"), (2, 6, 6, 3, 3, "causal"), (1, 4, 5, 2, 4, "mask"), (2, 4, 4, 8, 3, "large")),
            ),
            points=2,
            outputs=("out", "A"),
        ),
        Task(
            "attention_backward",
            ref.attention_backward,
            lambda: _backward_cases(1, ((2, 4, 4, 3, 3, False), (1, 5, 5, 4, 2, True))),
            lambda: _backward_cases(101, ((3, 5, 7, 4, 2, False), (2, 6, 6, 3, 3, True), (1, 1, 3, 2, 2, False))),
            points=2,
            outputs=("dQ", "dK", "dV"),
        ),
        Task("causal_mask", ref.causal_mask, lambda: _mask_cases((1, 4)), lambda: _mask_cases((2, 7))),
        Task(
            "mha_parameter_count",
            ref.mha_parameter_count,
            lambda: _count_cases(((8, 2, True), (8, 4, True))),
            lambda: _count_cases(((12, 3, True), (12, 1, False), (64, 8, True))),
        ),
    ],
)

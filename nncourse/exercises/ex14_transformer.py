"""Exercise 14: assemble a pre-norm Transformer block from given parts, count a model's parameters, build a local mask.

Tasks: ``block_forward`` (the parts ``layer_norm``, ``multi_head_attention`` and ``gelu`` are
given), ``parameter_count`` (reasoning: embeddings, blocks, tied output layer; do heads add any?)
and ``local_causal_mask`` (which keys a query may see with sliding-window causal attention).
References: ``nncourse.chapters.ch14_transformer`` (numpy only).
"""

from __future__ import annotations

import inspect

import numpy as np

from nncourse.chapters import ch14_transformer as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "14_transformer"
PRELUDE = "from __future__ import annotations\n\nimport math\n\nimport numpy as np\n\n\n" + "\n\n".join(
    inspect.getsource(part) for part in ref.GIVEN_PARTS
)
"""The grader's prelude: the imports and the source of the given parts (the worker does not import nncourse)."""

BLOCK_HINT = (
    "pre-norm: a = layer_norm(x, ln_1...); h = x + multi_head_attention(a, attn..., n_heads, causal mask); "
    "out = h + (gelu(layer_norm(h, ln_2...) @ W0.T + b0) @ W2.T + b2); the mask is np.tril of ones (T, T)"
)
COUNT_HINT = (
    "token embedding V*D + positions C*D; per block: 2 LayerNorms (2D each), attention 4D^2 + 4D, "
    "MLP 2*D*F + F + D; final LayerNorm 2D; the output layer is tied (no new weights); heads add nothing"
)
MASK_HINT = "query i may see key j when j <= i and i - j < window; build it from np.arange(L)[:, None] and [None, :]"


def _block_params(rng: np.random.Generator, d: int, f: int) -> dict[str, np.ndarray]:
    shapes = {
        "ln_1.weight": (d,),
        "ln_1.bias": (d,),
        "attn.in_proj_weight": (3 * d, d),
        "attn.in_proj_bias": (3 * d,),
        "attn.out_proj.weight": (d, d),
        "attn.out_proj.bias": (d,),
        "ln_2.weight": (d,),
        "ln_2.bias": (d,),
        "mlp.0.weight": (f, d),
        "mlp.0.bias": (f,),
        "mlp.2.weight": (d, f),
        "mlp.2.bias": (d,),
    }
    params = {k: rng.normal(scale=1 / np.sqrt(shape[-1]), size=shape) for k, shape in shapes.items()}
    params["ln_1.weight"] += 1.0
    params["ln_2.weight"] += 1.0
    return params


def _block_cases(seed: int, shapes: tuple[tuple[int, int, int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, t, d, h, f in shapes:
        x = rng.normal(size=(n, t, d))
        cases.append(Case(f"x ({n}, {t}, {d}), {h} heads, d_ff={f}", (x, _block_params(rng, d, f), h), hint=BLOCK_HINT))
    return cases


def _count_cases(rows: tuple[tuple[int, int, int, int, int, int], ...]) -> list[Case]:
    return [
        Case(
            f"vocab {v}, context {c}, d_model {d}, {h} heads, {n} layers, d_ff {f}", (v, c, d, h, n, f), hint=COUNT_HINT
        )
        for v, c, d, h, n, f in rows
    ]


def _mask_cases(rows: tuple[tuple[int, int], ...]) -> list[Case]:
    return [Case(f"length {n}, window {w}", (n, w), hint=MASK_HINT) for n, w in rows]


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="A Transformer block, its parameters and its mask",
    prelude=PRELUDE,
    tasks=[
        Task(
            "block_forward",
            ref.block_forward,
            lambda: _block_cases(0, ((2, 4, 8, 2, 16), (1, 5, 6, 3, 12))),
            lambda seed=100: _block_cases(seed, ((3, 6, 8, 4, 32), (1, 1, 4, 1, 8), (2, 7, 12, 3, 24))),
            points=2,
        ),
        Task(
            "parameter_count",
            ref.parameter_count,
            lambda: _count_cases(((98, 64, 64, 4, 2, 256), (50, 32, 32, 4, 1, 128))),
            lambda seed=0: _count_cases(
                ((65, 128, 48, 6, 3, 192), (10, 8, 16, 1, 1, 16), (10, 8, 16, 8, 1, 16), (256, 1024, 128, 8, 6, 512))
            ),
        ),
        Task(
            "local_causal_mask",
            ref.local_causal_mask,
            lambda: _mask_cases(((4, 2), (3, 5))),
            lambda seed=0: _mask_cases(((6, 3), (5, 1), (7, 7), (1, 1))),
        ),
    ],
)

"""Chapter 14 helpers: exercise references (numpy), equal-time training, cost against context length.

Exercise convention: a block's parameters are a dict with torch's names (``ln_1.weight``,
``attn.in_proj_weight``, ``attn.out_proj.weight``, ``mlp.0.weight``, ...), x is (N, T, D) float64,
a bool mask (T, T) is True where a query may attend. The parts ``layer_norm``,
``multi_head_attention`` and ``gelu`` are given to the learner (self-contained: numpy and math);
torch is imported only by the
training and timing helpers.
"""

from __future__ import annotations

import math
import time
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from nncourse._validate import check_hyper, check_int
from nncourse.timing import median_cpu_seconds

if TYPE_CHECKING:
    from nncourse.models.transformer import TransformerConfig, TransformerLMResult


# ---------------------------------------------------------------------- the parts (given) and the references
def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """x (..., D), weight and bias (D,) -> (..., D): normalise the last axis, then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU, x * Phi(x) (torch's default), elementwise."""
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def multi_head_attention(
    x: np.ndarray,
    in_proj_weight: np.ndarray,
    in_proj_bias: np.ndarray,
    out_proj_weight: np.ndarray,
    out_proj_bias: np.ndarray,
    n_heads: int,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Self-attention as ``torch.nn.MultiheadAttention``: x (N, T, D) -> (N, T, D); mask (T, T) True = may attend."""
    n, t, d = x.shape
    q, k, v = np.split(x @ in_proj_weight.T + in_proj_bias, 3, axis=-1)  # 3 x (N, T, D)
    q, k, v = (z.reshape(n, t, n_heads, d // n_heads).transpose(0, 2, 1, 3) for z in (q, k, v))  # (N, H, T, D/H)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d // n_heads)  # (N, H, T, T)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    ctx = (weights @ v).transpose(0, 2, 1, 3).reshape(n, t, d)  # (N, T, D)
    return ctx @ out_proj_weight.T + out_proj_bias


GIVEN_PARTS = (layer_norm, gelu, multi_head_attention)
"""The parts the exercise gives the learner (numpy and math only: the grader runs their source)."""


def block_forward(x: np.ndarray, params: dict[str, np.ndarray], n_heads: int) -> np.ndarray:
    """The pre-norm causal block: h = x + MHA(LN_1(x)), out = h + W2 GELU(W1 LN_2(h) + b1) + b2. (N, T, D) -> (N, T, D)."""
    p = params
    mask = np.tril(np.ones((x.shape[1], x.shape[1]), dtype=bool))
    a = layer_norm(x, p["ln_1.weight"], p["ln_1.bias"])
    h = x + multi_head_attention(
        a,
        p["attn.in_proj_weight"],
        p["attn.in_proj_bias"],
        p["attn.out_proj.weight"],
        p["attn.out_proj.bias"],
        n_heads,
        mask,
    )
    m = gelu(layer_norm(h, p["ln_2.weight"], p["ln_2.bias"]) @ p["mlp.0.weight"].T + p["mlp.0.bias"])
    return h + m @ p["mlp.2.weight"].T + p["mlp.2.bias"]


def parameter_count(vocab_size: int, context: int, d_model: int, n_heads: int, n_layers: int, d_ff: int) -> int:
    """Parameters of a ``TransformerLM`` (tied head): embeddings, blocks, final LayerNorm. The heads add none.

    One block: two LayerNorms 2 * 2D, attention 3D*D + 3D + D*D + D, MLP D*F + F + F*D + D.
    """
    d, f = d_model, d_ff
    block = 4 * d + (4 * d * d + 4 * d) + (2 * d * f + f + d)
    return vocab_size * d + context * d + n_layers * block + 2 * d


def local_causal_mask(length: int, window: int) -> np.ndarray:
    """(length, length) bool, True where query i may attend key j: j <= i and i - j < window (the last ``window`` positions)."""
    i, j = np.arange(length)[:, None], np.arange(length)[None, :]
    return (j <= i) & (i - j < window)


def transformer_parameter_count(config: TransformerConfig) -> int:
    """Parameters of ``TransformerLM(config)``: embeddings (the head is tied), blocks, final LayerNorm."""
    from nncourse.models.transformer import TransformerConfig

    if not isinstance(config, TransformerConfig):
        raise TypeError(f"config must be a TransformerConfig, got {type(config).__name__}")
    c = config
    return parameter_count(c.vocab_size, c.context, c.d_model, c.n_heads, c.n_layers, c.d_ff)


def train_for_budget(
    train_ids: np.ndarray, valid_ids: np.ndarray, vocab_size: int, cpu_seconds: float, **kwargs: object
) -> TransformerLMResult:
    """``train_transformer_lm`` with as many steps as fit in ``cpu_seconds``, validation included.

    Two short calibration runs (4 and 12 steps) give the CPU cost of one step and of the fixed part
    (cutting the windows, validation); the schedule (warm-up + cosine) is planned for the steps that
    fit, and training also stops at the budget.
    """
    from nncourse.models.transformer import train_transformer_lm

    budget = check_hyper("cpu_seconds", cpu_seconds)
    cost = []
    for steps in (4, 12):
        start = time.process_time()
        train_transformer_lm(train_ids, valid_ids, vocab_size, steps=steps, **kwargs)  # type: ignore[arg-type]
        cost.append(time.process_time() - start)
    per_step = max((cost[1] - cost[0]) / 8, 1e-6)
    fixed = max(cost[0] - 4 * per_step, 0.0)
    steps = max(int((budget - fixed) / per_step), 2)
    return train_transformer_lm(train_ids, valid_ids, vocab_size, steps=steps, cpu_budget=budget, **kwargs)  # type: ignore[arg-type]


def attention_cost(
    lengths: tuple[int, ...],
    *,
    d_model: int = 64,
    n_heads: int = 4,
    batch_size: int = 8,
    repeats: int = 3,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """CPU seconds (median) of one causal self-attention forward, and bytes of its attention weights, per length.

    Returns two (len(lengths),) arrays. The weights are (N, H, T, T): their size grows as T squared.
    """
    import torch

    from nncourse.models.transformer import causal_mask

    torch.manual_seed(seed)
    previous = torch.is_grad_enabled()
    torch.set_grad_enabled(False)  # forward passes only; restored below
    attn = torch.nn.MultiheadAttention(check_int("d_model", d_model), check_int("n_heads", n_heads), batch_first=True)
    times, sizes = [], []
    for length in lengths:
        x = torch.randn(check_int("batch_size", batch_size), check_int("length", length), d_model)
        mask = causal_mask(length)
        _, w = attn(x, x, x, attn_mask=mask, average_attn_weights=False)  # w (N, H, T, T)
        sizes.append(w.numel() * w.element_size())
        times.append(median_cpu_seconds(partial(attn, x, x, x, attn_mask=mask), repeats))
    torch.set_grad_enabled(previous)
    return np.array(times), np.array(sizes, dtype=np.int64)


def lstm_cost(
    lengths: tuple[int, ...], *, hidden_size: int = 64, batch_size: int = 8, repeats: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """CPU seconds (median) of one ``nn.LSTM`` forward, and bytes of the hidden states it keeps, per length."""
    import torch

    torch.manual_seed(seed)
    previous = torch.is_grad_enabled()
    torch.set_grad_enabled(False)  # forward passes only; restored below
    lstm = torch.nn.LSTM(check_int("hidden_size", hidden_size), hidden_size, batch_first=True)
    times, sizes = [], []
    for length in lengths:
        x = torch.randn(check_int("batch_size", batch_size), check_int("length", length), hidden_size)
        out, _ = lstm(x)  # (N, T, H): one state per step
        sizes.append(out.numel() * out.element_size())
        times.append(median_cpu_seconds(partial(lstm, x), repeats))
    torch.set_grad_enabled(previous)
    return np.array(times), np.array(sizes, dtype=np.int64)

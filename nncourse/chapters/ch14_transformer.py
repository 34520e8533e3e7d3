"""Chapter 14 helpers: the parameter count of a TransformerLM, equal-time training, cost against context length."""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_hyper, check_int
from nncourse.models.transformer import TransformerConfig, TransformerLMResult, causal_mask, train_transformer_lm


def transformer_parameter_count(config: TransformerConfig) -> int:
    """Parameters of ``TransformerLM(config)``: embeddings (the head is tied), blocks, final LayerNorm.

    One block: two LayerNorms 2 * 2D, attention 3D*D + 3D + D*D + D, MLP D*F + F + F*D + D.
    """
    if not isinstance(config, TransformerConfig):
        raise TypeError(f"config must be a TransformerConfig, got {type(config).__name__}")
    d, f = config.d_model, config.d_ff
    block = 4 * d + (4 * d * d + 4 * d) + (2 * d * f + f + d)
    return config.vocab_size * d + config.context * d + config.n_layers * block + 2 * d


def train_for_budget(
    train_ids: np.ndarray, valid_ids: np.ndarray, vocab_size: int, cpu_seconds: float, **kwargs: object
) -> TransformerLMResult:
    """``train_transformer_lm`` with as many steps as fit in ``cpu_seconds`` (measured on 10 steps first).

    The schedule (warm-up + cosine) is planned for that number of steps, and training also stops at
    the budget, so the result never uses more CPU time than given (validation included).
    """
    budget = check_hyper("cpu_seconds", cpu_seconds)
    start = time.process_time()
    train_transformer_lm(train_ids, valid_ids[:1000], vocab_size, steps=10, **kwargs)  # type: ignore[arg-type]
    per_step = (time.process_time() - start) / 10
    steps = max(int(budget / per_step), 2)
    return train_transformer_lm(train_ids, valid_ids, vocab_size, steps=steps, cpu_budget=budget, **kwargs)  # type: ignore[arg-type]


def _median_cpu(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(np.median(times))


@torch.no_grad()
def attention_cost(
    lengths: tuple[int, ...], *, d_model: int = 64, n_heads: int = 4, batch_size: int = 8, repeats: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """CPU seconds (median) of one causal self-attention forward, and bytes of its attention weights, per length.

    Returns two (len(lengths),) arrays. The weights are (N, H, T, T): their size grows as T squared.
    """
    torch.manual_seed(seed)
    attn = nn.MultiheadAttention(check_int("d_model", d_model), check_int("n_heads", n_heads), batch_first=True)
    times, sizes = [], []
    for length in lengths:
        x = torch.randn(check_int("batch_size", batch_size), check_int("length", length), d_model)
        mask = causal_mask(length)
        _, w = attn(x, x, x, attn_mask=mask, average_attn_weights=False)  # w (N, H, T, T)
        sizes.append(w.numel() * w.element_size())
        times.append(_median_cpu(lambda x=x, mask=mask: attn(x, x, x, attn_mask=mask), repeats))
    return np.array(times), np.array(sizes, dtype=np.int64)


@torch.no_grad()
def lstm_cost(
    lengths: tuple[int, ...], *, hidden_size: int = 64, batch_size: int = 8, repeats: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """CPU seconds (median) of one ``nn.LSTM`` forward, and bytes of the hidden states it keeps, per length."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(check_int("hidden_size", hidden_size), hidden_size, batch_first=True)
    times, sizes = [], []
    for length in lengths:
        x = torch.randn(check_int("batch_size", batch_size), check_int("length", length), hidden_size)
        out, _ = lstm(x)  # (N, T, H): one state per step
        sizes.append(out.numel() * out.element_size())
        times.append(_median_cpu(lambda x=x: lstm(x), repeats))
    return np.array(times), np.array(sizes, dtype=np.int64)

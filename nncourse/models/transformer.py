"""A small decoder-only Transformer language model in torch (chapter 14).

    config = TransformerConfig(vocab_size=98, context=64, d_model=64, n_heads=4, n_layers=2, d_ff=256)
    model = TransformerLM(config)
    logits = model(ids)                            # ids (N, T) int64, T <= context -> logits (N, T, V)
    result = train_transformer_lm(train_ids, valid_ids, vocab_size, steps=300)
    text_ids = sample(result.model, prompt_ids, 200, temperature=0.8, top_k=10, seed=0)

``Block`` is the pre-norm block (x + attn(ln_1(x)), then x + mlp(ln_2(x))); its parameter names
(``ln_1``, ``attn.in_proj_weight``, ``attn.out_proj``, ``ln_2``, ``mlp.0``, ``mlp.2``) are those of
the numpy twin ``nncourse.scratch.transformer.TransformerBlock``, so ``load_torch`` copies one into
the other. The output layer shares the token embedding matrix (weight tying).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_array, check_hyper, check_int
from nncourse.models.rnn import bits_per_char, check_token_ids


@dataclass
class TransformerConfig:
    """Sizes of a ``TransformerLM``: the vocabulary, the longest context, the width, heads, depth, MLP width."""

    vocab_size: int
    context: int
    d_model: int
    n_heads: int
    n_layers: int
    d_ff: int
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context", "d_model", "n_heads", "n_layers", "d_ff"):
            check_int(name, getattr(self, name))
        if self.d_model % self.n_heads:
            raise ValueError(
                f"n_heads={self.n_heads} must divide d_model={self.d_model} (each head works in d_model / n_heads dimensions)"
            )
        self.dropout = check_hyper("dropout", self.dropout, high=1.0)


def causal_mask(length: int, device: torch.device | None = None) -> torch.Tensor:
    """(length, length) bool, True above the diagonal: position t may not attend to positions after t."""
    return torch.triu(torch.ones(length, length, dtype=torch.bool, device=device), diagonal=1)


class Block(nn.Module):
    """Pre-norm Transformer block: x + attn(ln_1(x)) (causal self-attention), then x + mlp(ln_2(x)).

    x: (N, T, d_model) -> (N, T, d_model). ``mlp`` is Linear(d_model, d_ff) -> GELU -> Linear(d_ff, d_model).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0) -> None:
        super().__init__()
        d_model, n_heads, d_ff = check_int("d_model", d_model), check_int("n_heads", n_heads), check_int("d_ff", d_ff)
        if d_model % n_heads:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        h = self.ln_1(x)  # (N, T, D)
        a, _ = self.attn(h, h, h, attn_mask=causal_mask(t, x.device), need_weights=False)  # (N, T, D)
        x = x + self.drop(a)  # (N, T, D)
        return x + self.drop(self.mlp(self.ln_2(x)))  # (N, T, D)


class TransformerLM(nn.Module):
    """Token + learned position embeddings -> ``n_layers`` blocks -> LayerNorm -> logits (tied to the embedding).

    ids: (N, T) int64 in [0, vocab_size) with T <= context -> logits (N, T, vocab_size).
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        if not isinstance(config, TransformerConfig):
            raise TypeError(f"config must be a TransformerConfig, got {type(config).__name__}")
        self.config = c = config
        self.vocab_size = c.vocab_size
        self.tok_emb = nn.Embedding(c.vocab_size, c.d_model)
        self.pos_emb = nn.Embedding(c.context, c.d_model)
        self.drop = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(Block(c.d_model, c.n_heads, c.d_ff, c.dropout) for _ in range(c.n_layers))
        self.ln_f = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        self.apply(self._init)
        self.head.weight = self.tok_emb.weight  # weight tying: one (V, D) matrix reads in and reads out

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Embedding) or type(module) is nn.Linear:
            nn.init.normal_(module.weight, 0.0, 0.02)
            bias = getattr(module, "bias", None)
            if isinstance(bias, torch.Tensor):
                nn.init.zeros_(bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        check_token_ids(ids, self.vocab_size)
        t = ids.shape[1]
        if t > self.config.context:
            raise ValueError(
                f"ids has {t} positions but the positional table holds context={self.config.context}: "
                f"pass at most {self.config.context} tokens"
            )
        pos = torch.arange(t, device=ids.device)  # (T,)
        x = self.drop(self.tok_emb(ids) + self.pos_emb(pos))  # (N, T, D)
        for block in self.blocks:
            x = block(x)  # (N, T, D)
        return self.head(self.ln_f(x))  # (N, T, V)


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW groups: matrices decayed; biases, LayerNorm weights and the (tied) embeddings not decayed."""
    from nncourse.optim.groups import weight_decay_groups

    named = dict(model.named_parameters())  # the tied head.weight is listed once, as tok_emb.weight
    skip = [n for n in named if n.startswith(("tok_emb.", "pos_emb."))]
    return [
        {"params": [named[n] for n in g["params"]], "weight_decay": g["weight_decay"]}
        for g in weight_decay_groups(named, weight_decay, no_decay=skip)
    ]


@torch.no_grad()
def sample(
    model: TransformerLM,
    prompt: np.ndarray,
    n: int,
    *,
    temperature: float = 0.8,
    top_k: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Extend ``prompt`` (L,) ids by ``n`` ids drawn from softmax(logits / temperature), one at a time.

    Only the last ``context`` ids are fed back. ``top_k``: draw among the k most likely ids only.
    The same seed gives the same ids.
    """
    check_array("prompt", prompt, (None,), dtype_kind="iu")
    if len(prompt) == 0:
        raise ValueError("prompt must hold at least one id")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if top_k is not None:
        top_k = min(check_int("top_k", top_k), model.vocab_size)
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    ids = torch.as_tensor(np.asarray(prompt), dtype=torch.int64)[None]  # (1, L)
    out = []
    for _ in range(check_int("n", n)):
        logits = model(ids[:, -model.config.context :])[0, -1] / temperature  # (V,)
        if top_k is not None:
            kth = torch.topk(logits, top_k).values[-1]
            logits = logits.masked_fill(logits < kth, -math.inf)
        nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen)  # (1,)
        out.append(int(nxt))
        ids = torch.cat([ids, nxt[None]], dim=1)
    return np.array(out, dtype=np.int64)


@dataclass
class TransformerLMResult:
    """A trained ``TransformerLM``: validation bits per character, parameters, CPU seconds, losses (bits), steps."""

    model: TransformerLM
    valid_bpc: float
    parameters: int
    cpu_seconds: float
    losses: list[float]
    steps: int


def train_transformer_lm(
    train_ids: np.ndarray,
    valid_ids: np.ndarray,
    vocab_size: int,
    *,
    d_model: int = 64,
    n_heads: int = 4,
    n_layers: int = 2,
    d_ff: int = 256,
    seq_len: int = 64,
    batch_size: int = 32,
    steps: int = 400,
    lr: float = 3e-3,
    weight_decay: float = 0.1,
    warmup: int = 30,
    cpu_budget: float | None = None,
    seed: int = 0,
) -> TransformerLMResult:
    """Train a ``TransformerLM`` (context = seq_len) as ``train_char_lm`` trains the LSTM.

    Random windows of ``train_ids``, AdamW with decay groups (``decay_groups``), linear warm-up then
    cosine decay of the learning rate over ``steps``, gradient norm clipped at 1. ``cpu_budget``:
    also stop once this process has used that many CPU seconds (for equal-time comparisons).
    Validation: non-overlapping ``seq_len`` windows of ``valid_ids``.
    """
    from nncourse.data.text import char_windows
    from nncourse.optim.schedules import warmup_cosine

    start = time.process_time()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    config = TransformerConfig(vocab_size, seq_len, d_model, n_heads, n_layers, d_ff)
    model = TransformerLM(config)
    opt = torch.optim.AdamW(decay_groups(model, weight_decay), lr=lr, betas=(0.9, 0.95))
    x_all, y_all = char_windows(train_ids, seq_len, stride=1)
    steps = check_int("steps", steps)
    losses: list[float] = []
    model.train()
    for step in range(steps):
        if cpu_budget is not None and time.process_time() - start >= cpu_budget:
            break
        for group in opt.param_groups:
            group["lr"] = warmup_cosine(step, min(warmup, steps - 1), steps, lr, lr / 10)
        idx = rng.integers(0, len(x_all), size=batch_size)
        logits = model(torch.as_tensor(x_all[idx]))  # (B, T, V)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), torch.as_tensor(y_all[idx]).flatten())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item() / math.log(2))
    xv, yv = char_windows(valid_ids, seq_len)
    bpc = bits_per_char(model, xv, yv)
    params = sum(p.numel() for p in model.parameters())
    return TransformerLMResult(model, bpc, params, time.process_time() - start, losses, len(losses))

"""Chapter 13 helpers: the exercise's reference functions and the sequence-reversal toy model.

Exercise convention (one head, batch first): Q (N, L, d), K (N, S, d), V (N, S, dv);
``A = softmax(Q K^T / sqrt(d) + mask)`` row by row, ``out = A V``. A boolean ``mask`` (L, S) is
True where a query may attend (torch's ``F.scaled_dot_product_attention`` convention). The
references wrap ``nncourse.scratch.functional.attention``.

The toy model: a one-layer, attention-only torch network (token + learned position embeddings,
one ``nn.MultiheadAttention``, a linear read-out) trained for a few hundred Adam steps to output a
short sequence of random tokens reversed. Its attention weights are the anti-diagonal that the task
needs: output position i must read input position L - 1 - i.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.scratch.functional import attention as A

REVERSE_TASK: dict[str, Any] = {"length": 6, "vocab": 8, "dim": 32, "heads": 2, "steps": 150, "batch": 64, "lr": 1e-2}
"""Settings of the reversal toy model."""


# ---------------------------------------------------------------------- exercise references
def attention_forward(
    Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Q (N, L, d), K (N, S, d), V (N, S, dv), mask (L, S) bool or None -> (out (N, L, dv), A (N, L, S))."""
    out, cache = A.scaled_dot_product_attention_forward(Q, K, V, attn_mask=mask)
    return out, cache["attn"].copy()


def attention_backward(
    dout: np.ndarray, Q: np.ndarray, K: np.ndarray, V: np.ndarray, A_w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Given dL/dout (N, L, dv) and the forward's weights A (N, L, S) -> (dQ, dK, dV).

    dV = A^T dout; dA = dout V^T; dZ = A * (dA - sum_j dA_j A_j) (the softmax Jacobian, row by row);
    dQ = dZ K / sqrt(d); dK = dZ^T Q / sqrt(d). Masked entries have A = 0 and so get no gradient.
    """
    scale = 1.0 / np.sqrt(Q.shape[-1])
    dV = np.swapaxes(A_w, -1, -2) @ dout
    dA = dout @ np.swapaxes(V, -1, -2)
    dZ = A_w * (dA - np.sum(dA * A_w, axis=-1, keepdims=True)) * scale
    return dZ @ K, np.swapaxes(dZ, -1, -2) @ Q, dV


def causal_mask(length: int) -> np.ndarray:
    """(length, length) bool, True where query i may attend key j, i.e. j <= i."""
    return np.tril(np.ones((length, length), dtype=bool))


def mha_parameter_count(embed_dim: int, num_heads: int, bias: bool = True) -> int:
    """Parameters of ``nn.MultiheadAttention(embed_dim, num_heads, bias)``: 4 E^2 (+ 4 E), whatever H is."""
    return 4 * embed_dim * embed_dim + (4 * embed_dim if bias else 0)


# ---------------------------------------------------------------------- the reversal toy model
def reverse_batch(n: int, rng: np.random.Generator, length: int = 6, vocab: int = 8) -> tuple[Any, Any]:
    """n random token sequences (n, length) and their reversals, as torch int64 tensors."""
    import torch

    x = rng.integers(0, vocab, size=(n, length))
    return torch.as_tensor(x), torch.as_tensor(x[:, ::-1].copy())


def make_reverse_model(seed: int = 0) -> Any:
    """The attention-only model: embeddings of tokens and positions -> one MHA -> linear read-out."""
    import torch
    from torch import nn

    cfg = REVERSE_TASK
    torch.manual_seed(seed)

    class Reverser(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(cfg["vocab"], cfg["dim"])
            self.pos = nn.Embedding(cfg["length"], cfg["dim"])
            self.attn = nn.MultiheadAttention(cfg["dim"], cfg["heads"], batch_first=True)
            self.head = nn.Linear(cfg["dim"], cfg["vocab"])

        def forward(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            h = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
            ctx, weights = self.attn(h, h, h, average_attn_weights=False)  # weights (N, H, L, L)
            return self.head(ctx), weights

    return Reverser()


def train_reverse_model(seed: int = 0, steps: int | None = None) -> tuple[Any, list[float]]:
    """Train the toy model with Adam on fresh random batches; returns (model, losses per step)."""
    import torch

    cfg = REVERSE_TASK
    model = make_reverse_model(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(cfg["steps"] if steps is None else steps):
        x, y = reverse_batch(cfg["batch"], rng, cfg["length"], cfg["vocab"])
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg["vocab"]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses

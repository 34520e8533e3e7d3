"""Reference recurrent models in torch: a character language model and a sequence classifier/regressor.

    model = CharLM(vocab_size=98, hidden_size=128, cell="lstm")
    logits, state = model(ids)                     # ids (N, T) int64 -> logits (N, T, V)
    clf = SequenceClassifier(input_size=2, hidden_size=32, num_classes=4, cell="gru")
    scores = clf(x)                                # x (N, T, input_size) float -> (N, num_classes)

All batch-first. ``cell`` picks ``torch.nn.RNN`` (tanh), ``LSTM`` or ``GRU``. Token ids outside the
vocabulary and inputs in the wrong layout raise ``ValueError`` saying what was expected.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_array, check_choice, check_int

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _recurrent(cell: str, input_size: int, hidden_size: int, num_layers: int, memory_bias: float = 0.0) -> nn.Module:
    check_choice("cell", cell, tuple(CELLS))
    module = CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True)
    if memory_bias:
        set_memory_bias(module, memory_bias)
    return module


def set_memory_bias(module: nn.Module, value: float) -> None:
    """Bias the gate that keeps the state: rows H..2H of every ``bias_ih_l*`` set to ``value`` (of ``bias_hh_l*`` to 0).

    Those rows are the LSTM's forget gate f (order i, f, g, o: c' = f c + i g) and the GRU's update
    gate z (order r, z, n: h' = (1 - z) n + z h). A positive value starts the gate at sigmoid(value),
    near 1: the state is kept by default, and gradients reach far back in time.
    """
    if not isinstance(module, (nn.LSTM, nn.GRU)):
        raise TypeError(
            f"set_memory_bias needs an nn.LSTM or nn.GRU (a plain RNN has no gate), got {type(module).__name__}"
        )
    hid = module.hidden_size
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith("bias_ih"):
                p[hid : 2 * hid] = value
            elif name.startswith("bias_hh"):
                p[hid : 2 * hid] = 0.0


def check_token_ids(ids: Any, vocab_size: int, name: str = "ids") -> None:
    """``ValueError`` unless ``ids`` is a (N, T) integer tensor with values in [0, vocab_size)."""
    check_array(name, ids, ("N", "T"), dtype_kind="iu")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(
            f"{name} must be token ids in [0, {vocab_size}) (the vocabulary size), got values in [{int(ids.min())}, {int(ids.max())}]"
        )


class CharLM(nn.Module):
    """Embedding -> recurrent layers -> linear read-out of the next character's logits.

    ids: (N, T) int64 in [0, vocab_size), state: the recurrent state or ``None`` ->
    (logits (N, T, vocab_size), new state).
    """

    def __init__(
        self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1, cell: str = "lstm"
    ) -> None:
        super().__init__()
        self.vocab_size = check_int("vocab_size", vocab_size)
        self.cell = cell
        self.embed = nn.Embedding(self.vocab_size, check_int("embed_dim", embed_dim))
        self.rnn = _recurrent(
            cell, embed_dim, check_int("hidden_size", hidden_size), check_int("num_layers", num_layers)
        )
        self.head = nn.Linear(hidden_size, self.vocab_size)

    def forward(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        check_token_ids(ids, self.vocab_size)
        out, state = self.rnn(self.embed(ids), state)  # (N, T, H)
        return self.head(out), state


class SequenceClassifier(nn.Module):
    """Recurrent layers over (N, T, input_size) floats; a linear read-out of the last step's hidden state.

    Returns (N, num_classes) scores (logits); with ``num_classes=1`` it is a regressor of one number.
    ``memory_bias`` (LSTM, GRU): the initial bias of the gate that keeps the state (``set_memory_bias``; 0: torch's init).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_classes: int,
        cell: str = "lstm",
        num_layers: int = 1,
        memory_bias: float = 0.0,
    ) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size)
        self.cell = cell
        if memory_bias and cell == "rnn":
            raise ValueError("memory_bias needs cell='lstm' or 'gru': a plain RNN has no gate to bias")
        self.rnn = _recurrent(
            cell,
            self.input_size,
            check_int("hidden_size", hidden_size),
            check_int("num_layers", num_layers),
            memory_bias,
        )
        self.head = nn.Linear(hidden_size, check_int("num_classes", num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array("x", x, ("N", "T", None), dtype_kind="f")
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"x must have shape (N, T, input_size) (batch first, features last) with input_size={self.input_size}, got shape {tuple(x.shape)}"
            )
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


@torch.no_grad()
def bits_per_char(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> float:
    """Mean cross-entropy of the next character in bits: x, y (N, T) int ids (targets = inputs shifted).

    ``model`` is any character LM of the course: ``CharLM`` (returns ``(logits, state)``) or
    ``TransformerLM`` (returns logits (N, T, V)); both have ``vocab_size``."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = torch.as_tensor(x[start : start + batch_size]), torch.as_tensor(y[start : start + batch_size])
        vocab_size: int = model.vocab_size  # type: ignore[assignment]  # torch types module attributes as Tensor | Module
        check_token_ids(yb, vocab_size, "y")
        logits = model(xb)
        logits = logits[0] if isinstance(logits, tuple) else logits  # (B, T, V)
        total += float(nn.functional.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="sum"))
        count += yb.numel()
    return total / count / math.log(2)


@torch.no_grad()
def sample(model: CharLM, prompt: np.ndarray, length: int, *, temperature: float = 0.8, seed: int = 0) -> np.ndarray:
    """Feed ``prompt`` (L,) ids, then draw ``length`` more ids one at a time from softmax(logits / temperature)."""
    check_array("prompt", prompt, (None,), dtype_kind="iu")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    logits, state = model(torch.as_tensor(prompt, dtype=torch.int64)[None])
    out = []
    for _ in range(check_int("length", length)):
        probs = torch.softmax(logits[0, -1] / temperature, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=gen)
        out.append(int(nxt))
        logits, state = model(nxt[None], state)
    return np.array(out, dtype=np.int64)


@dataclass
class CharLMResult:
    """A trained ``CharLM`` with its validation bits per character, parameter count and CPU seconds."""

    model: CharLM
    valid_bpc: float
    parameters: int
    cpu_seconds: float
    losses: list[float]


def train_char_lm(
    train_ids: np.ndarray,
    valid_ids: np.ndarray,
    vocab_size: int,
    *,
    cell: str = "lstm",
    hidden_size: int = 128,
    embed_dim: int = 32,
    seq_len: int = 64,
    batch_size: int = 32,
    steps: int = 400,
    lr: float = 5e-3,
    seed: int = 0,
) -> CharLMResult:
    """Train a ``CharLM`` with Adam on random windows of ``train_ids`` (gradient norm clipped at 1).

    ``losses``: the training loss (bits per character) of every step. Validation uses
    non-overlapping windows of ``valid_ids``.
    """
    from nncourse.data.text import char_windows

    start = time.process_time()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = CharLM(vocab_size, embed_dim, hidden_size, cell=cell)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x_all, y_all = char_windows(train_ids, seq_len, stride=1)
    losses = []
    model.train()
    for _ in range(check_int("steps", steps)):
        idx = rng.integers(0, len(x_all), size=batch_size)
        logits, _ = model(torch.as_tensor(x_all[idx]))
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), torch.as_tensor(y_all[idx]).flatten())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item() / math.log(2))
    xv, yv = char_windows(valid_ids, 256)
    bpc = bits_per_char(model, xv, yv)
    params = sum(p.numel() for p in model.parameters())
    return CharLMResult(model, bpc, params, time.process_time() - start, losses)

"""LSTM and GRU: the LSTM cell on plain arrays, the memory task, a forecaster and the cost of recurrence.

    (h1, c1) = lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)             # one step, torch's gate order
    grads = lstm_cell_grads(dh1, dc1, x, h, c, W_ih, W_hh, b_ih, b_hh)  # every gradient of that step
    lstm_parameter_count(input_size=10, hidden_size=20, num_layers=2)   # 5,920 (as torch counts)
    acc = recall_accuracy("lstm", length=60)                             # the memory task
    fit = train_forecaster(noisy_sines(1200), window=24)                 # vs the last-value baseline

The formulas live in ``nncourse.scratch.functional.gated`` (one home); these are the chapter's and
exercise 12's plain-data forms. Torch models come from ``nncourse.models.rnn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_array, check_int
from nncourse.data.sequences import forecast_windows, recall_task
from nncourse.models.rnn import SequenceClassifier
from nncourse.scratch.functional import gated as G
from nncourse.timing import median_cpu_seconds


# ---------------------------------------------------------------------------------- the LSTM cell
def _check_cell(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
) -> None:
    dims = check_array("x", x, ("N", "D"), dtype_kind="f")
    check_array("h", h, ("N", "H"), dims=dims, dtype_kind="f")
    check_array("c", c, ("N", "H"), dims=dims, dtype_kind="f")
    dims["4H"] = 4 * dims["H"]
    check_array("W_ih", w_ih, ("4H", "D"), dims=dims, dtype_kind="f")
    check_array("W_hh", w_hh, ("4H", "H"), dims=dims, dtype_kind="f")
    check_array("b_ih", b_ih, ("4H",), dims=dims, dtype_kind="f")
    check_array("b_hh", b_hh, ("4H",), dims=dims, dtype_kind="f")


def lstm_cell(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step. x: (N, D), h, c: (N, H), W_ih: (4H, D), W_hh: (4H, H), biases (4H,) -> (h', c').

    Rows of the weights and biases are stacked gate by gate in torch's order i, f, g, o.
    """
    _check_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)
    return G.lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh)[0]


def lstm_cell_grads(
    dh1: np.ndarray,
    dc1: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Gradients of one step given dL/dh' and dL/dc' (N, H) each.

    Returns (dx (N, D), dh (N, H), dc (N, H), dW_ih (4H, D), dW_hh (4H, H), db (4H,)); ``db`` is the
    gradient of either bias (they enter the pre-activation the same way).
    """
    _check_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)
    _, cache = G.lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh)
    dx, dh, dc, dw_ih, dw_hh, db, _ = G.lstm_cell_backward((dh1, dc1), cache)
    return dx, dh, dc, dw_ih, dw_hh, db


def lstm_parameter_count(input_size: int, hidden_size: int, num_layers: int = 1) -> int:
    """Parameters of ``torch.nn.LSTM(input_size, hidden_size, num_layers)`` (biases on).

    Each layer has four gates, each with an input matrix, a recurrent matrix and two biases:
    4H (D_l + H) + 8H, where D_0 = input_size and D_l = H above the first layer.
    """
    d, hid, layers = (
        check_int("input_size", input_size),
        check_int("hidden_size", hidden_size),
        check_int("num_layers", num_layers),
    )
    return sum(4 * hid * ((d if layer == 0 else hid) + hid) + 8 * hid for layer in range(layers))


# ---------------------------------------------------------------------------------- the memory task
def recall_accuracy(
    cell: str,
    length: int,
    *,
    steps: int = 150,
    hidden_size: int = 16,
    batch_size: int = 64,
    memory_bias: float = 5.0,
    lr: float = 1e-2,
    seed: int = 0,
) -> float:
    """Train a ``SequenceClassifier`` on ``recall_task`` at one length; return its accuracy on 500 new sequences.

    Gated cells start with their keep-gate bias at ``memory_bias`` (``set_memory_bias``); the plain
    RNN has no gate. Every batch is fresh data (``steps * batch_size`` sequences in all).
    """
    torch.manual_seed(seed)
    model = SequenceClassifier(5, hidden_size, 4, cell=cell, memory_bias=0.0 if cell == "rnn" else memory_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = (torch.as_tensor(a) for a in recall_task(steps * batch_size, length, symbols=4, seed=seed))
    for step in range(steps):
        part = slice(step * batch_size, (step + 1) * batch_size)
        loss = nn.functional.cross_entropy(model(x[part]), y[part])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    xv, yv = recall_task(500, length, symbols=4, seed=seed + 1000)
    with torch.no_grad():
        return float((model(torch.as_tensor(xv)).argmax(1).numpy() == yv).mean())


# ---------------------------------------------------------------------------------- forecasting
@dataclass
class Forecast:
    """A trained one-step forecaster: test predictions, its MSE and the last-value baseline's."""

    model: nn.Module
    prediction: np.ndarray
    target: np.ndarray
    mse: float
    last_value_mse: float


def train_forecaster(
    series: np.ndarray,
    window: int = 24,
    *,
    cell: str = "gru",
    hidden_size: int = 16,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 1e-2,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> Forecast:
    """Predict the next value of ``series`` from the previous ``window``; the last quarter (in time) is the test set."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = forecast_windows(series, window)
    cut = int(len(x) * (1 - test_fraction))
    model = SequenceClassifier(1, hidden_size, 1, cell=cell)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt, yt = torch.as_tensor(x[:cut]), torch.as_tensor(y[:cut])
    for _ in range(check_int("steps", steps)):
        idx = torch.as_tensor(rng.integers(0, cut, size=batch_size))
        loss = nn.functional.mse_loss(model(xt[idx])[:, 0], yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = model(torch.as_tensor(x[cut:]))[:, 0].numpy()
    target = y[cut:]
    return Forecast(
        model, pred, target, float(np.mean((pred - target) ** 2)), float(np.mean((x[cut:, -1, 0] - target) ** 2))
    )


# ---------------------------------------------------------------------------------- cost of recurrence
def time_per_length(
    lengths: tuple[int, ...], *, batch_size: int = 32, hidden_size: int = 64, repeats: int = 5, seed: int = 0
) -> np.ndarray:
    """Median CPU seconds of one ``nn.LSTM`` forward pass at each sequence length. Returns (len(lengths),)."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(hidden_size, hidden_size, batch_first=True)
    out = []
    with torch.no_grad():
        for length in lengths:
            x = torch.randn(batch_size, length, hidden_size)
            out.append(median_cpu_seconds(partial(lstm, x), repeats))
    return np.array(out)

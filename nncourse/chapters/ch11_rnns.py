"""Chapter 11 helpers: the exercise's reference functions and the clipping experiment.

Exercise convention (torch's layouts, one bias): ``h_new = tanh(x @ W_ih.T + h @ W_hh.T + b)`` with
x (N, I), h (N, H), W_ih (H, I), W_hh (H, H), b (H,). The references wrap the kernels of
``nncourse.scratch.functional.rnn``.

The clipping experiment: a one-layer tanh RNN (hidden 16) with a linear read-out learns to output
the scaled sum of 30 scalar inputs, ``y = sum_t x_t / sqrt(30)`` (predicting 0 gives a loss of 1),
by plain SGD from a recurrent matrix of spectral radius 2 (the exploding regime), with or without
gradient-norm clipping.
"""

from __future__ import annotations

import numpy as np

from nncourse.optim import SGD, clip_grad_norm
from nncourse.scratch.functional import rnn as K
from nncourse.scratch.linear import Linear
from nncourse.scratch.rnn import RNN

SUM_TASK = {"length": 30, "hidden": 16, "batch": 32, "scale": 2.0, "lr": 0.2, "steps": 300}
"""Settings of the clipping experiment (also the exercise's reasoning task)."""
TARGET_LOSS = 0.7
"""The exercise's target: mean training loss over the last 20 steps below this."""


# ---------------------------------------------------------------------- exercise references
def rnn_step_forward(x: np.ndarray, h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x (N, I), h (N, H) -> h_new (N, H) = tanh(x W_ih^T + h W_hh^T + b)."""
    return K.rnn_cell_forward(x, h, W_ih, W_hh, b, None)[0]


def rnn_step_backward(
    dh_new: np.ndarray, x: np.ndarray, h: np.ndarray, h_new: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray
) -> tuple[np.ndarray, ...]:
    """-> (dx (N, I), dh (N, H), dW_ih (H, I), dW_hh (H, H), db (H,)), with da = dh_new * (1 - h_new^2)."""
    cache = {
        "x": x,
        "h": h,
        "h_new": h_new,
        "weight_ih": W_ih,
        "weight_hh": W_hh,
        "bias": (True, False),
        "nonlinearity": "tanh",
    }
    dx, dh, dw_ih, dw_hh, db, _ = K.rnn_cell_backward(dh_new, cache)
    assert db is not None  # bias_ih is present
    return dx, dh, dw_ih, dw_hh, db


def rnn_bptt(
    xs: np.ndarray, h0: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b: np.ndarray, dhs: np.ndarray
) -> dict[str, np.ndarray]:
    """xs (T, N, I), h0 (N, H), dhs (T, N, H) = dL/dh_t for every step ->
    {"xs": (T, N, I), "h0": (N, H), "W_ih": (H, I), "W_hh": (H, H), "b": (H,)}."""
    _, cache = K.rnn_forward(xs, h0, W_ih, W_hh, b, None)
    dxs, dh0, dw_ih, dw_hh, db, _ = K.rnn_backward(dhs, cache)
    assert db is not None  # bias_ih is present
    return {"xs": dxs, "h0": dh0, "W_ih": dw_ih, "W_hh": dw_hh, "b": db}


def recurrent_matrix_for(radius: float, hidden: int, seed: int = 0) -> np.ndarray:
    """A random (hidden, hidden) recurrent matrix with spectral radius ``radius`` (seeded)."""
    from nncourse.widgets.gradient_flow import recurrent_matrix

    return recurrent_matrix(radius, hidden, np.random.default_rng(seed))


# ---------------------------------------------------------------------- the clipping experiment
def sum_task(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x (n, length, 1) standard normal; y (n, 1) = sum over time of x / sqrt(length)."""
    x = rng.standard_normal((n, length, 1))
    return x, x[:, :, 0].sum(axis=1, keepdims=True) / np.sqrt(length)


def train_sum_task(max_norm: float | None, *, seed: int = 0, **overrides: float) -> tuple[np.ndarray, np.ndarray]:
    """Train the experiment's RNN with SGD; clip the gradient norm to ``max_norm`` (``None``: no clipping).

    ``overrides``: any key of ``SUM_TASK``. Returns ``(losses, norms)``, each (steps,): the batch
    loss before each step and the gradient norm before clipping (the run stops early at a non-finite loss).
    """
    from nncourse.widgets.gradient_flow import recurrent_matrix  # the widget's matrix: same radius convention

    unknown = set(overrides) - set(SUM_TASK)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; choose from {sorted(SUM_TASK)}")
    cfg = {**SUM_TASK, **overrides}
    hidden, length, batch = int(cfg["hidden"]), int(cfg["length"]), int(cfg["batch"])
    rng = np.random.default_rng(seed)
    rnn = RNN(1, hidden, batch_first=True, rng=seed)
    rnn.params["weight_hh_l0"][...] = recurrent_matrix(float(cfg["scale"]), hidden, rng)
    head = Linear(hidden, 1, rng=seed + 1)
    params = {**{f"rnn.{k}": v for k, v in rnn.params.items()}, **{f"head.{k}": v for k, v in head.params.items()}}
    grads = {**{f"rnn.{k}": v for k, v in rnn.grads.items()}, **{f"head.{k}": v for k, v in head.grads.items()}}
    opt = SGD(lr=float(cfg["lr"]))
    losses, norms = [], []
    for _ in range(int(cfg["steps"])):
        x, y = sum_task(batch, length, rng)
        (out, _), rnn_cache = rnn.forward(x)  # out (batch, length, hidden)
        pred, head_cache = head.forward(out[:, -1])  # read the last state: (batch, 1)
        diff = pred - y
        loss = float(np.mean(diff**2))
        if not np.isfinite(loss):
            break
        losses.append(loss)
        rnn.zero_grad()
        head.zero_grad()
        dout = np.zeros_like(out)
        dout[:, -1] = head.backward(2.0 * diff / diff.size, head_cache)
        rnn.backward((dout, None), rnn_cache)
        if max_norm is None:
            norms.append(float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))))
        else:
            norms.append(clip_grad_norm(grads, max_norm))
        opt.step(params, grads)
    return np.array(losses), np.array(norms)


def final_loss(losses: np.ndarray, steps: int = int(SUM_TASK["steps"])) -> float:
    """Mean of the last 20 losses; ``inf`` when the run diverged (stopped before ``steps``) or is not finite."""
    if len(losses) < steps or not np.all(np.isfinite(losses[-20:])):
        return float("inf")
    return float(np.mean(losses[-20:]))

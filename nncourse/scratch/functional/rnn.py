"""Kernels of the plain (Elman) recurrent network: one step, and one layer over a whole sequence.

One step, torch's formula and layouts (``torch.nn.RNNCell``)::

    h_new = act(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)      act = tanh or relu

    x: (N, I)   h: (N, H)   weight_ih: (H, I)   weight_hh: (H, H)   bias_ih, bias_hh: (H,) or None

A sequence layer applies the same step at every time step, the output of step t being the state
fed to step t + 1. Its backward pass is backpropagation through time (BPTT): walk the steps in
reverse, carrying ``dh`` (the gradient reaching the state) from step t back to step t - 1, and add
up the weight gradients of every step (the weights are shared over time).

``out, cache = name_forward(...)``; ``grads = name_backward(dout, cache)``, one gradient per
differentiable input in argument order (``None`` for an absent bias). Caches hold private copies.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Kernel = tuple[np.ndarray, dict[str, Any]]
Grads = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]

NONLINEARITIES = ("tanh", "relu")
"""The two activations torch.nn.RNN offers."""


def _check_nonlinearity(nonlinearity: str) -> str:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    return nonlinearity


def _act(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)


def _act_grad_from_output(h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """act'(a) written with h = act(a): 1 - h^2 for tanh, [h > 0] for relu. Same shape as h."""
    return 1.0 - h * h if nonlinearity == "tanh" else (h > 0).astype(h.dtype)


def rnn_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray | None = None,
    bias_hh: np.ndarray | None = None,
    *,
    nonlinearity: str = "tanh",
) -> Kernel:
    """One step: x (N, I), h (N, H) -> h_new (N, H) = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    _check_nonlinearity(nonlinearity)
    a = x @ weight_ih.T + h @ weight_hh.T  # (N, H): input part + recurrent part
    if bias_ih is not None:
        a = a + bias_ih
    if bias_hh is not None:
        a = a + bias_hh
    h_new = _act(a, nonlinearity)
    cache = {
        "x": x.copy(),
        "h": h.copy(),
        "h_new": h_new.copy(),
        "weight_ih": weight_ih.copy(),
        "weight_hh": weight_hh.copy(),
        "bias": (bias_ih is not None, bias_hh is not None),
        "nonlinearity": nonlinearity,
    }
    return h_new, cache


def rnn_cell_backward(dh_new: np.ndarray, cache: dict[str, Any]) -> Grads:
    """dh_new (N, H) -> (dx (N, I), dh (N, H), dweight_ih (H, I), dweight_hh (H, H), dbias_ih, dbias_hh).

    With da = dh_new * act'(a) (the gradient at the pre-activation a):
    dx = da W_ih, dh = da W_hh, dW_ih = da^T x, dW_hh = da^T h, db_ih = db_hh = sum over the batch of da.
    """
    da = dh_new * _act_grad_from_output(cache["h_new"], cache["nonlinearity"])  # (N, H)
    dx = da @ cache["weight_ih"]  # (N, H) @ (H, I)
    dh = da @ cache["weight_hh"]  # (N, H) @ (H, H)
    dweight_ih = da.T @ cache["x"]  # (H, N) @ (N, I)
    dweight_hh = da.T @ cache["h"]  # (H, N) @ (N, H)
    has_ih, has_hh = cache["bias"]
    db = da.sum(axis=0)
    return dx, dh, dweight_ih, dweight_hh, (db if has_ih else None), (db.copy() if has_hh else None)


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray | None = None,
    bias_hh: np.ndarray | None = None,
    *,
    nonlinearity: str = "tanh",
    batch_first: bool = False,
) -> Kernel:
    """One recurrent layer over a sequence: the hidden state of every step.

    x: (L, N, I), or (N, L, I) when ``batch_first``; h0: (N, H) -> output: (L, N, H) (or (N, L, H)),
    where output[t] = rnn_cell(x[t], output[t - 1]) and output[-1] is the final state h_n.
    The input projection of every step is one matrix product; only the recurrence loops over time.
    """
    _check_nonlinearity(nonlinearity)
    xt = np.swapaxes(x, 0, 1) if batch_first else x  # (L, N, I), time first from here on
    steps, n = xt.shape[0], xt.shape[1]
    hidden = weight_hh.shape[0]
    a_in = xt @ weight_ih.T  # (L, N, H): every step's input part at once
    if bias_ih is not None:
        a_in = a_in + bias_ih
    if bias_hh is not None:
        a_in = a_in + bias_hh
    states = np.empty((steps + 1, n, hidden), dtype=np.result_type(x, h0, weight_hh))  # states[0] = h0
    states[0] = h0
    for t in range(steps):
        states[t + 1] = _act(a_in[t] + states[t] @ weight_hh.T, nonlinearity)
    output = states[1:]
    out = np.swapaxes(output, 0, 1).copy() if batch_first else output.copy()
    cache = {
        "x": xt.copy(),
        "states": states,
        "weight_ih": weight_ih.copy(),
        "weight_hh": weight_hh.copy(),
        "bias": (bias_ih is not None, bias_hh is not None),
        "nonlinearity": nonlinearity,
        "batch_first": batch_first,
    }
    return out, cache


def rnn_backward(doutput: np.ndarray, cache: dict[str, Any]) -> Grads:
    """BPTT. doutput: the gradient of every step's state, shaped like the output ->
    (dx like x, dh0 (N, H), dweight_ih (H, I), dweight_hh (H, H), dbias_ih, dbias_hh).

    A gradient for the final state h_n alone is added to doutput[-1] (time-first) by the caller.
    Going back from the last step: dh = doutput[t] + (what came back from step t + 1);
    da_t = dh * act'(a_t); what goes to step t - 1 is da_t W_hh. The weight gradients are sums over
    steps, done once at the end as matrix products over all (t, n) rows.
    """
    states, w_ih, w_hh = cache["states"], cache["weight_ih"], cache["weight_hh"]
    dout = np.swapaxes(doutput, 0, 1) if cache["batch_first"] else doutput  # (L, N, H)
    steps = dout.shape[0]
    da = np.empty_like(states[1:], dtype=np.result_type(states, dout))  # (L, N, H)
    carry = np.zeros_like(states[0], dtype=da.dtype)  # gradient flowing back into the state of step t
    for t in range(steps - 1, -1, -1):
        da[t] = (dout[t] + carry) * _act_grad_from_output(states[t + 1], cache["nonlinearity"])
        carry = da[t] @ w_hh  # (N, H) @ (H, H): to the previous state
    rows = da.reshape(-1, da.shape[-1])  # (L * N, H)
    x = cache["x"]
    dx = da @ w_ih  # (L, N, H) @ (H, I) -> (L, N, I)
    dweight_ih = rows.T @ x.reshape(-1, x.shape[-1])  # (H, L*N) @ (L*N, I)
    dweight_hh = rows.T @ states[:-1].reshape(-1, states.shape[-1])  # (H, L*N) @ (L*N, H)
    has_ih, has_hh = cache["bias"]
    db = rows.sum(axis=0)
    if cache["batch_first"]:
        dx = np.swapaxes(dx, 0, 1)
    return dx, carry, dweight_ih, dweight_hh, (db if has_ih else None), (db.copy() if has_hh else None)

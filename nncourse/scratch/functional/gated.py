"""Gated recurrent kernels: the LSTM and GRU cell, one step and a whole sequence, forward and backward.

Layouts and gate order are torch's, so ``torch.nn.LSTM`` / ``torch.nn.GRU`` weights drop in unchanged:

* LSTM: ``weight_ih`` (4H, in), ``weight_hh`` (4H, H), biases (4H,), rows stacked as gates i, f, g, o::

      i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
      a = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh          (N, 4H)
      c' = f * c + i * g,   h' = o * tanh(c')

* GRU: ``weight_ih`` (3H, in), ``weight_hh`` (3H, H), biases (3H,), rows stacked as r, z, n::

      r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h

Cell kernels (x: (N, in), h, c: (N, H))::

    (h_new, c_new), cache = lstm_cell_forward(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
    dx, dh, dc, dweight_ih, dweight_hh, dbias_ih, dbias_hh = lstm_cell_backward((dh_new, dc_new), cache)
    h_new, cache = gru_cell_forward(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh = gru_cell_backward(dh_new, cache)

Sequence kernels (one layer, time first: x (T, N, in) -> out (T, N, H)) do the input projection of
every step in one matrix product and sum the weight gradients over time in one product too; only
the recurrence itself runs step by step (it cannot be parallelised over time: step t needs h_{t-1})::

    (out, h_T, c_T), cache = lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
    dx, dh0, dc0, dweight_ih, dweight_hh, dbias_ih, dbias_hh = lstm_backward((dout, dh_T, dc_T), cache)
    (out, h_T), cache = gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    dx, dh0, dweight_ih, dweight_hh, dbias_ih, dbias_hh = gru_backward((dout, dh_T), cache)

No validation here (the layers validate); the cache never aliases an argument or an output.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) written as (1 + tanh(a / 2)) / 2: no overflow for any a."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# ---------------------------------------------------------------------- LSTM
def _lstm_consts(hid: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-column constants that turn every gate's nonlinearity into one tanh over (N, 4H).

    sigmoid(a) = 0.5 * tanh(0.5 a) + 0.5 and g = tanh(a), so gates = tanh(a * s) * s + b with
    s = 0.5 (i, f, o) or 1 (g) and b = 0.5 or 0. The derivative is y (p - y) + q: p = 1, q = 0 for
    a sigmoid (y (1 - y)) and p = 0, q = 1 for tanh (1 - y^2).
    """
    sig = np.ones(4 * hid, dtype=bool)
    sig[2 * hid : 3 * hid] = False
    s = np.where(sig, 0.5, 1.0).astype(dtype)
    b = np.where(sig, 0.5, 0.0).astype(dtype)
    return s, b, np.where(sig, 1.0, 0.0).astype(dtype), np.where(sig, 0.0, 1.0).astype(dtype)


def _lstm_step(
    a: np.ndarray, c: np.ndarray, consts: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...] | None = None
) -> tuple[np.ndarray, ...]:
    """Pre-activations a (N, 4H, overwritten) and cell c (N, H) -> (h_new, c_new, gates (N, 4H), tanh(c_new)).

    ``out``: optional (h_new, c_new, tanh(c_new)) buffers to write into (the sequence loop's storage).
    """
    hid = c.shape[-1]
    h_new, c_new, tc = out if out is not None else (np.empty_like(c), np.empty_like(c), np.empty_like(c))
    s, b = consts[0], consts[1]
    a *= s
    np.tanh(a, out=a)
    a *= s
    a += b  # a now holds the gates i, f, g, o
    i, f, g, o = a[:, :hid], a[:, hid : 2 * hid], a[:, 2 * hid : 3 * hid], a[:, 3 * hid :]
    np.multiply(f, c, out=c_new)
    c_new += i * g
    np.tanh(c_new, out=tc)
    np.multiply(o, tc, out=h_new)
    return h_new, c_new, a, tc


def _lstm_step_back(
    dh: np.ndarray,
    dc: np.ndarray,
    gates: np.ndarray,
    c: np.ndarray,
    tc: np.ndarray,
    slope: np.ndarray,
    o_dtanh: np.ndarray,
    da: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients at h_new and c_new -> (da: (N, 4H) at the pre-activations, dc_prev: (N, H)).

    ``slope`` (N, 4H) and ``o_dtanh`` (N, H) depend on the forward values only (``_lstm_slopes``), so a
    sequence computes them for every step at once. ``da``: optional (N, 4H) buffer for the result.
    """
    hid = c.shape[-1]
    i, f, g = gates[:, :hid], gates[:, hid : 2 * hid], gates[:, 2 * hid : 3 * hid]
    dc = dc + dh * o_dtanh  # c_new feeds h_new = o * tanh(c_new)
    da = np.empty_like(gates) if da is None else da
    np.multiply(dc, g, out=da[:, :hid])  # dL/di
    np.multiply(dc, c, out=da[:, hid : 2 * hid])  # dL/df
    np.multiply(dc, i, out=da[:, 2 * hid : 3 * hid])  # dL/dg
    np.multiply(dh, tc, out=da[:, 3 * hid :])  # dL/do
    da *= slope
    return da, dc * f


def _lstm_slopes(gates: np.ndarray, tc: np.ndarray, consts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Derivatives of the gate nonlinearities (sigmoid: y (1 - y); tanh: 1 - y^2), same shape as gates,
    and o * (1 - tanh(c_new)^2), the shape of tc. Any leading axes (one step or a whole sequence)."""
    hid = tc.shape[-1]
    slope = consts[2] - gates
    slope *= gates
    slope += consts[3]
    o_dtanh = 1.0 - tc * tc
    o_dtanh *= gates[..., 3 * hid :]
    return slope, o_dtanh


def lstm_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray | None,
    bias_hh: np.ndarray | None,
) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, Any]]:
    """One LSTM step. x: (N, in), h, c: (N, H) -> ((h_new, c_new): (N, H) each, cache)."""
    a = x @ weight_ih.T + h @ weight_hh.T  # (N, 4H)
    if bias_ih is not None:
        a += bias_ih
    if bias_hh is not None:
        a += bias_hh
    h_new, c_new, gates, tc = _lstm_step(a, c, _lstm_consts(c.shape[-1], a.dtype))
    cache = {
        "x": x.copy(),
        "h": h.copy(),
        "c": c.copy(),
        "w_ih": weight_ih.copy(),
        "w_hh": weight_hh.copy(),
        "gates": gates,
        "tc": tc,
        "bias": bias_ih is not None,
    }
    return (h_new, c_new.copy()), cache


def lstm_cell_backward(dout: tuple[np.ndarray, np.ndarray], cache: dict[str, Any]) -> tuple[Any, ...]:
    """(dh_new, dc_new): (N, H) each -> (dx, dh, dc, dweight_ih, dweight_hh, dbias_ih, dbias_hh)."""
    dh_new, dc_new = dout
    gates, tc = cache["gates"], cache["tc"]
    slope, o_dtanh = _lstm_slopes(gates, tc, _lstm_consts(tc.shape[-1], gates.dtype))
    da, dc = _lstm_step_back(dh_new, dc_new, gates, cache["c"], tc, slope, o_dtanh)
    dx = da @ cache["w_ih"]  # (N, 4H) @ (4H, in)
    dh = da @ cache["w_hh"]  # (N, 4H) @ (4H, H)
    db = da.sum(axis=0) if cache["bias"] else None
    return dx, dh, dc, da.T @ cache["x"], da.T @ cache["h"], db, None if db is None else db.copy()


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray | None,
    bias_hh: np.ndarray | None,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], dict[str, Any]]:
    """One LSTM layer over a sequence. x: (T, N, in), h0, c0: (N, H) -> ((out (T, N, H), h_T, c_T), cache)."""
    steps, batch = x.shape[0], x.shape[1]
    hid = weight_hh.shape[1]
    a_in = (x.reshape(steps * batch, -1) @ weight_ih.T).reshape(steps, batch, 4 * hid)  # every step at once
    if bias_ih is not None:
        a_in += bias_ih
    if bias_hh is not None:
        a_in += bias_hh
    hs = np.empty((steps + 1, batch, hid), dtype=np.result_type(x, h0))  # hs[t] is h_{t-1}; hs[0] = h0
    cs = np.empty_like(hs)
    gates = np.empty((steps, batch, 4 * hid), dtype=hs.dtype)
    tcs = np.empty((steps, batch, hid), dtype=hs.dtype)
    hs[0], cs[0] = h0, c0
    w_hh_t = weight_hh.T
    consts = _lstm_consts(hid, hs.dtype)
    for t in range(steps):  # the recurrence: step t needs h_{t-1}
        np.matmul(hs[t], w_hh_t, out=gates[t])
        gates[t] += a_in[t]
        _lstm_step(gates[t], cs[t], consts, out=(hs[t + 1], cs[t + 1], tcs[t]))  # writes into the storage
    cache = {
        "x": x.copy(),
        "hs": hs,
        "cs": cs,
        "gates": gates,
        "tcs": tcs,
        "w_ih": weight_ih.copy(),
        "w_hh": weight_hh.copy(),
        "bias": bias_ih is not None,
    }
    return (hs[1:].copy(), hs[-1].copy(), cs[-1].copy()), cache


def lstm_backward(dout: tuple[np.ndarray, np.ndarray, np.ndarray], cache: dict[str, Any]) -> tuple[Any, ...]:
    """(dout (T, N, H), dh_T, dc_T) -> (dx, dh0, dc0, dweight_ih, dweight_hh, dbias_ih, dbias_hh).

    Backpropagation through time: walk the steps backwards, carrying dh and dc into the previous step.
    """
    d_out, dh, dc = dout
    hs, cs, gates, tcs, w_hh = cache["hs"], cache["cs"], cache["gates"], cache["tcs"], cache["w_hh"]
    steps, batch = gates.shape[0], gates.shape[1]
    das = np.empty_like(gates)  # (T, N, 4H): gradient at every step's pre-activations
    slopes, o_dtanhs = _lstm_slopes(gates, tcs, _lstm_consts(w_hh.shape[1], gates.dtype))  # every step at once
    for t in range(steps - 1, -1, -1):
        _, dc = _lstm_step_back(dh + d_out[t], dc, gates[t], cs[t], tcs[t], slopes[t], o_dtanhs[t], da=das[t])
        dh = das[t] @ w_hh
    x = cache["x"]
    da2 = das.reshape(steps * batch, -1)  # (T*N, 4H)
    dx = (da2 @ cache["w_ih"]).reshape(x.shape)
    dw_ih = da2.T @ x.reshape(steps * batch, -1)
    dw_hh = da2.T @ hs[:-1].reshape(steps * batch, -1)
    db = da2.sum(axis=0) if cache["bias"] else None
    return dx, dh, dc, dw_ih, dw_hh, db, None if db is None else db.copy()


# ---------------------------------------------------------------------- GRU
def _gru_step(gi: np.ndarray, gh: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Input part gi (N, 3H) and hidden part gh (N, 3H) of the pre-activations, h (N, H) -> (h_new, gates r, z, n)."""
    hid = h.shape[-1]
    gates = np.empty_like(gi)
    gates[:, : 2 * hid] = _sigmoid(gi[:, : 2 * hid] + gh[:, : 2 * hid])  # r, z
    gates[:, 2 * hid :] = np.tanh(gi[:, 2 * hid :] + gates[:, :hid] * gh[:, 2 * hid :])  # n
    z, n = gates[:, hid : 2 * hid], gates[:, 2 * hid :]
    return n + z * (h - n), gates


def _gru_step_back(
    dh: np.ndarray, gates: np.ndarray, gh_n: np.ndarray, h: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dh_new -> (dgi (N, 3H), dgh (N, 3H), the part of dh_prev that skips the weights: dh_new * z)."""
    hid = h.shape[-1]
    r, z, n = gates[:, :hid], gates[:, hid : 2 * hid], gates[:, 2 * hid :]
    dgi = np.empty_like(gates)
    dan = dh * (1.0 - z) * (1.0 - n * n)  # through n = tanh(...)
    dgi[:, :hid] = dan * gh_n * r * (1.0 - r)  # r multiplies (W_hn h + b_hn)
    dgi[:, hid : 2 * hid] = dh * (h - n) * z * (1.0 - z)
    dgi[:, 2 * hid :] = dan
    dgh = dgi.copy()
    dgh[:, 2 * hid :] *= r
    return dgi, dgh, dh * z


def gru_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray | None,
    bias_hh: np.ndarray | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One GRU step. x: (N, in), h: (N, H) -> (h_new (N, H), cache)."""
    hid = h.shape[-1]
    gi, gh = x @ weight_ih.T, h @ weight_hh.T  # (N, 3H) each
    if bias_ih is not None:
        gi += bias_ih
    if bias_hh is not None:
        gh += bias_hh
    h_new, gates = _gru_step(gi, gh, h)
    cache = {
        "x": x.copy(),
        "h": h.copy(),
        "w_ih": weight_ih.copy(),
        "w_hh": weight_hh.copy(),
        "gates": gates,
        "gh_n": gh[:, 2 * hid :].copy(),
        "bias": bias_ih is not None,
    }
    return h_new, cache


def gru_cell_backward(dout: np.ndarray, cache: dict[str, Any]) -> tuple[Any, ...]:
    """dh_new: (N, H) -> (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh)."""
    dgi, dgh, dh = _gru_step_back(dout, cache["gates"], cache["gh_n"], cache["h"])
    dx = dgi @ cache["w_ih"]
    dh = dh + dgh @ cache["w_hh"]
    bias = cache["bias"]
    return dx, dh, dgi.T @ cache["x"], dgh.T @ cache["h"], dgi.sum(0) if bias else None, dgh.sum(0) if bias else None


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray | None,
    bias_hh: np.ndarray | None,
) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, Any]]:
    """One GRU layer over a sequence. x: (T, N, in), h0: (N, H) -> ((out (T, N, H), h_T), cache)."""
    steps, batch = x.shape[0], x.shape[1]
    hid = weight_hh.shape[1]
    gi = (x.reshape(steps * batch, -1) @ weight_ih.T).reshape(steps, batch, 3 * hid)
    if bias_ih is not None:
        gi += bias_ih
    hs = np.empty((steps + 1, batch, hid), dtype=np.result_type(x, h0))
    gates = np.empty((steps, batch, 3 * hid), dtype=hs.dtype)
    gh_n = np.empty((steps, batch, hid), dtype=hs.dtype)
    hs[0] = h0
    w_hh_t = weight_hh.T
    for t in range(steps):
        gh = hs[t] @ w_hh_t
        if bias_hh is not None:
            gh += bias_hh
        hs[t + 1], gates[t] = _gru_step(gi[t], gh, hs[t])
        gh_n[t] = gh[:, 2 * hid :]
    cache = {
        "x": x.copy(),
        "hs": hs,
        "gates": gates,
        "gh_n": gh_n,
        "w_ih": weight_ih.copy(),
        "w_hh": weight_hh.copy(),
        "bias": bias_ih is not None,
    }
    return (hs[1:].copy(), hs[-1].copy()), cache


def gru_backward(dout: tuple[np.ndarray, np.ndarray], cache: dict[str, Any]) -> tuple[Any, ...]:
    """(dout (T, N, H), dh_T) -> (dx, dh0, dweight_ih, dweight_hh, dbias_ih, dbias_hh), through time."""
    d_out, dh = dout
    hs, gates, gh_n, w_hh = cache["hs"], cache["gates"], cache["gh_n"], cache["w_hh"]
    steps, batch = gates.shape[0], gates.shape[1]
    dgis, dghs = np.empty_like(gates), np.empty_like(gates)
    for t in range(steps - 1, -1, -1):
        dgis[t], dghs[t], dskip = _gru_step_back(dh + d_out[t], gates[t], gh_n[t], hs[t])
        dh = dskip + dghs[t] @ w_hh
    x = cache["x"]
    dgi2, dgh2 = dgis.reshape(steps * batch, -1), dghs.reshape(steps * batch, -1)
    dx = (dgi2 @ cache["w_ih"]).reshape(x.shape)
    dw_ih = dgi2.T @ x.reshape(steps * batch, -1)
    dw_hh = dgh2.T @ hs[:-1].reshape(steps * batch, -1)
    bias = cache["bias"]
    return dx, dh, dw_ih, dw_hh, dgi2.sum(0) if bias else None, dgh2.sum(0) if bias else None

"""Scratch LSTM and GRU (cells and sequence layers) against torch in float64, plus gradient checks.

Every value and every gradient (input, initial states, each parameter) within 1e-6 relative, over
several lengths, batch 1, one and two layers, time first and batch first, with and without an
initial state; bad layouts and state shapes raise a ValueError naming what was expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from nncourse.gradcheck import check_layer, gradcheck
from nncourse.scratch.base import Layer
from nncourse.scratch.functional import gated as G
from nncourse.scratch.gated import GRU, LSTM, GRUCell, LSTMCell

RTOL = 1e-6


def close(ours: Any, theirs: torch.Tensor, what: str) -> None:
    want = theirs.detach().numpy()
    got = np.asarray(ours)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs {want.shape}"
    assert np.abs(got - want).max() <= RTOL * max(np.abs(want).max(), 1e-6), f"{what} differs from torch"


def _build(kind: str, layers: int, batch_first: bool, bias: bool = True) -> tuple[Any, nn.Module]:
    torch.manual_seed(0)
    theirs = getattr(nn, kind)(3, 4, num_layers=layers, batch_first=batch_first, bias=bias).double()
    ours = (LSTM if kind == "LSTM" else GRU)(3, 4, num_layers=layers, batch_first=batch_first, bias=bias, rng=1)
    ours.load_torch(theirs)
    return ours, theirs


SEQ_CASES = [
    pytest.param(
        kind,
        steps,
        batch,
        layers,
        bf,
        with_hx,
        id=f"{kind}-T{steps}-N{batch}-L{layers}-{'bf' if bf else 'tf'}-{'hx' if with_hx else 'nohx'}",
    )
    for kind in ("LSTM", "GRU")
    for steps, batch, layers, bf, with_hx in [
        (1, 3, 1, False, False),
        (5, 1, 1, False, True),
        (7, 2, 2, False, True),
        (12, 3, 2, True, False),
        (4, 1, 2, True, True),
        (20, 2, 1, True, True),
    ]
]


@pytest.mark.parametrize("kind,steps,batch,layers,batch_first,with_hx", SEQ_CASES)
def test_sequence_layer_matches_torch(
    kind: str, steps: int, batch: int, layers: int, batch_first: bool, with_hx: bool
) -> None:
    ours, theirs = _build(kind, layers, batch_first)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(steps)
    x = rng.standard_normal((batch, steps, 3) if batch_first else (steps, batch, 3))
    states = [rng.standard_normal((layers, batch, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    tx = torch.tensor(x, requires_grad=True)
    tstates = [torch.tensor(s, requires_grad=True) for s in states]
    hx = None if not with_hx else (tuple(states) if kind == "LSTM" else states[0])
    thx = None if not with_hx else (tuple(tstates) if kind == "LSTM" else tstates[0])
    (out, final), cache = ours.forward(x, hx)
    t_out, t_final = theirs(tx, thx)
    close(out, t_out, "output")
    finals = final if kind == "LSTM" else (final,)
    t_finals = t_final if kind == "LSTM" else (t_final,)
    for f, tf in zip(finals, t_finals, strict=True):
        close(f, tf, "final state")
    d_out = rng.standard_normal(out.shape)
    d_finals = [rng.standard_normal(f.shape) for f in finals]
    dx, dhx = ours.backward((d_out, tuple(d_finals) if kind == "LSTM" else d_finals[0]), cache)
    loss = (t_out * torch.tensor(d_out)).sum() + sum(
        (tf * torch.tensor(d)).sum() for tf, d in zip(t_finals, d_finals, strict=True)
    )
    loss.backward()
    close(dx, tx.grad, "dx")
    if with_hx:
        dstates = dhx if kind == "LSTM" else (dhx,)
        for d, ts in zip(dstates, tstates, strict=True):
            close(d, ts.grad, "initial-state gradient")
    else:
        assert dhx is None
    for name, p in theirs.named_parameters():
        close(ours.grads[name], p.grad, f"grad {name}")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_grads_accumulate_and_no_bias(kind: str) -> None:
    ours, theirs = _build(kind, 1, False, bias=False)
    assert list(ours.params) == [n for n, _ in theirs.named_parameters()]
    x = np.random.default_rng(0).standard_normal((3, 2, 3))
    (out, _), cache = ours.forward(x)
    ours.backward((np.ones_like(out), None), cache)
    once = {k: v.copy() for k, v in ours.grads.items()}
    ours.backward((np.ones_like(out), None), cache)
    for k, v in ours.grads.items():
        np.testing.assert_allclose(v, 2 * once[k])


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_cell_matches_torch(kind: str) -> None:
    torch.manual_seed(0)
    theirs = (nn.LSTMCell if kind == "LSTM" else nn.GRUCell)(3, 5).double()
    ours = (LSTMCell if kind == "LSTM" else GRUCell)(3, 5).load_torch(theirs)
    rng = np.random.default_rng(0)
    for batch in (1, 4):
        x, h, c = rng.standard_normal((batch, 3)), rng.standard_normal((batch, 5)), rng.standard_normal((batch, 5))
        tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
        ours.zero_grad()
        theirs.zero_grad()
        dh1, dc1 = rng.standard_normal((batch, 5)), rng.standard_normal((batch, 5))
        if kind == "LSTM":
            (h1, c1), cache = ours.forward(x, (h, c))
            th1, tc1 = theirs(tx, (th, tc))
            close(h1, th1, "h'")
            close(c1, tc1, "c'")
            dx, (dh, dc) = ours.backward((dh1, dc1), cache)
            ((th1 * torch.tensor(dh1)).sum() + (tc1 * torch.tensor(dc1)).sum()).backward()
            close(dc, tc.grad, "dc")
        else:
            h1, cache = ours.forward(x, h)
            th1 = theirs(tx, th)
            close(h1, th1, "h'")
            dx, dh = ours.backward(dh1, cache)
            (th1 * torch.tensor(dh1)).sum().backward()
        close(dx, tx.grad, "dx")
        close(dh, th.grad, "dh")
        for name, p in theirs.named_parameters():
            close(ours.grads[name], p.grad, f"grad {name}")


def _fd_check(forward: Any, backward: Any, arrays: list[np.ndarray], douts: Any) -> None:
    """Finite differences of L = sum(outputs * douts) for every array argument of a kernel."""
    _, cache = forward(*arrays)
    analytic = backward(douts if len(douts) > 1 else douts[0], cache)

    def loss() -> float:
        outs = forward(*arrays)[0]
        outs = outs if isinstance(outs, tuple) else (outs,)
        return float(sum(np.sum(o * d) for o, d in zip(outs, douts, strict=True)))

    for i, (a, g) in enumerate(zip(arrays, analytic, strict=True)):
        res = gradcheck(loss, a, g)
        assert res.ok, f"argument {i}: {res}"


def test_kernels_pass_finite_differences() -> None:
    rng = np.random.default_rng(3)
    n, d, h, t = 2, 3, 4, 5
    lstm = [rng.standard_normal(s) for s in ((n, d), (n, h), (n, h), (4 * h, d), (4 * h, h), (4 * h,), (4 * h,))]
    _fd_check(G.lstm_cell_forward, G.lstm_cell_backward, lstm, [rng.standard_normal((n, h)) for _ in range(2)])
    gru = [rng.standard_normal(s) for s in ((n, d), (n, h), (3 * h, d), (3 * h, h), (3 * h,), (3 * h,))]
    _fd_check(G.gru_cell_forward, G.gru_cell_backward, gru, [rng.standard_normal((n, h))])
    seq = [rng.standard_normal((t, n, d)), *lstm[1:]]
    _fd_check(
        G.lstm_forward,
        G.lstm_backward,
        seq,
        [rng.standard_normal((t, n, h))] + [rng.standard_normal((n, h)) for _ in range(2)],
    )
    seq = [rng.standard_normal((t, n, d)), *gru[1:]]
    _fd_check(G.gru_forward, G.gru_backward, seq, [rng.standard_normal((t, n, h)), rng.standard_normal((n, h))])


def test_cache_is_private() -> None:
    ours, _ = _build("LSTM", 1, True)
    x = np.random.default_rng(0).standard_normal((2, 3, 3))
    (out, _), cache = ours.forward(x)
    d = np.ones_like(out)
    dx1, _ = ours.backward((d, None), cache)
    x[...] = 0
    out[...] = 0
    ours.params["weight_hh_l0"][...] = 0
    dx2, _ = ours.backward((d, None), cache)
    np.testing.assert_array_equal(dx1, dx2)


def test_bad_input_names_the_expected_layout() -> None:
    lstm = LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"\(N, T, input_size\) \(batch_first=True\).*features"):
        lstm.forward(np.zeros((2, 3, 5)))  # (N, features, T) handed over
    with pytest.raises(ValueError, match=r"\(T, N, input_size\)"):
        LSTM(3, 4).forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"h0 must have shape \(num_layers, N, hidden_size\) = \(1, 2, 4\)"):
        lstm.forward(np.zeros((2, 6, 3)), (np.zeros((2, 4)), np.zeros((1, 2, 4))))
    with pytest.raises(ValueError, match=r"c0 must have shape"):
        lstm.forward(np.zeros((2, 6, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 6, 4))))
    with pytest.raises(ValueError, match=r"h0 must have shape \(num_layers, N, hidden_size\) = \(2, 2, 4\)"):
        GRU(3, 4, num_layers=2).forward(np.zeros((6, 2, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="x must have shape"):
        LSTMCell(3, 4).forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="hx must have shape"):
        GRUCell(3, 4).forward(np.zeros((2, 3)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="float"):
        GRU(3, 4).forward(np.zeros((2, 2, 3), dtype=int))


class _OutputOnly(Layer):
    """A recurrent layer seen through its output sequence only, so ``check_layer`` can difference it."""

    def __init__(self, inner: Layer) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Any]:
        (out, _), cache = self.inner.forward(x)
        return out, cache

    def backward(self, dout: np.ndarray, cache: Any) -> np.ndarray:
        return self.inner.backward((dout, None), cache)[0]


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_layers_pass_finite_differences(kind: str) -> None:
    inner = (LSTM if kind == "LSTM" else GRU)(2, 3, num_layers=2, batch_first=True, rng=4)
    x = np.random.default_rng(5).standard_normal((2, 4, 2))
    results = check_layer(_OutputOnly(inner), x)
    assert set(results) == {"input0"} | {f"inner.{name}" for name in inner.params}
    failed = {name: r for name, r in results.items() if not r.ok}
    assert not failed, failed

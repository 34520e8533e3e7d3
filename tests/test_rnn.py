"""Scratch RNN (kernels, RNNCell, RNN) against torch in float64, finite differences, bad input, the widget."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch import nn

from nncourse.gradcheck import gradcheck
from nncourse.scratch.functional import rnn as K
from nncourse.scratch.rnn import RNN, RNNCell

RTOL = 1e-6


def close(ours: np.ndarray, theirs: torch.Tensor, name: str) -> None:
    ref = theirs.detach().numpy()
    assert ours.shape == ref.shape, (name, ours.shape, ref.shape)
    scale = max(np.abs(ref).max(), 1e-12)
    err = np.abs(ours - ref).max() / scale
    assert err < RTOL, f"{name}: relative error {err:.2e}"


CASES = [  # (L, N, I, H, num_layers, nonlinearity, bias, batch_first, with_h0)
    (1, 1, 3, 4, 1, "tanh", True, False, False),
    (5, 1, 3, 4, 2, "tanh", True, True, True),
    (7, 3, 2, 5, 2, "tanh", True, False, True),
    (12, 2, 4, 3, 1, "relu", True, True, False),
    (4, 2, 3, 4, 3, "tanh", False, False, True),
    (20, 1, 1, 6, 2, "tanh", True, False, False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "L{}-N{}-I{}-H{}-layers{}-{}-bias{}-bf{}-h0{}".format(*c))
def test_rnn_matches_torch(case):
    steps, n, i, h, layers, act, bias, bf, with_h0 = case
    torch.manual_seed(0)
    theirs = nn.RNN(i, h, layers, nonlinearity=act, bias=bias, batch_first=bf).double()
    ours = RNN(i, h, layers, nonlinearity=act, bias=bias, batch_first=bf, rng=1).load_torch(theirs)
    assert list(ours.params) == list(theirs.state_dict())
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, steps, i) if bf else (steps, n, i))
    h0 = rng.standard_normal((layers, n, h)) if with_h0 else None
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0 if with_h0 else np.zeros((layers, n, h)), requires_grad=True)
    out_t, hn_t = theirs(xt, h0t)
    (out, hn), cache = ours.forward(x, h0)
    close(out, out_t, "output")
    close(hn, hn_t, "h_n")
    g_out, g_hn = rng.standard_normal(out.shape), rng.standard_normal(hn.shape)
    ((out_t * torch.tensor(g_out)).sum() + (hn_t * torch.tensor(g_hn)).sum()).backward()
    dx, dh0 = ours.backward((g_out, g_hn), cache)
    close(dx, xt.grad, "dx")
    close(dh0, h0t.grad, "dh0")
    for name, p in theirs.named_parameters():
        close(ours.grads[name], p.grad, name)
    # gradients accumulate like torch's .grad
    (_, _), cache2 = ours.forward(x, h0)
    ours.backward((g_out, g_hn), cache2)
    for name, p in theirs.named_parameters():
        close(ours.grads[name] / 2, p.grad, name + " accumulated")


def test_rnn_unbatched_and_none_gradients_match_torch():
    torch.manual_seed(3)
    theirs = nn.RNN(3, 4, 2).double()
    ours = RNN(3, 4, 2).load_torch(theirs)
    x = np.random.default_rng(0).standard_normal((6, 3))
    xt = torch.tensor(x, requires_grad=True)
    out_t, hn_t = theirs(xt)
    (out, hn), cache = ours.forward(x)
    close(out, out_t, "output")
    close(hn, hn_t, "h_n")
    hn_t.sum().backward()  # loss on h_n only: doutput is None
    dx, dh0 = ours.backward((None, np.ones_like(hn)), cache)
    close(dx, xt.grad, "dx")
    assert dh0.shape == (2, 4)
    for name, p in theirs.named_parameters():
        close(ours.grads[name], p.grad, name)
    h0 = np.random.default_rng(1).standard_normal((2, 4))  # unbatched initial state: (num_layers, H)
    h0t = torch.tensor(h0, requires_grad=True)
    out_t, hn_t = theirs(xt, h0t)
    (out, hn), cache = ours.forward(x, h0)
    close(out, out_t, "output with h0")
    out_t.sum().backward()
    dx, dh0 = ours.backward((np.ones_like(out), None), cache)
    close(dh0, h0t.grad, "dh0 unbatched")


@pytest.mark.parametrize("act", ["tanh", "relu"])
@pytest.mark.parametrize("batched", [True, False])
def test_rnn_cell_matches_torch(act, batched):
    torch.manual_seed(0)
    theirs = nn.RNNCell(3, 5, nonlinearity=act).double()
    ours = RNNCell(3, 5, nonlinearity=act).load_torch(theirs)
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((2, 3) if batched else (3,)), rng.standard_normal((2, 5) if batched else (5,))
    xt, ht = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    out_t = theirs(xt, ht)
    out, cache = ours.forward(x, h)
    close(out, out_t, "h_new")
    g = rng.standard_normal(out.shape)
    (out_t * torch.tensor(g)).sum().backward()
    dx, dh = ours.backward(g, cache)
    close(dx, xt.grad, "dx")
    close(dh, ht.grad, "dh")
    for name, p in theirs.named_parameters():
        close(ours.grads[name], p.grad, name)


def test_sequence_kernel_equals_unrolled_cells():
    rng = np.random.default_rng(0)
    steps, n, i, h = 6, 2, 3, 4
    x, h0 = rng.standard_normal((steps, n, i)), rng.standard_normal((n, h))
    w_ih, w_hh, b_ih, b_hh = (rng.standard_normal(s) * 0.5 for s in [(h, i), (h, h), (h,), (h,)])
    out, cache = K.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    state, caches = h0, []
    for t in range(steps):
        state, c = K.rnn_cell_forward(x[t], state, w_ih, w_hh, b_ih, b_hh)
        caches.append(c)
        np.testing.assert_allclose(out[t], state, rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx, dh0, dw_ih, dw_hh, db_ih, db_hh = K.rnn_backward(dout, cache)
    carry, acc = np.zeros((n, h)), [np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros(h)]
    for t in range(steps - 1, -1, -1):
        dxt, carry, a, b, c, _ = K.rnn_cell_backward(dout[t] + carry, caches[t])
        np.testing.assert_allclose(dx[t], dxt, rtol=1e-10, atol=1e-12)
        acc = [acc[0] + a, acc[1] + b, acc[2] + c]
    for ours, ref in zip((dh0, dw_ih, dw_hh, db_ih, db_hh), (carry, *acc, acc[2]), strict=True):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bf", [False, True])
def test_rnn_finite_differences(bf):
    layer = RNN(2, 3, 2, batch_first=bf, rng=4)
    rng = np.random.default_rng(5)
    x, h0 = rng.standard_normal((2, 4, 2) if bf else (4, 2, 2)), rng.standard_normal((2, 2, 3))
    (out, hn), cache = layer.forward(x, h0)
    g_out, g_hn = rng.standard_normal(out.shape), rng.standard_normal(hn.shape)
    dx, dh0 = layer.backward((g_out, g_hn), cache)

    def loss() -> float:
        (o, hh), _ = layer.forward(x, h0)
        return float(np.sum(o * g_out) + np.sum(hh * g_hn))

    for name, target, analytic in [("x", x, dx), ("h0", h0, dh0)] + [
        (k, layer.params[k], layer.grads[k]) for k in layer.params
    ]:
        result = gradcheck(loss, target, analytic)
        assert result.ok, (name, str(result))


def test_cache_is_private():
    layer = RNN(2, 3, batch_first=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 2))
    (out, _hn), cache = layer.forward(x)
    ref = layer.backward((np.ones_like(out), None), cache)[0].copy()
    layer.zero_grad()
    (out, _hn), cache = layer.forward(x)
    x[...] = 7.0
    out[...] = 3.0
    layer.params["weight_hh_l0"][...] = 0.0
    np.testing.assert_array_equal(layer.backward((np.ones((2, 4, 3)), None), cache)[0], ref)


def test_bad_input_names_the_layout():
    rnn = RNN(3, 4, num_layers=2, batch_first=True)
    x_time_first = np.zeros((7, 2, 3))  # (L, N, I) given to a batch-first layer
    with pytest.raises(ValueError, match=r"batch_first=True expects x as \(N, L, input_size\)"):
        rnn.forward(x_time_first, np.zeros((2, 2, 4)))
    tf = RNN(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"batch_first=False expects x as \(L, N, input_size\)"):
        tf.forward(np.zeros((2, 7, 3)), np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match=r"h0 must have shape \(num_layers, N, hidden_size\) = \(2, 2, 4\)"):
        rnn.forward(np.zeros((2, 7, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match=r"feature axis must be last"):
        rnn.forward(np.zeros((2, 3, 7)))
    with pytest.raises(ValueError, match=r"\(N, L, 3\) \[batch_first=True\]"):
        rnn.forward(np.zeros((2, 7)))
    with pytest.raises(ValueError, match=r"h0 must have shape \(num_layers, hidden_size\)"):
        rnn.forward(np.zeros((7, 3)), np.zeros((2, 1, 4)))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match=r"pair \(doutput, dh_n\)"):
        (out, _hn), cache = rnn.forward(np.zeros((2, 7, 3)))
        rnn.backward(out, cache)
    cell = RNNCell(3, 4)
    with pytest.raises(ValueError, match=r"h must have shape \(2, 4\)"):
        cell.forward(np.zeros((2, 3)), np.zeros((4, 2)))


def test_gradient_flow_widget():
    from nncourse.widgets.gradient_flow import GradientFlowExplorer, gradient_norms_over_lag

    small = gradient_norms_over_lag(0.5, steps=30)
    big = gradient_norms_over_lag(1.5, steps=30, nonlinearity="linear")
    assert small.shape == (30,) and small[0] > 0
    assert small[-1] < 1e-3 * small[0]  # vanishes
    assert big[-1] > 1e3 * big[0]  # explodes without the tanh
    ex = GradientFlowExplorer()
    frames: list[bytes] = []
    ex.image.observe(lambda change: frames.append(change["new"]), names="value")
    ex.scale.value = 1.5
    assert len(frames) == 1 and "1.5" in ex.status.value
    assert repr(ex).startswith("<GradientFlowExplorer: interactive widget")


def test_exercise_11_catches_typical_mistakes():
    from nncourse.checks import get_exercise, run_task

    ex = get_exercise("11_rnns")

    def swapped_forward(x, h, W_ih, W_hh, b):
        return np.tanh(x @ W_ih.T + h @ W_hh + b)  # W_hh not transposed

    def no_tanh_backward(dh_new, x, h, h_new, W_ih, W_hh):
        da = dh_new
        return da @ W_ih, da @ W_hh, da.T @ x, da.T @ h, da.sum(axis=0)

    def too_loose(lr):
        return 1e6

    task = ex.task("rnn_step_forward")
    assert not run_task(task, swapped_forward, task.public_cases()).passed
    task = ex.task("rnn_step_backward")
    result = run_task(task, no_tanh_backward, task.public_cases())
    assert not result.passed and "dx differs" in result.message and "1 - h_new**2" in result.message
    task = ex.task("choose_max_norm")
    result = run_task(task, too_loose, task.public_cases())
    assert not result.passed and "the target is below 0.7" in result.message
    assert not run_task(task, lambda lr: "big", task.public_cases()).passed


def test_chapter_claims_vanishing_exploding_and_clipping():
    from nncourse.chapters import ch11_rnns as ch
    from nncourse.widgets.gradient_flow import gradient_norms_over_lag

    assert gradient_norms_over_lag(0.5)[30] < 1e-8  # vanishes below radius 1
    assert 1e-3 < gradient_norms_over_lag(1.0)[59] < 1.0  # survives much longer at radius 1
    assert gradient_norms_over_lag(3.0)[59] > 1e5  # explodes above it
    diverged, _ = ch.train_sum_task(None)
    clipped, norms = ch.train_sum_task(1.0)
    assert ch.final_loss(diverged) > 1e3
    assert ch.final_loss(clipped) < ch.TARGET_LOSS and norms.max() > 10  # clipping was active and it learned
    with pytest.raises(ValueError, match="unknown settings"):
        ch.train_sum_task(1.0, learning_rate=0.1)

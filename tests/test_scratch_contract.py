"""The layer contract: accumulating gradients, tied weights, children and state_dict, private caches
(in-place changes after forward), clear errors for bad input; and the numerics torch gets exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from nncourse import scratch as S
from nncourse.scratch import functional as F


def _randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------ accumulation and tied weights
def test_gradients_accumulate_until_zero_grad() -> None:
    layer, x, dout = S.Linear(3, 2), _randn(4, 3), _randn(4, 2, seed=1)
    _, c1 = layer(x)
    _, c2 = layer(2 * x)  # the same layer used twice: both caches stay valid
    layer.backward(dout, c1)
    layer.backward(dout, c2)
    np.testing.assert_allclose(layer.grads["weight"], dout.T @ x + dout.T @ (2 * x), rtol=1e-12)
    grad_ref = layer.grads["weight"]
    layer.zero_grad()
    assert layer.grads["weight"] is grad_ref and not grad_ref.any()  # cleared in place: optimizers keep their refs


def test_tied_weights_get_both_contributions_as_in_torch() -> None:
    emb, head = S.Embedding(7, 4), S.Linear(4, 7, bias=False)
    head.tie("weight", emb)
    assert head.params["weight"] is emb.params["weight"]
    t_emb = nn.Embedding(7, 4).double()
    t_head = nn.Linear(4, 7, bias=False).double()
    t_head.weight = t_emb.weight
    emb.load_torch(t_emb)
    idx = np.array([[1, 2, 2], [6, 0, 1]])
    h, c1 = emb(idx)
    _, c2 = head(h)
    dout = _randn(2, 3, 7)
    emb.backward(head.backward(dout, c2), c1)
    t_head(t_emb(torch.tensor(idx))).backward(torch.tensor(dout))
    np.testing.assert_allclose(emb.grads["weight"], t_emb.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    only_head = dout.reshape(-1, 7).T @ h.reshape(-1, 4)
    assert not np.allclose(emb.grads["weight"], only_head)  # the embedding's part is in there too


def test_tied_parameter_is_listed_once_like_torch_named_parameters() -> None:
    from tests.test_scratch_layers import Block, TorchBlock

    ours, theirs = Block(tied=True), TorchBlock(tied=True)
    assert list(ours.params) == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())  # state_dict keeps both names, as torch


# ------------------------------------------------------------------ children, modes, state
def test_children_modes_and_state_dict_round_trip() -> None:
    model = S.Sequential(S.Linear(3, 4), S.BatchNorm1d(4), S.Dropout(0.5), S.Linear(4, 2))
    assert list(model.params) == ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"]
    assert list(model.buffers) == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    model.eval()
    assert not any(layer.training for layer in model)
    model.train()
    assert all(layer.training for layer in model)
    state = model.state_dict()
    state["0.weight"] += 1.0  # a copy: the model is unchanged
    assert not np.allclose(model.params["0.weight"], state["0.weight"])
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.params["0.weight"], state["0.weight"])
    with pytest.raises(ValueError, match=r"missing \['3.bias'\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "3.bias"})
    with pytest.raises(ValueError, match=r"state\['0.weight'\] must have shape \(4, 3\)"):
        model.load_state_dict({**state, "0.weight": np.zeros((3, 4))})


def test_load_torch_rejects_a_different_architecture() -> None:
    with pytest.raises(ValueError, match="state_dict keys differ"):
        S.Sequential(S.Linear(3, 4)).load_torch(nn.Sequential(nn.ReLU(), nn.Linear(3, 4)))
    with pytest.raises(TypeError, match=r"module must be a torch.nn.Module"):
        S.Linear(3, 4).load_torch(np.zeros((4, 3)))


def test_repr_like_torch() -> None:
    model = S.Sequential(S.Linear(3, 4), S.ReLU(), S.LayerNorm(4), S.Embedding(5, 2, padding_idx=0))
    text = repr(model)
    assert (
        "(0): Linear(in_features=3, out_features=4, bias=True)" in text
        and "(3): Embedding(5, 2, padding_idx=0)" in text
    )


# ------------------------------------------------------------------ private caches
def _grads(layer: S.Layer, x: np.ndarray, dout: np.ndarray, change: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    layer.zero_grad()
    out, cache = layer(x)
    if change == "input":
        x += 1.5
    elif change == "output":
        out *= -3.0
    elif change == "param":
        for p in layer.params.values():
            p *= 0.5
    dx = layer.backward(dout, cache)
    return dx, {k: g.copy() for k, g in layer.grads.items()}


INPLACE_LAYERS = {
    "linear": lambda: S.Linear(4, 3),
    "sigmoid": S.Sigmoid,
    "tanh": S.Tanh,
    "gelu": S.GELU,
    "relu": S.ReLU,
    "softmax": S.Softmax,
    "log_softmax": S.LogSoftmax,
    "batchnorm": lambda: S.BatchNorm1d(4),
    "layernorm": lambda: S.LayerNorm(4),
    "dropout": lambda: S.Dropout(0.3, rng=1),
}


@pytest.mark.parametrize("change", ["input", "output", "param"])
@pytest.mark.parametrize("name", list(INPLACE_LAYERS))
def test_changing_input_output_or_parameter_in_place_after_forward_leaves_backward_right(
    name: str, change: str
) -> None:
    x, dout = _randn(5, 4), _randn(5, 4, seed=1)
    if name == "linear":
        dout = dout[:, :3]
    ref_layer, layer = INPLACE_LAYERS[name](), INPLACE_LAYERS[name]()
    dx_ref, g_ref = _grads(ref_layer, x.copy(), dout, "none")
    dx, g = _grads(layer, x.copy(), dout, change)
    np.testing.assert_array_equal(dx, dx_ref)
    for k in g_ref:
        np.testing.assert_array_equal(g[k], g_ref[k])


def test_loss_inputs_changed_in_place_do_not_change_the_gradient() -> None:
    logits, y = _randn(4, 3), np.array([0, 2, 1, 1])
    crit = S.CrossEntropyLoss()
    ref = crit.backward(1.0, crit(logits, y)[1])
    _, cache = crit(logits, y)
    logits += 10.0
    y[:] = 0
    np.testing.assert_array_equal(crit.backward(1.0, cache), ref)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: S.Linear(3, 2)(np.zeros((4, 2))), ValueError, r"x must have shape \(\*, 3\)"),
        (lambda: S.Linear(3, 2)(np.zeros((4, 3), dtype=int)), ValueError, r"x must have a float dtype"),
        (lambda: S.Linear(3, 2)("abc"), ValueError, r"x must have a float dtype"),
        (lambda: S.Linear("3", 2), TypeError, r"in_features must be a positive integer"),
        (lambda: S.Linear(0, 2), ValueError, r"in_features must be a positive integer"),
        (lambda: S.BatchNorm1d(3)(np.zeros((4, 2))), ValueError, r"x must have shape \(N, 3\) or \(N, 3, L\)"),
        (lambda: S.BatchNorm2d(3)(np.zeros((4, 3))), ValueError, r"x must have shape \(N, 3, H, W\)"),
        (lambda: S.BatchNorm1d(3)(np.zeros((1, 3))), ValueError, r"more than 1 value per channel"),
        (lambda: S.LayerNorm((2, 3))(np.zeros((4, 3, 2))), ValueError, r"x must have shape \(\*, 2, 3\)"),
        (lambda: S.Embedding(5, 2)(np.array([0.0, 1.0])), ValueError, r"indices must have a signed integer"),
        (lambda: S.Embedding(5, 2)(np.array([0, 5])), ValueError, r"indices must be in \[0, 5\)"),
        (
            lambda: S.CrossEntropyLoss()(np.zeros((4, 3)), np.zeros(3, dtype=int)),
            ValueError,
            r"target must have shape \(4,\)",
        ),
        (
            lambda: S.CrossEntropyLoss()(np.zeros((2, 3, 5)), np.zeros((2, 3), dtype=int)),
            ValueError,
            r"target must have shape \(2, 5\)",
        ),
        (
            lambda: S.CrossEntropyLoss()(np.zeros((4, 3)), np.array([0, 1, 3, 0])),
            ValueError,
            r"target must hold class indices in \[0, 3\)",
        ),
        (lambda: S.CrossEntropyLoss()(np.zeros((4, 3)), np.zeros(4)), ValueError, r"target must have a signed integer"),
        (lambda: S.CrossEntropyLoss(reduction="avg"), ValueError, r"reduction must be one of"),
        (lambda: S.MSELoss()(np.zeros((4, 3)), np.zeros((3, 4))), ValueError, r"target must have shape \(4, 3\)"),
        (lambda: S.Dropout("0.5"), TypeError, r"dropout probability p must be a number"),
        (lambda: S.Dropout(1.0), ValueError, r"p must be in \[0, 1\)"),
        (
            lambda: S.Sequential(S.Linear(2, 2), nn.ReLU()),
            TypeError,
            r"Sequential takes scratch Layer objects, got ReLU at position 1",
        ),
        (lambda: S.GELU("fast"), ValueError, r"approximate must be 'none' or 'tanh'"),
        (lambda: S.Softmax(dim=1.0), TypeError, r"dim must be an int"),
        (lambda: S.Softmax(dim=2)(np.zeros((2, 2))), ValueError, r"dim=2 is out of range"),
        (lambda: S.Linear(2, 2).train("yes"), TypeError, r"mode must be a bool"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_backward_needs_this_layers_cache_and_a_matching_dout() -> None:
    layer, other = S.Linear(3, 2), S.Linear(3, 2)
    _, cache = layer(np.zeros((4, 3)))
    with pytest.raises(RuntimeError, match="call forward first"):
        layer.backward(np.zeros((4, 2)), None)
    with pytest.raises(RuntimeError, match="cache made by another layer"):
        other.backward(np.zeros((4, 2)), cache)
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 2\)"):
        layer.backward(np.zeros((2, 4)), cache)
    crit = S.MSELoss()
    _, lc = crit(np.zeros(3), np.ones(3))
    with pytest.raises(TypeError, match=r"backward\(1.0, cache\)"):
        crit.backward(lc)  # the old (cache, dout) order is refused, never misread
    np.testing.assert_allclose(crit.backward(cache=lc), crit.backward(1.0, lc))


# ------------------------------------------------------------------ numerics torch gets exactly
def test_relu_gradient_at_nan_matches_torch() -> None:
    x = np.array([np.nan, -1.0, 0.0, 2.0])
    out, cache = S.ReLU()(x)
    dx = S.ReLU.kernel_backward(np.ones(4), cache)
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.ones(4, dtype=torch.float64))
    np.testing.assert_array_equal(out, torch.relu(torch.tensor(x)).numpy())  # NaN stays NaN
    np.testing.assert_array_equal(dx, xt.grad.numpy())  # torch passes dout at NaN: [1, 0, 0, 1]


@pytest.mark.parametrize("z", [30.0, 36.0, 40.0])
def test_bce_with_logits_is_exact_in_both_tails(z: float) -> None:
    exact = math.log1p(math.exp(-z))  # the loss of a confident correct prediction, ~9.4e-14 at z = 30
    right = F.binary_cross_entropy_with_logits(np.array([z]), np.array([1.0]))
    mirror = F.binary_cross_entropy_with_logits(np.array([-z]), np.array([0.0]))
    theirs = nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([z], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    ).item()
    assert abs(right - theirs) <= 1e-12 * theirs and abs(right - exact) <= 1e-12 * exact
    assert abs(mirror - exact) <= 1e-12 * exact  # torch loses this side (9.24e-14 at z = -30, 0 at -40)
    wrong = F.binary_cross_entropy_with_logits(np.array([z]), np.array([0.0]))
    assert abs(wrong - (z + exact)) <= 1e-15 * z


def test_gelu_exact_matches_torch_far_into_the_tails() -> None:
    x = np.linspace(-40, 40, 2001)
    xt = torch.tensor(x, requires_grad=True)
    nn.functional.gelu(xt).backward(torch.ones_like(xt))
    # torch's 1 + erf(x / sqrt 2) cancels below about x = -8 (values under 1e-15); ours (scipy's ndtr) does not
    np.testing.assert_allclose(F.gelu(x), nn.functional.gelu(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.gelu_grad(x), xt.grad.numpy(), rtol=1e-10, atol=1e-15)
    assert F.gelu(np.array([-30.0]))[0] < 0 and np.isfinite(F.gelu_grad(np.array([-40.0, 40.0]))).all()


@pytest.mark.parametrize("offset", [1e3, 1e4])
def test_float32_batchnorm_statistics_are_float64_accurate(offset: float) -> None:
    rng = np.random.default_rng(0)
    x64 = offset + rng.standard_normal((64, 5))
    x32 = x64.astype(np.float32)
    exact, _ = S.BatchNorm1d(5).forward(x32.astype(np.float64))  # the float32 input, normalised in float64
    ours, _ = S.BatchNorm1d(5, dtype=np.float32).forward(x32)
    with torch.no_grad():
        theirs = nn.BatchNorm1d(5)(torch.tensor(x32)).numpy()
    assert ours.dtype == np.float32
    err_ours, err_torch = np.abs(ours - exact).max(), np.abs(theirs - exact).max()
    assert err_ours <= 1e-6 and err_ours <= 2 * err_torch + 1e-6


def test_constant_column_at_large_offset_gives_torchs_gradient() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([np.full(8, 1000.1), rng.standard_normal(8)]).astype(np.float32)
    bn = S.BatchNorm1d(2, dtype=np.float32)
    out, cache = bn(x)
    dx = bn.backward(np.ones_like(out), cache)  # d sum(out) / dx: exactly 0 for every column
    xt = torch.tensor(x, requires_grad=True)
    nn.BatchNorm1d(2)(xt).sum().backward()
    assert np.all(out[:, 0] == 0.0)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-5)
    assert np.abs(dx[:, 0]).max() == 0.0

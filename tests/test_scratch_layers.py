"""Parity of the numpy layers in nncourse.scratch with their torch twins, plus their error handling."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nncourse import scratch

RTOL = 1e-6


def assert_close(ours: np.ndarray, theirs: torch.Tensor | np.ndarray, what: str = "") -> None:
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, what
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-10, err_msg=what)


def torch_pass(module: nn.Module, x: np.ndarray, dout: np.ndarray):
    """Forward/backward in torch (float64); return output, input gradient and parameter gradients."""
    module.zero_grad(set_to_none=True)  # torch accumulates .grad across calls
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = module(xt)
    out.backward(torch.tensor(dout, dtype=torch.float64))
    grads = {name: p.grad for name, p in module.named_parameters()}
    return out, xt.grad, grads


def check_parity(ours: scratch.Layer, theirs: nn.Module, x_shape: tuple[int, ...], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape) * 2.0
    theirs = theirs.double()
    ours.load_torch(theirs)
    out, cache = ours.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = ours.backward(dout, cache)
    t_out, t_dx, t_grads = torch_pass(theirs, x, dout)
    assert_close(out, t_out, "forward output")
    assert_close(dx, t_dx, "input gradient")
    assert set(ours.grads) == set(t_grads)
    for name, g in t_grads.items():
        assert ours.grads[name].shape == ours.params[name].shape
        assert_close(ours.grads[name], g, f"gradient of {name}")


# (id, factory returning (ours, theirs)); each case runs on every shape in its shape list
LINEAR_SHAPES = [(1, 3, 2), (5, 4, 7), (2, 1, 1), (8, 6, 3)]


@pytest.mark.parametrize("n,fan_in,fan_out", LINEAR_SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(n: int, fan_in: int, fan_out: int, bias: bool) -> None:
    torch.manual_seed(0)
    check_parity(scratch.Linear(fan_in, fan_out, bias=bias), nn.Linear(fan_in, fan_out, bias=bias), (n, fan_in))


ACTIVATIONS = {
    "relu": (lambda: scratch.ReLU(), lambda: nn.ReLU()),
    "sigmoid": (lambda: scratch.Sigmoid(), lambda: nn.Sigmoid()),
    "tanh": (lambda: scratch.Tanh(), lambda: nn.Tanh()),
    "gelu": (lambda: scratch.GELU(), lambda: nn.GELU()),
    "gelu_tanh": (lambda: scratch.GELU(approximate="tanh"), lambda: nn.GELU(approximate="tanh")),
    "softmax": (lambda: scratch.Softmax(), lambda: nn.Softmax(dim=-1)),
    "softmax_dim0": (lambda: scratch.Softmax(dim=0), lambda: nn.Softmax(dim=0)),
    "logsoftmax": (lambda: scratch.LogSoftmax(), lambda: nn.LogSoftmax(dim=-1)),
    "logsoftmax_dim1": (lambda: scratch.LogSoftmax(dim=1), lambda: nn.LogSoftmax(dim=1)),
}


@pytest.mark.parametrize("shape", [(1, 4), (6, 5), (3, 2, 4), (1, 1)])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name: str, shape: tuple[int, ...]) -> None:
    ours, theirs = ACTIVATIONS[name]
    check_parity(ours(), theirs(), shape, seed=len(shape) + shape[0])


@pytest.mark.parametrize("layer", [scratch.Sigmoid, scratch.Softmax, scratch.LogSoftmax, scratch.GELU])
def test_activations_stable_for_huge_inputs(layer: type) -> None:
    x = np.array([[-1000.0, 0.0, 1000.0], [800.0, 799.0, -800.0]])
    name = layer.__name__
    theirs = getattr(nn, name)(dim=-1) if name in ("Softmax", "LogSoftmax") else getattr(nn, name)()
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # overflow or nan fails the test
        layer_obj = layer()
        out, cache = layer_obj.forward(x)
        dx = layer_obj.backward(np.ones_like(out), cache)
    assert np.isfinite(out).all() and np.isfinite(dx).all()
    assert_close(out, theirs(torch.tensor(x)))


def test_activations_keep_float32() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for layer in (scratch.ReLU(), scratch.Sigmoid(), scratch.Tanh(), scratch.GELU(), scratch.Softmax(), scratch.Linear(4, 2)):
        out, cache = layer.forward(x)
        assert out.dtype == np.float32, layer
        assert layer.backward(np.ones_like(out), cache).dtype == np.float32, layer


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("n,c", [(1, 3), (5, 4), (7, 2)])
def test_cross_entropy_matches_torch(n: int, c: int) -> None:
    rng = np.random.default_rng(n * c)
    logits = rng.standard_normal((n, c)) * 3
    target = rng.integers(0, c, size=n)
    loss_fn = scratch.CrossEntropyLoss()
    loss, cache = loss_fn.forward(logits, target)
    dlogits = loss_fn.backward(cache, dout=2.5)
    lt = torch.tensor(logits, requires_grad=True)
    t_loss = nn.CrossEntropyLoss()(lt, torch.tensor(target))
    (2.5 * t_loss).backward()
    assert isinstance(loss, float)
    assert loss == pytest.approx(t_loss.item(), rel=RTOL)
    assert_close(dlogits, lt.grad)


def test_cross_entropy_stable_and_validated() -> None:
    logits = np.array([[1000.0, -1000.0], [0.0, 2000.0]])
    loss, _ = scratch.CrossEntropyLoss().forward(logits, np.array([0, 0]))
    assert loss == pytest.approx(1000.0)
    with pytest.raises(ValueError, match=r"\(N,\)"):
        scratch.CrossEntropyLoss().forward(logits, np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        scratch.CrossEntropyLoss().forward(logits, np.array([0, 2]))
    with pytest.raises(ValueError, match="integer"):
        scratch.CrossEntropyLoss().forward(logits, np.array([0.0, 1.0]))


@pytest.mark.parametrize("shape", [(1,), (4, 3), (2, 3, 2)])
def test_mse_matches_torch(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(shape))
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    loss_fn = scratch.MSELoss()
    loss, cache = loss_fn.forward(pred, target)
    dpred = loss_fn.backward(cache)
    pt = torch.tensor(pred, requires_grad=True)
    t_loss = nn.MSELoss()(pt, torch.tensor(target))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=RTOL)
    assert_close(dpred, pt.grad)
    with pytest.raises(ValueError, match=r"target must have shape"):
        loss_fn.forward(pred, np.zeros(shape + (1,)))


def test_loss_backward_needs_its_cache() -> None:
    with pytest.raises(RuntimeError, match="forward before backward"):
        scratch.MSELoss().backward(None)
    _, cache = scratch.MSELoss().forward(np.ones(3), np.zeros(3))
    with pytest.raises(RuntimeError, match="another layer"):
        scratch.CrossEntropyLoss().backward(cache)
    with pytest.raises(ValueError, match="dout"):
        loss_fn = scratch.MSELoss()
        _, cache = loss_fn.forward(np.ones(3), np.zeros(3))
        loss_fn.backward(cache, dout=np.ones(3))


# ---------------------------------------------------------------- batch norm
@pytest.mark.parametrize("n,c", [(2, 3), (6, 4), (16, 1)])
def test_batchnorm_train_matches_torch_including_running_stats(n: int, c: int) -> None:
    torch.manual_seed(1)
    theirs = nn.BatchNorm1d(c).double()
    with torch.no_grad():  # non-trivial affine parameters
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-1, 1)
    ours = scratch.BatchNorm1d(c).load_torch(theirs)
    for step in range(3):
        check_parity(ours, theirs, (n, c), seed=step)  # runs one training step on each side
    assert int(ours.buffers["num_batches_tracked"]) == int(theirs.num_batches_tracked) == 3
    assert_close(ours.buffers["running_mean"], theirs.running_mean, "running_mean")
    assert_close(ours.buffers["running_var"], theirs.running_var, "running_var")
    # the unbiased variance goes into running_var: after one step from 1, rv = 0.9 + 0.1 * var(ddof=1)
    fresh = scratch.BatchNorm1d(c)
    x = np.random.default_rng(9).standard_normal((n, c))
    fresh.forward(x)
    np.testing.assert_allclose(fresh.buffers["running_var"], 0.9 + 0.1 * x.var(axis=0, ddof=1))


@pytest.mark.parametrize("n", [1, 5])
def test_batchnorm_eval_matches_torch(n: int) -> None:
    theirs = nn.BatchNorm1d(3).double()
    ours = scratch.BatchNorm1d(3)
    rng = np.random.default_rng(3)
    for _ in range(4):  # make the running stats non-trivial on both sides
        x = rng.standard_normal((8, 3)) * 3 + 1
        theirs(torch.tensor(x))
        ours.forward(x)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
    ours.load_torch(theirs)
    theirs.eval()
    ours.eval()
    before = ours.buffers["running_mean"].copy()
    check_parity(ours, theirs, (n, 3), seed=n)
    np.testing.assert_array_equal(ours.buffers["running_mean"], before)  # eval does not update


def test_batchnorm_momentum_none_is_cumulative_average() -> None:
    theirs = nn.BatchNorm1d(2, momentum=None).double()
    ours = scratch.BatchNorm1d(2, momentum=None)
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = rng.standard_normal((5, 2))
        theirs(torch.tensor(x))
        ours.forward(x)
    assert_close(ours.buffers["running_mean"], theirs.running_mean)
    assert_close(ours.buffers["running_var"], theirs.running_var)


def test_batchnorm_batch_of_one_in_training_is_an_error() -> None:
    with pytest.raises(ValueError, match="more than 1 sample"):
        scratch.BatchNorm1d(3).forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        scratch.BatchNorm1d(3).forward(np.zeros((4, 2)))


# ---------------------------------------------------------------- dropout
def test_dropout_eval_is_identity() -> None:
    layer = scratch.Dropout(0.5).eval()
    x = np.random.default_rng(0).standard_normal((4, 5))
    out, cache = layer.forward(x)
    np.testing.assert_array_equal(out, x)
    dout = np.arange(20.0).reshape(4, 5)
    np.testing.assert_array_equal(layer.backward(dout, cache), dout)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_train_mask_scaling_and_rate(p: float) -> None:
    layer = scratch.Dropout(p, rng=123)
    x = np.random.default_rng(1).standard_normal((200, 500)) + 3.0
    out, cache = layer.forward(x)
    mask = cache["mask"]
    assert mask.shape == x.shape and mask.dtype == bool
    np.testing.assert_allclose(out, mask * x / (1 - p))
    dout = np.random.default_rng(2).standard_normal(x.shape)
    np.testing.assert_allclose(layer.backward(dout, cache), mask * dout / (1 - p))
    assert mask.mean() == pytest.approx(1 - p, abs=0.01)


def test_dropout_seeded_determinism_and_p_zero() -> None:
    x = np.ones((10, 10))
    a1, _ = scratch.Dropout(0.5, rng=7).forward(x)
    a2, _ = scratch.Dropout(0.5, rng=7).forward(x)
    b, _ = scratch.Dropout(0.5, rng=8).forward(x)
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(a1, b)
    layer = scratch.Dropout(0.5, rng=7)
    first, _ = layer.forward(x)
    second, _ = layer.forward(x)
    assert not np.array_equal(first, second)  # each call draws a fresh mask
    out, cache = scratch.Dropout(0.0).forward(x * 2)
    np.testing.assert_array_equal(out, x * 2)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", True])
def test_dropout_rejects_bad_p(p: object) -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        scratch.Dropout(p)  # type: ignore[arg-type]


# ---------------------------------------------------------------- base behaviour and errors
def test_linear_init_is_seeded_and_bounded() -> None:
    a, b, c = scratch.Linear(16, 8, rng=0), scratch.Linear(16, 8, rng=0), scratch.Linear(16, 8, rng=1)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])
    assert a.params["weight"].shape == (8, 16) and a.params["bias"].shape == (8,)
    assert np.abs(a.params["weight"]).max() <= 0.25 and np.abs(a.params["weight"]).max() > 0.2
    assert a.params["weight"].dtype == np.float64
    assert scratch.Linear(2, 2, dtype=np.float32).params["weight"].dtype == np.float32
    g = np.random.default_rng(5)
    scratch.Linear(2, 2, rng=g)  # a Generator is accepted and advanced
    with pytest.raises(ValueError, match="in_features"):
        scratch.Linear(0, 3)


def test_wrong_shape_errors_name_expected_shape() -> None:
    lin = scratch.Linear(3, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\).*got shape \(4, 5\)"):
        lin.forward(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        lin.forward(np.zeros(3))
    out, cache = lin.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 2\)"):
        lin.backward(np.zeros((4, 3)), cache)
    with pytest.raises(ValueError, match="float"):
        lin.forward(np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="out of range"):
        scratch.Softmax(dim=2).forward(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "layer", [scratch.Linear(3, 2), scratch.ReLU(), scratch.Tanh(), scratch.Softmax(), scratch.BatchNorm1d(3), scratch.Dropout()]
)
def test_backward_before_forward_is_runtime_error(layer: scratch.Layer) -> None:
    with pytest.raises(RuntimeError, match="forward before backward"):
        layer.backward(np.zeros((2, 3)), None)
    with pytest.raises(RuntimeError, match="forward before backward"):
        layer.backward(np.zeros((2, 3)), {"x": np.zeros((2, 3))})
    _, foreign = scratch.Sigmoid().forward(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="another layer"):
        layer.backward(np.zeros((2, 3)), foreign)


def test_grads_are_overwritten_not_accumulated() -> None:
    lin = scratch.Linear(3, 2)
    x = np.random.default_rng(0).standard_normal((4, 3))
    out, cache = lin.forward(x)
    lin.backward(np.ones_like(out), cache)
    first = {k: v.copy() for k, v in lin.grads.items()}
    lin.backward(np.ones_like(out), cache)
    for k in first:
        np.testing.assert_array_equal(lin.grads[k], first[k])
    assert np.abs(first["weight"]).sum() > 0
    lin.zero_grad()
    assert all(not g.any() for g in lin.grads.values())


def test_repr_matches_torch() -> None:
    pairs = [
        (scratch.Linear(3, 2), nn.Linear(3, 2)),
        (scratch.Linear(3, 2, bias=False), nn.Linear(3, 2, bias=False)),
        (scratch.ReLU(), nn.ReLU()),
        (scratch.GELU(approximate="tanh"), nn.GELU(approximate="tanh")),
        (scratch.Softmax(dim=0), nn.Softmax(dim=0)),
        (scratch.LogSoftmax(), nn.LogSoftmax(dim=-1)),
        (scratch.Sequential(scratch.Linear(3, 2), scratch.Tanh()), nn.Sequential(nn.Linear(3, 2), nn.Tanh())),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert repr(scratch.BatchNorm1d(4)) == "BatchNorm1d(4, eps=1e-05, momentum=0.1)"


def test_load_torch_rejects_mismatches() -> None:
    with pytest.raises(ValueError, match="Linear"):
        scratch.Linear(3, 2).load_torch(nn.Tanh())
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        scratch.Linear(3, 2).load_torch(nn.Linear(4, 2))
    with pytest.raises(ValueError, match="parameter names"):
        scratch.Linear(3, 2, bias=False).load_torch(nn.Linear(3, 2))


# ---------------------------------------------------------------- sequential
def make_mlp_pair(seed: int = 0):
    torch.manual_seed(seed)
    theirs = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).double()
    ours = scratch.Sequential(scratch.Linear(4, 8), scratch.ReLU(), scratch.Linear(8, 3)).load_torch(theirs)
    return ours, theirs


@pytest.mark.parametrize("n", [1, 6])
def test_mlp_with_cross_entropy_matches_torch(n: int) -> None:
    ours, theirs = make_mlp_pair()
    rng = np.random.default_rng(n)
    x, y = rng.standard_normal((n, 4)), rng.integers(0, 3, size=n)
    criterion = scratch.CrossEntropyLoss()
    logits, caches = ours.forward(x)
    loss, loss_cache = criterion.forward(logits, y)
    dx = ours.backward(criterion.backward(loss_cache), caches)
    xt = torch.tensor(x, requires_grad=True)
    t_loss = nn.CrossEntropyLoss()(theirs(xt), torch.tensor(y))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=RTOL)
    assert_close(dx, xt.grad)
    t_grads = {k: p.grad for k, p in theirs.named_parameters()}
    assert list(ours.gradients()) == list(t_grads) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for k, g in t_grads.items():
        assert_close(ours.gradients()[k], g, k)


def test_sequential_parameters_train_eval_and_errors() -> None:
    ours, theirs = make_mlp_pair()
    assert list(ours.named_parameters()) == list(theirs.state_dict())
    assert ours.parameters()["0.weight"] is ours[0].params["weight"]  # views, not copies
    net = scratch.Sequential(scratch.Linear(3, 3), scratch.BatchNorm1d(3), scratch.Dropout(0.5))
    assert list(net.buffers) == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    net.eval()
    assert not net.training and all(not layer.training for layer in net)
    net.train()
    assert all(layer.training for layer in net)
    with pytest.raises(RuntimeError, match="forward before backward"):
        net.backward(np.zeros((2, 3)), None)
    with pytest.raises(ValueError, match="has 1 layers, this one has 3"):
        ours.load_torch(nn.Sequential(nn.Linear(4, 8)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        ours.forward(np.zeros((2, 5)))


def test_sequential_with_batchnorm_and_dropout_in_eval_matches_torch() -> None:
    torch.manual_seed(2)
    theirs = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.GELU(), nn.Dropout(0.3), nn.Linear(4, 2)).double()
    theirs(torch.randn(16, 5, dtype=torch.float64))  # one training step so running stats are not trivial
    theirs.eval()
    ours = scratch.Sequential(
        scratch.Linear(5, 4), scratch.BatchNorm1d(4), scratch.GELU(), scratch.Dropout(0.3), scratch.Linear(4, 2)
    ).eval()
    check_parity(ours, theirs, (3, 5))

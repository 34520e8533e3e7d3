"""Chapter 04 autograd engine: gradients checked against torch.autograd in float64."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from nncourse.autograd import MLP, Linear, Tensor, Value, cross_entropy, train_mlp, zero_grad

TOL = 1e-10


# ---------------------------------------------------------------------------- scalar Value
def _scalar_case(fn: Callable, inputs: list[float]) -> None:
    """Run ``fn`` on our ``Value``s and on float64 torch scalars; compare output and gradients."""
    ours = [Value(x) for x in inputs]
    out = fn(*ours)
    out.backward()
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    ref = fn(*theirs)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=TOL, abs=TOL)
    for v, t in zip(ours, theirs, strict=True):
        assert v.grad == pytest.approx(t.grad.item(), rel=TOL, abs=TOL)


SCALAR_CASES = {
    "polynomial": (lambda x: 3 * x**3 - 2 * x**2 + x - 7, [1.7]),
    "neuron": (lambda x1, x2, w1, w2, b: (w1 * x1 + w2 * x2 + b).tanh(), [2.0, -1.0, -0.3, 0.8, 0.4]),
    "reuse": (lambda a, b: (a * a + a * b) * a - b / a + a, [1.3, -0.6]),
    "div_pow": (lambda a, b: (a / b) ** 2.5 + 1 / (b**-1.5) - 2 / a, [2.2, 0.7]),
    "exp_log": (lambda a, b: (a * b).exp().log() + (a.exp() + b**2).log(), [0.4, -1.1]),
    "sigmoid_relu": (
        lambda a, b: (a * 2).sigmoid() * (b + 1).relu() + (-a).relu() - (b - 5).relu(),
        [-0.8, 1.5],
    ),
    "reflected": (lambda a: 1 - a + 2 * a - 3 / a + (5 + a) * (-a), [0.9]),
}


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_value_grads_match_torch(name: str) -> None:
    fn, inputs = SCALAR_CASES[name]
    _scalar_case(fn, inputs)


def test_value_reused_node_accumulates() -> None:
    a = Value(3.0)
    out = a + a + a * a  # d/da = 1 + 1 + 2a
    out.backward()
    assert a.grad == 2 + 2 * 3.0


def test_value_repr_and_zero_grad() -> None:
    a, b = Value(2.0), Value(-1.5)
    c = a * b
    c.backward()
    assert repr(a) == "Value(data=2.0000, grad=-1.5000)"
    zero_grad([a, b, c])
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)


def test_value_long_chain_no_recursion_error() -> None:
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y + x
    y.backward()
    assert x.grad == 5001.0


# ---------------------------------------------------------------------------- Tensor ops
def _close(ours: np.ndarray, ref: torch.Tensor) -> None:
    np.testing.assert_allclose(ours, ref.detach().numpy(), rtol=TOL, atol=TOL)


def _tensor_case(fn: Callable, *arrays: np.ndarray) -> None:
    """Apply ``fn`` to ``Tensor``s and to torch tensors, backprop a fixed random upstream gradient."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, ref = fn(*ours), fn(*theirs)
    _close(out.data, ref)
    upstream = np.random.default_rng(1).normal(size=out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for o, t in zip(ours, theirs, strict=True):
        assert o.grad is not None and o.grad.shape == o.shape
        _close(o.grad, t.grad)


def _rand(*shape: int, seed: int = 0, positive: bool = False) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=shape)
    return np.abs(x) + 0.5 if positive else x


BINARY = {
    "add_row_bcast": (lambda a, b: a + b, (4, 3), (3,)),
    "add_same": (lambda a, b: a + b, (2, 3), (2, 3)),
    "sub_col_bcast": (lambda a, b: a - b, (4, 3), (4, 1)),
    "mul_outer_bcast": (lambda a, b: a * b, (5, 1), (1, 3)),
    "mul_scalar_tensor": (lambda a, b: a * b, (2, 3, 4), ()),
    "div_bcast": (lambda a, b: a / b, (3, 4), (1, 4)),
    "matmul_2d": (lambda a, b: a @ b, (4, 3), (3, 5)),
    "matmul_batched": (lambda a, b: a @ b, (2, 4, 3), (2, 3, 5)),
    "matmul_batch_bcast": (lambda a, b: a @ b, (2, 4, 3), (3, 5)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_tensor_binary_ops_match_torch(name: str) -> None:
    fn, sa, sb = BINARY[name]
    b = _rand(*sb, seed=2, positive=name.startswith("div"))
    _tensor_case(fn, _rand(*sa, seed=1), b)


UNARY = {
    "neg": lambda a: -a,
    "pow": lambda a: a**3,
    "pow_frac": lambda a: (a * a + 1.0) ** -0.5,
    "exp": lambda a: a.exp(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "reflected": lambda a: 2.0 - a * 3.0 + 1.0 / (a * a + 1.0),
    "sum_all": lambda a: a.sum(),
    "sum_axis0": lambda a: a.sum(axis=0),
    "sum_axis_keep": lambda a: a.sum(axis=1, keepdims=True),
    "sum_tuple": lambda a: a.sum(axis=(0, 2)),
    "mean_all": lambda a: a.mean(),
    "mean_neg_axis": lambda a: a.mean(axis=-1),
    "mean_keep": lambda a: a.mean(axis=(1, 2), keepdims=True),
    "reshape": lambda a: a.reshape(6, 4) * 2.0,
    "reshape_tuple": lambda a: a.reshape((4, -1)).exp(),
    "transpose_default": lambda a: a.permute(2, 1, 0) if isinstance(a, torch.Tensor) else a.transpose(),
    "transpose_perm": lambda a: a.permute(1, 2, 0) if isinstance(a, torch.Tensor) else a.transpose(1, 2, 0),
    "log_softmax_last": lambda a: a.log_softmax(-1) if isinstance(a, Tensor) else torch.log_softmax(a, -1),
    "log_softmax_0": lambda a: a.log_softmax(0) if isinstance(a, Tensor) else torch.log_softmax(a, 0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_tensor_unary_ops_match_torch(name: str) -> None:
    _tensor_case(UNARY[name], _rand(2, 3, 4, seed=3))


def test_tensor_log_matches_torch() -> None:
    _tensor_case(lambda a: a.log() * a, _rand(3, 4, seed=4, positive=True))


def test_tensor_transpose_matches_torch() -> None:
    _tensor_case(lambda a: a.T, _rand(3, 5, seed=5))


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_tensor_max_matches_torch_amax(axis, keepdims) -> None:
    def fn(a):
        if isinstance(a, Tensor):
            return a.max(axis=axis, keepdims=keepdims)
        dim = tuple(range(a.ndim)) if axis is None else axis
        return torch.amax(a, dim=dim, keepdim=keepdims)

    _tensor_case(fn, _rand(4, 5, seed=6))


def test_tensor_max_ties_split_evenly() -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    _tensor_case(lambda a: a.amax(dim=1) if isinstance(a, torch.Tensor) else a.max(axis=1), x)
    t = Tensor(x, requires_grad=True)
    t.max(axis=1).sum().backward()
    np.testing.assert_array_equal(t.grad, [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])


def test_tensor_integer_array_indexing_with_repeats() -> None:
    rows, cols = np.array([0, 1, 2, 2, 0]), np.array([1, 0, 3, 3, 1])
    _tensor_case(lambda a: a[rows, cols] * 3.0, _rand(3, 4, seed=7))


def test_tensor_node_reused_and_numpy_on_left() -> None:
    def fn(a, b):
        w = np.linspace(-1.0, 1.0, 4)  # a plain ndarray on the left must defer to Tensor's reflected ops
        w = w if isinstance(a, Tensor) else torch.tensor(w)
        return w * (a * a + a @ b).sum(axis=0) - w / (b * b + 1.0).sum() + 2.0

    out = fn(Tensor(np.ones((4, 4))), Tensor(np.ones((4, 4))))
    assert isinstance(out, Tensor)
    _tensor_case(fn, _rand(4, 4, seed=8), _rand(4, 4, seed=9))


def test_log_softmax_is_stable_for_large_logits() -> None:
    x = np.array([[1000.0, 0.0, -1000.0]])
    out = Tensor(x, requires_grad=True).log_softmax()
    assert np.isfinite(out.data).all()
    _close(out.data, torch.log_softmax(torch.tensor(x), -1))


def test_cross_entropy_matches_torch() -> None:
    logits = _rand(6, 4, seed=10) * 3.0
    target = np.array([0, 3, 1, 1, 2, 3])
    ours = Tensor(logits, requires_grad=True)
    loss = cross_entropy(ours, target)
    ref_logits = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(ref_logits, torch.tensor(target))
    loss.backward()
    ref.backward()
    assert loss.shape == ()
    assert loss.item() == pytest.approx(ref.item(), rel=TOL)
    _close(ours.grad, ref_logits.grad)


def test_cross_entropy_validates_inputs() -> None:
    logits = Tensor(_rand(3, 4))
    with pytest.raises(ValueError, match="target"):
        cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match="class indices"):
        cross_entropy(logits, np.array([0, 1, 4]))


def test_tensor_long_chain_no_recursion_error() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 5001.0))


def test_leaf_grads_accumulate_and_intermediates_reset() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    loss = h.sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])  # accumulated twice
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])  # not accumulated
    x.zero_grad()
    assert x.grad is None


# ---------------------------------------------------------------------------- errors
def test_matmul_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\)"):
        Tensor(np.zeros((3, 4))) @ Tensor(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 2\)"):
        Tensor(np.zeros(4)) @ Tensor(np.zeros((4, 2)))


def test_backward_on_non_scalar_without_grad_raises() -> None:
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    with pytest.raises(ValueError, match="grad must have shape"):
        y.backward(np.ones(3))


def test_backward_without_requires_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2.0).sum().backward()


# ---------------------------------------------------------------------------- nn
def test_linear_shapes_and_seed() -> None:
    a, b = Linear(3, 5, seed=1), Linear(3, 5, seed=1)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.shape == (5, 3) and a.bias.shape == (5,)  # torch's layout: (out, in)
    assert a(Tensor(np.zeros((7, 3)))).shape == (7, 5)
    assert a(Tensor(np.zeros((2, 7, 3)))).shape == (2, 7, 5)  # (*, in) -> (*, out)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_mlp_parameter_grads_match_torch(activation: str) -> None:
    model = MLP((3, 8, 5, 4), activation=activation, seed=11)
    X, y = _rand(10, 3, seed=12), np.array([0, 1, 2, 3, 0, 1, 2, 3, 3, 0])
    loss = cross_entropy(model(X), y)
    loss.backward()

    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}[activation]
    layers: list[torch.nn.Module] = []
    for k, lin in enumerate(model.layers):
        t = torch.nn.Linear(lin.in_features, lin.out_features).double()
        t.load_state_dict({"weight": torch.tensor(lin.weight.data), "bias": torch.tensor(lin.bias.data)})
        layers += [t] + ([act()] if k < len(model.layers) - 1 else [])
    ref_model = torch.nn.Sequential(*layers)
    ref = torch.nn.functional.cross_entropy(ref_model(torch.tensor(X)), torch.tensor(y))
    ref.backward()

    assert loss.item() == pytest.approx(ref.item(), rel=TOL)
    torch_linears = [m for m in ref_model if isinstance(m, torch.nn.Linear)]
    for lin, t in zip(model.layers, torch_linears, strict=True):
        _close(lin.weight.grad, t.weight.grad)  # same layout, no transpose
        _close(lin.bias.grad, t.bias.grad)
    assert len(model.parameters()) == 6


def test_train_mlp_fits_xor() -> None:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    model = MLP((2, 16, 2), seed=0)
    losses = train_mlp(X, y, lr=0.5, steps=300, model=model)
    assert len(losses) == 300 and losses[-1] < losses[0]
    assert (model.predict(X) == y).mean() == 1.0


def test_train_mlp_fits_spirals() -> None:
    rng = np.random.default_rng(0)
    n, parts = 100, []
    for c in range(3):
        r = np.linspace(0.0, 1.0, n)
        theta = np.linspace(4.0 * c, 4.0 * (c + 1), n) + rng.normal(0.0, 0.2, n)
        parts.append(np.c_[r * np.sin(theta), r * np.cos(theta)])
    X, y = np.concatenate(parts), np.repeat(np.arange(3), n)
    model = MLP((2, 64, 3), seed=0)
    losses = train_mlp(X, y, lr=0.5, steps=1000, model=model)
    assert losses[-1] < 0.5 * losses[0]
    assert (model.predict(X) == y).mean() > 0.9


def test_train_mlp_builds_its_own_model_and_validates() -> None:
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    losses = train_mlp(X, np.array([0, 1]), hidden=(4,), lr=0.1, steps=5, seed=3)
    assert len(losses) == 5 and all(np.isfinite(losses))
    with pytest.raises(ValueError, match="y must have shape"):
        train_mlp(X, np.array([0, 1, 1]), steps=1)


# ---------------------------------------------------------------------------- graph inspection
def test_trace_lists_nodes_inputs_first() -> None:
    from nncourse.autograd.graph import format_graph, trace

    x, w = Value(2.0, label="x"), Value(-0.5, label="w")
    y = (x * w).tanh()
    y.label = "y"
    rows = trace(y)
    assert rows[-1] == ("y", "tanh", ("n2",))
    assert ("n2", "*", ("x", "w")) in rows and len(rows) == 4
    y.backward()
    assert format_graph(y).splitlines()[-1].startswith("y = tanh(n2)   data=-0.7616")
    t = Tensor(np.ones((4, 3)), requires_grad=True)
    assert "shape=(4, 3)" in format_graph(t.sum())


# ---------------------------------------------------------------------------- numerics at the edges
def _tensor_vs_torch(
    fn_ours: Callable, fn_torch: Callable, x: np.ndarray, rtol: float = 1e-14, atol: float = 0.0
) -> tuple:
    ours = Tensor(x, requires_grad=True)
    out = fn_ours(ours)
    out.sum().backward()
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = fn_torch(theirs)
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=rtol, atol=atol)
    return out.data, ours.grad


EDGES = np.array([-1000.0, -745.0, -709.0, -50.0, -36.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 20.0, 36.0, 50.0, 1000.0])


def test_sigmoid_equals_torch_in_both_tails() -> None:
    # atol 1e-300: at -745 ours keeps the subnormal e^-745 = 5e-324 where torch's 1/(1 + e^745) gives 0
    s, _g = _tensor_vs_torch(lambda t: t.sigmoid(), torch.sigmoid, EDGES, atol=1e-300)
    assert s[EDGES == -50.0][0] == pytest.approx(1.9287498479639178e-22, rel=1e-14)  # not rounded to 0


def test_log_of_sigmoid_is_finite_down_to_minus_50_with_slope_1() -> None:
    x = Tensor(np.array([-50.0, -30.0, 1000.0]), requires_grad=True)
    y = x.sigmoid().log()
    y.sum().backward()
    np.testing.assert_allclose(y.data, [-50.0, -30.0, 0.0], rtol=1e-14, atol=0)
    np.testing.assert_allclose(x.grad, [1.0, 1.0, 0.0], rtol=1e-12, atol=0)


def test_log_sigmoid_is_finite_everywhere_and_equals_torch() -> None:
    out, grad = _tensor_vs_torch(lambda t: t.log_sigmoid(), torch.nn.functional.logsigmoid, EDGES)
    assert np.isfinite(out).all() and np.isfinite(grad).all()
    assert out[0] == -1000.0 and grad[0] == 1.0 and out[-1] == 0.0 and grad[-1] == 0.0


@pytest.mark.parametrize("p", [0, 0.0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, 2.5])
def test_power_at_zero_and_negative_bases_equals_torch(p: float) -> None:
    x = np.array([0.0, -2.0, 2.0, -0.5, 3.0])  # (not -0.0: torch maps x**±0.5 to (r)sqrt, giving -0.0 and -inf there)
    with np.errstate(all="ignore"):
        ours = Tensor(x, requires_grad=True)
        out = ours**p
        out.sum().backward()
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = theirs**p
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-14, atol=0, equal_nan=True)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-14, atol=0, equal_nan=True)
    if p == 0:
        np.testing.assert_array_equal(ours.grad, np.zeros(5))  # not NaN at 0


@pytest.mark.parametrize("p", [0, 1, 2, -1, 0.5, -0.5])
@pytest.mark.parametrize("a", [0.0, 2.0, -2.0])
def test_value_power_at_the_edges_equals_torch(p: float, a: float) -> None:
    v = Value(a)
    out = v**p
    out.backward()
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    ref = t**p
    ref.backward()
    np.testing.assert_allclose(out.data, ref.item(), rtol=1e-14, equal_nan=True)
    np.testing.assert_allclose(v.grad, t.grad.item(), rtol=1e-14, equal_nan=True)


def test_relu_at_nan_and_zero_equals_torch() -> None:
    x = np.array([np.nan, 0.0, -0.0, -1.0, 2.0])
    ours = Tensor(x, requires_grad=True)
    out = ours.relu()
    out.sum().backward()
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = torch.relu(theirs)
    ref.sum().backward()
    np.testing.assert_array_equal(out.data, ref.detach().numpy())  # NaN in, NaN out
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())  # slope 1 at NaN, 0 at 0
    for value, slope in ((float("nan"), 1.0), (0.0, 0.0), (3.0, 1.0)):
        v = Value(value)
        r = v.relu()
        r.backward()
        assert v.grad == slope and (np.isnan(r.data) if np.isnan(value) else r.data == max(value, 0.0))


def test_value_backward_twice_doubles_the_leaves_like_torch() -> None:
    def build(make):
        a, b = make(1.5), make(-0.7)
        h = (a * b + a).tanh()
        return (a, b), h * h + b * h  # intermediate nodes used twice

    (a, b), out = build(Value)
    out.backward()
    once = (a.grad, b.grad)
    out.backward()
    (ta, tb), tout = build(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
    tout.backward(retain_graph=True)
    tout.backward()
    assert a.grad == pytest.approx(2 * once[0], rel=1e-14) and b.grad == pytest.approx(2 * once[1], rel=1e-14)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-14) and b.grad == pytest.approx(tb.grad.item(), rel=1e-14)
    assert out.grad == 1.0  # intermediate nodes hold this pass's gradient, not a sum over passes
    zero_grad([a, b])
    out.backward()
    assert (a.grad, b.grad) == pytest.approx(once, rel=1e-14)


def test_tensor_backward_twice_doubles_the_leaves_like_torch() -> None:
    x = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    h = (x * x).tanh()
    loss = (h * h + h).sum()
    loss.backward()
    once = x.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * once, rtol=1e-14)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Linear(0, 3), ValueError, "in_features"),
        (lambda: Linear(2, 3.0), TypeError, "out_features"),
        (lambda: Linear(2, 3)(np.zeros((4, 2))), TypeError, "x must be a Tensor"),
        (lambda: Linear(2, 3)(Tensor(np.zeros((4, 3)))), ValueError, r"x must have shape \(\*, 2\)"),
        (lambda: MLP("2,3"), TypeError, "sizes"),
        (lambda: MLP((2, 0, 3)), ValueError, r"sizes\[1\]"),
        (lambda: MLP((2, 3), activation="gelu"), ValueError, "activation"),
        (lambda: MLP((2, 3), seed=-1), ValueError, "seed"),
        (lambda: train_mlp(np.zeros((2, 2)), np.array([0, 1]), steps=0), ValueError, "steps"),
        (lambda: train_mlp(np.zeros((2, 2)), np.array([0, 1]), lr=-1.0), ValueError, "lr"),
        (lambda: train_mlp(np.zeros((2, 2)), np.array([0, 1]), model="mlp"), TypeError, "model"),
        (lambda: Tensor([1.0]) ** Tensor([2.0]), TypeError, "exponent"),
        (lambda: Value(1.0) ** True, TypeError, "exponent"),
    ],
)
def test_bad_arguments_name_the_argument(make: Callable, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Value("1.5"), TypeError, "data must be a real number"),
        (lambda: Value(1.0) + "x", TypeError, "cannot combine Value with str"),
        (lambda: Tensor("abc"), TypeError, "data must be real numbers"),
        (lambda: Tensor([[1.0, 2.0], [3.0]]), TypeError, "data must be numbers of a regular shape"),
        (lambda: Tensor([1.0], requires_grad="yes"), TypeError, "requires_grad"),
        (lambda: Tensor(Tensor([1.0])), TypeError, "got a Tensor"),
        (lambda: cross_entropy(np.zeros((2, 3)), np.array([0, 1])), TypeError, "logits must be a Tensor"),
        (
            lambda: cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 3])),
            ValueError,
            r"target must hold class indices in \[0, 3\)",
        ),
    ],
)
def test_bad_values_and_tensors_name_the_argument(make: Callable, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        make()

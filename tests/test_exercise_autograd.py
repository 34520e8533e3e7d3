"""Exercise 04 (autograd): the plain-data references agree with torch.autograd, the order checker
accepts every valid order and names what is wrong with an invalid one, typical mistakes get a ✗
with an actionable hint, and bad inputs raise ``ValueError``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nncourse.chapters import ch04_autograd as ref
from nncourse.checks import Case, get_exercise, run_task
from nncourse.exercises.ex04_autograd import REUSE_HINT, _verify_order

EXERCISE = get_exercise("04_autograd")
TORCH_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a, b: -a,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
}


def _scalar(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


# ---------------------------------------------------------------------------- references vs torch
@pytest.mark.parametrize("op", sorted(TORCH_OPS))
@pytest.mark.parametrize("a, b", [(1.3, 0.7), (0.4, -2.5), (2.0, 3.0)])
def test_local_grads_match_torch(op: str, a: float, b: float) -> None:
    ta, tb = _scalar(a), _scalar(b)
    out = TORCH_OPS[op](ta, tb)
    out.backward()
    expected = (out.item(), ta.grad.item(), 0.0 if tb.grad is None else tb.grad.item())
    assert ref.local_grads(op, a, b) == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_local_grads_at_the_relu_kink_is_zero_and_unknown_ops_are_refused() -> None:
    assert ref.local_grads("relu", 0.0) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="unknown op 'cube'"):
        ref.local_grads("cube", 1.0)


@pytest.mark.parametrize(
    "grad_shape, shape",
    [
        ((4, 3), (3,)),
        ((4, 3), (4, 1)),
        ((2, 4, 3), (4, 1)),
        ((2, 3), ()),
        ((3, 4, 2), (3, 1, 2)),
        ((2, 3, 4), (1,)),
        ((3, 5), (3, 5)),
    ],
)
def test_unbroadcast_matches_torch(grad_shape: tuple, shape: tuple) -> None:
    rng = np.random.default_rng(0)
    grad = rng.normal(size=grad_shape)
    x = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    (x + torch.zeros(grad_shape, dtype=torch.float64)).backward(torch.tensor(grad))
    got = ref.unbroadcast(grad, shape)
    assert isinstance(got, np.ndarray) and got.shape == shape
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-12)


def test_unbroadcast_refuses_a_shape_that_does_not_broadcast() -> None:
    with pytest.raises(ValueError, match=r"shape \(3,\) does not broadcast to the gradient's shape \(4, 2\)"):
        ref.unbroadcast(np.ones((4, 2)), (3,))
    with pytest.raises(ValueError, match="does not broadcast"):
        ref.unbroadcast(np.ones((4,)), (2, 4))  # would need the gradient to grow, not shrink


def test_backprop_matches_torch_on_a_graph_that_reuses_nodes() -> None:
    graph = {
        "ab": {"op": "mul", "inputs": ["a", "b"]},
        "t": {"op": "tanh", "inputs": ["ab"]},
        "u": {"op": "add", "inputs": ["t", "a"]},
        "v": {"op": "mul", "inputs": ["u", "u"]},
        "w": {"op": "div", "inputs": ["v", "b"]},
        "out": {"op": "sub", "inputs": ["w", "t"]},
    }
    values = {"a": 0.9, "b": -1.4, "unused": 2.0}
    got = ref.backprop(graph, values, "out")
    a, b = _scalar(0.9), _scalar(-1.4)
    t = (a * b).tanh()
    u = t + a
    (u * u / b - t).backward()
    assert got["a"] == pytest.approx(a.grad.item(), rel=1e-12)
    assert got["b"] == pytest.approx(b.grad.item(), rel=1e-12)
    assert got["out"] == 1.0 and got["unused"] == 0.0
    assert set(got) == {*values, *graph}


def test_backprop_and_order_refuse_broken_graphs() -> None:
    with pytest.raises(ValueError, match=r"no value and no op for \['y'\]"):
        ref.backprop({"out": {"op": "mul", "inputs": ["x", "y"]}}, {"x": 1.0}, "out")
    with pytest.raises(ValueError, match="cycle"):
        ref.topological_order({"a": ["b"], "b": ["a"]}, "a")
    with pytest.raises(ValueError, match="op 'tanh' takes 1 input, got 2"):
        ref.backprop({"out": {"op": "tanh", "inputs": ["x", "x"]}}, {"x": 1.0}, "out")


# ---------------------------------------------------------------------------- the order checker
DIAMOND = Case("diamond", ({"d": ["b", "c"], "b": ["a"], "c": ["a", "k"]}, "d"))


@pytest.mark.parametrize("order", [["a", "b", "k", "c", "d"], ["k", "a", "c", "b", "d"], ["a", "k", "b", "c", "d"]])
def test_verify_order_accepts_every_valid_order(order: list[str]) -> None:
    expected = ref.topological_order(*DIAMOND.args)
    assert _verify_order(DIAMOND, expected, order) is None


@pytest.mark.parametrize(
    "order, message",
    [
        (["b", "a", "k", "c", "d"], "node 'b' (position 0) comes before its input 'a' (position 1)"),
        (["a", "a", "b", "k", "c", "d"], "node 'a' is listed twice"),
        (["a", "b", "c", "d"], "missing nodes ['k']"),
        (["a", "b", "k", "c", "d", "zz"], "nodes ['zz'] are not reachable"),
        ("abkcd", "expected a list of node names"),
    ],
)
def test_verify_order_names_what_is_wrong(order, message: str) -> None:
    expected = ref.topological_order(*DIAMOND.args)
    assert message in _verify_order(DIAMOND, expected, order)


# ---------------------------------------------------------------------------- typical mistakes
def _overwriting_backprop(graph: dict, values: dict, output: str) -> dict:
    """A backward pass with the classic bug: ``=`` instead of ``+=``."""
    order = ref.topological_order({n: s["inputs"] for n, s in graph.items()}, output)
    data, local = dict(values), {}
    for name in order:
        if name in graph:
            data[name], *local[name] = ref.local_grads(graph[name]["op"], *[data[i] for i in graph[name]["inputs"]])
    grad = {name: 0.0 for name in [*values, *graph]}
    grad[output] = 1.0
    for name in reversed(order):
        for inp, d in zip(graph.get(name, {}).get("inputs", []), local.get(name, []), strict=False):
            grad[inp] = d * grad[name]
    return grad


def test_overwriting_gradients_fails_with_the_reuse_hint() -> None:
    task = EXERCISE.task("backprop")
    result = run_task(task, _overwriting_backprop, task.public_cases())
    assert not result.passed
    assert "a node used twice: out = x * x" in result.message and REUSE_HINT in result.message
    assert "result['x']: expected 3, got 1.5" in result.message


def test_unbroadcast_without_keepdims_or_leading_axes_fails_with_a_hint() -> None:
    task = EXERCISE.task("unbroadcast")
    only_leading = run_task(task, lambda g, s: g.sum(axis=tuple(range(g.ndim - len(s)))), task.public_cases())
    assert (
        "column (4, 1) stretched over a size-1 axis" in only_leading.message and "keepdims=True" in only_leading.message
    )
    scalar = run_task(task, lambda g, s: g.sum() if s == () else ref.unbroadcast(g, s), task.public_cases())
    assert "a scalar used everywhere" in scalar.message and "return an array of exactly that shape" in scalar.message


def test_relu_slope_one_at_the_kink_fails_with_a_hint() -> None:
    task = EXERCISE.task("local_grads")

    def relu_ge(op: str, a: float, b: float = 0.0) -> tuple[float, float, float]:
        if op == "relu":
            return max(a, 0.0), float(a >= 0.0), 0.0
        return ref.local_grads(op, a, b)

    result = run_task(task, relu_ge, task.public_cases())
    assert "relu(0.0), at the kink" in result.message and "d out/da: expected 0, got 1" in result.message


def test_topological_order_without_a_visited_set_fails_with_a_hint() -> None:
    task = EXERCISE.task("topological_order")

    def no_visited(parents: dict, root: str) -> list:
        order: list = []

        def visit(name: str) -> None:
            for p in parents.get(name, []):
                visit(p)
            order.append(name)

        visit(root)
        return order

    result = run_task(task, no_visited, task.public_cases())
    assert "a node used twice: y = x * x" in result.message and "listed twice" in result.message


def test_grading_cases_exercise_the_reuse_and_broadcast_edges() -> None:
    labels = {t.name: [c.label for c in t.grading_cases()] for t in EXERCISE.tasks}
    assert "a weight shared by four layers" in labels["backprop"]
    assert any("(1,) inside" in label for label in labels["unbroadcast"])
    assert math.isfinite(ref.local_grads("tanh", 20.0)[1])  # saturated tanh: derivative ~0, not NaN

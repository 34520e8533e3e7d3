"""Exercise 04: the pieces of a reverse-mode autograd engine, as plain-data functions.

Tasks: ``local_grads`` (one op's output and partial derivatives), ``topological_order`` (any valid order is
accepted, checked by ``_verify_order``), ``unbroadcast`` (sum a gradient back to an operand's shape)
and ``backprop`` (every node's gradient in a small graph). References: ``nncourse.chapters.ch04_autograd``,
which runs ``nncourse.autograd.Value`` and ``Tensor``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.chapters import ch04_autograd as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "04_autograd"

REUSE_HINT = "a node used by two consumers (or twice by one) gets the SUM of both contributions: a later one must not overwrite an earlier one"


# ---------------------------------------------------------------------------- local_grads
def _local_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    a, b = (float(v) for v in np.round(rng.uniform(0.5, 2.5, 2), 3))
    return [
        Case(f"add({a}, {b})", ("add", a, b)),
        Case(f"mul({a}, {b})", ("mul", a, b), hint="each input's derivative is the other input"),
        Case(f"sub({b}, {a})", ("sub", b, a), hint="the second input enters with a minus sign"),
        Case(f"div({a}, {b})", ("div", a, b), hint="in b, a / b is a times b to the power -1"),
        Case(
            f"pow({a}, {b})",
            ("pow", a, b),
            hint="in a, b is a constant exponent; in b, use the identity given under the table",
        ),
        Case(
            f"tanh({-a})",
            ("tanh", -a, 0.0),
            hint="the derivative of tanh can be written with tanh itself; a unary op returns 0.0 for b",
        ),
        Case(f"exp({b})", ("exp", b, 0.0)),
        Case(f"log({a})", ("log", a, 0.0)),
        Case(
            f"sigmoid({-b})",
            ("sigmoid", -b, 0.0),
            hint="the derivative of the sigmoid can be written with the sigmoid itself (chapter 02)",
        ),
        Case("relu(0.0), at the kink", ("relu", 0.0, 0.0), hint="relu'(0) is taken as 0, as in PyTorch"),
        Case(f"neg({b})", ("neg", b, 0.0)),
    ]


def _local_grading_cases(seed: int = 404) -> list[Case]:
    cases = _local_cases(seed)
    return [
        *cases,
        Case("relu(-1.5)", ("relu", -1.5, 0.0)),
        Case("relu(2.0)", ("relu", 2.0, 0.0)),
        Case("pow(3.0, 0.5)", ("pow", 3.0, 0.5)),
        Case("div(-2.0, 0.25)", ("div", -2.0, 0.25)),
        Case("mul(x, x) as two inputs", ("mul", 1.75, 1.75)),
        Case("saturated tanh(20.0)", ("tanh", 20.0, 0.0)),
    ]


# ---------------------------------------------------------------------------- topological_order
def _verify_order(case: Case, expected: list[str], got: Any) -> str | None:
    """Accept any order that lists every node reachable from the root once, each after its parents."""
    parents, root = case.args
    if not isinstance(got, (list, tuple)) or not all(isinstance(n, str) for n in got):
        return f"expected a list of node names (strings), got {type(got).__name__} {str(got)[:60]}"
    seen: dict[str, int] = {}
    for position, name in enumerate(got):
        if name in seen:
            return f"node {name!r} is listed twice (positions {seen[name]} and {position}); list each node once"
        seen[name] = position
    missing = [n for n in expected if n not in seen]
    if missing:
        return f"missing nodes {missing}: every node the root depends on must be in the order"
    extra = [n for n in got if n not in expected]
    if extra:
        return f"nodes {extra} are not reachable from the root {root!r}: leave them out"
    for name in got:
        for parent in parents.get(name, []):
            if seen[parent] > seen[name]:
                return (
                    f"node {name!r} (position {seen[name]}) comes before its input {parent!r} (position {seen[parent]})"
                )
    if got[-1] != root:
        return f"the root {root!r} should come last, got {got[-1]!r}"
    return None


def _random_dag(rng: np.random.Generator, n_leaves: int, n_ops: int) -> tuple[dict[str, list[str]], str]:
    """A connected random DAG: op node k takes 1-2 inputs among earlier names; the last op is the root."""
    names = [f"x{i}" for i in range(n_leaves)]
    parents: dict[str, list[str]] = {}
    for k in range(n_ops):
        arity = int(rng.integers(1, 3))
        chosen = [names[int(i)] for i in rng.choice(len(names), size=arity, replace=False)]
        if k == n_ops - 1:  # the root also uses the previous op, so most nodes are reachable
            chosen = [names[-1], *chosen[:1]] if names[-1] not in chosen else chosen
        name = f"v{k}"
        parents[name] = chosen
        names.append(name)
    shuffled = {str(k): parents[str(k)] for k in rng.permutation(list(parents))}  # dict order says nothing
    return shuffled, f"v{n_ops - 1}"


def _order_cases(seed: int, sizes: tuple[tuple[int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = [
        Case(
            "a chain a -> b -> c",
            ({"c": ["b"], "b": ["a"]}, "c"),
            hint="start from the root and visit the inputs first (depth-first), append a node after its inputs",
        ),
        Case(
            "a node used twice: y = x * x",
            ({"y": ["x", "x"]}, "y"),
            hint="remember visited nodes so that x is listed once",
        ),
        Case(
            "diamond: d = b + c, b and c both use a",
            ({"d": ["b", "c"], "b": ["a"], "c": ["a", "k"]}, "d"),
            hint="a shared input must be listed once, before both of its users",
        ),
        Case("only a leaf", ({}, "x"), hint="a root with no inputs: the order is just [root]"),
        Case(
            "unreachable node",
            ({"out": ["a"], "junk": ["a", "out"]}, "out"),
            hint="list only the nodes the root depends on",
        ),
    ]
    for n_leaves, n_ops in sizes:
        parents, root = _random_dag(rng, n_leaves, n_ops)
        cases.append(Case(f"random graph, {n_leaves} leaves and {n_ops} ops", (parents, root)))
    return cases


# ---------------------------------------------------------------------------- unbroadcast
def _unbroadcast_cases(seed: int, extra: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = [
        (
            (4, 3),
            (3,),
            "bias (3,) added to (4, 3): leading axis",
            "an axis the operand did not have: sum it away (axis 0)",
        ),
        (
            (4, 3),
            (4, 1),
            "column (4, 1) stretched over a size-1 axis",
            "a size-1 axis that grew: sum over it with keepdims=True",
        ),
        (
            (2, 4, 3),
            (4, 1),
            "(4, 1) inside (2, 4, 3): both rules",
            "first sum the leading axes away, then the size-1 axes (keepdims=True)",
        ),
        ((3, 5), (3, 5), "no broadcasting", ""),
    ]
    shapes.append(
        ((2, 3), (), "a scalar used everywhere", "shape (): return an array of exactly that shape, not a Python float")
    )
    if extra:
        shapes += [
            ((5, 2, 3), (1, 3), "(1, 3) inside (5, 2, 3)", ""),
            ((3, 4, 2), (3, 1, 2), "middle axis (3, 1, 2)", ""),
            ((6,), (1,), "(1,) inside (6,)", ""),
            ((2, 3, 4), (1,), "(1,) inside (2, 3, 4)", ""),
        ]
    return [Case(label, (rng.normal(size=g), s), hint=hint) for g, s, label, hint in shapes]


# ---------------------------------------------------------------------------- backprop
def _g(op: str, *inputs: str) -> dict[str, Any]:
    return {"op": op, "inputs": list(inputs)}


def _backprop_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    x1, x2, w1, w2, b = (float(v) for v in np.round(rng.normal(size=5), 3))
    neuron = {
        "x1w1": _g("mul", "x1", "w1"),
        "x2w2": _g("mul", "x2", "w2"),
        "s": _g("add", "x1w1", "x2w2"),
        "z": _g("add", "s", "b"),
        "out": _g("tanh", "z"),
    }
    a, c = (float(v) for v in np.round(rng.uniform(0.5, 2.0, 2), 3))
    reuse = {"ab": _g("mul", "a", "c"), "t": _g("add", "ab", "a"), "out": _g("mul", "t", "a")}
    square = {"out": _g("mul", "x", "x")}
    deep = {
        "e": _g("exp", "p"),
        "q": _g("div", "e", "r"),
        "l": _g("log", "q"),
        "m": _g("sub", "l", "p"),
        "n": _g("neg", "m"),
        "s": _g("sigmoid", "n"),
        "k": _g("relu", "m"),
        "out": _g("add", "s", "k"),
    }
    p, r = (float(v) for v in np.round(rng.uniform(0.3, 1.5, 2), 3))
    return [
        Case(
            "one op: out = x * y",
            ({"out": _g("mul", "x", "y")}, {"x": 2.0, "y": -3.0}, "out"),
            hint="the output's gradient with respect to itself is 1.0; everything starts from there",
        ),
        Case(
            "neuron tanh(x1*w1 + x2*w2 + b)",
            (neuron, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}, "out"),
            hint="visit the nodes from the output back to the inputs; each passes its gradient, scaled by its local derivatives, on to its inputs",
        ),
        Case("a node used twice: out = x * x", (square, {"x": 1.5}, "out"), hint=REUSE_HINT),
        Case("reuse: out = (a*c + a) * a", (reuse, {"a": a, "c": c}, "out"), hint=REUSE_HINT),
        Case(
            "unused leaf",
            ({"out": _g("add", "u", "v")}, {"u": 1.0, "v": 2.0, "w": 5.0}, "out"),
            hint="every name in values and graph gets a gradient: 0.0 when the output does not depend on it",
        ),
        Case("every op kind", (deep, {"p": p, "r": r}, "out")),
    ]


def _backprop_grading_cases(seed: int = 4040) -> list[Case]:
    cases = _backprop_cases(seed)
    rng = np.random.default_rng(seed + 1)
    chain = {f"h{i + 1}": _g("tanh" if i % 2 else "mul", f"h{i}", *(["w"] if i % 2 == 0 else [])) for i in range(8)}
    # h1 = h0*w, h2 = tanh(h1), ... : w is used four times, h_k once each
    cases.append(
        Case(
            "a weight shared by four layers",
            (chain, {"h0": 0.7, "w": float(np.round(rng.uniform(0.5, 1.5), 3))}, "h8"),
            hint=REUSE_HINT,
        )
    )
    cases.append(
        Case(
            "pow and a dead relu",
            (
                {"pw": _g("pow", "a", "b"), "r": _g("relu", "m"), "m": _g("neg", "a"), "out": _g("add", "pw", "r")},
                {"a": 1.3, "b": 2.5},
                "out",
            ),
        )
    )
    return cases


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="Autograd",
    prelude="import math\n\nimport numpy as np\n",
    tasks=[
        Task(
            "local_grads",
            ref.local_grads,
            lambda: _local_cases(4),
            _local_grading_cases,
            outputs=("out", "d out/da", "d out/db"),
            substitutable=True,
        ),
        Task(
            "topological_order",
            ref.topological_order,
            lambda: _order_cases(0, ((3, 5),)),
            lambda seed=44: _order_cases(seed, ((2, 4), (4, 9), (5, 14))),
            verify=_verify_order,
            substitutable=True,
        ),
        Task(
            "unbroadcast",
            ref.unbroadcast,
            lambda: _unbroadcast_cases(1, extra=False),
            lambda seed=41: _unbroadcast_cases(seed, extra=True),
        ),
        Task("backprop", ref.backprop, lambda: _backprop_cases(2), _backprop_grading_cases, points=2),
    ],
)

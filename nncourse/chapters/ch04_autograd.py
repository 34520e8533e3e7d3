"""Plain-data front ends to the chapter 04 engine, used as references by exercise 04.

Each function takes and returns plain data (numbers, strings, lists, dicts, numpy arrays) and gets
its answer by *running* ``nncourse.autograd``: no derivative is written out a second time here.

- ``local_grads(op, a, b)``: one operation's output and its two partial derivatives.
- ``topological_order(parents, root)``: an order of a graph's nodes, each after its inputs.
- ``unbroadcast(grad, shape)``: the gradient of an operand that numpy broadcasting stretched.
- ``backprop(graph, values, output)``: every node's gradient in a small expression graph.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nncourse.autograd import Tensor, Value

BINARY_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: (b * a.log()).exp(),  # a ** b = exp(b ln a) with both a (> 0) and b variables
}
"""Operations with two inputs ``a``, ``b``, as ``Value`` code."""

UNARY_OPS: dict[str, Callable[[Value], Value]] = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
}
"""Operations with one input ``a``."""


def _apply(op: str, inputs: list[Value]) -> Value:
    """Run ``op`` on ``inputs`` (one or two ``Value``s); ``ValueError`` for an unknown op or wrong arity."""
    if op in BINARY_OPS:
        if len(inputs) != 2:
            raise ValueError(f"op {op!r} takes 2 inputs, got {len(inputs)}")
        return BINARY_OPS[op](*inputs)
    if op in UNARY_OPS:
        if len(inputs) != 1:
            raise ValueError(f"op {op!r} takes 1 input, got {len(inputs)}")
        return UNARY_OPS[op](inputs[0])
    raise ValueError(f"unknown op {op!r}; known: {sorted(BINARY_OPS) + sorted(UNARY_OPS)}")


def local_grads(op: str, a: float, b: float = 0.0) -> tuple[float, float, float]:
    """``(out, d out/d a, d out/d b)`` for ``out = op(a, b)``, e.g. ``local_grads("mul", 2, 3) == (6.0, 3.0, 2.0)``.

    Binary ops: ``add sub mul div pow`` (``pow`` is ``a ** b`` with ``a > 0``). Unary ops
    (``neg exp log tanh sigmoid relu``) ignore ``b`` and return ``0.0`` as its derivative.
    """
    va, vb = Value(a), Value(b)
    out = _apply(op, [va, vb] if op in BINARY_OPS else [va])
    out.backward()
    return out.data, va.grad, vb.grad


def _build_values(
    parents: dict[str, list[str]], root: str, leaf: Callable[[str], Value], node: Callable[[str, list[Value]], Value]
) -> dict[str, Value]:
    """Make one ``Value`` per name reachable from ``root``: ``leaf(name)`` for names with no entry in
    ``parents``, ``node(name, input_values)`` for the others.  ``ValueError`` on a cycle."""
    made: dict[str, Value] = {}
    on_path: set[str] = set()

    def make(name: str) -> Value:
        if name in made:
            return made[name]
        if name in on_path:
            raise ValueError(f"the graph has a cycle through {name!r}")
        on_path.add(name)
        inputs = parents.get(name, [])
        made[name] = node(name, [make(p) for p in inputs]) if inputs else leaf(name)
        on_path.discard(name)
        return made[name]

    make(root)
    return made


def topological_order(parents: dict[str, list[str]], root: str) -> list[str]:
    """Every name reachable from ``root``, once each, each after all of its parents; ``root`` last.

    ``parents[name]`` lists the inputs of ``name`` (a name with no entry is a leaf).  This returns
    the order ``Value.topological_order`` finds; any order with the property above is valid.
    """
    made = _build_values(
        parents,
        root,
        leaf=lambda name: Value(0.0, label=name),
        node=lambda name, inputs: Value(0.0, tuple(inputs), "node", label=name),
    )
    return [v.label for v in made[root].topological_order()]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Gradient of an operand of ``shape`` that broadcasting stretched to ``grad.shape``.

    Runs ``x + zeros(grad.shape)`` through ``Tensor`` and reads ``x.grad``: the result has exactly
    ``shape``, summed over the leading axes that ``x`` lacked and over its size-1 axes that grew.
    """
    grad = np.asarray(grad, dtype=np.float64)
    shape = tuple(int(n) for n in shape)
    try:
        stretched = np.broadcast_shapes(shape, grad.shape)
    except ValueError:
        stretched = None
    if stretched != grad.shape:
        raise ValueError(f"shape {shape} does not broadcast to the gradient's shape {grad.shape}")
    x = Tensor(np.zeros(shape), requires_grad=True)  # shape
    out = x + Tensor(np.zeros(grad.shape))  # grad.shape
    out.backward(grad)
    return np.asarray(x.grad).reshape(shape)  # a 0-d array when shape == ()


def backprop(graph: dict[str, dict], values: dict[str, float], output: str) -> dict[str, float]:
    """``d output / d node`` for every node of a small expression graph given as plain data.

    Args:
        graph: ``{name: {"op": op, "inputs": [names]}}`` for every computed node; ops as in
            ``local_grads``. Example: ``{"c": {"op": "mul", "inputs": ["a", "b"]}}``.
        values: ``{name: number}`` for every leaf.
        output: the name of the node to differentiate.

    Returns:
        ``{name: gradient}`` for every name in ``values`` and ``graph`` (``1.0`` for ``output``,
        ``0.0`` for names the output does not depend on).
    """
    missing = [
        name
        for name in {p for spec in graph.values() for p in spec["inputs"]} | {output}
        if name not in graph and name not in values
    ]
    if missing:
        raise ValueError(f"no value and no op for {sorted(missing)}")
    made = _build_values(
        {name: list(spec["inputs"]) for name, spec in graph.items()},
        output,
        leaf=lambda name: Value(values[name], label=name),
        node=lambda name, inputs: _apply(graph[name]["op"], inputs),
    )
    made[output].backward()
    return {name: (made[name].grad if name in made else 0.0) for name in [*values, *graph]}

"""A scalar reverse-mode autograd node, ``Value``.

Every operation builds a new ``Value`` that remembers its inputs (``parents``) and a small function
(``_backward``) that pushes the node's gradient to those inputs using the chain rule.  The local
derivative of each op lives right next to its forward computation, so the two can be read together.

Convention for gradients, PyTorch's: ``backward()`` *accumulates* into the ``.grad`` of the leaves
(nodes without parents), so two backward passes over one graph leave twice the gradient there; every
other node holds the gradient of the latest pass only (torch keeps none for them). Call
``zero_grad(nodes)`` (or set ``v.grad = 0.0``) on the leaves before a backward pass that must not add up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from nncourse.autograd.order import topological_order

Number = int | float


def _power(a: float, p: float) -> float:
    """``a ** p`` with IEEE results where Python raises or goes complex: ``0 ** -1 = inf``, ``(-8) ** 0.5 = nan``."""
    with np.errstate(all="ignore"):
        return float(np.float64(a) ** p)


def _noop() -> None:
    """Leaves have nothing to propagate."""


class Value:
    """One scalar in a computation graph.

    Attributes:
        data: the forward value.
        grad: d(output)/d(this node), filled in by ``backward()`` of some downstream node.
        parents: the nodes this one was computed from (empty for leaves).
        op: a short label of the operation that produced it (``""`` for leaves).
        label: an optional human-readable name, used by graph printing.
    """

    __slots__ = ("_backward", "data", "grad", "label", "op", "parents")

    def __init__(self, data: Number, parents: tuple[Value, ...] = (), op: str = "", label: str = "") -> None:
        if not isinstance(data, (int, float, np.integer, np.floating)):
            raise TypeError(f"data must be a real number, got {type(data).__name__} {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op
        self.label = label
        self._backward: Callable[[], None] = _noop

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _lift(other: Value | Number) -> Value:
        """Wrap a plain Python number as a constant leaf."""
        if isinstance(other, Value):
            return other
        if isinstance(other, (int, float)):
            return Value(other)
        raise TypeError(f"cannot combine Value with {type(other).__name__}")

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"

    # ------------------------------------------------------------------ binary ops
    def __add__(self, other: Value | Number) -> Value:
        other = self._lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            # d(a+b)/da = 1, d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            # d(a*b)/da = b, d(a*b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other: Value | Number) -> Value:
        other = self._lift(other)
        out = Value(self.data / other.data, (self, other), "/")

        def _backward() -> None:
            # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self.grad += out.grad / other.data
            other.grad += -self.data / (other.data * other.data) * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: Number) -> Value:
        if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
            raise TypeError(f"Value ** exponent supports only a plain number exponent, got {type(exponent).__name__}")
        p = float(exponent)
        out = Value(_power(self.data, p), (self,), f"**{exponent}")

        def _backward() -> None:
            # d(a^p)/da = p * a^(p-1), and exactly 0 for p == 0 (torch's rule, also at a == 0)
            if p != 0.0:
                self.grad += p * _power(self.data, p - 1.0) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        out = Value(-self.data, (self,), "neg")

        def _backward() -> None:
            # d(-a)/da = -1
            self.grad -= out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: Value | Number) -> Value:
        other = self._lift(other)
        out = Value(self.data - other.data, (self, other), "-")

        def _backward() -> None:
            # d(a-b)/da = 1, d(a-b)/db = -1
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    # reflected forms: `2 * v`, `1 - v`, `3 / v` ...
    def __radd__(self, other: Number) -> Value:
        return self._lift(other) + self

    def __rmul__(self, other: Number) -> Value:
        return self._lift(other) * self

    def __rsub__(self, other: Number) -> Value:
        return self._lift(other) - self

    def __rtruediv__(self, other: Number) -> Value:
        return self._lift(other) / self

    # ------------------------------------------------------------------ unary functions
    def exp(self) -> Value:
        e = math.exp(self.data)
        out = Value(e, (self,), "exp")

        def _backward() -> None:
            # d(e^a)/da = e^a
            self.grad += e * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0.0:
            raise ValueError(f"log of a non-positive number: {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            # d(ln a)/da = 1/a
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            # d(tanh a)/da = 1 - tanh(a)^2
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        # numerically stable in both tails
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            # d(sigmoid a)/da = s * (1 - s)
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        passes = not self.data <= 0.0  # True for a > 0 and for NaN, which relu passes on (as torch)
        out = Value(self.data if passes else 0.0, (self,), "relu")

        def _backward() -> None:
            # d(relu a)/da = 1 if a > 0 else 0   (0 at a == 0 and 1 at NaN, as PyTorch does)
            if passes:
                self.grad += out.grad

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ backward pass
    def topological_order(self) -> list[Value]:
        """All nodes reachable from ``self``, each listed after every node it depends on (no recursion)."""
        return topological_order(self)

    def backward(self) -> None:
        """Add d(self)/d(leaf) to ``.grad`` of every leaf upstream of ``self``; set every other
        upstream node's ``.grad`` to d(self)/d(node).

        Walks the graph in reverse topological order. Within one pass a node used twice receives the
        sum of both contributions; across passes only the leaves keep adding up (as in PyTorch), so
        calling ``backward()`` twice doubles the leaves' gradients and nothing else.
        """
        order = self.topological_order()
        for node in order:
            if node.parents:  # intermediate results start from 0 in every pass
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward()


def zero_grad(nodes: Iterable[Value]) -> None:
    """Reset ``.grad`` to 0 on each node (use before re-running ``backward``)."""
    for node in nodes:
        node.grad = 0.0

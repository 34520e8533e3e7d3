"""Inspect a computation graph as plain data or text (no Graphviz needed).

Works for both ``Value`` and ``Tensor`` roots: anything with ``.parents`` and ``.op``.
"""

from __future__ import annotations

from typing import Any

from nncourse.autograd.order import topological_order
from nncourse.autograd.scalar import Value


def trace(root: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """List every node reachable from ``root`` as ``(label, op, parent_labels)``, inputs first.

    Labels are a node's own ``.label`` when it has a non-empty one (``Value`` does), else ``n0``,
    ``n1``, ... in the order listed.  Leaves have ``op == ""``.  The root is the last entry.
    """
    order = topological_order(root)
    names: dict[int, str] = {}
    for k, node in enumerate(order):
        names[id(node)] = getattr(node, "label", "") or f"n{k}"
    return [(names[id(n)], n.op, tuple(names[id(p)] for p in n.parents)) for n in order]


def format_graph(root: Any) -> str:
    """One line per node, e.g. ``n4 = tanh(n3)   data=0.7616 grad=0.4200`` for a ``Value`` graph,
    or ``... shape=(4, 3)`` for a ``Tensor`` graph."""
    lines = []
    nodes = topological_order(root)
    for (label, op, parents), node in zip(trace(root), nodes, strict=True):
        expr = f"{op}({', '.join(parents)})" if op else "input"
        if isinstance(node, Value):
            info = f"data={node.data:.4f} grad={node.grad:.4f}"
        else:
            info = f"shape={tuple(node.data.shape)}"
        lines.append(f"{label} = {expr}   {info}")
    return "\n".join(lines)

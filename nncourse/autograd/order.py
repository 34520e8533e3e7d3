"""The one graph walk every part of the engine uses: nodes in topological order, without recursion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def topological_order(root: Any, include: Callable[[Any], bool] = lambda node: True) -> list[Any]:
    """Every node reachable from ``root`` through ``.parents`` (and passing ``include``), each listed
    after all of its parents; ``root`` comes last.

    An iterative depth-first search with an explicit stack, so a graph deeper than Python's
    recursion limit (a chain of 100,000 additions) is fine. Parents are visited in their own order.
    """
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)  # all of its parents are already in ``order``
        elif id(node) not in seen and include(node):
            seen.add(id(node))
            stack.append((node, True))  # come back to it after its parents
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
    return order

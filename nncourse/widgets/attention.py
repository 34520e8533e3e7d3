"""Attention maps: pick a query position and see where each head looks.

    ex = AttentionMapExplorer(weights)     # weights (heads, L, S), e.g. one sequence of a trained model
    ex.query.value = 2                     # redraws: every head's weights over the keys for query 2
    ex.looks_at                            # (heads,) the key each head weighs most for that query

The explorer only displays weights it is given (numpy or a torch tensor); it trains nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np

from nncourse._validate import check_array
from nncourse.widgets._base import Explorer, figure_png, image_for, label, new_figure


class AttentionMapExplorer(Explorer):
    """A query-position slider and one bar chart per head of that query's weights over the keys.

    Args:
        weights: (heads, L, S) attention weights (each row a distribution over the S keys), or
            (L, S) for one head.
        keys: optional labels of the S key positions (e.g. the input tokens), shown under the bars.
        queries: optional labels of the L query positions, shown in the status line.
    """

    def __init__(self, weights: Any, keys: Sequence[Any] | None = None, queries: Sequence[Any] | None = None) -> None:
        if hasattr(weights, "detach"):
            weights = weights.detach().cpu().numpy()
        weights = np.asarray(weights, dtype=float)
        if weights.ndim == 2:
            weights = weights[None]
        check_array("weights", weights, ("heads", "L", "S"))
        self.weights = weights
        heads, length, keys_n = weights.shape
        self.keys = [str(k) for k in keys] if keys is not None else None
        self.queries = [str(q) for q in queries] if queries is not None else None
        for name, labels, n in (("keys", self.keys, keys_n), ("queries", self.queries, length)):
            if labels is not None and len(labels) != n:
                raise ValueError(f"{name} must have {n} labels (one per position), got {len(labels)}")
        self.query = widgets.IntSlider(
            value=0, min=0, max=length - 1, description="query position", style={"description_width": "initial"}
        )
        self.status = label()
        self._fig = new_figure(min(3.2 * heads, 10.0), 2.8)
        self.image = image_for(self._fig)
        self.query.observe(self._on_change, names="value")
        self._box = widgets.VBox([self.query, self.status, self.image])
        self.refresh()

    def refresh(self) -> None:
        i = int(self.query.value)
        rows = self.weights[:, i]  # (heads, S)
        self.looks_at = rows.argmax(axis=1)
        parts = [
            f"head {h} -> key {j}{self._tag(self.keys, j)} (weight {rows[h, j]:.2f})"
            for h, j in enumerate(self.looks_at)
        ]
        self.status.value = f"query {i}{self._tag(self.queries, i)}: " + "; ".join(parts)
        fig = self._fig
        fig.clear()
        axes = np.atleast_1d(fig.subplots(1, len(rows), sharey=True))
        positions = np.arange(rows.shape[1])
        for h, (ax, row) in enumerate(zip(axes, rows, strict=True)):
            colors = ["C3" if j == self.looks_at[h] else "C0" for j in positions]
            ax.bar(positions, row, color=colors)
            ticks = [f"{j}" if self.keys is None else f"{j}\n{self.keys[j]}" for j in positions]
            ax.set_xticks(positions, ticks, fontsize=8)
            ax.set_ylim(0, 1)
            ax.set_title(f"head {h}", fontsize=10)
            ax.set_xlabel("key position" if self.keys is None else "key position / label")
        axes[0].set_ylabel(f"weight of query {i}")
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.24, top=0.88, wspace=0.1)
        self.image.value = figure_png(fig)

    @staticmethod
    def _tag(labels: list[str] | None, index: int) -> str:
        return "" if labels is None else f" ({labels[index]!r})"

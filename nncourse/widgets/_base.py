"""What every course widget shares: a stable text form, PNG rendering of a figure, batched updates.

The explorers draw with a bare ``matplotlib.figure.Figure`` (no pyplot), render it to PNG bytes and
put them in an ``ipywidgets.Image``. No figure ever reaches the notebook's output area, so a cell
that displays an explorer stores only the widget view (not compared by nbval) and one fixed line of
``text/plain`` (compared): ``<ActivationExplorer: interactive widget, ...>``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 72
"""Resolution of every rendered figure (the course's inline figures use 72 too)."""


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure of ``width`` x ``height`` inches with an Agg canvas attached."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure rendered as PNG bytes (for ``ipywidgets.Image(format="png")``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def image_for(fig: Figure) -> widgets.Image:
    """An empty PNG ``Image`` widget sized to ``fig`` in pixels, so the browser shows it 1:1, not stretched."""
    width = round(fig.get_figwidth() * DPI)
    return widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", height="auto"))


def label(text: str = "") -> widgets.Label:
    """A Label that keeps long status lines on one line in JupyterLab."""
    return widgets.Label(value=text, layout=widgets.Layout(width="auto"))


class Explorer:
    """Base class: ``.widget`` is the box to display; displaying the explorer shows that box.

    Subclasses build ``self._box`` in ``__init__`` and redraw in ``refresh()``. Inside
    ``with self._batch():`` control changes do not redraw; one redraw happens at the end.
    """

    _box: widgets.Box
    _holding: bool = False

    @property
    def widget(self) -> widgets.Box:
        """The ``VBox``/``HBox`` holding the controls, the status line and the plot."""
        return self._box

    def refresh(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    @contextmanager
    def _batch(self) -> Iterator[None]:
        outer = self._holding
        self._holding = True
        try:
            yield
        finally:
            self._holding = outer
        if not outer:
            self.refresh()

    def _on_change(self, change: Any = None) -> None:
        """Observer for every control: redraw unless a batch of changes is under way."""
        if not self._holding:
            self.refresh()

    def __repr__(self) -> str:
        # Fixed text: a notebook stores it as the cell's text/plain output, and strict nbval compares it.
        return f"<{type(self).__name__}: interactive widget; run the cell in JupyterLab to use it>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self._box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

"""Optimizer explorer: gradient descent, momentum and Adam walking across a 2-D loss surface.

    ex = OptimizerExplorer()                 # chapter 06's bowl (condition number 20), lr 0.05, beta 0.9, 100 steps
    ex.lr.value = 0.15                       # every path is recomputed and redrawn
    ex.paths["adam"]                         # (steps + 1, 2) points, NaN after a divergence
    ex.final_losses                          # {"sgd": ..., "momentum": ..., "adam": ...}

The optimizers are the course's numpy ones (``nncourse.optim``), driven by
``nncourse.chapters.ch06_optimization.run_optimizer``. One learning rate is shared by all three; ``beta`` is the
momentum coefficient of SGD with momentum and Adam's ``beta1`` (Adam's ``beta2`` stays 0.999).
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from nncourse.chapters.ch06_optimization import Surface, quadratic, rosenbrock, run_optimizer
from nncourse.optim import SGD, Adam
from nncourse.widgets._base import Explorer, figure_png, image_for, label, new_figure

SURFACES = {
    "bowl (condition number 20)": lambda: quadratic(1.0, 20.0),
    "rotated bowl (condition number 5)": lambda: quadratic(1.0, 5.0, angle=math.pi / 6),
    "Rosenbrock valley": lambda: rosenbrock(),
}
"""Dropdown label -> surface factory (``nncourse.chapters.ch06_optimization``)."""

METHODS = ("sgd", "momentum", "adam")
"""The three optimizers, in plotting order."""

_LABELS = {"sgd": "gradient descent", "momentum": "momentum", "adam": "Adam"}


def make_optimizer(method: str, lr: float, beta: float) -> SGD | Adam:
    """The ``nncourse.optim`` optimizer behind ``method`` (one of ``METHODS``)."""
    if method == "sgd":
        return SGD(lr=lr)
    if method == "momentum":
        return SGD(lr=lr, momentum=beta)
    if method == "adam":
        return Adam(lr=lr, betas=(beta, 0.999))
    raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")


def final_loss(surface: Surface, path: np.ndarray) -> float:
    """Loss at the last point of ``path`` (steps + 1, 2); ``inf`` when the run diverged (NaN rows)."""
    last = path[-1]  # (2,)
    return math.inf if np.isnan(last).any() else float(surface(last))


class OptimizerExplorer(Explorer):
    """Run the three optimizers from the surface's start point and draw their paths on its contours."""

    def __init__(
        self, surface: str = "bowl (condition number 20)", lr: float = 0.05, beta: float = 0.9, steps: int = 100
    ) -> None:
        if surface not in SURFACES:
            raise ValueError(f"unknown surface {surface!r}; choose one of {list(SURFACES)}")
        style = {"description_width": "90px"}
        self.surface_choice = widgets.Dropdown(
            options=list(SURFACES),
            value=surface,
            description="surface",
            style=style,
            layout=widgets.Layout(width="360px"),
        )
        self.lr = widgets.FloatLogSlider(
            value=lr, base=10, min=-4, max=0, step=0.05, description="learning rate", readout_format=".4f", style=style
        )
        self.beta = widgets.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="beta", style=style)
        self.steps = widgets.IntSlider(value=steps, min=1, max=500, description="steps", style=style)
        self.status = label()
        self._fig = new_figure(6.0, 4.2)
        self.image = image_for(self._fig)
        self._grids: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for control in (self.surface_choice, self.lr, self.beta, self.steps):
            control.observe(self._on_change, names="value")
        controls = widgets.VBox([self.surface_choice, self.lr, self.beta, self.steps])
        self._box = widgets.VBox([controls, self.status, self.image])
        self.refresh()

    def set_params(
        self, lr: float | None = None, beta: float | None = None, steps: int | None = None, surface: str | None = None
    ) -> None:
        """Change several controls at once and redraw once."""
        with self._batch():
            if surface is not None:
                self.surface_choice.value = surface
            if lr is not None:
                self.lr.value = lr
            if beta is not None:
                self.beta.value = beta
            if steps is not None:
                self.steps.value = steps

    def run(self) -> dict[str, np.ndarray]:
        """Paths of the three optimizers for the current controls: name -> (steps + 1, 2)."""
        surface = self.surface
        return {
            m: run_optimizer(
                make_optimizer(m, float(self.lr.value), float(self.beta.value)),
                surface.start,
                surface.grad,
                int(self.steps.value),
                max_norm=1e3,
            )
            for m in METHODS
        }

    def refresh(self) -> None:
        self.surface = SURFACES[self.surface_choice.value]()
        self.paths = self.run()
        self.final_losses = {m: final_loss(self.surface, p) for m, p in self.paths.items()}
        parts = [
            f"{_LABELS[m]} {v:.3g}" if math.isfinite(v) else f"{_LABELS[m]} diverged"
            for m, v in self.final_losses.items()
        ]
        self.status.value = f"loss after {self.steps.value} steps: " + ", ".join(parts)
        self._draw()

    def _grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        name = self.surface_choice.value
        if name not in self._grids:  # contours depend only on the surface: compute once
            self._grids[name] = self.surface.grid(150)
        return self._grids[name]

    def _draw(self) -> None:
        fig = self._fig
        fig.clear()
        ax = fig.subplots()
        X, Y, Z = self._grid()  # (150, 150) each
        levels = np.quantile(Z, np.linspace(0.0, 0.95, 16) ** 2)  # denser contours near the minimum
        ax.contour(X, Y, Z, levels=np.unique(levels), cmap="Greys", linewidths=0.7)
        for i, (method, path) in enumerate(self.paths.items()):
            ax.plot(path[:, 0], path[:, 1], "o-", color=f"C{i}", markersize=2.5, linewidth=1.2, label=_LABELS[method])
        ax.plot(*self.surface.minimum, "k*", markersize=11, label="minimum")
        ax.plot(*self.surface.start, "ks", markersize=5, label="start")
        ax.set_xlim(*self.surface.xlim)
        ax.set_ylim(*self.surface.ylim)
        ax.set_title(f"{self.surface.name}, lr {self.lr.value:.4g}, beta {self.beta.value:g}")
        ax.legend(loc="lower right", fontsize=8)
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.08, top=0.92)
        self.image.value = figure_png(fig)

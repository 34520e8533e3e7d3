"""Activation explorer: an activation function, its derivative, and where it saturates.

    ex = ActivationExplorer()        # sigmoid on [-6, 6]
    ex.set_activation("tanh")        # or ex.dropdown.value = "tanh"
    ex.max_derivative                # 1.0 for tanh (at x = 0)

The shaded bands mark the inputs where ``|f'(x)| < threshold`` (0.05): there a unit passes almost
no gradient back, so the weights in front of it barely learn.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from nncourse.scratch import functional as F
from nncourse.widgets._base import Explorer, figure_png, image_for, label, new_figure

Pair = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]

LEAKY_SLOPE = 0.01
"""Slope of leaky ReLU for negative inputs (torch's default)."""


def _leaky_relu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, LEAKY_SLOPE * x)


def _leaky_relu_grad(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, 1.0, LEAKY_SLOPE)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)  # log(1 + e^x) without overflow


ACTIVATIONS: dict[str, Pair] = {
    "sigmoid": (F.sigmoid, F.sigmoid_grad),
    "tanh": (F.tanh, F.tanh_grad),
    "relu": (F.relu, F.relu_grad),
    "leaky_relu": (_leaky_relu, _leaky_relu_grad),
    "gelu": (F.gelu, F.gelu_grad),
    "softplus": (_softplus, F.sigmoid),  # d/dx log(1 + e^x) = sigmoid(x)
}
"""Name -> (f, f'): element-wise numpy functions, x of any shape -> same shape."""


def saturated_fraction(slope: np.ndarray, threshold: float) -> float:
    """Fraction of the sampled inputs where ``|f'(x)| < threshold``. slope: (M,) -> float in [0, 1]."""
    return float(np.mean(np.abs(slope) < threshold))


def _bands(x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Runs of True in ``mask`` (M,) as ``(x_start, x_end)`` intervals of ``x`` (M,)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))  # (M + 1,)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(x[s]), float(x[e])) for s, e in zip(starts, ends, strict=True)]


class ActivationExplorer(Explorer):
    """Plot ``f`` and ``f'`` over the range of the slider and shade the saturated inputs.

    The curves are sampled at ``points`` evenly spaced inputs (an odd count, so a symmetric range
    contains x = 0, where sigmoid, tanh and GELU have their steepest slope).
    """

    def __init__(
        self,
        activation: str = "sigmoid",
        x_range: tuple[float, float] = (-6.0, 6.0),
        threshold: float = 0.05,
        points: int = 601,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        if threshold <= 0:
            raise ValueError(f"threshold must be > 0, got {threshold}")
        self.threshold, self.points = float(threshold), int(points) | 1  # odd: x = 0 is a sample point
        self.dropdown = widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation")
        self.range = widgets.FloatRangeSlider(
            value=x_range, min=-10.0, max=10.0, step=0.5, description="x range", readout_format=".1f"
        )
        self.status = label()
        self._fig = new_figure(7.0, 3.2)
        self.image = image_for(self._fig)
        self.dropdown.observe(self._on_change, names="value")
        self.range.observe(self._on_change, names="value")
        self._box = widgets.VBox([widgets.HBox([self.dropdown, self.range]), self.status, self.image])
        self.refresh()

    def set_activation(self, name: str) -> None:
        """Show the activation called ``name`` (one of ``ACTIVATIONS``)."""
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
        self.dropdown.value = name

    def set_range(self, low: float, high: float) -> None:
        """Show inputs from ``low`` to ``high`` (within the slider's limits -10..10)."""
        if not low < high:
            raise ValueError(f"need low < high, got {low} and {high}")
        self.range.value = (float(low), float(high))

    def curves(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, f(x), f'(x))``, each of shape ``(points,)``, for the current activation and range."""
        low, high = self.range.value
        x = np.linspace(low, high, self.points)  # (points,)
        f, df = ACTIVATIONS[self.dropdown.value]
        return x, f(x), df(x)

    def refresh(self) -> None:
        x, y, dy = self.curves()
        name = self.dropdown.value
        self.max_derivative = float(np.max(np.abs(dy)))
        self.saturated = saturated_fraction(dy, self.threshold)
        self.status.value = (
            f"{name}: max |f'(x)| = {self.max_derivative:.3g} on [{x[0]:g}, {x[-1]:g}]; "
            f"|f'(x)| < {self.threshold:g} on {self.saturated:.0%} of the range (shaded)"
        )
        fig = self._fig
        fig.clear()
        ax_f, ax_d = fig.subplots(1, 2)
        for ax in (ax_f, ax_d):
            for lo, hi in _bands(x, np.abs(dy) < self.threshold):
                ax.axvspan(lo, hi, color="0.85", zorder=0)
            ax.axhline(0.0, color="0.6", linewidth=0.8)
            ax.set_xlabel("x")
            ax.grid(alpha=0.3)
        ax_f.plot(x, y, color="C0")
        ax_f.set_title(f"{name}(x)")
        ax_d.plot(x, dy, color="C3")
        ax_d.set_title(f"derivative {name}'(x)")
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.88, wspace=0.25)
        self.image.value = figure_png(fig)

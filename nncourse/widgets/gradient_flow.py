"""Gradient flow through time in a plain RNN: how the gradient's norm changes as it goes back k steps.

    ex = GradientFlowExplorer()        # spectral radius 1.0, tanh
    ex.scale.value = 1.5               # redraws: the curve for a recurrent matrix of spectral radius 1.5
    ex.norms                           # (steps,) the plotted gradient norms, lag 0 first

``gradient_norms_over_lag`` is the measurement (used by chapter 11 too): run a random RNN forward
over ``steps`` inputs, start a unit gradient at the last state and carry it back with BPTT,
recording its norm at every lag k.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from nncourse._validate import check_choice, check_hyper, check_int
from nncourse.scratch.functional.rnn import rnn_forward
from nncourse.widgets._base import Explorer, figure_png, image_for, label, new_figure

NONLINEARITIES = ("tanh", "linear")


def recurrent_matrix(scale: float, hidden: int, rng: np.random.Generator) -> np.ndarray:
    """A random (hidden, hidden) Gaussian matrix rescaled so its spectral radius (largest |eigenvalue|) is ``scale``."""
    w = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    return scale * w / np.max(np.abs(np.linalg.eigvals(w)))


def gradient_norms_over_lag(
    scale: float,
    *,
    steps: int = 60,
    hidden: int = 32,
    input_size: int = 4,
    batch: int = 16,
    input_scale: float = 0.1,
    nonlinearity: str = "tanh",
    seed: int = 0,
) -> np.ndarray:
    """Mean over a batch of ||dL/dh_{T-1-k}|| for k = 0 .. steps - 1, where dL/dh_{T-1} is a unit vector.

    The RNN: h_t = act(x_t W_ih^T + h_{t-1} W_hh^T), h_{-1} = 0, W_hh = ``recurrent_matrix(scale)``,
    x_t ~ N(0, input_scale^2), no biases; act = tanh, or the identity for ``nonlinearity="linear"``.
    Returns an array of shape (steps,): entry k is the norm after k steps back (entry 0 is 1).
    """
    scale = check_hyper("scale", scale)
    steps, hidden, batch = check_int("steps", steps), check_int("hidden", hidden), check_int("batch", batch)
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    rng = np.random.default_rng(seed)
    w_hh = recurrent_matrix(scale, hidden, rng)
    w_ih = rng.standard_normal((hidden, input_size)) / np.sqrt(input_size)
    x = input_scale * rng.standard_normal((steps, batch, input_size))  # (L, N, I)
    h0 = np.zeros((batch, hidden))
    if nonlinearity == "tanh":
        states, _ = rnn_forward(x, h0, w_ih, w_hh)  # (L, N, H)
        slopes = 1.0 - states**2  # tanh'(a_t) = 1 - h_t^2
    else:
        slopes = np.ones((steps, batch, hidden))
    grad = rng.standard_normal((batch, hidden))
    grad /= np.linalg.norm(grad, axis=1, keepdims=True)  # dL/dh_{T-1}: one unit vector per sequence
    norms = np.empty(steps)
    for k in range(steps):
        norms[k] = np.linalg.norm(grad, axis=1).mean()
        grad = (grad * slopes[steps - 1 - k]) @ w_hh  # through act' and W_hh: dL/dh_{t-1} = (dL/dh_t * act'(a_t)) W_hh
    return norms


class GradientFlowExplorer(Explorer):
    """A slider for the recurrent weight scale (spectral radius) and the measured gradient norm vs lag.

    The grey lines are the reference curves for spectral radius 0.5, 1 and 2 at the same settings,
    so moving the slider shows where the curve sits between vanishing and exploding.
    """

    def __init__(self, scale: float = 1.0, nonlinearity: str = "tanh", steps: int = 60) -> None:
        check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        self.steps = check_int("steps", steps)
        self.scale = widgets.FloatSlider(
            value=float(scale),
            min=0.1,
            max=3.0,
            step=0.1,
            description="spectral radius",
            readout_format=".1f",
            style={"description_width": "initial"},
        )
        self.nonlinearity = widgets.Dropdown(options=list(NONLINEARITIES), value=nonlinearity, description="activation")
        self.status = label()
        self._fig = new_figure(6.5, 3.6)
        self.image = image_for(self._fig)
        self.scale.observe(self._on_change, names="value")
        self.nonlinearity.observe(self._on_change, names="value")
        self._box = widgets.VBox([widgets.HBox([self.scale, self.nonlinearity]), self.status, self.image])
        self.refresh()

    def refresh(self) -> None:
        act, scale = self.nonlinearity.value, float(self.scale.value)
        self.norms = gradient_norms_over_lag(scale, steps=self.steps, nonlinearity=act)
        last = self.norms[-1]
        self.status.value = (
            f"{act} RNN, spectral radius {scale:.1f}: gradient norm {last:.2g} after "
            f"{self.steps - 1} steps back (1 at the last step)"
        )
        fig = self._fig
        fig.clear()
        ax = fig.subplots()
        lags = np.arange(self.steps)
        for ref in (0.5, 1.0, 2.0):
            ax.semilogy(
                lags,
                gradient_norms_over_lag(ref, steps=self.steps, nonlinearity=act),
                color="0.75",
                linewidth=1,
                label="radius 0.5, 1, 2 (grey)" if ref == 0.5 else None,
            )
        ax.semilogy(lags, np.maximum(self.norms, 1e-300), color="C3", linewidth=2, label=f"radius {scale:.1f}")
        ax.set_ylim(1e-12, 1e8)
        ax.set_xlabel("lag k (steps back from the last step)")
        ax.set_ylabel("gradient norm ||dL/dh_{T-k}||")
        ax.grid(alpha=0.3, which="major")
        ax.legend(loc="upper left", fontsize=8)
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.15, top=0.95)
        self.image.value = figure_png(fig)

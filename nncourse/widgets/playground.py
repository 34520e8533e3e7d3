"""A neural-network playground: train a small MLP on a 2-D toy set and watch its decision boundary.

    pg = Playground()            # spirals, 2 hidden layers of 32 ReLU units, Adam
    pg                           # in a notebook: the controls, a status line and the live plot
    pg.train_steps(300)          # without a browser: {"step": 300, "loss": ..., "accuracy": ...}

The Train button runs ``steps_per_click`` steps in chunks of ``chunk`` steps; after each chunk the
plot and the status line are redrawn, so the kernel is never busy for long without visible progress.
Changing the data set, the architecture, the activation or the seed starts over (step 0); the
learning rate and the L2 strength take effect at the next step.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
from torch import nn

from nncourse.data import make_toy
from nncourse.models.mlp import MLP
from nncourse.viz import plot_decision_boundary
from nncourse.widgets._base import Explorer, figure_png, image_for, label, new_figure

DATASETS = ("spirals", "xor", "circles", "moons")
"""Toy sets the playground offers (``nncourse.data.make_toy`` names)."""


class Playground(Explorer):
    """Full-batch training of ``MLP([2, width, ..., width, classes])`` with Adam and an L2 penalty.

    The loss is ``cross_entropy(logits, y) + l2 * sum(W**2)`` over the weight matrices (not the
    biases); the status line reports the cross-entropy part and the training accuracy.
    """

    def __init__(
        self,
        dataset: str = "spirals",
        hidden_layers: int = 2,
        width: int = 32,
        activation: str = "relu",
        lr: float = 0.03,
        l2: float = 0.0,
        seed: int = 0,
        n: int = 300,
        steps_per_click: int = 300,
        chunk: int = 25,
    ) -> None:
        if dataset not in DATASETS:
            raise ValueError(f"unknown data set {dataset!r}; choose one of {list(DATASETS)}")
        if chunk < 1 or steps_per_click < 1:
            raise ValueError(f"chunk and steps_per_click must be >= 1, got {chunk} and {steps_per_click}")
        self.n, self.steps_per_click, self.chunk = n, steps_per_click, chunk
        style = {"description_width": "110px"}
        self.dataset = widgets.Dropdown(options=DATASETS, value=dataset, description="data set", style=style)
        self.layers = widgets.IntSlider(value=hidden_layers, min=1, max=4, description="hidden layers", style=style)
        self.width = widgets.IntSlider(value=width, min=2, max=64, description="width", style=style)
        self.activation = widgets.Dropdown(
            options=("relu", "tanh"), value=activation, description="activation", style=style
        )
        self.lr = widgets.FloatLogSlider(
            value=lr, base=10, min=-4, max=0, step=0.25, description="learning rate", readout_format=".4f", style=style
        )
        self.l2 = widgets.FloatLogSlider(
            value=max(l2, 1e-6),
            base=10,
            min=-6,
            max=-1,
            step=0.5,
            description="L2 (if on)",
            readout_format=".0e",
            style=style,
        )
        self.l2_on = widgets.Checkbox(value=l2 > 0, description="use L2 regularization", indent=False)
        self.seed = widgets.IntText(value=seed, description="seed", style=style)
        self.train_button = widgets.Button(
            description=f"Train {steps_per_click} steps", button_style="primary", icon="play"
        )
        self.reset_button = widgets.Button(description="Reset", icon="undo")
        self.status = label()
        self._fig = new_figure(8.0, 3.4)
        self.image = image_for(self._fig)
        for control in (self.dataset, self.layers, self.width, self.activation, self.seed):
            control.observe(self._on_change, names="value")
        self.train_button.on_click(lambda _: self.train(self.steps_per_click))
        self.reset_button.on_click(lambda _: self.reset())
        left = widgets.VBox([self.dataset, self.layers, self.width, self.activation])
        right = widgets.VBox([self.lr, self.l2_on, self.l2, self.seed])
        buttons = widgets.HBox([self.train_button, self.reset_button])
        self._box = widgets.VBox([widgets.HBox([left, right]), buttons, self.status, self.image])
        self.reset()

    # ------------------------------------------------------------------ state
    def refresh(self) -> None:
        """Any change of data set, architecture, activation or seed starts over."""
        self.reset()

    def reset(self) -> None:
        """New data and freshly initialised weights (seeded by ``seed``); step 0."""
        seed = int(self.seed.value)
        X, y = make_toy(self.dataset.value, n=self.n, seed=seed)  # (n, 2), (n,)
        self.X = torch.as_tensor(X, dtype=torch.float32)  # (n, 2)
        self.y = torch.as_tensor(y, dtype=torch.int64)  # (n,)
        self.n_classes = int(self.y.max()) + 1
        sizes = [2] + [int(self.width.value)] * int(self.layers.value) + [self.n_classes]
        with torch.random.fork_rng(devices=[]):  # seed the weights without moving the notebook's own torch RNG
            torch.manual_seed(seed)
            self.model = MLP(sizes, activation=self.activation.value)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=float(self.lr.value))
        self.step = 0
        self.losses: list[float] = []  # cross-entropy after each step
        self.accuracy = self._accuracy()
        self._show()

    @property
    def l2_strength(self) -> float:
        """The L2 coefficient in use: the slider's value when the checkbox is ticked, else 0."""
        return float(self.l2.value) if self.l2_on.value else 0.0

    def _accuracy(self) -> float:
        with torch.no_grad():
            return float((self.model(self.X).argmax(dim=1) == self.y).float().mean())  # (n,) -> scalar

    def train_steps(self, n: int) -> dict[str, float]:
        """Take ``n`` full-batch Adam steps without redrawing; return step, loss and accuracy."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        for group in self.optimizer.param_groups:
            group["lr"] = float(self.lr.value)
        l2 = self.l2_strength
        weights = [p for name, p in self.model.named_parameters() if name.endswith("weight")]
        self.model.train()
        for _ in range(n):
            logits = self.model(self.X)  # (n, classes)
            data_loss = nn.functional.cross_entropy(logits, self.y)
            loss = data_loss + l2 * sum((w**2).sum() for w in weights) if l2 > 0 else data_loss
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.step += 1
            self.losses.append(data_loss.item())
        self.accuracy = self._accuracy()
        return {"step": self.step, "loss": self.losses[-1] if self.losses else float("nan"), "accuracy": self.accuracy}

    def train(self, steps: int | None = None) -> dict[str, float]:
        """Train ``steps`` steps (default ``steps_per_click``) in chunks, redrawing after each chunk."""
        remaining = self.steps_per_click if steps is None else int(steps)
        result = {"step": self.step, "loss": float("nan"), "accuracy": self.accuracy}
        self.train_button.disabled = True
        try:
            while remaining > 0:
                result = self.train_steps(min(self.chunk, remaining))
                remaining -= self.chunk
                self._show()
        finally:
            self.train_button.disabled = False
        return result

    # ------------------------------------------------------------------ display
    def status_text(self) -> str:
        loss = f"{self.losses[-1]:.3f}" if self.losses else "-"
        return (
            f"step {self.step} | loss {loss} | train accuracy {self.accuracy:.2f} | "
            f"{self.dataset.value}, {self.n} points, seed {self.seed.value}"
        )

    def _predict(self, grid: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.model(torch.as_tensor(grid, dtype=torch.float32)).numpy()  # (M, classes)

    def _show(self) -> None:
        self.status.value = self.status_text()
        fig = self._fig
        fig.clear()
        ax_data, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.3]})
        plot_decision_boundary(
            self._predict,
            self.X.numpy(),
            self.y.numpy(),
            ax=ax_data,
            resolution=100,
            title=f"decision regions, step {self.step}",
        )
        if self.losses:
            ax_loss.plot(np.arange(1, len(self.losses) + 1), self.losses, color="C0")
            ax_loss.set_yscale("log")
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("cross-entropy (train)")
        ax_loss.set_title("loss")
        ax_loss.grid(alpha=0.3)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
        self.image.value = figure_png(fig)

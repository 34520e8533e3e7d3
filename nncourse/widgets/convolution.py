"""Convolution explorer: slide a 3x3 kernel over an 8x8 handwritten digit and see the feature map.

    ex = ConvolutionExplorer()            # digit 0 of scikit-learn's digits, identity kernel
    ex.set_preset("edge x")               # or ex.preset.value = "edge x", or edit the 9 numbers
    ex.output                             # (8, 8) feature map (padding 1 keeps the size)

``torch.nn.functional.conv2d`` computes a cross-correlation: output[i, j] is the sum over the 3x3
window around pixel (i, j) of ``window * kernel``, the kernel not flipped. Pixels are scaled to
[0, 1]; the border is padded with zeros.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
from sklearn.datasets import load_digits

from nncourse.widgets._base import Explorer, figure_png, image_for, label, new_figure

PRESETS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
    "blur": np.full((3, 3), 1.0 / 9.0, dtype=np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
    "edge x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),  # Sobel: responds to left-right change
    "edge y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),  # Sobel: responds to top-bottom change
}
"""Preset name -> (3, 3) kernel."""

CUSTOM = "custom"


def conv3x3(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlate ``image`` (H, W) with ``kernel`` (3, 3), zero padding 1: returns (H, W) float32."""
    image, kernel = np.asarray(image, dtype=np.float32), np.asarray(kernel, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"image must have shape (H, W), got {image.shape}")
    if kernel.shape != (3, 3):
        raise ValueError(f"kernel must have shape (3, 3), got {kernel.shape}")
    x = torch.from_numpy(image)[None, None]  # (1, 1, H, W)
    w = torch.from_numpy(kernel)[None, None]  # (1, 1, 3, 3)
    return torch.nn.functional.conv2d(x, w, padding=1)[0, 0].numpy()  # (H, W)


def digit_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits: images (1797, 8, 8) float32 in [0, 1] and labels (1797,)."""
    digits = load_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target.astype(np.int64)


class ConvolutionExplorer(Explorer):
    """Input digit, kernel and output side by side; 9 number boxes and a preset menu edit the kernel."""

    def __init__(self, preset: str = "identity", index: int = 0) -> None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {list(PRESETS)}")
        self.images, self.labels = digit_images()  # (1797, 8, 8), (1797,)
        self.preset = widgets.Dropdown(options=[*PRESETS, CUSTOM], value=preset, description="kernel")
        self.index = widgets.IntSlider(value=index, min=0, max=len(self.images) - 1, description="digit #")
        self.cells = [
            widgets.FloatText(value=float(v), step=0.1, layout=widgets.Layout(width="64px"))
            for v in PRESETS[preset].ravel()
        ]
        grid = widgets.GridBox(self.cells, layout=widgets.Layout(grid_template_columns="repeat(3, 70px)"))
        self.status = label()
        self._fig = new_figure(7.5, 2.8)
        self.image = image_for(self._fig)
        self.preset.observe(self._on_preset, names="value")
        self.index.observe(self._on_change, names="value")
        for cell in self.cells:
            cell.observe(self._on_cell, names="value")
        controls = widgets.HBox([widgets.VBox([self.preset, self.index]), grid])
        self._box = widgets.VBox([controls, self.status, self.image])
        self.refresh()

    # ------------------------------------------------------------------ state
    @property
    def kernel(self) -> np.ndarray:
        """The kernel in the 9 boxes, (3, 3) float32, row by row."""
        return np.array([c.value for c in self.cells], dtype=np.float32).reshape(3, 3)

    def set_kernel(self, kernel: np.ndarray) -> None:
        """Write a (3, 3) kernel into the boxes (the menu shows its preset name, or "custom")."""
        kernel = np.asarray(kernel, dtype=np.float32)
        if kernel.shape != (3, 3):
            raise ValueError(f"kernel must have shape (3, 3), got {kernel.shape}")
        with self._batch():
            for cell, value in zip(self.cells, kernel.ravel(), strict=True):
                cell.value = float(value)
            self.preset.value = self._matching_preset()

    def set_preset(self, name: str) -> None:
        """Load the preset kernel ``name`` (one of ``PRESETS``)."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {list(PRESETS)}")
        self.preset.value = name

    def _matching_preset(self) -> str:
        kernel = self.kernel
        return next((n for n, k in PRESETS.items() if np.allclose(k, kernel, atol=1e-6)), CUSTOM)

    def _on_preset(self, change: dict) -> None:
        if self._holding or change["new"] == CUSTOM:
            return
        with self._batch():
            for cell, value in zip(self.cells, PRESETS[change["new"]].ravel(), strict=True):
                cell.value = float(value)

    def _on_cell(self, change: dict) -> None:
        if self._holding:
            return
        with self._batch():
            self.preset.value = self._matching_preset()

    @property
    def input(self) -> np.ndarray:
        """The selected digit, (8, 8) float32 in [0, 1]."""
        return self.images[int(self.index.value)]

    # ------------------------------------------------------------------ display
    def refresh(self) -> None:
        self.output = conv3x3(self.input, self.kernel)  # (8, 8)
        self.status.value = (
            f"digit {self.labels[self.index.value]} (#{self.index.value}), kernel {self.preset.value}: "
            f"output min {self.output.min():.3g}, max {self.output.max():.3g}"
        )
        fig = self._fig
        fig.clear()
        ax_in, ax_k, ax_out = fig.subplots(1, 3)
        ax_in.imshow(self.input, cmap="gray_r", vmin=0, vmax=1)
        ax_in.set_title("input 8x8")
        bound = max(float(np.abs(self.kernel).max()), 1e-6)
        ax_k.imshow(self.kernel, cmap="RdBu_r", vmin=-bound, vmax=bound)
        for (i, j), v in np.ndenumerate(self.kernel):
            ax_k.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=9)
        ax_k.set_title("kernel 3x3")
        out_bound = max(float(np.abs(self.output).max()), 1e-6)
        ax_out.imshow(self.output, cmap="RdBu_r", vmin=-out_bound, vmax=out_bound)
        ax_out.set_title("output 8x8 (padding 1)")
        for ax in (ax_in, ax_k, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.88, wspace=0.15)
        self.image.value = figure_png(fig)

"""Plots used across the course: decision boundaries, training curves, weight/activation histograms, feature maps.

Each function draws on a given ``ax`` (or a new figure) and returns the axes, so notebooks can
compose them; none calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from nncourse._validate import check_array

Predictor = Callable[[np.ndarray], np.ndarray]
"""``predict(X: (M, 2)) -> (M,)`` class labels, or ``(M, C)`` scores whose arg-max is the class."""


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _class_colours(n_classes: int) -> dict:
    """The same colour for class k in scatter plots and shaded regions: class k maps to k on [-0.5, n - 0.5]."""
    return {"cmap": "coolwarm" if n_classes <= 2 else "viridis", "vmin": -0.5, "vmax": max(n_classes, 2) - 0.5}


def plot_data(
    X: np.ndarray, y: np.ndarray, ax: Axes | None = None, title: str | None = None, n_classes: int | None = None
) -> Axes:
    """Scatter a 2-D data set ``X: (N, 2)`` coloured by label ``y: (N,)`` (classes ``0 .. n_classes-1``)."""
    dims = check_array("X", X, ("N", 2))
    check_array("y", y, ("N",), dims=dims)
    ax = _axes(ax)
    n_classes = n_classes or int(np.max(y)) + 1
    ax.scatter(X[:, 0], X[:, 1], c=y, s=14, edgecolors="k", linewidths=0.3, **_class_colours(n_classes))
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(
    predict: Predictor,
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    title: str | None = None,
    resolution: int = 200,
    margin: float = 0.5,
) -> Axes:
    """Shade the plane by the class ``predict`` assigns, then scatter the data on top.

    Args:
        predict: maps a grid of points ``(M, 2)`` to labels ``(M,)`` or scores ``(M, C)``.
        X: ``(N, 2)`` points; y: ``(N,)`` labels.
        resolution: grid points per axis (``resolution**2`` predictions).
    """
    dims = check_array("X", X, ("N", 2))
    check_array("y", y, ("N",), dims=dims)
    ax = _axes(ax)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])  # (resolution**2, 2)
    out = np.asarray(predict(grid))
    labels = out.argmax(axis=1) if out.ndim == 2 else out  # (resolution**2,)
    if labels.shape != (len(grid),):
        raise ValueError(f"predict must return shape ({len(grid)},) or ({len(grid)}, C), got {out.shape}")
    n_classes = max(int(max(labels.max(), np.max(y))) + 1, 2)
    ax.contourf(
        gx, gy, labels.reshape(gx.shape), levels=np.arange(n_classes + 1) - 0.5, alpha=0.3, **_class_colours(n_classes)
    )
    return plot_data(X, y, ax=ax, title=title, n_classes=n_classes)


def plot_history(
    history: Mapping[str, Sequence[float]] | object,
    keys: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Plot per-epoch curves; ``history`` is a ``train.History`` or a dict of lists.

    The y axis is labelled ``ylabel``, else by what the keys share ("loss" for ``train_loss`` and
    ``val_loss``), else by the keys themselves."""
    records = getattr(history, "records", history)
    if not isinstance(records, Mapping) or not records:
        raise ValueError("history must be a non-empty History or dict of per-epoch lists")
    keys = list(keys) if keys is not None else [k for k in records if k.endswith("loss")]
    ax = _axes(ax)
    for key in keys:
        if key not in records:
            raise KeyError(f"no record {key!r}; history has {sorted(records)}")
        values = records[key]
        ax.plot(np.arange(1, len(values) + 1), values, label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or _shared_name(keys))
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def _shared_name(keys: Sequence[str]) -> str:
    """``["train_loss", "val_loss"]`` -> ``"loss"``; keys with no common last word -> ``"a, b"``."""
    last = {key.rsplit("_", 1)[-1] for key in keys}
    return last.pop() if len(last) == 1 else ", ".join(keys)


def plot_histograms(arrays: Mapping[str, np.ndarray], bins: int = 40, title: str | None = None) -> np.ndarray:
    """One histogram per named array (weights or activations), side by side; returns the axes array."""
    if not arrays:
        raise ValueError("arrays must name at least one array")
    fig, axes = plt.subplots(1, len(arrays), figsize=(3.2 * len(arrays), 2.8), squeeze=False)
    for ax, (name, values) in zip(axes[0], arrays.items(), strict=True):
        flat = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=np.float64).ravel()
        ax.hist(flat, bins=bins, color="tab:blue", alpha=0.8)
        ax.set_title(f"{name}\nmean {flat.mean():.2f}, std {flat.std():.2f}", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes[0]


def plot_feature_maps(
    maps: Sequence[tuple[str, np.ndarray]], max_channels: int = 8, cmap: str = "viridis", title: str | None = None
) -> np.ndarray:
    """One row per named stack of 2-D maps, e.g. a CNN's feature maps layer by layer or its filters.

    Args:
        maps: ``[(name, array (C, H, W)), ...]``; numpy arrays or tensors. Each row shows the first
            ``max_channels`` channels, each with its own colour scale.

    Returns:
        The axes array, shape ``(len(maps), max_channels)`` (unused panels are switched off).
    """
    if not maps:
        raise ValueError("maps must hold at least one (name, array) pair")
    if isinstance(max_channels, bool) or not isinstance(max_channels, int) or max_channels < 1:
        raise ValueError(f"max_channels must be a positive int, got {max_channels!r}")
    arrays = []
    for name, values in maps:
        array = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=np.float64)
        check_array(f"maps[{name!r}]", array, (None, None, None))
        arrays.append(array)
    fig, axes = plt.subplots(len(maps), max_channels, figsize=(1.3 * max_channels, 1.45 * len(maps)), squeeze=False)
    for row, ((name, _), array) in enumerate(zip(maps, arrays, strict=True)):
        for col in range(max_channels):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col >= array.shape[0]:
                ax.axis("off")
                continue
            ax.imshow(array[col], cmap=cmap)
            ax.set_title(f"{col}", fontsize=7)
        h, w = array.shape[1:]
        axes[row, 0].set_ylabel(f"{name}\n{array.shape[0]}×{h}×{w}", fontsize=8)  # noqa: RUF001
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes

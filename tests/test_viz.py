"""Plots draw what they should and reject bad shapes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nncourse.data import moons
from nncourse.train import History
from nncourse.viz import plot_decision_boundary, plot_histograms, plot_history


def _region_rows(ax) -> list[tuple[float, float]]:
    """(lowest, highest) y of each class's shaded region, class 0 first."""
    shading = ax.collections[0]  # contourf's regions; the scatter comes after them
    return [(np.concatenate(paths)[:, 1].min(), np.concatenate(paths)[:, 1].max()) for paths in shading.allsegs]


def test_decision_boundary_shades_both_classes_and_scatters_every_point():
    X, y = moons(50)
    ax = plot_decision_boundary(lambda G: (G[:, 1] > 0.25).astype(int), X, y, resolution=30)
    assert len(ax.collections[-1].get_offsets()) == 50
    np.testing.assert_array_equal(ax.collections[-1].get_array(), y)  # each point coloured by its label
    step = (X[:, 1].max() - X[:, 1].min() + 1.0) / 29  # grid spacing along x2 (margin 0.5 each side)
    (low0, high0), (low1, high1) = _region_rows(ax)
    assert low0 == pytest.approx(X[:, 1].min() - 0.5) and high1 == pytest.approx(X[:, 1].max() + 0.5)
    assert abs(high0 - 0.25) <= step and abs(low1 - 0.25) <= step  # the boundary is the line x2 = 0.25
    plt.close("all")


def test_decision_boundary_shades_the_arg_max_of_scores():
    X, y = moons(50)
    ax = plot_decision_boundary(lambda G: np.column_stack([G[:, 1] - 0.25, 0.25 - G[:, 1]]), X, y, resolution=30)
    (low0, _), (_, high1) = _region_rows(ax)
    assert low0 > 0.1 and high1 < 0.4  # column 0 wins above the line: class 0 is shaded on top
    three = plot_decision_boundary(lambda G: np.column_stack([-G[:, 0], G[:, 0], np.full(len(G), 0.5)]), X, y)
    middle = np.concatenate(three.collections[0].allsegs[2])[:, 0]  # class 2 wins where |x1| < 0.5
    assert len(three.collections[0].allsegs) == 3 and middle.min() > -0.6 and middle.max() < 0.6
    plt.close("all")


def test_decision_boundary_rejects_bad_shapes():
    X, y = moons(20)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        plot_decision_boundary(lambda G: G[:, 0] > 0, np.zeros((20, 3)), y)
    with pytest.raises(ValueError, match=r"predict must return shape \(100,\)"):
        plot_decision_boundary(lambda G: np.zeros(3), X, y, resolution=10)
    plt.close("all")


def test_history_and_histograms():
    history = History()
    for loss in (1.0, 0.5, 0.25):
        history.log(train_loss=loss, val_loss=loss + 0.1, val_accuracy=0.9)
    ax = plot_history(history)
    assert [line.get_label() for line in ax.get_lines()] == ["train_loss", "val_loss"]
    assert list(ax.get_lines()[0].get_ydata()) == [1.0, 0.5, 0.25]
    with pytest.raises(KeyError, match="no record 'loss'"):
        plot_history(history, keys=["loss"])
    axes = plot_histograms({"W1": np.zeros((3, 3)), "W2": np.ones(5)})
    assert len(axes) == 2 and "mean 1.00" in axes[1].get_title()
    plt.close("all")


def test_plot_history_labels_both_axes():
    history = {"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "val_accuracy": [0.5, 0.8]}
    ax = plot_history(history, ["train_loss", "val_loss"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")
    assert plot_history(history, ["train_loss", "val_accuracy"]).get_ylabel() == "train_loss, val_accuracy"
    assert (
        plot_history(history, ["val_accuracy"], ylabel="accuracy (validation)").get_ylabel() == "accuracy (validation)"
    )

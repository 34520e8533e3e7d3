"""Chapter 10 (CNNs): the experiments' plumbing — shifted and pixel-permuted images, the models that
are compared, one training run, and the accuracy-vs-shift sweep.

    split = load_digit_images()
    result = train_classifier(digits_cnn(seed=0), split, DIGITS_CNN, seed=0)   # TrainResult
    result.test_accuracy, result.parameters
    curve = shift_sweep(result.model, split.X_test, split.y_test, shifts=range(4))
    perm = fixed_permutation(64, seed=0); shuffled = permute_split(split, perm)

Training goes through ``nncourse.train.fit``; this module has no loop of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_array
from nncourse.data import ImageSplit, make_loader
from nncourse.models import MLP, ConvNet, SequenceClassifier, count_parameters
from nncourse.train import History, accuracy, evaluate, fit


# ------------------------------------------------------------------------------------- image transforms
def shift_images(X: np.ndarray, dy: int, dx: int = 0) -> np.ndarray:
    """Move every image of ``X: (N, C, H, W)`` down by ``dy`` and right by ``dx`` pixels (negative:
    up / left); pixels that leave the frame are lost, the gap is filled with zeros. Same shape back."""
    check_array("X", X, (None, None, None, None))
    out = np.zeros_like(X)
    H, W = X.shape[2:]
    if abs(dy) >= H or abs(dx) >= W:
        return out
    src_r, dst_r = slice(max(-dy, 0), H - max(dy, 0)), slice(max(dy, 0), H - max(-dy, 0))
    src_c, dst_c = slice(max(-dx, 0), W - max(dx, 0)), slice(max(dx, 0), W - max(-dx, 0))
    out[:, :, dst_r, dst_c] = X[:, :, src_r, src_c]
    return out


def fixed_permutation(n_positions: int, seed: int = 0) -> np.ndarray:
    """One random order of ``n_positions`` pixel positions, ``(n_positions,)`` int, the same for a seed."""
    if isinstance(n_positions, bool) or not isinstance(n_positions, (int, np.integer)) or n_positions < 1:
        raise ValueError(f"n_positions must be a positive int, got {n_positions!r}")
    return np.random.default_rng(seed).permutation(n_positions)


def permute_pixels(X: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Reorder the spatial positions of ``X: (N, C, *spatial)`` by ``perm: (prod(spatial),)``.

    Every image gets the same reordering (each channel alike), so the information is all still there:
    only which pixels are neighbours changes.
    """
    X = np.asarray(X)
    if X.ndim < 3:
        raise ValueError(f"X must have shape (N, C, *spatial), got shape {X.shape}")
    spatial = X.shape[2:]
    n_pos = int(np.prod(spatial))
    check_array("perm", perm, (n_pos,), dtype_kind="iu")
    if not np.array_equal(np.sort(perm), np.arange(n_pos)):
        raise ValueError(f"perm must be a permutation of 0..{n_pos - 1}")
    flat = X.reshape(X.shape[0], X.shape[1], n_pos)
    return flat[:, :, perm].reshape(X.shape)


def permute_split(split: ImageSplit, perm: np.ndarray) -> ImageSplit:
    """A copy of ``split`` whose every image has its pixels reordered by the one permutation ``perm``."""
    return replace(
        split,
        name=f"{split.name} (permuted)",
        X_train=permute_pixels(split.X_train, perm),
        X_val=permute_pixels(split.X_val, perm),
        X_test=permute_pixels(split.X_test, perm),
    )


# ---------------------------------------------------------------------------------------------- models
def image_mlp(input_shape: Sequence[int], hidden: Sequence[int], n_classes: int, dropout: float = 0.0) -> nn.Sequential:
    """The package ``MLP`` behind a ``Flatten``: takes ``(N, *input_shape)``, returns ``(N, n_classes)``."""
    return nn.Sequential(nn.Flatten(), MLP([int(np.prod(input_shape)), *hidden, n_classes], dropout=dropout))


def linear_classifier(input_shape: Sequence[int], n_classes: int) -> nn.Sequential:
    """Multinomial logistic regression on the flattened input: ``(N, *input_shape) -> (N, n_classes)``."""
    return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(input_shape)), n_classes))


def digits_cnn(seed: int = 0, max_shift: int = 1) -> ConvNet:
    """The chapter's digits CNN (14,762 parameters): conv 32 -> conv 32 -> max-pool -> linear, with batch
    norm and random shifts of up to ``max_shift`` pixels while training. ``torch.manual_seed(seed)`` first."""
    torch.manual_seed(seed)
    return ConvNet((1, 8, 8), 10, channels=(32, 32), pool=(False, True), max_shift=max_shift)


@dataclass(frozen=True)
class Recipe:
    """How one model is trained: AdamW with a cosine-annealed learning rate, cross-entropy."""

    epochs: int = 15
    lr: float = 3e-3
    batch_size: int = 32
    weight_decay: float = 0.0
    label_smoothing: float = 0.0


DIGITS_CNN = Recipe(epochs=15, lr=3e-3, batch_size=32, label_smoothing=0.1)
"""Trains ``digits_cnn`` to about 99.5% test accuracy (mean of 3 seeds) in about 4 CPU seconds."""


@dataclass
class TrainResult:
    """A trained model with its test accuracy, trainable-parameter count and training CPU seconds."""

    model: nn.Module
    history: History
    test_accuracy: float
    parameters: int
    cpu_seconds: float


def train_classifier(
    model: nn.Module, split: ImageSplit, recipe: Recipe | None = None, seed: int = 0, progress: bool = False
) -> TrainResult:
    """Train ``model`` on ``split``'s training part with ``recipe`` (batches shuffled with ``seed``) and
    evaluate once on its test part. ``cpu_seconds`` is process CPU time (not printed in notebooks)."""
    if not isinstance(split, ImageSplit):
        raise TypeError(f"split must be an ImageSplit, got {type(split).__name__}")
    recipe = recipe or Recipe()
    start = time.process_time()
    loader = make_loader(split.X_train, split.y_train, batch_size=recipe.batch_size, seed=seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    history = fit(
        model, loader, loss_fn, optimizer, epochs=recipe.epochs, scheduler=scheduler, metrics={}, progress=progress
    )
    seconds = time.process_time() - start
    acc = accuracy_on(model, split.X_test, split.y_test)
    return TrainResult(model, history, acc, count_parameters(model), seconds)


def accuracy_on(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of ``model`` (in eval mode) on ``X: (N, ...)`` with labels ``y: (N,)``."""
    loader = make_loader(X, y, batch_size=500, shuffle=False)
    return evaluate(model, loader, nn.CrossEntropyLoss(), {"accuracy": accuracy})["accuracy"]


def shift_sweep(model: nn.Module, X: np.ndarray, y: np.ndarray, shifts: Iterable[int]) -> list[float]:
    """Test accuracy when every image is shifted by ``k`` pixels, for each ``k`` in ``shifts``.

    Each ``k`` averages the four directions (down, up, right, left); ``k = 0`` is the plain test set.
    """
    result = []
    for k in shifts:
        moves = [(0, 0)] if k == 0 else [(k, 0), (-k, 0), (0, k), (0, -k)]
        result.append(float(np.mean([accuracy_on(model, shift_images(X, dy, dx), y) for dy, dx in moves])))
    return result


# ------------------------------------------------------------------------------------------- MNIST-1D
MNIST1D_RECIPES: dict[str, Recipe] = {
    "linear": Recipe(epochs=50, lr=1e-2, batch_size=64, weight_decay=0.01),
    "mlp": Recipe(epochs=60, lr=1e-3, batch_size=64, weight_decay=0.01),
    "cnn": Recipe(epochs=30, lr=3e-3, batch_size=64, weight_decay=0.01),
    "gru": Recipe(epochs=30, lr=3e-3, batch_size=64, weight_decay=0.01),
    "transformer": Recipe(epochs=30, lr=3e-3, batch_size=64, weight_decay=0.01),
}
"""The full recipes of ``benchmarks/mnist1d_table.py`` (the notebook trains fewer epochs)."""


def mnist1d_model(kind: str, seed: int = 0) -> nn.Module:
    """A fresh MNIST-1D model for input ``(N, 1, 40)``; ``torch.manual_seed(seed)`` first.

    ``kind``: ``"linear"`` (410 parameters), ``"mlp"`` (40-256-256-10, dropout 0.2) or ``"cnn"``
    (1-D convs 32-32-64-64 with kernel 5, batch norm, two max-pools, dropout 0.1) or ``"gru"``
    (chapter 12's ``SequenceClassifier``: a GRU with 64 units reading the 40 positions in order) or
    ``"transformer"`` (two of chapter 14's pre-norm blocks, width 32, 4 heads, over the 40 positions
    with learned position embeddings, averaged over positions).
    """
    torch.manual_seed(seed)
    if kind == "linear":
        return linear_classifier((1, 40), 10)
    if kind == "mlp":
        return image_mlp((1, 40), (256, 256), 10, dropout=0.2)
    if kind == "cnn":
        return ConvNet(
            (1, 40), 10, channels=(32, 32, 64, 64), kernel_size=5, pool=(False, True, False, True), dropout=0.1
        )
    if kind == "gru":
        return nn.Sequential(_ChannelsLast(), SequenceClassifier(1, 64, 10, cell="gru"))
    if kind == "transformer":
        return _SignalTransformer(length=40, d_model=32, n_heads=4, d_ff=64, n_layers=2, n_classes=10)
    raise ValueError(f"kind must be one of {sorted(MNIST1D_RECIPES)}, got {kind!r}")


class _ChannelsLast(nn.Module):
    """(N, C, T) signals -> (N, T, C) sequences, the layout of a batch-first recurrent layer."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)  # (N, T, C)


class _SignalTransformer(nn.Module):
    """(N, 1, L) signals -> (N, n_classes): each position's value embedded, plus a learned position
    embedding, through ``n_layers`` of chapter 14's blocks, averaged over positions, then a linear read-out."""

    def __init__(self, length: int, d_model: int, n_heads: int, d_ff: int, n_layers: int, n_classes: int) -> None:
        super().__init__()
        from nncourse.models.transformer import Block

        self.embed = nn.Linear(1, d_model)
        self.pos = nn.Parameter(0.02 * torch.randn(length, d_model))
        self.blocks = nn.ModuleList(Block(d_model, n_heads, d_ff) for _ in range(n_layers))
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x.transpose(1, 2)) + self.pos  # (N, L, D)
        for block in self.blocks:
            h = block(h)  # (N, L, D)
        return self.head(self.ln(h).mean(dim=1))  # (N, n_classes)

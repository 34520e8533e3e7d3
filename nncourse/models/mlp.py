"""Multilayer perceptrons as torch modules (chapter 05), and the course's recipe for digits.

    model = FeedForward()                          # 20 -> 64 -> 64 -> 3, ReLU, dropout 0.2
    count_parameters(model)                        # 5699
    model = MLP([64, 128, 128, 10], dropout=0.2)   # any depth and width
    result = train_digits(seed=0)                  # the digits recipe, trained from scratch
    result.test_accuracy                           # about 0.97-0.98

Every module checks its input in ``forward``: a batch must have shape ``(N, in_features)``, and a
wrong shape raises a ``ValueError`` that names the expected one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import torch
from torch import nn

from nncourse._validate import check_array, check_hyper, check_int

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
"""Names accepted by ``MLP(activation=...)``."""


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model`` (parameters with ``requires_grad``; frozen ones are left out)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class FeedForwardConfig:
    """Sizes of ``FeedForward``: ``in_features -> hidden -> hidden -> out_features``."""

    in_features: int = 20
    hidden: int = 64
    out_features: int = 3
    dropout: float = 0.2


class FeedForward(nn.Module):
    """Two hidden layers with ReLU and dropout: Linear-ReLU-Dropout-Linear-ReLU-Dropout-Linear.

    ``forward(x: (N, in_features)) -> (N, out_features)`` logits. With the defaults (20, 64, 3,
    dropout 0.2) it has 20*64+64 + 64*64+64 + 64*3+3 = 5,699 trainable parameters.
    """

    def __init__(self, in_features: int = 20, hidden: int = 64, out_features: int = 3, dropout: float = 0.2) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("hidden", hidden), ("out_features", out_features)):
            check_int(name, value)
        check_hyper("dropout", dropout, high=1.0)
        self.config = FeedForwardConfig(in_features, hidden, out_features, float(dropout))
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, out_features)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(dropout)  # no parameters: one module serves both hidden layers

    @classmethod
    def from_config(cls, config: FeedForwardConfig) -> FeedForward:
        return cls(config.in_features, config.hidden, config.out_features, config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array("x", x, (None, self.config.in_features))
        h = self.drop(self.act(self.fc1(x)))  # (N, hidden)
        h = self.drop(self.act(self.fc2(h)))  # (N, hidden)
        return self.fc3(h)  # (N, out_features) logits


class MLP(nn.Module):
    """A fully connected network through ``sizes``, e.g. ``[64, 128, 128, 10]``.

    Each hidden layer is Linear, then BatchNorm1d (if ``batch_norm``), the activation, and Dropout
    (if ``dropout > 0``); the last layer is a plain Linear that returns logits.
    ``forward(x: (N, sizes[0])) -> (N, sizes[-1])``.
    """

    def __init__(
        self, sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0, batch_norm: bool = False
    ) -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
        for i, size in enumerate(sizes):
            check_int(f"sizes[{i}]", size)
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        check_hyper("dropout", dropout, high=1.0)
        self.sizes = tuple(sizes)
        layers: list[nn.Module] = []
        for fan_in, fan_out in pairwise(sizes[:-1]):  # hidden layers
            layers.append(nn.Linear(fan_in, fan_out))
            if batch_norm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-2], sizes[-1]))  # output layer: logits
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array("x", x, (None, self.sizes[0]))
        return self.layers(x)  # (N, sizes[-1])


@dataclass(frozen=True)
class DigitsRecipe:
    """Hyperparameters that train ``MLP`` on scikit-learn's 8x8 digits to >= 0.97 test accuracy."""

    sizes: tuple[int, ...] = (64, 128, 128, 10)
    activation: str = "relu"
    dropout: float = 0.2
    lr: float = 3e-3  # Adam's learning rate at the start; cosine annealing takes it to 0 over the epochs
    epochs: int = 25
    batch_size: int = 64
    label_smoothing: float = 0.2  # targets put 0.8 + 0.2/10 on the true class, 0.2/10 on each other one
    split_seed: int = 0  # the train/val/test split; the training seed (init, shuffling, dropout) varies


def digits_recipe() -> DigitsRecipe:
    """The course's digits recipe (shared by chapter 05, its tests and ``benchmarks/digits_mlp.py``)."""
    return DigitsRecipe()


def build_digits_model(recipe: DigitsRecipe | None = None, seed: int = 0) -> MLP:
    """A freshly initialised ``MLP`` for the recipe; ``torch.manual_seed(seed)`` is set first."""
    recipe = recipe or digits_recipe()
    torch.manual_seed(seed)
    return MLP(recipe.sizes, activation=recipe.activation, dropout=recipe.dropout)


@dataclass
class DigitsResult:
    """What ``train_digits`` returns: the trained model, its ``History`` and the headline numbers."""

    model: MLP
    history: object  # nncourse.train.History
    test_accuracy: float
    seconds: float
    parameters: int
    epochs: int


def train_digits(seed: int = 0, recipe: DigitsRecipe | None = None, progress: bool = False) -> DigitsResult:
    """Train the digits recipe from scratch; evaluate once on the test set.

    Adam with a cosine-annealed learning rate, cross-entropy with label smoothing, batches of 64.

    ``seed`` sets the weights' initialisation, the batch order and the dropout masks, in that order:
    ``torch.manual_seed(seed)``, build the model, then loaders shuffled with ``seed``.
    """
    from nncourse.data import load_dataset, split_loaders
    from nncourse.train import accuracy, evaluate, fit

    recipe = recipe or digits_recipe()
    split = load_dataset("digits", seed=recipe.split_seed)
    start = time.perf_counter()
    model = build_digits_model(recipe, seed)
    train_loader, val_loader, test_loader = split_loaders(split, batch_size=recipe.batch_size, seed=seed)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    history = fit(
        model,
        train_loader,
        loss_fn,
        optimizer,
        epochs=recipe.epochs,
        val_loader=val_loader,
        scheduler=scheduler,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    test = evaluate(model, test_loader, loss_fn, {"accuracy": accuracy})
    return DigitsResult(model, history, test["accuracy"], seconds, count_parameters(model), len(history))

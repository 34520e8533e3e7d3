"""The training loop: learns, records history, stops early, and fails loudly on NaN."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nncourse.data import load_dataset, make_loader, split_loaders, spirals
from nncourse.train import History, TrainingDiverged, accuracy, evaluate, fit


def _mlp(d_in: int, d_out: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d_in, 32), nn.ReLU(), nn.Linear(32, d_out))


def test_fit_learns_wine_and_keeps_a_history():
    split = load_dataset("wine", seed=0)
    train, val, test = split_loaders(split, batch_size=16, seed=0)
    model = _mlp(split.n_features, split.n_classes)
    history = fit(model, train, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-2), epochs=15, val_loader=val, progress=False)
    assert len(history) == 15
    assert set(history.records) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert evaluate(model, test, nn.CrossEntropyLoss(), {"accuracy": accuracy})["accuracy"] >= 0.9
    epoch, best = history.best("val_loss", mode="min")
    assert best == min(history["val_loss"]) and 0 <= epoch < 15
    assert history.summary().startswith("epochs=15 train_loss=")


def test_fit_is_reproducible_with_the_same_seeds():
    X, y = spirals(120, seed=0)
    runs = []
    for _ in range(2):
        model = _mlp(2, 3, seed=1)
        loader = make_loader(X, y, batch_size=32, seed=2)
        h = fit(model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), epochs=3, progress=False)
        runs.append(h["train_loss"])
    assert runs[0] == runs[1]


def test_nan_loss_names_the_epoch_and_suggests_a_lower_learning_rate():
    X, y = spirals(60, seed=0)
    model = _mlp(2, 3)
    loader = make_loader(X, y, batch_size=20)
    with pytest.raises(TrainingDiverged, match=r"at epoch \d+, batch \d+; try a lower learning rate"):
        fit(model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=1e12), epochs=20, progress=False)


def test_early_stopping_restores_the_best_weights():
    split = load_dataset("iris", seed=0)
    train, val, _ = split_loaders(split, batch_size=8)
    model = _mlp(split.n_features, split.n_classes)
    history = fit(model, train, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05), epochs=200, val_loader=val, patience=3, progress=False)
    assert len(history) < 200
    best_epoch, best_loss = history.best("val_loss", mode="min")
    assert len(history) == best_epoch + 1 + 3
    assert evaluate(model, val, nn.CrossEntropyLoss())["loss"] == pytest.approx(best_loss, rel=1e-6)


def test_bad_arguments():
    model = _mlp(2, 3)
    loader = make_loader(*spirals(30), batch_size=10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=0)
    with pytest.raises(ValueError, match="needs a val_loader"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=1, patience=2)
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        accuracy(torch.zeros(4), torch.zeros(4))
    with pytest.raises(KeyError, match="no record 'val_loss'"):
        History()["val_loss"]

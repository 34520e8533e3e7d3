"""The training loop: learns, records history, stops early, and fails loudly on NaN."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nncourse.data import load_dataset, make_loader, spirals, split_loaders
from nncourse.train import History, TrainingDiverged, accuracy, evaluate, fit


def _mlp(d_in: int, d_out: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d_in, 32), nn.ReLU(), nn.Linear(32, d_out))


def test_fit_learns_wine_and_keeps_a_history():
    split = load_dataset("wine", seed=0)
    train, val, test = split_loaders(split, batch_size=16, seed=0)
    model = _mlp(split.n_features, split.n_classes)
    history = fit(
        model,
        train,
        nn.CrossEntropyLoss(),
        torch.optim.Adam(model.parameters(), lr=1e-2),
        epochs=15,
        val_loader=val,
        progress=False,
    )
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
        h = fit(
            model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), epochs=3, progress=False
        )
        runs.append(h["train_loss"])
    assert runs[0] == runs[1]


def test_nan_loss_names_the_epoch_and_suggests_a_lower_learning_rate():
    X, y = spirals(60, seed=0)
    model = _mlp(2, 3)
    loader = make_loader(X, y, batch_size=20)
    with pytest.raises(TrainingDiverged, match=r"at epoch \d+, batch \d+; try a lower learning rate"):
        fit(
            model,
            loader,
            nn.CrossEntropyLoss(),
            torch.optim.SGD(model.parameters(), lr=1e12),
            epochs=20,
            progress=False,
        )


def test_early_stopping_restores_the_best_weights():
    split = load_dataset("iris", seed=0)
    train, val, _ = split_loaders(split, batch_size=8)
    model = _mlp(split.n_features, split.n_classes)
    history = fit(
        model,
        train,
        nn.CrossEntropyLoss(),
        torch.optim.Adam(model.parameters(), lr=0.05),
        epochs=200,
        val_loader=val,
        patience=3,
        progress=False,
    )
    assert len(history) < 200
    best_epoch, best_loss = history.best("val_loss", mode="min")
    assert len(history) == best_epoch + 1 + 3
    assert evaluate(model, val, nn.CrossEntropyLoss())["loss"] == pytest.approx(best_loss, rel=1e-6)


def test_bad_arguments():
    model = _mlp(2, 3)
    loader = make_loader(*spirals(30), batch_size=10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=0)
    with pytest.raises(ValueError, match="needs a val_loader"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=1, patience=2)
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        accuracy(torch.zeros(4), torch.zeros(4))
    with pytest.raises(KeyError, match="no record 'val_loss'"):
        History()["val_loss"]


# ---------------------------------------------------------------------------- schedules, clipping
def _by_hand(model: nn.Module, loader, opt, sched, every: str, epochs: int, clip: float | None = None) -> list[float]:
    """The loop fit must reproduce: returns the lr in use at each optimizer step."""
    lrs = []
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            if every == "step":
                sched.step()
        if every == "epoch":
            sched.step()
    return lrs


class _LrSpy(torch.optim.SGD):
    """SGD that records the lr of every step it takes."""

    def __init__(self, params, lr: float) -> None:
        super().__init__(params, lr=lr)
        self.seen: list[float] = []

    def step(self, closure=None):  # type: ignore[override]
        self.seen.append(self.param_groups[0]["lr"])
        return super().step(closure)


@pytest.mark.parametrize("every", ["step", "epoch"])
@pytest.mark.parametrize("clip", [None, 0.05])
def test_fit_steps_the_scheduler_per_step_or_per_epoch_and_clips(every: str, clip: float | None):
    X, y = spirals(90, seed=0)  # 3 batches of 30 per epoch
    runs = []
    for by_hand in (True, False):
        model = _mlp(2, 3, seed=1)
        loader = make_loader(X, y, batch_size=30, seed=2)
        opt = _LrSpy(model.parameters(), lr=0.5)
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=4)
        if by_hand:
            _by_hand(model, loader, opt, warm, every, epochs=3, clip=clip)
        else:
            fit(
                model,
                loader,
                nn.CrossEntropyLoss(),
                opt,
                epochs=3,
                scheduler=warm,
                schedule_every=every,
                clip_grad_norm=clip,
                metrics={},
                progress=False,
            )
        runs.append((opt.seen, [p.detach().clone() for p in model.parameters()]))
    (lrs_hand, w_hand), (lrs_fit, w_fit) = runs
    assert lrs_fit == lrs_hand and len(lrs_fit) == 9
    per_step = [0.5 * (0.1 + 0.9 * min(k, 4) / 4) for k in range(9)]
    per_epoch = [0.5 * (0.1 + 0.9 * min(k // 3, 4) / 4) for k in range(9)]
    np.testing.assert_allclose(lrs_fit, per_step if every == "step" else per_epoch, rtol=1e-12)
    assert all(torch.equal(a, b) for a, b in zip(w_hand, w_fit, strict=True))


def test_fit_clipping_bounds_every_update():
    X, y = spirals(60, seed=0)
    model = _mlp(2, 3)
    before = [p.detach().clone() for p in model.parameters()]
    loader = make_loader(X, y, batch_size=60, shuffle=False)
    fit(
        model,
        loader,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=1.0),
        epochs=1,
        clip_grad_norm=1e-3,
        metrics={},
        progress=False,
    )
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before, strict=True)])
    assert 0 < float(moved.norm()) <= 1e-3 + 1e-9  # one SGD step of lr 1 with a gradient of norm <= 1e-3


def test_fit_drives_reduce_lr_on_plateau_with_the_validation_loss():
    split = load_dataset("iris", seed=0)
    train, val, _ = split_loaders(split, batch_size=8)
    model = _mlp(split.n_features, split.n_classes)
    opt = torch.optim.SGD(model.parameters(), lr=1e-5)  # far too small: the loss plateaus at once
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.01)
    fit(model, train, nn.CrossEntropyLoss(), opt, epochs=4, val_loader=val, scheduler=plateau, progress=False)
    assert opt.param_groups[0]["lr"] < 1e-5
    with pytest.raises(ValueError, match="schedule_every='step'"):
        fit(
            model, train, nn.CrossEntropyLoss(), opt, epochs=1, scheduler=plateau, schedule_every="step", progress=False
        )


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(epochs=2.0), TypeError, "epochs"),
        (dict(epochs=1, schedule_every="batch"), ValueError, "schedule_every"),
        (dict(epochs=1, clip_grad_norm=-1.0), ValueError, "clip_grad_norm"),
        (dict(epochs=1, clip_grad_norm="1"), TypeError, "clip_grad_norm"),
        (dict(epochs=1, scheduler="cosine"), TypeError, "scheduler"),
        (dict(epochs=1, metrics=[accuracy]), TypeError, "metrics"),
        (dict(epochs=1, progress="no"), TypeError, "progress"),
        (dict(epochs=1, patience=0, val_loader=[]), ValueError, "patience"),
    ],
)
def test_fit_bad_arguments_name_the_argument(kwargs, exc, match):
    model = _mlp(2, 3)
    loader = make_loader(*spirals(30), batch_size=10)
    with pytest.raises(exc, match=match):
        fit(model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)
    with pytest.raises(TypeError, match="optimizer"):
        fit(model, loader, nn.CrossEntropyLoss(), "adam", epochs=1)
    with pytest.raises(TypeError, match="model"):
        fit(lambda x: x, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)


def test_history_and_evaluate_bad_arguments():
    h = History()
    h.log(val_loss=0.5)
    with pytest.raises(ValueError, match="mode must be one of"):
        h.best("val_loss", mode="lowest")
    loader = make_loader(*spirals(30), batch_size=10)
    with pytest.raises(TypeError, match="model"):
        evaluate("model", loader, nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match="loss_fn"):
        evaluate(_mlp(2, 3), loader, "cross_entropy")
    with pytest.raises(TypeError, match="optimizer"):
        fit(_mlp(2, 3), loader, nn.CrossEntropyLoss(), None, epochs=1)

"""A small, readable training loop for torch models: one epoch at a time, history kept per epoch.

    history = fit(model, train_loader, loss_fn, optimizer, epochs=20, val_loader=val_loader)
    history.best("val_accuracy")

A learning-rate scheduler is stepped once per epoch (``schedule_every="epoch"``, the default) or after
every optimizer step (``"step"``, e.g. a warm-up over the first few hundred batches); gradients can be
clipped to a total norm before each step (``clip_grad_norm=1.0``).

Progress is shown with ``tqdm.auto`` (a widget in JupyterLab, whose stored form is stable), never
printed as text, so notebook outputs stay comparable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from nncourse._validate import check_bool, check_choice, check_hyper, check_int

Metric = Callable[[torch.Tensor, torch.Tensor], float]
"""``metric(outputs, targets) -> float`` computed on a whole evaluation pass."""


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows whose arg-max matches the label. ``outputs: (N, C)`` logits, ``targets: (N,)``."""
    if outputs.ndim != 2 or targets.ndim != 1 or outputs.shape[0] != targets.shape[0]:
        raise ValueError(
            f"outputs must have shape (N, C) and targets (N,), got {tuple(outputs.shape)} and {tuple(targets.shape)}"
        )
    return float((outputs.argmax(dim=1) == targets).float().mean())


@dataclass
class History:
    """Per-epoch records: ``history["train_loss"]`` is a list with one float per epoch."""

    records: dict[str, list[float]] = field(default_factory=dict)

    def log(self, **values: float) -> None:
        for key, value in values.items():
            self.records.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.records:
            raise KeyError(f"no record {key!r}; history has {sorted(self.records)}")
        return self.records[key]

    def __len__(self) -> int:
        return max((len(v) for v in self.records.values()), default=0)

    def best(self, key: str, mode: str = "max") -> tuple[int, float]:
        """``(epoch index, value)`` of the best value of ``key`` (``mode`` "max" or "min")."""
        check_choice("mode", mode, ("max", "min"))
        values = self[key]
        if not values:
            raise ValueError(f"no values recorded for {key!r} yet")
        pick = max if mode == "max" else min
        epoch = pick(range(len(values)), key=values.__getitem__)
        return epoch, values[epoch]

    def summary(self, digits: int = 3) -> str:
        """The last epoch's values, rounded, e.g. ``epochs=20 train_loss=0.041 val_accuracy=0.972``."""
        parts = [f"epochs={len(self)}"] + [f"{k}={v[-1]:.{digits}f}" for k, v in self.records.items() if v]
        return " ".join(parts)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable,
    metrics: dict[str, Metric] | None = None,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """Mean loss and the given metrics over ``loader``, with the model in eval mode (no dropout)."""
    _check_fit_args(model, loss_fn, None, metrics, None)
    was_training = model.training
    model.eval()
    outputs, targets, total, count = [], [], 0.0, 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        out = model(xb)
        total += float(loss_fn(out, yb)) * len(yb)
        count += len(yb)
        outputs.append(out.cpu())
        targets.append(yb.cpu())
    model.train(was_training)
    if count == 0:
        raise ValueError("the evaluation loader yielded no examples")
    result = {"loss": total / count}
    all_out, all_y = torch.cat(outputs), torch.cat(targets)
    for name, metric in (metrics or {}).items():
        result[name] = metric(all_out, all_y)
    return result


def fit(
    model: nn.Module,
    train_loader: Iterable,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int,
    val_loader: Iterable | None = None,
    metrics: dict[str, Metric] | None = None,
    device: torch.device | str = "cpu",
    scheduler: Any = None,
    patience: int | None = None,
    progress: bool = True,
    schedule_every: str = "epoch",
    clip_grad_norm: float | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the per-epoch ``History``.

    Records ``train_loss`` (mean over the epoch's batches, weighted by batch size), then for each
    metric ``train_<name>``, and with a ``val_loader`` also ``val_loss`` and ``val_<name>``.

    Args:
        model, train_loader, loss_fn, optimizer: a ``torch.nn.Module``, an iterable of ``(xb, yb)``
            batches, ``loss_fn(model(xb), yb) -> scalar tensor`` and a ``torch.optim.Optimizer``.
        epochs: passes over ``train_loader``, an int >= 1.
        val_loader: batches to evaluate on after each epoch.
        metrics: name -> ``metric(outputs, targets)``; default ``{"accuracy": accuracy}``, ``{}`` for none.
        scheduler: a ``torch.optim.lr_scheduler`` scheduler. ``ReduceLROnPlateau`` is stepped with the
            epoch's ``val_loss`` (``train_loss`` without a ``val_loader``).
        patience: stop early when ``val_loss`` has not improved for this many epochs, and restore
            the weights of the best epoch (needs ``val_loader``).
        progress: show a ``tqdm.auto`` bar over epochs.
        schedule_every: ``"epoch"`` (step the scheduler after each epoch) or ``"step"`` (after each
            optimizer step).
        clip_grad_norm: if given, clip the gradients to this total 2-norm before every optimizer step
            (``torch.nn.utils.clip_grad_norm_``).

    Raises:
        TrainingDiverged: the loss became NaN or infinite; the message names the epoch and batch.
    """
    if optimizer is None:
        raise TypeError("optimizer must be a torch.optim.Optimizer, got None")
    _check_fit_args(model, loss_fn, optimizer, metrics, scheduler)
    epochs = check_int("epochs", epochs)
    if patience is not None:
        patience = check_int("patience", patience)
        if val_loader is None:
            raise ValueError("patience (early stopping) needs a val_loader")
    check_bool("progress", progress)
    check_choice("schedule_every", schedule_every, ("epoch", "step"))
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and schedule_every == "step":
        raise ValueError("schedule_every='step' cannot drive ReduceLROnPlateau, which needs an epoch's loss")
    if clip_grad_norm is not None:
        clip_grad_norm = check_hyper("clip_grad_norm", clip_grad_norm)
    metrics = {"accuracy": accuracy} if metrics is None else metrics
    model.to(device)
    history = History()
    best_loss, best_state, waited = math.inf, None, 0
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for batch, (xb, yb) in enumerate(train_loader):
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"loss became {value} at epoch {epoch + 1}, batch {batch + 1}; "
                    "try a lower learning rate (or check the inputs for NaN)"
                )
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None and schedule_every == "step":
                scheduler.step()
            total += value * len(yb)
            count += len(yb)
        train_loss = total / max(count, 1)
        history.log(train_loss=train_loss)
        if metrics:
            train_eval = evaluate(model, train_loader, loss_fn, metrics, device)
            history.log(**{f"train_{k}": v for k, v in train_eval.items() if k != "loss"})
        if val_loader is not None:
            val = evaluate(model, val_loader, loss_fn, metrics, device)
            history.log(**{f"val_{k}": v for k, v in val.items()})
        if scheduler is not None and schedule_every == "epoch":
            if plateau:
                scheduler.step(val["loss"] if val_loader is not None else train_loss)
            else:
                scheduler.step()
        if patience is not None:  # (which implies a val_loader)
            if val["loss"] < best_loss - 1e-12:
                best_loss, waited = val["loss"], 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                waited += 1
                if waited >= patience:
                    break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _check_fit_args(model: Any, loss_fn: Any, optimizer: Any, metrics: Any, scheduler: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (outputs, targets) -> loss, got {type(loss_fn).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if metrics is not None and (not isinstance(metrics, dict) or not all(callable(m) for m in metrics.values())):
        raise TypeError(f"metrics must be a dict name -> metric(outputs, targets), got {metrics!r}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method, got {type(scheduler).__name__}")

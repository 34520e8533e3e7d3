"""Regularization: the L2 penalty, inverted dropout with a given mask, early stopping, and an ablation.

    penalty, grads = l2_penalty({"W": W}, lam=0.1)        # (lam / 2) * sum W**2, and lam * W
    out = dropout_forward(x, p=0.5, mask=keep)             # x * keep / (1 - p)
    best = early_stopping_epoch(val_losses, patience=10)   # the epoch whose weights are kept
    rows = run_ablation(DEFAULT_CONFIGS, load_dataset("digits"), seed=0)

Dropout and batch normalisation as layers live in ``nncourse.scratch`` (``Dropout``, ``BatchNorm1d``);
the functions here are the plain-data forms used by chapter 07 and its exercise. Training goes
through ``nncourse.train.fit``: this module has no training loop of its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_array
from nncourse.data import Split, make_loader
from nncourse.models.mlp import MLP
from nncourse.scratch import functional as F
from nncourse.train import History, accuracy, evaluate, fit


# ---------------------------------------------------------------------------------------- L2 penalty
def l2_penalty(params: dict[str, np.ndarray], lam: float) -> tuple[float, dict[str, np.ndarray]]:
    """The L2 penalty ``(lam / 2) * sum_k ||params[k]||^2`` and its gradient ``lam * params[k]``.

    The factor 1/2 makes the gradient exactly ``lam * W``: the term that ``weight_decay=lam`` adds to
    the gradient in ``torch.optim.SGD`` (and in ``nncourse.optim.SGD``). Every array in ``params`` is
    penalised; pass only the weights if the biases should stay free.

    Args:
        params: name -> float array of any shape.
        lam: the strength, >= 0.

    Returns:
        ``(penalty, grads)`` with ``grads[k]`` of the same shape as ``params[k]``.
    """
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)) or not lam >= 0:
        raise ValueError(f"lam must be a number >= 0, got {lam!r}")
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of name -> array, got {type(params).__name__}")
    penalty, grads = 0.0, {}
    for name, value in params.items():
        check_array(f"params[{name!r}]", value, dtype_kind="f")
        w = np.asarray(value)
        penalty += 0.5 * float(lam) * float(np.sum(w * w))
        grads[name] = float(lam) * w  # same shape as w
    return penalty, grads


# ---------------------------------------------------------------------------------------- dropout
def _check_dropout(x: Any, p: float, mask: Any, x_name: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be in [0, 1), got {p!r}")
    dims = check_array(x_name, x, dtype_kind="f")
    check_array("mask", mask, tuple(np.shape(x)), dims=dims, dtype_kind="biuf")
    return np.asarray(x), np.asarray(mask).astype(bool)


def dropout_forward(x: np.ndarray, p: float, mask: np.ndarray) -> np.ndarray:
    """Inverted dropout with a given keep-mask: ``x * mask / (1 - p)``.

    ``x``: any shape; ``mask``: same shape, True (or 1) where the entry is kept. This is what
    ``nncourse.scratch.Dropout`` computes in training mode with the mask it drew (``cache["mask"]``).
    """
    return _scale_kept(x, p, mask, "x")


def _scale_kept(a: np.ndarray, p: float, mask: np.ndarray, name: str) -> np.ndarray:
    a, keep = _check_dropout(a, p, mask, name)
    return F.dropout_forward(a, keep, p=float(p))[0]  # a * keep / (1 - p), same shape as a


def dropout_backward(dout: np.ndarray, p: float, mask: np.ndarray) -> np.ndarray:
    """Gradient of inverted dropout: ``dout * mask / (1 - p)`` (dropped entries get no gradient).

    Dropout with a fixed mask is linear and diagonal, so its backward pass is the forward map itself.
    """
    return _scale_kept(dout, p, mask, "dout")


# ---------------------------------------------------------------------------------------- early stopping
def early_stopping(val_losses: Sequence[float], patience: int) -> tuple[int, int]:
    """Replay early stopping on a list of per-epoch validation losses.

    An epoch *improves* when its loss is strictly below the best so far. Training stops after
    ``patience`` epochs in a row without improvement, and the weights of the best epoch are kept:
    the rule of ``nncourse.train.fit(..., patience=...)``.

    Args:
        val_losses: one validation loss per epoch, in order (at least one).
        patience: epochs to wait for an improvement, >= 1.

    Returns:
        ``(best_epoch, epochs_run)``: the 0-based index of the epoch whose weights are kept, and how
        many epochs were run before stopping (``len(val_losses)`` if it never stopped).
    """
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
        raise ValueError(f"patience must be a positive integer, got {patience!r}")
    losses = np.asarray(val_losses, dtype=np.float64)
    check_array("val_losses", losses, ("epochs",))
    if losses.size == 0:
        raise ValueError("val_losses must hold at least one epoch's loss, got an empty sequence")
    best, waited = 0, 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < losses[best]:
            best, waited = epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best, epoch + 1
    return best, len(losses)


def early_stopping_epoch(val_losses: Sequence[float], patience: int) -> int:
    """The 0-based epoch whose weights early stopping keeps (see ``early_stopping``)."""
    return early_stopping(val_losses, patience)[0]


# ---------------------------------------------------------------------------------------- models and the ablation
@dataclass(frozen=True)
class AblationConfig:
    """One row of the ablation: the remedies switched on, and the training set size.

    ``n_train=None`` uses the whole training part of the split; otherwise its first ``n_train`` rows.
    """

    name: str
    weight_decay: float = 0.0
    dropout: float = 0.0
    batch_norm: bool = False
    patience: int | None = None
    n_train: int | None = 150


DEFAULT_CONFIGS: tuple[AblationConfig, ...] = (
    AblationConfig("none"),
    AblationConfig("weight decay", weight_decay=1.0),
    AblationConfig("dropout", dropout=0.5),
    AblationConfig("batch norm", batch_norm=True),
    AblationConfig("early stopping", patience=10),
    AblationConfig("more data", n_train=None),
)
"""The chapter's ablation on digits: 150 training examples, one remedy at a time; "more data" uses all 1,077."""


def make_regularized_mlp(
    n_in: int, n_out: int, hidden: Sequence[int] = (256, 256), *, dropout: float = 0.0, batch_norm: bool = False
) -> MLP:
    """The package's ``MLP``: ``Linear -> [BatchNorm1d] -> ReLU -> [Dropout]`` per hidden layer, then a
    ``Linear`` to ``n_out`` logits.

    x: (N, n_in) -> logits: (N, n_out). Initialisation draws from torch's global generator (seed it first).
    """
    return MLP([n_in, *hidden, n_out], activation="relu", dropout=dropout, batch_norm=batch_norm)


def train_config(
    config: AblationConfig,
    data: Split,
    seed: int = 0,
    *,
    epochs: int = 100,
    lr: float = 3e-3,
    hidden: Sequence[int] = (256, 256),
) -> tuple[nn.Module, History]:
    """Train ``make_regularized_mlp`` on the first ``config.n_train`` training rows with ``fit``: full batch, AdamW.

    ``weight_decay`` is AdamW's decoupled decay ``theta <- (1 - lr * lam) * theta`` (0 = plain Adam);
    ``patience`` switches on early stopping with the best weights restored. The validation part is
    evaluated after every epoch. ``seed`` fixes the initialisation and the dropout masks.
    """
    n_total = len(data.y_train)
    n = n_total if config.n_train is None else int(config.n_train)
    if not 2 <= n <= n_total:
        raise ValueError(
            f"n_train must be between 2 and {n_total} (the training part of {data.name!r}), got {config.n_train}"
        )
    torch.manual_seed(seed)
    model = make_regularized_mlp(
        data.n_features, data.n_classes, hidden, dropout=config.dropout, batch_norm=config.batch_norm
    )
    train_loader = make_loader(data.X_train[:n], data.y_train[:n], batch_size=n, seed=seed)  # one full batch per epoch
    val_loader = make_loader(data.X_val, data.y_val, batch_size=len(data.y_val), shuffle=False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=config.weight_decay)
    history = fit(
        model,
        train_loader,
        nn.CrossEntropyLoss(),
        optimizer,
        epochs=epochs,
        val_loader=val_loader,
        patience=config.patience,
        progress=False,
    )
    return model, history


def run_ablation(
    configs: Sequence[AblationConfig],
    data: Split,
    seed: int = 0,
    *,
    epochs: int = 100,
    lr: float = 3e-3,
    hidden: Sequence[int] = (256, 256),
) -> list[dict[str, Any]]:
    """Train one model per config (``train_config``) and return one row per config.

    ``configs``: ``AblationConfig`` objects, or dicts of their fields (``{"name": "dropout", "dropout": 0.5}``).

    Each row: ``config``, ``n_train``, ``epochs_run``, ``train_accuracy``, ``val_accuracy``,
    ``val_loss``, ``test_accuracy`` (all measured in eval mode on the final - for early stopping the
    restored - weights), ``weight_norm`` (L2 norm of all Linear weights), ``seconds`` (wall time)
    and ``history`` (the per-epoch records of ``fit`` as a dict of lists).
    """
    rows = []
    loss_fn = nn.CrossEntropyLoss()
    for config in configs:
        if isinstance(config, dict):
            config = AblationConfig(**config)
        if not isinstance(config, AblationConfig):
            raise TypeError(
                f"each config must be an AblationConfig or a dict of its fields, got {type(config).__name__}"
            )
        start = time.perf_counter()
        model, history = train_config(config, data, seed, epochs=epochs, lr=lr, hidden=hidden)
        seconds = time.perf_counter() - start
        n = len(data.y_train) if config.n_train is None else int(config.n_train)
        parts = {}
        splits = (
            ("train", data.X_train[:n], data.y_train[:n]),
            ("val", data.X_val, data.y_val),
            ("test", data.X_test, data.y_test),
        )
        for part, X, y in splits:
            parts[part] = evaluate(
                model, make_loader(X, y, batch_size=len(y), shuffle=False), loss_fn, {"accuracy": accuracy}
            )
        weights = [m.weight.detach() for m in model.modules() if isinstance(m, nn.Linear)]
        rows.append(
            {
                "config": config.name,
                "n_train": n,
                "epochs_run": len(history),
                "train_accuracy": parts["train"]["accuracy"],
                "val_accuracy": parts["val"]["accuracy"],
                "val_loss": parts["val"]["loss"],
                "test_accuracy": parts["test"]["accuracy"],
                "weight_norm": float(torch.sqrt(sum(((w**2).sum() for w in weights), torch.zeros(())))),
                "seconds": seconds,
                "history": {k: list(v) for k, v in history.records.items()},
            }
        )
    return rows


TABLE_COLUMNS = ("n_train", "epochs_run", "train_accuracy", "val_accuracy", "val_loss", "weight_norm")


def format_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str] = TABLE_COLUMNS) -> str:
    """The rows as a fixed-width text table, numbers to 2 decimals (ints as they are)."""
    width = max([len("config")] + [len(str(r["config"])) for r in rows])
    lines = [f"{'config':<{width}} | " + " | ".join(f"{c:>14}" for c in columns)]
    for r in rows:
        cells = [f"{r[c]:>14d}" if isinstance(r[c], int) else f"{r[c]:>14.2f}" for c in columns]
        lines.append(f"{r['config']:<{width}} | " + " | ".join(cells))
    return "\n".join(lines)

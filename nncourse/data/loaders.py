"""Torch ``DataLoader``s over numpy arrays, seeded so the batch order is the same on every run.

Dtypes follow what the model needs: float features become float32, integer arrays (class labels,
token ids of shape ``(N, T)``) become int64 (``torch.long``, what ``nn.Embedding`` and
``cross_entropy`` take), bools become float32 (targets of a binary loss).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from nncourse._validate import check_array, check_bool, check_int
from nncourse.data.tabular import Split


def _as_tensor(name: str, value: np.ndarray) -> torch.Tensor:
    """float -> float32, signed/unsigned int -> int64, bool -> float32; anything else is a ``ValueError``."""
    kind = value.dtype.kind
    if kind == "f":
        return torch.as_tensor(value, dtype=torch.float32)
    if kind in "iu":
        if kind == "u" and value.size and value.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} holds integers too large for int64")
        return torch.as_tensor(value.astype(np.int64, copy=False))
    if kind == "b":
        return torch.as_tensor(value, dtype=torch.float32)
    raise ValueError(f"{name} must hold floats, integers or bools, got dtype {value.dtype}")


def make_loader(
    X: np.ndarray, y: np.ndarray, *, batch_size: int = 64, shuffle: bool = True, seed: int = 0
) -> DataLoader:
    """Wrap ``X: (N, ...)`` and ``y: (N, ...)`` in a DataLoader (no worker processes, seeded shuffling).

    Float arrays come out as float32; integer arrays as int64, unchanged in value (e.g. token ids
    ``X: (N, T)`` and next-token targets ``y: (N, T)``); bool arrays as float32.

    Args:
        X: inputs, first axis the examples.
        y: targets with the same first axis: ``(N,)`` class labels, ``(N, T)`` token ids, ``(N, K)`` values.
        batch_size: examples per batch, an int >= 1 (the last batch may be smaller).
        shuffle: reshuffle the examples every epoch, with a generator seeded by ``seed``.
        seed: an int >= 0.
    """
    X, y = np.asarray(X), np.asarray(y)
    dims = check_array("X", X, ("N",) + (None,) * (X.ndim - 1) if X.ndim else ("N",))
    check_array("y", y, ("N",) + (None,) * (y.ndim - 1) if y.ndim else ("N",), dims=dims)
    batch_size = check_int("batch_size", batch_size)
    check_bool("shuffle", shuffle)
    seed = check_int("seed", seed, low=0)
    dataset = TensorDataset(_as_tensor("X", X), _as_tensor("y", y))
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator, num_workers=0)


def split_loaders(split: Split, *, batch_size: int = 64, seed: int = 0) -> tuple[DataLoader, DataLoader, DataLoader]:
    """Train (shuffled), validation and test loaders for a ``Split``."""
    if not isinstance(split, Split):
        raise TypeError(f"split must be a nncourse.data.Split (from load_dataset), got {type(split).__name__}")
    return (
        make_loader(split.X_train, split.y_train, batch_size=batch_size, shuffle=True, seed=seed),
        make_loader(split.X_val, split.y_val, batch_size=batch_size, shuffle=False),
        make_loader(split.X_test, split.y_test, batch_size=batch_size, shuffle=False),
    )

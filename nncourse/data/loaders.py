"""Torch ``DataLoader``s over numpy arrays, seeded so the batch order is the same on every run."""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from nncourse._validate import check_array
from nncourse.data.tabular import Split


def make_loader(X: np.ndarray, y: np.ndarray, *, batch_size: int = 64, shuffle: bool = True, seed: int = 0) -> DataLoader:
    """Wrap ``X: (N, ...)`` and ``y: (N,)`` in a DataLoader (no worker processes, seeded shuffling)."""
    dims = check_array("X", X, ("N",) + (None,) * (np.ndim(X) - 1))
    check_array("y", y, ("N",), dims=dims)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    y_t = torch.as_tensor(np.asarray(y))
    if y_t.is_floating_point():
        y_t = y_t.float()
    dataset = TensorDataset(torch.as_tensor(np.asarray(X), dtype=torch.float32), y_t)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator, num_workers=0)


def split_loaders(split: Split, *, batch_size: int = 64, seed: int = 0) -> tuple[DataLoader, DataLoader, DataLoader]:
    """Train (shuffled), validation and test loaders for a ``Split``."""
    return (
        make_loader(split.X_train, split.y_train, batch_size=batch_size, shuffle=True, seed=seed),
        make_loader(split.X_val, split.y_val, batch_size=batch_size, shuffle=False),
        make_loader(split.X_test, split.y_test, batch_size=batch_size, shuffle=False),
    )

"""scikit-learn's bundled data sets (shipped inside the installed package, nothing is downloaded),
split into seeded train / validation / test parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

from nncourse._validate import check_bool, check_choice, check_hyper, check_int

_LOADERS = {
    "digits": (skd.load_digits, "classification"),
    "breast_cancer": (skd.load_breast_cancer, "classification"),
    "wine": (skd.load_wine, "classification"),
    "iris": (skd.load_iris, "classification"),
    "diabetes": (skd.load_diabetes, "regression"),
}
BUNDLED = tuple(_LOADERS)
"""Names accepted by ``load_dataset``."""


@dataclass
class Split:
    """A data set cut into three parts.

    ``X_*: (n_part, n_features) float32``; ``y_*: (n_part,)``, int64 class labels for classification,
    float32 targets for regression.
    """

    name: str
    task: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.target_names) if self.task == "classification" else 0

    def sizes(self) -> tuple[int, int, int]:
        """``(n_train, n_val, n_test)``."""
        return len(self.y_train), len(self.y_val), len(self.y_test)

    def __repr__(self) -> str:
        n_tr, n_va, n_te = self.sizes()
        return (
            f"Split({self.name!r}, task={self.task!r}, features={self.n_features}, classes={self.n_classes}, "
            f"train={n_tr}, val={n_va}, test={n_te})"
        )


def load_dataset(
    name: str, *, val_size: float = 0.2, test_size: float = 0.2, seed: int = 0, standardize: bool = True
) -> Split:
    """Load a bundled scikit-learn data set and split it (stratified for classification).

    Args:
        name: one of ``BUNDLED``: digits (8x8 images, 10 classes), breast_cancer (2), wine (3),
            iris (3), diabetes (regression).
        val_size, test_size: fractions of the whole set for validation and test.
        seed: seed of the shuffling; the same seed gives the same split.
        standardize: rescale each feature to mean 0, std 1 using the TRAIN part's statistics only.
    """
    check_choice("name", name, list(BUNDLED))
    val_size, test_size = check_hyper("val_size", val_size, high=1.0), check_hyper("test_size", test_size, high=1.0)
    seed = check_int("seed", seed, low=0)
    check_bool("standardize", standardize)
    if not (0 < val_size and 0 < test_size and val_size + test_size < 1):
        raise ValueError(f"val_size and test_size must be in (0, 1) with a sum below 1, got {val_size}, {test_size}")
    loader, task = _LOADERS[name]
    bunch = loader()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target)
    y = y.astype(np.int64) if task == "classification" else y.astype(np.float32)
    strat = y if task == "classification" else None
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=strat)
    strat_rest = y_rest if task == "classification" else None
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_size / (1 - test_size), random_state=seed, stratify=strat_rest
    )
    if standardize:
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)  # (n_features,)
        std[std == 0] = 1.0  # constant features (e.g. digits' corner pixels) stay at 0
        X_train, X_val, X_test = ((A - mean) / std for A in (X_train, X_val, X_test))
    targets = [str(t) for t in getattr(bunch, "target_names", [])] if task == "classification" else []
    return Split(
        name=name,
        task=task,
        X_train=X_train.astype(np.float32),
        y_train=y_train,
        X_val=X_val.astype(np.float32),
        y_val=y_val,
        X_test=X_test.astype(np.float32),
        y_test=y_test,
        feature_names=[str(f) for f in getattr(bunch, "feature_names", [])],
        target_names=targets,
    )

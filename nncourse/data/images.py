"""Image data that ships offline or is generated on the spot: scikit-learn's 8x8 digits as images,
a generated set of noisy shapes, and MNIST-1D generated locally by the ``mnist1d`` package.

    digits = load_digit_images()              # X_*: (N, 1, 8, 8) in [0, 1], the course's digits split
    shapes = make_shapes(n=2000, seed=0)      # X_*: (N, 1, 16, 16), 4 classes of outlined shapes
    m1d = load_mnist1d()                      # X_*: (N, 1, 40), 10 classes, 4000 train / 1000 test

Every set is an ``ImageSplit``: channels first (torch's NCHW / NCL layout), float32 inputs and int64
labels. The same arguments always give the same arrays; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from nncourse.data.tabular import Split, load_dataset

SHAPE_CLASSES = ("square", "circle", "triangle", "cross")
"""Class names of ``make_shapes``, in label order."""


@dataclass
class ImageSplit:
    """Images cut into train / validation / test parts.

    ``X_*: (n_part, C, H, W)`` (or ``(n_part, C, L)`` for 1-D signals) float32; ``y_*: (n_part,)``
    int64 labels. A part may be empty (``n_part == 0``), e.g. MNIST-1D's validation part by default.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str] = field(default_factory=list)

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape of one example without the batch axis, e.g. ``(1, 8, 8)``."""
        return tuple(int(d) for d in self.X_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def sizes(self) -> tuple[int, int, int]:
        """``(n_train, n_val, n_test)``."""
        return len(self.y_train), len(self.y_val), len(self.y_test)

    def flat(self) -> Split:
        """The same data as a tabular ``Split`` with each image flattened to ``(n_part, C*H*W)``."""
        parts = [X.reshape(len(X), -1) for X in (self.X_train, self.X_val, self.X_test)]
        return Split(
            name=self.name,
            task="classification",
            X_train=parts[0],
            y_train=self.y_train,
            X_val=parts[1],
            y_val=self.y_val,
            X_test=parts[2],
            y_test=self.y_test,
            target_names=list(self.class_names),
        )

    def __repr__(self) -> str:
        n_tr, n_va, n_te = self.sizes()
        return f"ImageSplit({self.name!r}, shape={self.image_shape}, classes={self.n_classes}, train={n_tr}, val={n_va}, test={n_te})"


def load_digit_images(seed: int = 0) -> ImageSplit:
    """scikit-learn's 8x8 digits as ``(N, 1, 8, 8)`` images with values in ``[0, 1]``.

    The split is the course's ``load_dataset("digits", seed=seed)`` (1077 / 360 / 360), but the pixels
    are scaled by 1/16 instead of standardised per pixel, so an image stays an image: a shifted digit
    is still a digit on a black (0) background.
    """
    split = load_dataset("digits", seed=seed, standardize=False)
    images = [(X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32) for X in (split.X_train, split.X_val, split.X_test)]
    return ImageSplit(
        "digits", images[0], split.y_train, images[1], split.y_val, images[2], split.y_test, list(split.target_names)
    )


# ------------------------------------------------------------------------------------ generated shapes
def _outline(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A ``(size, size)`` binary drawing of one outlined shape (1-pixel strokes)."""
    canvas = np.zeros((size, size), dtype=np.float32)
    last = size - 1
    idx = np.arange(size)
    if kind == "square":
        canvas[0, :] = canvas[last, :] = canvas[:, 0] = canvas[:, last] = 1.0
    elif kind == "circle":
        yy, xx = np.mgrid[0:size, 0:size] - last / 2.0
        radius = np.hypot(yy, xx)
        canvas[np.abs(radius - last / 2.0) < 0.6] = 1.0
    elif kind == "triangle":  # apex at the top centre, base along the bottom row
        canvas[last, :] = 1.0
        left = last // 2 - (idx * (last // 2)) // max(last, 1)  # from the centre down to column 0
        canvas[idx, left] = canvas[idx, last - left] = 1.0
    elif kind == "cross":  # an X through both diagonals
        canvas[idx, idx] = canvas[idx, last - idx] = 1.0
    else:  # pragma: no cover - kinds come from SHAPE_CLASSES
        raise ValueError(f"unknown shape {kind!r}")
    if rng.random() < 0.5:  # mirror left-right: same class, a little more variety
        canvas = canvas[:, ::-1]
    return canvas


def _shape_images(
    n: int, image_size: int, min_size: int, max_size: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    labels = np.arange(n) % len(SHAPE_CLASSES)  # balanced classes
    rng.shuffle(labels)
    images = np.zeros((n, 1, image_size, image_size), dtype=np.float32)
    for i, label in enumerate(labels):
        size = int(rng.integers(min_size, max_size + 1))
        top, left = rng.integers(0, image_size - size + 1, size=2)
        images[i, 0, top : top + size, left : left + size] = _outline(SHAPE_CLASSES[label], size, rng)
    images += noise * rng.standard_normal(images.shape).astype(np.float32)
    return images, labels.astype(np.int64)


def make_shapes(
    n: int = 2000,
    *,
    image_size: int = 16,
    min_size: int = 5,
    max_size: int = 11,
    noise: float = 0.3,
    val_size: float = 0.2,
    test_size: float = 0.2,
    seed: int = 0,
) -> ImageSplit:
    """Generate ``n`` images ``(1, image_size, image_size)`` of outlined shapes (``SHAPE_CLASSES``).

    Each image holds one square, circle, triangle or X, drawn with 1-pixel strokes at a random size in
    ``[min_size, max_size]`` and a random position, plus Gaussian noise of standard deviation
    ``noise``. The classes are balanced; the same ``seed`` gives the same images.
    """
    for name, value in (("n", n), ("image_size", image_size), ("min_size", min_size), ("max_size", max_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not 3 <= min_size <= max_size <= image_size:
        raise ValueError(f"need 3 <= min_size <= max_size <= image_size, got {min_size}, {max_size}, {image_size}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if not (0 < val_size < 1 and 0 < test_size < 1 and val_size + test_size < 1):
        raise ValueError(f"val_size and test_size must be in (0, 1) with a sum below 1, got {val_size}, {test_size}")
    rng = np.random.default_rng(seed)
    X, y = _shape_images(n, image_size, min_size, max_size, noise, rng)
    n_test, n_val = round(n * test_size), round(n * val_size)
    n_train = n - n_val - n_test
    cut = (slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n))
    return ImageSplit("shapes", X[cut[0]], y[cut[0]], X[cut[1]], y[cut[1]], X[cut[2]], y[cut[2]], list(SHAPE_CLASSES))


# ------------------------------------------------------------------------------------------- MNIST-1D
@lru_cache(maxsize=1)
def _mnist1d_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-1D from ``mnist1d.data.make_dataset`` with its default arguments (5000 signals, seed 42).

    ``make_dataset`` seeds numpy's and Python's global generators; their states are restored after,
    so generating the data does not change the rest of a notebook's random numbers.
    """
    import random

    from mnist1d.data import (  # the local generator; never get_dataset (downloads)
        get_dataset_args,
        make_dataset,
    )

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    X, X_test = (np.asarray(data[k], dtype=np.float32)[:, None, :] for k in ("x", "x_test"))  # (N, 1, 40)
    y, y_test = (np.asarray(data[k], dtype=np.int64) for k in ("y", "y_test"))
    for array in (X, y, X_test, y_test):
        array.setflags(write=False)
    return X, y, X_test, y_test


def load_mnist1d(val_size: int = 0) -> ImageSplit:
    """MNIST-1D: 1-D signals ``(N, 1, 40)`` of the ten digits, generated locally (about 2 s, then cached).

    The package's default arguments give 4000 training and 1000 test signals, the split its published
    results use. ``val_size`` signals (from the end of the training part) form a validation part;
    with the default 0 the validation part is empty.
    """
    if isinstance(val_size, bool) or not isinstance(val_size, (int, np.integer)) or not 0 <= val_size < 4000:
        raise ValueError(f"val_size must be an int in [0, 4000), got {val_size!r}")
    X, y, X_test, y_test = (a.copy() for a in _mnist1d_arrays())
    n_train = len(y) - val_size
    return ImageSplit(
        "mnist1d", X[:n_train], y[:n_train], X[n_train:], y[n_train:], X_test, y_test, [str(d) for d in range(10)]
    )

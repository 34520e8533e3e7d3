"""Two-dimensional toy data sets, generated on the spot: same seed, same points, on any machine.

Every function returns ``(X, y)`` with ``X: (n, 2) float64`` and ``y: (n,) int64`` class labels
``0 .. k-1``. ``n`` is the total number of points, split as evenly as possible between classes.
"""

from __future__ import annotations

import numpy as np
from sklearn import datasets as skd

from nncourse._validate import check_choice, check_hyper, check_int


def _check_n(n: int, noise: float, seed: int, classes: int = 2) -> tuple[int, float, int]:
    """``n`` (an int >= ``classes``: one point per class), ``noise`` (>= 0) and ``seed`` (an int >= 0)."""
    return check_int("n", n, low=classes), check_hyper("noise", noise), check_int("seed", seed, low=0)


def _counts(n: int, classes: int) -> list[int]:
    """Split ``n`` points into ``classes`` groups whose sizes differ by at most one."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def blobs(n: int = 200, *, separation: float = 3.0, noise: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds centred at ``(-s/2, -s/2)`` and ``(s/2, s/2)`` with ``s = separation``.

    ``noise`` is the standard deviation of each coordinate. With the defaults the two classes are
    linearly separable for a few hundred points; raise ``noise`` to make them overlap.
    """
    n, noise, seed = _check_n(n, noise, seed)
    separation = check_hyper("separation", separation)
    rng = np.random.default_rng(seed)
    n0, n1 = _counts(n, 2)
    half = separation / 2.0
    X = np.concatenate([rng.normal(-half, noise, size=(n0, 2)), rng.normal(half, noise, size=(n1, 2))])  # (n, 2)
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])  # (n,)
    return _shuffle(X, y, rng)


def xor(n: int = 200, *, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points around the four corners ``(±1, ±1)``; label 1 when exactly one coordinate is positive.

    ``xor(4, noise=0)`` gives the four corners of the classic truth table.
    """
    n, noise, seed = _check_n(n, noise, seed, classes=4)
    rng = np.random.default_rng(seed)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    idx = np.concatenate([np.full(c, k) for k, c in enumerate(_counts(n, 4))])  # (n,)
    X = corners[idx] + rng.normal(0.0, noise, size=(n, 2))  # (n, 2)
    y = (corners[idx, 0] * corners[idx, 1] < 0).astype(np.int64)  # (n,)
    if noise == 0 and n == 4:
        return X, y
    return _shuffle(X, y, rng)


def circles(n: int = 200, *, noise: float = 0.08, factor: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An inner circle (label 1, radius ``factor``) inside an outer one (label 0, radius 1)."""
    n, noise, seed = _check_n(n, noise, seed)
    if check_hyper("factor", factor, high=1.0) == 0:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    X, y = skd.make_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def moons(n: int = 200, *, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles."""
    n, noise, seed = _check_n(n, noise, seed)
    X, y = skd.make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def spirals(
    n: int = 300, *, classes: int = 3, turns: float = 1.0, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms starting at the origin, each turning ``turns`` times.

    Arm ``k`` has points at radius ``r in [0, 1]`` and angle ``2*pi*(turns*r + k/classes)`` plus
    Gaussian angle noise scaled by ``noise``. Not separable by any line; an MLP separates it.
    """
    classes = check_int("classes", classes, low=2)
    turns = check_hyper("turns", turns)
    n, noise, seed = _check_n(n, noise, seed, classes)
    rng = np.random.default_rng(seed)
    Xs, ys = [], []
    for k, count in enumerate(_counts(n, classes)):
        r = np.linspace(0.05, 1.0, count)  # (count,)
        angle = 2 * np.pi * (turns * r + k / classes) + rng.normal(0.0, noise, count) * r  # (count,)
        Xs.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))  # (count, 2)
        ys.append(np.full(count, k, dtype=np.int64))
    return _shuffle(np.concatenate(Xs), np.concatenate(ys), rng)


def _shuffle(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]


TOY_SETS = {"blobs": blobs, "xor": xor, "circles": circles, "moons": moons, "spirals": spirals}
"""Name -> generator, for widgets and loops over every toy set."""


def make_toy(name: str, n: int = 200, *, seed: int = 0, **kwargs: float) -> tuple[np.ndarray, np.ndarray]:
    """Generate the toy set called ``name`` (one of ``TOY_SETS``)."""
    check_choice("name", name, sorted(TOY_SETS))
    return TOY_SETS[name](n, seed=seed, **kwargs)

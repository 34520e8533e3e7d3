"""Offline data: shapes, dtypes, determinism, and seeded splits without leakage."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import datasets

from nncourse.data import BUNDLED, TOY_SETS, load_dataset, make_loader, make_toy, split_loaders, xor


@pytest.mark.parametrize("name", sorted(TOY_SETS))
def test_toy_sets_have_documented_shapes_and_are_deterministic(name: str):
    X, y = make_toy(name, 101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64 and y.min() == 0
    X2, y2 = make_toy(name, 101, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make_toy(name, 101, seed=4)
    assert not np.array_equal(X, X3)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # balanced classes


def test_xor_corners_and_labels():
    X, y = xor(4, noise=0.0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert set(map(tuple, X)) == {(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)}


def test_toy_errors_are_clear():
    with pytest.raises(ValueError, match=r"name must be one of .*'spirals'.*, got 'spiral'"):
        make_toy("spiral")
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        make_toy("moons", 1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make_toy("blobs", 10, noise=-1.0)
    for call, exc, match in [
        (lambda: make_toy("moons", 10.0), TypeError, "n must be an int"),
        (lambda: make_toy("xor", 3), ValueError, "n must be an int >= 4"),
        (lambda: make_toy("moons", 10, seed=-1), ValueError, "seed"),
        (lambda: make_toy("blobs", 10, noise="0.1"), TypeError, "noise"),
        (lambda: make_toy("circles", 10, factor=1.0), ValueError, "factor"),
        (lambda: make_toy("circles", 10, factor=0), ValueError, "factor"),
        (lambda: make_toy("spirals", 10, classes=1), ValueError, "classes"),
        (lambda: make_toy("spirals", 10, turns=None), TypeError, "turns"),
    ]:
        with pytest.raises(exc, match=match):
            call()


def _duplicate_rows(name: str) -> int:
    data = getattr(datasets, f"load_{name}")().data
    return len(data) - len(np.unique(data, axis=0))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_sets_split_without_overlap_and_standardise_on_train_only(name: str):
    split = load_dataset(name, seed=0)
    n_train, n_val, n_test = split.sizes()
    assert n_val == pytest.approx(n_train / 3, rel=0.05) and n_test == pytest.approx(n_val, abs=1)
    assert split.X_train.dtype == np.float32 and split.X_train.shape[1] == split.n_features
    assert np.allclose(split.X_train.mean(axis=0), 0, atol=1e-5)
    assert n_train + n_val + n_test == len(getattr(datasets, f"load_{name}")().data)
    rows = {r.tobytes() for r in split.X_train}
    shared = sum(r.tobytes() in rows for r in split.X_test)
    assert shared <= _duplicate_rows(name)  # no example in two parts (iris has a few exact duplicates)
    again = load_dataset(name, seed=0)
    assert np.array_equal(split.X_val, again.X_val)
    if split.task == "classification":
        assert split.y_train.dtype == np.int64 and split.n_classes == len(np.unique(split.y_train))
        # stratified: class proportions agree between train and test within a few points
        p_train = np.bincount(split.y_train) / n_train
        p_test = np.bincount(split.y_test, minlength=len(p_train)) / n_test
        assert np.abs(p_train - p_test).max() < 0.05


def test_load_dataset_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"name must be one of .*'iris'.*, got 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="val_size and test_size"):
        load_dataset("iris", val_size=0.6, test_size=0.5)
    with pytest.raises(ValueError, match="test_size must be < 1"):
        load_dataset("iris", test_size=1.5)
    with pytest.raises(TypeError, match="val_size"):
        load_dataset("iris", val_size="0.2")
    with pytest.raises(TypeError, match="seed"):
        load_dataset("iris", seed=0.5)
    with pytest.raises(TypeError, match="standardize"):
        load_dataset("iris", standardize="yes")


def test_loaders_are_seeded_and_check_shapes():
    split = load_dataset("iris")
    first = [yb.tolist() for _, yb in split_loaders(split, batch_size=16, seed=5)[0]]
    again = [yb.tolist() for _, yb in split_loaders(split, batch_size=16, seed=5)[0]]
    assert first == again and sum(len(b) for b in first) == split.sizes()[0]
    xb, yb = next(iter(make_loader(split.X_train, split.y_train, batch_size=4)))
    assert xb.dtype == torch.float32 and yb.dtype == torch.int64 and xb.shape == (4, 4)
    with pytest.raises(ValueError, match=r"y must have shape \(N,\)"):
        make_loader(split.X_train, split.y_train[:-1])


def test_loaders_keep_integer_token_ids():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 50_000, size=(10, 7))  # (N, T) int64 ids, some beyond float32's exact range
    tokens[0, 0] = 16_777_217  # 2**24 + 1: float32 would round it
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    loader = make_loader(inputs, targets, batch_size=4, shuffle=False)
    xs, ys = zip(*loader, strict=True)
    assert all(x.dtype == torch.int64 and y.dtype == torch.int64 for x, y in zip(xs, ys, strict=True))
    assert xs[0].shape == (4, 6) and ys[0].shape == (4, 6)
    np.testing.assert_array_equal(torch.cat(xs).numpy(), inputs)
    np.testing.assert_array_equal(torch.cat(ys).numpy(), targets)
    emb = torch.nn.Embedding(50_000, 2)  # a batch goes straight into an embedding
    assert emb(xs[1]).shape == (4, 6, 2)


def test_loader_dtypes():
    X = np.zeros((6, 3))
    cases = {np.int32: torch.int64, np.uint8: torch.int64, np.float64: torch.float32, np.bool_: torch.float32}
    for np_type, torch_type in cases.items():
        xb, yb = next(iter(make_loader(X.astype(np_type), np.ones(6, dtype=np_type), batch_size=6)))
        assert xb.dtype == torch_type and yb.dtype == torch_type
    with pytest.raises(ValueError, match="X must hold floats, integers or bools"):
        make_loader(np.array(["a"] * 6), np.zeros(6))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size=2.5), TypeError, "batch_size"),
        (dict(shuffle="yes"), TypeError, "shuffle"),
        (dict(seed=-1), ValueError, "seed"),
    ],
)
def test_make_loader_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_loader(np.zeros((4, 2)), np.zeros(4), **kwargs)
    with pytest.raises(ValueError, match=r"y must have shape \(N"):
        make_loader(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(TypeError, match="split"):
        split_loaders((np.zeros((4, 2)), np.zeros(4)))

"""Chapter 10: image data (determinism, shapes, no side effects), the reference CNN, the chapter's
transforms, and accuracy floors on small, fast settings."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from nncourse.chapters.ch10_cnns import (
    DIGITS_CNN,
    Recipe,
    accuracy_on,
    digits_cnn,
    fixed_permutation,
    image_mlp,
    mnist1d_model,
    permute_pixels,
    permute_split,
    shift_images,
    shift_sweep,
    train_classifier,
)
from nncourse.data import (
    SHAPE_CLASSES,
    ImageSplit,
    load_dataset,
    load_digit_images,
    load_mnist1d,
    make_shapes,
)
from nncourse.models import ConvNet, RandomShift, count_parameters, feature_maps


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ------------------------------------------------------------------------------------------------ data
def test_digit_images_keep_the_course_split_as_images_in_unit_range():
    images, table = load_digit_images(), load_dataset("digits", standardize=False)
    assert images.sizes() == table.sizes() == (1077, 360, 360)
    assert images.image_shape == (1, 8, 8) and images.X_train.dtype == np.float32
    np.testing.assert_allclose(images.X_test.reshape(360, 64), table.X_test / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(images.y_test, table.y_test)
    assert images.X_train.min() == 0.0 and images.X_train.max() == 1.0
    assert images.flat().n_features == 64


def test_shapes_are_seeded_balanced_and_sized():
    a, b, c = make_shapes(n=400, seed=1), make_shapes(n=400, seed=1), make_shapes(n=400, seed=2)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)
    assert a.sizes() == (240, 80, 80) and a.image_shape == (1, 16, 16) and a.class_names == list(SHAPE_CLASSES)
    labels = np.concatenate([a.y_train, a.y_val, a.y_test])
    assert np.bincount(labels).tolist() == [100, 100, 100, 100]
    clean = make_shapes(n=40, noise=0.0, seed=0, image_size=12, min_size=5, max_size=5)
    assert set(np.unique(clean.X_train)) <= {0.0, 1.0} and clean.image_shape == (1, 12, 12)
    assert (clean.X_train.reshape(len(clean.X_train), -1).sum(axis=1) > 0).all()  # every image has a shape


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be a positive int"),
        ({"min_size": 9, "max_size": 5}, "min_size <= max_size"),
        ({"max_size": 20}, "max_size <= image_size"),
        ({"noise": -1.0}, "noise must be >= 0"),
        ({"val_size": 0.9}, "val_size"),
    ],
)
def test_shapes_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shapes(**kwargs)


def test_mnist1d_is_generated_locally_deterministically_and_leaves_global_rngs_alone():
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    data = load_mnist1d()
    assert (np.random.random(), random.random()) == (expected_np, expected_py)
    assert isinstance(data, ImageSplit) and data.sizes() == (4000, 0, 1000) and data.image_shape == (1, 40)
    again = load_mnist1d(val_size=500)
    assert again.sizes() == (3500, 500, 1000)
    np.testing.assert_array_equal(again.X_train, data.X_train[:3500])
    assert sorted(np.unique(data.y_train)) == list(range(10))
    assert abs(float(np.concatenate([data.X_train, data.X_test]).mean())) < 1e-3  # the generator centres the set
    with pytest.raises(ValueError, match="val_size"):
        load_mnist1d(val_size=4000)


def test_mnist1d_import_pulls_no_torch_and_downloads_nothing():
    import subprocess
    import sys

    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise RuntimeError('network used')\n"
        "socket.socket.connect = refuse\n"
        "import mnist1d.data\n"
        "print('torch' in sys.modules)\n"  # the package itself pulls no torch (nncourse.data does)
        "from nncourse.data.images import load_mnist1d\n"
        "print(load_mnist1d().sizes())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "(4000,", "0,", "1000)"]


# ---------------------------------------------------------------------------------------------- models
def test_convnet_shapes_and_parameter_counts_in_1d_and_2d():
    model = ConvNet((1, 8, 8), 10, channels=(32, 32), pool=(False, True))
    assert model(torch.zeros(5, 1, 8, 8)).shape == (5, 10)
    assert count_parameters(model) == 14_762 == count_parameters(digits_cnn())
    one_d = ConvNet((1, 40), 10, channels=(8, 16), kernel_size=5, batch_norm=False)
    assert one_d(torch.zeros(3, 1, 40)).shape == (3, 10)
    assert count_parameters(one_d) == 8 * (5 + 1) + 16 * (8 * 5 + 1) + (16 * 10 * 10 + 10)
    maps = feature_maps(model, torch.zeros(2, 1, 8, 8))
    assert [(n, tuple(m.shape)) for n, m in maps] == [
        ("input", (2, 1, 8, 8)),
        ("block 1", (2, 32, 8, 8)),
        ("block 2", (2, 32, 4, 4)),
    ]
    assert model.training  # feature_maps restores the mode


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ConvNet((1, 8), 10)(torch.zeros(2, 8, 1)), r"x must have shape \(\*, 1, 8\)"),
        (lambda: ConvNet((8, 8), 10)(torch.zeros(2, 1, 8, 8)), r"x must have shape \(\*, 8, 8\)"),
        (lambda: ConvNet((1, 8, 8), 10, kernel_size=4), "kernel_size must be odd"),
        (lambda: ConvNet((1, 8, 8), 10, channels=(4, 4), pool=(True,)), "one flag per conv block"),
        (lambda: ConvNet((1, 2, 2), 10, channels=(4, 4)), "pools a spatial size"),
        (lambda: ConvNet((1, 8, 8, 8), 10), r"\(C, L\) or \(C, H, W\)"),
        (lambda: RandomShift(-1), "max_shift"),
    ],
)
def test_convnet_rejects_bad_input_with_the_expected_shape(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_random_shift_moves_whole_images_in_training_only():
    layer = RandomShift(2)
    x = torch.zeros(64, 1, 9, 9)
    x[:, 0, 4, 4] = 1.0  # one bright pixel in the centre
    torch.manual_seed(0)
    out = layer(x)
    rows, cols = torch.nonzero(out[:, 0], as_tuple=True)[1:]
    assert out.sum() == 64 and (rows - 4).abs().max() <= 2 and (cols - 4).abs().max() <= 2
    assert len({(int(r), int(c)) for r, c in zip(rows, cols, strict=True)}) > 10  # each image drew its own shift
    torch.manual_seed(0)
    assert torch.equal(layer(x), out)  # repeatable under a seed
    layer.eval()
    assert torch.equal(layer(x), x)
    signal = torch.arange(1.0, 11.0).repeat(16, 1, 1)  # (16, 1, 10)
    shifted = RandomShift(1)(signal)
    candidates = [
        torch.cat([torch.zeros(1, 1), signal[0, :, :-1]], dim=1),
        signal[0],
        torch.cat([signal[0, :, 1:], torch.zeros(1, 1)], dim=1),
    ]
    assert shifted.shape == signal.shape
    assert all(any(torch.equal(row, c) for c in candidates) for row in shifted)  # each signal moved by -1, 0 or +1


def test_conv_is_translation_equivariant_away_from_the_border():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 4, 3, padding=1)
    x = torch.zeros(1, 1, 12, 12)
    x[0, 0, 3:6, 2:5] = torch.rand(3, 3)
    with torch.no_grad():
        moved = conv(torch.roll(x, (2, 3), dims=(2, 3)))
        expected = torch.roll(conv(x), (2, 3), dims=(2, 3))
    torch.testing.assert_close(moved, expected)


# ------------------------------------------------------------------------------------------ transforms
def test_shift_images_moves_content_and_fills_with_zeros():
    X = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4) + 1
    down = shift_images(X, 1, 0)
    np.testing.assert_array_equal(down[:, :, 1:], X[:, :, :-1])
    assert (down[:, :, 0] == 0).all()
    left = shift_images(X, 0, -2)
    np.testing.assert_array_equal(left[:, :, :, :2], X[:, :, :, 2:])
    assert (left[:, :, :, 2:] == 0).all()
    assert (shift_images(X, 4, 0) == 0).all() and np.array_equal(shift_images(X, 0, 0), X)
    with pytest.raises(ValueError, match=r"X must have shape \(\*, \*, \*, \*\)"):
        shift_images(X[0], 1)


def test_permute_pixels_is_one_fixed_reordering_and_invertible():
    X = np.random.default_rng(0).normal(size=(5, 2, 4, 4))
    perm = fixed_permutation(16, seed=3)
    assert np.array_equal(perm, fixed_permutation(16, seed=3)) and not np.array_equal(perm, np.arange(16))
    P = permute_pixels(X, perm)
    assert P.shape == X.shape
    np.testing.assert_array_equal(P.reshape(5, 2, 16), X.reshape(5, 2, 16)[:, :, perm])
    np.testing.assert_array_equal(permute_pixels(P, np.argsort(perm)), X)
    with pytest.raises(ValueError, match=r"permutation of 0\.\.15"):
        permute_pixels(X, np.zeros(16, dtype=int))
    with pytest.raises(ValueError, match=r"perm must have shape \(16,\)"):
        permute_pixels(X, np.arange(15))
    split = make_shapes(n=100, seed=0)
    shuffled = permute_split(split, fixed_permutation(256))
    np.testing.assert_array_equal(
        np.sort(shuffled.X_test.reshape(20, -1), axis=1), np.sort(split.X_test.reshape(20, -1), axis=1)
    )


# ---------------------------------------------------------------------------------------- accuracy floors
def test_digits_cnn_beats_the_digits_floor_with_fewer_parameters_than_the_mlp():
    split = load_digit_images()
    result = train_classifier(digits_cnn(seed=0), split, DIGITS_CNN, seed=0)
    assert result.parameters < 20_000  # the chapter 05 MLP has 26,122
    assert result.test_accuracy >= 0.985  # about 0.995 (mean of 3 seeds) in benchmarks/cnn_digits.py
    curve = shift_sweep(result.model, split.X_test, split.y_test, [0, 1])
    assert curve[0] == pytest.approx(result.test_accuracy) and curve[1] >= 0.95


def test_cnn_beats_mlp_on_shapes_and_loses_the_lead_when_pixels_are_permuted():
    shapes = make_shapes(n=1000, seed=5)
    permuted = permute_split(shapes, fixed_permutation(256, seed=0))
    cnn_recipe, mlp_recipe = Recipe(epochs=8, lr=3e-3), Recipe(epochs=15, lr=1e-3, batch_size=64)
    acc = {}
    for name, data in (("plain", shapes), ("permuted", permuted)):
        torch.manual_seed(0)
        acc["cnn", name] = train_classifier(ConvNet((1, 16, 16), 4, channels=(16, 32)), data, cnn_recipe).test_accuracy
        torch.manual_seed(0)
        acc["mlp", name] = train_classifier(image_mlp((1, 16, 16), (64,), 4), data, mlp_recipe).test_accuracy
    assert acc["cnn", "plain"] >= 0.85 and acc["cnn", "plain"] > acc["mlp", "plain"] + 0.25
    assert acc["cnn", "permuted"] < acc["mlp", "permuted"] + 0.15
    assert accuracy_on(image_mlp((1, 16, 16), (8,), 4), shapes.X_test, shapes.y_test) < 0.6  # untrained: near chance


def test_mnist1d_cnn_beats_mlp_briefly_trained():
    data = load_mnist1d()
    cnn = train_classifier(mnist1d_model("cnn", 0), data, Recipe(epochs=3, lr=3e-3, batch_size=64, weight_decay=0.01))
    mlp = train_classifier(mnist1d_model("mlp", 0), data, Recipe(epochs=6, lr=1e-3, batch_size=64, weight_decay=0.01))
    assert cnn.test_accuracy >= 0.85 and cnn.test_accuracy > mlp.test_accuracy + 0.2
    assert count_parameters(mnist1d_model("linear")) == 410
    with pytest.raises(ValueError, match="kind must be one of"):
        mnist1d_model("rnn")


@pytest.mark.parametrize("kind", ["gru", "transformer"])
def test_the_ladder_sequence_models_read_mnist1d_signals(kind: str):
    import torch

    model = mnist1d_model(kind, 0)
    assert model(torch.zeros(5, 1, 40)).shape == (5, 10)
    assert torch.equal(mnist1d_model(kind, 0)(torch.ones(2, 1, 40)), model(torch.ones(2, 1, 40)))  # the seed fixes it


def test_plot_feature_maps_draws_one_row_per_stack_and_rejects_bad_shapes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nncourse.viz import plot_feature_maps

    model = ConvNet((1, 8, 8), 10, channels=(4, 6), pool=(False, True))
    maps = [(name, m[0]) for name, m in feature_maps(model, torch.rand(1, 1, 8, 8))]
    axes = plot_feature_maps(maps, max_channels=5)
    assert axes.shape == (3, 5)
    assert [len(ax.images) for ax in axes[0]] == [1, 0, 0, 0, 0]  # the input has one channel
    assert all(len(ax.images) == 1 for ax in axes[2])
    with pytest.raises(ValueError, match=r"must have shape \(\*, \*, \*\)"):
        plot_feature_maps([("flat", np.zeros((3, 4)))])
    with pytest.raises(ValueError, match="at least one"):
        plot_feature_maps([])
    plt.close("all")


# ------------------------------------------------------------------------------------------ exercise 10
def test_exercise_checks_give_actionable_messages_for_wrong_answers():
    from nncourse.checks import FAIL, get_exercise, run_task

    exercise = get_exercise("10_cnns")
    stack = exercise.task("conv_stack_size")

    def no_bias(input_shape, layers):  # forgets the conv bias: out * in * k * k
        params, shape = stack.reference(input_shape, layers)
        convs = [spec for spec in layers if spec[0] == "conv"]
        return params - sum(spec[1] for spec in convs), shape

    result = run_task(stack, no_bias, stack.public_cases())
    assert result.status == FAIL and "parameters: expected 320, got 288" in result.message and "+ 1" in result.message

    design = exercise.task("design_shape_cnn")
    cases = design.public_cases()
    mlp_like = {"layers": [("flatten",), ("linear", 4)], "epochs": 5, "lr": 0.01}
    too_low = run_task(design, lambda size: mlp_like, cases)
    assert too_low.status == FAIL and "below the target 0.80" in too_low.message
    ten_classes = {"layers": [("conv", 4, 3, 1, 1), ("flatten",), ("linear", 10)], "epochs": 5, "lr": 0.01}
    assert "4 outputs" in run_task(design, lambda size: ten_classes, cases).message
    huge = {"layers": [("conv", 64, 3, 1, 1), ("flatten",), ("linear", 4)], "epochs": 5, "lr": 0.01}
    assert "66,180 parameters; the limit is 20,000" in run_task(design, lambda size: huge, cases).message
    bad_kernel = {"layers": [("conv", 4, 17, 1, 0), ("flatten",), ("linear", 4)], "epochs": 5, "lr": 0.01}
    assert "kernel 17 does not fit" in run_task(design, lambda size: bad_kernel, cases).message
    assert "epochs must be an int" in run_task(design, lambda size: {**mlp_like, "epochs": 100}, cases).message
    assert "return a dict" in run_task(design, lambda size: [("flatten",)], cases).message

"""Depth vs width (chapter 08): exact hand-built networks, piece counting, a trained fit, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nncourse.chapters import ch08_depth_width as A


def _dyadic_grid(bits: int = 12) -> np.ndarray:
    return np.linspace(-1.0, 1.0, 2**bits + 1)  # every kink of sawtooth(x, k <= bits) is a grid point


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_hand_built_sawtooth_net_equals_the_composed_tent_map(k):
    net = A.construct_sawtooth_net(k)
    rng = np.random.default_rng(k)
    x = np.concatenate([_dyadic_grid(), rng.uniform(-1, 1, 500)])
    assert np.abs(A.evaluate_1d(net, x) - A.sawtooth(x, k)).max() < 1e-12
    assert A.count_parameters(net) == 6 * k + 1 == A.relu_net_1d_parameters(2, k)
    assert [m.out_features for m in net if isinstance(m, torch.nn.Linear)] == [2] * k + [1]


def test_sawtooth_is_the_tent_map_composed_and_a_triangle_wave():
    x = _dyadic_grid(8)
    assert np.array_equal(A.sawtooth(x, 0), x)
    assert np.array_equal(A.sawtooth(x, 3), A.tent(A.tent(A.tent(x))))
    teeth, s = 2 ** (3 - 1), (x + 1) / 2  # s in [0, 1]
    closed_form = 1 - 2 * np.abs(2 * ((teeth * s) % 1) - 1)  # a triangle wave with `teeth` periods, from -1 to 1
    assert np.abs(A.sawtooth(x, 3) - closed_form).max() < 1e-12


@pytest.mark.parametrize("k", [0, 1, 4, 7])
def test_count_pieces_of_the_sawtooth_is_two_to_the_k(k):
    x = _dyadic_grid(10)
    assert A.count_pieces(x, A.sawtooth(x, k)) == 2**k


def test_count_pieces_merges_a_kink_that_falls_between_grid_points():
    x = np.linspace(-1, 1, 101)
    y = np.abs(x - 0.123456) + np.maximum(x - 0.7, 0)  # kinks off the grid at 0.123456, on the grid at 0.7
    assert A.count_pieces(x, y) == 3
    assert A.count_pieces(x, 2 * x + 1) == 1


def test_one_hidden_layer_has_at_most_width_plus_one_pieces():
    x = np.linspace(-1, 1, 20_001)
    for seed in range(3):
        net = A.make_relu_net_1d(12, 1, seed=seed, dtype=torch.float64)
        kinks = A.kinks_of_shallow_net(net)
        assert 1 <= len(kinks) <= 12
        assert A.count_pieces(x, A.evaluate_1d(net, x)) == len(kinks) + 1


def test_interpolating_net_passes_through_the_knots_and_is_linear_between():
    knots = np.array([-1.0, -0.6, 0.2, 0.5, 0.9, 1.0])
    values = np.array([1.0, -2.0, 0.5, 0.5, 3.0, 0.0])
    net = A.interpolating_net(knots, values)
    assert np.abs(A.evaluate_1d(net, knots) - values).max() < 1e-12
    x = np.linspace(-1, 1, 1001)
    assert np.abs(A.evaluate_1d(net, x) - np.interp(x, knots, values)).max() < 1e-12
    assert (
        len(A.kinks_of_shallow_net(net)) == 4
    )  # the knots inside (-1, 1); the flat piece 0.2..0.5 still kinks at both ends


def test_make_mlp_shapes_and_parameter_count():
    for width, depth in [(1, 1), (5, 1), (4, 3), (16, 2)]:
        net = A.make_relu_net_1d(width, depth, seed=0)
        assert A.count_parameters(net) == A.relu_net_1d_parameters(width, depth)
        assert net(torch.zeros(7, 1)).shape == (7, 1)
    spread = A.make_relu_net_1d(64, 1, seed=0)
    assert len(A.kinks_of_shallow_net(spread)) == 64  # every kink inside the data range
    assert torch.equal(A.make_relu_net_1d(8, 2, seed=3)[2].weight, A.make_relu_net_1d(8, 2, seed=3)[2].weight)


def test_a_trained_shallow_net_reaches_a_loose_mse_floor_on_the_smooth_target():
    x = np.linspace(-1, 1, 256)
    y = A.smooth_target(x)
    before = float(np.mean((A.evaluate_1d(A.make_relu_net_1d(64, 1, seed=0), x) - y) ** 2))
    model = A.make_relu_net_1d(64, 1, seed=0)
    mse = A.fit_regressor(model, x, y, steps=600, lr=1e-2)
    assert mse < 5e-3 < before
    assert abs(mse - float(np.mean((A.evaluate_1d(model, x) - y) ** 2))) < 1e-6


def test_sweep_and_params_to_reach():
    x = np.linspace(-1, 1, 64)
    rows = A.sweep([2, 8], 1, x, A.smooth_target(x), steps=50, lr=1e-2)
    assert [(r["depth"], r["width"], r["params"]) for r in rows] == [(1, 2, 7), (1, 8, 25)]
    assert all(np.isfinite(r["mse"]) and r["seconds"] >= 0 for r in rows)
    table = [{"params": 10, "mse": 0.5}, {"params": 40, "mse": 0.01}, {"params": 90, "mse": 0.001}]
    assert A.params_to_reach(table, 0.02) == 40
    assert A.params_to_reach(table, 1e-4) is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: A.sawtooth(np.zeros((4, 1)), 2), r"x must have shape \(N,\), got shape \(4, 1\)"),
        (lambda: A.sawtooth(np.zeros(4), -1), "k must be a non-negative int"),
        (lambda: A.construct_sawtooth_net(0), "k must be >= 1"),
        (
            lambda: A.fit_regressor(A.make_relu_net_1d(4, 1), np.zeros(5), np.zeros(6)),
            r"y must have shape \(N,\) \(with N=5\)",
        ),
        (lambda: A.fit_regressor(A.make_relu_net_1d(4, 1), np.zeros((5, 1)), np.zeros(5)), r"x must have shape \(N,\)"),
        (lambda: A.interpolating_net(np.array([0.0, 0.5, 0.4]), np.zeros(3)), "strictly increasing"),
        (lambda: A.interpolating_net(np.array([0.0, 1.0]), np.zeros(3)), r"values must have shape \(M,\)"),
        (lambda: A.count_pieces(np.linspace(0, 1, 5), np.zeros(4)), r"y must have shape \(N,\)"),
        (lambda: A.make_relu_net_1d(0, 2), "width and depth must be >= 1"),
        (lambda: A.kinks_of_shallow_net(A.make_relu_net_1d(4, 2)), "one-hidden-layer"),
    ],
)
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()

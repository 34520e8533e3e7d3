"""Chapter 06: the 2-D loss surfaces and the drivers that walk optimizers across them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nncourse import optim
from nncourse.chapters.ch06_optimization import max_abs_diff, quadratic, rosenbrock, run_optimizer, run_torch_optimizer

SURFACES = [quadratic(1.0, 20.0), quadratic(2.0, 5.0, angle=0.6), rosenbrock()]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_gradient_matches_central_differences_and_minimum_is_stationary(surface):
    rng = np.random.default_rng(0)
    h = 1e-6
    for p in rng.uniform(-1.5, 1.5, size=(5, 2)):
        numeric = np.array([(surface(p + h * e) - surface(p - h * e)) / (2 * h) for e in np.eye(2)])  # (2,)
        assert np.allclose(surface.grad(p), numeric, rtol=1e-6, atol=1e-5), (surface.name, p)
    assert np.allclose(surface.grad(surface.minimum), 0.0)
    assert float(surface(surface.minimum)) == pytest.approx(0.0, abs=1e-12)


def test_surfaces_are_vectorised_over_leading_axes():
    for surface in SURFACES:
        X, Y, Z = surface.grid(7)
        assert X.shape == Y.shape == Z.shape == (7, 7)
        pts = np.stack([X, Y], axis=-1)  # (7, 7, 2)
        assert surface.grad(pts).shape == (7, 7, 2)
        assert np.allclose(Z[3, 4], surface(pts[3, 4]))


def test_rosenbrock_gradient_by_hand_at_a_point():
    g = rosenbrock().grad(np.array([0.0, 1.0]))
    assert np.allclose(g, [-2.0, 200.0])  # d/dx = -2(1-x) - 400x(y-x^2), d/dy = 200(y-x^2)


def test_quadratic_curvatures_set_the_gradient_descent_stability_limit():
    bowl = quadratic(1.0, 20.0)
    stable = run_optimizer(optim.SGD(lr=0.099), bowl.start, bowl.grad, 300)
    unstable = run_optimizer(optim.SGD(lr=0.101), bowl.start, bowl.grad, 300)
    assert float(bowl(stable[-1])) < float(bowl(bowl.start))
    assert float(bowl(unstable[-1])) > 10 * float(bowl(bowl.start))


def test_divergence_stops_the_run_and_fills_nan_without_warnings():
    bowl = quadratic(1.0, 20.0)
    with np.errstate(all="raise"):
        path = run_optimizer(optim.SGD(lr=1.0), bowl.start, bowl.grad, 100, max_norm=1e3)
    assert path.shape == (101, 2)
    finite = np.isfinite(path).all(axis=1)
    assert finite[0] and not finite[-1]
    k = int(np.argmin(finite))
    assert finite[:k].all() and not finite[k:].any()


TORCH_TWINS = {
    "sgd": (lambda: optim.SGD(lr=0.05), lambda ps: torch.optim.SGD(ps, lr=0.05)),
    "nesterov": (
        lambda: optim.SGD(lr=0.01, momentum=0.9, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
    ),
    "rmsprop": (lambda: optim.RMSprop(lr=0.05), lambda ps: torch.optim.RMSprop(ps, lr=0.05)),
    "adam": (lambda: optim.Adam(lr=0.1), lambda ps: torch.optim.Adam(ps, lr=0.1)),
    "adamw": (
        lambda: optim.AdamW(lr=0.1, weight_decay=0.1),
        lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.1),
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_TWINS))
def test_run_optimizer_and_run_torch_optimizer_give_the_same_path(name):
    ours, theirs = TORCH_TWINS[name]
    bowl = quadratic(1.0, 20.0, angle=0.3)
    a = run_optimizer(ours(), bowl.start, bowl.grad, 100)
    b = run_torch_optimizer(theirs, bowl.start, bowl.grad, 100)
    assert a.shape == b.shape == (101, 2)
    assert np.array_equal(a[0], bowl.start)
    assert max_abs_diff(a, b) < 1e-10


def test_schedulers_are_stepped_after_each_optimizer_step():
    bowl = quadratic(1.0, 20.0)
    opt = optim.SGD(lr=0.05)
    a = run_optimizer(opt, bowl.start, bowl.grad, 20, scheduler=optim.StepLR(opt, step_size=5, gamma=0.5))
    b = run_torch_optimizer(
        lambda ps: torch.optim.SGD(ps, lr=0.05),
        bowl.start,
        bowl.grad,
        20,
        make_scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5),
    )
    c = run_optimizer(optim.SGD(lr=0.05), bowl.start, bowl.grad, 20)
    assert max_abs_diff(a, b) < 1e-12
    assert max_abs_diff(a, c) > 1e-3  # the schedule really changed the path
    assert opt.lr == pytest.approx(0.05 * 0.5**4)


def test_start_is_copied_and_path_starts_there():
    start = np.array([1.0, 2.0])
    path = run_optimizer(optim.SGD(lr=0.1), start, quadratic().grad, 3)
    assert np.array_equal(start, [1.0, 2.0]) and np.array_equal(path[0], start)


def test_bad_inputs_name_the_expected_shape():
    bowl = quadratic()
    with pytest.raises(ValueError, match=r"start must have shape \(2,\)"):
        run_optimizer(optim.SGD(lr=0.1), np.zeros(3), bowl.grad, 3)
    with pytest.raises(ValueError, match=r"grad_fn\(theta\) must have shape \(2,\)"):
        run_optimizer(optim.SGD(lr=0.1), np.zeros(2), lambda th: np.zeros(3), 3)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        bowl(np.zeros(3))
    with pytest.raises(ValueError, match="steps"):
        run_torch_optimizer(lambda ps: torch.optim.SGD(ps, lr=0.1), np.zeros(2), bowl.grad, -1)
    with pytest.raises(ValueError, match="curvatures"):
        quadratic(0.0, 1.0)


def test_max_abs_diff_treats_diverged_rows():
    a = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, np.nan]])
    assert max_abs_diff(a, a.copy()) == 0.0
    b = a.copy()
    b[2] = [5.0, 5.0]
    assert max_abs_diff(a, b) == np.inf

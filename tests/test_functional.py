"""nncourse.scratch.functional: every activation and loss equals torch in float64 (values and autograd
gradients), matches finite differences, stays finite on huge inputs, and names bad shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from nncourse.gradcheck import gradcheck
from nncourse.scratch import functional as F

TOL = 1e-10


def _t(x: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=grad)


def _inputs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grid = np.linspace(-12.0, 12.0, 97)  # includes 0 exactly
    return np.concatenate([grid, rng.normal(scale=4.0, size=200), [-700.0, -40.0, 40.0, 700.0]])


ELEMENTWISE = {
    "sigmoid": (F.sigmoid, F.sigmoid_grad, torch.sigmoid),
    "tanh": (F.tanh, F.tanh_grad, torch.tanh),
    "relu": (F.relu, F.relu_grad, torch.relu),
    "gelu": (F.gelu, F.gelu_grad, TF.gelu),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_activation_and_derivative_equal_torch_autograd(name: str):
    f, f_grad, torch_f = ELEMENTWISE[name]
    x = _inputs()
    xt = _t(x, grad=True)
    out = torch_f(xt)
    (slope,) = torch.autograd.grad(out.sum(), xt)  # element-wise f: grad of the sum is f'(x) entry by entry
    ours, ours_grad = f(x), f_grad(x)
    assert ours.shape == x.shape and ours.dtype == np.float64
    np.testing.assert_allclose(ours, out.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours_grad, slope.numpy(), rtol=0, atol=TOL)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_derivative_matches_finite_differences_away_from_kinks(name: str):
    f, f_grad, _ = ELEMENTWISE[name]
    x = np.random.default_rng(1).normal(scale=3.0, size=40)
    x = x[np.abs(x) > 1e-3]  # relu has a kink at 0
    eps = 1e-5
    numerical = (f(x + eps) - f(x - eps)) / (2 * eps)  # central differences, entry by entry
    np.testing.assert_allclose(f_grad(x), numerical, rtol=1e-6, atol=1e-9)
    tiny = np.array([0.3, -1.7])  # and through the course's gradcheck, on a scalar function
    result = gradcheck(lambda: float(np.sum(f(tiny))), tiny, f_grad(tiny), tol=1e-6)
    assert result.ok, str(result)


def test_known_values_of_the_derivatives():
    assert float(F.sigmoid_grad(0.0)) == 0.25 and float(F.tanh_grad(0.0)) == 1.0
    assert F.relu_grad(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]
    assert float(F.gelu_grad(0.0)) == pytest.approx(0.5)
    assert float(F.sigmoid_grad(10.0)) < 1e-4 and float(F.tanh_grad(10.0)) < 1e-8  # saturation
    assert F.sigmoid(np.array([1, 2])).dtype == np.float64  # integer input is promoted


@pytest.mark.parametrize("shape, axis", [((5, 7), -1), ((3, 4, 6), -1), ((4, 3), 0), ((1, 1), -1)])
def test_softmax_log_softmax_logsumexp_equal_torch(shape: tuple[int, ...], axis: int):
    z = np.random.default_rng(2).normal(scale=5.0, size=shape)
    zt = _t(z)
    np.testing.assert_allclose(F.softmax(z, axis), torch.softmax(zt, axis).numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(F.log_softmax(z, axis), torch.log_softmax(zt, axis).numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(F.logsumexp(z, axis), torch.logsumexp(zt, axis).numpy(), rtol=0, atol=TOL)
    assert F.logsumexp(z, axis, keepdims=True).shape == torch.logsumexp(zt, axis, keepdim=True).shape


def test_logsumexp_gradient_is_softmax_as_in_torch():
    z = np.random.default_rng(3).normal(scale=3.0, size=(4, 5))
    zt = _t(z, grad=True)
    (g,) = torch.autograd.grad(torch.logsumexp(zt, -1).sum(), zt)
    np.testing.assert_allclose(F.softmax(z), g.numpy(), rtol=0, atol=TOL)


def test_softmax_jacobian_equals_torch_and_finite_differences():
    z = np.random.default_rng(4).normal(scale=2.0, size=(3, 4))
    jac = F.softmax_jacobian(z)
    assert jac.shape == (3, 4, 4)
    for n in range(3):
        theirs = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, -1), _t(z[n]))
        np.testing.assert_allclose(jac[n], theirs.numpy(), rtol=0, atol=TOL)
    row = z[0].copy()
    weights = np.array([0.3, -1.0, 2.0, 0.5])
    result = gradcheck(lambda: float(F.softmax(row) @ weights), row, weights @ F.softmax_jacobian(row), tol=1e-6)
    assert result.ok, str(result)


@pytest.mark.parametrize("n, c", [(1, 3), (6, 4), (20, 2)])
def test_cross_entropy_and_gradient_equal_torch(n: int, c: int):
    rng = np.random.default_rng(n)
    logits, y = rng.normal(scale=3.0, size=(n, c)), rng.integers(0, c, size=n)
    lt = _t(logits, grad=True)
    loss = TF.cross_entropy(lt, torch.tensor(y))
    (g,) = torch.autograd.grad(loss, lt)
    assert isinstance(F.cross_entropy(logits, y), float)
    assert abs(F.cross_entropy(logits, y) - loss.item()) < TOL
    np.testing.assert_allclose(F.cross_entropy_grad(logits, y), g.numpy(), rtol=0, atol=TOL)
    onehot = np.eye(c)[y]
    np.testing.assert_allclose(F.cross_entropy_grad(logits, y), (F.softmax(logits) - onehot) / n, rtol=0, atol=TOL)


def test_binary_cross_entropy_with_logits_equals_torch():
    rng = np.random.default_rng(5)
    z, y = rng.normal(scale=4.0, size=9), rng.integers(0, 2, size=9)
    zt = _t(z, grad=True)
    loss = TF.binary_cross_entropy_with_logits(zt, torch.tensor(y, dtype=torch.float64))
    (g,) = torch.autograd.grad(loss, zt)
    assert abs(F.binary_cross_entropy_with_logits(z, y) - loss.item()) < TOL
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits_grad(z, y), g.numpy(), rtol=0, atol=TOL)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (1, 1)])
def test_mse_and_gradient_equal_torch(shape: tuple[int, ...]):
    rng = np.random.default_rng(6)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    pt = _t(pred, grad=True)
    loss = TF.mse_loss(pt, _t(target))
    (g,) = torch.autograd.grad(loss, pt)
    assert abs(F.mse(pred, target) - loss.item()) < TOL
    np.testing.assert_allclose(F.mse_grad(pred, target), g.numpy(), rtol=0, atol=TOL)


def test_large_logits_stay_finite_and_equal_torch():
    z = np.array([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -2000.0], [1e300, 0.0, -1e300]])
    zt = _t(z)
    for ours, theirs in (
        (F.logsumexp(z), torch.logsumexp(zt, -1)),
        (F.softmax(z), torch.softmax(zt, -1)),
        (F.log_softmax(z), torch.log_softmax(zt, -1)),
    ):
        assert np.isfinite(ours).all()
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=TOL)
    y = np.array([2, 0, 1])
    loss, grad = F.cross_entropy(z, y), F.cross_entropy_grad(z, y)
    assert np.isfinite(loss) and np.isfinite(grad).all()
    assert loss == pytest.approx(TF.cross_entropy(zt, torch.tensor(y)).item(), rel=1e-12)
    x = np.array([-1000.0, -745.0, 745.0, 1000.0])
    for fn in (F.sigmoid, F.sigmoid_grad, F.tanh, F.tanh_grad, F.gelu, F.gelu_grad):
        assert np.isfinite(fn(x)).all()
    assert np.isfinite(F.binary_cross_entropy_with_logits(x, np.array([1, 0, 0, 1])))


def test_the_naive_formula_does_overflow():  # what the stable versions guard against
    z = np.array([1000.0, 999.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.isnan(naive).any() and not np.isnan(F.softmax(z)).any()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: F.cross_entropy(np.zeros(3), np.array([0])), r"logits must have shape \(N, C\), got shape \(3,\)"),
        (lambda: F.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), r"y must have shape \(N,\) \(with N=2, C=3\)"),
        (
            lambda: F.cross_entropy_grad(np.zeros((2, 3)), np.array([0.0, 1.0])),
            r"y must have a signed integer or unsigned",
        ),
        (lambda: F.cross_entropy(np.zeros((2, 3)), np.array([0, 3])), r"class indices in \[0, 3\)"),
        (lambda: F.mse(np.zeros((2, 3)), np.zeros((3, 2))), r"target must have shape \(2, 3\), got shape \(3, 2\)"),
        (lambda: F.mse_grad(np.zeros(3), np.zeros(4)), r"target must have shape \(3,\)"),
        (lambda: F.binary_cross_entropy_with_logits(np.zeros((2, 1)), np.zeros(2)), r"z must have shape \(N,\)"),
        (lambda: F.binary_cross_entropy_with_logits(np.zeros(2), np.array([0, 2])), "only the labels 0 and 1"),
        (lambda: F.logsumexp(np.float64(3.0)), "at least one dimension"),
        (lambda: F.softmax(np.zeros((2, 3)), axis=2), r"dim=2 is out of range for x of shape \(2, 3\)"),
        (lambda: F.sigmoid(np.array(["a"])), "x must have a float"),
    ],
)
def test_bad_input_names_the_expected_shape(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_exercise_02_hints_catch_the_unstable_formulas():
    from nncourse.checks import get_exercise, run_task

    exercise = get_exercise("02_activations_losses")
    naive_lse = exercise.task("logsumexp")
    with np.errstate(over="ignore", divide="ignore"):
        result = run_task(naive_lse, lambda z: np.log(np.exp(z).sum(axis=1)), naive_lse.public_cases())
    assert (
        not result.passed
        and "logits of 1000" in result.message
        and "shift each row so that its largest logit is 0" in result.message
    )
    grad_task = exercise.task("cross_entropy_grad")
    no_mean = run_task(grad_task, lambda z, y: F.cross_entropy_grad(z, y) * len(y), grad_task.public_cases())
    assert not no_mean.passed and "divide by N" in no_mean.message
    step_task = exercise.task("logistic_step")
    assert run_task(step_task, lambda *args: tuple(args[:2]), step_task.public_cases()).status == "✗"

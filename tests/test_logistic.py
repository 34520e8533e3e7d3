"""nncourse.chapters.ch02_activations_losses: the gradient equals torch autograd and finite differences, a step lowers the
loss, and gradient descent reaches at least 0.95 test accuracy on breast_cancer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from nncourse.chapters import ch02_activations_losses as L
from nncourse.data import load_dataset
from nncourse.gradcheck import gradcheck


def _problem(n: int = 12, d: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=d), float(rng.normal()), rng.normal(size=(n, d)), rng.integers(0, 2, size=n)


@pytest.mark.parametrize("n, d", [(12, 4), (1, 3), (50, 1)])
def test_loss_and_grad_equal_torch_autograd(n: int, d: int):
    w, b, X, y = _problem(n, d, seed=n)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    z = torch.tensor(X) @ wt + bt  # (N,)
    loss = TF.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    ours, dw, db = L.loss_and_grad(w, b, X, y)
    assert isinstance(ours, float) and isinstance(db, float) and dw.shape == (d,)
    assert abs(ours - loss.item()) < 1e-10 and abs(db - bt.grad.item()) < 1e-10
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=0, atol=1e-10)


def test_gradient_matches_finite_differences():
    w, b, X, y = _problem()
    _, dw, db = L.loss_and_grad(w, b, X, y)
    result = gradcheck(lambda: L.loss_and_grad(w, b, X, y)[0], w, dw)
    assert result.ok, str(result)
    bias = np.array([b])
    result = gradcheck(lambda: L.loss_and_grad(w, float(bias[0]), X, y)[0], bias, np.array([db]))
    assert result.ok, str(result)


def test_step_lowers_the_loss_and_leaves_its_inputs_alone():
    w, b, X, y = _problem()
    w_before = w.copy()
    w_new, b_new = L.step(w, b, X, y, lr=0.1)
    _, dw, db = L.loss_and_grad(w, b, X, y)
    np.testing.assert_allclose(w_new, w - 0.1 * dw)
    assert b_new == pytest.approx(b - 0.1 * db)
    assert L.loss_and_grad(w_new, b_new, X, y)[0] < L.loss_and_grad(w, b, X, y)[0]
    assert np.array_equal(w, w_before)


def test_fit_reaches_the_accuracy_floor_on_breast_cancer():
    data = load_dataset("breast_cancer")
    w, b, losses = L.fit(data.X_train, data.y_train, lr=0.5, steps=500)
    assert len(losses) == 500 and losses[0] == pytest.approx(np.log(2))  # w = 0: every probability is 1/2
    assert all(later <= earlier + 1e-12 for earlier, later in itertools.pairwise(losses))  # convex, small lr: monotone
    assert np.mean(L.predict(data.X_test, w, b) == data.y_test) >= 0.95
    assert np.mean(L.predict(data.X_train, w, b) == data.y_train) >= 0.97
    proba = L.predict_proba(data.X_test, w, b)
    assert proba.shape == data.y_test.shape and np.all((proba > 0) & (proba < 1))


def test_fit_with_a_huge_learning_rate_still_gives_finite_losses():
    _, _, X, y = _problem(n=20, d=3)
    _, _, losses = L.fit(X * 1000.0, y, lr=100.0, steps=20)  # stable loss: saturated logits, no overflow
    assert np.isfinite(losses).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: L.loss_and_grad(np.zeros(3), 0.0, np.zeros((4, 2)), np.zeros(4)),
            r"w must have shape \(D,\) \(with N=4, D=2\)",
        ),
        (
            lambda: L.loss_and_grad(np.zeros(2), 0.0, np.zeros(2), np.zeros(2)),
            r"X must have shape \(N, D\), got shape \(2,\)",
        ),
        (lambda: L.loss_and_grad(np.zeros(2), 0.0, np.zeros((4, 2)), np.zeros(3)), r"y must have shape \(N,\)"),
        (lambda: L.loss_and_grad(np.zeros(2), np.zeros(2), np.zeros((4, 2)), np.zeros(4)), r"b must have shape \(\)"),
        (lambda: L.loss_and_grad(np.zeros(2), 0.0, np.zeros((2, 2)), np.array([0, 2])), "only the labels 0 and 1"),
        (lambda: L.step(np.zeros(2), 0.0, np.zeros((2, 2)), np.array([0, 1]), lr=-1.0), "lr must be a positive number"),
        (lambda: L.fit(np.zeros((2, 2)), np.array([0, 1]), steps=0), "steps must be a positive integer"),
        (lambda: L.predict(np.zeros((5, 2)), np.zeros(3), 0.0), r"w must have shape \(D,\)"),
    ],
)
def test_bad_input_names_the_expected_shape(call, message):
    with pytest.raises(ValueError, match=message):
        call()

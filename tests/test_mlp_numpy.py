"""Chapter 03: the numpy MLP's gradients equal torch's and finite differences; it learns XOR and spirals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nncourse.chapters import ch03_mlp_backprop as M
from nncourse.checks import get_exercise, run_task
from nncourse.data import spirals, xor
from nncourse.gradcheck import gradcheck
from nncourse.optim import SGD, Adam
from nncourse.scratch import functional as F


def _mlp_args(seed: int, n: int, d: int, h: int, c: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n, d)),
        rng.integers(0, c, size=n),
        rng.normal(size=(d, h)),
        rng.normal(size=h),
        rng.normal(size=(h, c)),
        rng.normal(size=c),
    )


def _torch_grads(X, y, W1, b1, W2, b2) -> dict[str, np.ndarray]:
    leaves = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in zip(("W1", "b1", "W2", "b2"), (W1, b1, W2, b2), strict=True)
    }
    logits = torch.relu(torch.tensor(X) @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"]  # (N, C)
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
    return {k: t.grad.numpy() for k, t in leaves.items()}


@pytest.mark.parametrize("shape", [(8, 3, 6, 4), (1, 2, 5, 3), (50, 2, 16, 3)])
def test_mlp_gradients_equal_torch_autograd_in_float64(shape):
    args = _mlp_args(sum(shape), *shape)
    ours, theirs = M.mlp_gradients(*args), _torch_grads(*args)
    assert set(ours) == {"W1", "b1", "W2", "b2"}
    for k in ours:
        assert ours[k].shape == args[("W1", "b1", "W2", "b2").index(k) + 2].shape
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0, atol=1e-8)


def test_mlp_gradients_pass_a_finite_difference_check():
    X, y, W1, b1, W2, b2 = _mlp_args(7, 6, 3, 5, 3)
    W1, W2 = W1 / np.sqrt(3), W2 / np.sqrt(5)  # moderate logits: no gradient entry is vanishingly small
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    grads = M.mlp_gradients(X, y, **params)
    model = M.mlp_from_weights((W1, b1), (W2, b2))

    def loss() -> float:
        logits = np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]  # (N, C)
        shifted = logits - logits.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(y)), y]))

    assert np.allclose(model.forward(X)[0], np.maximum(X @ W1 + b1, 0) @ W2 + b2)
    for name, p in params.items():
        result = gradcheck(loss, p, grads[name], tol=1e-5)
        assert result.ok, f"{name}: {result}"
    wrong = dict(grads, W1=grads["W1"] * 1.01)
    assert not gradcheck(loss, params["W1"], wrong["W1"], tol=1e-5).ok


def test_linear_backward_equals_torch_and_has_the_parameter_shapes():
    rng = np.random.default_rng(3)
    X, W, b, dZ = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 4))
    Xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    (Xt @ Wt + bt).backward(torch.tensor(dZ))
    dX, dW, db = M.linear_backward(dZ, X, W)
    assert (dX.shape, dW.shape, db.shape) == ((5, 3), (3, 4), (4,))
    for ours, leaf in ((dX, Xt), (dW, Wt), (db, bt)):
        np.testing.assert_allclose(ours, leaf.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(M.linear_forward(X, W, b), X @ W + b, rtol=0, atol=1e-12)


def test_relu_backward_blocks_the_gradient_at_and_below_zero():
    x = np.array([[-1.0, 0.0, 2.0]])
    assert M.relu_backward(np.array([[5.0, 6.0, 7.0]]), x).tolist() == [[0.0, 0.0, 7.0]]


def test_softmax_cross_entropy_backward_is_cross_entropy_grad_equals_torch_and_survives_huge_logits():
    assert get_exercise("03_mlp_backprop").task("softmax_cross_entropy_backward").reference is F.cross_entropy_grad
    rng = np.random.default_rng(4)
    logits, y = rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, size=6)
    lt = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(lt, torch.tensor(y)).backward()
    np.testing.assert_allclose(F.cross_entropy_grad(logits, y), lt.grad.numpy(), rtol=0, atol=1e-12)
    huge = F.cross_entropy_grad(np.array([[1000.0, 0.0, -1000.0]]), np.array([1]))
    assert np.isfinite(huge).all() and np.allclose(huge, [[1.0, -1.0, 0.0]])


def test_mlp_solves_xor_where_no_line_can():
    X, y = xor(200, noise=0.25, seed=0)
    model = M.make_scratch_mlp([2, 8, 2], seed=0)
    losses = M.train_numpy_mlp(model, X, y, SGD(lr=0.5), epochs=200)
    assert losses[-1] < 0.1 * losses[0]
    assert M.accuracy(model, X, y) == 1.0
    corners, labels = xor(4, noise=0.0)
    assert M.predict_classes(model, corners).tolist() == labels.tolist()


def test_mlp_fits_three_spirals_and_a_linear_model_does_not():
    X, y = spirals(300, classes=3, seed=0)
    model = M.make_scratch_mlp([2, 64, 3], seed=0)
    M.train_numpy_mlp(model, X, y, Adam(lr=0.02), epochs=300)
    assert M.accuracy(model, X, y) >= 0.95
    linear = M.make_scratch_mlp([2, 3], seed=0)
    M.train_numpy_mlp(linear, X, y, Adam(lr=0.02), epochs=300)
    assert M.accuracy(linear, X, y) < 0.7


def test_training_is_seeded_and_mini_batches_work():
    X, y = xor(64, noise=0.2, seed=1)
    runs = [
        M.train_numpy_mlp(M.make_scratch_mlp([2, 8, 2], "tanh", seed=3), X, y, SGD(lr=0.2), 30, batch_size=16, seed=5)
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and len(runs[0]) == 30
    assert runs[0][-1] < runs[0][0]
    other = M.train_numpy_mlp(
        M.make_scratch_mlp([2, 8, 2], "tanh", seed=3), X, y, SGD(lr=0.2), 30, batch_size=16, seed=6
    )
    assert other != runs[0]  # the shuffling seed matters


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: M.linear_forward(np.zeros((5, 3)), np.zeros((4, 3)), np.zeros(3)),
            r"W must have shape \(D, H\) \(with N=5, D=3\), got shape \(4, 3\)",
        ),
        (lambda: M.linear_forward(np.zeros((5, 3)), np.zeros((3, 4)), np.zeros(3)), r"b must have shape \(H,\)"),
        (
            lambda: M.linear_backward(np.zeros((4, 5)), np.zeros((5, 3)), np.zeros((3, 4))),
            r"dZ must have shape \(N, H\) .*got shape \(4, 5\)",
        ),
        (lambda: M.relu_backward(np.zeros((2, 3)), np.zeros((3, 2))), r"dout must have shape \(3, 2\)"),
        (
            lambda: F.cross_entropy_grad(np.zeros((4, 3)), np.array([0, 1, 3, 0])),
            r"y must hold class indices in \[0, 3\)",
        ),
        (
            lambda: M.mlp_gradients(
                *_mlp_args(0, 4, 2, 3, 2)[:1], np.zeros(5, dtype=int), *_mlp_args(0, 4, 2, 3, 2)[2:]
            ),
            r"y must have shape \(N,\)",
        ),
        (lambda: M.make_scratch_mlp([2]), r"sizes must be at least two positive ints"),
        (lambda: M.make_scratch_mlp([2, 3], activation="swish"), r"activation must be one of"),
        (
            lambda: M.mlp_from_weights((np.zeros((2, 3)), np.zeros(3)), (np.zeros((4, 2)), np.zeros(2))),
            r"W2 must have shape \(3, D_out\)",
        ),
        (
            lambda: M.train_numpy_mlp(
                M.make_scratch_mlp([3, 2]), np.zeros((4, 2)), np.zeros(4, dtype=int), SGD(0.1), 1
            ),
            r"X must have shape \(N, 3\)",
        ),
    ],
)
def test_bad_input_names_the_expected_shape(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_exercise_wrong_transpose_gets_the_shape_message_and_hint():
    task = get_exercise("03_mlp_backprop").task("linear_backward")
    result = run_task(task, lambda dZ, X, W: (dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)), task.public_cases())
    assert not result.passed
    assert (
        "dW: expected shape (3, 4), got (4, 3)" in result.message and "dW like W (D, H)" in result.message
    )  # the hint points at dW, not at code

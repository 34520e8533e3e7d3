"""The perceptron reference: the rule, convergence on separable data, failure on XOR."""

from __future__ import annotations

import numpy as np
import pytest

from nncourse.chapters import ch01_perceptron as P
from nncourse.data import blobs, xor


def test_predict_thresholds_strictly_above_zero():
    X = np.array([[1.0, -1.0], [2.0, 0.0], [-3.0, 0.0]])
    assert P.predict(X, np.array([1.0, 1.0]), 0.0).tolist() == [0, 1, 0]
    assert P.predict(X, np.array([1.0, 1.0]), 0.0).dtype == np.int64


def test_update_moves_z_towards_the_label_and_leaves_inputs_alone():
    w, x = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    z_before = x @ w
    w_new, b_new = P.update(w, 0.0, x, 1, lr=0.1)
    assert x @ w_new + b_new > z_before  # a missed positive raises z
    assert w.tolist() == [0.5, -1.0]
    same_w, same_b = P.update(w, 0.0, x, 0)  # correct already: unchanged
    assert np.array_equal(same_w, w) and same_b == 0.0


def test_converges_on_separable_data_and_classifies_every_point():
    X, y = blobs(100, separation=2.0, seed=1)
    X = X + np.array([3.0, 1.0])
    result = P.train(X, y, max_epochs=1000)
    assert result.converged and result.mistakes[-1] == 0
    assert np.array_equal(P.predict(X, result.w, result.b), y)


def test_never_converges_on_xor():
    X, y = xor(4, noise=0.0)
    result = P.train(X, y, max_epochs=50)
    assert not result.converged and result.epochs == 50
    assert min(result.mistakes) >= 1


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: P.predict(np.zeros((3, 2)), np.zeros(3), 0.0),
            r"w must have shape \(D,\) \(with N=3, D=2\), got shape \(3,\)",
        ),
        (lambda: P.predict(np.zeros(3), np.zeros(3), 0.0), r"X must have shape \(N, D\), got shape \(3,\)"),
        (lambda: P.update(np.zeros(2), 0.0, np.zeros(3), 1), r"x must have shape \(D,\)"),
        (lambda: P.update(np.zeros(2), 0.0, np.zeros(2), -1), r"y must be 0 or 1, got -1"),
        (lambda: P.train(np.zeros((4, 2)), np.array([0, 1, 2, 1])), "only the labels 0 and 1"),
        (lambda: P.train(np.zeros((4, 2)), np.array([0, 1, 1])), r"y must have shape \(N,\)"),
    ],
)
def test_bad_input_names_the_expected_shape(call, message):
    with pytest.raises(ValueError, match=message):
        call()

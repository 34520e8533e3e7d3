"""The finite-difference checker itself: scale-aware (correct layers pass where rounding is large),
still strict (a wrong backward fails in the same places), several inputs, nested layers, losses."""

from __future__ import annotations

import numpy as np
import pytest

from nncourse import scratch as S
from nncourse.gradcheck import GradCheckResult, check_layer, gradcheck, numerical_gradient
from nncourse.scratch import functional as F


def randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------- basics
def test_numerical_gradient_of_known_function_and_restores_x() -> None:
    x = randn(3, 4)
    before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(x, before)  # every perturbation undone


def test_numerical_gradient_restores_x_when_f_raises() -> None:
    x = np.ones(3)

    def boom() -> float:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        numerical_gradient(boom, x)
    np.testing.assert_array_equal(x, np.ones(3))


def test_input_validation() -> None:
    x = randn(2, 3)
    with pytest.raises(ValueError, match=r"analytic must have shape \(2, 3\), got shape \(3, 2\)"):
        gradcheck(lambda: float(x.sum()), x, np.ones((3, 2)))
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: 0.0, x.astype(np.float32))
    with pytest.raises(ValueError, match="eps must be a positive number"):
        numerical_gradient(lambda: 0.0, x, eps=0.0)
    with pytest.raises(TypeError, match="tol must be a positive number"):
        gradcheck(lambda: 0.0, x, x, tol="small")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="x must be a numpy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one input"):
        check_layer(S.ReLU())


def test_result_string_format() -> None:
    r = GradCheckResult(max_rel_error=0.032, worst_index=(0, 3), analytic_value=0.512, numerical_value=0.498, ok=False)
    assert str(r) == "max relative error 3.2e-02 at index (0, 3): analytic 0.512, numerical 0.498"


def test_a_nan_gradient_never_passes() -> None:
    x = randn(3)
    assert not gradcheck(lambda: float(np.sum(x**2)), x, np.full(3, np.nan)).ok


# ---------------------------------------------------------------- correct layers pass where rounding is large ...
def _bn_batch2() -> tuple[S.Layer, np.ndarray]:
    return S.BatchNorm1d(3), randn(2, 3) * 3


HARD_CASES = {
    "sigmoid saturated": (S.Sigmoid, lambda: np.array([[-40.0, -25.0, 30.0], [36.0, 0.5, -0.5]])),
    "tanh saturated": (S.Tanh, lambda: np.array([[-20.0, 19.0, 25.0], [0.3, -0.7, 18.0]])),
    "gelu saturated": (S.GELU, lambda: np.array([[-12.0, -9.0, 30.0], [0.2, 6.0, -38.0]])),
    "softmax huge logits": (S.Softmax, lambda: np.array([[1000.0, 0.0, -1000.0], [5.0, 40.0, 3.0]])),
    "batchnorm batch 2": (lambda: S.BatchNorm1d(3), lambda: randn(2, 3) * 3),
    "batchnorm2d batch 1x2x1": (lambda: S.BatchNorm2d(2), lambda: randn(1, 2, 2, 1)),
    "batchnorm near 1e3": (lambda: S.BatchNorm1d(3), lambda: 1e3 + randn(6, 3)),
    "layernorm near 1e3": (lambda: S.LayerNorm(4), lambda: 1e3 + randn(3, 4)),
    "linear near 1e3": (lambda: S.Linear(4, 3), lambda: 1e3 + randn(5, 4)),
    "mlp near 1e3": (lambda: S.Sequential(S.Linear(4, 5), S.Tanh(), S.Linear(5, 2)), lambda: 1e3 * randn(3, 4)),
    "bias before batchnorm (true gradient 0)": (
        lambda: S.Sequential(S.Linear(3, 4), S.BatchNorm1d(4)),
        lambda: randn(6, 3),
    ),
}


@pytest.mark.parametrize("name", list(HARD_CASES))
def test_correct_layers_pass_where_rounding_is_large(name: str) -> None:
    make, x = HARD_CASES[name]
    results = check_layer(make(), x())
    assert all(r.ok for r in results.values()), {k: str(r) for k, r in results.items() if not r.ok}


def test_cross_entropy_with_huge_logits_passes() -> None:
    logits = np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0], [1.0, 2.0, 3.0]])
    assert all(r.ok for r in check_layer(S.CrossEntropyLoss(), logits, np.array([1, 1, 0])).values())


# ---------------------------------------------------------------- ... and a wrong backward still fails there
class WrongTanh(S.Tanh):
    """Tanh whose backward forgets the square in one entry: 1 - tanh instead of 1 - tanh^2 at (1, 2)."""

    def backward(self, dout: np.ndarray, cache: S.Cache) -> np.ndarray:
        dx = super().backward(dout, cache)
        x = cache["x_for_test"]
        dx[1, 2] = dout[1, 2] * (1 - np.tanh(x[1, 2]))
        return dx

    def forward(self, x: np.ndarray):
        out, cache = super().forward(x)
        cache["x_for_test"] = np.array(x, copy=True)
        return out, cache


class TrainFormulaMissing(S.BatchNorm1d):
    """BatchNorm whose backward treats the batch statistics as constants (the eval formula)."""

    def backward(self, dout: np.ndarray, cache: S.Cache) -> np.ndarray:
        cache["training"] = False
        return super().backward(dout, cache)


class OnePercentLinear(S.Linear):
    """A Linear whose weight gradient is 1% too large."""

    def backward(self, dout: np.ndarray, cache: S.Cache) -> np.ndarray:
        before = self.grads["weight"].copy()
        dx = super().backward(dout, cache)
        self.grads["weight"][...] = before + 1.01 * (self.grads["weight"] - before)
        return dx


def test_wrong_backward_is_caught_and_located() -> None:
    x = randn(3, 4, seed=1)
    result = check_layer(WrongTanh(), x)["input0"]
    assert not result.ok and result.worst_index == (1, 2)
    assert check_layer(S.Tanh(), x)["input0"].ok


@pytest.mark.parametrize("x", [randn(2, 3) * 3, 1e3 + randn(6, 3)], ids=["batch 2", "near 1e3"])
def test_wrong_batchnorm_backward_fails_where_the_right_one_passes(x: np.ndarray) -> None:
    assert not check_layer(TrainFormulaMissing(3), x)["input0"].ok
    assert check_layer(S.BatchNorm1d(3), x)["input0"].ok


def test_a_one_percent_error_near_1e3_is_caught() -> None:
    results = check_layer(OnePercentLinear(4, 3), 1e3 + randn(5, 4))
    assert results["input0"].ok and results["bias"].ok and not results["weight"].ok


# ---------------------------------------------------------------- several inputs, nesting, randomness
class Mul(S.Layer):
    """out = a * b (two inputs): backward returns one gradient per input."""

    def forward(self, a: np.ndarray, b: np.ndarray):
        return a * b, S.Cache(self, np.shape(a), {"a": a.copy(), "b": b.copy()})

    def backward(self, dout: np.ndarray, cache: S.Cache):
        dout, cache = self._start_backward(dout, cache)
        return dout * cache["b"], dout * cache["a"]


class Wrong2nd(Mul):
    def backward(self, dout: np.ndarray, cache: S.Cache):
        da, db = super().backward(dout, cache)
        return da, db * 2


def test_several_inputs_each_checked() -> None:
    a, b = randn(3, 2), randn(3, 2, seed=1)
    assert set(check_layer(Mul(), a, b)) == {"input0", "input1"}
    assert all(r.ok for r in check_layer(Mul(), a, b).values())
    wrong = check_layer(Wrong2nd(), a, b)
    assert wrong["input0"].ok and not wrong["input1"].ok


def test_nested_layers_with_dropout_replay_and_restored_buffers() -> None:
    inner = S.Sequential(S.Linear(4, 6), S.BatchNorm1d(6), S.Dropout(0.3, rng=2))
    net = S.Sequential(inner, S.GELU(), S.Linear(6, 2))
    x = randn(5, 4)
    x_before, buffers_before = x.copy(), {k: v.copy() for k, v in net.buffers.items()}
    results = check_layer(net, x)
    assert set(results) == {"input0", "0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "2.weight", "2.bias"}
    assert all(r.ok for r in results.values()), {k: str(r) for k, r in results.items() if not r.ok}
    np.testing.assert_array_equal(x, x_before)
    for k, v in net.buffers.items():
        np.testing.assert_array_equal(v, buffers_before[k])


def test_loss_target_is_not_checked_and_dout_scales() -> None:
    pred, target = randn(4, 3, seed=1), randn(4, 3, seed=2)
    results = check_layer(S.MSELoss(), pred, target)
    assert set(results) == {"input0"} and results["input0"].ok
    _, cache = F.mse_forward(pred, target)
    result = gradcheck(lambda: 3.0 * F.mse_forward(pred, target)[0], pred, F.mse_backward(3.0, cache))
    assert result.ok, str(result)

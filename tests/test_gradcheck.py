"""Finite-difference checks of every scratch layer and loss, and of the checker itself."""
from __future__ import annotations

import numpy as np
import pytest

from nncourse import scratch
from nncourse.gradcheck import GradCheckResult, check_layer, gradcheck, numerical_gradient


def randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------- the checker itself
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


def test_gradcheck_input_validation() -> None:
    x = randn(2, 3)
    with pytest.raises(ValueError, match=r"analytic must have shape \(2, 3\), got shape \(3, 2\)"):
        gradcheck(lambda: float(x.sum()), x, np.ones((3, 2)))
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: 0.0, x.astype(np.float32))
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(lambda: 0.0, x, eps=0.0)
    with pytest.raises(ValueError, match="numpy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])  # type: ignore[arg-type]


def test_result_string_format() -> None:
    r = GradCheckResult(max_rel_error=0.032, worst_index=(0, 3), analytic_value=0.512, numerical_value=0.498, ok=False)
    assert str(r) == "max relative error 3.2e-02 at index (0, 3): analytic 0.512, numerical 0.498"


class WrongTanh(scratch.Tanh):
    """Tanh whose backward forgets the square in one entry: 1 - tanh instead of 1 - tanh^2 at (1, 2)."""

    def backward(self, dout: np.ndarray, cache: scratch.Cache) -> np.ndarray:
        dx = super().backward(dout, cache)
        t = cache["out"]
        dx[1, 2] = dout[1, 2] * (1 - t[1, 2])
        return dx


def test_gradcheck_detects_a_wrong_backward_and_reports_where() -> None:
    x = randn(3, 4, seed=3)
    result = check_layer(WrongTanh(), x)["x"]
    assert not result.ok
    assert result.worst_index == (1, 2)
    assert result.max_rel_error > 1e-3
    assert result.analytic_value != pytest.approx(result.numerical_value, rel=1e-3)
    assert "at index (1, 2)" in str(result)
    assert check_layer(scratch.Tanh(), x)["x"].ok  # the correct one passes on the same input


def test_gradcheck_detects_a_wrong_parameter_gradient() -> None:
    class WrongLinear(scratch.Linear):
        def backward(self, dout: np.ndarray, cache: scratch.Cache) -> np.ndarray:
            dx = super().backward(dout, cache)
            self.grads["bias"] *= 2.0  # forgot that the bias gradient is a plain sum
            return dx

    results = check_layer(WrongLinear(3, 2), randn(4, 3))
    assert results["x"].ok and results["weight"].ok
    assert not results["bias"].ok
    assert results["bias"].max_rel_error == pytest.approx(1 / 3, rel=1e-4)  # |2g - g| / (|2g| + |g|)


# ---------------------------------------------------------------- every layer passes
LAYERS = {
    "linear": (lambda: scratch.Linear(4, 3), (5, 4)),
    "linear_nobias_batch1": (lambda: scratch.Linear(4, 3, bias=False), (1, 4)),
    "relu": (lambda: scratch.ReLU(), (4, 5)),
    "sigmoid": (lambda: scratch.Sigmoid(), (4, 5)),
    "tanh": (lambda: scratch.Tanh(), (1, 5)),
    "gelu": (lambda: scratch.GELU(), (4, 5)),
    "gelu_tanh": (lambda: scratch.GELU(approximate="tanh"), (4, 5)),
    "softmax": (lambda: scratch.Softmax(), (3, 4)),
    "softmax_dim0": (lambda: scratch.Softmax(dim=0), (3, 4)),
    "logsoftmax": (lambda: scratch.LogSoftmax(), (3, 2, 4)),
    "dropout_train": (lambda: scratch.Dropout(0.4, rng=1), (4, 5)),
    "dropout_eval": (lambda: scratch.Dropout(0.4).eval(), (4, 5)),
    "batchnorm_train": (lambda: scratch.BatchNorm1d(3), (6, 3)),
    "batchnorm_eval_batch1": (lambda: _trained_batchnorm().eval(), (1, 3)),
    "mlp": (
        lambda: scratch.Sequential(scratch.Linear(4, 6), scratch.Tanh(), scratch.Dropout(0.3), scratch.Linear(6, 2)),
        (5, 4),
    ),
}


def _trained_batchnorm() -> scratch.BatchNorm1d:
    bn = scratch.BatchNorm1d(3)
    bn.forward(randn(8, 3, seed=5) * 2 + 1)
    bn.params["weight"][...] = [0.5, 1.5, -2.0]
    return bn


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_passes_gradcheck(name: str) -> None:
    make, shape = LAYERS[name]
    layer = make()
    x = randn(*shape, seed=1)
    if name == "relu":
        x[np.abs(x) < 1e-3] = 0.5  # stay away from the kink, where the derivative is undefined
    results = check_layer(layer, x)
    assert set(results) == {"x", *layer.params}
    for key, result in results.items():
        assert result.ok, f"{name} {key}: {result}"


def test_check_layer_restores_buffers_and_leaves_x_alone() -> None:
    bn = scratch.BatchNorm1d(3)
    x = randn(6, 3)
    x_before = x.copy()
    check_layer(bn, x)
    np.testing.assert_array_equal(bn.buffers["running_mean"], np.zeros(3))
    np.testing.assert_array_equal(bn.buffers["running_var"], np.ones(3))
    np.testing.assert_array_equal(x, x_before)


def test_zero_true_gradient_needs_a_larger_tiny() -> None:
    # The bias of a Linear followed by BatchNorm has gradient exactly 0: both sides are rounding noise.
    net = scratch.Sequential(scratch.Linear(3, 4), scratch.BatchNorm1d(4))
    x = randn(6, 3)
    strict = check_layer(net, x)
    # 0.bias may fail here (noise / noise, a false alarm with the default floor); the rest pass
    assert abs(strict["0.bias"].analytic_value) < 1e-12
    assert all(r.ok for k, r in strict.items() if k != "0.bias")
    results = check_layer(net, x, tiny=1e-2)  # entries below 1e-2 judged by absolute error / 1e-2
    assert all(r.ok for r in results.values()), {k: str(r) for k, r in results.items()}


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("n,c", [(1, 3), (6, 4)])
def test_cross_entropy_passes_gradcheck(n: int, c: int) -> None:
    logits = randn(n, c, seed=n) * 2
    target = np.random.default_rng(c).integers(0, c, size=n)
    loss_fn = scratch.CrossEntropyLoss()
    _, cache = loss_fn.forward(logits, target)
    analytic = loss_fn.backward(cache)
    result = gradcheck(lambda: loss_fn.forward(logits, target)[0], logits, analytic)
    assert result.ok, str(result)


def test_mse_passes_gradcheck_with_upstream_scale() -> None:
    pred, target = randn(4, 3, seed=1), randn(4, 3, seed=2)
    loss_fn = scratch.MSELoss()
    _, cache = loss_fn.forward(pred, target)
    analytic = loss_fn.backward(cache, dout=3.0)
    result = gradcheck(lambda: 3.0 * loss_fn.forward(pred, target)[0], pred, analytic)
    assert result.ok, str(result)

"""Regularization reference: L2 penalty = torch's weight_decay, dropout with a mask = the scratch layer,
the early-stopping replay = fit(patience=...), and the ablation shows overfitting and the value of data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nncourse.chapters import ch07_regularization as reg
from nncourse.data import load_dataset, make_loader
from nncourse.gradcheck import numerical_gradient
from nncourse.scratch import Dropout
from nncourse.train import fit


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small models: one thread is fastest and deterministic
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


# ------------------------------------------------------------------------------------------ L2
def test_l2_penalty_value_and_gradient_match_finite_differences():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    penalty, grads = reg.l2_penalty(params, 0.3)
    assert penalty == pytest.approx(0.15 * (np.sum(params["W"] ** 2) + np.sum(params["b"] ** 2)))
    for name, value in params.items():
        numerical = numerical_gradient(lambda: reg.l2_penalty(params, 0.3)[0], value)
        np.testing.assert_allclose(grads[name], numerical, atol=1e-7)
    zero, zero_grads = reg.l2_penalty(params, 0.0)
    assert zero == 0.0 and not np.any(zero_grads["W"])


def test_l2_gradient_is_what_torch_sgd_weight_decay_adds():
    torch.manual_seed(0)
    layer = nn.Linear(5, 2).double()
    x, y = torch.randn(6, 5, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    before = {k: v.detach().numpy().copy() for k, v in layer.named_parameters()}
    opt = torch.optim.SGD(layer.parameters(), lr=0.2, weight_decay=0.05)
    opt.zero_grad()
    nn.functional.mse_loss(layer(x), y).backward()
    data_grads = {k: v.grad.numpy().copy() for k, v in layer.named_parameters()}
    opt.step()
    _, decay = reg.l2_penalty(before, 0.05)
    for name, p in layer.named_parameters():
        expected = before[name] - 0.2 * (data_grads[name] + decay[name])
        np.testing.assert_allclose(p.detach().numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("lam", [-0.1, float("nan"), True, "0.1"])
def test_l2_rejects_a_bad_strength(lam):
    with pytest.raises(ValueError, match="lam must be a number >= 0"):
        reg.l2_penalty({"W": np.ones(2)}, lam)


def test_l2_rejects_integer_arrays_by_name():
    with pytest.raises(ValueError, match="params\\['W'\\]"):
        reg.l2_penalty({"W": np.ones(3, dtype=np.int64)}, 0.1)


# ------------------------------------------------------------------------------------------ dropout
def test_dropout_forward_and_backward_equal_the_scratch_layer_with_its_mask():
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    layer = Dropout(0.3, rng=4)
    out, cache = layer.forward(x)
    np.testing.assert_array_equal(reg.dropout_forward(x, 0.3, cache["mask"]), out)
    np.testing.assert_array_equal(reg.dropout_backward(dout, 0.3, cache["mask"]), layer.backward(dout, cache))


def test_dropout_gradient_matches_finite_differences_and_p0_is_identity():
    rng = np.random.default_rng(2)
    x, mask = rng.normal(size=(3, 4)), rng.random((3, 4)) >= 0.4
    dout = rng.normal(size=(3, 4))
    numerical = numerical_gradient(lambda: float(np.sum(reg.dropout_forward(x, 0.4, mask) * dout)), x)
    np.testing.assert_allclose(reg.dropout_backward(dout, 0.4, mask), numerical, atol=1e-7)
    np.testing.assert_array_equal(reg.dropout_forward(x, 0.0, np.ones((3, 4), dtype=bool)), x)


def test_dropout_keeps_the_expectation_and_matches_torch_kept_values():
    x = np.full((50_000, 2), 3.0)
    out, _ = Dropout(0.5, rng=0).forward(x)
    assert abs(out.mean() - 3.0) < 0.05
    torch.manual_seed(0)
    t = nn.Dropout(0.5)(torch.full((1000,), 3.0))
    assert set(torch.unique(t).tolist()) == {0.0, 6.0}  # torch scales survivors by 1 / (1 - p) as we do
    assert set(np.unique(reg.dropout_forward(np.full(4, 3.0), 0.5, np.array([1, 0, 1, 0])))) == {0.0, 6.0}


def test_dropout_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        reg.dropout_forward(np.ones(3), 1.0, np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3\)"):
        reg.dropout_forward(np.ones((2, 3)), 0.5, np.ones((3, 2), dtype=bool))


# ------------------------------------------------------------------------------------------ early stopping
@pytest.mark.parametrize(
    "losses, patience, expected",
    [
        ([1.0, 0.8, 0.7, 0.75, 0.72, 0.6], 2, (2, 5)),
        ([1.0, 0.8, 0.7, 0.75, 0.72, 0.6], 3, (5, 6)),
        ([0.9, 0.5, 0.5, 0.4], 1, (1, 3)),  # a tie is not an improvement
        ([0.5, 0.4, 0.45, 0.3, 0.35], 10, (3, 5)),  # never stops: the best overall
        ([0.2], 1, (0, 1)),
    ],
)
def test_early_stopping_replay(losses, patience, expected):
    assert reg.early_stopping(losses, patience) == expected
    assert reg.early_stopping_epoch(losses, patience) == expected[0]


@pytest.mark.parametrize("patience", [0, -1, 2.5, True])
def test_early_stopping_rejects_bad_patience(patience):
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        reg.early_stopping([1.0, 0.5], patience)


def test_early_stopping_rejects_an_empty_run():
    with pytest.raises(ValueError, match="at least one epoch"):
        reg.early_stopping([], 3)


def test_replay_predicts_what_fit_with_patience_does(digits):
    def run(patience):
        torch.manual_seed(3)
        model = reg.make_regularized_mlp(64, 10, hidden=(64,))
        train = make_loader(digits.X_train[:100], digits.y_train[:100], batch_size=100)
        val = make_loader(digits.X_val, digits.y_val, batch_size=400, shuffle=False)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        history = fit(
            model, train, nn.CrossEntropyLoss(), opt, epochs=40, val_loader=val, patience=patience, progress=False
        )
        return model, history, val

    _, full, _ = run(None)
    best, ran = reg.early_stopping(full["val_loss"], 5)
    assert ran < 40, "the curve must turn upwards for this test to mean something"
    model, stopped, val = run(5)
    assert len(stopped) == ran
    with torch.no_grad():
        xb, yb = next(iter(val))
        restored = float(nn.CrossEntropyLoss()(model.eval()(xb), yb))
    assert restored == pytest.approx(full["val_loss"][best], abs=1e-6)


# ------------------------------------------------------------------------------------------ models and the ablation
def test_make_regularized_mlp_layers_and_parameter_count():
    net = reg.make_regularized_mlp(64, 10, hidden=(256, 256), dropout=0.5, batch_norm=True)
    kinds = [type(m).__name__ for m in net.layers]  # make_regularized_mlp builds the package MLP
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    plain = reg.make_regularized_mlp(64, 10)
    assert sum(p.numel() for p in plain.parameters()) == 64 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    assert net(torch.zeros(4, 64)).shape == (4, 10)


def test_train_config_rejects_too_many_examples(digits):
    with pytest.raises(ValueError, match="n_train must be between 2 and 1077"):
        reg.train_config(reg.AblationConfig("too many", n_train=5000), digits)


def test_ablation_shows_overfitting_and_that_more_data_helps(digits):
    configs = [
        reg.AblationConfig("none", n_train=80),
        reg.AblationConfig("more", n_train=400),
        reg.AblationConfig("wd", weight_decay=1.0, n_train=80),
    ]
    rows = reg.run_ablation(configs, digits, seed=0, epochs=40, hidden=(128,))
    by = {r["config"]: r for r in rows}
    assert [r["config"] for r in rows] == ["none", "more", "wd"]
    assert by["none"]["train_accuracy"] >= 0.99 and by["none"]["n_train"] == 80
    assert by["none"]["val_accuracy"] <= by["none"]["train_accuracy"] - 0.05  # a generalization gap
    assert by["more"]["val_accuracy"] >= by["none"]["val_accuracy"] + 0.03
    assert by["wd"]["weight_norm"] < by["none"]["weight_norm"]
    assert len(by["none"]["history"]["val_loss"]) == by["none"]["epochs_run"] == 40
    table = reg.format_rows(rows)
    assert table.splitlines()[0].startswith("config") and len(table.splitlines()) == 4


def test_ablation_is_reproducible_for_a_seed(digits):
    config = [{"name": "dropout", "dropout": 0.5, "n_train": 60}]
    a = reg.run_ablation(config, digits, seed=1, epochs=5, hidden=(32,))[0]
    b = reg.run_ablation(config, digits, seed=1, epochs=5, hidden=(32,))[0]
    assert a["history"] == b["history"] and a["config"] == "dropout"
    with pytest.raises(TypeError, match="AblationConfig or a dict"):
        reg.run_ablation(["dropout"], digits)

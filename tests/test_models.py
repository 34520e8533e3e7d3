"""Torch MLPs of chapter 05: parameter counts, shapes, dropout modes, shape errors and the digits recipe."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nncourse.models import MLP, FeedForward, FeedForwardConfig, count_parameters, digits_recipe, train_digits


def test_feedforward_has_5699_parameters_and_the_documented_layers():
    torch.manual_seed(0)
    model = FeedForward()
    assert count_parameters(model) == 5699 == (20 * 64 + 64) + (64 * 64 + 64) + (64 * 3 + 3)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == {
        "fc1.weight": (64, 20),
        "fc1.bias": (64,),
        "fc2.weight": (64, 64),
        "fc2.bias": (64,),
        "fc3.weight": (3, 64),
        "fc3.bias": (3,),
    }
    torch.testing.assert_close(model.act(torch.tensor([-1.5, 0.0, 2.0])), torch.tensor([0.0, 0.0, 2.0]))  # ReLU
    kept = model.drop(torch.ones(20_000))  # training mode: drops about 20 %, scales the rest by 1 / 0.8
    assert abs((kept == 0).float().mean().item() - 0.2) < 0.015
    torch.testing.assert_close(kept[kept != 0], torch.full_like(kept[kept != 0], 1.25))
    x = torch.randn(4, 20)
    torch.testing.assert_close(model.eval()(x), model(x))  # evaluation: no dropout, deterministic
    assert count_parameters(FeedForward.from_config(FeedForwardConfig(10, 8, 2, 0.0))) == (10 * 8 + 8) + (8 * 8 + 8) + (
        8 * 2 + 2
    )


def test_count_parameters_skips_frozen_parameters():
    model = MLP([4, 5, 3])
    assert count_parameters(model) == (4 * 5 + 5) + (5 * 3 + 3)
    model.layers[0].weight.requires_grad_(False)
    assert count_parameters(model) == 5 + (5 * 3 + 3)


@pytest.mark.parametrize("batch", [1, 7])
def test_forward_shapes(batch: int):
    torch.manual_seed(0)
    assert FeedForward()(torch.randn(batch, 20)).shape == (batch, 3)
    assert MLP([64, 128, 128, 10], dropout=0.2, batch_norm=batch > 1)(torch.randn(batch, 64)).shape == (batch, 10)


def test_mlp_layout_follows_its_options():
    kinds = [type(m).__name__ for m in MLP([8, 16, 16, 2], activation="tanh", dropout=0.5, batch_norm=True).layers]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout"] * 2 + ["Linear"]
    assert [type(m).__name__ for m in MLP([8, 2]).layers] == ["Linear"]  # no hidden layer: logistic regression
    assert count_parameters(MLP([8, 16, 2], batch_norm=True)) == (8 * 16 + 16) + 2 * 16 + (16 * 2 + 2)


@pytest.mark.parametrize(
    "make", [lambda: FeedForward(), lambda: MLP([20, 64, 64, 3], dropout=0.2)], ids=["FeedForward", "MLP"]
)
def test_dropout_is_active_in_train_mode_and_off_in_eval_mode(make):
    torch.manual_seed(0)
    model = make()
    x = torch.randn(16, 20)
    model.train()
    first, second = model(x), model(x)
    assert not torch.allclose(first, second)  # a fresh dropout mask each call
    model.eval()
    with torch.no_grad():
        a, b = model(x), model(x)
    assert torch.equal(a, b)
    # in eval mode dropout is the identity: the same as the layers applied without it
    with torch.no_grad():
        if isinstance(model, FeedForward):
            h = model.fc3(torch.relu(model.fc2(torch.relu(model.fc1(x)))))
        else:
            h = x
            for layer in model.layers:
                h = h if isinstance(layer, nn.Dropout) else layer(h)
    assert torch.allclose(h, a)
    model.train()
    assert not torch.allclose(model(x), a)  # and back on after train()


@pytest.mark.parametrize(
    "model, bad, expected",
    [
        (FeedForward(), torch.zeros(5, 64), "(*, 20)"),
        (FeedForward(), torch.zeros(20), "(*, 20)"),
        (MLP([64, 10]), torch.zeros(5, 8, 8), "(*, 64)"),
        (MLP([64, 10]), torch.zeros(64, 5), "(*, 64)"),
    ],
)
def test_bad_input_shapes_name_the_expected_shape(model, bad, expected):
    with pytest.raises(
        ValueError, match=r"x must have shape " + expected.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
    ):
        model(bad)


def test_bad_constructor_arguments_are_rejected():
    with pytest.raises(ValueError, match="at least an input and an output"):
        MLP([10])
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([10, 2], activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        FeedForward(dropout=1.0)
    with pytest.raises(ValueError, match="hidden"):
        FeedForward(hidden=0)


def test_state_dict_round_trip_gives_the_same_outputs(tmp_path):
    torch.manual_seed(0)
    model = FeedForward().eval()
    path = tmp_path / "ff.pt"
    torch.save(model.state_dict(), path)
    torch.manual_seed(1)
    other = FeedForward().eval()
    x = torch.randn(4, 20)
    assert not torch.allclose(other(x), model(x))
    other.load_state_dict(torch.load(path, weights_only=True))
    assert torch.equal(other(x), model(x))


def test_digits_recipe_reaches_the_accuracy_floor():
    recipe = digits_recipe()
    assert recipe.sizes[0] == 64 and recipe.sizes[-1] == 10
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the notebooks: one thread keeps float sums the same everywhere
    try:
        result = train_digits(seed=0)
    finally:
        torch.set_num_threads(threads)
    assert result.epochs == recipe.epochs and result.parameters == count_parameters(result.model)
    assert result.test_accuracy >= 0.97, f"digits test accuracy {result.test_accuracy:.3f} < 0.97"
    assert result.history["val_accuracy"][-1] >= 0.95
    assert result.history["train_loss"][-1] < 0.6 * result.history["train_loss"][0]

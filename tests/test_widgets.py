"""The notebooks' widgets, driven without a browser: set a control's value, check state, labels and plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from nncourse.widgets import ActivationExplorer, ConvolutionExplorer, OptimizerExplorer, Playground
from nncourse.widgets.activations import ACTIVATIONS
from nncourse.widgets.convolution import PRESETS, conv3x3


@pytest.fixture(scope="module")
def playground() -> Playground:
    torch.set_num_threads(1)
    return Playground(dataset="spirals", steps_per_click=50, chunk=25)


# ---------------------------------------------------------------------- playground
def test_playground_learns_spirals_and_reset_starts_over(playground: Playground):
    playground.reset()
    first = {k: v.clone() for k, v in playground.model.state_dict().items()}
    result = playground.train_steps(300)
    assert result["step"] == 300 and playground.step == 300
    assert result["accuracy"] >= 0.9, result
    assert result["loss"] < playground.losses[0]
    playground.reset()
    assert playground.step == 0 and playground.losses == []
    assert playground.status.value.startswith("step 0 |")
    for name, value in playground.model.state_dict().items():  # same seed: same initial weights
        assert torch.equal(value, first[name]), name


def test_playground_train_button_redraws_after_every_chunk(playground: Playground):
    playground.reset()
    frames: list[bytes] = []
    playground.image.observe(lambda change: frames.append(change["new"]), names="value")
    playground.train_button.click()  # 50 steps in chunks of 25
    assert playground.step == 50
    assert len(frames) == 2 and frames[0] != frames[1]
    assert playground.status.value.startswith("step 50 | loss ")
    assert not playground.train_button.disabled
    playground.reset_button.click()
    assert playground.step == 0


def test_playground_controls_rebuild_the_model(playground: Playground):
    playground.layers.value = 3
    playground.width.value = 8
    playground.activation.value = "tanh"
    linears = [m for m in playground.model.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears] == [8, 8, 8, 3]
    assert any(isinstance(m, torch.nn.Tanh) for m in playground.model.modules())
    X_before = playground.X.clone()
    playground.seed.value = 1
    assert not torch.equal(X_before, playground.X) and "seed 1" in playground.status.value
    playground.dataset.value = "xor"
    assert playground.n_classes == 2 and playground.step == 0 and "xor" in playground.status.value
    with playground._batch():  # back to the defaults for the other tests, one rebuild
        playground.layers.value, playground.width.value, playground.activation.value = 2, 32, "relu"
        playground.seed.value, playground.dataset.value = 0, "spirals"


def test_playground_l2_shrinks_the_weights(playground: Playground):
    def weight_norm(l2_on: bool) -> float:
        playground.l2_on.value = l2_on
        playground.l2.value = 1e-2
        playground.reset()
        playground.train_steps(100)
        return sum(
            (p.detach() ** 2).sum().item() for n, p in playground.model.named_parameters() if n.endswith("weight")
        )

    assert weight_norm(True) < 0.8 * weight_norm(False)
    playground.l2_on.value = False


def test_playground_rejects_unknown_data_set():
    with pytest.raises(ValueError, match="unknown data set 'blobz'"):
        Playground(dataset="blobz")


# ---------------------------------------------------------------------- activations
def test_activation_label_shows_the_max_derivative():
    ex = ActivationExplorer()
    assert ex.status.value.startswith("sigmoid: max |f'(x)| = 0.25 on [-6, 6]")
    first_plot = ex.image.value
    ex.dropdown.value = "tanh"
    assert ex.status.value.startswith("tanh: max |f'(x)| = 1 on [-6, 6]")
    assert ex.image.value != first_plot
    ex.set_activation("relu")
    assert ex.saturated == pytest.approx(0.5, abs=0.01)  # f' = 0 for x <= 0
    ex.set_activation("gelu")
    assert ex.max_derivative == pytest.approx(1.129, abs=1e-3)  # GELU overshoots slope 1 near x = 0.75


def test_activation_range_changes_the_saturated_share():
    ex = ActivationExplorer("tanh")
    wide = ex.saturated
    ex.set_range(-1.0, 1.0)
    assert ex.saturated == 0.0 < wide
    assert "on [-1, 1]" in ex.status.value
    with pytest.raises(ValueError, match="low < high"):
        ex.set_range(2.0, 1.0)
    with pytest.raises(ValueError, match="unknown activation"):
        ex.set_activation("swish")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_match_finite_differences(name: str):
    f, df = ACTIVATIONS[name]
    x = np.array([-3.1, -0.7, 0.4, 2.3])  # away from the kinks of relu and leaky relu
    h = 1e-6
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(df(x), numeric, atol=1e-6)


# ---------------------------------------------------------------------- optimizers
def test_optimizer_paths_differ_and_follow_the_controls():
    ex = OptimizerExplorer(lr=0.05, beta=0.9, steps=50)
    paths = ex.paths
    assert {k: p.shape for k, p in paths.items()} == {"sgd": (51, 2), "momentum": (51, 2), "adam": (51, 2)}
    assert not np.allclose(paths["adam"], paths["sgd"])
    assert not np.allclose(paths["momentum"], paths["sgd"])
    label_before = ex.status.value
    assert label_before.startswith("loss after 50 steps: gradient descent ")
    ex.lr.value = 0.01
    assert ex.status.value != label_before
    assert ex.final_losses["sgd"] > 0.01  # a smaller step leaves gradient descent further from the minimum


def test_optimizer_gradient_descent_path_is_plain_gd():
    ex = OptimizerExplorer(lr=0.05, steps=5)
    theta = ex.surface.start.copy()
    for t in range(1, 6):
        theta = theta - 0.05 * ex.surface.grad(theta)
        np.testing.assert_allclose(ex.paths["sgd"][t], theta, rtol=1e-12)


def test_optimizer_label_reports_divergence_and_beta_matters():
    ex = OptimizerExplorer()
    ex.set_params(lr=0.5, steps=60)  # above 2 / 20, gradient descent blows up on the bowl
    assert "gradient descent diverged" in ex.status.value
    adam_before = ex.paths["adam"].copy()
    ex.beta.value = 0.5
    assert not np.allclose(ex.paths["adam"], adam_before)
    ex.surface_choice.value = "Rosenbrock valley"
    assert ex.paths["sgd"][0].tolist() == ex.surface.start.tolist() == [-1.5, 2.0]


# ---------------------------------------------------------------------- convolution
def test_convolution_identity_returns_the_input():
    ex = ConvolutionExplorer()
    np.testing.assert_array_equal(ex.output, ex.input)
    assert ex.status.value.endswith(f"output min 0, max {ex.input.max():.3g}")


def test_convolution_presets_and_edits():
    ex = ConvolutionExplorer()
    first_plot = ex.image.value
    ex.preset.value = "edge x"
    np.testing.assert_array_equal(ex.kernel, PRESETS["edge x"])
    assert ex.image.value != first_plot
    assert f"max {ex.output.max():.3g}" in ex.status.value and ex.output.min() < 0
    ex.cells[4].value = 1.0  # edit one number: no preset matches any more
    assert ex.preset.value == "custom" and ex.kernel[1, 1] == 1.0
    ex.set_kernel(np.full((3, 3), 1 / 9))
    assert ex.preset.value == "blur"
    ex.index.value = 7
    assert ex.status.value.startswith(f"digit {ex.labels[7]} (#7), kernel blur")


def test_conv3x3_is_cross_correlation_with_zero_padding():
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(5, 6)), rng.normal(size=(3, 3))
    padded = np.pad(image, 1)  # (7, 8)
    expected = np.array([[np.sum(padded[i : i + 3, j : j + 3] * kernel) for j in range(6)] for i in range(5)])
    np.testing.assert_allclose(conv3x3(image, kernel), expected, atol=1e-5)
    with pytest.raises(ValueError, match=r"kernel must have shape \(3, 3\)"):
        conv3x3(image, np.ones((2, 2)))


# ---------------------------------------------------------------------- display
@pytest.mark.parametrize("make", [ActivationExplorer, OptimizerExplorer, ConvolutionExplorer])
def test_display_bundle_has_stable_text_and_a_widget_view(make):
    a, b = make(), make()
    bundle_a, bundle_b = a._repr_mimebundle_(), b._repr_mimebundle_()
    assert bundle_a["text/plain"] == bundle_b["text/plain"] == repr(a)
    assert repr(a).startswith(f"<{make.__name__}: interactive widget")
    view = bundle_a["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == a.widget.model_id != b.widget.model_id

"""Scratch convolution and pooling (nncourse.scratch.conv, .pool) against torch.nn.functional, in float64.

Kernels: values and every gradient within 1e-6 relative of torch over odd sizes, stride > 1, padding,
dilation, batch 1 and several channels; the explicit loops equal the vectorised kernels; finite
differences confirm every backward. Layers: torch's parameter names, shapes and init bounds, loaded
from a torch module's state, and the errors a learner will meet.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nncourse.gradcheck import check_layer
from nncourse.scratch.conv import Conv1d, Conv2d
from nncourse.scratch.functional import conv, pool
from nncourse.scratch.functional.conv import conv_output_size
from nncourse.scratch.pool import AvgPool2d, MaxPool2d


def close(ours: np.ndarray | None, theirs: torch.Tensor, what: str) -> None:
    expected = theirs.detach().numpy()
    assert ours is not None and ours.shape == expected.shape, (
        f"{what}: shape {getattr(ours, 'shape', None)} vs {expected.shape}"
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-12, err_msg=what)


def tensors(*arrays: np.ndarray | None) -> list[torch.Tensor | None]:
    return [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]


# (N, C_in, C_out, H, W, kernel, stride, padding, dilation)
CONV2D = [
    (2, 3, 4, 7, 9, 3, 1, 0, 1),
    (1, 1, 1, 5, 5, 5, 1, 0, 1),  # batch 1, one channel, kernel as large as the input
    (1, 2, 3, 8, 6, (3, 2), 2, 1, 2),
    (3, 4, 2, 11, 10, 3, 3, (1, 2), (2, 1)),  # stride does not divide evenly: floored like torch
    (2, 5, 6, 13, 7, (1, 3), (2, 1), (0, 3), 1),
    (1, 3, 2, 4, 4, 3, 2, 2, 3),  # padding wider than the input
]


@pytest.mark.parametrize("case", CONV2D, ids=lambda c: "-".join(map(str, c)))
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch_in_values_and_gradients(case: tuple, bias: bool) -> None:
    n, c_in, c_out, h, w, k, s, p, d = case
    kh, kw = (k, k) if isinstance(k, int) else k
    rng = np.random.default_rng(0)
    x, weight = rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_out, c_in, kh, kw))
    b = rng.standard_normal(c_out) if bias else None
    out, cache = conv.conv2d_forward(x, weight, b, stride=s, padding=p, dilation=d)
    xt, wt, bt = tensors(x, weight, b)
    out_t = F.conv2d(xt, wt, bt, stride=s, padding=p, dilation=d)
    close(out, out_t, "output")
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    dx, dweight, dbias = conv.conv2d_backward(dout, cache)
    close(dx, xt.grad, "dx")
    close(dweight, wt.grad, "dweight")
    if bias:
        close(dbias, bt.grad, "dbias")
    else:
        assert dbias is None
    # the explicit loops compute the same numbers
    np.testing.assert_allclose(
        conv.conv2d_forward_loops(x, weight, b, stride=s, padding=p, dilation=d), out, rtol=1e-12, atol=1e-12
    )
    for ours, loops in zip(
        (dx, dweight, dbias),
        conv.conv2d_backward_loops(dout, x, weight, has_bias=bias, stride=s, padding=p, dilation=d),
        strict=True,
    ):
        if ours is not None:
            np.testing.assert_allclose(loops, ours, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [(2, 3, 4, 13, 3, 2, 1, 2), (1, 1, 2, 5, 5, 1, 0, 1), (3, 2, 2, 9, 4, 3, 4, 1)])
def test_conv1d_matches_torch_in_values_and_gradients(case: tuple) -> None:
    n, c_in, c_out, length, k, s, p, d = case
    rng = np.random.default_rng(1)
    x, weight, b = (
        rng.standard_normal((n, c_in, length)),
        rng.standard_normal((c_out, c_in, k)),
        rng.standard_normal(c_out),
    )
    out, cache = conv.conv1d_forward(x, weight, b, stride=s, padding=p, dilation=d)
    xt, wt, bt = tensors(x, weight, b)
    out_t = F.conv1d(xt, wt, bt, stride=s, padding=p, dilation=d)
    close(out, out_t, "output")
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    for ours, theirs, name in zip(
        conv.conv1d_backward(dout, cache), (xt, wt, bt), ("dx", "dweight", "dbias"), strict=True
    ):
        close(ours, theirs.grad, name)


# (kernel_size, stride, padding, dilation) on x (N, C, H, W)
POOLS = [(2, None, 0, 1), (3, 2, 1, 1), ((3, 2), (1, 2), (1, 0), (2, 1)), (3, 1, 0, 1), (5, 3, 2, 1)]


@pytest.mark.parametrize("settings", POOLS, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9, 8), (1, 1, 7, 7)], ids=str)
def test_max_pool2d_matches_torch(settings: tuple, shape: tuple) -> None:
    k, s, p, d = settings
    x = np.random.default_rng(2).standard_normal(shape)
    out, cache = pool.max_pool2d_forward(x, k, s, p, d)
    (xt,) = tensors(x)
    out_t = F.max_pool2d(xt, k, s, p, d)
    close(out, out_t, "output")
    dout = np.random.default_rng(3).standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    close(pool.max_pool2d_backward(dout, cache), xt.grad, "dx")


@pytest.mark.parametrize("settings", [s[:3] for s in POOLS], ids=str)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(settings: tuple, count_include_pad: bool) -> None:
    k, s, p = settings
    x = np.random.default_rng(4).standard_normal((2, 3, 9, 8))
    out, cache = pool.avg_pool2d_forward(x, k, s, p, count_include_pad)
    (xt,) = tensors(x)
    out_t = F.avg_pool2d(xt, k, s, p, count_include_pad=count_include_pad)
    close(out, out_t, "output")
    dout = np.random.default_rng(5).standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    close(pool.avg_pool2d_backward(dout, cache), xt.grad, "dx")


LAYERS = {
    "Conv2d": (lambda: Conv2d(3, 2, 3, stride=2, padding=1, dilation=1, rng=0), (2, 3, 7, 6)),
    "Conv2d dilated, no bias": (
        lambda: Conv2d(2, 3, (2, 3), padding=(1, 0), dilation=2, bias=False, rng=1),
        (1, 2, 6, 7),
    ),
    "Conv1d": (lambda: Conv1d(2, 3, 3, stride=2, padding=2, dilation=2, rng=2), (2, 2, 9)),
    "MaxPool2d": (lambda: MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    "AvgPool2d": (lambda: AvgPool2d(2, stride=1, padding=1, count_include_pad=False), (1, 2, 5, 4)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_backward_agrees_with_finite_differences(name: str) -> None:
    make, shape = LAYERS[name]
    results = check_layer(make(), np.random.default_rng(6).standard_normal(shape))
    assert set(results) >= {"input0"}
    for what, result in results.items():
        assert result.ok, f"{name} d/d{what}: {result}"


@pytest.mark.parametrize(
    "ours,theirs,shape",
    [
        (
            lambda: Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
            lambda: nn.Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
            (2, 3, 9, 11),
        ),
        (lambda: Conv2d(2, 2, 3, bias=False), lambda: nn.Conv2d(2, 2, 3, bias=False), (1, 2, 5, 5)),
        (lambda: Conv1d(3, 5, 4, stride=3, padding=1), lambda: nn.Conv1d(3, 5, 4, stride=3, padding=1), (2, 3, 17)),
    ],
)
def test_layers_load_the_torch_twin_and_match_it(ours, theirs, shape) -> None:
    torch.manual_seed(0)
    layer, module = ours(), theirs().double()
    assert {k: v.shape for k, v in layer.params.items()} == {k: tuple(v.shape) for k, v in module.state_dict().items()}
    layer.load_torch(module)
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    out, cache = layer.forward(x)
    (xt,) = tensors(x)
    out_t = module(xt)
    close(out, out_t, "output")
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    close(layer.backward(dout, cache), xt.grad, "dx")
    for name, p in module.named_parameters():
        close(layer.grads[name], p.grad, f"grad of {name}")


def test_layers_take_unbatched_input_like_torch() -> None:
    rng = np.random.default_rng(12)
    torch.manual_seed(0)
    for layer, module, shape in (
        (Conv2d(3, 2, 3, padding=1), nn.Conv2d(3, 2, 3, padding=1), (3, 6, 5)),
        (Conv1d(2, 4, 3), nn.Conv1d(2, 4, 3), (2, 9)),
        (MaxPool2d(2), nn.MaxPool2d(2), (3, 6, 5)),
        (AvgPool2d(3, 1, 1), nn.AvgPool2d(3, 1, 1), (2, 5, 5)),
    ):
        if layer.params:
            layer.load_torch(module.double())
        x = rng.standard_normal(shape)
        out, cache = layer.forward(x)
        (xt,) = tensors(x)
        out_t = module(xt)
        close(out, out_t, f"{type(layer).__name__} output")
        dout = rng.standard_normal(out.shape)
        out_t.backward(torch.tensor(dout))
        close(layer.backward(dout, cache), xt.grad, f"{type(layer).__name__} dx")
        for name, p in module.named_parameters():
            close(layer.grads[name], p.grad, f"{type(layer).__name__} grad of {name}")


def test_pool_layers_match_torch_modules() -> None:
    x = np.random.default_rng(8).standard_normal((2, 3, 8, 7))
    for layer, module in ((MaxPool2d(2), nn.MaxPool2d(2)), (AvgPool2d(3, 2, 1), nn.AvgPool2d(3, 2, 1))):
        out, _ = layer.forward(x)
        close(out, module(torch.tensor(x)), type(layer).__name__)


def test_conv_init_follows_torchs_default_bounds() -> None:
    layer = Conv2d(16, 32, 3, rng=0)
    bound = 1 / math.sqrt(16 * 9)
    for name in ("weight", "bias"):
        values = layer.params[name]
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # uniform over the whole interval, not a narrower one
    assert layer.params["weight"].shape == (32, 16, 3, 3) and layer.params["weight"].dtype == np.float64
    assert np.array_equal(Conv2d(16, 32, 3, rng=0).params["weight"], layer.params["weight"])  # seeded


def test_backward_uses_the_weights_of_the_forward_pass() -> None:
    layer = Conv2d(2, 3, 3, rng=0)
    x = np.random.default_rng(9).standard_normal((2, 2, 5, 5))
    out, cache = layer.forward(x)
    dout = np.ones_like(out)
    expected = layer.backward(dout, cache).copy()
    layer.params["weight"] += 1.0  # e.g. an optimizer step between forward and backward
    x += 1.0
    np.testing.assert_array_equal(layer.backward(dout, cache), expected)


def test_float32_stays_float32() -> None:
    x = np.random.default_rng(10).standard_normal((1, 2, 6, 6)).astype(np.float32)
    layer = Conv2d(2, 2, 3, dtype=np.float32)
    out, cache = layer.forward(x)
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out), cache).dtype == np.float32
    pooling = MaxPool2d(2)
    out, cache = pooling.forward(x)
    assert out.dtype == np.float32 and pooling.backward(np.ones_like(out), cache).dtype == np.float32


def test_output_size_formula() -> None:
    assert conv_output_size(32, 5) == 28
    assert conv_output_size(28, 3, stride=2, padding=1) == 14
    assert conv_output_size(14, 5, stride=2) == 5  # (14 - 5) / 2 + 1 = 5.5, floored as torch does
    assert conv_output_size(10, 3, dilation=4) == 2
    for n, k, s, p, d in [(7, 3, 2, 1, 1), (14, 5, 2, 0, 1), (9, 2, 3, 2, 3)]:
        expected = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1]
        assert conv_output_size(n, k, s, p, d) == expected


def test_bad_input_gets_a_value_error_with_the_computed_sizes() -> None:
    rng = np.random.default_rng(11)
    w = rng.standard_normal((2, 3, 5, 5))
    with pytest.raises(
        ValueError, match=r"kernel extent 5 .* larger than the padded input 4 \(input 2 \+ 2 \* padding 1\)"
    ):
        conv.conv2d_forward(rng.standard_normal((1, 3, 2, 2)), w, padding=1)
    with pytest.raises(ValueError, match=r"kernel extent 9 \(kernel 5, dilation 2\) is larger than the padded input 8"):
        conv.conv1d_forward(rng.standard_normal((1, 3, 8)), rng.standard_normal((2, 3, 5)), dilation=2)
    with pytest.raises(
        ValueError,
        match=r"channels last \(NHWC\)\? Expected \(N, C_in, H, W\) with C_in=3 .* x.transpose\(0, 3, 1, 2\)",
    ):
        conv.conv2d_forward(rng.standard_normal((4, 8, 8, 3)), w)
    with pytest.raises(ValueError, match=r"x has 4 channels in dim 1 but weight expects C_in=3"):
        conv.conv2d_forward(rng.standard_normal((1, 4, 8, 8)), w)
    with pytest.raises(ValueError, match=r"got shape \(3, 8, 8\): add a batch axis"):
        conv.conv2d_forward(rng.standard_normal((3, 8, 8)), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) \(with C_out=2"):
        conv.conv2d_forward(rng.standard_normal((1, 3, 8, 8)), w, np.zeros(3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv.conv2d_forward(rng.standard_normal((1, 3, 8, 8)), w, stride=0)
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a tuple of 2 ints, got 2.5"):
        Conv2d(3, 2, 2.5)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half of kernel_size \(3, 3\)"):
        pool.max_pool2d_forward(rng.standard_normal((1, 1, 8, 8)), 3, padding=2)
    with pytest.raises(ValueError, match=r"kernel extent 3 .* larger than the padded input 2"):
        MaxPool2d(3).forward(rng.standard_normal((1, 1, 2, 5)))
    _, cache = Conv2d(3, 2, 5).forward(rng.standard_normal((1, 3, 8, 8)))
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 4, 4\)"):
        conv.conv2d_backward(np.ones((1, 2, 4, 5)), cache["kernel"])

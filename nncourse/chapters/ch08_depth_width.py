"""Depth vs width (chapter 08): target functions, hand-built ReLU networks, and a small 1-D trainer.

Every network here is a plain ``nn.Sequential`` made by :func:`make_relu_net_1d` — ``depth`` hidden layers of
``width`` ReLU units between a 1-D input and a 1-D output — so the hand-built networks and the trained
ones are the same kind of object:

    net = construct_sawtooth_net(4)           # 4 hidden layers of 2 units, weights set by hand
    net = make_relu_net_1d(width=64, depth=1, seed=0)  # the same family, random weights, ready to train
    mse = fit_regressor(net, x, y, steps=1500, lr=1e-2)

Inputs ``x`` are 1-D numpy arrays of shape ``(N,)`` on ``[-1, 1]``; models see them as ``(N, 1)``.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_array
from nncourse.models.mlp import count_parameters  # re-exported: chapter 08 counts with it


# --------------------------------------------------------------------------- targets
def smooth_target(x: np.ndarray) -> np.ndarray:
    """A smooth wiggly function on ``[-1, 1]``: ``sin(πx) + x·sin(3πx) / 2``. ``x: (N,)`` -> ``(N,)``."""
    check_array("x", x, ("N",))
    return np.sin(np.pi * x) + 0.5 * x * np.sin(3 * np.pi * x)


def tent(x: np.ndarray) -> np.ndarray:
    """The tent map ``1 - 2|x|``: it folds ``[-1, 1]`` onto itself, up then down. ``x: (N,)`` -> ``(N,)``."""
    check_array("x", x, ("N",))
    return 1 - 2 * np.abs(x)


def sawtooth(x: np.ndarray, k: int) -> np.ndarray:
    """The tent map composed ``k`` times: a triangle wave with ``2**(k-1)`` teeth and ``2**k`` linear pieces.

    ``x: (N,)`` in ``[-1, 1]`` -> ``(N,)`` in ``[-1, 1]``. ``k = 0`` is the identity.
    """
    check_array("x", x, ("N",))
    _check_k(k)
    out = np.asarray(x, dtype=np.float64)
    for _ in range(k):
        out = tent(out)
    return out


def _check_k(k: int) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
        raise ValueError(f"k must be a non-negative int, got {k!r}")


# --------------------------------------------------------------------------- networks
def make_relu_net_1d(
    width: int, depth: int, seed: int | None = 0, dtype: torch.dtype = torch.float32, init: str = "spread"
) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` ReLU units, input ``(N, 1)`` -> output ``(N, 1)``.

    ``seed`` fixes the initialisation (``None`` leaves torch's global generator alone). ``init``:
    ``"spread"`` (the default for training) gives every first-layer unit slope ``±1`` and a kink at a
    uniformly random point of the input range ``[-1, 1]`` (torch's default leaves many kinks outside
    the data, where they do nothing) and He-initialises the hidden-to-hidden layers (which keeps the
    signal's scale through ReLUs); ``"torch"`` or ``"none"`` keeps torch's default initialisation.
    """
    if width < 1 or depth < 1:
        raise ValueError(f"width and depth must be >= 1, got width={width}, depth={depth}")
    if init not in ("spread", "torch", "none"):
        raise ValueError(f"init must be 'spread', 'torch' or 'none', got {init!r}")
    if seed is not None:
        torch.manual_seed(seed)
    layers: list[nn.Module] = []
    fan_in = 1
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width, dtype=dtype), nn.ReLU()]
        fan_in = width
    layers.append(nn.Linear(fan_in, 1, dtype=dtype))
    if init == "spread":
        linears = [m for m in layers if isinstance(m, nn.Linear)]  # input, hidden-to-hidden..., output
        with torch.no_grad():
            sign = torch.randint(0, 2, (width,)).to(dtype) * 2 - 1  # (width,) slope +1 or -1
            kink = 2 * torch.rand(width, dtype=dtype) - 1  # (width,) kink positions in [-1, 1]
            linears[0].weight.copy_(sign[:, None])  # (width, 1)
            linears[0].bias.copy_(-sign * kink)  # unit i computes relu(sign_i * (x - kink_i))
            for layer in linears[1:-1]:  # hidden-to-hidden layers
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                layer.bias.zero_()
    return nn.Sequential(*layers)


def relu_net_1d_parameters(width: int, depth: int) -> int:
    """Parameter count of ``make_relu_net_1d(width, depth)`` without building it: ``3w + 1 + (depth - 1)(w² + w)``."""
    return 2 * width + (depth - 1) * (width * width + width) + width + 1


def _set_linear(layer: nn.Linear, weight: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(weight, dtype=layer.weight.dtype).reshape(layer.weight.shape))
        layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype).reshape(layer.bias.shape))


def construct_sawtooth_net(k: int) -> nn.Sequential:
    """The exact deep ReLU network for :func:`sawtooth` ``(x, k)``: ``k`` hidden layers of 2 units, float64.

    ``|u| = relu(u) + relu(-u)``, so ``tent(u) = 1 - 2·relu(u) - 2·relu(-u)``. Each hidden layer holds
    ``relu(u)`` and ``relu(-u)`` of the previous tent value ``u``; the combination ``1 - 2a - 2b`` is
    folded into the next layer's weights (and into the output layer at the end). ``6k + 1`` parameters.
    """
    _check_k(k)
    if k < 1:
        raise ValueError(f"k must be >= 1 for a network with hidden layers, got {k}")
    net = make_relu_net_1d(width=2, depth=k, seed=None, dtype=torch.float64, init="none")
    linears = [m for m in net if isinstance(m, nn.Linear)]
    _set_linear(linears[0], np.array([[1.0], [-1.0]]), np.zeros(2))  # (2, 1): relu(x), relu(-x)
    for layer in linears[1:-1]:  # u = 1 - 2a - 2b, then relu(u) and relu(-u)
        _set_linear(layer, np.array([[-2.0, -2.0], [2.0, 2.0]]), np.array([1.0, -1.0]))  # (2, 2)
    _set_linear(linears[-1], np.array([[-2.0, -2.0]]), np.ones(1))  # (1, 2): the last tent value
    return net


def interpolating_net(knots: np.ndarray, values: np.ndarray) -> nn.Sequential:
    """A one-hidden-layer ReLU network through the points ``(knots[i], values[i])``, linear in between.

    ``knots: (M + 1,)`` strictly increasing, ``values: (M + 1,)``; ``M`` hidden units, float64.
    ``f(x) = v_0 + Σ_i c_i relu(x - t_i)`` where ``c_i`` is the change of slope at knot ``t_i``
    (the first slope for ``i = 0``). Left of ``knots[0]`` the network is constant.
    """
    dims = check_array("knots", knots, ("M",))
    check_array("values", values, ("M",), dims=dims)
    knots, values = np.asarray(knots, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if len(knots) < 2 or not np.all(np.diff(knots) > 0):
        raise ValueError("knots must hold at least 2 strictly increasing values")
    slopes = np.diff(values) / np.diff(knots)  # (M,) slope of each segment
    changes = np.diff(slopes, prepend=0.0)  # (M,) slope added at each knot
    net = make_relu_net_1d(width=len(slopes), depth=1, seed=None, dtype=torch.float64, init="none")
    hidden, output = [m for m in net if isinstance(m, nn.Linear)]
    _set_linear(hidden, np.ones((len(slopes), 1)), -knots[:-1])  # unit i: relu(x - t_i)
    _set_linear(output, changes[None, :], values[:1])
    return net


def evaluate_1d(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Evaluate a 1-D model on ``x: (N,)``; returns ``(N,)`` in float64 numpy."""
    check_array("x", x, ("N",))
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        out = model(torch.as_tensor(np.asarray(x), dtype=dtype)[:, None])  # (N, 1)
    return out[:, 0].double().numpy()


# --------------------------------------------------------------------------- counting pieces
def count_pieces(x: np.ndarray, y: np.ndarray, tol: float = 1e-6) -> int:
    """Number of linear pieces of a piecewise-linear function sampled at sorted points ``x: (N,)``, ``y: (N,)``.

    A new piece starts wherever the slope between neighbouring samples changes by more than ``tol``
    (relative to the largest slope). A kink that falls strictly between two samples gives one short
    in-between slope, so adjacent slope changes are merged into one kink: the grid must be fine enough
    that two kinks never fall into neighbouring cells.
    """
    dims = check_array("x", x, ("N",))
    check_array("y", y, ("N",), dims=dims)
    if len(x) < 2 or not np.all(np.diff(x) > 0):
        raise ValueError("x must hold at least 2 strictly increasing values")
    slopes = np.diff(y) / np.diff(x)  # (N - 1,)
    scale = max(1.0, float(np.abs(slopes).max()))
    changed = np.abs(np.diff(slopes)) > tol * scale  # (N - 2,) True where a kink sits near x[i + 1]
    starts = changed & ~np.concatenate([[False], changed[:-1]])  # first of each run of changes
    return int(starts.sum()) + 1


def kinks_of_shallow_net(model: nn.Sequential, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """Sorted kink positions ``-b_i / w_i`` inside ``(lo, hi)`` of a one-hidden-layer 1-D ReLU network.

    A network with ``w`` hidden units has at most ``w`` kinks, hence at most ``w + 1`` linear pieces.
    """
    linears = [m for m in model if isinstance(m, nn.Linear)]
    if len(linears) != 2 or linears[0].in_features != 1:
        raise ValueError("expected a one-hidden-layer network with 1-D input (Linear, ReLU, Linear)")
    w = linears[0].weight.detach().double().numpy()[:, 0]  # (width,)
    b = linears[0].bias.detach().double().numpy()  # (width,)
    out = linears[1].weight.detach().double().numpy()[0]  # (width,)
    active = (w != 0) & (out != 0)  # a unit with zero slope in or out makes no kink
    kinks = -b[active] / w[active]
    return np.sort(kinks[(kinks > lo) & (kinks < hi)])


# --------------------------------------------------------------------------- training
def fit_regressor(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int = 1500, lr: float = 1e-2) -> float:
    """Full-batch Adam on the mean squared error, learning rate cosine-annealed to ``lr / 100``.

    ``x: (N,)``, ``y: (N,)``. Full-batch training has no randomness of its own: the seed lives in
    :func:`make_relu_net_1d`. Trains ``model`` in place and returns its final training MSE (a float).
    """
    dims = check_array("x", x, ("N",), finite=True)
    check_array("y", y, ("N",), dims=dims, finite=True)
    if steps < 1 or lr <= 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got steps={steps}, lr={lr}")
    dtype = next(model.parameters()).dtype
    inputs = torch.as_tensor(np.asarray(x), dtype=dtype)[:, None]  # (N, 1)
    targets = torch.as_tensor(np.asarray(y), dtype=dtype)[:, None]  # (N, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=lr / 100)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.mean((model(inputs) - targets) ** 2)  # scalar
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        final = float(torch.mean((model(inputs) - targets) ** 2))
    if not math.isfinite(final):
        raise RuntimeError("training diverged: the final MSE is not finite; lower lr")
    return final


def sweep(
    widths: list[int], depth: int, x: np.ndarray, y: np.ndarray, steps: int = 1500, lr: float = 1e-2, seed: int = 0
) -> list[dict]:
    """Train ``make_relu_net_1d(w, depth, seed)`` on ``(x, y)`` for each width; one row per width.

    Rows: ``{"depth", "width", "params", "mse", "seconds"}``.
    """
    rows = []
    for width in widths:
        model = make_relu_net_1d(width, depth, seed=seed)
        start = time.perf_counter()
        mse = fit_regressor(model, x, y, steps=steps, lr=lr)
        seconds = time.perf_counter() - start
        rows.append({"depth": depth, "width": width, "params": count_parameters(model), "mse": mse, "seconds": seconds})
    return rows


def params_to_reach(rows: list[dict], target_mse: float) -> int | None:
    """Fewest parameters among the ``rows`` (from :func:`sweep`) whose MSE is at most ``target_mse``; None if none."""
    reached = [row["params"] for row in rows if row["mse"] <= target_mse]
    return min(reached) if reached else None

"""PyTorch MLP (chapter 05 and its exercise): a ``Sequential`` MLP held as a plain ``state_dict`` of arrays.

The exercise passes networks as ``{name: array}`` dictionaries in torch's layout, so that they cross
the grader's wire as plain data::

    state = initial_state([2, 16, 2], seed=0)   # {"0.weight": (16, 2), "0.bias": (16,), "2.weight": (2, 16), ...}
    net = mlp_from_state(state)                 # Linear, ReLU, Linear as an nn.Sequential in float64
    logits = mlp_logits(X, state)               # (N, 2) numpy
    state = train_step(X, y, state, lr=1.0)     # one step of full-batch SGD on the mean cross-entropy
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from nncourse._validate import check_array
from nncourse.data import xor

State = dict[str, np.ndarray]
"""``{"0.weight": (H1, D), "0.bias": (H1,), "2.weight": (H2, H1), ...}``: Linear layers at even indices."""


def initial_state(sizes: list[int], seed: int = 0) -> State:
    """Torch's default initialisation of ``Linear(sizes[i], sizes[i + 1])`` layers, as float64 arrays."""
    if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive ints, got {sizes!r}")
    generator = torch.Generator().manual_seed(seed)
    state: State = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        bound = 1.0 / math.sqrt(fan_in)  # torch's Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        state[f"{2 * i}.weight"] = (
            (torch.rand(fan_out, fan_in, generator=generator, dtype=torch.float64) * 2 - 1) * bound
        ).numpy()
        state[f"{2 * i}.bias"] = (
            (torch.rand(fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
        ).numpy()
    return state


def mlp_from_state(state: State) -> nn.Sequential:
    """``Linear, ReLU, ..., Linear`` in float64 with the weights of ``state`` (torch layout: weight ``(out, in)``)."""
    if not isinstance(state, dict) or not state:
        raise TypeError(f"state must be a non-empty dict of arrays, got {type(state).__name__}")
    n_layers = len(state) // 2
    layers: list[nn.Module] = []
    for i in range(n_layers):
        weight = state.get(f"{2 * i}.weight")
        if weight is None or f"{2 * i}.bias" not in state:
            raise ValueError(f"state must hold '{2 * i}.weight' and '{2 * i}.bias', got keys {sorted(state)}")
        out_features, in_features = np.shape(weight)
        layers.append(nn.Linear(in_features, out_features, dtype=torch.float64))
        if i < n_layers - 1:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    net.load_state_dict(
        {name: torch.as_tensor(np.asarray(value), dtype=torch.float64) for name, value in state.items()}
    )
    return net


def mlp_logits(X: np.ndarray, state: State) -> np.ndarray:
    """The network's logits for inputs ``X: (N, D)``: ``(N, C)`` float64."""
    check_array("X", X, ("N", None))
    with torch.no_grad():
        return mlp_from_state(state)(torch.as_tensor(np.asarray(X), dtype=torch.float64)).numpy()


def train_step(X: np.ndarray, y: np.ndarray, state: State, lr: float) -> State:
    """One full-batch SGD step on the mean cross-entropy; returns the new state (the given one is unchanged)."""
    dims = check_array("X", X, ("N", None))
    check_array("y", y, ("N",), dims=dims, dtype_kind="iu")
    net = mlp_from_state(state)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    optimizer.zero_grad()
    logits = net(torch.as_tensor(np.asarray(X), dtype=torch.float64))  # (N, C)
    nn.functional.cross_entropy(logits, torch.as_tensor(np.asarray(y), dtype=torch.int64)).backward()
    optimizer.step()
    return {name: value.detach().numpy().copy() for name, value in net.state_dict().items()}


def loss_after(X: np.ndarray, y: np.ndarray, state: State, lr: float, steps: int) -> float:
    """The mean cross-entropy after ``steps`` full-batch SGD steps at learning rate ``lr`` (inf if it blows up).

    The same steps as ``steps`` calls of :func:`train_step`, on one network and one optimizer.
    """
    net = mlp_from_state(state)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    inputs = torch.as_tensor(np.asarray(X), dtype=torch.float64)  # (N, D)
    labels = torch.as_tensor(np.asarray(y), dtype=torch.int64)  # (N,)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a network this small runs fastest on one thread, and several threads stall on a busy CPU
    try:
        for _ in range(steps):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(inputs), labels).backward()
            optimizer.step()
        with torch.no_grad():
            loss = float(nn.functional.cross_entropy(net(inputs), labels))
    finally:
        torch.set_num_threads(threads)
    return loss if math.isfinite(loss) else math.inf


LR_GRID = (0.1, 0.3, 1.0, 3.0)


def choose_learning_rate(X: np.ndarray, y: np.ndarray, state: State, steps: int, target: float) -> float:
    """A learning rate with which ``steps`` SGD steps from ``state`` bring the loss below ``target``.

    The reference tries :data:`LR_GRID` from small to large and returns the first rate that works.
    """
    for lr in LR_GRID:
        if loss_after(X, y, state, lr, steps) < target:
            return lr
    raise ValueError(f"no learning rate in {LR_GRID} reaches loss {target} in {steps} steps")


def xor_problem(n: int = 60, seed: int = 0, hidden: int = 16) -> tuple[np.ndarray, np.ndarray, State]:
    """XOR data ``X: (n, 2)``, ``y: (n,)`` and a seeded ``2 -> hidden -> 2`` starting state."""
    X, y = xor(n, seed=seed)
    return X.astype(np.float64), y.astype(np.int64), initial_state([2, hidden, 2], seed=seed)

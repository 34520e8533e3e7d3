"""A multilayer perceptron on top of our own ``Tensor``, and a full-batch training loop.

No optimiser class: the update ``p.data -= lr * p.grad`` is written out in ``train_mlp`` so the
whole learning step is visible in one place.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nncourse._validate import check_array
from nncourse.autograd.tensor import Tensor, cross_entropy

_ACTIVATIONS = ("tanh", "relu", "sigmoid")


class Linear:
    """``y = x @ W + b`` with ``W`` of shape ``(in_features, out_features)`` and ``b`` of ``(out_features,)``.

    Initialised like ``torch.nn.Linear``: both drawn from ``U(-1/sqrt(in), 1/sqrt(in))``.
    Note ``W`` is stored transposed relative to torch's ``weight`` (``W == weight.T``).
    """

    def __init__(self, in_features: int, out_features: int, seed: int | np.random.Generator = 0) -> None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(in_features)
        self.W = Tensor(rng.uniform(-bound, bound, (in_features, out_features)), requires_grad=True)
        self.b = Tensor(rng.uniform(-bound, bound, (out_features,)), requires_grad=True)

    def __call__(self, x: Tensor) -> Tensor:
        """``x``: ``(N, in_features)`` -> ``(N, out_features)``."""
        return x @ self.W + self.b

    def parameters(self) -> list[Tensor]:
        return [self.W, self.b]


class MLP:
    """Stack of ``Linear`` layers with an activation between them (none after the last layer).

    Args:
        sizes: layer widths including input and output, e.g. ``(2, 16, 3)``.
        activation: ``"tanh"``, ``"relu"`` or ``"sigmoid"``.
        seed: seeds one ``np.random.default_rng`` shared by all layers, in order.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int = 0) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least input and output widths, got {tuple(sizes)}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        rng = np.random.default_rng(seed)
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activation
        self.layers = [Linear(i, o, rng) for i, o in zip(self.sizes[:-1], self.sizes[1:])]

    def __call__(self, x: Tensor | np.ndarray) -> Tensor:
        """``x``: ``(N, sizes[0])`` -> logits ``(N, sizes[-1])``."""
        h = x if isinstance(x, Tensor) else Tensor(x)
        check_array("x", h.data, (None, self.sizes[0]))
        for k, layer in enumerate(self.layers):
            h = layer(h)
            if k < len(self.layers) - 1:
                h = getattr(h, self.activation)()
        return h

    def parameters(self) -> list[Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class indices ``(N,)`` for inputs ``X`` of shape ``(N, sizes[0])``."""
        return self(np.asarray(X, dtype=np.float64)).data.argmax(axis=1)


def train_mlp(
    X: np.ndarray,
    y: np.ndarray,
    hidden: Sequence[int] = (16,),
    lr: float = 0.5,
    steps: int = 500,
    seed: int = 0,
    *,
    activation: str = "tanh",
    momentum: float = 0.9,
    model: MLP | None = None,
) -> list[float]:
    """Train an MLP classifier with full-batch gradient descent (with momentum) on cross-entropy.

    Args:
        X: ``(N, D)`` float inputs.
        y: ``(N,)`` integer labels in ``[0, C)``; ``C = y.max() + 1``.
        hidden: hidden-layer widths.
        lr: learning rate.
        steps: number of full-batch updates.
        seed: seed for the weight initialisation.
        activation: hidden activation, see ``MLP``.
        momentum: heavy-ball coefficient ``mu`` in ``v = mu*v + grad; p -= lr*v`` (0 for plain GD).
        model: train this ``MLP`` in place instead of building a new one (then ``hidden``,
            ``activation`` and ``seed`` are ignored); pass it to read predictions afterwards.

    Returns:
        The loss before each update, ``steps`` floats.
    """
    dims = check_array("X", X, ("N", "D"), dtype_kind="fiu")
    y = np.asarray(y)
    check_array("y", y, ("N",), dims=dims, dtype_kind="iu")
    if model is None:
        model = MLP((dims["D"], *hidden, int(y.max()) + 1), activation=activation, seed=seed)
    params = model.parameters()
    velocity = [np.zeros_like(p.data) for p in params]
    inputs = Tensor(np.asarray(X, dtype=np.float64))
    losses: list[float] = []
    for _ in range(steps):
        loss = cross_entropy(model(inputs), y)
        model.zero_grad()
        loss.backward()
        for p, v in zip(params, velocity):
            v *= momentum
            v += p.grad
            p.data -= lr * v
        losses.append(loss.item())
    return losses

"""A multilayer perceptron on top of our own ``Tensor``, and a full-batch training loop.

No optimiser class: the update ``p.data -= lr * p.grad`` is written out in ``train_mlp`` so the
whole learning step is visible in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from nncourse._validate import check_array, check_choice, check_hyper, check_int
from nncourse.autograd.tensor import Tensor, cross_entropy

_ACTIVATIONS = ("tanh", "relu", "sigmoid")


class Linear:
    """``y = x @ weight.T + bias``, the layout of ``torch.nn.Linear`` and ``nncourse.scratch.Linear``.

    ``weight`` has shape ``(out_features, in_features)``, ``bias`` ``(out_features,)``; both are drawn
    from ``U(-1/sqrt(in), 1/sqrt(in))`` like torch's defaults (with numpy's generator, so the numbers differ).
    """

    def __init__(self, in_features: int, out_features: int, seed: int | np.random.Generator = 0) -> None:
        in_features, out_features = check_int("in_features", in_features), check_int("out_features", out_features)
        if not isinstance(seed, np.random.Generator):
            seed = check_int("seed", seed, low=0)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Tensor(rng.uniform(-bound, bound, (out_features, in_features)), requires_grad=True)
        self.bias = Tensor(rng.uniform(-bound, bound, (out_features,)), requires_grad=True)

    def __call__(self, x: Tensor) -> Tensor:
        """``x``: ``(*, in_features)`` -> ``(*, out_features)``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"x must be a Tensor, got {type(x).__name__}")
        if x.ndim < 2 or x.shape[-1] != self.in_features:
            raise ValueError(f"x must have shape (*, {self.in_features}) with at least 2 axes, got shape {x.shape}")
        return x @ self.weight.T + self.bias

    def parameters(self) -> list[Tensor]:
        return [self.weight, self.bias]


class MLP:
    """Stack of ``Linear`` layers with an activation between them (none after the last layer).

    Args:
        sizes: layer widths including input and output, e.g. ``(2, 16, 3)``.
        activation: ``"tanh"``, ``"relu"`` or ``"sigmoid"``.
        seed: seeds one ``np.random.default_rng`` shared by all layers, in order.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int = 0) -> None:
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise TypeError(f"sizes must be a sequence of layer widths, e.g. (2, 16, 3), got {sizes!r}")
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least input and output widths, got {tuple(sizes)}")
        self.sizes = tuple(check_int(f"sizes[{k}]", s) for k, s in enumerate(sizes))
        check_choice("activation", activation, _ACTIVATIONS)
        rng = np.random.default_rng(check_int("seed", seed, low=0))
        self.activation = activation
        self.layers = [Linear(i, o, rng) for i, o in pairwise(self.sizes)]

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
    lr, momentum = check_hyper("lr", lr), check_hyper("momentum", momentum)
    steps = check_int("steps", steps)
    if model is not None and not isinstance(model, MLP):
        raise TypeError(f"model must be an nncourse.autograd.MLP, got {type(model).__name__}")
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
        for p, v in zip(params, velocity, strict=True):
            v *= momentum
            v += p.grad
            p.data -= lr * v
        losses.append(loss.item())
    return losses

"""Chapter 03: a multilayer perceptron in numpy, built from ``nncourse.scratch`` layers.

Two groups of helpers:

* model helpers: ``make_scratch_mlp(sizes)`` builds ``Linear -> act -> ... -> Linear`` as a scratch
  ``Sequential``; ``train_numpy_mlp`` trains it on class labels with a ``nncourse.optim`` optimizer;
  ``predict_classes`` / ``accuracy`` read it out.
* functional references for the exercise, in the *math* convention ``Z = X @ W + b`` with
  ``W: (D_in, D_out)``. The scratch ``Linear`` (like ``torch.nn.Linear``) stores ``weight = W.T`` of
  shape ``(D_out, D_in)``; every function below converts and then calls the scratch layers, so the
  maths lives in one place only:

      linear_forward(X, W, b) -> Z                           X (N, D), W (D, H), b (H,) -> Z (N, H)
      linear_backward(dZ, X, W) -> (dX, dW, db)              dX (N, D), dW (D, H), db (H,)
      relu_backward(dout, x) -> dx                           any shape; zero where x <= 0
      softmax_cross_entropy_backward(logits, y) -> dlogits   mean loss over the N rows
      mlp_gradients(X, y, W1, b1, W2, b2) -> {"W1", "b1", "W2", "b2"}
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from nncourse._validate import check_array
from nncourse.optim import Optimizer
from nncourse.scratch import CrossEntropyLoss, Layer, Linear, ReLU, Sequential, Sigmoid, Tanh
from nncourse.scratch import functional as F

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
"""Name -> scratch activation class, for ``make_scratch_mlp``."""


# ---------------------------------------------------------------------------------------------- models
def make_scratch_mlp(sizes: Sequence[int], activation: str = "relu", seed: int = 0) -> Sequential:
    """``Linear(sizes[0], sizes[1]) -> act -> ... -> Linear(sizes[-2], sizes[-1])`` as a scratch Sequential.

    Args:
        sizes: layer widths, input first and output last, e.g. ``[2, 16, 3]`` (at least two entries).
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``, placed between the Linear layers.
        seed: seeds every Linear's initialisation (torch's default uniform distribution).

    Input of the model: ``(N, sizes[0])``; output: ``(N, sizes[-1])`` raw scores (logits).
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints (input, ..., output), got {sizes!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        layers.append(Linear(int(fan_in), int(fan_out), rng=rng))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)


def mlp_from_weights(*weights: tuple[np.ndarray, np.ndarray], activation: str = "relu") -> Sequential:
    """A scratch MLP whose Linear layers hold the given ``(W, b)`` pairs, ``W: (D_in, D_out)``.

    ``mlp_from_weights((W1, b1), (W2, b2))`` is ``Linear -> ReLU -> Linear`` with
    ``weight = W1.T, bias = b1`` and so on. The arrays are copied.
    """
    if not weights:
        raise ValueError("give at least one (W, b) pair")
    sizes: list[int] = []
    for k, pair in enumerate(weights, start=1):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"weights must be (W, b) pairs; item {k} is {type(pair).__name__}")
        W, b = pair
        dims = check_array(f"W{k}", W, ("D_in", "D_out"), dtype_kind="f")
        check_array(f"b{k}", b, ("D_out",), dims=dims, dtype_kind="f")
        if sizes and sizes[-1] != dims["D_in"]:
            raise ValueError(f"W{k} must have shape ({sizes[-1]}, D_out) to follow W{k - 1}, got shape {np.shape(W)}")
        sizes = sizes or [dims["D_in"]]
        sizes.append(dims["D_out"])
    model = make_scratch_mlp(sizes, activation)
    for layer, (W, b) in zip(model.layers[::2], weights, strict=True):
        layer.params["weight"][...] = np.asarray(W).T  # scratch/torch layout: (D_out, D_in)
        layer.params["bias"][...] = b
    return model


def _check_labels(X: np.ndarray, y: np.ndarray, n_inputs: int | None = None) -> None:
    dims = check_array("X", X, ("N", n_inputs if n_inputs else "D"), dtype_kind="f")
    check_array("y", y, ("N",), dims=dims, dtype_kind="iu")


def train_numpy_mlp(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` with cross-entropy on labels ``y``; return the mean training loss of each epoch.

    Args:
        model: a scratch Sequential mapping ``(N, D)`` to logits ``(N, C)``; updated in place.
        X: ``(N, D)`` float inputs; y: ``(N,)`` integer labels in ``[0, C)``.
        optimizer: a ``nncourse.optim`` optimizer; ``optimizer.step(model.params, model.grads)``.
        epochs: passes over the data.
        batch_size: rows per step; ``None`` means the full batch (one step per epoch).
        seed: seeds the shuffling of the mini-batches (unused for full batches).
    """
    _check_labels(X, y, getattr(model.layers[0], "in_features", None))
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    n = len(y)
    batch_size = n if batch_size is None else int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    rng = np.random.default_rng(seed)
    criterion = CrossEntropyLoss()
    params, grads = model.params, model.grads  # merged views of the layers' own arrays
    model.train()
    losses = []
    for _ in range(int(epochs)):
        order = np.arange(n) if batch_size >= n else rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            logits, caches = model.forward(X[rows])  # (B, C)
            loss, loss_cache = criterion.forward(logits, y[rows])
            model.zero_grad()  # backward adds into model.grads
            model.backward(criterion.backward(1.0, loss_cache), caches)
            optimizer.step(params, grads)
            total += loss * len(rows)
        losses.append(total / n)
    return losses


def predict_classes(model: Sequential, X: np.ndarray) -> np.ndarray:
    """Class labels ``(N,)``: the arg-max of the model's logits for ``X: (N, D)``."""
    logits, _ = model.forward(X)  # (N, C)
    return logits.argmax(axis=1)


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of ``X: (N, D)`` whose predicted class equals ``y: (N,)``."""
    _check_labels(X, y)
    return float(np.mean(predict_classes(model, X) == y))


# ------------------------------------------------------------------------------- functional references
def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Z = X @ W + b``. X: (N, D), W: (D, H), b: (H,) -> Z: (N, H)."""
    dims = check_array("X", X, ("N", "D"), dtype_kind="f")
    check_array("W", W, ("D", "H"), dims=dims, dtype_kind="f")
    check_array("b", b, ("H",), dims=dims, dtype_kind="f")
    f64 = [np.asarray(a, dtype=np.float64) for a in (X, W, b)]
    return F.linear_forward(f64[0], f64[1].T, f64[2])[0]  # kernel layout: weight = W.T, (H, D)


def linear_backward(dZ: np.ndarray, X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of ``Z = X @ W + b`` given ``dZ = dL/dZ``.

    dZ: (N, H), X: (N, D), W: (D, H) -> ``(dX, dW, db)`` with
    ``dX = dZ @ W.T: (N, D)``, ``dW = X.T @ dZ: (D, H)``, ``db = dZ.sum(axis=0): (H,)``.
    """
    dims = check_array("X", X, ("N", "D"), dtype_kind="f")
    check_array("W", W, ("D", "H"), dims=dims, dtype_kind="f")
    check_array("dZ", dZ, ("N", "H"), dims=dims, dtype_kind="f")
    W64 = np.asarray(W, dtype=np.float64)
    _, cache = F.linear_forward(np.asarray(X, dtype=np.float64), W64.T, np.zeros(W64.shape[1]))
    dX, dweight, db = F.linear_backward(np.asarray(dZ, dtype=np.float64), cache)
    assert db is not None  # the forward pass had a bias
    return dX, dweight.T, db  # dW: (D, H), db: (H,)


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient through ``relu(x)``: ``dout`` where ``x > 0``, else 0. dout, x: same shape -> dx."""
    check_array("x", x, None, dtype_kind="f")
    check_array("dout", dout, np.shape(x), dtype_kind="f")
    _, cache = F.relu_forward(np.asarray(x))
    return F.relu_backward(np.asarray(dout), cache)


def mlp_gradients(
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy of ``relu(X @ W1 + b1) @ W2 + b2`` against labels ``y``.

    X: (N, D), y: (N,) ints in [0, C), W1: (D, H), b1: (H,), W2: (H, C), b2: (C,)
    -> ``{"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}``.
    """
    dims = check_array("X", X, ("N", "D"), dtype_kind="f")
    check_array("y", y, ("N",), dims=dims, dtype_kind="iu")
    check_array("W1", W1, ("D", "H"), dims=dims, dtype_kind="f")
    check_array("b1", b1, ("H",), dims=dims, dtype_kind="f")
    check_array("W2", W2, ("H", "C"), dims=dims, dtype_kind="f")
    check_array("b2", b2, ("C",), dims=dims, dtype_kind="f")
    f64 = [np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2)]
    model = mlp_from_weights((f64[0], f64[1]), (f64[2], f64[3]))
    criterion = CrossEntropyLoss()
    logits, caches = model.forward(np.asarray(X, dtype=np.float64))  # (N, C)
    _, loss_cache = criterion.forward(logits, y)
    model.backward(criterion.backward(1.0, loss_cache), caches)  # a fresh model: its grads start at 0
    g = model.grads  # torch layout: "0.weight" (H, D), "2.weight" (C, H)
    return {
        "W1": g["0.weight"].T.copy(),
        "b1": g["0.bias"].copy(),
        "W2": g["2.weight"].T.copy(),
        "b2": g["2.bias"].copy(),
    }

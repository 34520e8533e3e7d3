"""Exercise 10: CNNs. Two tasks: predict a conv stack's parameter count and output shape
(``conv_stack_size``), and build and train a CNN that classifies the generated shapes images
(``train_shape_classifier``) to a stated test accuracy.

Both work on plain data (the grader's sandbox returns no torch objects): the stack is a list of layer
specs, the classifier returns its predicted labels.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "10_cnns"
TARGET_ACCURACY = 0.80
"""What ``train_shape_classifier`` must reach on the test images (an MLP gets about 0.45)."""


# --------------------------------------------------------------------------------------- conv stacks
def conv_stack_size(input_shape: Sequence[int], layers: Sequence[Sequence[Any]]) -> tuple[int, tuple[int, ...]]:
    """Reference: build the stack in torch, count its parameters, and push one zero image through it.

    ``input_shape`` is ``(C, H, W)``; each layer is ``("conv", out_channels, kernel, stride, padding)``
    (with bias), ``("pool", k)`` (max-pool k x k, stride k), ``("bn",)`` (BatchNorm2d), ``("relu",)``,
    ``("flatten",)`` or ``("linear", out_features)`` (with bias). Returns ``(parameters, output shape
    without the batch axis)``.
    """
    import torch
    from torch import nn

    input_shape = tuple(int(d) for d in input_shape)
    channels, modules = input_shape[0], []
    for spec in layers:
        kind = spec[0]
        if kind == "conv":
            _, out, k, stride, pad = spec
            modules.append(nn.Conv2d(channels, out, k, stride=stride, padding=pad))
            channels = out
        elif kind == "pool":
            modules.append(nn.MaxPool2d(spec[1]))
        elif kind == "bn":
            modules.append(nn.BatchNorm2d(channels))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind == "linear":
            with torch.no_grad():  # the number of features reaching this layer
                features = int(nn.Sequential(*modules)(torch.zeros(1, *input_shape)).shape[1])
            modules.append(nn.Linear(features, spec[1]))
        else:
            raise ValueError(f"unknown layer kind {kind!r}")
    stack = nn.Sequential(*modules).eval()
    with torch.no_grad():
        out = stack(torch.zeros(1, *input_shape))
    return sum(p.numel() for p in stack.parameters()), tuple(int(d) for d in out.shape[1:])


def _random_stack(rng: np.random.Generator) -> tuple[tuple[int, int, int], list[tuple]]:
    size = int(rng.choice([16, 24, 28, 32]))
    shape = (int(rng.choice([1, 3])), size, size)
    layers: list[tuple] = []
    for _ in range(int(rng.integers(2, 4))):
        k = int(rng.choice([3, 5]))
        stride = int(rng.choice([1, 1, 2]))
        pad = int(rng.choice([0, k // 2]))
        if (size + 2 * pad - k) // stride + 1 < 2:
            break
        layers.append(("conv", int(rng.choice([4, 8, 16, 32])), k, stride, pad))
        size = (size + 2 * pad - k) // stride + 1
        if rng.random() < 0.5:
            layers.append(("bn",))
        layers.append(("relu",))
        if size >= 4 and rng.random() < 0.6:
            layers.append(("pool", 2))
            size //= 2
    if rng.random() < 0.5:
        layers += [("flatten",), ("linear", int(rng.choice([10, 5])))]
    return shape, layers


def _stack_cases(seed: int, n_random: int, public: bool) -> list[Case]:
    cases = []
    if public:
        cases = [
            Case(
                "one 3x3 conv, same padding", ((1, 8, 8), [("conv", 32, 3, 1, 1)]),
                hint="a conv has out_channels * (in_channels * k * k + 1) parameters; padding 1 keeps a 3x3 conv's size",
            ),
            Case(
                "stride 2, no padding", ((3, 32, 32), [("conv", 16, 5, 2, 0), ("relu",)]),
                hint="output size = floor((n + 2 * padding - k) / stride) + 1",
            ),
            Case(
                "conv, batch norm, pool, linear", ((1, 28, 28), [("conv", 8, 3, 1, 1), ("bn",), ("relu",), ("pool", 2), ("flatten",), ("linear", 10)]),
                hint="batch norm has 2 parameters per channel; pooling has none and halves the size; flatten gives C * H * W features",
            ),
        ]
    rng = np.random.default_rng(seed)
    for i in range(n_random):
        shape, layers = _random_stack(rng)
        cases.append(Case(f"stack {i + 1} on {shape}", (shape, layers)))
    return cases


# -------------------------------------------------------------------------------- shapes classifier
@dataclass
class LabelledCase(Case):
    """A case whose true test labels stay with the grader: they are not among the learner's arguments."""

    y_test: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def train_shape_classifier(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, seed: int) -> np.ndarray:
    """Reference: a two-block CNN (16 channels each) trained for 10 epochs with Adam; returns the
    predicted labels of ``X_test: (N, 1, 16, 16)`` as ``(N,)`` ints."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 4),
    )
    X, y = torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=torch.long)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    order = torch.Generator().manual_seed(seed)
    for _ in range(10):
        for idx in torch.randperm(len(X), generator=order).split(32):
            loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(X_test, dtype=torch.float32)).argmax(dim=1).numpy()


def _verify_accuracy(case: Case, expected: Any, got: Any) -> str | None:
    y_test = case.y_test  # type: ignore[attr-defined]
    if hasattr(got, "detach"):
        got = got.detach().cpu().numpy()
    if not isinstance(got, np.ndarray):
        return f"return the predicted labels as a numpy array of shape {y_test.shape}, got {type(got).__name__}"
    if got.shape != y_test.shape:
        return f"expected predictions of shape {y_test.shape} (one label per test image), got {got.shape}"
    if got.dtype.kind not in "iu":
        return f"predictions should be integer class labels (0-3), got dtype {got.dtype}; use .argmax(dim=1)"
    acc = float(np.mean(got == y_test))
    if acc < TARGET_ACCURACY:
        return f"test accuracy {acc:.2f} is below the target {TARGET_ACCURACY:.2f}"
    return None


def _shape_cases(seeds: Sequence[int]) -> list[Case]:
    from nncourse.data import make_shapes

    cases = []
    for seed in seeds:
        data = make_shapes(n=1000, seed=seed)  # 600 / 200 / 200; train on train + validation
        X_train = np.concatenate([data.X_train, data.X_val])
        y_train = np.concatenate([data.y_train, data.y_val])
        cases.append(LabelledCase(
            f"shapes set {seed} (800 training, 200 test images)", (X_train, y_train, data.X_test, 0),
            hint="convolutions with padding, batch norm, ReLU and pooling, then one Linear layer; train ~10 epochs with Adam",
            y_test=data.y_test,
        ))
    return cases


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="CNNs",
    tasks=[
        Task(
            "conv_stack_size", conv_stack_size,
            lambda: _stack_cases(0, 2, public=True), lambda: _stack_cases(100, 6, public=False), points=2,
            outputs=("parameters", "output_shape"),
        ),
        Task(
            "train_shape_classifier", train_shape_classifier,
            lambda: _shape_cases((10,)), lambda: _shape_cases((21,)), points=2, verify=_verify_accuracy,
        ),
    ],
    prelude="import numpy as np\nimport torch\nfrom torch import nn\n",
    imports=("torch", "torch._dynamo"),  # torch.optim imports torch._dynamo lazily, which needs a temp dir: load it before the sandbox
)

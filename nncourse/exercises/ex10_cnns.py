"""Exercise 10: CNNs. Two tasks: predict a conv stack's parameter count and output shape
(``conv_stack_size``), and design a CNN — layers, epochs, learning rate — that reaches a stated test
accuracy on the generated shapes images (``design_shape_cnn``).

Both work on plain data (the grader's sandbox returns no torch objects): a stack is a list of layer
specs such as ``("conv", 16, 3, 1, 1)``. The design is trained by the grader, outside the sandbox,
with ``train_design`` — the same function the learner uses in the notebook to try a design.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nncourse.checks import Case, Exercise, Task

if TYPE_CHECKING:
    import torch

EXERCISE_ID = "10_cnns"
TARGET_ACCURACY = 0.80
"""What ``design_shape_cnn``'s network must reach on the test images (an MLP gets about 0.45)."""
MAX_PARAMETERS = 20_000
MAX_EPOCHS = 15
LAYER_KINDS = {"conv": 4, "bn": 0, "relu": 0, "pool": 1, "flatten": 0, "linear": 1}
"""Layer kind -> number of int arguments after the kind."""


# --------------------------------------------------------------------------------------- conv stacks
def build_stack(input_shape: Sequence[int], layers: Sequence[Sequence[Any]]) -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` for ``layers`` on inputs ``(N, *input_shape)``, ``input_shape = (C, H, W)``.

    Each layer is ``("conv", out_channels, kernel, stride, padding)`` (with bias), ``("pool", k)``
    (max-pool k x k, stride k), ``("bn",)`` (BatchNorm2d), ``("relu",)``, ``("flatten",)`` or
    ``("linear", out_features)`` (with bias). Raises ``ValueError`` for a malformed spec or sizes
    that do not fit (the message names the layer).
    """
    import torch
    from torch import nn

    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (C, H, W) with positive sizes, got {input_shape!r}")
    modules: list = []
    for index, spec in enumerate(layers):
        if not isinstance(spec, (list, tuple)) or not spec or spec[0] not in LAYER_KINDS:
            raise ValueError(
                f"layer {index}: expected a tuple starting with one of {sorted(LAYER_KINDS)}, got {spec!r}"
            )
        kind, args = spec[0], spec[1:]
        if len(args) != LAYER_KINDS[kind] or any(type(a) is not int or a < 0 for a in args):
            raise ValueError(
                f"layer {index} ({kind}): expected {LAYER_KINDS[kind]} non-negative ints after the kind, got {spec!r}"
            )
        if kind in ("conv", "pool", "bn", "flatten") and len(shape) != 3:
            raise ValueError(f"layer {index} ({kind}): needs a (C, H, W) input, got {shape}")
        if kind == "conv":
            out, k, stride, pad = args
            if min(out, k, stride) < 1 or shape[1] + 2 * pad < k or shape[2] + 2 * pad < k:
                raise ValueError(
                    f"layer {index} (conv): kernel {k} does not fit the padded input {shape} with padding {pad}"
                )
            modules.append(nn.Conv2d(shape[0], out, k, stride=stride, padding=pad))
        elif kind == "pool":
            if args[0] < 1 or args[0] > min(shape[1:]):
                raise ValueError(f"layer {index} (pool): window {args[0]} does not fit the input {shape}")
            modules.append(nn.MaxPool2d(args[0]))
        elif kind == "bn":
            modules.append(nn.BatchNorm2d(shape[0]))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind == "linear":
            if len(shape) != 1 or args[0] < 1:
                raise ValueError(
                    f"layer {index} (linear): needs a flattened input and out_features >= 1, got input {shape}"
                )
            modules.append(nn.Linear(shape[0], args[0]))
        with torch.no_grad():
            shape = tuple(int(d) for d in nn.Sequential(*modules)(torch.zeros(1, *input_shape)).shape[1:])
    return nn.Sequential(*modules)


def conv_stack_size(input_shape: Sequence[int], layers: Sequence[Sequence[Any]]) -> tuple[int, tuple[int, ...]]:
    """Reference: build the stack in torch, count its parameters, and push one zero image through it.
    Returns ``(parameters, output shape without the batch axis)``."""
    import torch

    stack = build_stack(input_shape, layers).eval()
    with torch.no_grad():
        out = stack(torch.zeros(1, *[int(d) for d in input_shape]))
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
                "one 3x3 conv, same padding",
                ((1, 8, 8), [("conv", 32, 3, 1, 1)]),
                hint="a conv has out_channels * (in_channels * k * k + 1) parameters; padding 1 keeps a 3x3 conv's size",
            ),
            Case(
                "stride 2, no padding",
                ((3, 32, 32), [("conv", 16, 5, 2, 0), ("relu",)]),
                hint="output size = floor((n + 2 * padding - k) / stride) + 1",
            ),
            Case(
                "conv, batch norm, pool, linear",
                ((1, 28, 28), [("conv", 8, 3, 1, 1), ("bn",), ("relu",), ("pool", 2), ("flatten",), ("linear", 10)]),
                hint="batch norm has 2 parameters per channel; pooling has none and halves the size; flatten gives C * H * W features",
            ),
        ]
    rng = np.random.default_rng(seed)
    for i in range(n_random):
        shape, layers = _random_stack(rng)
        cases.append(Case(f"stack {i + 1} on {shape}", (shape, layers)))
    return cases


# ------------------------------------------------------------------------------------ a CNN design
@dataclass
class DesignCase(Case):
    """A case of ``design_shape_cnn``: the learner's function gets the image size; the grader trains the
    returned design on the shapes set ``data_seed`` of that size."""

    data_seed: int = 0


def _shapes_for(data_seed: int, image_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from nncourse.data import make_shapes

    data = make_shapes(n=1000, image_size=image_size, seed=data_seed)  # 600 / 200 / 200: train on train + validation
    return (
        np.concatenate([data.X_train, data.X_val]),
        np.concatenate([data.y_train, data.y_val]),
        data.X_test,
        data.y_test,
    )


def check_design(design: Any, image_size: int = 16) -> str | None:
    """``None`` when ``design`` is a well-formed dict within the limits for ``(1, image_size, image_size)``
    images, else what is wrong."""
    if not isinstance(design, dict) or set(design) != {"layers", "epochs", "lr"}:
        got = sorted(design) if isinstance(design, dict) else type(design).__name__
        return f"return a dict with keys ['epochs', 'layers', 'lr'], got {got}"
    epochs, lr = design["epochs"], design["lr"]
    if type(epochs) is not int or not 1 <= epochs <= MAX_EPOCHS:
        return f"epochs must be an int from 1 to {MAX_EPOCHS}, got {epochs!r}"
    if type(lr) not in (int, float) or not 0 < lr <= 0.1:
        return f"lr must be a number in (0, 0.1], got {lr!r}"
    if not isinstance(design["layers"], (list, tuple)) or len(design["layers"]) > 30:
        return "layers must be a list of at most 30 layer specs"
    try:
        model = build_stack((1, image_size, image_size), design["layers"])
    except ValueError as exc:
        return str(exc)
    import torch

    with torch.no_grad():
        out_shape = tuple(model.eval()(torch.zeros(2, 1, image_size, image_size)).shape)
    if out_shape != (2, 4):
        return f"the network must end with 4 outputs per image (one per class), its output has shape {out_shape[1:]}"
    n_params = sum(p.numel() for p in model.parameters())
    if n_params > MAX_PARAMETERS:
        return f"the network has {n_params:,} parameters; the limit is {MAX_PARAMETERS:,}"
    return None


def train_design(design: dict, data_seed: int = 0, image_size: int = 16, seed: int = 0) -> float:
    """Train ``design`` on the shapes set ``data_seed`` (800 training images of ``image_size`` pixels
    square) with Adam, batches of 32, cross-entropy, ``torch.manual_seed(seed)``; return the test
    accuracy on its 200 test images."""
    problem = check_design(design, image_size)
    if problem:
        raise ValueError(problem)
    import torch
    from torch import nn

    from nncourse.data import make_loader
    from nncourse.train import accuracy, evaluate, fit

    X_train, y_train, X_test, y_test = _shapes_for(data_seed, image_size)
    torch.manual_seed(seed)
    model = build_stack((1, image_size, image_size), design["layers"])
    optimizer = torch.optim.Adam(model.parameters(), lr=float(design["lr"]))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fit(
            model,
            make_loader(X_train, y_train, batch_size=32, seed=seed),
            nn.CrossEntropyLoss(),
            optimizer,
            epochs=design["epochs"],
            metrics={},
            progress=False,
        )
        test = make_loader(X_test, y_test, batch_size=200, shuffle=False)
        return float(evaluate(model, test, nn.CrossEntropyLoss(), {"accuracy": accuracy})["accuracy"])
    finally:
        torch.set_num_threads(threads)


def design_shape_cnn(image_size: int) -> dict:
    """Reference: two conv blocks of 16 channels with batch norm and pooling, a linear head, 10 epochs
    (the linear layer's input size follows from ``image_size``; the spec language works it out)."""
    return {
        "layers": [
            ("conv", 16, 3, 1, 1),
            ("bn",),
            ("relu",),
            ("pool", 2),
            ("conv", 16, 3, 1, 1),
            ("bn",),
            ("relu",),
            ("pool", 2),
            ("flatten",),
            ("linear", 4),
        ],
        "epochs": 10,
        "lr": 3e-3,
    }


def _verify_design(case: Case, expected: Any, got: Any) -> str | None:
    image_size = case.args[0]
    problem = check_design(got, image_size)
    if problem:
        return problem
    acc = train_design(got, data_seed=case.data_seed, image_size=image_size)  # type: ignore[attr-defined]
    if acc < TARGET_ACCURACY:
        return f"trained on shapes set {case.data_seed}, your network reached test accuracy {acc:.2f}, below the target {TARGET_ACCURACY:.2f}"  # type: ignore[attr-defined]
    return None


def _design_cases(sets: Sequence[tuple[int, int]]) -> list[Case]:
    return [
        DesignCase(
            f"shapes set {seed}, {size}x{size} images",
            (size,),
            hint="conv blocks (conv with padding, bn, relu, pool), then flatten and one linear layer to 4 classes; about 10 epochs at lr 3e-3",
            data_seed=seed,
        )
        for seed, size in sets
    ]


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="CNNs",
    tasks=[
        Task(
            "conv_stack_size",
            conv_stack_size,
            lambda: _stack_cases(0, 2, public=True),
            lambda: _stack_cases(100, 6, public=False),
            points=2,
            outputs=("parameters", "output_shape"),
        ),
        Task(
            "design_shape_cnn",
            design_shape_cnn,
            lambda: _design_cases([(10, 16)]),
            lambda: _design_cases([(21, 20)]),
            points=2,
            verify=_verify_design,
        ),
    ],
)

"""Exercise 09: convolution. The output-size formula, conv2d forward and backward (loops allowed), and a
reasoning task: design a 3x3 kernel that responds most to a given pattern (``design_kernel``), judged
by its responses on test images rather than against one expected kernel.

References: ``nncourse.chapters.ch09_convolution``, which calls the ``nncourse.scratch.functional.conv`` kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.chapters import ch09_convolution as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "09_convolution"

FLOOR_HINT = "when the stride does not divide evenly, the last partial step is dropped: use // (floor division)"


def _size_cases(grading: bool) -> list[Case]:
    rows = [  # (size, kernel, stride, padding, dilation, hint)
        (32, 5, 1, 0, 1, "no padding, stride 1: size - kernel + 1"),
        (28, 3, 1, 1, 1, "padding 1 on both sides adds 2 to the size"),
        (15, 3, 2, 0, 1, "stride 2: (size - kernel) // stride + 1"),
        (14, 5, 2, 0, 1, FLOOR_HINT),
        (10, 3, 1, 0, 3, "dilation d spreads the kernel over d * (kernel - 1) + 1 pixels"),
        (5, 5, 1, 0, 1, "a kernel as large as the input gives a single output"),
    ]
    if grading:
        rows = [
            (64, 7, 2, 3, 1, ""),
            (9, 4, 3, 1, 1, FLOOR_HINT),
            (11, 3, 1, 2, 2, ""),
            (3, 5, 1, 1, 1, ""),
            (100, 1, 7, 0, 1, FLOOR_HINT),
            (20, 3, 4, 2, 5, ""),
        ]
    return [
        Case(
            f"size {n}, kernel {k}, stride {s}, padding {p}, dilation {d}",
            (n, k),
            {"stride": s, "padding": p, "dilation": d},
            hint=h,
        )
        for n, k, s, p, d, h in rows
    ]


def _conv_args(
    rng: np.random.Generator, n: int, c_in: int, c_out: int, h: int, w: int, k: int
) -> tuple[np.ndarray, ...]:
    return rng.normal(size=(n, c_in, h, w)), rng.normal(size=(c_out, c_in, k, k)) / k, rng.normal(size=c_out)


CONV_HINTS = {
    "one channel": "out[n, o, i, j] = sum over c, u, v of x[n, c, i + u, j + v] * weight[o, c, u, v], plus bias[o]",
    "channels": "sum over every input channel c as well; each output channel o has its own weight[o] and bias[o]",
    "batch of 1": "keep the batch axis: x is (1, C_in, H, W) and the result (1, C_out, H_out, W_out)",
    "stride": "with stride s the window of output (i, j) starts at row i * s, column j * s",
    "padding": "pad H and W (not N and C) with zeros first: np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))",
}


def _conv_cases(seed: int, grading: bool, backward: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = [  # (label, N, C_in, C_out, H, W, k, stride, padding)
        ("one channel", 2, 1, 1, 5, 6, 3, 1, 0),
        ("channels", 3, 3, 2, 6, 5, 3, 1, 0),
        ("batch of 1", 1, 2, 4, 7, 7, 2, 1, 0),
        ("stride", 2, 2, 3, 9, 8, 3, 2, 0),
        ("padding", 2, 3, 2, 5, 6, 3, 1, 1),
    ]
    if grading:
        shapes = [
            (label, n + 1, c_in + 1, c_out, h + 2, w + 1, k, s, p) for label, n, c_in, c_out, h, w, k, s, p in shapes
        ]
        shapes.append(("stride and padding", 2, 2, 3, 10, 7, 4, 3, 2))
    cases = []
    for label, n, c_in, c_out, h, w, k, s, p in shapes:
        x, weight, bias = _conv_args(rng, n, c_in, c_out, h, w, k)
        kwargs = {"stride": s, "padding": p}
        name = f"{label}: x {x.shape}, weight {weight.shape}, stride {s}, padding {p}"
        hint = CONV_HINTS.get(label, "")
        if backward:
            out_shape = (n, c_out, ref.conv_output_size(h, k, s, p), ref.conv_output_size(w, k, s, p))
            hint = {
                "padding": "compute dx on the padded input, then cut the padding off",
                "stride": "with stride s, output (i, j) read the window starting at (i * s, j * s): send dout there",
            }.get(
                label,
                "each output read a window: dweight[o] += dout[n, o, i, j] * window, dx[window] += dout[n, o, i, j] * weight[o]",
            )
            cases.append(Case(name, (rng.normal(size=out_shape), x, weight), kwargs, hint=hint))
        else:
            cases.append(Case(name, (x, weight, bias), kwargs, hint=hint))
    return cases


def _pattern_cases(names: tuple[str, ...]) -> list[Case]:
    return [
        Case(
            f"pattern '{name}'",
            (ref.PATTERNS[name].copy(),),
            hint="a flat bright image and denser patterns must not score as high: make the weights sum to 0",
        )
        for name in names
    ]


def _verify_detector(case: Case, expected: Any, got: Any) -> str | None:
    (pattern,) = case.args
    return ref.verify_detector(pattern, got)


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="Convolution",
    tasks=[
        Task(
            "conv_output_size",
            ref.conv_output_size,
            lambda: _size_cases(False),
            lambda: _size_cases(True),
            substitutable=True,
        ),
        Task(
            "conv2d_forward",
            ref.conv2d_forward,
            lambda: _conv_cases(1, False, False),
            lambda: _conv_cases(101, True, False),
            points=2,
        ),
        Task(
            "conv2d_backward",
            ref.conv2d_backward,
            lambda: _conv_cases(2, False, True),
            lambda: _conv_cases(102, True, True),
            points=2,
            outputs=("dx", "dweight", "dbias"),
        ),
        Task(
            "design_kernel",
            ref.design_kernel,
            lambda: _pattern_cases(("diagonal", "vertical")),
            lambda: _pattern_cases(("anti-diagonal", "horizontal", "corner", "plus", "cross")),
            verify=_verify_detector,
        ),
    ],
)

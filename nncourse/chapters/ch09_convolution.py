"""Chapter 09: convolution. Exercise references, the pattern-detector test bench and notebook helpers.

Exercise references (plain arrays, torch's layouts; each calls the ``nncourse.scratch`` kernels)::

    conv_output_size(size, kernel, stride=1, padding=0, dilation=1) -> int
    conv2d_forward(x, weight, bias, stride=1, padding=0) -> out          x (N, C_in, H, W) -> (N, C_out, H_out, W_out)
    conv2d_backward(dout, x, weight, stride=1, padding=0) -> (dx, dweight, dbias)
    design_kernel(pattern) -> (3, 3) kernel that responds most to ``pattern``

The pattern bench: ``PATTERNS`` (3x3 binary patterns), ``bench_images(pattern)`` (the pattern and
every distractor drawn on blank 8x8 images, plus a uniformly bright one) and ``peak_responses``.
Notebook helpers: ``demo_image``, ``receptive_field``, ``parameter_counts``, ``speedup_class``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nncourse._validate import check_array, check_int_tuple
from nncourse.scratch.functional import conv
from nncourse.scratch.functional.conv import conv_output_size

__all__ = [
    "PATTERNS",
    "bench_images",
    "conv2d_backward",
    "conv2d_forward",
    "conv_output_size",
    "demo_image",
    "design_kernel",
    "parameter_counts",
    "peak_responses",
    "receptive_field",
    "speedup_class",
    "verify_detector",
]


# ---------------------------------------------------------------------------------------------- exercise references
def conv2d_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1, padding: int = 0
) -> np.ndarray:
    """x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) -> out (N, C_out, H_out, W_out)."""
    return conv.conv2d_forward(x, weight, bias, stride=stride, padding=padding)[0]


def conv2d_backward(
    dout: np.ndarray, x: np.ndarray, weight: np.ndarray, stride: int = 1, padding: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, C_out, H_out, W_out) -> (dx like x, dweight like weight, dbias (C_out,))."""
    _, cache = conv.conv2d_forward(
        x, weight, np.zeros(weight.shape[0], dtype=weight.dtype), stride=stride, padding=padding
    )
    return conv.conv2d_backward(dout, cache)  # type: ignore[return-value]  # dbias is set: a bias was given


PATTERNS: dict[str, np.ndarray] = {
    name: np.array(rows, dtype=np.float64)
    for name, rows in {
        "horizontal": [[0, 0, 0], [1, 1, 1], [0, 0, 0]],
        "vertical": [[0, 1, 0], [0, 1, 0], [0, 1, 0]],
        "diagonal": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        "anti-diagonal": [[0, 0, 1], [0, 1, 0], [1, 0, 0]],
        "corner": [[1, 1, 1], [1, 0, 0], [1, 0, 0]],
        "plus": [[0, 1, 0], [1, 1, 1], [0, 1, 0]],
        "cross": [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
        "dot": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "square": [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
        "ring": [[1, 1, 1], [1, 0, 1], [1, 1, 1]],
    }.items()
}
"""Name -> (3, 3) binary pattern: the targets of the detector task and each other's distractors."""


def design_kernel(pattern: np.ndarray) -> np.ndarray:
    """The matched filter of ``pattern`` with its mean removed: ``pattern - pattern.mean()``, (3, 3).

    Zero-sum weights ignore brightness (a flat image gives 0); matching the pattern's own shape
    makes the response largest where the window equals the pattern.
    """
    check_array("pattern", pattern, (3, 3))
    pattern = np.asarray(pattern, dtype=np.float64)
    return pattern - pattern.mean()


def bench_images(pattern: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The images a detector of ``pattern`` is judged on: (M, 8, 8) and their names.

    Image 0 and 1: the target pattern at two places; then every other pattern of ``PATTERNS``; last, a
    uniformly bright image. Each pattern image is blank (0) but for its 3x3 pattern of 1s.
    """
    check_array("pattern", pattern, (3, 3))
    pattern = np.asarray(pattern, dtype=np.float64)
    images, names = [], []

    def draw(p: np.ndarray, row: int, col: int, name: str) -> None:
        image = np.zeros((8, 8))
        image[row : row + 3, col : col + 3] = p
        images.append(image)
        names.append(name)

    draw(pattern, 1, 2, "the pattern")
    draw(pattern, 4, 0, "the pattern, moved")
    for name, other in PATTERNS.items():
        if not np.array_equal(other, pattern):
            draw(other, 3, 3, name)
    images.append(np.ones((8, 8)))
    names.append("uniformly bright")
    return np.stack(images), names


def peak_responses(kernel: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The largest output of ``kernel`` (kH, kW) over each image (M, H, W) (no padding): (M,)."""
    out, _ = conv.conv2d_forward(
        np.asarray(images, dtype=np.float64)[:, None], np.asarray(kernel, dtype=np.float64)[None, None]
    )
    return out.max(axis=(1, 2, 3))


def verify_detector(pattern: np.ndarray, kernel: Any, margin: float = 0.05) -> str | None:
    """``None`` when ``kernel``'s weakest response to the pattern beats its strongest response to every
    distractor by ``margin`` of the former; else a message naming the distractor that wins."""
    if not isinstance(kernel, np.ndarray) or kernel.shape != (3, 3) or kernel.dtype.kind not in "iuf":
        return f"expected a numpy array of shape (3, 3), got {type(kernel).__name__} of shape {getattr(kernel, 'shape', None)}"
    if not np.isfinite(kernel).all():
        return "your kernel contains NaN or infinity"
    images, names = bench_images(pattern)
    peaks = peak_responses(kernel, images)
    target = float(peaks[:2].min())
    worst = 2 + int(np.argmax(peaks[2:]))
    if target <= 0:
        return f"your kernel's strongest response to the pattern is {target:.3g}: it should be clearly positive"
    if peaks[worst] > (1 - margin) * target:
        return (
            f"your kernel responds {target:.3g} to the pattern but {peaks[worst]:.3g} to "
            f"'{names[worst]}': it must respond clearly more to the pattern than to anything else"
        )
    return None


# ---------------------------------------------------------------------------------------------- notebook helpers
def demo_image(size: int = 28) -> np.ndarray:
    """A (size, size) test picture in [0, 1]: a bright square and a bright disc on a dark background."""
    (size,) = check_int_tuple("size", size, 1, minimum=12)
    rows, cols = np.mgrid[0:size, 0:size]
    image = np.zeros((size, size))
    s = size // 4
    image[s : 2 * s + s // 2, s // 2 : 2 * s] = 1.0  # square, upper left
    disc = (rows - 2.9 * s) ** 2 + (cols - 2.9 * s) ** 2 <= (0.8 * s) ** 2  # disc, lower right
    image[disc] = 0.7
    return image


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> list[int]:
    """Receptive-field width after each layer of a stack of ``(kernel, stride, dilation)`` layers.

    One output pixel of layer l sees ``r_l = r_{l-1} + d_l (k_l - 1) j_{l-1}`` input pixels, where the
    jump ``j_l = j_{l-1} s_l`` is the input distance between neighbouring outputs (``r_0 = j_0 = 1``).
    """
    width, jump, sizes = 1, 1, []
    for kernel, stride, dilation in layers:
        width += dilation * (kernel - 1) * jump
        jump *= stride
        sizes.append(width)
    return sizes


def parameter_counts(c_in: int, c_out: int, kernel: int, height: int, width: int) -> dict[str, int]:
    """Weights + biases of three layers mapping (c_in, H, W) to (c_out, H_out, W_out), no padding, stride 1.

    ``convolution``: one (c_out, c_in, k, k) kernel shared by every position; ``locally connected``: a
    separate kernel at every output position (no sharing); ``dense``: every output sees every input.
    """
    ho, wo = conv_output_size(height, kernel), conv_output_size(width, kernel)
    outputs, inputs = c_out * ho * wo, c_in * height * width
    return {
        "convolution": c_out * c_in * kernel * kernel + c_out,
        "locally connected": outputs * c_in * kernel * kernel + outputs,
        "dense": outputs * inputs + outputs,
    }


def speedup_class(ratio: float) -> str:
    """A machine-independent description of a measured speed-up: only the power of ten it clears."""
    if not ratio > 0:
        raise ValueError(f"ratio must be a positive number, got {ratio!r}")
    if ratio < 10:
        return "less than 10x faster"
    return "more than 10x faster"

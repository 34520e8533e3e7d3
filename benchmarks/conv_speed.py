"""Scratch (numpy) convolution and pooling against torch on CPU, one thread each: time ratios.

    python benchmarks/conv_speed.py [--repeats 30]

Each row times forward + backward (every gradient) of one layer on a LeNet-sized input, as the
median CPU time of ``--repeats`` runs after a warm-up, with numpy's BLAS and torch both held to one
thread.
The ratio is scratch time / torch time (below 1: the scratch version is faster). The target for
the vectorised conv2d is a ratio of at most 3; the explicit-loop conv2d is timed once on a
smaller batch to show what vectorising buys.

Much of the scratch side's time is the kernel asking for fresh memory: glibc hands large numpy
temporaries (the im2col matrix) back to the system after each call, and touching new pages costs
CPU time. Run with ``MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=268435456`` in the
environment to keep that memory in the process and see the arithmetic alone (about 40% less).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads BLAS
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.scratch.functional import conv, pool  # noqa: E402
from nncourse.timing import median_cpu_seconds  # noqa: E402


def conv_pair(n: int, c_in: int, c_out: int, size: int, k: int, dtype: str) -> tuple[Callable, Callable, Callable]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, c_in, size, size)).astype(dtype)
    w = (rng.normal(size=(c_out, c_in, k, k)) * 0.1).astype(dtype)
    b = rng.normal(size=c_out).astype(dtype)
    out_size = size - k + 1
    dout = rng.normal(size=(n, c_out, out_size, out_size)).astype(dtype)

    def scratch() -> None:
        _, cache = conv.conv2d_forward(x, w, b)
        conv.conv2d_backward(dout, cache)

    def loops() -> None:
        conv.conv2d_forward_loops(x, w, b)
        conv.conv2d_backward_loops(dout, x, w)

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout)

    def reference() -> None:
        for t in (xt, wt, bt):
            t.grad = None
        F.conv2d(xt, wt, bt).backward(dt)

    return scratch, reference, loops


def pool_pair(kind: str, n: int, c: int, size: int, dtype: str) -> tuple[Callable, Callable]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, c, size, size)).astype(dtype)
    dout = rng.normal(size=(n, c, size // 2, size // 2)).astype(dtype)
    fwd, bwd = (
        (pool.max_pool2d_forward, pool.max_pool2d_backward)
        if kind == "max"
        else (pool.avg_pool2d_forward, pool.avg_pool2d_backward)
    )
    tfn = F.max_pool2d if kind == "max" else F.avg_pool2d
    xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)

    def scratch() -> None:
        _, cache = fwd(x, 2)
        bwd(dout, cache)

    def reference() -> None:
        xt.grad = None
        tfn(xt, 2).backward(dt)

    return scratch, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"forward + backward, median CPU time of {args.repeats} runs, one thread; ratio = scratch / torch")
    print(f"| {'layer':<52} | {'dtype':<7} | {'scratch ms':>10} | {'torch ms':>8} | {'ratio':>6} |")
    print(f"|{'-' * 54}|{'-' * 9}|{'-' * 12}|{'-' * 10}|{'-' * 8}|")
    for dtype in ("float32", "float64"):
        rows = [
            ("conv2d 6->16, 5x5, batch 64, 14x14 (LeNet layer 2)", *conv_pair(64, 6, 16, 14, 5, dtype)[:2]),
            ("conv2d 1->6, 5x5, batch 64, 32x32 (LeNet layer 1)", *conv_pair(64, 1, 6, 32, 5, dtype)[:2]),
            ("max_pool2d 2x2, batch 64, 6 channels, 28x28", *pool_pair("max", 64, 6, 28, dtype)),
            ("avg_pool2d 2x2, batch 64, 6 channels, 28x28", *pool_pair("avg", 64, 6, 28, dtype)),
        ]
        for name, scratch, reference in rows:
            ours, theirs = median_cpu_seconds(scratch, args.repeats), median_cpu_seconds(reference, args.repeats)
            print(f"| {name:<52} | {dtype:<7} | {ours * 1e3:10.2f} | {theirs * 1e3:8.2f} | {ours / theirs:6.2f} |")
    scratch, _, loops = conv_pair(4, 6, 16, 14, 5, "float64")
    ratio = median_cpu_seconds(loops, 1) / median_cpu_seconds(scratch, 5)
    print(f"explicit loops / vectorised, conv2d 6->16 5x5 on batch 4, float64: {ratio:.0f}x slower")


if __name__ == "__main__":
    main()

"""Scratch (numpy) scaled dot-product attention against torch on CPU, one thread each: time ratios.

    python benchmarks/attention_speed.py [--repeats 30]

Each row times forward + backward (dq, dk, dv) of ``scaled_dot_product_attention`` at a small size
(batch 8, 4 heads, L = 64, head width 32 by default), as the median CPU time of ``--repeats`` runs
after a warm-up, with numpy's BLAS and torch both held to one thread. The ratio is scratch time /
torch time (below 1: the scratch version is faster); the course's target is at most 1.5.

Much of the scratch side's time is fresh memory: the (8, 4, 64, 64) score and weight temporaries
are larger than glibc's mmap threshold, so each call maps and touches new pages. Run with
``MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=268435456`` in the environment to keep
that memory in the process and see the arithmetic alone (measured on the course machine: ratios
1.0-1.4 that way, 1.2-2.0 without).
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
from nncourse.scratch.functional import attention  # noqa: E402
from nncourse.timing import median_cpu_seconds  # noqa: E402


def sdpa_pair(n: int, h: int, length: int, d: int, causal: bool, dtype: str) -> tuple[Callable, Callable]:
    rng = np.random.default_rng(0)
    q, k, v, dout = (rng.normal(size=(n, h, length, d)).astype(dtype) for _ in range(4))

    def scratch() -> None:
        _, cache = attention.scaled_dot_product_attention_forward(q, k, v, is_causal=causal)
        attention.scaled_dot_product_attention_backward(dout, cache)

    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    dt = torch.tensor(dout)

    def reference() -> None:
        for t in (qt, kt, vt):
            t.grad = None
        F.scaled_dot_product_attention(qt, kt, vt, is_causal=causal).backward(dt)

    return scratch, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"SDPA forward + backward, median CPU time of {args.repeats} runs, one thread; ratio = scratch / torch")
    print(f"| {'size':<40} | {'dtype':<7} | {'scratch ms':>10} | {'torch ms':>8} | {'ratio':>6} |")
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 12}|{'-' * 10}|{'-' * 8}|")
    for dtype in ("float32", "float64"):
        for causal in (False, True):
            name = f"batch 8, 4 heads, L=64, d=32{', causal' if causal else ''}"
            scratch, reference = sdpa_pair(8, 4, 64, 32, causal, dtype)
            ours, theirs = median_cpu_seconds(scratch, args.repeats), median_cpu_seconds(reference, args.repeats)
            print(f"| {name:<40} | {dtype:<7} | {ours * 1e3:10.2f} | {theirs * 1e3:8.2f} | {ours / theirs:6.2f} |")


if __name__ == "__main__":
    main()

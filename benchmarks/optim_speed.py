"""Speed of one optimizer step, ``nncourse.optim`` (numpy) against ``torch.optim``, single thread.

    python benchmarks/optim_speed.py [--repeats 15] [--steps 20] [--dtype float32|float64|both]

The model is about a million parameters in four arrays, the shapes of a 784-1024-192 MLP. Both sides
get the same gradients and take ``--steps`` steps per timing; each cell is the median over
``--repeats`` timings (ours and torch's interleaved, so a busy machine slows both alike), and the table
shows the time per step and the ratio scratch / torch (goal: <= 1.5). torch runs its default CPU
implementation (``foreach`` off on CPU) with ``torch.set_num_threads(1)``; numpy's element-wise ufuncs
are single-threaded anyway.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse import optim  # noqa: E402

SHAPES = {"W1": (1024, 784), "b1": (1024,), "W2": (192, 1024), "b2": (192,)}
T = torch.optim
CASES: dict[str, tuple[Callable[[], Any], Callable[[list[torch.Tensor]], T.Optimizer]]] = {
    "SGD momentum 0.9": (lambda: optim.SGD(lr=1e-3, momentum=0.9), lambda ps: T.SGD(ps, lr=1e-3, momentum=0.9)),
    "SGD Nesterov + wd": (
        lambda: optim.SGD(lr=1e-3, momentum=0.9, nesterov=True, weight_decay=1e-4),
        lambda ps: T.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True, weight_decay=1e-4),
    ),
    "RMSprop": (lambda: optim.RMSprop(lr=1e-3), lambda ps: T.RMSprop(ps, lr=1e-3)),
    "Adam": (lambda: optim.Adam(lr=1e-3), lambda ps: T.Adam(ps, lr=1e-3)),
    "Adam + L2": (lambda: optim.Adam(lr=1e-3, weight_decay=1e-2), lambda ps: T.Adam(ps, lr=1e-3, weight_decay=1e-2)),
    "AdamW": (lambda: optim.AdamW(lr=1e-3, weight_decay=1e-2), lambda ps: T.AdamW(ps, lr=1e-3, weight_decay=1e-2)),
}


def bench(name: str, dtype: np.dtype, repeats: int, steps: int) -> tuple[float, float]:
    """Median seconds per step: (ours, torch)."""
    make_ours, make_torch = CASES[name]
    rng = np.random.default_rng(0)
    params = {k: rng.normal(0, 0.05, s).astype(dtype) for k, s in SHAPES.items()}
    grads = {k: rng.normal(0, 1e-3, s).astype(dtype) for k, s in SHAPES.items()}
    tparams = [torch.tensor(v, requires_grad=True) for v in params.values()]
    for t, g in zip(tparams, grads.values(), strict=True):
        t.grad = torch.tensor(g)
    ours, theirs = make_ours(), make_torch(tparams)
    ours.step(params, grads)  # allocate state on both sides before timing
    theirs.step()
    times_ours, times_torch = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            ours.step(params, grads)
        times_ours.append((time.perf_counter() - start) / steps)
        start = time.perf_counter()
        for _ in range(steps):
            theirs.step()
        times_torch.append((time.perf_counter() - start) / steps)
    return statistics.median(times_ours), statistics.median(times_torch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    args = parser.parse_args()
    torch.set_num_threads(1)
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    n = sum(int(np.prod(s)) for s in SHAPES.values())
    print(
        f"one optimizer step over {n:,} parameters in {len(SHAPES)} arrays; median of {args.repeats} x "
        f"{args.steps} steps; torch {torch.__version__}, numpy {np.__version__}, 1 thread"
    )
    print(f"| {'optimizer':<18} | {'dtype':<7} | {'scratch ms':>10} | {'torch ms':>8} | {'ratio':>5} |")
    print(f"|{'-' * 20}|{'-' * 9}|{'-' * 12}|{'-' * 10}|{'-' * 7}|")
    worst = 0.0
    for dtype in dtypes:
        for name in CASES:
            ours, theirs = bench(name, np.dtype(dtype), args.repeats, args.steps)
            worst = max(worst, ours / theirs)
            print(f"| {name:<18} | {dtype:<7} | {1e3 * ours:10.2f} | {1e3 * theirs:8.2f} | {ours / theirs:5.2f} |")
    print(f"worst ratio {worst:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()

"""Scratch LSTM and GRU against torch: one forward + backward over a small sequence batch, one thread.

    python benchmarks/lstm_speed.py [--repeats 20] [--dtype float32|float64]

Each row: the median over ``--repeats`` runs (after a warm-up, scratch and torch alternating) of
forward + backward through the whole sequence (torch: ``backward`` of the summed, weighted outputs,
input gradients on). The ratio is scratch / torch; the course's floor is an LSTM ratio of at most 2.
Both libraries run on one thread (BLAS pinned before numpy is imported). Timings depend on the
machine; compare ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.scratch.gated import GRU, LSTM  # noqa: E402

# (name, kind, batch N, steps T, input size, hidden size, layers)
CASES = [
    ("LSTM N=16 T=50 32->64", "LSTM", 16, 50, 32, 64, 1),
    ("LSTM N=32 T=100 64->128", "LSTM", 32, 100, 64, 128, 1),
    ("LSTM 2 layers N=16 T=50", "LSTM", 16, 50, 32, 64, 2),
    ("GRU N=16 T=50 32->64", "GRU", 16, 50, 32, 64, 1),
]


def _time(fn, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return out


def run(repeats: int, dtype: str) -> list[tuple[str, float, float]]:
    torch.set_num_threads(1)
    rows = []
    for name, kind, n, t, d, h, layers in CASES:
        torch.manual_seed(0)
        theirs = getattr(nn, kind)(d, h, num_layers=layers, batch_first=True).to(getattr(torch, dtype))
        ours = (LSTM if kind == "LSTM" else GRU)(d, h, num_layers=layers, batch_first=True, dtype=dtype).load_torch(
            theirs
        )
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, t, d)).astype(dtype)
        dout = rng.standard_normal((n, t, h)).astype(dtype)
        tx, tdout = torch.tensor(x, requires_grad=True), torch.tensor(dout)

        def scratch(ours: Any = ours, x: np.ndarray = x, dout: np.ndarray = dout) -> None:
            (_, _), cache = ours.forward(x)
            ours.backward((dout, None), cache)

        def torch_step(theirs: nn.Module = theirs, tx: torch.Tensor = tx, tdout: torch.Tensor = tdout) -> None:
            out, _ = theirs(tx)
            (out * tdout).sum().backward()

        scratch(), torch_step()  # warm-up
        s, tt = [], []
        for _ in range(repeats):
            s += _time(scratch, 1)
            tt += _time(torch_step, 1)
        rows.append((name, statistics.median(s), statistics.median(tt)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args()
    rows = run(args.repeats, args.dtype)
    print(f"{'case':30s} {'scratch ms':>11s} {'torch ms':>9s} {'ratio':>6s}   ({args.dtype}, 1 thread, CPU time)")
    for name, s, t in rows:
        print(f"{name:30s} {1e3 * s:11.2f} {1e3 * t:9.2f} {s / t:6.2f}")


if __name__ == "__main__":
    main()

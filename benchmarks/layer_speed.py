"""Speed of every scratch layer and loss against its torch twin: forward + backward, one thread.

    python benchmarks/layer_speed.py [--dtype float32|float64] [--repeats 30]

Each row times one forward and one backward pass (the median of ``--repeats`` runs after a warm-up,
scratch and torch alternating) of the scratch layer and of ``torch.nn``'s twin on the same input (torch: ``backward`` of
``(out * dout).sum()``, input gradients on). The ratio is scratch / torch: below 1 the numpy layer
is faster. Both libraries run on one thread (``torch.set_num_threads(1)``, BLAS pinned by
environment variables before numpy is imported). Timings depend on the machine; the ratios are
what to compare.
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

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads BLAS
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse import scratch as S  # noqa: E402

N, D, V, T = 256, 512, 1000, 32
CASES: dict[str, tuple[Callable[[], Any], Callable[[], nn.Module], list[tuple[str, tuple[int, ...]]]]] = {
    # name: (scratch factory, torch factory, inputs as ("float" | "int<high>", shape))
    "Linear 512->512": (lambda: S.Linear(D, D), lambda: nn.Linear(D, D), [("float", (N, D))]),
    "ReLU": (S.ReLU, nn.ReLU, [("float", (N, D))]),
    "Sigmoid": (S.Sigmoid, nn.Sigmoid, [("float", (N, D))]),
    "Tanh": (S.Tanh, nn.Tanh, [("float", (N, D))]),
    "GELU": (S.GELU, nn.GELU, [("float", (N, D))]),
    "GELU tanh": (lambda: S.GELU("tanh"), lambda: nn.GELU("tanh"), [("float", (N, D))]),
    "Softmax": (lambda: S.Softmax(dim=-1), lambda: nn.Softmax(dim=-1), [("float", (N, D))]),
    "LogSoftmax": (lambda: S.LogSoftmax(dim=-1), lambda: nn.LogSoftmax(dim=-1), [("float", (N, D))]),
    "Dropout 0.5": (lambda: S.Dropout(0.5), lambda: nn.Dropout(0.5), [("float", (N, D))]),
    "BatchNorm1d": (lambda: S.BatchNorm1d(D), lambda: nn.BatchNorm1d(D), [("float", (N, D))]),
    "BatchNorm2d 32x16x16x16": (lambda: S.BatchNorm2d(16), lambda: nn.BatchNorm2d(16), [("float", (32, 16, 16, 16))]),
    "LayerNorm": (lambda: S.LayerNorm(D), lambda: nn.LayerNorm(D), [("float", (N, D))]),
    "Embedding 1000x512": (lambda: S.Embedding(V, D), lambda: nn.Embedding(V, D), [(f"int{V}", (N // 8, T))]),
    "CrossEntropyLoss": (S.CrossEntropyLoss, nn.CrossEntropyLoss, [("float", (N, D)), (f"int{D}", (N,))]),
    "CrossEntropyLoss (N,C,T)": (
        S.CrossEntropyLoss,
        nn.CrossEntropyLoss,
        [("float", (N // 8, 100, T)), ("int100", (N // 8, T))],
    ),
    "MSELoss": (S.MSELoss, nn.MSELoss, [("float", (N, D)), ("float", (N, D))]),
    "BCEWithLogitsLoss": (S.BCEWithLogitsLoss, nn.BCEWithLogitsLoss, [("float", (N, D)), ("prob", (N, D))]),
}


def _inputs(specs: list[tuple[str, tuple[int, ...]]], dtype: np.dtype, rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for kind, shape in specs:
        if kind.startswith("int"):
            out.append(rng.integers(0, int(kind[3:]), size=shape))
        elif kind == "prob":
            out.append(rng.uniform(0, 1, size=shape).astype(dtype))
        else:
            out.append(rng.standard_normal(shape).astype(dtype))
    return out


def _timings(fns: tuple[Callable[[], Any], Callable[[], Any]], repeats: int) -> list[list[float]]:
    """Run the two functions alternately (so both see the same machine load); seconds per run of each."""
    times: list[list[float]] = [[], []]
    for fn in fns:
        fn()  # warm-up
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return times


def measure(name: str, dtype: np.dtype, repeats: int) -> list[list[float]]:
    make_ours, make_theirs, specs = CASES[name]
    rng = np.random.default_rng(0)
    xs = _inputs(specs, dtype, rng)
    theirs = make_theirs().to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = make_ours()
    if ours.params:
        ours.load_torch(theirs)  # the same weights, then cast to the benchmark's dtype
        for k in list(ours._params):
            ours._params[k] = ours._params[k].astype(dtype)
            ours._grads[k] = np.zeros_like(ours._params[k])
        for k in list(ours._buffers):
            if ours._buffers[k].dtype.kind == "f":
                ours._buffers[k] = ours._buffers[k].astype(dtype)
    out, _ = ours.forward(*xs)
    dout = rng.standard_normal(np.shape(out)).astype(dtype) if np.ndim(out) else 1.0

    def run_ours() -> None:
        _, cache = ours.forward(*xs)
        ours.backward(dout, cache)

    txs = [torch.tensor(x, requires_grad=x.dtype.kind == "f" and i == 0) for i, x in enumerate(xs)]
    tdout = torch.tensor(dout, dtype=torch.float64 if dtype == np.float64 else torch.float32)

    def run_theirs() -> None:
        for t in txs:
            t.grad = None
        out = theirs(*txs)
        out.backward(tdout if out.ndim else None)

    return _timings((run_ours, run_theirs), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    dtype = np.dtype(args.dtype)
    print(f"forward + backward, one thread, {args.dtype}, {args.repeats} alternating runs each")
    print(f"{'layer':<26} {'scratch ms':>10} {'torch ms':>9} {'ratio':>6} {'ratio of minima':>16}")
    for name in CASES:
        ours, theirs = measure(name, dtype, args.repeats)
        med_o, med_t = statistics.median(ours), statistics.median(theirs)
        print(
            f"{name:<26} {med_o * 1e3:>10.3f} {med_t * 1e3:>9.3f} {med_o / med_t:>6.2f} {min(ours) / min(theirs):>16.2f}"
        )
    print("ms and ratio: medians; ratio of minima: the least disturbed runs (a loaded machine inflates medians)")


if __name__ == "__main__":
    main()

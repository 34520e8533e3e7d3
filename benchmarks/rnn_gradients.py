"""Scratch RNN vs torch.nn.RNN (float64 parity of values and every gradient), the measured gradient
norm over the time lag, and forward+backward time as a ratio to torch (one thread).

    PYTHONPATH=. python benchmarks/rnn_gradients.py

Prints three tables. The parity floor (1e-6 relative) is asserted in tests/test_rnn.py.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread for numpy's BLAS too (set before numpy is imported)

import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nncourse.scratch.rnn import RNN  # noqa: E402
from nncourse.widgets.gradient_flow import gradient_norms_over_lag  # noqa: E402

CASES = [  # (L, N, I, H, num_layers, batch_first, with_h0)
    (1, 1, 3, 4, 1, False, False),
    (5, 1, 3, 4, 2, True, True),
    (20, 3, 2, 5, 2, False, True),
    (50, 4, 8, 16, 2, True, False),
    (100, 1, 1, 8, 1, False, True),
]


def _rel(ours: np.ndarray, theirs: torch.Tensor) -> float:
    ref = theirs.detach().numpy()
    return float(np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-300))


def parity(case: tuple) -> tuple[float, float]:
    """Largest relative error over (output, h_n) and over every gradient (x, h0, parameters)."""
    steps, n, i, h, layers, bf, with_h0 = case
    torch.manual_seed(0)
    theirs = torch.nn.RNN(i, h, layers, batch_first=bf).double()
    ours = RNN(i, h, layers, batch_first=bf).load_torch(theirs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, steps, i) if bf else (steps, n, i))
    h0 = rng.standard_normal((layers, n, h))
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out_t, hn_t = theirs(xt, h0t) if with_h0 else theirs(xt)
    (out, hn), cache = ours.forward(x, h0 if with_h0 else None)
    g_out, g_hn = rng.standard_normal(out.shape), rng.standard_normal(hn.shape)
    ((out_t * torch.tensor(g_out)).sum() + (hn_t * torch.tensor(g_hn)).sum()).backward()
    dx, dh0 = ours.backward((g_out, g_hn), cache)
    values = max(_rel(out, out_t), _rel(hn, hn_t))
    grads = [_rel(dx, xt.grad)] + [_rel(ours.grads[k], p.grad) for k, p in theirs.named_parameters()]
    if with_h0:
        grads.append(_rel(dh0, h0t.grad))
    return values, max(grads)


def speed(steps: int = 50, n: int = 32, i: int = 16, h: int = 64, repeats: int = 20) -> tuple[float, float]:
    """Median seconds of forward + backward: (scratch, torch), float64, one thread."""
    torch.set_num_threads(1)
    theirs = torch.nn.RNN(i, h, 2).double()
    ours = RNN(i, h, 2).load_torch(theirs)
    x = np.random.default_rng(0).standard_normal((steps, n, i))
    xt = torch.tensor(x, requires_grad=True)
    times_ours, times_theirs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        (out, _hn), cache = ours.forward(x)
        ours.backward((np.ones_like(out), None), cache)
        times_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        out_t, _ = theirs(xt)
        out_t.sum().backward()
        times_theirs.append(time.perf_counter() - start)
    return float(np.median(times_ours)), float(np.median(times_theirs))


def main() -> None:
    print("parity with torch.nn.RNN, float64 (max relative error)")
    print(
        f"{'L':>4} {'N':>3} {'I':>3} {'H':>3} {'layers':>6} {'batch_first':>11} {'h0':>5} | {'values':>8} {'gradients':>9}"
    )
    for case in CASES:
        values, grads = parity(case)
        steps, n, i, h, layers, bf, with_h0 = case
        print(f"{steps:>4} {n:>3} {i:>3} {h:>3} {layers:>6} {bf!s:>11} {with_h0!s:>5} | {values:8.1e} {grads:9.1e}")
    print()
    print("gradient norm reaching k steps back (tanh RNN, 32 units, 60 steps; 1 at k = 0)")
    lags = (10, 30, 59)
    print(f"{'spectral radius':>15} | " + " ".join(f"{'k=' + str(k):>8}" for k in lags))
    for radius in (0.5, 0.9, 1.0, 1.5, 3.0):
        norms = gradient_norms_over_lag(radius)
        print(f"{radius:>15.1f} | " + " ".join(f"{norms[k]:8.1e}" for k in lags))
    print()
    ours, theirs = speed()
    print("forward + backward, L=50, N=32, I=16, H=64, 2 layers, float64, one thread")
    print(f"scratch {ours * 1e3:.2f} ms, torch {theirs * 1e3:.2f} ms, ratio {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()

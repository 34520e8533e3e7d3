"""Generated sequence problems: memory tasks (recall, adding) and a noisy sum of sines to forecast.

All return numpy arrays, batch first, with an explicit seed:

    x, y = recall_task(512, length=60, symbols=4, seed=0)     # x (N, T, symbols + 1) one-hot, y (N,) int64
    x, y = adding_problem(512, length=50, seed=0)             # x (N, T, 2) float, y (N,) float
    series = noisy_sines(2000, seed=0)                        # (L,) float
    x, y = forecast_windows(series, window=32)                # x (N, 32, 1), y (N,) the next value
"""

from __future__ import annotations

import numpy as np

from nncourse._validate import check_array, check_hyper, check_int


def recall_task(
    n: int, length: int, *, symbols: int = 4, distractors: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Remember the first symbol through ``length - 1`` blank steps: the shortest copy problem.

    Step 0 shows one of ``symbols`` symbols; every later step is blank (the extra last channel set),
    or with ``distractors=True`` also shows a random symbol to ignore. The target is the first symbol,
    to be output after the last step, so it must survive ``length - 1`` recurrent steps. Chance
    accuracy is 1 / symbols.

    Returns x: (n, length, symbols + 1) float32 one-hot (last channel = "blank"), y: (n,) int64.
    """
    n, length, symbols = check_int("n", n), check_int("length", length, low=2), check_int("symbols", symbols, low=2)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, symbols, size=n)
    noise = rng.integers(0, symbols, size=(n, length - 1))
    x = np.zeros((n, length, symbols + 1), dtype=np.float32)
    x[np.arange(n), 0, y] = 1.0
    rows, steps = np.meshgrid(np.arange(n), np.arange(1, length), indexing="ij")
    if distractors:
        x[rows, steps, noise] = 1.0
    x[:, 1:, symbols] = 1.0
    return x, y.astype(np.int64)


def adding_problem(n: int, length: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: sum the two values whose marker is 1, among ``length`` random values.

    x: (n, length, 2) float32 with channel 0 uniform in [0, 1) and channel 1 a marker that is 1 at one
    step in the first half and one in the second half; y: (n,) float32, the sum of the two marked values.
    """
    n, length = check_int("n", n), check_int("length", length, low=2)
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((n, length))
    half = length // 2
    first, second = rng.integers(0, half, size=n), rng.integers(half, length, size=n)
    rows = np.arange(n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    return x, (x[rows, first, 0] + x[rows, second, 0]).astype(np.float32)


def noisy_sines(
    length: int, *, periods: tuple[float, ...] = (23.0, 61.0), noise: float = 0.1, seed: int = 0
) -> np.ndarray:
    """sum_k sin(2 pi t / period_k + phase_k) + noise * N(0, 1) for t = 0..length-1. Returns (length,) float32."""
    length = check_int("length", length)
    noise = check_hyper("noise", noise)
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    phases = rng.uniform(0, 2 * np.pi, size=len(periods))
    clean = sum(np.sin(2 * np.pi * t / p + ph) for p, ph in zip(periods, phases, strict=True))
    return (clean + noise * rng.standard_normal(length)).astype(np.float32)


def forecast_windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``window`` consecutive values and the value that follows: x (N, window, 1), y (N,), N = L - window."""
    check_array("series", series, (None,), dtype_kind="f")
    series = np.asarray(series)
    window = check_int("window", window)
    if series.size <= window:
        raise ValueError(f"series must be longer than window={window}, got length {series.size}")
    idx = np.arange(series.size - window)[:, None] + np.arange(window)
    return series[idx][..., None], series[window:].copy()

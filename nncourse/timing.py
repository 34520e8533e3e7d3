"""Measuring cost without printing it: the median CPU time of a call, and how a cost grows.

Notebooks show only ``growth_shape`` statements (machine-independent text); benchmarks print the
numbers. CPU time of this process (``time.process_time``), not wall time: with one thread it counts
the work done, not the time spent waiting for a core on a busy machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np


def median_cpu_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of one call of ``fn`` over ``repeats`` calls, after one warm-up call."""
    if repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    fn()  # warm-up: first-call allocations and lazy initialisation are not the cost we measure
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(statistics.median(times))


def growth_shape(lengths: np.ndarray, costs: np.ndarray) -> str:
    """Describe how ``costs`` grow with ``lengths`` from the slope of the log-log fit (never the raw costs)."""
    slope = float(np.polyfit(np.log(np.asarray(lengths, float)), np.log(np.asarray(costs, float)), 1)[0])
    if slope < 0.5:
        return "roughly constant"
    if slope < 1.4:
        return "grows linearly"
    return "grows faster than linearly"

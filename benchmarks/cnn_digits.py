"""Train the chapter 10 digits CNN (``digits_cnn`` with ``DIGITS_CNN``) for a few seeds and print a table.

    python benchmarks/cnn_digits.py                  # seeds 0 1 2, one torch thread
    python benchmarks/cnn_digits.py --threads 2

The split is the course's ``load_dataset("digits")`` split (1077 / 360 / 360), as images scaled to
[0, 1] (``load_digit_images``). Wall and CPU seconds cover the training loop, not the final test pass.
Targets (issue 11): mean test accuracy >= 0.990 with < 20,000 parameters, trained in < 20 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.chapters.ch10_cnns import (
    DIGITS_CNN,
    digits_cnn,
    train_classifier,
)
from nncourse.data import load_digit_images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    split = load_digit_images()
    print(f"digits CNN recipe: {DIGITS_CNN}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {args.threads} thread(s)\n"
    )
    print("| seed | test accuracy | wall s | CPU s | parameters |")
    print("|---:|---:|---:|---:|---:|")
    accs, walls = [], []
    for seed in args.seeds:
        start = time.perf_counter()
        result = train_classifier(digits_cnn(seed), split, DIGITS_CNN, seed=seed)
        walls.append(time.perf_counter() - start)
        accs.append(result.test_accuracy)
        print(
            f"| {seed} | {result.test_accuracy:.4f} | {walls[-1]:.1f} | {result.cpu_seconds:.1f} | {result.parameters:,} |",
            flush=True,
        )
    print(
        f"\nmean test accuracy {statistics.mean(accs):.4f} over {len(accs)} seeds; "
        f"parameters {result.parameters:,}; mean wall time {statistics.mean(walls):.1f} s"
    )
    ok = statistics.mean(accs) >= 0.99 and result.parameters < 20_000
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Train the course's digits MLP recipe (chapter 05) from scratch for a few seeds and print a table.

    python benchmarks/digits_mlp.py                 # seeds 0 1 2, one torch thread
    python benchmarks/digits_mlp.py --seeds 0 1 2 3 4 --threads 2

The recipe lives in ``nncourse.models.mlp.digits_recipe`` (shared with the notebook and the tests).
Train time covers building the model, the loaders and the training loop (with its per-epoch
evaluation passes), not the final test evaluation. Timings are for this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.models import digits_recipe, train_digits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    recipe = digits_recipe()
    print(f"digits MLP recipe: {recipe}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {args.threads} thread(s)\n"
    )
    print("| seed | test accuracy | train time (s) | parameters | epochs |")
    print("|---:|---:|---:|---:|---:|")
    accs, times = [], []
    for seed in args.seeds:
        result = train_digits(seed=seed, recipe=recipe)
        accs.append(result.test_accuracy)
        times.append(result.seconds)
        print(
            f"| {seed} | {result.test_accuracy:.4f} | {result.seconds:.2f} | {result.parameters:,} | {result.epochs} |",
            flush=True,
        )
    print(
        f"| mean | {statistics.mean(accs):.4f} | {statistics.mean(times):.2f} | {result.parameters:,} | {result.epochs} |"
    )
    print(f"\nlowest test accuracy {min(accs):.4f} (floor 0.97): {'ok' if min(accs) >= 0.97 else 'BELOW THE FLOOR'}")
    return 0 if min(accs) >= 0.97 else 1


if __name__ == "__main__":
    raise SystemExit(main())

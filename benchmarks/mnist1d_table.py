"""MNIST-1D (generated locally by ``mnist1d.make_dataset``, 4000 train / 1000 test): linear model, MLP
and CNN (and chapter 12's GRU, chapter 14's Transformer), each on the signals as they are and with their 40 positions reordered by one fixed permutation.

    python benchmarks/mnist1d_table.py                  # one torch thread, seed 0
    python benchmarks/mnist1d_table.py --seeds 0 1 2 --threads 2

Recipes and models: ``nncourse.chapters.ch10_cnns`` (``MNIST1D_RECIPES``, ``mnist1d_model``). CPU
seconds are process CPU time of training (model build excluded, final test pass excluded).
Published reference (Greydanus 2020, same data size): linear ~32%, MLP ~68%, CNN ~94%.
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
from nncourse.chapters.ch10_cnns import (
    MNIST1D_RECIPES,
    fixed_permutation,
    mnist1d_model,
    permute_split,
    train_classifier,
)
from nncourse.data import load_mnist1d


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--plain-only", action="store_true", help="skip the permuted runs (the model ladder)")
    parser.add_argument("--models", nargs="+", default=list(MNIST1D_RECIPES), choices=list(MNIST1D_RECIPES))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    plain = load_mnist1d()
    data = (
        {"no": plain} if args.plain_only else {"no": plain, "yes": permute_split(plain, fixed_permutation(40, seed=0))}
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {args.threads} thread(s)"
    )
    print(f"data: {plain}; seeds {args.seeds}\n")
    print("| model | permuted | test accuracy | parameters | CPU s | recipe |")
    print("|---|---|---:|---:|---:|---|")
    for kind in args.models:
        recipe = MNIST1D_RECIPES[kind]
        for permuted, split in data.items():
            accs, secs, params = [], [], 0
            for seed in args.seeds:
                result = train_classifier(mnist1d_model(kind, seed), split, recipe, seed=seed)
                accs.append(result.test_accuracy)
                secs.append(result.cpu_seconds)
                params = result.parameters
            acc = f"{statistics.mean(accs):.3f}" + (f" ± {statistics.stdev(accs):.3f}" if len(accs) > 1 else "")
            print(
                f"| {kind} | {permuted} | {acc} | {params:,} | {statistics.mean(secs):.1f} | "
                f"{recipe.epochs} ep, lr {recipe.lr:g}, batch {recipe.batch_size} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

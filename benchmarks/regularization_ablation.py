"""The chapter 07 ablation over several seeds: mean ± std of validation and test accuracy per config.

    python benchmarks/regularization_ablation.py            # 3 seeds
    python benchmarks/regularization_ablation.py --seeds 5

Each row trains the MLP of ``nncourse.chapters.ch07_regularization`` (64-256-256-10) on digits with one remedy
switched on (``DEFAULT_CONFIGS``), through ``nncourse.train.fit``. Wall time is per training run,
on this machine, with torch pinned to one thread.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.chapters import ch07_regularization as reg
from nncourse.data import load_dataset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ...)")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = load_dataset("digits", seed=0)
    start = time.perf_counter()
    runs = [reg.run_ablation(reg.DEFAULT_CONFIGS, data, seed=seed, epochs=args.epochs) for seed in range(args.seeds)]
    total = time.perf_counter() - start

    def stat(name: str, key: str) -> str:
        values = np.array([row[key] for rows in runs for row in rows if row["config"] == name])
        return f"{values.mean():.3f} ± {values.std():.3f}"

    print(
        f"# regularization ablation: digits, {args.seeds} seeds, {args.epochs} epochs, "
        f"{platform.machine()}, torch {torch.__version__}, 1 thread"
    )
    header = (
        f"{'config':<15} | {'n_train':>7} | {'epochs':>6} | {'train acc':>13} | {'val acc':>13} | "
        f"{'test acc':>13} | {'val loss':>13} | {'s/run':>5}"
    )
    print(header)
    print("-" * len(header))
    base_val = np.mean([r["val_accuracy"] for rows in runs for r in rows if r["config"] == "none"])
    for config in reg.DEFAULT_CONFIGS:
        rows = [r for seed_rows in runs for r in seed_rows if r["config"] == config.name]
        epochs = np.mean([r["epochs_run"] for r in rows])
        seconds = np.mean([r["seconds"] for r in rows])
        print(
            f"{config.name:<15} | {rows[0]['n_train']:>7d} | {epochs:>6.0f} | {stat(config.name, 'train_accuracy'):>13} | "
            f"{stat(config.name, 'val_accuracy'):>13} | {stat(config.name, 'test_accuracy'):>13} | "
            f"{stat(config.name, 'val_loss'):>13} | {seconds:>5.2f}"
        )
    gains = {
        c.name: np.mean([r["val_accuracy"] for rows in runs for r in rows if r["config"] == c.name]) - base_val
        for c in reg.DEFAULT_CONFIGS[1:]
    }
    print("mean val accuracy gain over 'none': " + ", ".join(f"{k} {v:+.3f}" for k, v in gains.items()))
    print(f"total wall time {total:.1f} s")


if __name__ == "__main__":
    main()

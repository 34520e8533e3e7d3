"""Depth vs width, measured: train shallow and deep ReLU networks on 1-D targets and print a table.

    python benchmarks/depth_width.py                  # sawtooth T^4 and the smooth target, seeds 0-2
    python benchmarks/depth_width.py --seeds 0 --steps 3000

For each target and architecture (depth, width) it trains one network per seed with full-batch Adam
(``nncourse.chapters.ch08_depth_width.fit_regressor``) on 256 points of [-1, 1] and prints the parameter count,
the final training MSE (best and median over seeds) and the seconds per network. At the end it
prints the fewest parameters with which each family reached a target MSE (best seed). The
hand-built deep network for the sawtooth (``construct_sawtooth_net``) is listed for reference: it is
exact with 6k + 1 parameters. Timings are for this machine (torch on 1 thread).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.chapters import ch08_depth_width as A

SHALLOW = [(1, w) for w in (8, 16, 32, 64, 128, 256, 512)]
DEEP = [(2, 8), (3, 8), (4, 8), (2, 16), (3, 16), (4, 16)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--points", type=int, default=256)
    parser.add_argument("--k", type=int, default=4, help="tent-map compositions of the sawtooth target")
    parser.add_argument("--target-mse", type=float, default=2e-3)
    args = parser.parse_args()
    torch.set_num_threads(1)

    x = np.linspace(-1, 1, args.points)
    targets = {f"sawtooth k={args.k}": A.sawtooth(x, args.k), "smooth": A.smooth_target(x)}
    print(f"{args.points} points, {args.steps} full-batch Adam steps, lr {args.lr}, seeds {args.seeds}\n")
    print(f"{'target':<14} {'depth':>5} {'width':>5} {'params':>6} {'best MSE':>9} {'median MSE':>10} {'s/net':>6}")
    deep_exact = A.construct_sawtooth_net(args.k)
    exact_err = np.abs(A.evaluate_1d(deep_exact, x) - targets[f"sawtooth k={args.k}"]).max()
    print(
        f"{'sawtooth k=' + str(args.k):<14} {args.k:>5} {2:>5} {A.count_parameters(deep_exact):>6} "
        f"{exact_err**2:>9.1e} {'(by hand)':>10} {'-':>6}"
    )
    reach: dict[tuple[str, str], int | None] = {}
    for name, y in targets.items():
        for family, configs in (("shallow", SHALLOW), ("deep", DEEP)):
            best_rows = []
            for depth, width in configs:
                rows = [A.sweep([width], depth, x, y, steps=args.steps, lr=args.lr, seed=s)[0] for s in args.seeds]
                mses = [r["mse"] for r in rows]
                seconds = float(np.mean([r["seconds"] for r in rows]))
                print(
                    f"{name:<14} {depth:>5} {width:>5} {rows[0]['params']:>6} {min(mses):>9.2e} "
                    f"{float(np.median(mses)):>10.2e} {seconds:>6.2f}"
                )
                best_rows.append({"params": rows[0]["params"], "mse": min(mses)})
            reach[(name, family)] = A.params_to_reach(best_rows, args.target_mse)
    print(f"\nfewest parameters to reach MSE {args.target_mse:g} (best seed):")
    for name in targets:
        print(f"  {name:<14} shallow {reach[(name, 'shallow')]}, deep {reach[(name, 'deep')]}")


if __name__ == "__main__":
    main()

"""Each scratch optimizer of ``nncourse.optim`` against its ``torch.optim`` twin, in float64.

    python benchmarks/optim_parity.py

Both optimizers start from the same point of a 2-D surface (``nncourse.chapters.ch06_optimization``) and take 100
steps, each fed the exact gradient at its own current point; the table shows the largest
``|ours - torch|`` over the whole path. Values of about 1e-16 (a few units in the last place) mean
the two compute the same update; anything above 1e-10 would be a bug.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse import optim
from nncourse.chapters.ch06_optimization import (
    max_abs_diff,
    quadratic,
    rosenbrock,
    run_optimizer,
    run_torch_optimizer,
)

STEPS = 100
T = torch.optim
CASES = {  # name: (our optimizer, torch's), same hyper-parameters
    "SGD": (lambda: optim.SGD(lr=1e-3), lambda ps: T.SGD(ps, lr=1e-3)),
    "SGD + weight decay": (
        lambda: optim.SGD(lr=1e-3, weight_decay=0.1),
        lambda ps: T.SGD(ps, lr=1e-3, weight_decay=0.1),
    ),
    "SGD momentum": (lambda: optim.SGD(lr=1e-3, momentum=0.9), lambda ps: T.SGD(ps, lr=1e-3, momentum=0.9)),
    "SGD momentum + dampening": (
        lambda: optim.SGD(lr=1e-3, momentum=0.9, dampening=0.5),
        lambda ps: T.SGD(ps, lr=1e-3, momentum=0.9, dampening=0.5),
    ),
    "SGD Nesterov": (
        lambda: optim.SGD(lr=1e-3, momentum=0.9, nesterov=True),
        lambda ps: T.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True),
    ),
    "RMSprop": (lambda: optim.RMSprop(lr=1e-2), lambda ps: T.RMSprop(ps, lr=1e-2)),
    "RMSprop centered + momentum": (
        lambda: optim.RMSprop(lr=1e-3, centered=True, momentum=0.9),
        lambda ps: T.RMSprop(ps, lr=1e-3, centered=True, momentum=0.9),
    ),
    "Adam": (lambda: optim.Adam(lr=0.05), lambda ps: T.Adam(ps, lr=0.05)),
    "Adam + L2": (lambda: optim.Adam(lr=0.05, weight_decay=0.1), lambda ps: T.Adam(ps, lr=0.05, weight_decay=0.1)),
    "Adam amsgrad": (lambda: optim.Adam(lr=0.05, amsgrad=True), lambda ps: T.Adam(ps, lr=0.05, amsgrad=True)),
    "AdamW": (lambda: optim.AdamW(lr=0.05, weight_decay=0.1), lambda ps: T.AdamW(ps, lr=0.05, weight_decay=0.1)),
}


def main() -> None:
    torch.set_num_threads(1)
    surfaces = {"bowl (1, 20, rotated)": quadratic(1.0, 20.0, angle=0.4), "Rosenbrock": rosenbrock()}
    header = f"| {'optimizer':<28} | " + " | ".join(f"{name:>21}" for name in surfaces) + " |"
    print(f"max |nncourse.optim - torch.optim| over {STEPS} steps, float64")
    print(header)
    print("|" + "-" * 30 + "|" + "|".join("-" * 23 for _ in surfaces) + "|")
    worst = 0.0
    for name, (ours, theirs) in CASES.items():
        cells = []
        for surface in surfaces.values():
            a = run_optimizer(ours(), surface.start, surface.grad, STEPS)
            b = run_torch_optimizer(theirs, surface.start, surface.grad, STEPS)
            diff = max_abs_diff(a, b)
            worst = max(worst, diff)
            cells.append(f"{diff:21.1e}")
        print(f"| {name:<28} | " + " | ".join(cells) + " |")
    print(f"worst: {worst:.1e} ({'OK' if worst < 1e-10 else 'MISMATCH'}: threshold 1e-10)")


if __name__ == "__main__":
    main()

"""The one-line set-up that opens every notebook of the course.

    from nncourse import setup_notebook; setup_notebook()

It makes a notebook's stored outputs reproducible on any machine: seeds for ``random``, numpy and
torch, one torch thread (the thread count changes float sums), inline PNG figures (SVG embeds a
date), and short printed numbers.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's ``random``, numpy's legacy global generator and torch; return a fresh numpy Generator.

    Code in the course takes explicit generators (``rng``) wherever it can; seeding the globals as well
    catches library code that still draws from them.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


@dataclass(frozen=True)
class NotebookContext:
    """What ``setup_notebook`` set: the seed, a seeded numpy Generator and the torch thread count."""

    seed: int
    rng: np.random.Generator
    threads: int


def setup_notebook(seed: int = 0, threads: int = 1, precision: int = 4) -> NotebookContext:
    """Prepare a notebook kernel for reproducible, comparable output.

    Args:
        seed: seed for ``random``, numpy and torch.
        threads: torch intra-op threads; 1 keeps float results identical across machines.
        precision: digits that numpy and torch print.

    Returns:
        A ``NotebookContext`` with the seed, a numpy ``Generator`` seeded with it and the thread count.
    """
    rng = seed_everything(seed)
    torch.set_num_threads(threads)
    np.set_printoptions(precision=precision, suppress=True, linewidth=100)
    torch.set_printoptions(precision=precision, sci_mode=False, linewidth=100)
    _setup_matplotlib()
    return NotebookContext(seed=seed, rng=rng, threads=threads)


def _setup_matplotlib() -> None:
    """Inline PNG figures of a fixed size when running inside IPython; a no-op elsewhere."""
    import matplotlib

    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return
    shell = get_ipython()
    if shell is None:
        return
    os.environ.pop("MPLBACKEND", None)  # an inherited "agg" would swallow every figure
    shell.run_line_magic("matplotlib", "inline")
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")
    matplotlib.rcParams.update({"figure.figsize": (6.0, 4.0), "figure.dpi": 72, "savefig.dpi": 72})

"""Gradient-norm clipping for the numpy optimizers' gradient dicts (torch's ``clip_grad_norm_``).

    total = clip_grad_norm(grads, max_norm=1.0)     # before opt.step(params, grads)

All gradients together are treated as one long vector ``v``. If ``||v||_p > max_norm`` every array is
multiplied, in place, by ``max_norm / (||v||_p + 1e-6)``; otherwise they are left as they are. The
returned ``total`` is the norm *before* clipping, handy to log.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from nncourse._validate import check_array, check_bool, check_hyper


def _arrays(grads: Mapping[str, np.ndarray] | Sequence[np.ndarray]) -> list[tuple[str, np.ndarray]]:
    if isinstance(grads, Mapping):
        items = [(f"grads[{k!r}]", g) for k, g in grads.items()]
    elif isinstance(grads, (list, tuple)):
        items = [(f"grads[{k}]", g) for k, g in enumerate(grads)]
    else:
        raise TypeError(f"grads must be a dict name -> array or a list of arrays, got {type(grads).__name__}")
    for label, g in items:
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{label} must be a numpy array (clipped in place), got {type(g).__name__}")
        if not g.flags.writeable:
            raise TypeError(f"{label} is read-only; clip_grad_norm scales gradients in place")
        check_array(label, g, dtype_kind="f")
    return items


def clip_grad_norm(
    grads: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients in place so that their joint ``norm_type``-norm is at most ``max_norm``.

    Same rule and same returned value as ``torch.nn.utils.clip_grad_norm_``:

        total = ( sum over arrays of ||g||_p ** p ) ** (1/p)          (p = inf: the largest |entry|)
        coef  = min(1, max_norm / (total + 1e-6));   every g *= coef

    Args:
        grads: dict name -> float array (any shapes), or a list of them; modified in place.
        max_norm: the largest allowed norm, >= 0.
        norm_type: p > 0, or ``math.inf`` for the max-norm.
        error_if_nonfinite: raise ``ValueError`` instead of scaling when the total norm is NaN or inf.

    Returns:
        The total norm of the gradients before clipping, a float (0.0 for no gradients).
    """
    items = _arrays(grads)
    max_norm = check_hyper("max_norm", max_norm)
    if (
        isinstance(norm_type, bool)
        or not isinstance(norm_type, (int, float, np.integer, np.floating))
        or not norm_type > 0
    ):
        raise ValueError(f"norm_type must be a number > 0 or math.inf, got {norm_type!r}")
    p = float(norm_type)
    check_bool("error_if_nonfinite", error_if_nonfinite)
    if not items:
        return 0.0
    if math.isinf(p):
        norms = [float(np.max(np.abs(g))) if g.size else 0.0 for _, g in items]
        total = max(norms)
    else:
        norms = [float(np.linalg.norm(g.reshape(-1), ord=p)) for _, g in items]
        total = float(np.linalg.norm(np.array(norms), ord=p))
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"the total norm of order {p} of the gradients is {total}; clip_grad_norm cannot scale them")
    coef = min(max_norm / (total + 1e-6), 1.0)
    for _, g in items:
        g *= coef
    return total

"""Finite-difference gradient checking for hand-written backward passes.

    result = gradcheck(f, x, analytic)     # f: () -> float, reading x; analytic: your dL/dx
    assert result.ok, str(result)          # "max relative error 3.2e-02 at index (0, 3): ..."

``check_layer(layer, *inputs)`` does this for every float input and every parameter of a scratch
layer (nested layers and losses included) at once.

The tolerance is scale-aware. Central differences are computed with two steps, ``eps`` and
``2 eps``; where they disagree, the finite difference itself is that uncertain (rounding in ``f``
at large or saturated inputs, a kink), and a difference up to 30 times that uncertainty (at least
the median uncertainty over the array, and never less than the rounding floor ``1e-16 |f| / eps``)
counts as agreement. Everywhere else the relative
error ``|a - n| / (|a| + |n|)`` must stay below ``tol``, so a wrong backward still fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncourse._validate import check_array

_U = float(np.finfo(np.float64).eps)
_SAFETY = 30.0


@dataclass
class GradCheckResult:
    """Outcome of one gradient check.

    Attributes:
        max_rel_error: the largest |a - n| / max(|a| + |n|, noise / tol) over all entries, where
            ``noise`` is the finite difference's own uncertainty at that entry.
        worst_index: index of that entry (``()`` for a scalar or empty array).
        analytic_value: the analytic gradient at ``worst_index``.
        numerical_value: the finite-difference gradient at ``worst_index``.
        ok: ``max_rel_error < tol``.
    """

    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic_value: float
    numerical_value: float
    ok: bool

    def __str__(self) -> str:
        return (
            f"max relative error {self.max_rel_error:.1e} at index {self.worst_index}: "
            f"analytic {self.analytic_value:.3g}, numerical {self.numerical_value:.3g}"
        )


def _check_target(x: Any, name: str = "x") -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (it is perturbed in place), got {type(x).__name__}")
    if x.dtype != np.float64:
        raise ValueError(f"{name} must have dtype float64 for finite differences to be accurate, got {x.dtype}")
    if not x.flags.writeable:
        raise ValueError(f"{name} must be writeable (it is perturbed in place and restored)")
    return x


def _check_positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__} {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _central(f: Callable[[], float], x: np.ndarray, idx: tuple[int, ...], h: float) -> tuple[float, float]:
    """(f(x + h e_i) - f(x - h e_i)) / (actual step), and max(|f+|, |f-|). Restores x[idx]."""
    original = x[idx]
    try:
        x[idx] = original + h
        step_up = x[idx] - original  # the step actually stored after rounding
        f_plus = float(f())
        x[idx] = original - h
        step_down = original - x[idx]
        f_minus = float(f())
    finally:
        x[idx] = original
    return (f_plus - f_minus) / (step_up + step_down), max(abs(f_plus), abs(f_minus))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of d f / d x, one entry at a time.

    ``f`` takes no arguments and must read ``x`` (the same array object), which is perturbed in
    place: ``grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` (with the step as stored after
    rounding). ``x`` is restored afterwards, even if ``f`` raises. x: float64 -> grad: same shape.
    """
    x = _check_target(x)
    eps = _check_positive("eps", eps)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        grad[idx] = _central(f, x, idx, eps)[0]
    return grad


def gradcheck(
    f: Callable[[], float], x: np.ndarray, analytic: np.ndarray, eps: float = 1e-6, tol: float = 1e-6
) -> GradCheckResult:
    """Compare ``analytic`` (same shape as x) with central differences of ``f`` at ``x``.

    Entry by entry: n = the difference with step eps, noise = max(|n - (difference with step 2 eps)|,
    its median over the array) + 1e-16 * |f| / eps; error = |a - n| / max(|a| + |n|, 30 * noise / tol).
    Passes when the largest error is below ``tol``: a correct gradient passes at saturated or large inputs (where ``f`` is
    computed with large rounding), while a wrong one, off by more than the noise, fails.
    """
    x = _check_target(x)
    check_array("analytic", analytic, x.shape, dtype_kind="f")
    eps = _check_positive("eps", eps)
    tol = _check_positive("tol", tol)
    analytic = np.asarray(analytic, dtype=np.float64)
    if x.size == 0:
        return GradCheckResult(0.0, (), 0.0, 0.0, True)
    numerical, noise = np.zeros_like(x), np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        n1, size1 = _central(f, x, idx, eps)
        n2, size2 = _central(f, x, idx, 2 * eps)
        numerical[idx] = n1
        noise[idx] = abs(n1 - n2) + _U * max(size1, size2) / eps
    # rounding noise is much the same at every entry of one array: an entry whose two differences agree
    # by chance borrows the typical (median) disagreement; a kink at a few entries does not spread
    noise = np.maximum(noise, np.median(noise))
    floor = np.maximum(_SAFETY * noise / tol, np.finfo(np.float64).tiny)
    rel = np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), floor)
    rel = np.where(np.isnan(rel), np.inf, rel)  # a NaN anywhere is a failure, never a pass
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(rel)), x.shape))
    max_rel = float(rel[worst])
    return GradCheckResult(max_rel, worst, float(analytic[worst]), float(numerical[worst]), bool(max_rel < tol))


def _generators(layer: Any) -> list[np.random.Generator]:
    """Every ``rng`` Generator in ``layer`` and its children (e.g. Dropout inside a Sequential)."""
    found = [layer.rng] if isinstance(getattr(layer, "rng", None), np.random.Generator) else []
    for _, child in layer.named_children():
        found.extend(_generators(child))
    return found


def check_layer(
    layer: Any, *inputs: Any, seed: int = 0, eps: float = 1e-6, tol: float = 1e-6
) -> dict[str, GradCheckResult]:
    """Gradient-check every float input and every parameter of a scratch layer (or loss, or container).

    The scalar checked is ``L = sum(out * dout)`` with a fixed random ``dout`` (seeded by ``seed``),
    so ``dL/dout = dout`` and the layer's own backward gives the analytic gradients. Random layers
    (Dropout) replay the same random state for every forward; buffers (running statistics) are
    restored afterwards; the layer's gradients are zeroed and then hold the checked ones. Inputs are
    copied, never changed. Inputs whose gradient ``backward`` does not return (integer indices, a
    loss's target) are not checked. The layer's current train/eval mode is used.

    Returns:
        ``{"input0": ..., "input1": ..., "<dotted parameter name>": ...}``, one ``GradCheckResult`` each.
    """
    if not inputs:
        raise ValueError("check_layer needs at least one input for the layer")
    xs = [np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in inputs]  # perturb copies only
    rngs = _generators(layer)
    rng_states = [g.bit_generator.state for g in rngs]
    saved_buffers = {k: np.copy(v) for k, v in layer.buffers.items()}

    def replay() -> None:
        for g, state in zip(rngs, rng_states, strict=True):
            g.bit_generator.state = state

    try:
        replay()
        layer.zero_grad()
        out, cache = layer.forward(*xs)
        dout = np.random.default_rng(seed).standard_normal(np.shape(out))  # fixed upstream gradient
        grads_in = layer.backward(dout, cache)
        if not isinstance(grads_in, tuple):
            grads_in = (grads_in,) + (None,) * (len(xs) - 1)
        params, analytic = layer.params, {k: np.copy(g) for k, g in layer.grads.items()}

        def loss() -> float:
            replay()
            return float(np.sum(np.asarray(layer.forward(*xs)[0]) * dout))

        results = {}
        for i, (x, g) in enumerate(zip(xs, grads_in, strict=False)):
            if g is not None:
                results[f"input{i}"] = gradcheck(loss, _check_target(x, f"inputs[{i}]"), g, eps=eps, tol=tol)
        for name, p in params.items():
            results[name] = gradcheck(loss, _check_target(p, name), analytic[name], eps=eps, tol=tol)
    finally:
        for k, v in saved_buffers.items():
            layer.buffers[k][...] = v
    return results

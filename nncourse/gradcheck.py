"""Finite-difference gradient checking for hand-written backward passes.

    result = gradcheck(f, x, analytic)     # f: () -> float, reading x; analytic: your dL/dx
    assert result.ok, str(result)          # "max relative error 3.2e-02 at index (0, 3): ..."

``check_layer(layer, x)`` does this for the input and every parameter of a scratch layer at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from nncourse._validate import check_array

TINY = float(np.finfo(np.float64).tiny)  # default floor: only guards 0 / 0 when both gradients are 0


@dataclass
class GradCheckResult:
    """Outcome of one gradient check.

    Attributes:
        max_rel_error: the largest |a - n| / max(|a| + |n|, tiny) over all entries.
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


def _check_target(x: Any) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise ValueError(f"x must be a numpy array (it is perturbed in place), got {type(x).__name__}")
    if x.dtype != np.float64:
        raise ValueError(f"x must have dtype float64 for finite differences to be accurate, got {x.dtype}")
    if not x.flags.writeable:
        raise ValueError("x must be writeable (it is perturbed in place and restored)")
    return x


def _check_eps(eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    return float(eps)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of d f / d x, one entry at a time.

    ``f`` takes no arguments and must read ``x`` (the same array object), which is perturbed in
    place: ``grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``. ``x`` is restored afterwards,
    even if ``f`` raises. x: any shape, float64 -> grad: same shape as x.
    """
    x = _check_target(x)
    eps = _check_eps(eps)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        original = x[idx]
        try:
            x[idx] = original + eps
            f_plus = float(f())
            x[idx] = original - eps
            f_minus = float(f())
        finally:
            x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def gradcheck(
    f: Callable[[], float],
    x: np.ndarray,
    analytic: np.ndarray,
    eps: float = 1e-6,
    tol: float = 1e-6,
    *,
    tiny: float = TINY,
) -> GradCheckResult:
    """Compare ``analytic`` (same shape as x) with ``numerical_gradient(f, x, eps)``.

    Relative error per entry: |a - n| / max(|a| + |n|, tiny); the check passes when the largest is
    below ``tol``.

    Caveat: where the true gradient is exactly zero (e.g. the bias of a Linear layer followed by
    BatchNorm), both values are rounding noise (the numerical one about 1e-16 * |f| / eps) and the
    relative error can be ~1. A larger ``tiny`` (e.g. 1e-2) judges entries with |a| + |n| < tiny
    by their absolute error |a - n| / tiny instead.
    """
    x = _check_target(x)
    check_array("analytic", analytic, x.shape, dtype_kind="f")
    for name, value in (("tol", tol), ("tiny", tiny)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    analytic = np.asarray(analytic, dtype=np.float64)
    numerical = numerical_gradient(f, x, eps)
    if x.size == 0:
        return GradCheckResult(0.0, (), 0.0, 0.0, True)
    rel = np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), tiny)
    flat = int(np.argmax(rel))
    worst = tuple(int(i) for i in np.unravel_index(flat, x.shape))
    max_rel = float(rel[worst])
    return GradCheckResult(
        max_rel_error=max_rel,
        worst_index=worst,
        analytic_value=float(analytic[worst]),
        numerical_value=float(numerical[worst]),
        ok=bool(max_rel < tol),
    )


def _generators(layer: Any) -> list[np.random.Generator]:
    """Every ``rng`` Generator in ``layer`` and its children (e.g. Dropout inside a Sequential)."""
    found = [layer.rng] if isinstance(getattr(layer, "rng", None), np.random.Generator) else []
    for child in getattr(layer, "layers", []):
        found.extend(_generators(child))
    return found


def check_layer(
    layer: Any, x: np.ndarray, seed: int = 0, eps: float = 1e-6, tol: float = 1e-6, *, tiny: float = TINY
) -> dict[str, GradCheckResult]:
    """Gradient-check the input and every parameter of a scratch layer.

    The scalar checked is ``loss = sum(out * dout)`` with a fixed random ``dout`` (seeded by
    ``seed``), so ``dL/dout = dout`` and the layer's own backward gives the analytic gradients.
    Random layers (Dropout) are replayed with the same random state for every forward, so the
    function is deterministic; buffers (BatchNorm running stats) are restored afterwards.
    The layer's current train/eval mode is used. x: float64, whatever shape the layer accepts.

    Returns:
        ``{"x": result for dL/dx, "<param name>": result for each parameter}``.
    """
    x = np.array(_check_target(x), copy=True)  # perturb a copy, never the caller's array
    rngs = _generators(layer)
    rng_states = [g.bit_generator.state for g in rngs]
    saved_buffers = {k: np.copy(v) for k, v in layer.buffers.items()}

    def replay() -> None:
        for g, state in zip(rngs, rng_states):
            g.bit_generator.state = state

    try:
        replay()
        out, cache = layer.forward(x)
        dout = np.random.default_rng(seed).standard_normal(np.shape(out))  # fixed upstream gradient
        dx = layer.backward(dout, cache)
        analytic = {name: np.copy(g) for name, g in layer.grads.items()}

        def loss() -> float:
            replay()
            return float(np.sum(layer.forward(x)[0] * dout))

        results = {"x": gradcheck(loss, x, dx, eps=eps, tol=tol, tiny=tiny)}
        for name, p in layer.params.items():
            results[name] = gradcheck(loss, p, analytic[name], eps=eps, tol=tol, tiny=tiny)
    finally:
        for k, v in saved_buffers.items():
            layer.buffers[k][...] = v
    return results

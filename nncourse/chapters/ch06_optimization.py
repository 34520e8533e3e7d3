"""Chapter 06: two-dimensional loss surfaces, and drivers that walk an optimizer across them.

A surface is a function of a point ``theta = (x, y)`` with a closed-form gradient, small enough to
draw as a contour plot, so that an optimizer's path can be watched step by step:

    surface = quadratic(1.0, 10.0)                          # ill-conditioned bowl, condition number 10
    path = run_optimizer(Adam(lr=0.1), surface.start, surface.grad, steps=100)   # (101, 2)

``run_torch_optimizer`` does the same with a ``torch.optim`` optimizer, so both paths can be compared
point by point. Every path is float64; once a point leaves the disc of radius ``max_norm`` the run
stops and the remaining rows are NaN (matplotlib leaves them out), which keeps diverging learning
rates from overflowing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nncourse._validate import check_array

GradFn = Callable[[np.ndarray], np.ndarray]
"""``grad_fn(theta) -> g``: the gradient, shape (2,), at the point ``theta``, shape (2,)."""


@dataclass(frozen=True)
class Surface:
    """A 2-D loss ``f`` with its gradient, its minimum, a suggested start and a plotting window.

    ``f`` maps points of shape ``(..., 2)`` to values of shape ``(...)``; ``grad`` maps ``(..., 2)``
    to ``(..., 2)``. Call the surface itself (``surface(theta)``) for ``f``.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    minimum: np.ndarray
    start: np.ndarray
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        return self.f(_points("theta", theta))

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Y, Z)``, each of shape ``(n, n)``, over ``xlim`` x ``ylim``, for ``plt.contour``."""
        xs = np.linspace(*self.xlim, n)  # (n,)
        ys = np.linspace(*self.ylim, n)  # (n,)
        X, Y = np.meshgrid(xs, ys)  # (n, n) each
        Z = self.f(np.stack([X, Y], axis=-1))  # (n, n)
        return X, Y, Z


def _points(name: str, theta: Any) -> np.ndarray:
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim == 0 or theta.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (..., 2) (points in the plane), got shape {theta.shape}")
    return theta


def quadratic(a: float = 1.0, b: float = 10.0, angle: float = 0.0, start: tuple[float, float] = (-4.0, 1.5)) -> Surface:
    """The bowl ``f(theta) = theta^T H theta / 2`` with eigenvalues ``a`` and ``b`` of ``H`` (2, 2).

    ``angle`` (radians) rotates the bowl's axes away from the coordinate axes. The condition number
    ``max(a, b) / min(a, b)`` measures how elongated the valley is; gradient descent is stable for a
    learning rate below ``2 / max(a, b)``. The minimum is at the origin.
    """
    if not (a > 0 and b > 0):
        raise ValueError(f"the curvatures a and b must be > 0, got a={a!r}, b={b!r}")
    c, s = math.cos(angle), math.sin(angle)
    R = np.array([[c, -s], [s, c]])  # (2, 2) rotation
    H = R @ np.diag([float(a), float(b)]) @ R.T  # (2, 2) symmetric positive definite

    def f(theta: np.ndarray) -> np.ndarray:
        theta = _points("theta", theta)
        return 0.5 * np.einsum("...i,ij,...j->...", theta, H, theta)  # (...)

    def grad(theta: np.ndarray) -> np.ndarray:
        return _points("theta", theta) @ H  # (..., 2); H is symmetric

    name = f"quadratic (curvatures {a:g} and {b:g})"
    return Surface(name, f, grad, np.zeros(2), np.array(start, dtype=np.float64), (-5.0, 5.0), (-2.5, 2.5))


def rosenbrock(a: float = 1.0, b: float = 100.0, start: tuple[float, float] = (-1.5, 2.0)) -> Surface:
    """Rosenbrock's banana valley ``f = (a - x)^2 + b (y - x^2)^2``, minimum 0 at ``(a, a^2)``.

    The valley floor ``y = x^2`` is easy to reach and slow to follow: the gradient points across the
    curved valley, not along it.
    """

    def f(theta: np.ndarray) -> np.ndarray:
        theta = _points("theta", theta)
        x, y = theta[..., 0], theta[..., 1]
        return (a - x) ** 2 + b * (y - x**2) ** 2  # (...)

    def grad(theta: np.ndarray) -> np.ndarray:
        theta = _points("theta", theta)
        x, y = theta[..., 0], theta[..., 1]
        dx = -2 * (a - x) - 4 * b * x * (y - x**2)
        dy = 2 * b * (y - x**2)
        return np.stack([dx, dy], axis=-1)  # (..., 2)

    return Surface(
        f"Rosenbrock (b={b:g})",
        f,
        grad,
        np.array([a, a * a], dtype=np.float64),
        np.array(start, dtype=np.float64),
        (-2.0, 2.0),
        (-1.0, 3.0),
    )


def _start(start: Any) -> np.ndarray:
    start = np.array(start, dtype=np.float64)  # a private copy
    check_array("start", start, (2,), finite=True)
    return start


def _grad(grad_fn: GradFn, theta: np.ndarray) -> np.ndarray:
    g = np.asarray(grad_fn(theta.copy()), dtype=np.float64)
    check_array("grad_fn(theta)", g, (2,))
    return g


def _check_steps(steps: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")


def run_optimizer(
    opt: Any, start: Any, grad_fn: GradFn, steps: int, *, scheduler: Any = None, max_norm: float = 1e6
) -> np.ndarray:
    """Drive an ``nncourse.optim`` optimizer from ``start`` for ``steps`` steps; return the path.

    At each step the optimizer receives ``{"theta": grad_fn(theta)}``; after it, ``scheduler.step()``
    is called if a scheduler (already built on ``opt``) is given.

    Args:
        opt: an optimizer with ``step(params, grads)``, e.g. ``nncourse.optim.Adam(lr=0.1)``.
        start: the first point, shape (2,).
        grad_fn: gradient at a point, (2,) -> (2,).
        steps: number of optimizer steps, an int >= 0.
        max_norm: stop once ``|theta|`` exceeds it (divergence); later rows are NaN.

    Returns:
        ``path`` of shape ``(steps + 1, 2)``: ``path[0]`` is ``start``, ``path[t]`` the point after step t.
    """
    _check_steps(steps)
    params = {"theta": _start(start)}  # (2,), updated in place by opt
    path = np.full((steps + 1, 2), np.nan)  # (steps + 1, 2)
    path[0] = params["theta"]
    for t in range(1, steps + 1):
        opt.step(params, {"theta": _grad(grad_fn, params["theta"])})
        if scheduler is not None:
            scheduler.step()
        if not np.linalg.norm(params["theta"]) <= max_norm:  # also catches NaN
            break
        path[t] = params["theta"]
    return path


def run_torch_optimizer(
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    start: Any,
    grad_fn: GradFn,
    steps: int,
    *,
    make_scheduler: Callable[[Any], Any] | None = None,
    max_norm: float = 1e6,
) -> np.ndarray:
    """Like ``run_optimizer`` but with a ``torch.optim`` optimizer on a float64 tensor.

    Args:
        make_optimizer: builds the optimizer from a list of parameters, e.g.
            ``lambda ps: torch.optim.Adam(ps, lr=0.1)``.
        make_scheduler: optional, builds a ``torch.optim.lr_scheduler`` on that optimizer.
        start, grad_fn, steps, max_norm: as in ``run_optimizer``; ``grad_fn`` is fed the point as numpy.

    Returns:
        ``path`` of shape ``(steps + 1, 2)``, float64.
    """
    _check_steps(steps)
    theta = torch.tensor(_start(start), dtype=torch.float64, requires_grad=True)  # (2,)
    opt = make_optimizer([theta])
    sched = make_scheduler(opt) if make_scheduler is not None else None
    path = np.full((steps + 1, 2), np.nan)  # (steps + 1, 2)
    path[0] = theta.detach().numpy()
    for t in range(1, steps + 1):
        point = theta.detach().numpy().copy()  # (2,)
        theta.grad = torch.from_numpy(_grad(grad_fn, point))  # (2,) float64
        opt.step()
        if sched is not None:
            sched.step()
        if not np.linalg.norm(theta.detach().numpy()) <= max_norm:
            break
        path[t] = theta.detach().numpy()
    return path


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b|`` over two paths of the same shape; NaN rows must agree (both diverged)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"the paths must have the same shape, got {a.shape} and {b.shape}")
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return math.inf
    both = ~np.isnan(a)
    return float(np.max(np.abs(a[both] - b[both]))) if both.any() else 0.0

"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm``, twins of the torch modules.

The formulas are ``nncourse.scratch.functional.batch_norm_*`` and ``layer_norm_*``; statistics are
accumulated in float64 for every input dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nncourse._validate import check_float_dtype, check_int
from nncourse.scratch import functional as F
from nncourse.scratch.base import Cache, Layer


def _check_eps(eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(f"eps must be a positive number, got {type(eps).__name__} {eps!r}")
    if not eps > 0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    return float(eps)


class _BatchNorm(Layer):
    """Normalise each channel (axis 1) over the batch and every axis after it, then scale and shift.

    Training mode: the batch's mean and *biased* variance normalise the input, and the running
    estimates are updated as torch does (the variance with N - 1, ``momentum=None`` a cumulative
    average). Evaluation mode: the running estimates normalise; nothing is updated.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance before the square root.
        momentum: weight of the new batch in the running estimates, in [0, 1], or ``None``.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0), each (C,).
        track_running_stats: keep ``running_mean`` (0), ``running_var`` (1), ``num_batches_tracked``.
        dtype: dtype of parameters and buffers (float64 by default).
    """

    expected: tuple[tuple[str, ...], ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.num_features = check_int("num_features", num_features)
        self.eps = _check_eps(eps)
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, (int, float))):
            raise TypeError(f"momentum must be a number in [0, 1] or None, got {type(momentum).__name__}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be a number in [0, 1] or None, got {momentum!r}")
        for name, flag in (("affine", affine), ("track_running_stats", track_running_stats)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        self.momentum = None if momentum is None else float(momentum)
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = check_float_dtype(dtype)
        c = self.num_features
        if affine:
            self.add_param("weight", np.ones(c, dtype=dt))
            self.add_param("bias", np.zeros(c, dtype=dt))
        if track_running_stats:
            self.add_buffer("running_mean", np.zeros(c, dtype=dt))
            self.add_buffer("running_var", np.ones(c, dtype=dt))
            self.add_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """x: (N, C, *) as ``expected`` -> out: same shape and dtype."""
        x = self._input("x", x)
        shape = x.shape
        if len(shape) not in (len(e) for e in self.expected) or shape[1] != self.num_features:
            want = " or ".join("(" + ", ".join(e) + ")" for e in self.expected).replace("C", str(self.num_features))
            raise ValueError(f"x must have shape {want}, got shape {tuple(shape)}")
        batch_stats = self.training or not self.track_running_stats
        if batch_stats and x.size // self.num_features < 2:
            raise ValueError(
                f"{type(self).__name__} in training mode needs more than 1 value per channel, got x of shape {x.shape}; "
                "use a batch of 2 or more, or call eval() first"
            )
        b = self._buffers
        out, saved = F.batch_norm_forward(
            x,
            self._params.get("weight"),
            self._params.get("bias"),
            running_mean=b.get("running_mean"),
            running_var=b.get("running_var"),
            training=batch_stats,
            eps=self.eps,
        )
        if self.training and self.track_running_stats:
            self._update_running_stats(saved["mean"], saved["var"], x.size // self.num_features)
        return out, Cache(self, out.shape, saved)

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        tracked = self._buffers["num_batches_tracked"]
        tracked += 1
        m = 1.0 / float(tracked) if self.momentum is None else self.momentum
        unbiased = var * (n / (n - 1))  # (C,) the running estimate uses the N - 1 version
        rm, rv = self._buffers["running_mean"], self._buffers["running_var"]
        rm[...] = (1 - m) * rm + m * mean
        rv[...] = (1 - m) * rv + m * unbiased

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout: shape of x -> dx; adds to grads['weight'] and grads['bias'] (both (C,))."""
        dout, cache = self._start_backward(dout, cache)
        dx, dweight, dbias = F.batch_norm_backward(dout, cache)
        if dweight is not None and dbias is not None:
            self._accumulate("weight", dweight)
            self._accumulate("bias", dbias)
        return dx

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of x: (N, C) or (N, C, L), per feature C. See ``_BatchNorm``."""

    expected = (("N", "C"), ("N", "C", "L"))


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images x: (N, C, H, W), per channel C. See ``_BatchNorm``."""

    expected = (("N", "C", "H", "W"),)


class LayerNorm(Layer):
    """Normalise each example over its last axes (``normalized_shape``), then scale and shift.

    Args:
        normalized_shape: the trailing shape normalised over, e.g. ``512`` or ``(T, D)``.
        eps: added to the variance before the square root.
        elementwise_affine: learn ``weight`` (init 1) and, with ``bias=True``, ``bias`` (init 0), both
            of shape ``normalized_shape``.
        dtype: dtype of the parameters (float64 by default).

    x: (*, *normalized_shape) -> out: same shape. The same computation in training and evaluation.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        dims = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape = tuple(check_int("normalized_shape", d) for d in dims)
        if not self.normalized_shape:
            raise ValueError("normalized_shape must hold at least one size, got ()")
        self.eps = _check_eps(eps)
        for name, flag in (("elementwise_affine", elementwise_affine), ("bias", bias)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        self.elementwise_affine = elementwise_affine
        dt = check_float_dtype(dtype)
        if elementwise_affine:
            self.add_param("weight", np.ones(self.normalized_shape, dtype=dt))
            if bias:
                self.add_param("bias", np.zeros(self.normalized_shape, dtype=dt))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """x: (*, *normalized_shape) -> out: same shape and dtype."""
        x = self._input("x", x)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k :] != self.normalized_shape:
            want = ", ".join(["*", *map(str, self.normalized_shape)])
            raise ValueError(f"x must have shape ({want}), got shape {x.shape}")
        out, saved = F.layer_norm_forward(
            x,
            self._params.get("weight"),
            self._params.get("bias"),
            normalized_shape=self.normalized_shape,
            eps=self.eps,
        )
        return out, Cache(self, out.shape, saved)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout: shape of x -> dx; adds to grads['weight'] and grads['bias'] (shape normalized_shape)."""
        dout, cache = self._start_backward(dout, cache)
        dx, dweight, dbias = F.layer_norm_backward(dout, cache)
        if dweight is not None:
            self._accumulate("weight", dweight)
        if dbias is not None:
            self._accumulate("bias", dbias)
        return dx

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

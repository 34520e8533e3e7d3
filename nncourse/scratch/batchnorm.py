"""``BatchNorm1d``: batch normalisation over (N, C) inputs, twin of ``torch.nn.BatchNorm1d``."""
from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.scratch.base import Cache, Layer, check_float_dtype, check_positive_int


class BatchNorm1d(Layer):
    """Normalise each feature (column) to zero mean and unit variance, then scale and shift.

    Training mode: statistics of the current batch (the *biased* variance, dividing by N) normalise
    the input, and the running estimates are updated as torch does::

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * batch_var_unbiased   # divides by N - 1

    (``momentum=None``: a cumulative average, factor ``1 / num_batches_tracked``, as in torch.)
    Evaluation mode: the running estimates normalise the input; nothing is updated.

    Args:
        num_features: C, the number of features.
        eps: added to the variance before the square root.
        momentum: weight of the new batch in the running estimates, in [0, 1], or ``None``.
        dtype: dtype of parameters and buffers (float64 by default).

    Parameters: weight (C,) initialised to 1, bias (C,) initialised to 0.
    Buffers: running_mean (C,) = 0, running_var (C,) = 1, num_batches_tracked () = 0.
    x: (N, C) -> out: (N, C).
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, *, dtype: Any = np.float64
    ) -> None:
        super().__init__()
        self.num_features = check_positive_int("num_features", num_features)
        if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not eps > 0:
            raise ValueError(f"eps must be a positive number, got {eps!r}")
        if momentum is not None and (
            isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1
        ):
            raise ValueError(f"momentum must be a number in [0, 1] or None, got {momentum!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        dt = check_float_dtype(dtype)
        c = self.num_features
        self.params["weight"] = np.ones(c, dtype=dt)
        self.params["bias"] = np.zeros(c, dtype=dt)
        self.buffers["running_mean"] = np.zeros(c, dtype=dt)
        self.buffers["running_var"] = np.ones(c, dtype=dt)
        self.buffers["num_batches_tracked"] = np.zeros((), dtype=np.int64)
        self.zero_grad()

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """x: (N, C) -> out: (N, C). In training mode N must be at least 2."""
        x = self._input(x, ("N", self.num_features))
        n = x.shape[0]
        if self.training:
            if n < 2:
                raise ValueError(
                    f"BatchNorm1d in training mode needs more than 1 sample per feature, got x of shape {x.shape}; "
                    "use a batch of 2 or more, or call eval() first"
                )
            mean = x.mean(axis=0)  # (C,)
            var = x.var(axis=0)  # (C,) biased: divides by N
            self._update_running_stats(mean, var, n)
        else:
            mean = self.buffers["running_mean"]
            var = self.buffers["running_var"]
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (C,)
        x_hat = (x - mean) * inv_std  # (N, C)
        out = (x_hat * self.params["weight"] + self.params["bias"]).astype(x.dtype, copy=False)
        return out, Cache(self, out.shape, x_hat=x_hat, inv_std=inv_std, batch_stats=self.training)

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        tracked = self.buffers["num_batches_tracked"]
        tracked += 1
        m = 1.0 / float(tracked) if self.momentum is None else self.momentum
        unbiased = var * (n / (n - 1))  # (C,) the running estimate uses the N - 1 version
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        rm[...] = (1 - m) * rm + m * mean
        rv[...] = (1 - m) * rv + m * unbiased

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout: (N, C) -> dx: (N, C); fills grads['weight'] and grads['bias'] (both (C,))."""
        dout, cache = self._start_backward(dout, cache)
        x_hat, inv_std = cache["x_hat"], cache["inv_std"]
        # out = weight * x_hat + bias  ->  dweight = sum_n dout * x_hat,  dbias = sum_n dout
        self._set_grad("weight", (dout * x_hat).sum(axis=0))
        self._set_grad("bias", dout.sum(axis=0))
        dx_hat = dout * self.params["weight"]  # (N, C)
        if not cache["batch_stats"]:
            # eval: mean and var are constants, x_hat = (x - mean) * inv_std  ->  dx = dx_hat * inv_std
            return (dx_hat * inv_std).astype(dout.dtype, copy=False)
        # train: mean and var depend on x too. With x_hat = (x - mu) / sigma and both mu and sigma
        # functions of the whole column, differentiating through all three gives
        #   dx = inv_std / N * (N * dx_hat - sum_n dx_hat - x_hat * sum_n (dx_hat * x_hat))
        n = dout.shape[0]
        dx = (inv_std / n) * (
            n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)
        )  # (N, C); the two sums are (C,) and broadcast over rows
        return dx.astype(dout.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

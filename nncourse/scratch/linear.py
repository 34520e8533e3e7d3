"""``Linear``: the affine map ``out = x @ weight.T + bias``, twin of ``torch.nn.Linear``."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse.scratch.base import Cache, Layer, check_float_dtype, check_positive_int, make_rng


class Linear(Layer):
    """Fully connected layer.

    Args:
        in_features: size of each input row.
        out_features: size of each output row.
        bias: whether to add a learned bias.
        rng: seed or Generator for the initialisation (explicit; no global random state is used).
        dtype: dtype of the parameters (float64 by default).

    Parameters (same names and shapes as torch):
        weight: (out_features, in_features)
        bias: (out_features,)

    Initialisation matches torch's default in distribution: every entry is drawn from
    ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        if not isinstance(bias, bool):
            raise ValueError(f"bias must be a bool, got {bias!r}")
        dt = check_float_dtype(dtype)
        gen = make_rng(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        self.params["weight"] = gen.uniform(-bound, bound, size=(self.out_features, self.in_features)).astype(dt)
        if bias:
            self.params["bias"] = gen.uniform(-bound, bound, size=(self.out_features,)).astype(dt)
        self.zero_grad()

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """x: (N, in_features) -> out: (N, out_features). The output keeps x's dtype."""
        x = self._input(x, ("N", self.in_features))
        w = self.params["weight"]
        out = x @ w.T  # (N, in) @ (in, out) -> (N, out)
        if "bias" in self.params:
            out = out + self.params["bias"]  # bias (out,) broadcasts over the N rows
        out = out.astype(x.dtype, copy=False)
        return out, Cache(self, out.shape, x=x)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout: (N, out_features) -> dx: (N, in_features); fills grads['weight'] and grads['bias']."""
        dout, cache = self._start_backward(dout, cache)
        x = cache["x"]
        w = self.params["weight"]
        # out[n, o] = sum_i x[n, i] * w[o, i] + b[o], so
        #   d out[n, o] / d w[o, i] = x[n, i]  ->  dW = dout.T @ x   (out, N) @ (N, in) -> (out, in)
        #   d out[n, o] / d b[o]     = 1        ->  db = sum over the batch of dout      -> (out,)
        #   d out[n, o] / d x[n, i] = w[o, i]  ->  dx = dout @ W     (N, out) @ (out, in) -> (N, in)
        self._set_grad("weight", dout.T @ x)
        if "bias" in self.params:
            self._set_grad("bias", dout.sum(axis=0))
        return (dout @ w).astype(x.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={'bias' in self.params}"

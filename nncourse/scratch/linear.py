"""``Linear``: the affine map ``out = x @ weight.T + bias``, twin of ``torch.nn.Linear``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse._validate import check_float_dtype, check_int, make_rng
from nncourse.scratch import functional as F
from nncourse.scratch.base import Cache, Layer


class Linear(Layer):
    """Fully connected layer over the last axis.

    Args:
        in_features: size of the last axis of the input.
        out_features: size of the last axis of the output.
        bias: whether to add a learned bias.
        rng: seed or Generator for the initialisation (explicit; no global random state is used).
        dtype: dtype of the parameters (float64 by default).

    Parameters (names and shapes as torch): weight (out_features, in_features), bias (out_features,),
    both drawn from ``U(-1/sqrt(in_features), 1/sqrt(in_features))`` like torch's default.
    x: (*, in_features) -> out: (*, out_features), in x's dtype.
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
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        dt = check_float_dtype(dtype)
        gen = make_rng(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        self.add_param("weight", gen.uniform(-bound, bound, size=(self.out_features, self.in_features)).astype(dt))
        if bias:
            self.add_param("bias", gen.uniform(-bound, bound, size=(self.out_features,)).astype(dt))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """x: (*, in_features) -> out: (*, out_features)."""
        x = self._input("x", x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"x must have shape (*, {self.in_features}) (in_features last), got shape {x.shape}")
        out, saved = F.linear_forward(x, self._params["weight"], self._params.get("bias"))
        return out, Cache(self, out.shape, saved)

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """dout: (*, out_features) -> dx: (*, in_features); adds to grads['weight'] and grads['bias']."""
        dout, cache = self._start_backward(dout, cache)
        dx, dweight, dbias = F.linear_backward(dout, cache)
        self._accumulate("weight", dweight)
        if dbias is not None:
            self._accumulate("bias", dbias)
        return dx

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={'bias' in self._params}"

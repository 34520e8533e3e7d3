"""``Dropout``: inverted dropout, twin of ``torch.nn.Dropout`` (the random masks differ from torch's)."""

from __future__ import annotations

import numpy as np

from nncourse._validate import make_rng
from nncourse.scratch import functional as F
from nncourse.scratch.base import Cache, Layer


class Dropout(Layer):
    """Zero each entry with probability ``p`` in training mode; identity in evaluation mode.

    Kept entries are scaled by ``1 / (1 - p)`` so the expected output equals the input, which is why
    nothing needs rescaling at evaluation time ("inverted" dropout).

    Args:
        p: drop probability, in [0, 1).
        rng: seed or Generator for the masks (explicit; each forward draws a fresh mask from it).

    forward(x: any shape) -> (out: same shape, cache); ``cache["mask"]`` is the boolean keep-mask
    (``None`` in evaluation mode).
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int = 0) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)):
            raise TypeError(f"dropout probability p must be a number in [0, 1), got {type(p).__name__} {p!r}")
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = make_rng(rng)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        x = self._input("x", x)
        if not self.training:
            return x.copy(), Cache(self, x.shape, {"mask": None})
        mask = self.rng.random(x.shape) >= self.p  # True = kept, with probability 1 - p
        out, saved = F.dropout_forward(x, mask, p=self.p)
        return out, Cache(self, out.shape, {**saved, "mask": mask})

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        if cache["mask"] is None:  # evaluation mode: out = x, so dx = dout
            return dout.copy()
        return F.dropout_backward(dout, cache)

    def extra_repr(self) -> str:
        return f"p={self.p}"

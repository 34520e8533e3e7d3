"""``Embedding``: a lookup table of vectors indexed by integers, twin of ``torch.nn.Embedding``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array, check_float_dtype, check_int, make_rng
from nncourse.scratch import functional as F
from nncourse.scratch.base import Cache, Layer


class Embedding(Layer):
    """Row ``i`` of ``weight`` is the vector of index ``i``.

    Args:
        num_embeddings: V, the number of indices (vocabulary size).
        embedding_dim: D, the length of each vector.
        padding_idx: an index whose row starts at zero and never gets a gradient (``None``: none).
            Negative values count from the end, as in torch.
        rng: seed or Generator for the initialisation, N(0, 1) as torch's default.
        dtype: dtype of the weight (float64 by default).

    Parameter: weight (V, D). indices: (*) integers in [0, V) -> out: (*, D).
    ``backward`` returns ``None``: integer indices have no gradient; the weight's is accumulated.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.num_embeddings = check_int("num_embeddings", num_embeddings)
        self.embedding_dim = check_int("embedding_dim", embedding_dim)
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
                raise TypeError(f"padding_idx must be an int or None, got {type(padding_idx).__name__}")
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"padding_idx must be in [-{self.num_embeddings}, {self.num_embeddings}), got {padding_idx}"
                )
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        weight = (
            make_rng(rng).standard_normal((self.num_embeddings, self.embedding_dim)).astype(check_float_dtype(dtype))
        )
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.add_param("weight", weight)

    def forward(self, indices: np.ndarray) -> tuple[np.ndarray, Cache]:
        """indices: (*) integers in [0, num_embeddings) -> out: (*, embedding_dim)."""
        check_array("indices", indices, None, dtype_kind="iu")
        indices = np.asarray(indices)
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            raise ValueError(
                f"indices must be in [0, {self.num_embeddings}), got values in [{indices.min()}, {indices.max()}]"
            )
        out, saved = F.embedding_forward(indices, self._params["weight"], padding_idx=self.padding_idx)
        return out, Cache(self, out.shape, saved)

    def backward(self, dout: np.ndarray, cache: Cache) -> None:
        """dout: (*, embedding_dim) -> None; adds the scattered dout rows to grads['weight']."""
        dout, cache = self._start_backward(dout, cache)
        self._accumulate("weight", F.embedding_backward(dout, cache))

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"

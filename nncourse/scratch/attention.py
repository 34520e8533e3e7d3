"""Attention layers: ``MultiheadAttention`` (twin of ``torch.nn.MultiheadAttention``) and positional encodings.

The formulas live in ``nncourse.scratch.functional.attention`` (scaled dot-product attention) and the
linear/embedding kernels; these layers hold parameters, reshape heads and translate masks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse._validate import check_array, check_bool, check_float_dtype, check_int, make_rng
from nncourse.scratch.base import Cache, Layer, require_cache
from nncourse.scratch.functional import attention as A
from nncourse.scratch.functional.layers import linear_backward, linear_forward
from nncourse.scratch.linear import Linear


def _torch_mask(name: str, mask: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """torch.nn.MultiheadAttention's convention: bool True = may NOT attend (-inf), float = added."""
    check_array(name, mask, shape)
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return np.where(mask, dtype.type(-np.inf), dtype.type(0))
    if mask.dtype.kind != "f":
        raise ValueError(f"{name} must be a bool or float array, got dtype {mask.dtype}")
    return mask.astype(dtype, copy=False)


class MultiheadAttention(Layer):
    """Multi-head attention with input and output projections, as ``torch.nn.MultiheadAttention``.

    Args:
        embed_dim: model width E (query, key and value all have E features).
        num_heads: number of heads H; each works in E / H dimensions, so H must divide E.
        bias: learn the input and output projection biases.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        rng, dtype: initialisation seed (torch's scheme: Xavier-uniform in_proj_weight, zero biases) and dtype.

    Parameters (torch's names): ``in_proj_weight`` (3E, E) = [W_q; W_k; W_v], ``in_proj_bias`` (3E,),
    ``out_proj.weight`` (E, E), ``out_proj.bias`` (E,) (``out_proj`` is a child ``Linear``), so
    ``load_torch`` copies a torch module name for name. No dropout, ``add_bias_kv`` or ``kdim``/``vdim``.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
            average_attn_weights=True, is_causal=False) -> ((attn_output, attn_weights), cache):
        query (L, N, E), key and value (S, N, E) ((N, L, E) with batch_first; (L, E) for one sequence).
        attn_mask (L, S) or (N * H, L, S) and key_padding_mask (N, S): torch's convention here, bool
        True = may NOT attend, float = added to the scores. ``is_causal=True`` without a mask builds
        the causal mask (torch needs it passed explicitly). attn_output like query; attn_weights
        (N, L, S) averaged over heads ((N, H, L, S) when not averaged; None if not need_weights).
        A query with every key masked gets zero weights and a zero context (torch's MHA gives NaN).
    backward((dattn_output, dattn_weights), cache) -> (dquery, dkey, dvalue): either upstream gradient
        may be None. For self-attention (one tensor passed three times) add the three gradients.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        bias: bool = True,
        batch_first: bool = False,
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.embed_dim = check_int("embed_dim", embed_dim)
        self.num_heads = check_int("num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"num_heads={self.num_heads} must divide embed_dim={self.embed_dim}")
        self.head_dim = self.embed_dim // self.num_heads
        self.bias = check_bool("bias", bias)
        self.batch_first = check_bool("batch_first", batch_first)
        dt = check_float_dtype(dtype)
        gen = make_rng(rng)
        e = self.embed_dim
        bound = math.sqrt(6.0 / (e + 3 * e))  # Xavier-uniform for a (3E, E) matrix
        self.add_param("in_proj_weight", gen.uniform(-bound, bound, size=(3 * e, e)).astype(dt))
        if self.bias:
            self.add_param("in_proj_bias", np.zeros(3 * e, dtype=dt))
        self.out_proj = Linear(e, e, bias=self.bias, rng=gen, dtype=dt)
        if self.bias:
            self.out_proj.params["bias"][...] = 0

    # ------------------------------------------------------------------ layout helpers
    def _to_nle(self, name: str, x: Any, unbatched: bool) -> np.ndarray:
        x = self._input(name, x, (None, self.embed_dim) if unbatched else (None, None, self.embed_dim))
        if unbatched:
            return x[None]
        return x if self.batch_first else np.swapaxes(x, 0, 1)

    def _from_nle(self, x: np.ndarray, unbatched: bool) -> np.ndarray:
        if unbatched:
            return x[0]
        return x if self.batch_first else np.swapaxes(x, 0, 1)

    def _heads(self, x: np.ndarray) -> np.ndarray:
        """(N, T, E) -> (N, H, T, E / H)."""
        n, t, _ = x.shape
        return x.reshape(n, t, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def _mask(
        self,
        attn_mask: Any,
        key_padding_mask: Any,
        is_causal: bool,
        n: int,
        lq: int,
        s: int,
        unbatched: bool,
        dtype: np.dtype,
    ) -> np.ndarray | None:
        """Both masks merged into one float mask broadcastable to (N, H, L, S), or None."""
        h = self.num_heads
        if is_causal and attn_mask is None:
            attn_mask = ~np.tril(np.ones((lq, s), dtype=bool))
        total = None
        if attn_mask is not None:
            ndim = np.ndim(attn_mask)
            if ndim == 2:
                total = _torch_mask("attn_mask", attn_mask, (lq, s), dtype)
            elif ndim == 3:
                total = _torch_mask("attn_mask", attn_mask, (n * h, lq, s), dtype).reshape(n, h, lq, s)
            else:
                raise ValueError(
                    f"attn_mask must have shape (L, S) = ({lq}, {s}) or (N * num_heads, L, S) = "
                    f"({n * h}, {lq}, {s}), got shape {np.shape(attn_mask)}"
                )
        if key_padding_mask is not None:
            pad = _torch_mask("key_padding_mask", key_padding_mask, (s,) if unbatched else (n, s), dtype)
            pad = pad.reshape(n, 1, 1, s)
            total = pad if total is None else total + pad
        return total

    # ------------------------------------------------------------------ the two passes
    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[tuple[np.ndarray, np.ndarray | None], Cache]:
        """See the class docstring for shapes and masks."""
        unbatched = np.ndim(query) == 2
        q_in = self._to_nle("query", query, unbatched)
        k_in = self._to_nle("key", key, unbatched)
        v_in = self._to_nle("value", value, unbatched)
        n, lq, e = q_in.shape
        if k_in.shape != v_in.shape or k_in.shape[0] != n:
            raise ValueError(
                f"key and value must have the same shape with batch size N={n}, "
                f"got key {np.shape(key)} and value {np.shape(value)} (query {np.shape(query)})"
            )
        s = k_in.shape[1]
        w, b = self._params["in_proj_weight"], self._params.get("in_proj_bias")
        projected, lin_caches = [], []
        for i, x in enumerate((q_in, k_in, v_in)):
            out, c = linear_forward(x, w[i * e : (i + 1) * e], None if b is None else b[i * e : (i + 1) * e])
            projected.append(self._heads(out))
            lin_caches.append(c)
        dtype = projected[0].dtype
        mask = self._mask(attn_mask, key_padding_mask, bool(is_causal), n, lq, s, unbatched, dtype)
        ctx, sdpa_cache = A.scaled_dot_product_attention_forward(*projected, attn_mask=mask)  # (N, H, L, d)
        ctx = ctx.transpose(0, 2, 1, 3).reshape(n, lq, e)
        out, out_cache = self.out_proj.forward(ctx)
        weights = None
        if need_weights:
            attn = sdpa_cache["attn"]
            weights = attn.mean(axis=1) if average_attn_weights else attn.copy()
            if unbatched:
                weights = weights[0]
        result = self._from_nle(out, unbatched)
        cache = Cache(
            self,
            result.shape,
            {
                "lin": lin_caches,
                "sdpa": sdpa_cache,
                "out": out_cache,
                "unbatched": unbatched,
                "shapes": (n, lq, s),
                "weights_shape": None if weights is None else weights.shape,
                "average": average_attn_weights,
            },
        )
        return (result, weights), cache

    def backward(self, dout: Any, cache: Cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(dattn_output or None, dattn_weights or None) -> (dquery, dkey, dvalue), each like its input."""
        cache = require_cache(self, cache)
        if not isinstance(dout, (tuple, list)) or len(dout) != 2:
            raise TypeError(
                "dout must be a pair (dattn_output, dattn_weights), the gradients of forward's outputs; "
                "either may be None"
            )
        d_out, d_weights = dout
        n, _lq, _s = cache["shapes"]
        e, h, unbatched = self.embed_dim, self.num_heads, cache["unbatched"]
        d_out = np.zeros(cache.out_shape) if d_out is None else self._input("dattn_output", d_out, cache.out_shape)
        dattn = None
        if d_weights is not None:
            if cache["weights_shape"] is None:
                raise ValueError("dattn_weights must be None: forward ran with need_weights=False")
            dw = self._input("dattn_weights", d_weights, cache["weights_shape"])
            dw = dw[None] if unbatched else dw
            dattn = dw[:, None] / h if cache["average"] else dw
        d_ctx = self.out_proj.backward(self._to_nle("dattn_output", d_out, unbatched), cache["out"])
        d_ctx = self._heads(d_ctx)  # (N, H, L, d)
        d_heads = A.scaled_dot_product_attention_backward(d_ctx, cache["sdpa"], dattn=dattn)
        grads_w, grads_b, grads_in = [], [], []
        for dh, c in zip(d_heads, cache["lin"], strict=True):
            flat = dh.transpose(0, 2, 1, 3).reshape(n, -1, e)
            dx, dwi, dbi = linear_backward(flat, c)
            grads_in.append(self._from_nle(dx, unbatched))
            grads_w.append(dwi)
            if dbi is not None:  # None when the layer has no bias
                grads_b.append(dbi)
        self._accumulate("in_proj_weight", np.concatenate(grads_w))
        if self.bias:
            self._accumulate("in_proj_bias", np.concatenate(grads_b))
        return grads_in[0], grads_in[1], grads_in[2]

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"


def _check_length(length: int, max_len: int) -> None:
    if length > max_len:
        raise ValueError(f"sequence length {length} exceeds the positional table's max_len={max_len}")


def sinusoidal_table(max_len: int, d_model: int) -> np.ndarray:
    """The fixed (max_len, d_model) table: pe[t, 2i] = sin(t / 10000^(2i/d)), pe[t, 2i+1] = cos(same)."""
    pos = np.arange(max_len)[:, None]
    freq = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)  # (ceil(d/2),)
    table = np.zeros((max_len, d_model))
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq[: d_model // 2])
    return table


class SinusoidalPositionalEncoding(Layer):
    """Adds a fixed sinusoidal position code: out = x + pe[:L]. No parameters.

    x: (..., L, d_model) (the sequence axis second to last, e.g. batch-first (N, L, D)) -> same shape.
    backward(dout) -> dout (the table is a constant).
    """

    def __init__(self, d_model: int, max_len: int = 512, *, dtype: Any = np.float64) -> None:
        super().__init__()
        self.d_model = check_int("d_model", d_model)
        self.max_len = check_int("max_len", max_len)
        self.table = sinusoidal_table(self.max_len, self.d_model).astype(check_float_dtype(dtype))

    def forward(self, x: Any) -> tuple[np.ndarray, Cache]:
        x = self._input("x", x)
        if x.ndim < 2 or x.shape[-1] != self.d_model:
            raise ValueError(f"x must have shape (..., L, {self.d_model}), got shape {x.shape}")
        _check_length(x.shape[-2], self.max_len)
        out = x + self.table[: x.shape[-2]].astype(x.dtype, copy=False)
        return out, Cache(self, out.shape)

    def backward(self, dout: Any, cache: Cache) -> np.ndarray:
        dout, _ = self._start_backward(dout, cache)
        return dout.copy()

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEncoding(Layer):
    """Adds a learned vector per position: out = x + weight[:L], an embedding table of positions.

    Parameter ``weight`` (max_len, d_model), drawn from N(0, std^2) (std 0.02 by default, GPT-2's
    choice; torch's ``nn.Embedding(max_len, d_model)`` is its twin for ``load_torch``).
    x: (..., L, d_model) -> same shape; backward returns dout and adds dout, summed over the leading
    axes, into grads['weight'][:L].
    """

    def __init__(
        self,
        max_len: int,
        d_model: int,
        *,
        std: float = 0.02,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.max_len = check_int("max_len", max_len)
        self.d_model = check_int("d_model", d_model)
        weight = make_rng(rng).standard_normal((self.max_len, self.d_model)) * float(std)
        self.add_param("weight", weight.astype(check_float_dtype(dtype)))

    def forward(self, x: Any) -> tuple[np.ndarray, Cache]:
        x = self._input("x", x)
        if x.ndim < 2 or x.shape[-1] != self.d_model:
            raise ValueError(f"x must have shape (..., L, {self.d_model}), got shape {x.shape}")
        length = x.shape[-2]
        _check_length(length, self.max_len)
        out = x + self._params["weight"][:length]
        return out, Cache(self, out.shape, {"length": length})

    def backward(self, dout: Any, cache: Cache) -> np.ndarray:
        dout, cache = self._start_backward(dout, cache)
        length = cache["length"]
        dw = np.zeros_like(self._params["weight"])
        dw[:length] = dout.reshape(-1, length, self.d_model).sum(axis=0)
        self._accumulate("weight", dw)
        return dout.copy()

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, d_model={self.d_model}"

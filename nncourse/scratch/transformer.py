"""``TransformerBlock``: the numpy twin of ``nncourse.models.transformer.Block`` (pre-norm, causal).

    block = TransformerBlock(d_model=16, n_heads=4, d_ff=64)
    block.load_torch(torch_block)                  # same names: ln_1, attn, ln_2, mlp.0, mlp.2
    out, cache = block.forward(x)                  # x (N, T, d_model) -> out (N, T, d_model)
    dx = block.backward(dout, cache)               # adds every parameter gradient into block.grads

The block is composed of scratch children only (LayerNorm, MultiheadAttention, Linear, GELU);
its own code is the two residual additions and the causal mask.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_float_dtype, check_int, make_rng
from nncourse.scratch.activations import GELU
from nncourse.scratch.attention import MultiheadAttention
from nncourse.scratch.base import Cache, Layer
from nncourse.scratch.linear import Linear
from nncourse.scratch.norm import LayerNorm
from nncourse.scratch.sequential import Sequential


class TransformerBlock(Layer):
    """x -> h = x + attn(ln_1(x)) (causal self-attention) -> out = h + mlp(ln_2(h)).

    Args:
        d_model: width D; n_heads: heads H (must divide D); d_ff: hidden width of the MLP.
        rng, dtype: initialisation seed of the children and parameter dtype (float64 by default).

    Parameters (torch's names): ``ln_1.weight/bias`` (D,), ``attn.in_proj_weight`` (3D, D),
    ``attn.in_proj_bias`` (3D,), ``attn.out_proj.weight`` (D, D), ``attn.out_proj.bias`` (D,),
    ``ln_2.weight/bias`` (D,), ``mlp.0.weight`` (d_ff, D), ``mlp.0.bias`` (d_ff,),
    ``mlp.2.weight`` (D, d_ff), ``mlp.2.bias`` (D,).

    forward(x) -> (out, cache): x (N, T, D) float -> out (N, T, D); position t sees positions <= t only.
    backward(dout, cache) -> dx (N, T, D).
    """

    def __init__(
        self, d_model: int, n_heads: int, d_ff: int, *, rng: np.random.Generator | int = 0, dtype: Any = np.float64
    ) -> None:
        super().__init__()
        self.d_model = check_int("d_model", d_model)
        self.n_heads = check_int("n_heads", n_heads)
        self.d_ff = check_int("d_ff", d_ff)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads={self.n_heads} must divide d_model={self.d_model}")
        dt = check_float_dtype(dtype)
        gen = make_rng(rng)
        self.ln_1 = LayerNorm(self.d_model, dtype=dt)
        self.attn = MultiheadAttention(self.d_model, self.n_heads, batch_first=True, rng=gen, dtype=dt)
        self.ln_2 = LayerNorm(self.d_model, dtype=dt)
        self.mlp = Sequential(
            Linear(self.d_model, self.d_ff, rng=gen, dtype=dt),
            GELU(),
            Linear(self.d_ff, self.d_model, rng=gen, dtype=dt),
        )

    def forward(self, x: Any) -> tuple[np.ndarray, Cache]:
        """x: (N, T, D) -> out (N, T, D)."""
        x = self._input("x", x, ("N", "T", self.d_model))
        a_in, c_ln1 = self.ln_1.forward(x)  # (N, T, D)
        (a, _), c_attn = self.attn.forward(a_in, a_in, a_in, need_weights=False, is_causal=True)  # (N, T, D)
        h = x + a  # (N, T, D)
        m_in, c_ln2 = self.ln_2.forward(h)  # (N, T, D)
        m, c_mlp = self.mlp.forward(m_in)  # (N, T, D)
        out = h + m  # (N, T, D)
        return out, Cache(self, out.shape, {"ln_1": c_ln1, "attn": c_attn, "ln_2": c_ln2, "mlp": c_mlp})

    def backward(self, dout: Any, cache: Cache) -> np.ndarray:
        """dout (N, T, D) -> dx (N, T, D); each residual passes its gradient straight through and adds the branch's."""
        dout, cache = self._start_backward(dout, cache)
        dh = dout + self.ln_2.backward(self.mlp.backward(dout, cache["mlp"]), cache["ln_2"])  # (N, T, D)
        dq, dk, dv = self.attn.backward((dh, None), cache["attn"])  # self-attention: add the three
        return dh + self.ln_1.backward(dq + dk + dv, cache["ln_1"])  # (N, T, D)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, n_heads={self.n_heads}, d_ff={self.d_ff}"

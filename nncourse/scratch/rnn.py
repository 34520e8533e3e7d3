"""``RNNCell`` and ``RNN``: the plain recurrent network, numpy twins of ``torch.nn.RNNCell`` / ``torch.nn.RNN``.

    rnn = RNN(input_size=3, hidden_size=5, num_layers=2, batch_first=True)
    (output, h_n), cache = rnn.forward(x)            # x: (N, L, 3) -> output (N, L, 5), h_n (2, N, 5)
    dx, dh0 = rnn.backward((doutput, dh_n), cache)    # BPTT; adds into rnn.grads

The formulas are the kernels of ``nncourse.scratch.functional.rnn``; these classes hold the
parameters under torch's names, so ``load_torch(torch.nn.RNN(...))`` copies name for name.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse._validate import check_bool, check_choice, check_float_dtype, check_int, make_rng
from nncourse.scratch.base import Cache, Layer, require_cache
from nncourse.scratch.functional import rnn as K


def _init(gen: np.random.Generator, hidden: int, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    bound = 1.0 / math.sqrt(hidden)  # torch: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) for every parameter
    return gen.uniform(-bound, bound, size=shape).astype(dt)


class RNNCell(Layer):
    """One step ``h_new = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Parameters (torch's names and shapes): weight_ih (H, I), weight_hh (H, H), bias_ih (H,), bias_hh (H,).
    forward(x, h=None): x (N, I) or (I,), h like x with H features (zeros when omitted) -> h_new.
    backward(dh_new, cache) -> (dx, dh).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size)
        self.hidden_size = check_int("hidden_size", hidden_size)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, K.NONLINEARITIES)
        self.bias = check_bool("bias", bias)
        dt, gen, hs = check_float_dtype(dtype), make_rng(rng), self.hidden_size
        self.add_param("weight_ih", _init(gen, hs, (hs, self.input_size), dt))
        self.add_param("weight_hh", _init(gen, hs, (hs, hs), dt))
        if bias:
            self.add_param("bias_ih", _init(gen, hs, (hs,), dt))
            self.add_param("bias_hh", _init(gen, hs, (hs,), dt))

    def forward(self, x: np.ndarray, h: np.ndarray | None = None) -> tuple[np.ndarray, Cache]:
        """x: (N, I) or (I,); h: (N, H) or (H,) -> h_new: same leading shape, H features."""
        x = self._input("x", x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (N, {self.input_size}) or ({self.input_size},), got shape {x.shape}")
        unbatched = x.ndim == 1
        x2 = x[None] if unbatched else x
        want = (self.hidden_size,) if unbatched else (x.shape[0], self.hidden_size)
        if h is None:
            h2 = np.zeros((x2.shape[0], self.hidden_size), dtype=x.dtype)
        else:
            h = self._input("h", h)
            if h.shape != want:
                raise ValueError(
                    f"h must have shape {want} (batch, hidden_size) to match x {x.shape}, got shape {h.shape}"
                )
            h2 = h[None] if unbatched else h
        p = self._params
        h_new, saved = K.rnn_cell_forward(
            x2, h2, p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh"), nonlinearity=self.nonlinearity
        )
        out = h_new[0] if unbatched else h_new
        return out, Cache(self, out.shape, {"kernel": saved, "unbatched": unbatched})

    def backward(self, dout: np.ndarray, cache: Cache) -> tuple[np.ndarray, np.ndarray]:
        """dh_new -> (dx, dh); adds into the four parameter gradients."""
        dout, cache = self._start_backward(dout, cache)
        unbatched = cache["unbatched"]
        dx, dh, dw_ih, dw_hh, db_ih, db_hh = K.rnn_cell_backward(dout[None] if unbatched else dout, cache["kernel"])
        self._accumulate("weight_ih", dw_ih)
        self._accumulate("weight_hh", dw_hh)
        if self.bias:
            assert db_ih is not None and db_hh is not None  # the kernel returns bias gradients when there are biases
            self._accumulate("bias_ih", db_ih)
            self._accumulate("bias_hh", db_hh)
        return (dx[0], dh[0]) if unbatched else (dx, dh)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}, nonlinearity={self.nonlinearity!r}"


class RNN(Layer):
    """A stack of ``num_layers`` recurrent layers; layer k + 1 reads the states of layer k.

    Parameters (torch's names): for each layer k, ``weight_ih_l{k}`` (H, I for k = 0, else H),
    ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}`` (H,), ``bias_hh_l{k}`` (H,).

    forward(x, h0=None) -> ((output, h_n), cache):
        x: (L, N, I) time first, or (N, L, I) with ``batch_first=True``, or (L, I) for one sequence.
        h0: (num_layers, N, H) (or (num_layers, H) for one sequence); zeros when omitted.
        output: the top layer's state at every step, (L, N, H) or (N, L, H); h_n: the last state of
        every layer, (num_layers, N, H). ``batch_first`` never changes the layout of h0 or h_n (as torch).
    backward((doutput, dh_n), cache) -> (dx, dh0):
        either upstream gradient may be ``None`` (no loss on it). dh0 is the gradient for the initial
        state (also when it was omitted, i.e. zero). Parameter gradients accumulate.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size)
        self.hidden_size = check_int("hidden_size", hidden_size)
        self.num_layers = check_int("num_layers", num_layers)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, K.NONLINEARITIES)
        self.bias = check_bool("bias", bias)
        self.batch_first = check_bool("batch_first", batch_first)
        dt, gen, hs = check_float_dtype(dtype), make_rng(rng), self.hidden_size
        for k in range(self.num_layers):
            fan_in = self.input_size if k == 0 else hs
            self.add_param(f"weight_ih_l{k}", _init(gen, hs, (hs, fan_in), dt))
            self.add_param(f"weight_hh_l{k}", _init(gen, hs, (hs, hs), dt))
            if bias:
                self.add_param(f"bias_ih_l{k}", _init(gen, hs, (hs,), dt))
                self.add_param(f"bias_hh_l{k}", _init(gen, hs, (hs,), dt))

    # ------------------------------------------------------------------ input checks
    def _layout(self) -> str:
        return "(N, L, input_size) [batch_first=True]" if self.batch_first else "(L, N, input_size) [batch_first=False]"

    def _check_x(self, x: Any) -> np.ndarray:
        x = self._input("x", x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            hint = ""
            if x.ndim == 3 and self.input_size in x.shape[:-1]:
                hint = " (the feature axis must be last)"
            raise ValueError(
                f"x must have shape {self._layout().replace('input_size', str(self.input_size))}, "
                f"or (L, {self.input_size}) for one sequence; got shape {x.shape}{hint}"
            )
        return x

    def _check_h0(self, h0: Any, x: np.ndarray) -> None:
        h0 = self._input("h0", h0)
        nl, hs = self.num_layers, self.hidden_size
        if x.ndim == 2:
            if h0.shape != (nl, hs):
                raise ValueError(
                    f"h0 must have shape (num_layers, hidden_size) = {(nl, hs)} for an unbatched x, "
                    f"got shape {h0.shape}"
                )
            return
        n = x.shape[0] if self.batch_first else x.shape[1]
        if h0.shape == (nl, n, hs):
            return
        msg = f"h0 must have shape (num_layers, N, hidden_size) = {(nl, n, hs)}, got shape {h0.shape}"
        other = x.shape[1] if self.batch_first else x.shape[0]
        if h0.shape == (nl, other, hs) and other != n:
            wanted, given = (
                ("(N, L, input_size)", "time-first (L, N, input_size)")
                if self.batch_first
                else ("(L, N, input_size)", "batch-first (N, L, input_size)")
            )
            msg += (
                f"; h0 has batch size {other}: x looks {given}, but batch_first={self.batch_first} "
                f"expects x as {wanted}"
            )
        elif h0.ndim == 3 and h0.shape[0] != nl and h0.shape[1] == nl:
            msg += " (h0 is (num_layers, N, H) even when batch_first=True)"
        raise ValueError(msg)

    # ------------------------------------------------------------------ the two passes
    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> tuple[tuple[np.ndarray, np.ndarray], Cache]:
        """See the class docstring for shapes."""
        x = self._check_x(x)
        if h0 is not None:
            self._check_h0(h0, x)
        unbatched = x.ndim == 2
        seq = x[:, None] if unbatched else (np.swapaxes(x, 0, 1) if self.batch_first else x)  # (L, N, I)
        n = seq.shape[1]
        if h0 is None:
            h = np.zeros((self.num_layers, n, self.hidden_size), dtype=x.dtype)
        else:
            h = np.asarray(h0)[:, None] if unbatched else np.asarray(h0)
        p, caches, finals = self._params, [], []
        for k in range(self.num_layers):
            seq, saved = K.rnn_forward(
                seq,
                h[k],
                p[f"weight_ih_l{k}"],
                p[f"weight_hh_l{k}"],
                p.get(f"bias_ih_l{k}"),
                p.get(f"bias_hh_l{k}"),
                nonlinearity=self.nonlinearity,
            )
            caches.append(saved)
            finals.append(seq[-1])
        h_n = np.stack(finals)  # (num_layers, N, H)
        if unbatched:
            output, h_n = seq[:, 0], h_n[:, 0]
        else:
            output = np.swapaxes(seq, 0, 1).copy() if self.batch_first else seq
        cache = Cache(self, output.shape, {"layers": caches, "unbatched": unbatched, "h_shape": h_n.shape})
        return (output, h_n), cache

    def backward(self, dout: Any, cache: Cache) -> tuple[np.ndarray, np.ndarray]:
        """(doutput like output or None, dh_n like h_n or None) -> (dx like x, dh0 like h_n)."""
        cache = require_cache(self, cache)
        if not isinstance(dout, (tuple, list)) or len(dout) != 2:
            raise TypeError(
                "dout must be a pair (doutput, dh_n), the gradients of forward's (output, h_n); either may be None"
            )
        doutput, dh_n = dout
        out_shape, h_shape, unbatched = cache.out_shape, cache["h_shape"], cache["unbatched"]
        doutput = np.zeros(out_shape) if doutput is None else self._input("doutput", doutput, out_shape)
        dh_n = np.zeros(h_shape) if dh_n is None else self._input("dh_n", dh_n, h_shape)
        if unbatched:
            d_seq, dh_n = doutput[:, None], dh_n[:, None]
        else:
            d_seq = np.swapaxes(doutput, 0, 1) if self.batch_first else doutput  # (L, N, H)
        dh0 = np.empty(dh_n.shape, dtype=np.result_type(doutput, dh_n))
        for k in range(self.num_layers - 1, -1, -1):
            d_seq = d_seq.copy()
            d_seq[-1] += dh_n[k]  # h_n[k] is the last state of layer k
            d_seq, dh0[k], dw_ih, dw_hh, db_ih, db_hh = K.rnn_backward(d_seq, cache["layers"][k])
            self._accumulate(f"weight_ih_l{k}", dw_ih)
            self._accumulate(f"weight_hh_l{k}", dw_hh)
            if self.bias:
                assert (
                    db_ih is not None and db_hh is not None
                )  # the kernel returns bias gradients when there are biases
                self._accumulate(f"bias_ih_l{k}", db_ih)
                self._accumulate(f"bias_hh_l{k}", db_hh)
        if unbatched:
            return d_seq[:, 0], dh0[:, 0]
        return (np.swapaxes(d_seq, 0, 1) if self.batch_first else d_seq), dh0

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"nonlinearity={self.nonlinearity!r}, bias={self.bias}, batch_first={self.batch_first}"
        )

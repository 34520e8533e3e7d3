"""Gated recurrent layers, twins of ``torch.nn.LSTMCell``, ``LSTM``, ``GRUCell`` and ``GRU``.

Parameter names, shapes and gate order are torch's (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, then ``..._l1`` for a second layer), so ``layer.load_torch(torch_module)`` copies
them name for name. Every parameter starts from ``U(-1/sqrt(H), 1/sqrt(H))`` like torch.

Sequence layers (time first by default, ``batch_first=True`` for (N, T, features))::

    (output, (h_n, c_n)), cache = lstm.forward(x, (h0, c0))     # hx optional: zeros
    dx, (dh0, dc0) = lstm.backward((doutput, (dh_n, dc_n)), cache)
    (output, h_n), cache = gru.forward(x, h0)
    dx, dh0 = gru.backward((doutput, dh_n), cache)

``h_n``/``c_n``: (num_layers, N, H). A ``None`` gradient for the final states means zero; the initial-
state gradient is ``None`` when no initial state was given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncourse._validate import check_array, check_bool, check_float_dtype, check_int, make_rng
from nncourse.scratch.base import Cache, Layer
from nncourse.scratch.functional import gated as G

_GATES = {"LSTM": 4, "GRU": 3}


def _init(
    layer: Layer,
    kind: str,
    input_size: int,
    hidden_size: int,
    bias: bool,
    suffix: str,
    gen: np.random.Generator,
    dt: np.dtype,
) -> None:
    k = _GATES[kind] * hidden_size
    bound = 1.0 / math.sqrt(hidden_size)
    layer.add_param(f"weight_ih{suffix}", gen.uniform(-bound, bound, (k, input_size)).astype(dt))
    layer.add_param(f"weight_hh{suffix}", gen.uniform(-bound, bound, (k, hidden_size)).astype(dt))
    if bias:
        layer.add_param(f"bias_ih{suffix}", gen.uniform(-bound, bound, (k,)).astype(dt))
        layer.add_param(f"bias_hh{suffix}", gen.uniform(-bound, bound, (k,)).astype(dt))


class _Cell(Layer):
    kind = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size)
        self.hidden_size = check_int("hidden_size", hidden_size)
        self.bias = check_bool("bias", bias)
        _init(
            self, self.kind, self.input_size, self.hidden_size, self.bias, "", make_rng(rng), check_float_dtype(dtype)
        )

    def _weights(self) -> tuple[Any, ...]:
        p = self._params
        return p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh")

    def _x_state(self, x: Any, hx: Any) -> tuple[np.ndarray, int]:
        check_array("x", x, None, dtype_kind="f")
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"x must have shape (N, input_size) = (N, {self.input_size}) for one time step, got shape {x.shape}"
            )
        return x, x.shape[0]

    def _state(self, name: str, value: Any, batch: int, dtype: np.dtype) -> np.ndarray:
        if value is None:
            return np.zeros((batch, self.hidden_size), dtype=dtype)
        check_array(name, value, (batch, self.hidden_size), dtype_kind="f")
        return np.asarray(value)

    def _grads_in(self, names: tuple[str, ...], grads: tuple[Any, ...]) -> None:
        for name, g in zip(names, grads, strict=True):
            if g is not None:
                self._accumulate(name, g)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class LSTMCell(_Cell):
    """One LSTM step. x: (N, input_size), hx = (h, c): (N, hidden_size) each (``None``: zeros) -> (h', c')."""

    kind = "LSTM"

    def forward(self, x: np.ndarray, hx: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, Cache]:
        x, n = self._x_state(x, hx)
        h, c = (None, None) if hx is None else hx
        h = self._state("hx[0]", h, n, x.dtype)
        c = self._state("hx[1]", c, n, x.dtype)
        (h1, c1), saved = G.lstm_cell_forward(x, h, c, *self._weights())
        return (h1, c1), Cache(self, h1.shape, {**saved, "_hx": hx is not None})

    def backward(self, dout: tuple[Any, Any], cache: Cache) -> tuple[np.ndarray, Any]:
        """dout = (dh', dc') (either may be None: zero) -> (dx, (dh, dc) or None when hx was not given)."""
        dh, dc, cache = _pair_grads(self, dout, cache)
        dx, dh0, dc0, *dw = G.lstm_cell_backward((dh, dc), cache)
        self._grads_in(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), tuple(dw))
        return dx, ((dh0, dc0) if cache["_hx"] else None)


class GRUCell(_Cell):
    """One GRU step. x: (N, input_size), hx: (N, hidden_size) (``None``: zeros) -> h'."""

    kind = "GRU"

    def forward(self, x: np.ndarray, hx: np.ndarray | None = None) -> tuple[np.ndarray, Cache]:
        x, n = self._x_state(x, hx)
        h = self._state("hx", hx, n, x.dtype)
        h1, saved = G.gru_cell_forward(x, h, *self._weights())
        return h1, Cache(self, h1.shape, {**saved, "_hx": hx is not None})

    def backward(self, dout: np.ndarray, cache: Cache) -> tuple[np.ndarray, Any]:
        """dout = dh' -> (dx, dh or None when hx was not given)."""
        dout, cache = self._start_backward(dout, cache)
        dx, dh, *dw = G.gru_cell_backward(dout, cache)
        self._grads_in(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), tuple(dw))
        return dx, (dh if cache["_hx"] else None)


def _pair_grads(layer: Layer, dout: Any, cache: Any) -> tuple[np.ndarray, np.ndarray, Cache]:
    from nncourse.scratch.base import require_cache

    cache = require_cache(layer, cache)
    if not isinstance(dout, tuple) or len(dout) != 2:
        raise TypeError(f"dout must be the pair (dh, dc) matching the output (h, c), got {type(dout).__name__}")
    out = []
    for name, g in zip(("dout[0] (dh)", "dout[1] (dc)"), dout, strict=True):
        if g is None:
            out.append(np.zeros(cache.out_shape))
        else:
            check_array(name, g, cache.out_shape, dtype_kind="f")
            out.append(np.asarray(g))
    return out[0], out[1], cache


class _Recurrent(Layer):
    kind = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        rng: np.random.Generator | int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size)
        self.hidden_size = check_int("hidden_size", hidden_size)
        self.num_layers = check_int("num_layers", num_layers)
        self.bias = check_bool("bias", bias)
        self.batch_first = check_bool("batch_first", batch_first)
        if dropout != 0.0 or bidirectional:
            raise ValueError("only dropout=0.0 and bidirectional=False are implemented in the scratch version")
        gen, dt = make_rng(rng), check_float_dtype(dtype)
        for layer in range(self.num_layers):
            size = self.input_size if layer == 0 else self.hidden_size
            _init(self, self.kind, size, self.hidden_size, self.bias, f"_l{layer}", gen, dt)

    def _weights(self, layer: int) -> tuple[Any, ...]:
        p = self._params
        return tuple(p.get(f"{w}_l{layer}") for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _sequence(self, name: str, x: Any) -> np.ndarray:
        check_array(name, x, None, dtype_kind="f")
        x = np.asarray(x)
        layout = (
            "(N, T, input_size) (batch_first=True)" if self.batch_first else "(T, N, input_size) (batch_first=False)"
        )
        if x.ndim != 3 or x.shape[-1] != self.input_size or 0 in x.shape:
            hint = ""
            if x.ndim == 3 and x.shape[-1] != self.input_size and self.input_size in x.shape[:2]:
                hint = "; the features look like they are not last: transpose so that features come last"
            raise ValueError(f"x must have shape {layout} with input_size={self.input_size}, got shape {x.shape}{hint}")
        return x if not self.batch_first else x.transpose(1, 0, 2)  # time first from here on

    def _state(self, name: str, value: Any, batch: int, dtype: np.dtype) -> np.ndarray:
        want = (self.num_layers, batch, self.hidden_size)
        if value is None:
            return np.zeros(want, dtype=dtype)
        check_array(name, value, None, dtype_kind="f")
        value = np.asarray(value)
        if value.shape != want:
            raise ValueError(
                f"{name} must have shape (num_layers, N, hidden_size) = {want} (batch first or not, states are "
                f"always (num_layers, N, hidden_size)), got shape {value.shape}"
            )
        return value

    def _out_grad(self, d: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
        if d is None:
            return np.zeros(shape)
        check_array(name, d, shape, dtype_kind="f")
        return np.asarray(d)

    def _run_backward(
        self, d_output: np.ndarray, d_states: list[np.ndarray], cache: Cache, backward: Any
    ) -> tuple[np.ndarray, list[tuple[np.ndarray, ...]]]:
        """Walk the layers from the top; d_states: per state kind, (L, N, H) gradients at the final states."""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        d = d_output.transpose(1, 0, 2) if self.batch_first else d_output  # (T, N, H)
        d0: list[tuple[np.ndarray, ...]] = []
        for layer in range(self.num_layers - 1, -1, -1):
            grads = backward((d, *(s[layer] for s in d_states)), cache["layers"][layer])
            k = len(d_states)
            d, dstate, dw = grads[0], grads[1 : 1 + k], grads[1 + k :]
            d0.insert(0, dstate)
            for name, g in zip(names, dw, strict=True):
                if g is not None:
                    self._accumulate(f"{name}_l{layer}", g)
        dx = d.transpose(1, 0, 2) if self.batch_first else d
        return np.ascontiguousarray(dx), d0

    def extra_repr(self) -> str:
        extra = "" if self.num_layers == 1 else f", num_layers={self.num_layers}"
        extra += "" if self.bias else ", bias=False"
        extra += ", batch_first=True" if self.batch_first else ""
        return f"{self.input_size}, {self.hidden_size}{extra}"


class LSTM(_Recurrent):
    """Multi-layer LSTM over a sequence, twin of ``torch.nn.LSTM`` (no dropout, one direction).

    x: (T, N, input_size), or (N, T, input_size) with ``batch_first=True``; hx = (h0, c0), each
    (num_layers, N, hidden_size), or ``None`` for zeros. Returns ((output, (h_n, c_n)), cache) with
    output (T, N, H) (or (N, T, H)) and h_n, c_n (num_layers, N, H).
    """

    kind = "LSTM"

    def forward(self, x: np.ndarray, hx: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, Cache]:
        seq = self._sequence("x", x)
        batch = seq.shape[1]
        if hx is not None and (not isinstance(hx, tuple) or len(hx) != 2):
            raise TypeError("hx must be the pair (h0, c0) for an LSTM, or None")
        h0 = self._state("h0", None if hx is None else hx[0], batch, seq.dtype)
        c0 = self._state("c0", None if hx is None else hx[1], batch, seq.dtype)
        caches, hn, cn = [], [], []
        for layer in range(self.num_layers):
            (seq, h, c), saved = G.lstm_forward(seq, h0[layer], c0[layer], *self._weights(layer))
            caches.append(saved)
            hn.append(h)
            cn.append(c)
        out = seq.transpose(1, 0, 2).copy() if self.batch_first else seq
        cache = Cache(
            self,
            out.shape,
            {"layers": caches, "hx": hx is not None, "state": (self.num_layers, batch, self.hidden_size)},
        )
        return (out, (np.stack(hn), np.stack(cn))), cache

    def backward(self, dout: Any, cache: Cache) -> tuple[np.ndarray, Any]:
        """dout = (doutput, (dh_n, dc_n)) (a None means zero) -> (dx, (dh0, dc0) or None without hx)."""
        from nncourse.scratch.base import require_cache

        cache = require_cache(self, cache)
        if not isinstance(dout, tuple) or len(dout) != 2:
            raise TypeError("dout must be (doutput, (dh_n, dc_n)), matching the output of forward")
        d_output, d_state = dout
        d_state = (None, None) if d_state is None else d_state
        d_output = self._out_grad(d_output, cache.out_shape, "doutput")
        dh = self._out_grad(d_state[0], cache["state"], "dh_n")
        dc = self._out_grad(d_state[1], cache["state"], "dc_n")
        dx, d0 = self._run_backward(d_output, [dh, dc], cache, G.lstm_backward)
        if not cache["hx"]:
            return dx, None
        return dx, (np.stack([s[0] for s in d0]), np.stack([s[1] for s in d0]))


class GRU(_Recurrent):
    """Multi-layer GRU over a sequence, twin of ``torch.nn.GRU`` (no dropout, one direction).

    x: (T, N, input_size), or (N, T, input_size) with ``batch_first=True``; hx: h0 (num_layers, N,
    hidden_size) or ``None``. Returns ((output, h_n), cache).
    """

    kind = "GRU"

    def forward(self, x: np.ndarray, hx: np.ndarray | None = None) -> tuple[Any, Cache]:
        seq = self._sequence("x", x)
        batch = seq.shape[1]
        h0 = self._state("h0", hx, batch, seq.dtype)
        caches, hn = [], []
        for layer in range(self.num_layers):
            (seq, h), saved = G.gru_forward(seq, h0[layer], *self._weights(layer))
            caches.append(saved)
            hn.append(h)
        out = seq.transpose(1, 0, 2).copy() if self.batch_first else seq
        cache = Cache(
            self,
            out.shape,
            {"layers": caches, "hx": hx is not None, "state": (self.num_layers, batch, self.hidden_size)},
        )
        return (out, np.stack(hn)), cache

    def backward(self, dout: Any, cache: Cache) -> tuple[np.ndarray, Any]:
        """dout = (doutput, dh_n) (a None means zero) -> (dx, dh0 or None without hx)."""
        from nncourse.scratch.base import require_cache

        cache = require_cache(self, cache)
        if not isinstance(dout, tuple) or len(dout) != 2:
            raise TypeError("dout must be (doutput, dh_n), matching the output of forward")
        d_output = self._out_grad(dout[0], cache.out_shape, "doutput")
        dh = self._out_grad(dout[1], cache["state"], "dh_n")
        dx, d0 = self._run_backward(d_output, [dh], cache, G.gru_backward)
        return dx, (np.stack([s[0] for s in d0]) if cache["hx"] else None)

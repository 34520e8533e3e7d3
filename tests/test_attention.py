"""Scratch attention (SDPA kernel, MultiheadAttention, positional encodings) against torch in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch import nn

from nncourse.gradcheck import check_layer, gradcheck
from nncourse.scratch.attention import (
    LearnedPositionalEncoding,
    MultiheadAttention,
    SinusoidalPositionalEncoding,
    sinusoidal_table,
)
from nncourse.scratch.functional.attention import (
    scaled_dot_product_attention_backward as sdpa_backward,
)
from nncourse.scratch.functional.attention import (
    scaled_dot_product_attention_forward as sdpa_forward,
)

RTOL = 1e-6


def close(ours: np.ndarray, theirs: torch.Tensor | np.ndarray, name: str) -> None:
    ref = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == ref.shape, (name, ours.shape, ref.shape)
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), f"{name}: NaN pattern differs"
    scale = max(np.nanmax(np.abs(ref)), 1e-12)
    err = np.nanmax(np.abs(ours - ref)) / scale
    assert err < RTOL, f"{name}: relative error {err:.2e}"


def _masks(kind: str, lq: int, s: int, rng: np.random.Generator):
    if kind == "none":
        return None, False
    if kind == "causal":
        return None, True
    if kind == "bool":
        m = rng.random((lq, s)) < 0.7
        m[:, 0] = True  # every query sees at least one key
        return m, False
    if kind == "bool_dead_row":
        m = rng.random((2, 1, lq, s)) < 0.6
        m[:, :, 0] = False  # query 0 sees nothing: zero output, as torch
        return m, False
    if kind == "float":
        return rng.standard_normal((lq, s)), False
    raise AssertionError(kind)


SDPA_CASES = [  # (batch shape, L, S, E, Ev, mask kind)
    ((2, 3), 5, 5, 4, 4, "none"),
    ((2, 3), 5, 5, 4, 6, "causal"),
    ((3,), 4, 7, 5, 3, "causal"),
    ((2, 3), 6, 4, 4, 4, "bool"),
    ((2, 3), 4, 5, 8, 4, "bool_dead_row"),
    ((1,), 5, 6, 3, 2, "float"),
    ((), 3, 3, 2, 2, "none"),
]


@pytest.mark.parametrize("case", SDPA_CASES, ids=lambda c: f"{c[0]}-L{c[1]}-S{c[2]}-{c[5]}")
def test_sdpa_matches_torch(case):
    batch, lq, s, e, ev, kind = case
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((*batch, n, d)) for n, d in [(lq, e), (s, e), (s, ev)])
    mask, causal = _masks(kind, lq, s, rng)
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    out_t = TF.scaled_dot_product_attention(
        qt, kt, vt, attn_mask=None if mask is None else torch.tensor(mask), is_causal=causal
    )
    out, cache = sdpa_forward(q, k, v, attn_mask=mask, is_causal=causal)
    close(out, out_t, "out")
    g = rng.standard_normal(out.shape)
    (out_t * torch.tensor(g)).sum().backward()
    for ours, t, name in zip(sdpa_backward(g, cache), (qt, kt, vt), "qkv", strict=True):
        close(ours, t.grad, "d" + name)
    if kind == "bool_dead_row":
        assert np.all(out[:, :, 0] == 0) and np.all(cache["attn"][:, :, 0] == 0)


def test_sdpa_scale_broadcast_and_fixed_dropout_mask_match_torch():
    rng = np.random.default_rng(1)
    q = rng.standard_normal((2, 3, 5, 4))
    k, v = rng.standard_normal((1, 3, 6, 4)), rng.standard_normal((1, 3, 6, 4))  # k, v broadcast over batch
    keep = rng.random((2, 3, 5, 6)) > 0.3
    p = 0.3
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    attn_t = torch.softmax(qt @ kt.transpose(-1, -2) * 0.7, dim=-1)
    out_t = (attn_t * torch.tensor(keep) / (1 - p)) @ vt  # dropout with the same fixed keep-mask
    out, cache = sdpa_forward(q, k, v, dropout_mask=keep, dropout_p=p, scale=0.7)
    close(out, out_t, "out")
    g = rng.standard_normal(out.shape)
    (out_t * torch.tensor(g)).sum().backward()
    for ours, t, name in zip(sdpa_backward(g, cache), (qt, kt, vt), "qkv", strict=True):
        close(ours, t.grad, "d" + name)


@pytest.mark.parametrize("kind", ["none", "causal", "float", "dropout"])
def test_sdpa_passes_finite_differences(kind):
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    kw = {
        "none": {},
        "causal": {"is_causal": True},
        "float": {"attn_mask": rng.standard_normal((4, 5))},
        "dropout": {"dropout_mask": rng.random((2, 4, 5)) > 0.5, "dropout_p": 0.5},
    }[kind]
    g = rng.standard_normal((2, 4, 2))
    _out, cache = sdpa_forward(q, k, v, **kw)
    grads = sdpa_backward(g, cache)
    for x, dx in zip((q, k, v), grads, strict=True):
        res = gradcheck(lambda: float(np.sum(sdpa_forward(q, k, v, **kw)[0] * g)), x, dx)
        assert res.ok, str(res)


def test_sdpa_bad_input():
    q = np.zeros((2, 4, 3))
    with pytest.raises(ValueError, match=r"attn_mask with shape \(3, 5\).*\(2, 4, 4\)"):
        sdpa_forward(q, q, q, attn_mask=np.ones((3, 5), bool))
    with pytest.raises(ValueError, match="not both"):
        sdpa_forward(q, q, q, attn_mask=np.ones((4, 4), bool), is_causal=True)
    with pytest.raises(ValueError, match="disagree"):
        sdpa_forward(q, np.zeros((2, 4, 2)), q)
    with pytest.raises(ValueError, match="dropout_mask"):
        sdpa_forward(q, q, q, dropout_p=0.1)


# --------------------------------------------------------------------------- MultiheadAttention
MHA_CASES = [  # (E, H, N, L, S, batch_first, self_attention, bias, masks)
    (8, 2, 3, 5, 5, False, True, True, "none"),
    (8, 2, 3, 5, 5, True, True, True, "causal_bool"),
    (6, 3, 2, 4, 7, False, False, True, "padding"),
    (6, 3, 2, 4, 7, True, False, False, "both_float"),
    (4, 1, 1, 3, 3, True, True, True, "padding"),
    (8, 4, 1, 6, 2, False, False, True, "per_head"),
]


def _mha_masks(kind: str, n: int, h: int, lq: int, s: int, rng: np.random.Generator):
    attn_mask = pad = None
    if kind == "causal_bool":
        attn_mask = np.triu(np.ones((lq, s), bool), k=1)
    if kind in ("padding", "both_float"):
        pad = np.zeros((n, s), bool)
        pad[0, -2:] = True  # the last two keys of sequence 0 are padding
        if kind == "both_float":
            pad = np.where(pad, -1e4, 0.0)
            attn_mask = rng.standard_normal((lq, s))
    if kind == "per_head":
        attn_mask = rng.random((n * h, lq, s)) < 0.3
        attn_mask[..., 0] = False
    return attn_mask, pad


@pytest.mark.parametrize("case", MHA_CASES, ids=lambda c: "E{}-H{}-N{}-L{}-S{}-bf{}-self{}-bias{}-{}".format(*c))
def test_mha_matches_torch(case):
    e, h, n, lq, s, bf, self_attn, bias, kind = case
    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(e, h, bias=bias, batch_first=bf).double()
    with torch.no_grad():
        for p in theirs.parameters():  # non-zero biases so that their gradients are tested
            p.add_(torch.randn_like(p) * 0.1)
    ours = MultiheadAttention(e, h, bias=bias, batch_first=bf, rng=1).load_torch(theirs)
    assert list(ours.params) == list(theirs.state_dict())
    rng = np.random.default_rng(3)

    def layout(t):
        return (n, t, e) if bf else (t, n, e)

    x = rng.standard_normal(layout(lq))
    if self_attn:
        xt = torch.tensor(x, requires_grad=True)
        q_t = k_t = v_t = xt
        q = k = v = x
    else:
        k, v = rng.standard_normal(layout(s)), rng.standard_normal(layout(s))
        q = x
        q_t, k_t, v_t = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    attn_mask, pad = _mha_masks(kind, n, h, lq, s, rng)
    kw_t = {
        "attn_mask": None if attn_mask is None else torch.tensor(attn_mask),
        "key_padding_mask": None if pad is None else torch.tensor(pad),
    }
    out_t, w_t = theirs(q_t, k_t, v_t, **kw_t)
    (out, w), cache = ours.forward(q, k, v, attn_mask=attn_mask, key_padding_mask=pad)
    close(out, out_t, "attn_output")
    close(w, w_t, "attn_weights")
    g_out, g_w = rng.standard_normal(out.shape), rng.standard_normal(w.shape)
    ((out_t * torch.tensor(g_out)).sum() + (w_t * torch.tensor(g_w)).sum()).backward()
    dq, dk, dv = ours.backward((g_out, g_w), cache)
    if self_attn:
        close(dq + dk + dv, xt.grad, "dx")
    else:
        close(dq, q_t.grad, "dquery")
        close(dk, k_t.grad, "dkey")
        close(dv, v_t.grad, "dvalue")
    for name, p in theirs.named_parameters():
        close(ours.grads[name], p.grad, name)


def test_mha_unbatched_causal_flag_and_no_weights():
    torch.manual_seed(1)
    theirs = nn.MultiheadAttention(6, 2).double()
    ours = MultiheadAttention(6, 2).load_torch(theirs)
    x = np.random.default_rng(0).standard_normal((4, 6))  # one sequence, (L, E)
    xt = torch.tensor(x, requires_grad=True)
    causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
    out_t, w_t = theirs(xt, xt, xt, attn_mask=causal, average_attn_weights=False)
    (out, w), cache = ours.forward(x, x, x, is_causal=True, average_attn_weights=False)
    close(out, out_t, "attn_output")
    close(w, w_t, "per-head weights")
    out_t.sum().backward()
    grads = ours.backward((np.ones_like(out), None), cache)
    close(sum(grads), xt.grad, "dx")
    (out2, w2), _ = ours.forward(x, x, x, need_weights=False, is_causal=True)
    assert w2 is None and np.allclose(out2, out)


def test_mha_passes_finite_differences():
    rng = np.random.default_rng(4)
    layer = MultiheadAttention(4, 2, batch_first=True, rng=0)
    for p in layer.params.values():
        p += rng.standard_normal(p.shape) * 0.1
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    pad = np.zeros((2, 5), bool)
    pad[1, 3:] = True
    g_out, g_w = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))

    def loss() -> float:
        (out, w), _ = layer.forward(q, k, v, key_padding_mask=pad)
        return float(np.sum(out * g_out) + np.sum(w * g_w))

    layer.zero_grad()
    _, cache = layer.forward(q, k, v, key_padding_mask=pad)
    grads = layer.backward((g_out, g_w), cache)
    for x, dx in zip((q, k, v), grads, strict=True):
        res = gradcheck(loss, x, dx)
        assert res.ok, str(res)
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    for name, p in layer.params.items():
        res = gradcheck(loss, p, analytic[name])
        assert res.ok, f"{name}: {res}"


def test_mha_bad_input():
    with pytest.raises(ValueError, match="num_heads=3 must divide embed_dim=8"):
        MultiheadAttention(8, 3)
    layer = MultiheadAttention(4, 2)
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(3, 3\)"):
        layer.forward(x, x, x, attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(2, 3\)"):
        layer.forward(x, x, x, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match=r"query must have shape \(\*, \*, 4\)"):
        layer.forward(np.zeros((3, 2, 5)), x, x)
    with pytest.raises(TypeError, match="pair"):
        _, cache = layer.forward(x, x, x)
        layer.backward(np.zeros((3, 2, 4)), cache)


# --------------------------------------------------------------------------- positional encodings
def test_sinusoidal_table_formula_and_layer():
    table = sinusoidal_table(50, 6)
    t, i = 7, 2  # pair i uses frequency 1 / 10000^(2i / d)
    assert np.isclose(table[t, 2 * i], np.sin(t / 10000 ** (2 * i / 6)))
    assert np.isclose(table[t, 2 * i + 1], np.cos(t / 10000 ** (2 * i / 6)))
    assert sinusoidal_table(4, 5).shape == (4, 5)  # odd widths work
    pe = SinusoidalPositionalEncoding(6, max_len=50)
    x = np.random.default_rng(0).standard_normal((2, 10, 6))
    out, _cache = pe.forward(x)
    assert np.allclose(out - x, table[:10])
    assert pe.params == {}
    res = check_layer(pe, x)
    assert all(r.ok for r in res.values())


def test_learned_positional_encoding_gradients_and_load_torch():
    torch.manual_seed(0)
    emb = nn.Embedding(12, 4).double()
    pe = LearnedPositionalEncoding(12, 4).load_torch(emb)
    x = np.random.default_rng(1).standard_normal((3, 5, 4))
    xt = torch.tensor(x, requires_grad=True)
    out_t = xt + emb(torch.arange(5))
    out, cache = pe.forward(x)
    close(out, out_t, "out")
    g = np.random.default_rng(2).standard_normal(out.shape)
    (out_t * torch.tensor(g)).sum().backward()
    close(pe.backward(g, cache), xt.grad, "dx")
    close(pe.grads["weight"], emb.weight.grad, "dweight")
    res = check_layer(pe, x[0])
    assert all(r.ok for r in res.values()), res


@pytest.mark.parametrize("cls", [SinusoidalPositionalEncoding, LearnedPositionalEncoding])
def test_positional_encoding_too_long_context(cls):
    pe = cls(4, 8) if cls is SinusoidalPositionalEncoding else cls(8, 4)
    with pytest.raises(ValueError, match="sequence length 9 exceeds the positional table's max_len=8"):
        pe.forward(np.zeros((2, 9, 4)))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., L, 4\)"):
        pe.forward(np.zeros((2, 3, 5)))


# --------------------------------------------------------------------------- chapter 13 helpers
def test_chapter_references_match_torch():
    from nncourse.chapters import ch13_attention as ch

    rng = np.random.default_rng(5)
    q, k, v = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 2))
    mask = ch.causal_mask(4)
    assert mask.dtype == bool and mask[1, 0] and not mask[0, 1]
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    out_t = TF.scaled_dot_product_attention(qt, kt, vt, attn_mask=torch.tensor(mask))
    out, weights = ch.attention_forward(q, k, v, mask)
    close(out, out_t, "out")
    g = rng.standard_normal(out.shape)
    (out_t * torch.tensor(g)).sum().backward()
    for ours, t, name in zip(ch.attention_backward(g, q, k, v, weights), (qt, kt, vt), "qkv", strict=True):
        close(ours, t.grad, "d" + name)
    for e, h, bias in [(8, 2, True), (12, 3, False)]:
        layer = nn.MultiheadAttention(e, h, bias=bias)
        assert ch.mha_parameter_count(e, h, bias) == sum(p.numel() for p in layer.parameters())


def test_reversal_model_learns_the_anti_diagonal():
    from nncourse.chapters import ch13_attention as ch

    torch.set_num_threads(1)
    model, losses = ch.train_reverse_model(seed=0, steps=100)
    assert losses[-1] < losses[0]
    x, y = ch.reverse_batch(200, np.random.default_rng(1))
    with torch.no_grad():
        logits, maps = model(x)
    assert (logits.argmax(-1) == y).float().mean() > 0.99
    length = ch.REVERSE_TASK["length"]
    anti = maps.mean(0)[:, np.arange(length), np.arange(length)[::-1].copy()]  # (heads, L)
    assert anti.mean() > 0.8, anti


def test_attention_map_explorer_follows_the_query_slider():
    from nncourse.widgets.attention import AttentionMapExplorer

    weights = np.zeros((2, 3, 4))
    weights[0, np.arange(3), [3, 2, 1]] = 1.0  # head 0: query i looks at key 3 - i
    weights[1, :, 0] = 1.0  # head 1: always key 0
    ex = AttentionMapExplorer(torch.tensor(weights), keys=list("abcd"))
    assert list(ex.looks_at) == [3, 0] and "head 0 -> key 3 ('d') (weight 1.00)" in ex.status.value
    ex.query.value = 2
    assert list(ex.looks_at) == [1, 0] and ex.status.value.startswith("query 2: head 0 -> key 1 ('b')")
    assert ex.image.value[:4] == b"\x89PNG"
    assert repr(ex).startswith("<AttentionMapExplorer: interactive widget")
    with pytest.raises(ValueError, match="keys must have 4 labels"):
        AttentionMapExplorer(weights, keys=["a"])
    with pytest.raises(ValueError, match="weights must have shape"):
        AttentionMapExplorer(np.zeros(3))

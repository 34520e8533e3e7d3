"""Chapter 14: the scratch TransformerBlock against the torch Block in float64, and the torch TransformerLM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nncourse.models.transformer import (
    Block,
    TransformerConfig,
    TransformerLM,
    causal_mask,
    decay_groups,
    sample,
    train_transformer_lm,
)
from nncourse.scratch.transformer import TransformerBlock

D, H, FF = 8, 2, 16


def _pair(seed: int = 0) -> tuple[Block, TransformerBlock]:
    torch.manual_seed(seed)
    ref = Block(D, H, FF).double()
    with torch.no_grad():  # non-trivial LayerNorm affine and biases, so every gradient is exercised
        for p in ref.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours = TransformerBlock(D, H, FF, rng=seed).load_torch(ref)
    return ref, ours


def test_names_match_torch() -> None:
    ref, ours = _pair()
    assert set(ours.params) == set(dict(ref.named_parameters()))


@pytest.mark.parametrize("shape", [(2, 5), (3, 1), (1, 7)])
def test_block_parity_values_and_every_gradient(shape: tuple[int, int]) -> None:
    ref, ours = _pair(1)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(*shape, D))
    dout = rng.normal(size=(*shape, D))
    xt = torch.tensor(x, requires_grad=True)
    out_t = ref(xt)
    out_t.backward(torch.tensor(dout))
    out, cache = ours.forward(x)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-9, atol=1e-11)
    dx = ours.backward(dout, cache)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(ours.grads[name], p.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)


def test_block_is_causal() -> None:
    _, ours = _pair()
    x = np.random.default_rng(0).normal(size=(1, 6, D))
    y = x.copy()
    y[0, 4:] += 1.0  # change the future: earlier positions must not move
    a, _ = ours.forward(x)
    b, _ = ours.forward(y)
    np.testing.assert_allclose(a[0, :4], b[0, :4], rtol=0, atol=1e-12)
    assert not np.allclose(a[0, 4:], b[0, 4:])
    assert causal_mask(3).tolist() == [[False, True, True], [False, False, True], [False, False, False]]


def test_block_bad_input() -> None:
    with pytest.raises(ValueError, match="n_heads=3 must divide d_model=8"):
        TransformerBlock(8, 3, 16)
    with pytest.raises(ValueError, match="n_heads=3 must divide d_model=8"):
        Block(8, 3, 16)
    with pytest.raises(ValueError, match="shape"):
        TransformerBlock(D, H, FF).forward(np.zeros((2, 3, D + 1)))


CFG = TransformerConfig(vocab_size=11, context=8, d_model=16, n_heads=4, n_layers=2, d_ff=32)


def test_lm_shapes_and_tying() -> None:
    torch.manual_seed(0)
    model = TransformerLM(CFG)
    logits = model(torch.randint(0, 11, (3, 8)))
    assert logits.shape == (3, 8, 11)
    assert model.head.weight is model.tok_emb.weight
    names = dict(model.named_parameters())
    assert "head.weight" not in names  # listed once, as tok_emb.weight
    d, f, v, c = 16, 32, 11, 8
    per_block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)
    assert sum(p.numel() for p in model.parameters()) == v * d + c * d + 2 * per_block + 2 * d


def test_lm_is_causal() -> None:
    torch.manual_seed(0)
    model = TransformerLM(CFG).eval()
    ids = torch.randint(0, 11, (1, 8))
    other = ids.clone()
    other[0, 5:] = (other[0, 5:] + 1) % 11
    torch.testing.assert_close(model(ids)[0, :5], model(other)[0, :5])


def test_decay_groups() -> None:
    model = TransformerLM(CFG)
    decayed, plain = decay_groups(model, 0.1)
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in decayed["params"])
    assert any(p is model.tok_emb.weight for p in plain["params"])
    assert any(p is model.pos_emb.weight for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))


def test_lm_bad_input() -> None:
    model = TransformerLM(CFG)
    with pytest.raises(ValueError, match="context=8"):
        model(torch.zeros(1, 9, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        model(torch.full((1, 3), 11, dtype=torch.int64))
    with pytest.raises(ValueError, match="n_heads=3 must divide d_model=16"):
        TransformerConfig(vocab_size=11, context=8, d_model=16, n_heads=3, n_layers=1, d_ff=8)
    with pytest.raises(TypeError, match="TransformerConfig"):
        TransformerLM({"vocab_size": 11})  # type: ignore[arg-type]


def _stream(n: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(0)  # a repeating pattern with noise: learnable quickly
    base = np.tile(np.arange(10), n // 10 + 1)[:n]
    return np.where(rng.random(n) < 0.05, rng.integers(0, 11, n), base).astype(np.int64)


def test_training_decreases_loss_and_sampling_is_deterministic() -> None:
    ids = _stream()
    r = train_transformer_lm(
        ids[:2500],
        ids[2500:],
        11,
        d_model=16,
        n_heads=2,
        n_layers=1,
        d_ff=32,
        seq_len=16,
        batch_size=16,
        steps=60,
        lr=1e-2,
        warmup=5,
        seed=0,
    )
    assert r.steps == 60 and len(r.losses) == 60
    assert np.mean(r.losses[-10:]) < np.mean(r.losses[:5]) - 1.0
    assert r.valid_bpc < np.log2(11) - 1.0
    a = sample(r.model, ids[:5], 30, temperature=0.8, top_k=3, seed=7)
    b = sample(r.model, ids[:5], 30, temperature=0.8, top_k=3, seed=7)
    assert a.shape == (30,) and np.array_equal(a, b)
    greedy = sample(r.model, ids[:5], 30, temperature=1.0, top_k=1, seed=1)
    assert np.array_equal(greedy, sample(r.model, ids[:5], 30, temperature=1.0, top_k=1, seed=2))
    with pytest.raises(ValueError, match="temperature"):
        sample(r.model, ids[:5], 3, temperature=0.0)


def test_cpu_budget_stops_early() -> None:
    ids = _stream(600)
    r = train_transformer_lm(
        ids[:500],
        ids[500:],
        11,
        d_model=8,
        n_heads=2,
        n_layers=1,
        d_ff=16,
        seq_len=8,
        batch_size=4,
        steps=10_000,
        cpu_budget=0.0,
        seed=0,
    )
    assert r.steps == 0


def test_chapter_numpy_block_matches_torch() -> None:
    from nncourse.chapters import ch14_transformer as ch

    ref, _ = _pair(3)
    x = np.random.default_rng(4).normal(size=(2, 5, D))
    params = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    np.testing.assert_allclose(
        ch.block_forward(x, params, H), ref(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-11
    )
    cfg = TransformerConfig(vocab_size=50, context=32, d_model=32, n_heads=4, n_layers=1, d_ff=128)
    assert ch.transformer_parameter_count(cfg) == sum(p.numel() for p in TransformerLM(cfg).parameters()) == 15392
    m = ch.local_causal_mask(5, 2)
    assert m.tolist()[4] == [False, False, False, True, True] and m.tolist()[0] == [True, False, False, False, False]
    assert np.array_equal(ch.local_causal_mask(4, 10), np.tril(np.ones((4, 4), dtype=bool)))


def test_block_gradcheck_and_private_cache() -> None:
    from nncourse.gradcheck import check_layer

    block = TransformerBlock(D, H, FF, rng=5)
    x = np.random.default_rng(6).normal(size=(2, 4, D))
    results = check_layer(block, x)
    assert set(results) == {"input0", *block.params}
    assert all(r.ok for r in results.values()), {k: r for k, r in results.items() if not r.ok}
    out, cache = block.forward(x)
    dout = np.ones_like(out)
    block.zero_grad()
    expected = block.backward(dout, cache)
    x[...] = 0.0  # changing the input after forward must not change backward
    out[...] = 0.0
    block.zero_grad()
    np.testing.assert_allclose(block.backward(dout, cache), expected)
    with pytest.raises(RuntimeError, match="cache"):
        TransformerBlock(D, H, FF).backward(dout, cache)

"""The character corpus, the sequence problems, the torch recurrent models and chapter 12's helpers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nncourse.chapters import ch12_lstm_gru as ch
from nncourse.data.sequences import adding_problem, forecast_windows, noisy_sines, recall_task
from nncourse.data.text import (
    TRAIN_MODULES,
    VALID_MODULES,
    char_windows,
    load_char_corpus,
    module_source,
    ngram_bits_per_char,
)
from nncourse.models.rnn import CharLM, SequenceClassifier, sample, set_memory_bias
from nncourse.timing import growth_shape


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    return load_char_corpus()


def test_corpus_is_split_by_file(corpus) -> None:  # type: ignore[no-untyped-def]
    assert not set(TRAIN_MODULES) & set(VALID_MODULES)
    assert module_source("queue") in corpus.valid and module_source("queue") not in corpus.train
    assert module_source("textwrap") in corpus.train
    assert corpus.vocab[0] == "\x00" and len(set(corpus.vocab)) == corpus.vocab_size
    assert len(corpus.train) > 100_000 and len(corpus.valid) > 10_000
    ids = corpus.encode(corpus.valid)
    assert ids.dtype == np.int64 and ids.shape == (len(corpus.valid),)
    assert corpus.decode(corpus.encode("def f(x):\n")) == "def f(x):\n"
    assert corpus.encode("é")[0] == 0  # unknown character
    with pytest.raises(ValueError, match=rf"token ids in \[0, {corpus.vocab_size}\) \(the vocabulary size\)"):
        corpus.decode(np.array([0, 500]))
    with pytest.raises(ValueError, match="both splits"):
        load_char_corpus(("glob",), ("glob",))


def test_windows_and_baselines(corpus) -> None:  # type: ignore[no-untyped-def]
    ids = np.arange(20)
    x, y = char_windows(ids, 5)
    assert x.shape == y.shape == (3, 5) and x.dtype == np.int64
    np.testing.assert_array_equal(y, x + 1)
    assert char_windows(ids, 5, stride=1)[0].shape == (15, 5)
    with pytest.raises(ValueError, match="at least length"):
        char_windows(ids[:3], 5)
    tr, va = corpus.encode(corpus.train), corpus.encode(corpus.valid)
    uni, bi = (ngram_bits_per_char(tr, va, corpus.vocab_size, k) for k in (1, 2))
    assert 3.0 < bi < uni < np.log2(corpus.vocab_size)
    with pytest.raises(ValueError, match=r"token ids in \[0, 3\)"):
        ngram_bits_per_char(np.array([0, 1, 5]), np.array([0]), 3, 1)


def test_sequence_problems() -> None:
    x, y = recall_task(8, 6, symbols=3, seed=1)
    assert x.shape == (8, 6, 4) and y.shape == (8,) and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0, :3].argmax(1), y)
    assert (x[:, 1:, 3] == 1).all() and (x[:, 1:, :3] == 0).all()
    assert (recall_task(8, 6, distractors=True)[0][:, 1:].sum(-1) == 2).all()
    x, y = adding_problem(5, 10, seed=0)
    assert x.shape == (5, 10, 2) and (x[:, :, 1].sum(1) == 2).all()
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(1), rtol=1e-6)
    s = noisy_sines(100, seed=0)
    xw, yw = forecast_windows(s, 10)
    assert xw.shape == (90, 10, 1) and yw[0] == s[10] and xw[1, -1, 0] == s[10]


def test_models_shapes_and_bad_input() -> None:
    torch.manual_seed(0)
    lm = CharLM(11, embed_dim=4, hidden_size=8, cell="gru")
    logits, _ = lm(torch.zeros(2, 5, dtype=torch.int64))
    assert logits.shape == (2, 5, 11)
    with pytest.raises(ValueError, match=r"token ids in \[0, 11\)"):
        lm(torch.full((2, 5), 11))
    with pytest.raises(ValueError, match=r"shape \(N, T\)"):
        lm(torch.zeros(5, dtype=torch.int64))
    out = sample(lm, np.array([1, 2]), 6, temperature=0.5, seed=3)
    assert out.shape == (6,) and np.array_equal(out, sample(lm, np.array([1, 2]), 6, temperature=0.5, seed=3))
    clf = SequenceClassifier(3, 8, 4, cell="lstm", memory_bias=2.0)
    assert clf(torch.zeros(2, 7, 3)).shape == (2, 4)
    assert torch.all(clf.rnn.bias_ih_l0[8:16] == 2.0) and torch.all(clf.rnn.bias_hh_l0[8:16] == 0.0)
    with pytest.raises(ValueError, match=r"\(N, T, input_size\) \(batch first, features last\)"):
        clf(torch.zeros(2, 3, 7))
    with pytest.raises(ValueError, match="plain RNN has no gate"):
        SequenceClassifier(3, 8, 4, cell="rnn", memory_bias=1.0)
    with pytest.raises(TypeError, match=r"nn\.LSTM or nn\.GRU"):
        set_memory_bias(torch.nn.RNN(2, 2), 1.0)


@pytest.mark.parametrize("d,h,layers", [(1, 1, 1), (10, 20, 2), (7, 3, 3)])
def test_parameter_count_matches_torch(d: int, h: int, layers: int) -> None:
    assert ch.lstm_parameter_count(d, h, layers) == sum(p.numel() for p in torch.nn.LSTM(d, h, layers).parameters())


def test_chapter_cell_matches_torch_cell() -> None:
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 4).double()
    w = [p.detach().numpy() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    h1, c1 = ch.lstm_cell(x, h, c, *w)
    th1, tc1 = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    np.testing.assert_allclose(h1, th1.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(c1, tc1.detach().numpy(), rtol=1e-10)
    _, _, _, dw_ih, _, db = ch.lstm_cell_grads(np.ones((2, 4)), np.zeros((2, 4)), x, h, c, *w)
    th1.sum().backward()
    np.testing.assert_allclose(dw_ih, cell.weight_ih.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(db, cell.bias_hh.grad.numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match=r"W_hh must have shape \(4H, H\)"):
        ch.lstm_cell(x, h, c, w[0], w[1][:, :3], w[2], w[3])


def test_growth_shape_statement() -> None:
    lengths = np.array([10, 20, 40, 80])
    assert growth_shape(lengths, 0.001 * lengths) == "grows linearly"
    assert growth_shape(lengths, 1e-6 * lengths**2) == "grows faster than linearly"
    assert growth_shape(lengths, np.ones(4)) == "roughly constant"

"""A character corpus read at run time from the installed Python standard library's own source files.

Nothing is downloaded or stored: the text is the source of a fixed list of pure-Python modules,
found with ``inspect.getsourcefile``. The split is **by file** (whole modules go to validation), so
the validation text is code the model never saw, not the other half of a function it trained on.
Numbers measured on it depend a little on the Python version (the files change between releases).

    corpus = load_char_corpus()
    ids = corpus.encode(corpus.train)                   # (L,) int64 in [0, len(corpus.vocab))
    x, y = char_windows(ids, 64)                        # (N, 64) int64 each, y is x shifted by one
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field

import numpy as np

from nncourse._validate import check_array, check_int

TRAIN_MODULES: tuple[str, ...] = (
    "json.decoder",
    "json.encoder",
    "textwrap",
    "string",
    "heapq",
    "bisect",
    "calendar",
    "sched",
    "fnmatch",
    "gettext",
)
"""Standard-library modules whose source is the training text (about 150,000 characters)."""
VALID_MODULES: tuple[str, ...] = ("queue", "glob")
"""Modules held out whole for validation (about 20,000 characters)."""
UNK = "\x00"
"""The vocabulary's first entry: stands for any character the training text does not contain."""


def module_source(name: str) -> str:
    """The source text of the installed module ``name`` (e.g. ``"json.decoder"``), read as UTF-8."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a module name (str), got {type(name).__name__}")
    path = inspect.getsourcefile(importlib.import_module(name))
    if path is None:
        raise ValueError(f"module {name!r} has no Python source file (a built-in or compiled module)")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@dataclass(frozen=True)
class CharCorpus:
    """Training and validation text and the character vocabulary built from the training text.

    Attributes:
        train, valid: the concatenated source files (each file followed by a blank line).
        vocab: ``UNK`` first, then the sorted characters of ``train``; id = position in ``vocab``.
        train_modules, valid_modules: the module names the text was read from.
    """

    train: str
    valid: str
    vocab: tuple[str, ...]
    train_modules: tuple[str, ...]
    valid_modules: tuple[str, ...]
    _index: dict[str, int] = field(repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._index.update({ch: i for i, ch in enumerate(self.vocab)})

    @property
    def vocab_size(self) -> int:
        """V, the number of ids (unknown included)."""
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """text -> (len(text),) int64 ids; a character outside the vocabulary becomes 0 (``UNK``)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return np.fromiter((self._index.get(ch, 0) for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids: np.ndarray) -> str:
        """(L,) integer ids in [0, vocab_size) -> the text."""
        check_array("ids", ids, (None,), dtype_kind="iu")
        ids = np.asarray(ids)
        check_ids(ids, self.vocab_size)
        return "".join(self.vocab[i] for i in ids)


def check_ids(ids: np.ndarray, vocab_size: int, name: str = "ids") -> None:
    """``ValueError`` unless every id lies in [0, vocab_size)."""
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(
            f"{name} must be token ids in [0, {vocab_size}) (the vocabulary size), got values in [{ids.min()}, {ids.max()}]"
        )


def load_char_corpus(
    train_modules: tuple[str, ...] = TRAIN_MODULES, valid_modules: tuple[str, ...] = VALID_MODULES
) -> CharCorpus:
    """Read the modules' source and build the vocabulary from the training files only."""
    overlap = set(train_modules) & set(valid_modules)
    if overlap:
        raise ValueError(f"a module cannot be in both splits (the split is by file), got {sorted(overlap)}")
    train = "\n\n".join(module_source(m) for m in train_modules)
    valid = "\n\n".join(module_source(m) for m in valid_modules)
    vocab = (UNK, *sorted(set(train) - {UNK}))
    return CharCorpus(train, valid, vocab, tuple(train_modules), tuple(valid_modules))


def char_windows(ids: np.ndarray, length: int, *, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cut a (L,) id stream into next-character pairs: inputs x (N, length) and targets y = x shifted by one.

    Window k starts at ``k * stride`` (``stride`` defaults to ``length``: no overlap);
    ``y[k, t] = ids[k * stride + t + 1]``. Both int64, (N, length), N = (L - 1 - length) // stride + 1.
    """
    check_array("ids", ids, (None,), dtype_kind="iu")
    ids = np.asarray(ids, dtype=np.int64)
    length = check_int("length", length)
    stride = length if stride is None else check_int("stride", stride)
    if ids.size < length + 1:
        raise ValueError(f"ids must hold at least length + 1 = {length + 1} ids, got {ids.size}")
    starts = np.arange(0, ids.size - length, stride)  # every window and its shifted copy fit
    offsets = np.arange(length)
    return ids[starts[:, None] + offsets], ids[starts[:, None] + offsets + 1]


def ngram_bits_per_char(
    train: np.ndarray, valid: np.ndarray, vocab_size: int, order: int, *, alpha: float = 0.1
) -> float:
    """Bits per character on ``valid`` of a unigram (order 1) or bigram (order 2) model counted on ``train``.

    Counts are smoothed by adding ``alpha`` to every cell (so an unseen pair has a small, non-zero
    probability). For the bigram the first validation character is scored by the unigram model.
    """
    for name, arr in (("train", train), ("valid", valid)):
        check_array(name, arr, (None,), dtype_kind="iu")
        check_ids(np.asarray(arr), vocab_size, name)
    if order not in (1, 2):
        raise ValueError(f"order must be 1 (unigram) or 2 (bigram), got {order!r}")
    uni = np.bincount(train, minlength=vocab_size) + alpha
    log_uni = np.log2(uni / uni.sum())  # (V,)
    if order == 1:
        return float(-log_uni[valid].mean())
    pairs = np.zeros((vocab_size, vocab_size))
    np.add.at(pairs, (train[:-1], train[1:]), 1.0)
    pairs += alpha
    log_bi = np.log2(pairs / pairs.sum(axis=1, keepdims=True))  # row = previous character
    bits = np.concatenate([[-log_uni[valid[0]]], -log_bi[valid[:-1], valid[1:]]])
    return float(bits.mean())

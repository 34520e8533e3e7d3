"""Parity of every scratch layer and loss with its torch twin: ONE table, one row per layer setting.

Each row runs on each of its input cases (batch 1 and 3-D inputs included): float64 values, the
gradient of every input and parameter, the state_dict (names and buffers after forward), and a
finite-difference check of the scratch layer. To add a layer, add a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from nncourse import scratch as S
from nncourse.gradcheck import check_layer

RTOL = 1e-6


@dataclass(frozen=True)
class Ints:
    """An integer input: values in [0, high), a fraction of them replaced by ``ignore``.

    ``pad``: the layer's padding index. Its row gets no gradient by convention, which finite
    differences cannot know: the finite-difference test leaves it out of the input.
    """

    shape: tuple[int, ...]
    high: int
    ignore: int | None = None
    pad: int | None = None


@dataclass(frozen=True)
class Probs:
    """A float input with values in [0, 1] (binary targets)."""

    shape: tuple[int, ...]


Spec = tuple[int, ...] | Ints | Probs


@dataclass(frozen=True)
class Row:
    id: str
    ours: Callable[[], S.Layer]
    theirs: Callable[[], nn.Module]
    cases: tuple[tuple[Spec, ...], ...]
    eval: bool = False


class Block(S.Layer):
    """A custom container: Embedding -> LayerNorm -> Linear (optionally tied to the embedding)."""

    def __init__(self, vocab: int = 10, dim: int = 6, tied: bool = False) -> None:
        super().__init__()
        self.emb = S.Embedding(vocab, dim, padding_idx=0)
        self.norm = S.LayerNorm(dim)
        self.head = S.Linear(dim, vocab, bias=not tied)
        if tied:
            self.head.tie("weight", self.emb)

    def forward(self, idx: np.ndarray) -> tuple[np.ndarray, Any]:
        h, c1 = self.emb(idx)
        n, c2 = self.norm(h)
        out, c3 = self.head(n)
        return out, (c1, c2, c3)

    def backward(self, dout: np.ndarray, cache: Any) -> None:
        c1, c2, c3 = cache
        return self.emb.backward(self.norm.backward(self.head.backward(dout, c3), c2), c1)


class TorchBlock(nn.Module):
    def __init__(self, vocab: int = 10, dim: int = 6, tied: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=not tied)
        if tied:
            self.head.weight = self.emb.weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.emb(idx)))


def _warm(bn: nn.Module, shape: tuple[int, ...]) -> nn.Module:
    """Run two training batches through a torch BatchNorm (non-trivial running stats), then eval()."""
    with torch.no_grad():
        for _ in range(2):
            bn(torch.randn(*shape) * 3 + 1)
    return bn.eval()


ROWS_2D = (((5, 4),), ((1, 4),), ((2, 3, 4),))  # a batch, batch 1, a 3-D input: features last
ROWS = [
    Row("linear", lambda: S.Linear(4, 3), lambda: nn.Linear(4, 3), ROWS_2D),
    Row("linear-no-bias", lambda: S.Linear(4, 3, bias=False), lambda: nn.Linear(4, 3, bias=False), ROWS_2D),
    Row("relu", S.ReLU, nn.ReLU, ROWS_2D),
    Row("sigmoid", S.Sigmoid, nn.Sigmoid, ROWS_2D),
    Row("tanh", S.Tanh, nn.Tanh, ROWS_2D),
    Row("gelu", S.GELU, nn.GELU, ROWS_2D),
    Row("gelu-tanh", lambda: S.GELU("tanh"), lambda: nn.GELU("tanh"), ROWS_2D),
    Row("softmax", lambda: S.Softmax(dim=1), lambda: nn.Softmax(dim=1), ROWS_2D),
    Row("log-softmax", lambda: S.LogSoftmax(dim=-1), lambda: nn.LogSoftmax(dim=-1), ROWS_2D),
    Row("dropout-p0", lambda: S.Dropout(0.0), lambda: nn.Dropout(0.0), ROWS_2D),
    Row("dropout-eval", lambda: S.Dropout(0.5), lambda: nn.Dropout(0.5), ROWS_2D, eval=True),
    Row(
        "batchnorm1d",
        lambda: S.BatchNorm1d(4),
        lambda: nn.BatchNorm1d(4),
        (((5, 4),), ((2, 4),), ((3, 4, 5),), ((1, 4, 3),)),
    ),
    Row(
        "batchnorm1d-eval",
        lambda: S.BatchNorm1d(4),
        lambda: _warm(nn.BatchNorm1d(4), (8, 4)),
        (((5, 4),), ((1, 4),), ((3, 4, 5),)),
        eval=True,
    ),
    Row(
        "batchnorm1d-momentum-none",
        lambda: S.BatchNorm1d(4, momentum=None),
        lambda: nn.BatchNorm1d(4, momentum=None),
        (((6, 4),),),
    ),
    Row(
        "batchnorm1d-no-affine",
        lambda: S.BatchNorm1d(4, affine=False),
        lambda: nn.BatchNorm1d(4, affine=False),
        (((6, 4),),),
    ),
    Row("batchnorm2d", lambda: S.BatchNorm2d(3), lambda: nn.BatchNorm2d(3), (((2, 3, 4, 5),), ((1, 3, 2, 2),))),
    Row(
        "batchnorm2d-eval",
        lambda: S.BatchNorm2d(3),
        lambda: _warm(nn.BatchNorm2d(3), (4, 3, 2, 2)),
        (((2, 3, 4, 5),), ((1, 3, 2, 2),)),
        eval=True,
    ),
    Row("layernorm", lambda: S.LayerNorm(4), lambda: nn.LayerNorm(4), ROWS_2D),
    Row(
        "layernorm-2d",
        lambda: S.LayerNorm((3, 4)),
        lambda: nn.LayerNorm((3, 4)),
        (((2, 3, 4),), ((1, 3, 4),), ((3, 4),)),
    ),
    Row(
        "layernorm-no-affine",
        lambda: S.LayerNorm(4, elementwise_affine=False),
        lambda: nn.LayerNorm(4, elementwise_affine=False),
        ROWS_2D,
    ),
    Row("layernorm-no-bias", lambda: S.LayerNorm(4, bias=False), lambda: nn.LayerNorm(4, bias=False), ROWS_2D),
    Row(
        "embedding",
        lambda: S.Embedding(10, 4),
        lambda: nn.Embedding(10, 4),
        ((Ints((7,), 10),), (Ints((1,), 10),), (Ints((2, 5), 10),)),
    ),
    Row(
        "embedding-padding",
        lambda: S.Embedding(5, 3, padding_idx=1),
        lambda: nn.Embedding(5, 3, padding_idx=1),
        ((Ints((4, 6), 5, pad=1),),),
    ),
    Row(
        "sequential",
        lambda: S.Sequential(S.Linear(4, 8), S.Tanh(), S.Linear(8, 8), S.BatchNorm1d(8), S.GELU(), S.Linear(8, 3)),
        lambda: nn.Sequential(
            nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.BatchNorm1d(8), nn.GELU(), nn.Linear(8, 3)
        ),
        (((5, 4),), ((2, 4),)),
    ),
    Row("nested-block", Block, TorchBlock, ((Ints((2, 5), 10, pad=0),), (Ints((1, 3), 10, pad=0),))),
    Row("tied-block", lambda: Block(tied=True), lambda: TorchBlock(tied=True), ((Ints((2, 5), 10, pad=0),),)),
    Row(
        "sequential-of-blocks",
        lambda: S.Sequential(S.Sequential(S.Linear(3, 4), S.ReLU()), S.LayerNorm(4)),
        lambda: nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.ReLU()), nn.LayerNorm(4)),
        (((5, 3),), ((2, 6, 3),)),
    ),
    Row(
        "cross-entropy",
        S.CrossEntropyLoss,
        nn.CrossEntropyLoss,
        (
            ((5, 3), Ints((5,), 3)),
            ((1, 3), Ints((1,), 3)),
            ((2, 3, 4), Ints((2, 4), 3)),
            ((2, 3, 2, 2), Ints((2, 2, 2), 3)),
            ((4,), Ints((), 4)),
        ),
    ),
    Row(
        "cross-entropy-ignore",
        lambda: S.CrossEntropyLoss(ignore_index=-1),
        lambda: nn.CrossEntropyLoss(ignore_index=-1),
        (((6, 3), Ints((6,), 3, ignore=-1)), ((2, 3, 5), Ints((2, 5), 3, ignore=-1))),
    ),
    Row(
        "cross-entropy-sum",
        lambda: S.CrossEntropyLoss(reduction="sum"),
        lambda: nn.CrossEntropyLoss(reduction="sum"),
        (((5, 3), Ints((5,), 3, ignore=-100)),),
    ),
    Row(
        "cross-entropy-none",
        lambda: S.CrossEntropyLoss(reduction="none"),
        lambda: nn.CrossEntropyLoss(reduction="none"),
        (((5, 3), Ints((5,), 3, ignore=-100)), ((2, 3, 4), Ints((2, 4), 3))),
    ),
    Row("mse", S.MSELoss, nn.MSELoss, (((5, 4), (5, 4)), ((1,), (1,)), ((2, 3, 4), (2, 3, 4)))),
    Row("mse-sum", lambda: S.MSELoss(reduction="sum"), lambda: nn.MSELoss(reduction="sum"), (((5, 4), (5, 4)),)),
    Row("mse-none", lambda: S.MSELoss(reduction="none"), lambda: nn.MSELoss(reduction="none"), (((5, 4), (5, 4)),)),
    Row("bce-with-logits", S.BCEWithLogitsLoss, nn.BCEWithLogitsLoss, (((6,), Probs((6,))), ((2, 3), Probs((2, 3))))),
    Row(
        "bce-with-logits-none",
        lambda: S.BCEWithLogitsLoss(reduction="none"),
        lambda: nn.BCEWithLogitsLoss(reduction="none"),
        (((2, 3), Probs((2, 3))),),
    ),
]
CASES = [pytest.param(row, case, id=f"{row.id}-{i}") for row in ROWS for i, case in enumerate(row.cases)]


def make_inputs(case: tuple[Spec, ...], seed: int, skip_pad: bool = False) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    xs = []
    for spec in case:
        if isinstance(spec, Ints):
            v = rng.integers(0, spec.high, size=spec.shape)
            if skip_pad and spec.pad is not None:
                v[v == spec.pad] = (spec.pad + 1) % spec.high
            if spec.ignore is not None and v.ndim:
                v.flat[::3] = spec.ignore
            xs.append(v)
        elif isinstance(spec, Probs):
            xs.append(rng.uniform(0, 1, size=spec.shape))
        else:
            xs.append(rng.standard_normal(spec) * 2.0)
    return xs


def build(row: Row) -> tuple[S.Layer, nn.Module]:
    torch.manual_seed(0)
    theirs = row.theirs().double()
    ours = row.ours().load_torch(theirs)
    (theirs.eval(), ours.eval()) if row.eval else (theirs.train(), ours.train())
    return ours, theirs


def assert_close(ours: Any, theirs: torch.Tensor, what: str) -> None:
    want = theirs.detach().numpy()
    got = np.asarray(ours)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs torch {want.shape}"
    scale = max(
        float(np.abs(want).max()) if want.size else 0.0, 1e-6
    )  # a true 0 (a bias before BatchNorm) is rounding noise
    assert float(np.abs(got - want).max() if want.size else 0.0) <= RTOL * scale, f"{what} differs from torch"


@pytest.mark.parametrize("row,case", CASES)
def test_layer_matches_torch_in_float64(row: Row, case: tuple[Spec, ...]) -> None:
    ours, theirs = build(row)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # names, name for name, in torch's order
    xs = make_inputs(case, seed=1)
    txs = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in xs]
    out, cache = ours.forward(*xs)
    t_out = theirs(*txs)
    assert_close(out, t_out, "forward")
    dout = np.random.default_rng(2).standard_normal(np.shape(out))
    grads = ours.backward(dout, cache)
    t_out.backward(torch.tensor(dout))
    grads = grads if isinstance(grads, tuple) else (grads,) + (None,) * (len(xs) - 1)
    for i, (g, tx) in enumerate(zip(grads, txs, strict=True)):
        is_target = isinstance(ours, S.losses._Loss) and i == 1
        if tx.dtype.is_floating_point and not is_target:
            assert_close(g, tx.grad, f"gradient of input {i}")
        else:
            assert g is None, f"input {i} has no gradient, backward must return None for it"
    t_params = dict(theirs.named_parameters())
    assert list(ours.params) == list(t_params) == list(ours.grads)
    for name, p in t_params.items():
        assert_close(ours.grads[name], p.grad, f"gradient of {name}")
    for name, b in theirs.named_buffers():
        assert_close(ours.buffers[name], b, f"buffer {name}")


@pytest.mark.parametrize("row,case", CASES)
def test_layer_passes_finite_differences(row: Row, case: tuple[Spec, ...]) -> None:
    ours, _ = build(row)
    results = check_layer(ours, *make_inputs(case, seed=3, skip_pad=True))
    failed = {k: str(r) for k, r in results.items() if not r.ok}
    assert not failed, failed

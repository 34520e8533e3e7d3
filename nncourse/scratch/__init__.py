"""Numpy reference layers, each the twin of the ``torch.nn`` module with the same name.

The contract (see ``nncourse.scratch.base``)::

    out, cache = layer.forward(*inputs)
    dx = layer.backward(dout, cache)        # adds parameter gradients into layer.grads
    loss, cache = criterion.forward(pred, target)
    dpred = criterion.backward(1.0, cache)  # dout defaults to 1.0: criterion.backward(cache=cache)

The formulas are the stateless kernels of ``nncourse.scratch.functional``.
"""

from __future__ import annotations

from nncourse.scratch.activations import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nncourse.scratch.attention import LearnedPositionalEncoding, MultiheadAttention, SinusoidalPositionalEncoding
from nncourse.scratch.base import Cache, Layer
from nncourse.scratch.conv import Conv1d, Conv2d
from nncourse.scratch.dropout import Dropout
from nncourse.scratch.embedding import Embedding
from nncourse.scratch.gated import GRU, LSTM, GRUCell, LSTMCell
from nncourse.scratch.linear import Linear
from nncourse.scratch.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nncourse.scratch.norm import BatchNorm1d, BatchNorm2d, LayerNorm
from nncourse.scratch.pool import AvgPool2d, MaxPool2d
from nncourse.scratch.rnn import RNN, RNNCell
from nncourse.scratch.sequential import Sequential
from nncourse.scratch.transformer import TransformerBlock

__all__ = [
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Cache",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "GRUCell",
    "LSTMCell",
    "Layer",
    "LayerNorm",
    "LearnedPositionalEncoding",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "MultiheadAttention",
    "RNNCell",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SinusoidalPositionalEncoding",
    "Softmax",
    "Tanh",
    "TransformerBlock",
]

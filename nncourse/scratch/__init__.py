"""Numpy reference layers, each the twin of the ``torch.nn`` module with the same name.

Layers: ``out, cache = layer.forward(x)``; ``dx = layer.backward(dout, cache)`` (fills ``layer.grads``).
Losses: ``loss, cache = criterion.forward(pred, target)``; ``dpred = criterion.backward(cache, dout=1.0)``.
"""
from __future__ import annotations

from nncourse.scratch.activations import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nncourse.scratch.base import Cache, Layer
from nncourse.scratch.batchnorm import BatchNorm1d
from nncourse.scratch.dropout import Dropout
from nncourse.scratch.linear import Linear
from nncourse.scratch.losses import CrossEntropyLoss, MSELoss
from nncourse.scratch.sequential import Sequential

__all__ = [
    "BatchNorm1d",
    "Cache",
    "CrossEntropyLoss",
    "Dropout",
    "GELU",
    "Layer",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]

"""Chapter 04: a small reverse-mode automatic differentiation engine, written from scratch.

- ``Value``: one scalar node (``scalar.py``), every op with its local derivative beside it.
- ``Tensor``: the same over float64 numpy arrays with broadcasting (``tensor.py``).
- ``cross_entropy``: mean negative log-likelihood built from ``Tensor`` ops.
- ``Linear``, ``MLP``, ``train_mlp``: a classifier trained with our own engine (``nn.py``).
"""

from __future__ import annotations

from nncourse.autograd.nn import MLP, Linear, train_mlp
from nncourse.autograd.scalar import Value, zero_grad
from nncourse.autograd.tensor import Tensor, cross_entropy

__all__ = ["MLP", "Linear", "Tensor", "Value", "cross_entropy", "train_mlp", "zero_grad"]

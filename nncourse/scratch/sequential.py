"""``Sequential``: a chain of layers, twin of ``torch.nn.Sequential``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from nncourse.scratch.base import Layer


class Sequential(Layer):
    """Apply ``layers`` one after the other; an ordinary layer whose children are named "0", "1", ...

    forward(x) -> (out, caches): ``caches[i]`` is the cache of ``layers[i]``.
    backward(dout, caches) -> dx: runs the layers' backward passes in reverse order.
    Parameter names are torch's: ``"0.weight"``, ``"2.bias"``, ...
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes scratch Layer objects, got {type(layer).__name__} at position {i}")
            self._children[str(i)] = layer

    @property
    def layers(self) -> list[Layer]:
        """The layers, in order."""
        return list(self._children.values())

    def __len__(self) -> int:
        return len(self._children)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """x: whatever ``layers[0]`` accepts -> (out of the last layer, list of the layers' caches)."""
        caches: list[Any] = []
        for layer in self._children.values():
            x, cache = layer.forward(x)
            caches.append(cache)
        return x, caches

    def backward(self, dout: np.ndarray, cache: Any) -> np.ndarray:
        """dout: shape of the last output; cache: the list from ``forward`` -> dx: shape of the input."""
        if cache is None:
            raise RuntimeError("Sequential.backward got cache=None: call forward first and pass the caches it returned")
        if not isinstance(cache, list) or len(cache) != len(self):
            raise RuntimeError(
                f"Sequential.backward needs the list of {len(self)} caches returned by forward, got {type(cache).__name__}"
            )
        for layer, layer_cache in zip(reversed(self.layers), reversed(cache), strict=True):
            dout = layer.backward(dout, layer_cache)  # each layer checks its own cache and dout shape
        return dout

"""``Sequential``: a chain of layers, twin of ``torch.nn.Sequential``."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from nncourse.scratch.base import Layer


class Sequential(Layer):
    """Apply ``layers`` one after the other.

    forward(x) -> (out, caches): ``caches[i]`` is the cache of ``layers[i]``.
    backward(dout, caches) -> dx: runs the layers' backward passes in reverse order.

    ``params`` / ``grads`` / ``buffers`` are merged views with torch-style keys (``"0.weight"``,
    ``"2.bias"``, ...); the arrays are the layers' own, so updating them in place updates the layers.
    """

    def __init__(self, *layers: Layer) -> None:
        # No super().__init__(): params/grads/buffers are computed from the children (properties below).
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"Sequential takes scratch Layer objects, got {type(layer).__name__} at position {i}")
        self.layers: list[Layer] = list(layers)
        self.training = True

    # ------------------------------------------------------------------ container protocol
    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    # ------------------------------------------------------------------ passes
    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """x: whatever ``layers[0]`` accepts -> (out of the last layer, list of the layers' caches)."""
        caches: list[Any] = []
        for layer in self.layers:
            x, cache = layer.forward(x)
            caches.append(cache)
        return x, caches

    def backward(self, dout: np.ndarray, cache: Any) -> np.ndarray:
        """dout: shape of the last output; cache: the list from ``forward`` -> dx: shape of the input."""
        if cache is None:
            raise RuntimeError("Sequential.backward got caches=None: call forward before backward")
        if not isinstance(cache, list) or len(cache) != len(self.layers):
            raise RuntimeError(
                f"Sequential.backward needs the list of {len(self.layers)} caches returned by forward, "
                f"got {type(cache).__name__}: call forward before backward"
            )
        for layer, layer_cache in zip(reversed(self.layers), reversed(cache)):
            dout = layer.backward(dout, layer_cache)  # each layer checks its own cache and dout shape
        return dout

    # ------------------------------------------------------------------ parameters
    def _merged(self, attribute: str) -> dict[str, np.ndarray]:
        merged: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            for name, value in getattr(layer, attribute).items():
                merged[f"{i}.{name}"] = value
        return merged

    @property
    def params(self) -> dict[str, np.ndarray]:  # type: ignore[override]
        return self._merged("params")

    @property
    def grads(self) -> dict[str, np.ndarray]:  # type: ignore[override]
        return self._merged("grads")

    @property
    def buffers(self) -> dict[str, np.ndarray]:  # type: ignore[override]
        return self._merged("buffers")

    def parameters(self) -> dict[str, np.ndarray]:
        """Parameter name (``"0.weight"``...) -> the layer's own array. Same as ``named_parameters()``."""
        return self.params

    def named_parameters(self) -> dict[str, np.ndarray]:
        """Parameter name (``"0.weight"``...) -> the layer's own array, keys as torch's ``state_dict``."""
        return self.params

    def gradients(self) -> dict[str, np.ndarray]:
        """Gradient for each parameter, same keys as ``parameters()``."""
        return self.grads

    def zero_grad(self) -> None:
        for layer in self.layers:
            layer.zero_grad()

    def train(self, mode: bool = True) -> Sequential:
        """Set training mode on this container and every layer in it. Returns ``self``."""
        super().train(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def load_torch(self, module: Any) -> Sequential:
        """Copy parameters and buffers from a ``torch.nn.Sequential`` with the same layer types."""
        if type(module).__name__ != "Sequential":
            raise ValueError(f"cannot load a torch {type(module).__name__} into a scratch Sequential")
        if len(module) != len(self.layers):
            raise ValueError(f"torch Sequential has {len(module)} layers, this one has {len(self.layers)}")
        for ours, theirs in zip(self.layers, module):
            ours.load_torch(theirs)
        return self

    def __repr__(self) -> str:
        if not self.layers:
            return "Sequential()"
        lines = []
        for i, layer in enumerate(self.layers):
            child = repr(layer).replace("\n", "\n  ")
            lines.append(f"  ({i}): {child}")
        return "Sequential(\n" + "\n".join(lines) + "\n)"

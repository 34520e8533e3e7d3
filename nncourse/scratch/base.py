"""The ``Layer`` contract shared by every numpy layer in ``nncourse.scratch``.

Each scratch layer is the numpy twin of the ``torch.nn`` module with the same class name: same
constructor arguments (where it makes sense), same parameter and buffer names and shapes, same numbers.
The formulas live in ``nncourse.scratch.functional`` (stateless kernels); a layer holds parameters
and calls them.

* ``out, cache = layer.forward(*inputs)`` computes the output and returns what backward needs.
* ``grad = layer.backward(dout, cache)`` takes ``dout = dL/dout`` (shape of ``out``), *adds* the
  parameter gradients into ``layer.grads`` (like torch's ``.grad``; ``zero_grad()`` clears them) and
  returns the gradient for the input (a tuple, one per input, when the layer takes several; ``None``
  for an input that has no gradient, such as integer indices).
* The cache is private: it never aliases the caller's inputs, the returned output or a parameter,
  so changing any of them in place after forward does not change what backward returns.

Children: a ``Layer`` assigned as an attribute (``self.fc = Linear(...)``) is a child, and
``params``, ``grads``, ``buffers``, ``state_dict()``, ``load_state_dict()``, ``load_torch()``,
``train()/eval()`` and ``zero_grad()`` recurse with torch's dotted names (``"fc.weight"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from nncourse._validate import check_array, check_float_dtype, make_rng

__all__ = ["Cache", "Layer", "check_float_dtype", "make_rng"]


class Cache(dict):
    """What ``forward`` saved for ``backward``: the kernel's dict plus the layer that made it.

    ``owner`` lets ``backward`` refuse a cache from another layer (or from nowhere); ``out_shape``
    lets it check the shape of ``dout``.
    """

    def __init__(self, owner: object, out_shape: tuple[int, ...], saved: dict[str, Any] | None = None) -> None:
        super().__init__(saved or {})
        self.owner = owner
        self.out_shape = tuple(int(d) for d in out_shape)


def require_cache(owner: object, cache: Any) -> Cache:
    """Raise ``RuntimeError`` unless ``cache`` was returned by ``owner.forward``."""
    name = type(owner).__name__
    if cache is None:
        raise RuntimeError(f"{name}.backward got cache=None: call forward first and pass the cache it returned")
    if not isinstance(cache, Cache):
        raise TypeError(f"{name}.backward needs the cache returned by {name}.forward, got {type(cache).__name__}")
    if cache.owner is not owner:
        raise RuntimeError(
            f"{name}.backward got a cache made by another layer ({type(cache.owner).__name__}): "
            "pass the cache returned by this layer's forward"
        )
    return cache


class Layer:
    """Base class: parameters and their accumulated gradients, buffers, children, modes, torch interop.

    Attributes (all dotted-name views that recurse into children, in registration order):
        params: name -> the layer's own parameter array (update it in place).
        grads: same keys and shapes; ``backward`` adds into them, ``zero_grad()`` sets them to 0.
        buffers: non-trained state (e.g. BatchNorm running statistics).
        training: ``True`` in training mode (the default), ``False`` after ``eval()``.
    """

    _params: dict[str, np.ndarray]
    _grads: dict[str, np.ndarray]
    _buffers: dict[str, np.ndarray]
    _children: dict[str, Layer]

    def __init__(self) -> None:
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_grads", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_children", {})
        self.training = True

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Layer):
            if "_children" not in self.__dict__:
                raise RuntimeError(
                    f"call super().__init__() in {type(self).__name__}.__init__ before adding child layers"
                )
            self._children[name] = value
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ the two passes
    def forward(self, *inputs: Any) -> tuple[Any, Any]:
        """Compute the output; return ``(out, cache)``."""
        raise NotImplementedError

    def backward(self, dout: Any, cache: Any) -> Any:
        """Given ``dout = dL/dout``, add to ``self.grads`` and return the input gradient(s)."""
        raise NotImplementedError

    def __call__(self, *inputs: Any) -> tuple[Any, Any]:
        return self.forward(*inputs)

    # ------------------------------------------------------------------ helpers for subclasses
    def add_param(self, name: str, value: np.ndarray) -> None:
        """Register a parameter (and a zero gradient of its shape)."""
        self._params[name] = value
        self._grads[name] = np.zeros_like(value)

    def add_buffer(self, name: str, value: np.ndarray) -> None:
        """Register a buffer (state copied from torch and saved in ``state_dict``, not trained)."""
        self._buffers[name] = value

    def tie(self, name: str, source: Layer, source_name: str | None = None) -> None:
        """Share ``source``'s parameter (and its gradient array) as this layer's ``name``.

        The classic use is a language model's output layer reusing the embedding matrix
        (``head.tie("weight", embedding)``): both layers' backward passes add into the same gradient.
        """
        source_name = name if source_name is None else source_name
        if name not in self._params or source_name not in source._params:
            raise ValueError(
                f"tie needs existing parameters: {type(self).__name__}.{name} and {type(source).__name__}.{source_name}"
            )
        check_array(f"{type(source).__name__}.{source_name}", source._params[source_name], self._params[name].shape)
        self._params[name] = source._params[source_name]
        self._grads[name] = source._grads[source_name]

    def _input(self, name: str, x: Any, shape: tuple | None = None) -> np.ndarray:
        """A float input of the given shape (``None``: any shape), as an ndarray."""
        check_array(name, x, shape, dtype_kind="f")
        return np.asarray(x)

    def _start_backward(self, dout: Any, cache: Any) -> tuple[np.ndarray, Cache]:
        """Check the cache came from this layer's forward and ``dout`` has the output's shape."""
        cache = require_cache(self, cache)
        check_array("dout", dout, cache.out_shape, dtype_kind="f")
        return np.asarray(dout), cache

    def _accumulate(self, name: str, grad: np.ndarray) -> None:
        """Add ``grad`` into ``self.grads[name]`` in place (references held by optimizers stay valid)."""
        self._grads[name] += grad

    # ------------------------------------------------------------------ recursion over children
    def named_children(self) -> Iterator[tuple[str, Layer]]:
        """``(name, child)`` pairs in registration order."""
        return iter(self._children.items())

    def _collect(self, attribute: str, prefix: str = "") -> dict[str, Any]:
        merged = {prefix + k: v for k, v in getattr(self, attribute).items()}
        for name, child in self._children.items():
            merged.update(child._collect(attribute, f"{prefix}{name}."))
        return merged

    def _named_params(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``(name, param, grad)``, a tied parameter listed once under its first name (as torch)."""
        params, grads = self._collect("_params"), self._collect("_grads")
        seen: set[int] = set()
        out = []
        for name, p in params.items():
            if id(p) not in seen:
                seen.add(id(p))
                out.append((name, p, grads[name]))
        return out

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Dotted name -> parameter array (the layer's own arrays, not copies; tied ones once)."""
        return {name: p for name, p, _ in self._named_params()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Dotted name -> accumulated gradient array, same keys and shapes as ``params``."""
        return {name: g for name, _, g in self._named_params()}

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """Dotted name -> buffer array."""
        return self._collect("_buffers")

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed like torch's ``state_dict()``."""
        out: dict[str, np.ndarray] = {}
        for k, v in self._params.items():
            out[k] = v.copy()
        for k, v in self._buffers.items():
            out[k] = v.copy()
        for name, child in self._children.items():
            out.update({f"{name}.{k}": v for k, v in child.state_dict().items()})
        return out

    def load_state_dict(self, state: dict[str, Any]) -> Layer:
        """Copy values into the parameters and buffers, in place. Keys must match exactly."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict of name -> array, got {type(state).__name__}")
        targets = {**self._collect("_params"), **self.buffers}
        if set(state) != set(targets):
            missing, extra = sorted(set(targets) - set(state)), sorted(set(state) - set(targets))
            raise ValueError(
                f"state_dict keys differ from {type(self).__name__}'s: missing {missing}, unexpected {extra}"
            )
        for name, value in state.items():
            if hasattr(value, "detach"):
                value = value.detach().cpu().numpy()
            check_array(f"state[{name!r}]", value, targets[name].shape)
            targets[name][...] = value
        return self

    def load_torch(self, module: Any) -> Layer:
        """Copy every parameter and buffer of the torch twin ``module``, name for name, in place.

        Values are cast to this layer's dtypes; the train/eval mode is not copied. Returns ``self``.
        """
        if not hasattr(module, "state_dict"):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        return self.load_state_dict(dict(module.state_dict()))

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Layer:
        """Switch this layer and its children to training mode (``mode=False``: evaluation). Returns ``self``."""
        if not isinstance(mode, bool):
            raise TypeError(f"mode must be a bool, got {mode!r}")
        self.training = mode
        for child in self._children.values():
            child.train(mode)
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode. Returns ``self``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every gradient (here and in the children) to zero, in place."""
        for g in self.grads.values():
            g.fill(0)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text between the parentheses of ``repr`` (torch's convention)."""
        return ""

    def __repr__(self) -> str:
        if not self._children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._children.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

"""The ``Layer`` base class shared by every numpy layer in ``nncourse.scratch``.

Each scratch layer is the numpy "twin" of the ``torch.nn`` module with the same class name: same
constructor arguments (where it makes sense), same parameter names and shapes, same numbers.

The API is explicit rather than autograd-based:

* ``out, cache = layer.forward(x)`` computes the output and returns everything the backward pass
  will need in ``cache``;
* ``dx = layer.backward(dout, cache)`` takes the upstream gradient ``dout`` (same shape as ``out``),
  writes the parameter gradients into ``layer.grads`` (overwriting, never accumulating) and returns
  the gradient with respect to the input ``x``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nncourse._validate import check_array

def make_rng(rng: np.random.Generator | int) -> np.random.Generator:
    """Turn an explicit seed (``int``) or an existing ``np.random.Generator`` into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_float_dtype(dtype: Any) -> np.dtype:
    """Return ``np.dtype(dtype)``, or raise ``ValueError`` if it is not a floating-point dtype."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating-point dtype (e.g. np.float64), got {dt}")
    return dt


class Cache(dict):
    """What ``forward`` saved for ``backward``: a dict of arrays plus the layer that made it.

    ``owner`` lets ``backward`` refuse a cache that came from another layer (or from nowhere), and
    ``out_shape`` lets it check the shape of the upstream gradient ``dout``.
    """

    def __init__(self, owner: object, out_shape: tuple[int, ...], **saved: Any) -> None:
        super().__init__(saved)
        self.owner = owner
        self.out_shape = tuple(int(d) for d in out_shape)


def require_cache(owner: object, cache: Any) -> Cache:
    """Raise ``RuntimeError`` unless ``cache`` was returned by ``owner.forward``."""
    name = type(owner).__name__
    if cache is None:
        raise RuntimeError(f"{name}.backward got cache=None: call forward before backward")
    if not isinstance(cache, Cache):
        raise RuntimeError(
            f"{name}.backward needs the cache returned by {name}.forward, got {type(cache).__name__}: "
            "call forward before backward"
        )
    if cache.owner is not owner:
        raise RuntimeError(
            f"{name}.backward got a cache made by another layer ({type(cache.owner).__name__}): "
            "pass the cache returned by this layer's forward"
        )
    return cache


class Layer:
    """Base class: parameters, their gradients, buffers, train/eval mode and torch interop.

    Attributes:
        params: parameter name -> array, names and shapes exactly as the torch twin's.
        grads: same keys and shapes as ``params``; filled by ``backward`` (overwritten each call).
        buffers: non-trained state copied from / compared with torch (e.g. BatchNorm running stats).
        training: ``True`` in training mode (the default), ``False`` after ``eval()``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training: bool = True

    # ------------------------------------------------------------------ the two passes
    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """Compute the output for ``x``; return ``(out, cache)``."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray, cache: Cache) -> np.ndarray:
        """Given ``dout = dL/dout``, fill ``self.grads`` and return ``dL/dx``."""
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        return self.forward(x)

    # ------------------------------------------------------------------ helpers for subclasses
    def _input(self, x: Any, shape: tuple | None = None, dims: dict[str, int] | None = None) -> np.ndarray:
        """Validate a float input of the given shape (``None``: any shape) and return it as an ndarray."""
        check_array("x", x, shape, dims=dims, dtype_kind="f")
        return np.asarray(x)

    def _start_backward(self, dout: Any, cache: Any) -> tuple[np.ndarray, Cache]:
        """Check the cache came from this layer's forward and ``dout`` has the output's shape."""
        cache = require_cache(self, cache)
        check_array("dout", dout, cache.out_shape, dtype_kind="f")
        return np.asarray(dout), cache

    def _set_grad(self, name: str, value: np.ndarray) -> None:
        """Overwrite ``self.grads[name]`` in place (references held elsewhere stay valid)."""
        self.grads[name][...] = value

    # ------------------------------------------------------------------ state
    def train(self, mode: bool = True) -> Layer:
        """Switch to training mode (``mode=False``: evaluation mode). Returns ``self``."""
        if not isinstance(mode, bool):
            raise ValueError(f"mode must be a bool, got {mode!r}")
        self.training = mode
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode. Returns ``self``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every gradient to zero (creating missing entries with the parameter's shape)."""
        for name, p in self.params.items():
            g = self.grads.get(name)
            if g is None or g.shape != p.shape:
                self.grads[name] = np.zeros_like(p)
            else:
                g.fill(0)

    def load_torch(self, module: Any) -> Layer:
        """Copy parameters (and matching buffers) from the torch twin ``module``, in place.

        The class names must agree (``Linear`` <- ``torch.nn.Linear``), and so must the parameter
        names and shapes. Values are cast to this layer's dtypes. The train/eval mode is *not* copied.
        Returns ``self``.
        """
        theirs_name = type(module).__name__
        if theirs_name != type(self).__name__:
            raise ValueError(f"cannot load a torch {theirs_name} into a scratch {type(self).__name__}")
        theirs = dict(module.named_parameters())
        if set(theirs) != set(self.params):
            raise ValueError(
                f"parameter names differ: torch has {sorted(theirs)}, {type(self).__name__} has {sorted(self.params)}"
            )
        for name, tensor in theirs.items():
            _copy_into(f"torch parameter {name!r}", self.params[name], tensor)
        for name, tensor in module.named_buffers():
            if name in self.buffers:
                _copy_into(f"torch buffer {name!r}", self.buffers[name], tensor)
        return self

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text between the parentheses of ``repr`` (torch's convention)."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _copy_into(name: str, target: np.ndarray, tensor: Any) -> None:
    value = tensor.detach().cpu().numpy()
    check_array(name, value, target.shape)
    target[...] = value

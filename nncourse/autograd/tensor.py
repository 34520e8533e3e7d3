"""Reverse-mode autograd over numpy arrays: ``Tensor`` and ``cross_entropy``.

Same idea as ``scalar.Value``, one level up: each op stores its inputs and a small function
(``_grad_fn``, written beside the forward computation) that turns ``out.grad`` into one gradient per
input; ``backward`` then sums away broadcast axes with ``_unbroadcast``.  All data is float64.

Gradients accumulate into ``.grad`` of tensors with ``requires_grad=True``: intermediate results get
a fresh ``.grad`` on every ``backward()`` call, leaves keep accumulating (call ``zero_grad()``
between steps, as in PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nncourse._validate import check_array, check_bool
from nncourse.autograd.order import topological_order

ArrayLike = Any  # number, nested list or np.ndarray
GradFn = Callable[[np.ndarray], tuple]  # d(loss)/d(out) -> one d(loss)/d(input) per input


def _as_float64(data: ArrayLike) -> np.ndarray:
    """``data`` as a float64 array; ``TypeError`` naming ``data`` for anything that is not numbers."""
    if isinstance(data, Tensor):
        raise TypeError("data must be numbers (an array, list or float), got a Tensor; use t.data or t.numpy()")
    try:
        arr = np.asarray(data)
    except (TypeError, ValueError) as exc:  # ragged nested lists and the like
        raise TypeError(f"data must be numbers of a regular shape, got {type(data).__name__}: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"data must be real numbers, got dtype {arr.dtype} from {type(data).__name__}")
    return arr.astype(np.float64)


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes numpy broadcasting added or stretched, giving an array of ``shape``.

    E.g. an operand of shape ``(D,)`` added to ``(N, D)`` gets ``grad.sum(axis=0)``; an operand of
    shape ``(N, 1)`` multiplied with ``(1, D)`` gets ``grad.sum(axis=1, keepdims=True)``.
    """
    extra = grad.ndim - len(shape)
    if extra > 0:  # leading axes that did not exist in the operand
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:  # size-1 axes that were repeated
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def _axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """Normalise an ``axis`` argument to a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim if ndim else 0 for a in axes))


def _swap_last(x: np.ndarray) -> np.ndarray:
    """Transpose the last two axes (matrix transpose, batch axes untouched)."""
    return np.swapaxes(x, -1, -2)


def _expand(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> np.ndarray:
    """Undo a reduction: put the reduced axes back (size 1) and broadcast ``grad`` to ``shape``."""
    if not keepdims:
        grad = np.expand_dims(grad, axes) if axes else grad
    return np.broadcast_to(grad, shape)


class Tensor:
    """An n-dimensional float64 array that records how it was computed.

    Attributes:
        data: the values, a float64 ``np.ndarray`` of any shape.
        grad: ``None`` until a backward pass reaches it, then an array of ``data.shape``.
        requires_grad: whether gradients are stored for this tensor (results of ops inherit it from
            any input that has it).
    """

    __array_ufunc__ = None  # make `ndarray + Tensor` call Tensor.__radd__ instead of numpy's loop

    def __init__(
        self, data: ArrayLike, requires_grad: bool = False, parents: tuple[Tensor, ...] = (), op: str = ""
    ) -> None:
        if not parents:  # a leaf made by the user: check what came in (a private float64 copy)
            self.data = _as_float64(data)
            check_bool("requires_grad", requires_grad)
        else:
            self.data = np.array(data, dtype=np.float64)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.parents = parents
        self.op = op
        self._grad_fn: GradFn | None = None  # set by the op that produced this tensor

    # ------------------------------------------------------------------ plumbing
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4)}{flag})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """A copy of the data (detached from the graph)."""
        return self.data.copy()

    def zero_grad(self) -> None:
        self.grad = None

    @staticmethod
    def _lift(other: Tensor | ArrayLike) -> Tensor:
        return other if isinstance(other, Tensor) else Tensor(other)

    def _node(self, data: np.ndarray, parents: tuple[Tensor, ...], op: str, grad_fn: GradFn) -> Tensor:
        """Wrap an op's result: remember its inputs and how to turn its gradient into theirs."""
        out = Tensor(data, any(p.requires_grad for p in parents), parents, op)
        out._grad_fn = grad_fn
        return out

    # ------------------------------------------------------------------ elementwise binary ops
    # Each op passes `_node` its forward result and a function g -> gradients of its inputs, where
    # g = d(loss)/d(out).  Gradients may keep the broadcast shape: `backward` un-broadcasts them.
    def __add__(self, other: Tensor | ArrayLike) -> Tensor:
        b = self._lift(other)
        # d(a+b)/da = 1, d(a+b)/db = 1
        return self._node(self.data + b.data, (self, b), "+", lambda g: (g, g))

    def __sub__(self, other: Tensor | ArrayLike) -> Tensor:
        b = self._lift(other)
        # d(a-b)/da = 1, d(a-b)/db = -1
        return self._node(self.data - b.data, (self, b), "-", lambda g: (g, -g))

    def __mul__(self, other: Tensor | ArrayLike) -> Tensor:
        b = self._lift(other)
        # d(a*b)/da = b, d(a*b)/db = a
        return self._node(self.data * b.data, (self, b), "*", lambda g: (g * b.data, g * self.data))

    def __truediv__(self, other: Tensor | ArrayLike) -> Tensor:
        b = self._lift(other)
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        return self._node(self.data / b.data, (self, b), "/", lambda g: (g / b.data, -g * self.data / b.data**2))

    def __radd__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) + self

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) - self

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) * self

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) / self

    def __matmul__(self, other: Tensor | ArrayLike) -> Tensor:
        """``(..., N, K) @ (..., K, M) -> (..., N, M)``; leading (batch) axes broadcast."""
        b = self._lift(other)
        sa, sb = self.shape, b.shape
        if len(sa) < 2 or len(sb) < 2 or sa[-1] != sb[-2]:
            raise ValueError(f"matmul shape mismatch: {sa} @ {sb} (need (..., N, K) @ (..., K, M))")
        try:
            data = self.data @ b.data
        except ValueError as exc:  # batch axes that do not broadcast
            raise ValueError(f"matmul batch axes do not broadcast: {sa} @ {sb}") from exc
        # d(A@B)/dA applied to G: G @ B^T;  d(A@B)/dB applied to G: A^T @ G  (^T: last two axes)
        return self._node(data, (self, b), "@", lambda g: (g @ _swap_last(b.data), _swap_last(self.data) @ g))

    # ------------------------------------------------------------------ elementwise unary ops
    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, (bool, np.bool_)) or not isinstance(exponent, (int, float, np.integer, np.floating)):
            raise TypeError(f"Tensor ** exponent supports only a plain number exponent, got {type(exponent).__name__}")
        p = float(exponent)

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray]:
            if p == 0.0:  # a^0 = 1 everywhere: the derivative is 0, also at a == 0 (torch's rule)
                return (np.zeros_like(g),)
            with np.errstate(divide="ignore", invalid="ignore"):  # 0^(p-1) = inf as in torch
                return (g * p * self.data ** (p - 1.0),)

        # d(a^p)/da = p * a^(p-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            data = self.data**p
        return self._node(data, (self,), f"**{exponent}", grad_fn)

    def __neg__(self) -> Tensor:
        # d(-a)/da = -1
        return self._node(-self.data, (self,), "neg", lambda g: (-g,))

    def neg(self) -> Tensor:
        return -self

    def exp(self) -> Tensor:
        e = np.exp(self.data)
        # d(e^a)/da = e^a
        return self._node(e, (self,), "exp", lambda g: (g * e,))

    def log(self) -> Tensor:
        # d(ln a)/da = 1/a
        return self._node(np.log(self.data), (self,), "log", lambda g: (g / self.data,))

    def tanh(self) -> Tensor:
        t = np.tanh(self.data)
        # d(tanh a)/da = 1 - tanh(a)^2
        return self._node(t, (self,), "tanh", lambda g: (g * (1.0 - t * t),))

    def sigmoid(self) -> Tensor:
        """``1 / (1 + e^-a)``, accurate in both tails: ``e = e^-|a|`` never overflows, and for a < 0
        the form ``e / (1 + e)`` keeps tiny values such as sigmoid(-50) = 1.9e-22 (not 0)."""
        e = np.exp(-np.abs(self.data))
        s = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        # d(sigmoid a)/da = s * (1 - s)
        return self._node(s, (self,), "sigmoid", lambda g: (g * s * (1.0 - s),))

    def log_sigmoid(self) -> Tensor:
        """``log(sigmoid(a)) = min(a, 0) - log(1 + e^-|a|)``, finite for every finite ``a``.

        Prefer it to ``a.sigmoid().log()``: in float64 sigmoid(-1000) underflows to 0, so the
        composition gives -inf and a NaN gradient there (torch's too); this form gives -1000 and 1.
        """
        e = np.exp(-np.abs(self.data))
        out = np.minimum(self.data, 0.0) - np.log1p(e)
        s_neg = np.where(self.data >= 0, e / (1.0 + e), 1.0 / (1.0 + e))  # sigmoid(-a)
        # d log(sigmoid a)/da = 1 - sigmoid(a) = sigmoid(-a)
        return self._node(out, (self,), "log_sigmoid", lambda g: (g * s_neg,))

    def relu(self) -> Tensor:
        on = ~(self.data <= 0.0)  # a > 0, or NaN: relu passes NaN on, with slope 1 (as PyTorch)
        # d(relu a)/da = 1 if a > 0 else 0  (0 at a == 0, as in PyTorch)
        return self._node(np.where(on, self.data, 0.0), (self,), "relu", lambda g: (g * on,))

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (int, tuple or ``None`` for all); ``keepdims`` as in numpy."""
        axes = _axes(axis, self.ndim)
        # d(sum a)/da_i = 1: copy g back along the summed axes
        return self._node(
            self.data.sum(axis=axes, keepdims=keepdims),
            (self,),
            "sum",
            lambda g: (_expand(g, axes, keepdims, self.shape),),
        )

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: a ``sum`` times ``1/count``, so its gradient comes for free."""
        axes = _axes(axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / count)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``.  The gradient goes to the arg-max; ties share it equally
        (``k`` tied entries get ``g/k`` each, as with ``torch.amax``)."""
        axes = _axes(axis, self.ndim)
        m = self.data.max(axis=axes, keepdims=True)
        winners = (self.data == m).astype(np.float64)
        winners /= winners.sum(axis=axes, keepdims=True)
        # d(max a)/da_i = 1/k for the k entries equal to the max, else 0
        return self._node(
            m if keepdims else np.squeeze(m, axis=axes),
            (self,),
            "max",
            lambda g: (_expand(g, axes, keepdims, self.shape) * winners,),
        )

    # ------------------------------------------------------------------ shape ops
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; ``-1`` allowed once, as in numpy."""
        new: Any = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        # reshape only relabels positions: reshape g back
        return self._node(self.data.reshape(new), (self,), "reshape", lambda g: (g.reshape(self.shape),))

    def transpose(self, *axes: int) -> Tensor:
        """Permute axes (default: reverse them, like ``ndarray.transpose``)."""
        perm = tuple(axes) if axes else tuple(reversed(range(self.ndim)))
        # apply the inverse permutation to g
        inverse = tuple(int(i) for i in np.argsort(perm))
        return self._node(self.data.transpose(perm), (self,), "transpose", lambda g: (g.transpose(inverse),))

    @property
    def T(self) -> Tensor:  # noqa: N802 - numpy's name
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing, e.g. ``logits[np.arange(N), target]`` picks one entry per row."""

        def scatter(g: np.ndarray) -> tuple[np.ndarray]:
            # each picked entry has derivative 1; np.add.at sums entries picked more than once
            full = np.zeros_like(self.data)
            np.add.at(full, index, g)
            return (full,)

        return self._node(self.data[index], (self,), "index", scatter)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """``a - log(sum(exp(a)))`` along ``axis``, computed after subtracting the max (stable)."""
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        # Jacobian-vector product of log-softmax: g - softmax(a) * sum(g)
        return self._node(logp, (self,), "log_softmax", lambda g: (g - np.exp(logp) * g.sum(axis=axis, keepdims=True),))

    # ------------------------------------------------------------------ backward pass
    def _topological_order(self) -> list[Tensor]:
        """Nodes that need gradients, each after all of its parents (no recursion)."""
        return topological_order(self, include=lambda node: node.requires_grad)

    def backward(self, grad: ArrayLike | None = None) -> None:
        """Compute d(self)/d(x) for every ``x`` upstream with ``requires_grad``.

        Args:
            grad: d(loss)/d(self), shape ``self.shape``.  May be omitted only for a one-element
                tensor, where it defaults to 1 (same rule as PyTorch).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() called on a tensor that does not require grad")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                    f"{self.shape}: call .sum() first or pass backward(grad=...) of that shape"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.array(grad, dtype=np.float64)
            check_array("grad", seed, self.shape)
        order = self._topological_order()
        for node in order:
            if node.parents:  # intermediate results start fresh; leaves accumulate
                node.grad = None
        self.grad = seed if self.grad is None else self.grad + seed
        for node in reversed(order):  # every node is finished before its inputs are visited
            if node.grad is None or node._grad_fn is None:
                continue
            for parent, g in zip(node.parents, node._grad_fn(node.grad), strict=False):
                if parent.requires_grad:
                    g = _unbroadcast(g, parent.shape)
                    parent.grad = g.copy() if parent.grad is None else parent.grad + g


def cross_entropy(logits: Tensor, target: np.ndarray) -> Tensor:
    """Mean negative log-likelihood of the integer ``target`` classes.

    Args:
        logits: ``(N, C)`` unnormalised class scores.
        target: ``(N,)`` integer class indices in ``[0, C)``.

    Returns:
        A scalar ``Tensor`` (shape ``()``), equal to ``torch.nn.functional.cross_entropy``.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a Tensor of shape (N, C), got {type(logits).__name__}")
    dims = check_array("logits", logits.data, ("N", "C"))
    target = np.asarray(target)
    check_array("target", target, ("N",), dims=dims, dtype_kind="iu")
    if target.size and (target.min() < 0 or target.max() >= dims["C"]):
        raise ValueError(
            f"target must hold class indices in [0, {dims['C']}), got range [{target.min()}, {target.max()}]"
        )
    picked = logits.log_softmax(axis=-1)[np.arange(dims["N"]), target]
    return -picked.mean()

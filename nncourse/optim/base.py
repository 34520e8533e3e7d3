"""The contract every optimizer in this chapter follows, and the checks that guard it.

An optimizer here is built from hyper-parameters only; it never holds the parameters themselves.
Each call ``opt.step(params, grads)`` receives two dictionaries with the same keys, e.g.
``{"W1": (D, H), "b1": (H,)}``, and moves every ``params[name]`` in place along ``grads[name]``.
Whatever the method remembers between calls (velocity, moment estimates, a step counter) lives in
``opt.state[name]``, so the same optimizer can drive any model whose parameters keep their names.

``opt.lr`` is an ordinary attribute, read afresh at every step: a schedule changes it between steps.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Mapping

import numpy as np

from nncourse._validate import check_array

ParamDict = Mapping[str, np.ndarray]
"""Parameter name -> array of any shape, updated in place by ``step``."""


def check_hyper(name: str, value: float, *, low: float = 0.0, high: float | None = None,
                high_open: bool = True) -> float:
    """Return ``value`` as a float if ``low <= value`` (and ``value < high`` / ``<= high``), else raise ``ValueError``."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number, got {value!r}") from exc
    if not math.isfinite(number) or number < low:
        raise ValueError(f"{name} must be a finite number >= {low}, got {value!r}")
    if high is not None and (number >= high if high_open else number > high):
        bound = f"< {high}" if high_open else f"<= {high}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return number


class Optimizer:
    """Base class: validates the inputs of ``step`` and hands each parameter to ``_update``.

    Subclasses implement ``_update(name, p, g, state)`` where ``p`` (any shape) is updated in place,
    ``g`` is a float array of the same shape and dtype (a private copy: it may be overwritten), and
    ``state`` is the per-parameter dict ``self.state[name]`` (empty on the first step for that name).
    """

    def __init__(self, lr: float) -> None:
        self.lr = check_hyper("lr", lr)
        self.state: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ public API
    def step(self, params: ParamDict, grads: ParamDict) -> None:
        """Update every ``params[name]`` in place using ``grads[name]`` (same keys, same shapes).

        Everything is validated before any array is touched, so a bad call leaves the model unchanged.

        Raises:
            ValueError: keys differ, a gradient's shape differs from its parameter's, a dtype is not
                float, or ``self.lr`` has been set to a negative / non-finite value.
            TypeError: a parameter is not a writable numpy array (it could not be updated in place).
        """
        lr = check_hyper("lr", self.lr)
        self.lr = lr
        self._check_inputs(params, grads)
        for name, p in params.items():
            g = np.array(grads[name], dtype=p.dtype, copy=True)  # private copy; caller's grad untouched
            self._update(name, p, g, self.state.setdefault(name, {}))

    def reset(self) -> None:
        """Forget all per-parameter state (as if freshly constructed with the same hyper-parameters)."""
        self.state.clear()

    def hyperparameters(self) -> dict[str, Any]:
        """The constructor arguments (plus the current ``lr``) as a plain dict."""
        return {k: v for k, v in vars(self).items() if k != "state"}

    def state_dict(self) -> dict[str, Any]:
        """A deep copy of the hyper-parameters and of the per-parameter state, for inspection."""
        return {"hyperparameters": self.hyperparameters(), "state": copy.deepcopy(self.state)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------------ for subclasses
    def _update(self, name: str, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ checks
    def _check_inputs(self, params: ParamDict, grads: ParamDict) -> None:
        if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
            raise TypeError(
                "params and grads must be dicts name -> array, got "
                f"{type(params).__name__} and {type(grads).__name__}"
            )
        missing = [k for k in params if k not in grads]
        extra = [k for k in grads if k not in params]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"no gradient for parameter(s) {missing}")
            if extra:
                parts.append(f"gradient(s) {extra} have no matching parameter")
            raise ValueError("params and grads must have the same keys: " + "; ".join(parts))
        for name, p in params.items():
            label = f"params[{name!r}]"
            if not isinstance(p, np.ndarray):
                raise TypeError(f"{label} must be a numpy array (updated in place), got {type(p).__name__}")
            if not p.flags.writeable:
                raise TypeError(f"{label} is read-only; the optimizer updates parameters in place")
            check_array(label, p, dtype_kind="f")
            check_array(f"grads[{name!r}]", grads[name], p.shape, dtype_kind="fiu")
            for key, buf in self.state.get(name, {}).items():
                if isinstance(buf, np.ndarray) and buf.shape != p.shape:
                    raise ValueError(
                        f"{label} has shape {p.shape} but the optimizer's state {key!r} for it has shape "
                        f"{buf.shape}; call reset() after changing a parameter's shape"
                    )

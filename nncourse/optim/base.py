"""The contract every optimizer in this chapter follows, and the checks that guard it.

An optimizer here is built from hyper-parameters only; it never holds the parameters themselves.
Each call ``opt.step(params, grads)`` receives two dictionaries with the same keys, e.g.
``{"W1": (D, H), "b1": (H,)}``, and moves every ``params[name]`` in place along ``grads[name]``.
Whatever the method remembers between calls (velocity, moment estimates, a step counter) lives in
``opt.state[name]``, so the same optimizer can drive any model whose parameters keep their names.

``opt.lr`` is an ordinary attribute, read afresh at every step: a schedule changes it between steps.

Parameter groups (torch's ``param_groups``, by name): ``groups=[{"params": ["W1", "W2"],
"weight_decay": 0.1}, {"params": ["b1", "b2"], "weight_decay": 0.0, "lr": 1e-3}]`` gives the listed
parameters their own hyper-parameters; a parameter in no group uses the optimizer's own. A group's
``"lr"`` is moved by schedules exactly like ``opt.lr`` (each from its own initial value).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from nncourse._validate import check_array, check_hyper

ParamDict = Mapping[str, np.ndarray]
"""Parameter name -> array of any shape, updated in place by ``step``."""

Group = dict[str, Any]
"""``{"params": [names...], <hyper-parameter>: value, ...}``."""


class Optimizer:
    """Base class: validates the inputs of ``step`` and hands each parameter to ``_update``.

    Subclasses list the hyper-parameters a group may override in ``_group_checks`` (name -> validator)
    and implement ``_update(p, g, state, hp, work)``: ``p`` (any shape) is updated in place; ``g`` is
    the gradient as an array of ``p``'s shape and dtype (possibly the caller's own array: never write
    to it); ``state`` is ``self.state[name]`` (empty on the first step for that name); ``hp`` maps each
    key of ``_group_checks`` to this parameter's value; ``work(k)`` returns the k-th scratch array of
    ``p``'s shape (allocated once, kept outside ``state``), so a step makes no temporaries.
    """

    _group_checks: ClassVar[dict[str, Callable[..., Any]]] = {"lr": check_hyper}

    def __init__(self, lr: float, groups: Sequence[Mapping[str, Any]] | None = None) -> None:
        self.lr = check_hyper("lr", lr)
        self.state: dict[str, dict[str, Any]] = {}
        self.groups: list[Group] = self._check_groups(groups)
        self._group_of = {name: k for k, group in enumerate(self.groups) for name in group["params"]}
        self._work: dict[str, list[np.ndarray]] = {}

    # ------------------------------------------------------------------ public API
    def step(self, params: ParamDict, grads: ParamDict) -> None:
        """Update every ``params[name]`` in place using ``grads[name]`` (same keys, same shapes).

        Everything is validated before any array is touched, so a bad call leaves the model unchanged.
        ``grads`` are read, never written.

        Raises:
            ValueError: keys differ, a gradient's shape differs from its parameter's, a dtype is not
                float, or an lr (``self.lr`` or a group's) has been set to a negative / non-finite value.
            TypeError: a parameter is not a writable numpy array (it could not be updated in place).
        """
        self.lr = check_hyper("lr", self.lr)
        for k, group in enumerate(self.groups):
            if "lr" in group:
                group["lr"] = check_hyper(f"groups[{k}]['lr']", group["lr"])
        self._check_inputs(params, grads)
        defaults = {key: getattr(self, key) for key in self._group_checks}
        for name, p in params.items():
            g = grads[name]
            if not (isinstance(g, np.ndarray) and g.dtype == p.dtype):
                g = np.asarray(g, dtype=p.dtype)  # a converted copy; the caller's array is never written
            gk = self._group_of.get(name)
            hp = (
                defaults
                if gk is None
                else {**defaults, **{key: self.groups[gk][key] for key in defaults if key in self.groups[gk]}}
            )
            self._update(p, g, self.state.setdefault(name, {}), hp, self._scratch(name, p))

    def reset(self) -> None:
        """Forget all per-parameter state (as if freshly constructed with the same hyper-parameters)."""
        self.state.clear()
        self._work.clear()

    def hyperparameters(self) -> dict[str, Any]:
        """The constructor arguments (plus the current ``lr``) as a plain dict."""
        skip = ("state", "groups", "initial_lr")  # initial_lr: set by the first scheduler attached
        return {k: v for k, v in vars(self).items() if k not in skip and not k.startswith("_")}

    def state_dict(self) -> dict[str, Any]:
        """A deep copy of the hyper-parameters, the groups and the per-parameter state, for inspection."""
        return {
            "hyperparameters": self.hyperparameters(),
            "groups": copy.deepcopy(self.groups),
            "state": copy.deepcopy(self.state),
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        extra = f", groups={len(self.groups)}" if self.groups else ""
        return f"{type(self).__name__}({args}{extra})"

    # ------------------------------------------------------------------ for subclasses
    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, Any],
        hp: Mapping[str, Any],
        work: Callable[[int], np.ndarray],
    ) -> None:
        raise NotImplementedError

    def _scratch(self, name: str, p: np.ndarray) -> Callable[[int], np.ndarray]:
        """``work(k)``: the k-th scratch array for parameter ``name`` (same shape and dtype as ``p``)."""
        bufs = self._work.setdefault(name, [])
        if bufs and (bufs[0].shape != p.shape or bufs[0].dtype != p.dtype):
            bufs.clear()

        def work(k: int) -> np.ndarray:
            while len(bufs) <= k:
                bufs.append(np.empty_like(p))
            return bufs[k]

        return work

    # ------------------------------------------------------------------ checks
    def _check_groups(self, groups: Sequence[Mapping[str, Any]] | None) -> list[Group]:
        if groups is None:
            return []
        if isinstance(groups, (str, bytes, Mapping)) or not isinstance(groups, Sequence):
            raise TypeError(f"groups must be a list of dicts {{'params': [names], ...}}, got {type(groups).__name__}")
        checked: list[Group] = []
        seen: dict[str, int] = {}
        for k, group in enumerate(groups):
            label = f"groups[{k}]"
            if not isinstance(group, Mapping) or "params" not in group:
                raise TypeError(f"{label} must be a dict with a 'params' list of parameter names, got {group!r}")
            names = group["params"]
            if isinstance(names, str) or not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
                raise TypeError(f"{label}['params'] must be a list of parameter names (str), got {names!r}")
            for name in names:
                if name in seen:
                    raise ValueError(f"parameter {name!r} appears in groups[{seen[name]}] and {label}")
                seen[name] = k
            unknown = sorted(set(group) - {"params", "initial_lr", *self._group_checks})
            if unknown:
                raise ValueError(f"{label} has unknown key(s) {unknown}; a group may set {sorted(self._group_checks)}")
            entry: Group = {"params": list(names)}
            for key, value in group.items():
                if key in self._group_checks:
                    entry[key] = self._group_checks[key](f"{label}[{key!r}]", value)
            checked.append(entry)
        return checked

    def _check_inputs(self, params: ParamDict, grads: ParamDict) -> None:
        if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
            raise TypeError(
                f"params and grads must be dicts name -> array, got {type(params).__name__} and {type(grads).__name__}"
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

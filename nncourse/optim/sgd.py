"""Stochastic gradient descent, with optional (Nesterov) momentum and L2 weight decay.

Same update as ``torch.optim.SGD``. Plain gradient descent is ``SGD(lr)`` with every option at zero:
``theta <- theta - lr * g``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from nncourse._validate import check_bool, check_hyper
from nncourse.optim.base import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional momentum buffer ``b`` per parameter (same shape as the parameter).

    Update for one parameter ``theta`` with gradient ``g`` at step t (t = 1, 2, ...):

        g   <- g + weight_decay * theta                         (L2 penalty, folded into the gradient)
        b_1  = g                                                (first step: buffer is a copy of g)
        b_t  = momentum * b_{t-1} + (1 - dampening) * g         (t > 1)
        d    = g + momentum * b_t   if nesterov   else   b_t    (d = g when momentum == 0)
        theta <- theta - lr * d

    Args:
        lr: learning rate, >= 0.
        momentum: factor ``mu`` of the velocity buffer, >= 0 (0 disables the buffer).
        dampening: scales the fresh gradient entering the buffer by ``1 - dampening``, >= 0.
        nesterov: look-ahead variant; needs ``momentum > 0`` and ``dampening == 0``.
        weight_decay: L2 coefficient ``lambda``, >= 0 (adds ``lambda * theta`` to the gradient).
        groups: parameter groups by name (see ``nncourse.optim.base``); a group may set ``lr``,
            ``momentum``, ``dampening`` and ``weight_decay``.
    """

    _group_checks: ClassVar[dict[str, Callable[..., Any]]] = {
        "lr": check_hyper,
        "momentum": check_hyper,
        "dampening": check_hyper,
        "weight_decay": check_hyper,
    }

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        groups: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(lr, groups)
        self.momentum = check_hyper("momentum", momentum)
        self.dampening = check_hyper("dampening", dampening)
        self.nesterov = check_bool("nesterov", nesterov)
        self.weight_decay = check_hyper("weight_decay", weight_decay)
        settings = [("", vars(self))] + [(f"groups[{k}]: ", {**vars(self), **g}) for k, g in enumerate(self.groups)]
        for label, hp in settings:
            if self.nesterov and (hp["momentum"] <= 0 or hp["dampening"] != 0):
                raise ValueError(
                    f"{label}nesterov=True needs momentum > 0 and dampening == 0, got "
                    f"momentum={hp['momentum']!r}, dampening={hp['dampening']!r}"
                )

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, Any],
        hp: Mapping[str, Any],
        work: Callable[[int], np.ndarray],
    ) -> None:
        lr, mu, damp, wd = hp["lr"], hp["momentum"], hp["dampening"], hp["weight_decay"]
        if wd != 0:
            g = np.add(np.multiply(p, wd, out=work(0)), g, out=work(0))  # g <- g + lambda theta
        tmp = work(1)
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()  # b_1 = g_1
            else:
                buf *= mu  # b_t = mu b_{t-1} + (1 - dampening) g_t
                if damp != 0:
                    buf += np.multiply(g, 1 - damp, out=tmp)
                else:
                    buf += g
            if self.nesterov:
                d = np.multiply(buf, mu, out=tmp)  # d_t = g_t + mu b_t
                d += g
            else:
                d = buf  # d_t = b_t
        else:
            d = g  # d_t = g_t
        p -= np.multiply(d, lr, out=tmp)  # theta_t = theta_{t-1} - lr d_t

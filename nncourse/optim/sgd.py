"""Stochastic gradient descent, with optional (Nesterov) momentum and L2 weight decay.

Same update as ``torch.optim.SGD``. Plain gradient descent is ``SGD(lr)`` with every option at zero:
``theta <- theta - lr * g``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.optim.base import Optimizer, check_hyper


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
    """

    def __init__(self, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(lr)
        self.momentum = check_hyper("momentum", momentum)
        self.dampening = check_hyper("dampening", dampening)
        self.nesterov = bool(nesterov)
        self.weight_decay = check_hyper("weight_decay", weight_decay)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"nesterov=True needs momentum > 0 and dampening == 0, got momentum={momentum!r}, "
                f"dampening={dampening!r}"
            )

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay != 0:
            g += self.weight_decay * p                      # g <- g + lambda theta
        if self.momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = g.copy()                              # b_1 = g_1
                state["momentum_buffer"] = buf
            else:
                buf *= self.momentum                        # b_t = mu b_{t-1} + (1 - dampening) g_t
                buf += (1 - self.dampening) * g
            if self.nesterov:
                d = g + self.momentum * buf                 # d_t = g_t + mu b_t
            else:
                d = buf                                     # d_t = b_t
        else:
            d = g                                           # d_t = g_t
        p -= self.lr * d                                    # theta_t = theta_{t-1} - lr d_t

"""Optimizers that scale each coordinate by a running estimate of the squared gradient.

``RMSprop``, ``Adam`` and ``AdamW`` reproduce the update formulas of their ``torch.optim`` namesakes.
All arithmetic is element-wise; every state array has the shape of its parameter.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nncourse.optim.base import Optimizer, check_hyper


def _check_betas(betas: tuple[float, float]) -> tuple[float, float]:
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError) as exc:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from exc
    return (check_hyper("betas[0]", beta1, high=1.0), check_hyper("betas[1]", beta2, high=1.0))


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    State per parameter: ``v`` (square_avg), and ``a`` (grad_avg, if centered), ``b`` (momentum_buffer,
    if momentum > 0), all zeros at the start. Update at step t:

        g   <- g + weight_decay * theta
        v_t  = alpha * v_{t-1} + (1 - alpha) * g^2
        a_t  = alpha * a_{t-1} + (1 - alpha) * g                (centered only)
        s    = sqrt(v_t - a_t^2) + eps   if centered   else   sqrt(v_t) + eps
        b_t  = momentum * b_{t-1} + g / s;  theta <- theta - lr * b_t      (momentum > 0)
        theta <- theta - lr * g / s                                         (momentum == 0)

    Args:
        lr: learning rate, >= 0.
        alpha: smoothing constant of the running averages, in [0, 1].
        eps: added to the denominator for numerical safety, >= 0.
        weight_decay: L2 coefficient added to the gradient, >= 0.
        momentum: momentum factor applied to the scaled step, >= 0.
        centered: subtract the squared running mean of g, i.e. normalise by an estimate of the variance.
    """

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(lr)
        self.alpha = check_hyper("alpha", alpha, high=1.0, high_open=False)
        self.eps = check_hyper("eps", eps)
        self.weight_decay = check_hyper("weight_decay", weight_decay)
        self.momentum = check_hyper("momentum", momentum)
        self.centered = bool(centered)

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
        state["step"] += 1
        if self.weight_decay != 0:
            g += self.weight_decay * p                          # g <- g + lambda theta
        v = state["square_avg"]
        v *= self.alpha                                         # v_t = alpha v_{t-1} + (1 - alpha) g^2
        v += (1 - self.alpha) * g * g
        if self.centered:
            a = state["grad_avg"]
            a += (1 - self.alpha) * (g - a)                     # a_t = alpha a_{t-1} + (1 - alpha) g
            s = np.sqrt(v - a * a) + self.eps                   # s = sqrt(v_t - a_t^2) + eps
        else:
            s = np.sqrt(v) + self.eps                           # s = sqrt(v_t) + eps
        if self.momentum > 0:
            b = state["momentum_buffer"]
            b *= self.momentum                                  # b_t = mu b_{t-1} + g / s
            b += g / s
            p -= self.lr * b                                    # theta <- theta - lr b_t
        else:
            p -= self.lr * (g / s)                              # theta <- theta - lr g / s


class Adam(Optimizer):
    """Adaptive moment estimation, with weight decay as an L2 term *inside* the gradient (torch's Adam).

    State per parameter: step count t, first moment ``m``, second moment ``v`` (zeros at the start),
    and ``v_max`` when ``amsgrad``. Update at step t = 1, 2, ...:

        g    <- g + weight_decay * theta                 (L2: the decay is rescaled by 1/sqrt(v) below)
        m_t   = beta1 * m_{t-1} + (1 - beta1) * g
        v_t   = beta2 * v_{t-1} + (1 - beta2) * g^2
        u_t   = max(u_{t-1}, v_t) if amsgrad else v_t
        theta <- theta - lr / (1 - beta1^t) * m_t / (sqrt(u_t) / sqrt(1 - beta2^t) + eps)

    Args:
        lr: learning rate, >= 0.
        betas: (beta1, beta2), each in [0, 1): decay rates of the two moment estimates.
        eps: added to the denominator, >= 0.
        weight_decay: L2 coefficient, >= 0. (See ``AdamW`` for the decoupled version.)
        amsgrad: normalise by the running maximum of ``v`` instead of ``v`` itself.
    """

    _decoupled = False

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(lr)
        self.betas = _check_betas(betas)
        self.eps = check_hyper("eps", eps)
        self.weight_decay = check_hyper("weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if self.weight_decay != 0:
            if self._decoupled:
                p *= 1 - self.lr * self.weight_decay            # theta <- (1 - lr lambda) theta   (AdamW)
            else:
                g += self.weight_decay * p                      # g <- g + lambda theta            (Adam, L2)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)                              # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v *= beta2                                              # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        v += (1 - beta2) * g * g
        if self.amsgrad:
            u = state["max_exp_avg_sq"]
            np.maximum(u, v, out=u)                             # u_t = max(u_{t-1}, v_t)
        else:
            u = v
        step_size = self.lr / (1 - beta1**t)                    # lr / (1 - beta1^t)
        denom = np.sqrt(u) / (1 - beta2**t) ** 0.5 + self.eps   # sqrt(u_t) / sqrt(1 - beta2^t) + eps
        p -= step_size * (m / denom)                            # theta_t = theta_{t-1} - step_size m_t / denom


class AdamW(Adam):
    """Adam with *decoupled* weight decay (torch's AdamW): shrink the weights, then take the Adam step.

        theta <- (1 - lr * weight_decay) * theta             (applied before the moments are updated)
        ... then exactly Adam's update with weight_decay = 0 ...

    Unlike ``Adam(weight_decay=...)``, the decay here is not divided by ``sqrt(v)``, so every weight
    shrinks by the same factor per step, whatever its gradient history.

    Args: as ``Adam``, with ``weight_decay`` defaulting to 1e-2.
    """

    _decoupled = True

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)

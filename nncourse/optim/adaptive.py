"""Optimizers that scale each coordinate by a running estimate of the squared gradient.

``RMSprop``, ``Adam`` and ``AdamW`` reproduce the update formulas of their ``torch.optim`` namesakes.
All arithmetic is element-wise; every state array has the shape of its parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

import numpy as np

from nncourse._validate import check_betas, check_bool, check_hyper
from nncourse.optim.base import Optimizer

Work = Callable[[int], np.ndarray]


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
        groups: parameter groups by name; a group may set ``lr``, ``alpha``, ``eps``, ``weight_decay``
            and ``momentum``.
    """

    _group_checks: ClassVar[dict[str, Callable[..., Any]]] = {
        "lr": check_hyper,
        "alpha": partial(check_hyper, high=1.0, high_open=False),
        "eps": check_hyper,
        "weight_decay": check_hyper,
        "momentum": check_hyper,
    }

    def __init__(
        self,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        groups: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(lr, groups)
        self.alpha = check_hyper("alpha", alpha, high=1.0, high_open=False)
        self.eps = check_hyper("eps", eps)
        self.weight_decay = check_hyper("weight_decay", weight_decay)
        self.momentum = check_hyper("momentum", momentum)
        self.centered = check_bool("centered", centered)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], hp: Mapping[str, Any], work: Work) -> None:
        lr, alpha, eps, wd, mom = hp["lr"], hp["alpha"], hp["eps"], hp["weight_decay"], hp["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p)
            if mom > 0:
                state["momentum_buffer"] = np.zeros_like(p)
        state["step"] += 1
        if wd != 0:
            g = np.add(np.multiply(p, wd, out=work(0)), g, out=work(0))  # g <- g + lambda theta
        s = work(1)
        v = state["square_avg"]
        v *= alpha  # v_t = alpha v_{t-1} + (1 - alpha) g^2
        v += np.multiply(np.multiply(g, 1 - alpha, out=s), g, out=s)
        if self.centered:
            a = state["grad_avg"]
            a += np.multiply(np.subtract(g, a, out=s), 1 - alpha, out=s)  # a_t = alpha a_{t-1} + (1 - alpha) g
            np.sqrt(np.subtract(v, np.multiply(a, a, out=s), out=s), out=s)  # s = sqrt(v_t - a_t^2) + eps
        else:
            np.sqrt(v, out=s)  # s = sqrt(v_t) + eps
        s += eps
        if mom > 0:
            b = state.setdefault("momentum_buffer", np.zeros_like(p))
            b *= mom  # b_t = mu b_{t-1} + g / s
            b += np.divide(g, s, out=s)
            p -= np.multiply(b, lr, out=s)  # theta <- theta - lr b_t
        else:
            np.divide(g, s, out=s)
            p -= np.multiply(s, lr, out=s)  # theta <- theta - lr g / s


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
        groups: parameter groups by name; a group may set ``lr``, ``betas``, ``eps`` and
            ``weight_decay`` (see ``weight_decay_groups``).
    """

    _decoupled = False
    _group_checks: ClassVar[dict[str, Callable[..., Any]]] = {
        "lr": check_hyper,
        "betas": check_betas,
        "eps": check_hyper,
        "weight_decay": check_hyper,
    }

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        groups: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(lr, groups)
        self.betas = check_betas("betas", betas)
        self.eps = check_hyper("eps", eps)
        self.weight_decay = check_hyper("weight_decay", weight_decay)
        self.amsgrad = check_bool("amsgrad", amsgrad)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], hp: Mapping[str, Any], work: Work) -> None:
        lr, (beta1, beta2), eps, wd = hp["lr"], hp["betas"], hp["eps"], hp["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
        if self.amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if wd != 0:
            if self._decoupled:
                p *= 1 - lr * wd  # theta <- (1 - lr lambda) theta   (AdamW)
            else:  # g <- g + lambda theta            (Adam, L2)
                g = np.add(np.multiply(p, wd, out=work(0)), g, out=work(0))
        tmp = work(1)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += np.multiply(np.subtract(g, m, out=tmp), 1 - beta1, out=tmp)  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v *= beta2  # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        v += np.multiply(np.multiply(g, 1 - beta2, out=tmp), g, out=tmp)
        if self.amsgrad:
            u = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])  # u_t = max(u_{t-1}, v_t)
        else:
            u = v
        step_size = lr / (1 - beta1**t)  # lr / (1 - beta1^t)
        denom = np.sqrt(u, out=tmp)  # sqrt(u_t) / sqrt(1 - beta2^t) + eps
        denom /= (1 - beta2**t) ** 0.5
        denom += eps
        p -= np.multiply(
            np.divide(m, denom, out=tmp), step_size, out=tmp
        )  # theta_t = theta_{t-1} - step_size m_t / denom


class AdamW(Adam):
    """Adam with *decoupled* weight decay (torch's AdamW): shrink the weights, then take the Adam step.

        theta <- (1 - lr * weight_decay) * theta             (applied before the moments are updated)
        ... then exactly Adam's update with weight_decay = 0 ...

    Unlike ``Adam(weight_decay=...)``, the decay here is not divided by ``sqrt(v)``, so every weight
    shrinks by the same factor per step, whatever its gradient history. Biases and normalisation
    weights are usually left undecayed: ``AdamW(groups=weight_decay_groups(params, 0.1))``.

    Args: as ``Adam``, with ``weight_decay`` defaulting to 1e-2.
    """

    _decoupled = True

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        groups: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, groups=groups)

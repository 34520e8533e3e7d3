"""Learning-rate schedules that rewrite ``optimizer.lr`` between steps, like ``torch.optim.lr_scheduler``.

Usage, one ``scheduler.step()`` per epoch (or per iteration, as the schedule is meant):

    opt = SGD(lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=10, gamma=0.5)     # construction already sets the lr for epoch 0
    for epoch in range(epochs):
        ...  opt.step(params, grads)  ...
        sched.step()                                  # lr for the next epoch

Each scheduler computes the next lr from the *current* ``opt.lr`` (torch's recursive "chainable" form),
so its sequence matches torch's to the last bit; ``closed_form(t)`` gives the textbook formula for
comparison. ``warmup_cosine`` is a plain function of the step number, for use with any optimizer.
"""
from __future__ import annotations

import math

from nncourse.optim.base import Optimizer, check_hyper


def _check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


class LRScheduler:
    """Base class: remembers ``base_lr`` (the optimizer's lr at construction) and the epoch counter.

    ``last_epoch`` is -1 before construction finishes; the constructor performs step 0, so right after
    ``Scheduler(opt, ...)`` we have ``last_epoch == 0`` and ``opt.lr`` set to the epoch-0 value.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must have an 'lr' attribute, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = check_hyper("optimizer.lr", optimizer.lr)
        self.last_epoch = -1
        self._last_lr = self.base_lr
        self.step()

    def step(self) -> None:
        """Advance one epoch and write the new learning rate into ``optimizer.lr``."""
        self.last_epoch += 1
        lr = self._next_lr(self.optimizer.lr)
        self.optimizer.lr = lr
        self._last_lr = lr

    def get_last_lr(self) -> float:
        """The lr this scheduler last wrote (a float; torch returns a one-per-group list)."""
        return self._last_lr

    def closed_form(self, epoch: int) -> float:
        """The lr at ``epoch`` from the explicit formula (equal to the stepped value up to rounding)."""
        raise NotImplementedError

    def _next_lr(self, lr: float) -> float:
        """Given the current lr, return the lr for ``self.last_epoch``."""
        raise NotImplementedError


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs.

        lr_e = base_lr * gamma ** floor(e / step_size)

    Args:
        optimizer: any optimizer with an ``lr`` attribute.
        step_size: epochs between two decays, a positive int.
        gamma: multiplicative factor, >= 0 (usually < 1).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_positive_int("step_size", step_size)
        self.gamma = check_hyper("gamma", gamma)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        e = self.last_epoch
        if e == 0 or e % self.step_size != 0:
            return lr
        return lr * self.gamma                                  # lr_e = gamma * lr_{e-1} at multiples

    def closed_form(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs.

        lr_e = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2

    After ``T_max`` the curve keeps going (back up, with period ``2 * T_max``), as torch's does.
    Each step uses the ratio of consecutive cosine terms applied to the current lr,

        lr_e = eta_min + (lr_{e-1} - eta_min) * (1 + cos(pi e / T_max)) / (1 + cos(pi (e - 1) / T_max)),

    except where the denominator vanishes (e - 1 = T_max mod 2 T_max), where the additive form
    lr_e = lr_{e-1} + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2 is used instead.

    Args:
        optimizer: any optimizer with an ``lr`` attribute.
        T_max: half-period in epochs, a positive int.
        eta_min: lowest learning rate, >= 0.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _check_positive_int("T_max", T_max)
        self.eta_min = check_hyper("eta_min", eta_min)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return lr
        if (e - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - lo) * (1 - math.cos(math.pi / T)) / 2
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return ratio * (lr - lo) + lo

    def closed_form(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearWarmup(LRScheduler):
    """Scale the lr linearly from ``start_factor * base_lr`` to ``end_factor * base_lr`` (torch's LinearLR).

        lr_e = base_lr * (start_factor + (end_factor - start_factor) * min(e, total_iters) / total_iters)

    Args:
        optimizer: any optimizer with an ``lr`` attribute.
        start_factor: multiplier at epoch 0, in (0, 1].
        end_factor: multiplier from epoch ``total_iters`` on, in [0, 1].
        total_iters: epochs over which the factor moves, a positive int.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        self.start_factor = check_hyper("start_factor", start_factor, high=1.0, high_open=False)
        if self.start_factor == 0:
            raise ValueError("start_factor must be > 0 (a zero lr could never be scaled back up)")
        self.end_factor = check_hyper("end_factor", end_factor, high=1.0, high_open=False)
        self.total_iters = _check_positive_int("total_iters", total_iters)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        e, s, f, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return lr * s                                       # lr_0 = start_factor * base_lr
        if e > n:
            return lr
        # factor_e / factor_{e-1} = 1 + (f - s) / (n s + (e - 1)(f - s))
        return lr * (1.0 + (f - s) / (n * s + (e - 1) * (f - s)))

    def closed_form(self, epoch: int) -> float:
        s, f, n = self.start_factor, self.end_factor, self.total_iters
        return self.base_lr * (s + (f - s) * min(epoch, n) / n)


LinearLR = LinearWarmup
"""Alias under torch's name."""


def warmup_cosine(step: int, warmup_steps: int, total_steps: int, base_lr: float, min_lr: float = 0.0) -> float:
    """Learning rate at ``step`` (0-based): linear warm-up, then a cosine decay to ``min_lr``.

        step < warmup_steps:               lr = base_lr * (step + 1) / warmup_steps
        warmup_steps <= step < total:      p  = (step - warmup_steps) / (total_steps - warmup_steps)
                                           lr = min_lr + (base_lr - min_lr) * (1 + cos(pi p)) / 2
        step >= total_steps:               lr = min_lr

    The warm-up never returns 0 (the first step already moves) and reaches ``base_lr`` at its last
    step; the cosine part starts at ``base_lr`` and equals ``CosineAnnealingLR(T_max=total_steps -
    warmup_steps, eta_min=min_lr)`` at epoch ``step - warmup_steps``.

    Args:
        step: current step, an int >= 0.
        warmup_steps: length of the warm-up, an int >= 0 (0: start directly with the cosine).
        total_steps: step at which ``min_lr`` is reached, an int > warmup_steps.
        base_lr: peak learning rate, >= 0.
        min_lr: final learning rate, in [0, base_lr].
    """
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be an int >= 0, got {warmup_steps!r}")
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps <= warmup_steps:
        raise ValueError(f"total_steps must be an int > warmup_steps={warmup_steps}, got {total_steps!r}")
    base_lr = check_hyper("base_lr", base_lr)
    min_lr = check_hyper("min_lr", min_lr, high=base_lr, high_open=False)
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2

"""Learning-rate schedules that rewrite ``optimizer.lr`` between steps, like ``torch.optim.lr_scheduler``.

Usage, one ``scheduler.step()`` per epoch (or per iteration, as the schedule is meant):

    opt = SGD(lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=10, gamma=0.5)     # construction already sets the lr for epoch 0
    for epoch in range(epochs):
        ...  opt.step(params, grads)  ...
        sched.step()                                  # lr for the next epoch

Each scheduler computes the next lr from the *current* ``opt.lr`` (torch's recursive "chainable" form),
so two schedulers stepped on one optimizer compose, and ``SequentialLR`` runs them one after another.
Like torch, every scheduler takes as its base the optimizer's *initial* lr (``opt.initial_lr``, set by
the first scheduler attached), not the possibly already scaled current one. A group's own ``"lr"``
(see ``nncourse.optim.base``) is scheduled the same way from its own ``"initial_lr"``. ``closed_form(t)``
gives the textbook formula; ``warmup_cosine`` is a plain function of the step number.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from nncourse._validate import check_hyper, check_int


class LRScheduler:
    """Base class: remembers the initial lr(s) (``base_lr``) and the epoch counter.

    ``last_epoch`` is -1 before construction finishes; the constructor performs step 0, so right after
    ``Scheduler(opt, ...)`` we have ``last_epoch == 0`` and ``opt.lr`` set to the epoch-0 value.
    A computed lr never goes below 0 (rounding could otherwise leave -1e-18 where the formula gives 0).
    """

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must have an 'lr' attribute, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if getattr(optimizer, "initial_lr", None) is None:
            optimizer.initial_lr = check_hyper("optimizer.lr", optimizer.lr)
        for k, group in enumerate(self._groups()):
            group.setdefault("initial_lr", check_hyper(f"optimizer.groups[{k}]['lr']", group["lr"]))
        self.base_lrs = [float(optimizer.initial_lr)] + [g["initial_lr"] for g in self._groups()]
        self.base_lr = self.base_lrs[0]
        self.last_epoch = -1
        self._last_lr = self.base_lr
        self.step()

    def step(self) -> None:
        """Advance one epoch and write the new learning rate(s) into the optimizer."""
        self.last_epoch += 1
        lrs = [self._next_lr(lr, base) for lr, base in zip(self._lrs(), self.base_lrs, strict=False)]
        self._write(lrs)

    def get_last_lr(self) -> float:
        """The lr this scheduler last wrote into ``optimizer.lr`` (a float; torch returns a per-group list)."""
        return self._last_lr

    def closed_form(self, epoch: int) -> float:
        """The lr at ``epoch`` from the explicit formula (equal to the stepped value up to rounding)."""
        return self._closed(check_int("epoch", epoch, low=0), self.base_lr)

    def restart(self, epoch: int = 0) -> None:
        """Jump to ``epoch`` and set the closed-form lr(s) there (what ``SequentialLR`` does at a milestone)."""
        self.last_epoch = check_int("epoch", epoch, low=0)
        self._write([self._closed(epoch, base) for base in self.base_lrs])

    # ------------------------------------------------------------------ for subclasses
    def _next_lr(self, lr: float, base: float) -> float:
        """Given the current lr (and the initial one), return the lr for ``self.last_epoch``."""
        raise NotImplementedError

    def _closed(self, epoch: int, base: float) -> float:
        raise NotImplementedError

    # ------------------------------------------------------------------ plumbing
    def _groups(self) -> list[dict[str, Any]]:
        return [g for g in getattr(self.optimizer, "groups", []) if "lr" in g]

    def _lrs(self) -> list[float]:
        return [float(self.optimizer.lr)] + [float(g["lr"]) for g in self._groups()]

    def _write(self, lrs: list[float]) -> None:
        lrs = [max(lr, 0.0) for lr in lrs]
        self.optimizer.lr = lrs[0]
        for group, lr in zip(self._groups(), lrs[1:], strict=False):
            group["lr"] = lr
        self._last_lr = lrs[0]


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs.

        lr_e = base_lr * gamma ** floor(e / step_size)

    Args:
        optimizer: any optimizer with an ``lr`` attribute.
        step_size: epochs between two decays, a positive int.
        gamma: multiplicative factor, >= 0 (usually < 1).
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int("step_size", step_size)
        self.gamma = check_hyper("gamma", gamma)
        super().__init__(optimizer)

    def _next_lr(self, lr: float, base: float) -> float:
        e = self.last_epoch
        if e == 0 or e % self.step_size != 0:
            return lr
        return lr * self.gamma  # lr_e = gamma * lr_{e-1} at multiples

    def _closed(self, epoch: int, base: float) -> float:
        return base * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs.

        lr_e = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2

    After ``T_max`` the curve keeps going (back up, with period ``2 * T_max``), as torch's does.
    Each step uses the ratio of consecutive cosine terms applied to the current lr,

        lr_e = eta_min + (lr_{e-1} - eta_min) * (1 + cos(pi e / T_max)) / (1 + cos(pi (e - 1) / T_max)),

    except where the denominator vanishes (e - 1 = T_max mod 2 T_max), where the additive form
    lr_e = lr_{e-1} + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2 is used instead; ``base_lr`` is
    the optimizer's initial lr even when another scheduler ran first (torch's rule).

    Args:
        optimizer: any optimizer with an ``lr`` attribute.
        T_max: half-period in epochs, a positive int.
        eta_min: lowest learning rate, >= 0.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_int("T_max", T_max)
        self.eta_min = check_hyper("eta_min", eta_min)
        super().__init__(optimizer)

    def _next_lr(self, lr: float, base: float) -> float:
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return lr
        if (e - 1 - T) % (2 * T) == 0:
            return lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return ratio * (lr - lo) + lo

    def _closed(self, epoch: int, base: float) -> float:
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor * base_lr`` to ``end_factor * base_lr`` (a warm-up when
    ``start_factor < end_factor``, a decay otherwise).

        lr_e = base_lr * (start_factor + (end_factor - start_factor) * min(e, total_iters) / total_iters)

    Args:
        optimizer: any optimizer with an ``lr`` attribute.
        start_factor: multiplier at epoch 0, in (0, 1].
        end_factor: multiplier from epoch ``total_iters`` on, in [0, 1] (0 ends at lr 0, never below).
        total_iters: epochs over which the factor moves, a positive int.
    """

    def __init__(
        self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
    ) -> None:
        self.start_factor = check_hyper("start_factor", start_factor, high=1.0, high_open=False)
        if self.start_factor == 0:
            raise ValueError("start_factor must be > 0 (a zero lr could never be scaled back up)")
        self.end_factor = check_hyper("end_factor", end_factor, high=1.0, high_open=False)
        self.total_iters = check_int("total_iters", total_iters)
        super().__init__(optimizer)

    def _next_lr(self, lr: float, base: float) -> float:
        e, s, f, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return lr * s  # lr_0 = start_factor * base_lr
        if e > n:
            return lr
        if e == n and f == 0:
            return 0.0  # exactly 0, not a rounding residue
        # factor_e / factor_{e-1} = 1 + (f - s) / (n s + (e - 1)(f - s))
        return lr * (1.0 + (f - s) / (n * s + (e - 1) * (f - s)))

    def _closed(self, epoch: int, base: float) -> float:
        s, f, n = self.start_factor, self.end_factor, self.total_iters
        return base * (s + (f - s) * min(epoch, n) / n)


class SequentialLR:
    """Run ``schedulers`` one after another on one optimizer, switching at the ``milestones`` (torch's
    ``SequentialLR``): epochs ``[0, m1)`` follow ``schedulers[0]``, ``[m1, m2)`` ``schedulers[1]`` from
    its own epoch 0, and so on. Each restarts at its closed form from the optimizer's initial lr.

        warm = LinearLR(opt, start_factor=0.1, total_iters=4)
        cos = CosineAnnealingLR(opt, T_max=95)
        sched = SequentialLR(opt, [warm, cos], milestones=[5])

    Args:
        optimizer: the optimizer all ``schedulers`` drive.
        schedulers: ``LRScheduler``s built on ``optimizer``, at least one.
        milestones: ``len(schedulers) - 1`` increasing positive ints.
    """

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler], milestones: Sequence[int]) -> None:
        if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, Sequence) or not schedulers:
            raise TypeError(f"schedulers must be a non-empty list of LRScheduler, got {schedulers!r}")
        for k, sched in enumerate(schedulers):
            if not isinstance(sched, LRScheduler):
                raise TypeError(f"schedulers[{k}] must be an LRScheduler, got {type(sched).__name__}")
            if sched.optimizer is not optimizer:
                raise ValueError(f"schedulers[{k}] drives another optimizer than the one given")
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
            raise TypeError(f"milestones must be a list of ints, got {milestones!r}")
        marks = [check_int(f"milestones[{k}]", m) for k, m in enumerate(milestones)]
        if len(marks) != len(schedulers) - 1 or any(a >= b for a, b in pairwise(marks)):
            raise ValueError(
                f"milestones must be {len(schedulers) - 1} increasing ints (one per switch), got {list(milestones)}"
            )
        self.optimizer, self.schedulers, self.milestones = optimizer, list(schedulers), marks
        self.last_epoch = 0
        self.schedulers[0]._write(list(self.schedulers[0].base_lrs))  # back to the initial lr(s)
        self.schedulers[0].last_epoch = -1
        self.schedulers[0].step()  # epoch 0 of the first schedule
        self._last_lr = self.schedulers[0].get_last_lr()

    def step(self) -> None:
        """Advance one epoch: step the current scheduler, or restart the next one at its milestone."""
        self.last_epoch += 1
        k = bisect.bisect_right(self.milestones, self.last_epoch)
        sched = self.schedulers[k]
        if k > 0 and self.milestones[k - 1] == self.last_epoch:
            sched.restart(0)
        else:
            sched.step()
        self._last_lr = sched.get_last_lr()

    def get_last_lr(self) -> float:
        """The lr last written into ``optimizer.lr``."""
        return self._last_lr


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
    step = check_int("step", step, low=0)
    warmup_steps = check_int("warmup_steps", warmup_steps, low=0)
    total_steps = check_int("total_steps", total_steps, low=warmup_steps + 1)
    base_lr = check_hyper("base_lr", base_lr)
    min_lr = check_hyper("min_lr", min_lr, high=base_lr, high_open=False)
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2

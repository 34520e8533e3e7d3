"""Chapter 06: optimizers and learning-rate schedules, written with numpy.

Every optimizer shares one calling convention:

    opt = Adam(lr=1e-3)                    # hyper-parameters only
    opt.step(params, grads)                # dicts name -> array; params updated in place

and every scheduler rewrites ``opt.lr``: ``sched = StepLR(opt, step_size=10, gamma=0.5); sched.step()``.
Names and formulas follow ``torch.optim`` and ``torch.optim.lr_scheduler``.
"""
from __future__ import annotations

from nncourse.optim.adaptive import Adam, AdamW, RMSprop
from nncourse.optim.base import Optimizer
from nncourse.optim.schedules import (
    CosineAnnealingLR,
    LinearLR,
    LinearWarmup,
    LRScheduler,
    StepLR,
    warmup_cosine,
)
from nncourse.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "CosineAnnealingLR",
    "LinearWarmup",
    "LinearLR",
    "warmup_cosine",
]

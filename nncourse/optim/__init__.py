"""Chapter 06: optimizers and learning-rate schedules, written with numpy.

Every optimizer shares one calling convention:

    opt = Adam(lr=1e-3)                    # hyper-parameters only
    opt.step(params, grads)                # dicts name -> array; params updated in place

and every scheduler rewrites ``opt.lr``: ``sched = StepLR(opt, step_size=10, gamma=0.5); sched.step()``.
``clip_grad_norm(grads, max_norm)`` clips before a step; ``weight_decay_groups`` builds AdamW's groups.
Names and formulas follow ``torch.optim``, ``torch.optim.lr_scheduler`` and ``torch.nn.utils``.
"""

from __future__ import annotations

from nncourse.optim.adaptive import Adam, AdamW, RMSprop
from nncourse.optim.base import Optimizer
from nncourse.optim.clip import clip_grad_norm
from nncourse.optim.groups import weight_decay_groups
from nncourse.optim.schedules import (
    CosineAnnealingLR,
    LinearLR,
    LRScheduler,
    SequentialLR,
    StepLR,
    warmup_cosine,
)
from nncourse.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "LRScheduler",
    "LinearLR",
    "Optimizer",
    "RMSprop",
    "SequentialLR",
    "StepLR",
    "clip_grad_norm",
    "warmup_cosine",
    "weight_decay_groups",
]

"""Convolutional networks as torch modules (chapter 10), for images ``(N, C, H, W)`` and signals ``(N, C, L)``.

    model = ConvNet((1, 8, 8), 10, channels=(32, 32), pool=(False, True))   # digits, 2-D
    model = ConvNet((1, 40), 10, channels=(32, 32, 64), pool=(False, True, True))   # MNIST-1D, 1-D
    maps = feature_maps(model, image[None])        # [(name, (1, C_l, H_l, W_l)), ...] block by block

A ``ConvNet`` is a stack of blocks, each Conv (same padding) -> BatchNorm (optional) -> ReLU ->
MaxPool 2 (optional), then a flatten and one Linear layer to the class logits. ``RandomShift`` is a
training-only augmentation layer that moves each image by a few pixels (zeros fill the gap); in eval
mode it does nothing, so it can sit at the front of a model and ``nncourse.train.fit`` needs no change.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from nncourse._validate import check_array, check_int


class RandomShift(nn.Module):
    """Shift each image of a batch ``(N, C, H, W)`` (or signal ``(N, C, L)``) by a random whole number
    of pixels in ``[-max_shift, max_shift]`` along every spatial axis, filling with zeros.

    Only in training mode; in eval mode the input passes unchanged. Uses torch's global generator, so
    ``torch.manual_seed`` makes it repeatable.
    """

    def __init__(self, max_shift: int = 1) -> None:
        super().__init__()
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"max_shift must be an int >= 0, got {max_shift!r}")
        self.max_shift = max_shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.max_shift == 0:
            return x
        m, n, spatial = self.max_shift, x.shape[0], x.shape[2:]
        padded = F.pad(x, (m, m) * len(spatial))
        offsets = torch.randint(0, 2 * m + 1, (n, len(spatial)), device=x.device)  # start of the crop
        batch = torch.arange(n, device=x.device)
        if len(spatial) == 1:
            cols = offsets[:, 0:1] + torch.arange(spatial[0], device=x.device)  # (N, L)
            return padded.permute(0, 2, 1)[batch[:, None], cols].permute(0, 2, 1)
        rows = offsets[:, 0:1] + torch.arange(spatial[0], device=x.device)  # (N, H)
        cols = offsets[:, 1:2] + torch.arange(spatial[1], device=x.device)  # (N, W)
        out = padded.permute(0, 2, 3, 1)[batch[:, None, None], rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
        return out.permute(0, 3, 1, 2)


class ConvNet(nn.Module):
    """Conv blocks and a linear classifier, in 1-D or 2-D depending on ``input_shape``.

    Args:
        input_shape: one example's shape, ``(C, H, W)`` for images or ``(C, L)`` for signals.
        n_classes: number of output logits.
        channels: output channels of each conv block, e.g. ``(32, 32)``.
        kernel_size: odd kernel size of every conv (same padding keeps the spatial size).
        pool: per block, whether a 2x max-pool follows (default: after every block).
        batch_norm: BatchNorm after each conv (the conv then has no bias of its own).
        dropout: dropout probability before the final Linear layer.
        max_shift: if > 0, a ``RandomShift(max_shift)`` augmentation layer comes first (training only).

    ``forward(x: (N, *input_shape)) -> (N, n_classes)`` logits.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        channels: Sequence[int] = (32, 32),
        kernel_size: int = 3,
        pool: Sequence[bool] | None = None,
        batch_norm: bool = True,
        dropout: float = 0.0,
        max_shift: int = 0,
    ) -> None:
        super().__init__()
        input_shape, channels = tuple(input_shape), tuple(channels)
        if len(input_shape) not in (2, 3):
            raise ValueError(f"input_shape must be (C, L) or (C, H, W), got {input_shape}")
        for i, size in enumerate(input_shape):
            check_int(f"input_shape[{i}]", size)
        check_int("n_classes", n_classes)
        if not channels:
            raise ValueError("channels needs at least one conv block")
        for i, c in enumerate(channels):
            check_int(f"channels[{i}]", c)
        check_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same padding), got {kernel_size}")
        pool = (True,) * len(channels) if pool is None else tuple(bool(p) for p in pool)
        if len(pool) != len(channels):
            raise ValueError(f"pool needs one flag per conv block ({len(channels)}), got {len(pool)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.input_shape, self.n_classes = input_shape, n_classes
        conv, norm, maxpool = (
            (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d)
            if len(input_shape) == 2
            else (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d)
        )
        self.augment = RandomShift(max_shift) if max_shift > 0 else nn.Identity()
        blocks: list[nn.Module] = []
        spatial = list(input_shape[1:])
        c_in = input_shape[0]
        for i, (c_out, pooled) in enumerate(zip(channels, pool, strict=True)):
            layers: list[nn.Module] = [conv(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=not batch_norm)]
            if batch_norm:
                layers.append(norm(c_out))
            layers.append(nn.ReLU())
            if pooled:
                if min(spatial) < 2:
                    raise ValueError(f"block {i} pools a spatial size of {spatial}; use fewer pooling blocks")
                layers.append(maxpool(2))
                spatial = [s // 2 for s in spatial]
            blocks.append(nn.Sequential(*layers))
            c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        features = c_in * int(torch.tensor(spatial).prod())
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout) if dropout > 0 else nn.Identity(), nn.Linear(features, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array("x", x, (None, *self.input_shape))
        return self.head(self.blocks(self.augment(x)))  # (N, n_classes)


@torch.no_grad()
def feature_maps(model: ConvNet, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """The output of each conv block of ``model`` for the batch ``x: (N, *input_shape)``, in eval mode.

    Returns ``[("input", x), ("block 1", (N, C_1, H_1, W_1)), ...]``; the model's train/eval mode is
    restored afterwards.
    """
    if not isinstance(model, ConvNet):
        raise TypeError(f"model must be a ConvNet, got {type(model).__name__}")
    check_array("x", x, (None, *model.input_shape))
    was_training = model.training
    model.eval()
    maps = [("input", x.detach().clone())]
    h = x
    for i, block in enumerate(model.blocks):
        h = block(h)
        maps.append((f"block {i + 1}", h.detach().clone()))
    model.train(was_training)
    return maps

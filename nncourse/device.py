"""One device helper for the whole course: use an accelerator when there is one, never require it."""

from __future__ import annotations

import torch


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device the course should compute on.

    Args:
        prefer: ``"cpu"``, ``"cuda"`` or ``"mps"`` to ask for one; ``None`` picks CUDA, then Apple's
            MPS, then the CPU. Asking for a device that is not present raises ``ValueError``.
    """
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}
    if prefer is not None:
        if prefer not in available:
            raise ValueError(f"prefer must be one of {sorted(available)} or None, got {prefer!r}")
        if not available[prefer]:
            raise ValueError(f"device {prefer!r} was asked for but is not available on this machine")
        return torch.device(prefer)
    for name in ("cuda", "mps"):
        if available[name]:
            return torch.device(name)
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())

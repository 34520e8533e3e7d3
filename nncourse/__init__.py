"""nncourse: the companion package of the neural-networks course.

Reference implementations (numpy and torch), offline data, a training loop, plots, widgets,
exercise checks, the release and grading tools, and the ``nncourse`` command line.

``import nncourse`` is light: the first-cell API below is imported on first use, so a numpy-only
module (``nncourse.checks``, ``nncourse.scratch``) never pays for torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "get_device", "seed_everything", "setup_notebook"]

if TYPE_CHECKING:
    from nncourse.device import get_device
    from nncourse.notebook import seed_everything, setup_notebook

_LAZY = {"get_device": "nncourse.device", "seed_everything": "nncourse.notebook", "setup_notebook": "nncourse.notebook"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nncourse' has no attribute {name!r}")

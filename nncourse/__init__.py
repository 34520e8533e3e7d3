"""nncourse: the companion package of the neural-networks course.

Reference implementations (numpy and torch), offline data, a training loop, plots, widgets,
exercise checks, the release and grading tools, and the ``nncourse`` command line.
"""
from __future__ import annotations

from nncourse.device import get_device
from nncourse.notebook import seed_everything, setup_notebook

__version__ = "0.1.0"
__all__ = ["__version__", "get_device", "seed_everything", "setup_notebook"]

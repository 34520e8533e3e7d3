"""Offline data: toy 2-D sets generated on the spot and scikit-learn's bundled sets, split and seeded."""
from __future__ import annotations

from nncourse.data.loaders import make_loader, split_loaders
from nncourse.data.tabular import BUNDLED, Split, load_dataset
from nncourse.data.toy import TOY_SETS, blobs, circles, make_toy, moons, spirals, xor

__all__ = [
    "BUNDLED", "Split", "TOY_SETS", "blobs", "circles", "load_dataset", "make_loader", "make_toy",
    "moons", "spirals", "split_loaders", "xor",
]

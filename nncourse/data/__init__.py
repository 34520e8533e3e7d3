"""Offline data: toy 2-D sets generated on the spot, scikit-learn's bundled sets, images (digits,
generated shapes, MNIST-1D generated locally), split and seeded."""
from __future__ import annotations

from nncourse.data.images import SHAPE_CLASSES, ImageSplit, load_digit_images, load_mnist1d, make_shapes
from nncourse.data.loaders import make_loader, split_loaders
from nncourse.data.sequences import adding_problem, forecast_windows, noisy_sines, recall_task
from nncourse.data.tabular import BUNDLED, Split, load_dataset
from nncourse.data.text import CharCorpus, char_windows, load_char_corpus, ngram_bits_per_char
from nncourse.data.toy import TOY_SETS, blobs, circles, make_toy, moons, spirals, xor

__all__ = [
    "BUNDLED", "ImageSplit", "SHAPE_CLASSES", "load_digit_images", "load_mnist1d", "make_shapes", "Split", "TOY_SETS", "blobs", "circles", "load_dataset", "make_loader", "make_toy",
    "moons", "spirals", "split_loaders", "xor",
    "CharCorpus", "adding_problem", "char_windows", "forecast_windows", "load_char_corpus", "ngram_bits_per_char",
    "noisy_sines", "recall_task",
]

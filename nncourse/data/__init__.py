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
    "BUNDLED",
    "SHAPE_CLASSES",
    "TOY_SETS",
    "CharCorpus",
    "ImageSplit",
    "Split",
    "adding_problem",
    "blobs",
    "char_windows",
    "circles",
    "forecast_windows",
    "load_char_corpus",
    "load_dataset",
    "load_digit_images",
    "load_mnist1d",
    "make_loader",
    "make_shapes",
    "make_toy",
    "moons",
    "ngram_bits_per_char",
    "noisy_sines",
    "recall_task",
    "spirals",
    "split_loaders",
    "xor",
]

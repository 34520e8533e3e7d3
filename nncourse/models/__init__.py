"""Torch models of the course, with their shape checks and parameter counts."""

from __future__ import annotations

from nncourse.models.cnn import ConvNet, RandomShift, feature_maps
from nncourse.models.mlp import (
    ACTIVATIONS,
    MLP,
    DigitsRecipe,
    DigitsResult,
    FeedForward,
    FeedForwardConfig,
    build_digits_model,
    count_parameters,
    digits_recipe,
    train_digits,
)
from nncourse.models.rnn import CharLM, SequenceClassifier, bits_per_char, sample, set_memory_bias, train_char_lm

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "CharLM",
    "ConvNet",
    "DigitsRecipe",
    "DigitsResult",
    "FeedForward",
    "FeedForwardConfig",
    "RandomShift",
    "SequenceClassifier",
    "bits_per_char",
    "build_digits_model",
    "count_parameters",
    "digits_recipe",
    "feature_maps",
    "sample",
    "set_memory_bias",
    "train_char_lm",
    "train_digits",
]

from nncourse.models.transformer import (
    Block,
    TransformerConfig,
    TransformerLM,
    TransformerLMResult,
    decay_groups,
    train_transformer_lm,
)
from nncourse.models.transformer import sample as sample_transformer

__all__ += [
    "Block",
    "TransformerConfig",
    "TransformerLM",
    "TransformerLMResult",
    "decay_groups",
    "sample_transformer",
    "train_transformer_lm",
]

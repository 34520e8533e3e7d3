"""Task definitions of the exercise notebooks: references and public/grading cases, one module each.

The registry is static (no discovery by import): importing this package imports no exercise, no
torch and no scikit-learn. Each module is named after its notebook's stem (``01_perceptron`` ->
``ex01_perceptron``) and defines ``EXERCISE_ID`` and ``EXERCISE``.
"""

from __future__ import annotations

EXERCISES: dict[str, str] = {
    "01_perceptron": "nncourse.exercises.ex01_perceptron",
    "02_activations_losses": "nncourse.exercises.ex02_activations_losses",
    "03_mlp_backprop": "nncourse.exercises.ex03_mlp_backprop",
    "04_autograd": "nncourse.exercises.ex04_autograd",
    "05_pytorch_mlp": "nncourse.exercises.ex05_pytorch_mlp",
    "06_optimization": "nncourse.exercises.ex06_optimization",
    "07_regularization": "nncourse.exercises.ex07_regularization",
    "08_depth_width": "nncourse.exercises.ex08_depth_width",
    "09_convolution": "nncourse.exercises.ex09_convolution",
    "10_cnns": "nncourse.exercises.ex10_cnns",
    "11_rnns": "nncourse.exercises.ex11_rnns",
    "12_lstm_gru": "nncourse.exercises.ex12_lstm_gru",
    "13_attention": "nncourse.exercises.ex13_attention",
    "14_transformer": "nncourse.exercises.ex14_transformer",
}
"""Exercise id (the notebook's file stem) -> the module that defines its ``EXERCISE``."""

__all__ = ["EXERCISES"]

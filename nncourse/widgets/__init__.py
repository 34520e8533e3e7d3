"""Interactive explorers for the notebooks (ipywidgets + matplotlib), one per topic.

    from nncourse.widgets import ActivationExplorer
    ActivationExplorer()          # last line of a cell: shows the controls and the plot

Each explorer keeps its logic in plain methods and attributes (``train_steps``, ``curves``,
``paths``, ``output``) so tests can drive it without a browser; ``.widget`` is the box it displays.
"""

from __future__ import annotations

from nncourse.widgets.activations import ActivationExplorer
from nncourse.widgets.attention import AttentionMapExplorer
from nncourse.widgets.convolution import ConvolutionExplorer
from nncourse.widgets.gradient_flow import GradientFlowExplorer
from nncourse.widgets.optimizers import OptimizerExplorer
from nncourse.widgets.playground import Playground

__all__ = [
    "ActivationExplorer",
    "AttentionMapExplorer",
    "ConvolutionExplorer",
    "GradientFlowExplorer",
    "OptimizerExplorer",
    "Playground",
]

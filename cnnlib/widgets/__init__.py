"""Explorers: ipywidgets controls wired (with ``observe``) to the renderers of
:mod:`cnnlib.viz`. They hold no math of their own. Importing this package imports ipywidgets
and matplotlib.

>>> from cnnlib.widgets import output_size_explorer
>>> explorer = output_size_explorer(height=7, kernel_size=3)   # display it in a notebook
>>> explorer.stride.value = 2                                  # the controls are attributes
"""

from .activations import activations_explorer
from .base import Explorer
from .batch_norm import batch_norm_explorer
from .layer_stack import layer_stack_explorer
from .output_size import output_size_explorer
from .pooling import pooling_explorer
from .progress import TrainingProgress
from .receptive_field import receptive_field_explorer
from .stepper import stepper_explorer
from .trained_net import trained_net_explorer

__all__ = [
    "Explorer", "output_size_explorer", "receptive_field_explorer", "stepper_explorer",
    "pooling_explorer", "activations_explorer", "batch_norm_explorer", "layer_stack_explorer",
    "trained_net_explorer",
    "TrainingProgress",
]

"""Pictures: a frozen-dataclass state in, a picture out (SVG/HTML, or a matplotlib figure).

No widgets here (see :mod:`cnnlib.widgets`); the same renderers make the static figures of
the notebooks. Importing this package imports matplotlib.
"""

from .activations import ActivationFigure, ActivationState
from .batch_norm import BatchNormFigure, BatchNormState
from .blocks import (
    FCAsConvState,
    InceptionState,
    PointwiseState,
    ResidualState,
    SeparableState,
    render_fc_as_conv,
    render_inception,
    render_pointwise,
    render_residual,
    render_separable,
)
from .layer_stack import LayerSpec, LayerStackState, render_layer_stack
from .output_size import OutputSizeState, render_output_size
from .pooling import PoolingState, render_pooling
from .receptive_field import ReceptiveFieldState, StackLayer, render_receptive_field
from .stepper import StepperState, multichannel_state, render_stepper

__all__ = [
    "ActivationFigure", "ActivationState", "BatchNormFigure", "BatchNormState", "LayerSpec",
    "LayerStackState", "render_layer_stack", "OutputSizeState", "render_output_size",
    "PoolingState", "render_pooling", "ReceptiveFieldState", "StackLayer",
    "render_receptive_field", "StepperState", "multichannel_state", "render_stepper",
    "FCAsConvState", "InceptionState", "PointwiseState", "ResidualState", "SeparableState",
    "render_fc_as_conv", "render_inception", "render_pointwise", "render_residual",
    "render_separable",
]

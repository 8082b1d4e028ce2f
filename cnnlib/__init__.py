"""cnnlib: the numpy package behind the cnn-basics course.

Arrays are NCHW (batch, channels, height, width) and convolution weights OIHW
(out_channels, in_channels / groups, kernel height, kernel width), as in PyTorch.
Names and defaults follow ``torch.nn.functional``.

``import cnnlib`` is light: it imports numpy only. The pictures (``cnnlib.viz``) and the
sliders (``cnnlib.widgets``) import matplotlib and ipywidgets when you import them.
"""

from . import shapes
from .gradcheck import gradcheck, gradient_errors, numerical_gradient

__version__ = "0.1.0"

__all__ = ["shapes", "gradcheck", "gradient_errors", "numerical_gradient"]

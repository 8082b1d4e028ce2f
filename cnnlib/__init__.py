"""cnnlib: the numpy package behind the cnn-basics course.

Arrays are NCHW (batch, channels, height, width) and convolution weights OIHW
(out_channels, in_channels / groups, kernel height, kernel width), as in PyTorch.
Names and defaults follow ``torch.nn.functional``; each function ``f`` has a backward
``f_backward(dout, <the arguments of f>)`` returning the gradients of its array inputs.

``import cnnlib`` is light: it imports numpy only. The pictures (``cnnlib.viz``) and the
sliders (``cnnlib.widgets``) import matplotlib and ipywidgets when you import them.

Modules: ``shapes`` (size arithmetic), ``conv``, ``pool``, ``norm``, ``activations``,
``linear``, ``loss`` (the functional core), ``gradcheck``, ``layers``, ``summary``, ``models``,
``data``, ``optim``, ``train``, ``checks``, ``i18n``.

``cnnlib.set_language("ko")`` makes checker feedback, explorers and figures Korean (한국어);
``cnnlib.set_language("en")`` (the default) English. See :mod:`cnnlib.i18n`.

``cnnlib.<name>`` is always the module, so the three functions named like their module live
only there: ``cnnlib.linear.linear(x, weight, bias)`` (or ``from cnnlib.linear import linear``),
``from cnnlib.gradcheck import gradcheck`` and ``from cnnlib.summary import summary``. The other
functions of the functional core are top-level names too (``cnnlib.conv2d``, ...).
"""

from . import gradcheck, i18n, layers, linear, models, shapes, summary
from .activations import relu, sigmoid, softmax, tanh
from .conv import col2im, conv1d, conv2d, conv2d_naive, conv3d, im2col, pad
from .gradcheck import gradient_errors, numerical_gradient
from .i18n import get_language, set_language
from .linear import flatten
from .loss import cross_entropy
from .norm import batch_norm, local_response_norm
from .pool import adaptive_avg_pool2d, avg_pool2d, global_avg_pool2d, max_pool2d

__version__ = "0.1.0"

__all__ = [
    "shapes", "layers", "models", "summary", "linear", "gradcheck",
    "pad", "conv1d", "conv2d", "conv3d", "conv2d_naive", "im2col", "col2im",
    "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "global_avg_pool2d",
    "batch_norm", "local_response_norm",
    "relu", "sigmoid", "tanh", "softmax", "flatten", "cross_entropy",
    "gradient_errors", "numerical_gradient", "i18n", "set_language", "get_language",
]

"""Layers that know their shapes: build a network, count it, then run it.

Each layer is a small object in the style of ``torch.nn`` (same names, argument order and
defaults) wrapped around the pure functions of the cnnlib core (``cnnlib.conv``,
``cnnlib.pool``, ...)::

    layer = Conv2d(3, 64, kernel_size=11, stride=4, padding=2)
    layer.output_shape((3, 224, 224))   # (64, 55, 55): shapes only, nothing allocated
    layer.num_parameters                # (11*11*3 + 1) * 64 = 23,296
    out = layer(x)                      # forward on an (N, 3, H, W) array; keeps its cache
    dx = layer.backward(dout)           # uses the cache; stores layer.grads["weight"], ...

One module per kind, each readable top to bottom: :mod:`.base` (``Module``, what layers share),
:mod:`.conv`, :mod:`.pooling`, :mod:`.normalization`, :mod:`.activations`, :mod:`.linear`
(``Flatten``, ``Dropout``, ``Linear``) and :mod:`.containers` (``Sequential``, ``Concat``,
``Residual``). A layer keeps what its backward needs between the two passes (CS231n's
cache): a convolution its columns, max pooling its winners, batch norm ``x_hat`` and ``1/std``.

Shapes passed to :meth:`Module.output_shape` and :meth:`Module.macs` leave the batch axis out:
``(C, H, W)`` for images, ``(features,)`` after a ``Flatten``. Arrays passed to ``forward``
have the batch axis first (NCHW).

Parameters are created lazily: a layer knows the *shapes* of its weights from its
arguments, and draws the arrays (seeded) only when they are first used. Counting the 138
million parameters of VGG-16 is therefore instant and allocates nothing.

Randomness is seeded. Pass ``rng`` (an int seed or a ``numpy.random.Generator``) to a layer;
without it the layer takes a seed from this module's default generator, which
:func:`manual_seed` resets (like ``torch.manual_seed``).

A layer given an input of the wrong shape raises :class:`ShapeError` (a ``SettingError``) that
names the layer, its place in the model, the shape it received and the shape it expected.
"""

from .activations import ReLU, Sigmoid, Tanh
from .base import Module, ShapeError, as_generator, manual_seed
from .containers import Concat, Container, Residual, Sequential, run_with_shapes
from .conv import Conv2d
from .linear import Dropout, Flatten, Linear
from .normalization import BatchNorm2d, LocalResponseNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "ShapeError", "manual_seed", "as_generator", "Module",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "LocalResponseNorm",
    "ReLU", "Sigmoid", "Tanh", "Dropout", "Flatten", "Linear",
    "Container", "Sequential", "Concat", "Residual", "run_with_shapes",
]

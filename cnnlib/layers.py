"""Layers that know their shapes: build a network, count it, then run it.

Each layer is a small object in the style of ``torch.nn`` (same names, argument order and
defaults) wrapped around the pure functions of the cnnlib core (``cnnlib.conv``,
``cnnlib.pool``, ...)::

    layer = Conv2d(3, 64, kernel_size=11, stride=4, padding=2)
    layer.output_shape((3, 224, 224))   # (64, 55, 55): shapes only, nothing allocated
    layer.num_parameters                # (11*11*3 + 1) * 64 = 23,296
    out = layer(x)                      # forward on an (N, 3, H, W) array, caches x
    dx = layer.backward(dout)           # uses the cache; stores layer.grads["weight"], ...

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

from __future__ import annotations

import math
import sys
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from ._validate import (
    SettingError,
    SettingTypeError,
    as_generator,
    as_tuple,
    check_array,
    check_bool,
    check_dout,
    check_float_dtype,
    check_int,
    check_number,
    check_size,
)
from .activations import relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward
from .conv import conv2d, conv2d_backward
from .linear import flatten, flatten_backward, linear, linear_backward
from .norm import batch_norm, batch_norm_backward, local_response_norm, local_response_norm_backward
from .pool import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from .shapes import (
    conv_macs,
    conv_output_shape,
    conv_params,
    effective_kernel_size,
    linear_macs,
    pool_output_shape,
    resolve_padding,
)

__all__ = [
    "ShapeError", "manual_seed", "as_generator", "Module",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "LocalResponseNorm",
    "ReLU", "Sigmoid", "Tanh", "Dropout", "Flatten", "Linear",
    "Container", "Sequential", "Concat", "Residual", "run_with_shapes",
]

_default_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the default generator that layers built without ``rng`` draw their seeds from."""
    global _default_rng
    _default_rng = np.random.default_rng(check_int(seed, "seed", 0))


def _child_seed(rng) -> int:
    """A seed for one layer, taken from ``rng`` (int seed, Generator) or the default generator."""
    return int((as_generator(rng) or _default_rng).integers(2**63))


def _shape_str(shape) -> str:
    return str(tuple(shape))


class ShapeError(SettingError):
    """An input shape a layer cannot take.

    The message reads ``layer 3 (Conv2d) of Sequential received an input of shape (1, 28, 28)
    (batch axis left out), expected (3, H, W): ...``. ``path`` lists the names from the
    outermost container down to the layer; containers fill it in as the error passes through
    them.
    """

    def __init__(self, layer, received, expected: str, detail: str = ""):
        self.layer_type = type(layer).__name__
        self.received = tuple(received)
        self.expected = expected
        self.detail = detail
        self.path: list[str] = []
        self.owner = ""
        super().__init__(self._render())

    def _render(self) -> str:
        where = (f"layer {'.'.join(self.path)} ({self.layer_type}) of {self.owner}"
                 if self.path else self.layer_type)
        message = (f"{where} received an input of shape {_shape_str(self.received)} "
                   f"(batch axis left out), expected {self.expected}")
        return message + (f": {self.detail}" if self.detail else ".")

    def add_parent(self, name: str, owner: str) -> None:
        """Prefix the path with this layer's name in the container ``owner``."""
        self.path.insert(0, name)
        self.owner = owner
        self.args = (self._render(),)


class _Param:
    """``layer.weight`` / ``layer.bias``: a parameter array by name (``None`` when absent)."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, layer, owner=None):
        if layer is None:
            return self
        return layer.parameters().get(self.name)

    def __set__(self, layer, value):
        layer.set_parameter(self.name, value)


class Module:
    """Base class of every layer.

    Subclasses set ``self._param_shapes`` (name -> shape) in ``__init__`` and implement
    ``_initial_parameters(rng)``, ``output_shape``, ``forward`` and ``backward``. Parameters
    (learned by gradient descent) are counted in :attr:`num_parameters`; buffers (state such
    as batch norm's running mean and variance) are not: they are listed by :meth:`buffers`.
    This matches PyTorch and torchinfo (Keras instead calls the running statistics
    "non-trainable parameters").

    Attributes
    ----------
    training : bool
        Training mode (dropout active, batch norm uses batch statistics); see :meth:`eval`.
    trainable : bool
        Whether the parameters are meant to be trained (counted as trainable in a summary).
    """

    #: Axes of the input batch this layer takes (``None``: any), and their names.
    input_ndim: int | None = None
    input_layout = "(N, *sample_shape)"

    def __init__(self, dtype=np.float32):
        self.training = True
        self.trainable = True
        self.dtype = check_float_dtype(dtype)
        self._grads: dict[str, np.ndarray] = {}
        self._param_shapes: dict[str, tuple[int, ...]] = {}
        self._params: dict[str, np.ndarray] | None = None
        self._buffers: dict[str, np.ndarray] = {}
        self._seed = 0  # layers with random initial values draw their own (see _child_seed)
        self._cache = None

    # --- parameters -----------------------------------------------------------------------
    def _initial_parameters(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draw the initial parameter arrays (only layers with parameters override this)."""
        return {}

    def parameters(self) -> dict[str, np.ndarray]:
        """Parameter arrays by name (``"weight"``, ``"bias"``, ``"0.weight"`` in containers).

        The arrays are the layer's own (not copies): changing one changes the layer. They are
        drawn, seeded, the first time this is called.
        """
        if self._params is None:
            drawn = self._initial_parameters(np.random.default_rng(self._seed))
            self._params = {name: drawn[name].astype(self.dtype, copy=False)
                            for name in self._param_shapes}
        return self._params

    def set_parameter(self, name: str, value: np.ndarray) -> None:
        """Replace a parameter by an array of the same shape (e.g. pretrained weights)."""
        params = self.parameters()
        if name not in params:
            raise SettingError(f"{type(self).__name__} has no parameter {name!r}; "
                           f"it has {sorted(params)}.")
        value = check_array(value, name, len(self._param_shapes[name]))
        if value.shape != self._param_shapes[name]:
            raise SettingError(f"{name} must have shape {self._param_shapes[name]}, "
                             f"got {value.shape}.")
        params[name] = value.astype(self.dtype, copy=False)

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-learned state by name (batch norm's running statistics)."""
        return self._buffers

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Gradients of the parameters from the last :meth:`backward`, named as parameters."""
        return self._grads

    @property
    def num_parameters(self) -> int:
        """Number of parameter values (weights + biases); buffers are not counted."""
        return sum(math.prod(shape) for shape in self._param_shapes.values())

    def requires_grad_(self, trainable: bool = True):
        """Mark the parameters trainable or frozen (as ``torch.nn.Module.requires_grad_``)."""
        self.trainable = check_bool(trainable, "trainable")
        return self

    def to(self, dtype):
        """Cast parameters and buffers to ``dtype`` (e.g. ``np.float64`` for a gradient check)."""
        self.dtype = check_float_dtype(dtype)
        self._params = {name: p.astype(dtype) for name, p in self.parameters().items()}
        self._buffers = {name: b.astype(dtype) for name, b in self._buffers.items()}
        return self

    def train(self, mode: bool = True):
        """Switch to training mode (or evaluation with ``mode=False``); returns the layer."""
        self.training = check_bool(mode, "mode")
        return self

    def eval(self):
        """Switch to evaluation mode: dropout off, batch norm uses its running statistics."""
        return self.train(False)

    # --- shapes and cost (no arrays) ------------------------------------------------------
    def output_shape(self, input_shape) -> tuple[int, ...]:
        """Output shape for an input of shape ``input_shape`` (batch axis left out).

        Raises :class:`ShapeError` when the layer cannot take such an input.
        """
        return tuple(input_shape)

    def macs(self, input_shape) -> int:
        """Multiply-adds of one forward pass for one sample of shape ``input_shape``.

        Only convolutions and fully connected layers count (weights only, bias additions not
        counted, as :func:`cnnlib.shapes.conv_macs`); pooling, normalisation and activations
        are cheap in comparison and count 0.
        """
        self.output_shape(input_shape)
        return 0

    # --- running ----------------------------------------------------------------------------
    def _check_input(self, x: np.ndarray) -> np.ndarray:
        """Check that ``x`` is a float array with a batch axis and a shape this layer takes."""
        x = check_array(x, "x", tuple(range(1, 9)), self.input_layout)
        if self.input_ndim and x.ndim == self.input_ndim - 1:  # most likely no batch axis
            check_array(x, "x", self.input_ndim, self.input_layout)  # says: use x[None]
        if self._param_shapes and x.dtype != self.dtype:
            raise SettingTypeError(
                f"{type(self).__name__} has {self.dtype} parameters but x is {x.dtype}. Cast "
                f"the input, x.astype(np.{self.dtype}), or the model, model.to(np.{x.dtype})."
            )
        self.output_shape(x.shape[1:])
        return x

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Output for a batch ``x`` of shape ``(N, *input_shape)``; caches what backward needs."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradient with respect to the last forward's input; stores parameter gradients."""
        raise NotImplementedError

    def __call__(self, x: np.ndarray, **kwargs) -> np.ndarray:
        return self.forward(x, **kwargs)

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward needs a forward call first.")
        return self._cache

    # --- display ------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown between the parentheses of ``repr``."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class _ImageLayer(Module):
    """A layer on image batches ``(N, C, H, W)``."""

    input_ndim = 4
    input_layout = "(N, C, H, W)"


def _fan_in_uniform(rng: np.random.Generator, param_shapes) -> dict[str, np.ndarray]:
    """PyTorch's default initial weight and bias of ``Conv2d`` and ``Linear``.

    Every parameter is drawn from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, where
    ``fan_in = prod(weight.shape[1:])`` is the number of inputs one output sees
    (Kaiming-uniform with ``a = sqrt(5)``). Drawn directly in float32 (fast, little memory).
    """
    bound = 1 / math.sqrt(math.prod(param_shapes["weight"][1:]))
    drawn = {}
    for name, shape in param_shapes.items():
        sample = rng.random(shape, dtype=np.float32)
        sample *= 2 * bound
        sample -= bound
        drawn[name] = sample
    return drawn


def _pairs_repr(**pairs) -> str:
    return ", ".join(f"{key}={value}" for key, value in pairs.items())


def _check_image(layer, input_shape, channels: int | None = None):
    """``input_shape`` must be ``(C, H, W)`` (with ``C == channels`` when given)."""
    shape = tuple(input_shape)
    expected = f"({'C' if channels is None else channels}, H, W)"
    if len(shape) != 3:
        raise ShapeError(layer, shape, expected,
                         f"{type(layer).__name__} works on images (channels, height, width).")
    if channels is not None and shape[0] != channels:
        raise ShapeError(
            layer, shape, expected,
            f"the layer was built for {channels} input channels but the input has {shape[0]}. "
            f"Change the layer's channel count or the layer before it.")
    return shape


def _minimum_input(layer) -> tuple[int, ...]:
    """Smallest input height and width of a sliding-window layer: the dilated kernel minus the
    padding (at least 1). ``layer`` has ``kernel_size``, ``stride``, ``padding``, ``dilation``."""
    pads = (layer.padding,) * 2 if isinstance(layer.padding, str) else layer.padding
    return tuple(max(1, effective_kernel_size(k, d) - sum(resolve_padding(p, k, s, d)))
                 for k, s, d, p in zip(layer.kernel_size, layer.stride, layer.dilation, pads))


def _spatial(layer, shape, compute) -> tuple[int, int]:
    """Run a ``cnnlib.shapes`` size function on ``(H, W)`` of ``shape = (C, H, W)``, turning
    'kernel too large' into a ShapeError that gives the smallest input the layer takes."""
    try:
        return compute(shape[1:])
    except SettingError as error:
        minimum = _minimum_input(layer)
        expected = f"(C, H, W) with H >= {minimum[0]} and W >= {minimum[1]}"
        raise ShapeError(layer, shape, expected, str(error)) from None


class Conv2d(_ImageLayer):
    """2-D convolution layer, as ``torch.nn.Conv2d``.

    ``weight`` has shape ``(out_channels, in_channels / groups, kH, kW)`` and ``bias``
    ``(out_channels,)``: ``((kH * kW * in_channels / groups) + 1) * out_channels`` parameters.
    Both are drawn from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
    ``fan_in = in_channels / groups * kH * kW`` (PyTorch's default, Kaiming-uniform with
    ``a = sqrt(5)``).

    Output shape ``(out_channels, H_out, W_out)`` with
    ``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1``; see :func:`cnnlib.conv.conv2d`.
    """

    weight = _Param()
    bias = _Param()

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, *, rng=None,
                 dtype=np.float32):
        super().__init__(dtype)
        self._seed = _child_seed(rng)
        self.in_channels = check_int(in_channels, "in_channels", 1)
        self.out_channels = check_int(out_channels, "out_channels", 1)
        self.kernel_size = as_tuple(kernel_size, 2, "kernel_size", 1)
        self.stride = as_tuple(stride, 2, "stride", 1)
        self.dilation = as_tuple(dilation, 2, "dilation", 1)
        self.padding = padding if isinstance(padding, str) else as_tuple(padding, 2, "padding", 0)
        if isinstance(self.padding, str):  # checks "same"/"valid" (and stride 1 for "same")
            for k, s, d in zip(self.kernel_size, self.stride, self.dilation):
                resolve_padding(self.padding, k, s, d)
        self.groups = check_int(groups, "groups", 1)
        conv_params(self.in_channels, self.out_channels, self.kernel_size, self.groups)  # groups
        self._param_shapes = {"weight": (self.out_channels, self.in_channels // self.groups,
                                         *self.kernel_size)}
        check_size(self._param_shapes["weight"], self.dtype,
                   "in_channels * out_channels * kernel_size")
        if check_bool(bias, "bias"):
            self._param_shapes["bias"] = (self.out_channels,)

    def _initial_parameters(self, rng):
        return _fan_in_uniform(rng, self._param_shapes)

    def output_shape(self, input_shape):
        shape = _check_image(self, input_shape, self.in_channels)
        hw = _spatial(self, shape, lambda hw: conv_output_shape(
            hw, self.kernel_size, self.stride, self.padding, self.dilation))
        return (self.out_channels, *hw)

    def macs(self, input_shape):
        hw = self.output_shape(input_shape)[1:]
        return conv_macs(self.in_channels, self.out_channels, self.kernel_size, hw, self.groups)

    def _args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)

    def forward(self, x):
        x = self._check_input(x)
        self._cache = x
        return conv2d(x, self.weight, self.bias, **self._args())

    def backward(self, dout):
        x = self._cached()
        dx, dweight, dbias = conv2d_backward(dout, x, self.weight, self.bias, **self._args())
        self._grads = {"weight": dweight} | ({} if dbias is None else {"bias": dbias})
        return dx

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        defaults = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1}
        for name, default in defaults.items():
            value = getattr(self, name)
            if value != default:
                text += f", {name}={value}"
        return text + ("" if "bias" in self._param_shapes else ", bias=False")


class _Pool2d(_ImageLayer):
    """Shared shape logic and running of max and average pooling (no parameters).

    Subclasses set ``function`` / ``function_backward`` (from :mod:`cnnlib.pool`) and
    ``_args()``, the keyword arguments both take.
    """

    def __init__(self, kernel_size, stride, padding, dilation, ceil_mode):
        super().__init__()
        self.kernel_size = as_tuple(kernel_size, 2, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_tuple(stride, 2, "stride", 1)
        self.padding = as_tuple(padding, 2, "padding", 0)
        self.dilation = as_tuple(dilation, 2, "dilation", 1)
        self.ceil_mode = check_bool(ceil_mode, "ceil_mode")
        # A window-sized input always fits: this checks now that padding <= half the window.
        self._window_output(tuple(effective_kernel_size(k, d)
                                  for k, d in zip(self.kernel_size, self.dilation)))

    def _window_output(self, hw):
        return pool_output_shape(hw, self.kernel_size, self.stride, self.padding,
                                 self.dilation, self.ceil_mode)

    def output_shape(self, input_shape):
        shape = _check_image(self, input_shape)
        return (shape[0], *_spatial(self, shape, self._window_output))

    def forward(self, x):
        self._cache = self._check_input(x)
        return self.function(x, **self._args())

    def backward(self, dout):
        return self.function_backward(dout, self._cached(), **self._args())

    def _show(self, value):
        """Show a pair as torch does for pooling: an int when both axes agree."""
        return value[0] if value[0] == value[1] else value


class MaxPool2d(_Pool2d):
    """Max pooling, as ``torch.nn.MaxPool2d``: the largest value of each window, per channel.

    ``stride`` defaults to ``kernel_size``. No parameters. See :func:`cnnlib.pool.max_pool2d`.
    """

    function = staticmethod(max_pool2d)
    function_backward = staticmethod(max_pool2d_backward)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)

    def _args(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    dilation=self.dilation, ceil_mode=self.ceil_mode)

    def extra_repr(self):
        return _pairs_repr(kernel_size=self._show(self.kernel_size),
                           stride=self._show(self.stride), padding=self._show(self.padding),
                           dilation=self._show(self.dilation), ceil_mode=self.ceil_mode)


class AvgPool2d(_Pool2d):
    """Average pooling, as ``torch.nn.AvgPool2d``; see :func:`cnnlib.pool.avg_pool2d`.

    ``count_include_pad=True`` (the default) divides by the full window size, padded zeros
    included. No parameters.
    """

    function = staticmethod(avg_pool2d)
    function_backward = staticmethod(avg_pool2d_backward)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = check_bool(count_include_pad, "count_include_pad")

    def _args(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad)

    def extra_repr(self):
        return _pairs_repr(kernel_size=self._show(self.kernel_size),
                           stride=self._show(self.stride), padding=self._show(self.padding))


class AdaptiveAvgPool2d(_ImageLayer):
    """Average pooling to a fixed output size, as ``torch.nn.AdaptiveAvgPool2d``.

    Whatever the input's height and width, the output is ``(C, *output_size)``: output cell
    ``i`` averages input rows ``floor(i H / H_out)`` to ``ceil((i + 1) H / H_out) - 1``.
    torchvision's AlexNet uses ``AdaptiveAvgPool2d(6)`` so that it takes any image size; at
    224x224 the input is already 6x6 and the layer changes nothing.
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = as_tuple(output_size, 2, "output_size", 1)

    def output_shape(self, input_shape):
        shape = _check_image(self, input_shape)
        return (shape[0], *self.output_size)

    def forward(self, x):
        self._cache = self._check_input(x)
        return adaptive_avg_pool2d(x, self.output_size)

    def backward(self, dout):
        return adaptive_avg_pool2d_backward(dout, self._cached(), self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class BatchNorm2d(_ImageLayer):
    """Batch normalisation over the channels of images, as ``torch.nn.BatchNorm2d``.

    Parameters ``weight`` (gamma, starts at 1) and ``bias`` (beta, starts at 0), ``2 *
    num_features`` values when ``affine``. Buffers ``running_mean`` (starts at 0) and
    ``running_var`` (starts at 1), updated in training mode with ``momentum``; they are
    buffers, not parameters, so they are not in :attr:`num_parameters` (as in PyTorch and
    torchinfo). See :func:`cnnlib.norm.batch_norm`.
    """

    weight = _Param()
    bias = _Param()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, dtype=np.float32):
        super().__init__(dtype=dtype)
        self.num_features = check_int(num_features, "num_features", 1)
        self.eps = check_number(eps, "eps", 0.0, low_inclusive=False)
        self.momentum = check_number(momentum, "momentum", 0.0, 1.0)
        self.affine = check_bool(affine, "affine")
        self.track_running_stats = check_bool(track_running_stats, "track_running_stats")
        if self.affine:
            self._param_shapes = {"weight": (num_features,), "bias": (num_features,)}
        if self.track_running_stats:
            self._buffers = {"running_mean": np.zeros(num_features, self.dtype),
                             "running_var": np.ones(num_features, self.dtype)}

    def _initial_parameters(self, rng):
        return {"weight": np.ones(self.num_features), "bias": np.zeros(self.num_features)}

    def output_shape(self, input_shape):
        return _check_image(self, input_shape, self.num_features)

    def _args(self):
        use_batch_stats = self.training or not self.track_running_stats
        return dict(running_mean=self._buffers.get("running_mean"),
                    running_var=self._buffers.get("running_var"),
                    weight=self.weight, bias=self.bias, training=use_batch_stats,
                    momentum=self.momentum, eps=self.eps)

    def forward(self, x):
        self._cache = self._check_input(x)
        return batch_norm(x, **self._args())

    def backward(self, dout):
        args = self._args()
        dx, dweight, dbias = batch_norm_backward(dout, self._cached(), **args)
        self._grads = {} if dweight is None else {"weight": dweight, "bias": dbias}
        return dx

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class LocalResponseNorm(_ImageLayer):
    """Local response normalisation across channels, as ``torch.nn.LocalResponseNorm``.

    ``b_c = a_c / (k + alpha / size * sum of a^2 over size neighbouring channels) ** beta``.
    No parameters. PyTorch (and Caffe) divide ``alpha`` by ``size``; the AlexNet paper does
    not, so the paper's ``alpha = 1e-4`` is ``alpha = size * 1e-4`` here.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = check_int(size, "size", 1)
        self.alpha = check_number(alpha, "alpha", 0.0)
        self.beta = check_number(beta, "beta", 0.0)
        self.k = check_number(k, "k", 0.0, low_inclusive=False)

    def output_shape(self, input_shape):
        return _check_image(self, input_shape)

    def _args(self):
        return dict(size=self.size, alpha=self.alpha, beta=self.beta, k=self.k)

    def forward(self, x):
        self._cache = self._check_input(x)
        return local_response_norm(x, **self._args())

    def backward(self, dout):
        return local_response_norm_backward(dout, self._cached(), **self._args())

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class _Elementwise(Module):
    """An activation applied to every value: any shape in, the same shape out."""

    function = staticmethod(relu)
    function_backward = staticmethod(relu_backward)

    def forward(self, x):
        self._cache = self._check_input(x)
        return self.function(x)

    def backward(self, dout):
        return self.function_backward(dout, self._cached())


class ReLU(_Elementwise):
    """``max(0, x)``, as ``torch.nn.ReLU``."""


class Sigmoid(_Elementwise):
    """``1 / (1 + exp(-x))``, as ``torch.nn.Sigmoid``."""

    function = staticmethod(sigmoid)
    function_backward = staticmethod(sigmoid_backward)


class Tanh(_Elementwise):
    """``tanh(x)``, as ``torch.nn.Tanh``."""

    function = staticmethod(tanh)
    function_backward = staticmethod(tanh_backward)


class Dropout(Module):
    """Inverted dropout, as ``torch.nn.Dropout``.

    In training mode each value is zeroed with probability ``p`` and the survivors are scaled
    by ``1 / (1 - p)``, so that the expected output equals the input; in evaluation mode the
    layer is the identity. The random mask is seeded (``rng``, see the module docstring).
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        self._seed = _child_seed(rng)
        self.p = check_number(p, "p (the drop probability)", 0.0, 1.0)
        self.rng = np.random.default_rng(self._seed)

    def forward(self, x):
        x = self._check_input(x)
        if not self.training or self.p == 0:
            mask = np.ones((), x.dtype)
        elif self.p == 1:
            mask = np.zeros(x.shape, x.dtype)
        else:
            keep = self.rng.random(x.shape) >= self.p
            mask = keep.astype(x.dtype) / x.dtype.type(1 - self.p)
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, dout):
        shape, mask = self._cached()
        return check_dout(dout, shape, mask.dtype) * mask

    def extra_repr(self):
        return f"p={self.p}"


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one, as ``torch.nn.Flatten`` (batch axis kept).

    ``(N, 256, 6, 6) -> (N, 9216)``. Dimensions count the batch axis as 0, as in PyTorch.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = check_int(start_dim, "start_dim", 1)
        self.end_dim = check_int(end_dim, "end_dim", -sys.maxsize)  # negative: from the end

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        ndim = len(shape) + 1
        end = self.end_dim + ndim if self.end_dim < 0 else self.end_dim
        if not self.start_dim <= end < ndim:
            raise ShapeError(self, shape, f"at least {self.start_dim + 1} axes after the batch",
                             f"start_dim={self.start_dim}, end_dim={self.end_dim} do not fit "
                             f"{ndim} axes (batch included).")
        first, last = self.start_dim - 1, end - 1
        return shape[:first] + (math.prod(shape[first:last + 1]),) + shape[last + 1:]

    def forward(self, x):
        self._cache = self._check_input(x)
        return flatten(x, self.start_dim, self.end_dim)

    def backward(self, dout):
        return flatten_backward(dout, self._cached(), self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Linear(Module):
    """Fully connected layer, as ``torch.nn.Linear``: ``y = x @ weight.T + bias``.

    ``x`` of shape ``(N, in_features)`` gives ``y`` of shape ``(N, out_features)`` (put a
    :class:`Flatten` before it for images). ``weight`` has shape
    ``(out_features, in_features)``: ``(in_features + 1) * out_features`` parameters, drawn like
    :class:`Conv2d`'s with ``fan_in = in_features``.
    """

    input_ndim = 2
    input_layout = "(N, in_features)"
    weight = _Param()
    bias = _Param()

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rng=None,
                 dtype=np.float32):
        super().__init__(dtype)
        self._seed = _child_seed(rng)
        self.in_features = check_int(in_features, "in_features", 1)
        self.out_features = check_int(out_features, "out_features", 1)
        self._param_shapes = {"weight": (self.out_features, self.in_features)}
        check_size(self._param_shapes["weight"], self.dtype, "in_features * out_features",
                   "Use fewer features (flatten a smaller feature map, or pool it first).")
        if check_bool(bias, "bias"):
            self._param_shapes["bias"] = (self.out_features,)

    def _initial_parameters(self, rng):
        return _fan_in_uniform(rng, self._param_shapes)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 1 or shape[0] != self.in_features:
            fix = ("add a Flatten before this Linear" if len(shape) > 1 else
                   f"set in_features={math.prod(shape)} or change the layers before")
            raise ShapeError(self, shape, f"({self.in_features},)",
                             f"in_features={self.in_features} but each sample has "
                             f"{math.prod(shape):,} values: {fix}.")
        return (self.out_features,)

    def macs(self, input_shape):
        self.output_shape(input_shape)
        return linear_macs(self.in_features, self.out_features)

    def forward(self, x):
        self._cache = self._check_input(x)
        return linear(x, self.weight, self.bias)

    def backward(self, dout):
        dx, dweight, dbias = linear_backward(dout, self._cached(), self.weight, self.bias)
        self._grads = {"weight": dweight} | ({} if dbias is None else {"bias": dbias})
        return dx

    def extra_repr(self):
        return _pairs_repr(in_features=self.in_features, out_features=self.out_features,
                           bias="bias" in self._param_shapes)


# --- containers -----------------------------------------------------------------------------

class Container(Module):
    """A layer made of named child layers; parameters, gradients and modes pass through.

    Parameter names are dotted paths: ``"0.weight"``, ``"features.3.bias"``.
    """

    def __init__(self, layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            layers = layers[0]
        else:
            layers = OrderedDict((str(i), layer) for i, layer in enumerate(layers))
        for name, layer in layers.items():
            if not isinstance(layer, Module):
                raise SettingTypeError(f"{type(self).__name__} takes cnnlib layers; {name!r} is a "
                                f"{type(layer).__name__}.")
        self._children = layers

    def named_children(self):
        """``(name, layer)`` pairs of the direct children."""
        return list(self._children.items())

    def __getitem__(self, key):
        if isinstance(key, str):
            return self._children[key]
        return list(self._children.values())[key]

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children.values())

    def _gather(self, what: str) -> dict[str, np.ndarray]:
        return {f"{name}.{key}": value for name, child in self._children.items()
                for key, value in getattr(child, what)().items()}

    def parameters(self):
        return self._gather("parameters")

    def buffers(self):
        return self._gather("buffers")

    @property
    def grads(self):
        return {f"{name}.{key}": value for name, child in self._children.items()
                for key, value in child.grads.items()}

    def set_parameter(self, name, value):
        child, _, rest = name.partition(".")
        self._children[child].set_parameter(rest, value)

    @property
    def num_parameters(self):
        return sum(child.num_parameters for child in self)

    def _recurse(self, method: str, *args):
        for child in self:
            getattr(child, method)(*args)
        return self

    def requires_grad_(self, trainable=True):
        super().requires_grad_(trainable)
        return self._recurse("requires_grad_", trainable)

    def to(self, dtype):
        self.dtype = check_float_dtype(dtype)
        return self._recurse("to", dtype)

    def train(self, mode=True):
        self.training = check_bool(mode, "mode")
        return self._recurse("train", mode)

    @contextmanager
    def _blame(self, name: str):
        """Add ``name`` to the path of a ShapeError raised inside child ``name``."""
        try:
            yield
        except ShapeError as error:
            error.add_parent(name, type(self).__name__)
            raise

    def children_with_inputs(self, input_shape):
        """Yield ``(name, child, child_input_shape)`` for every child, in order."""
        for name, child in self._children.items():
            yield name, child, tuple(input_shape)

    def macs(self, input_shape):
        self.output_shape(input_shape)
        return sum(child.macs(shape) for _, child, shape in self.children_with_inputs(input_shape))

    def _run(self, name, child, x, trace, prefix):
        """``child(x)``, blaming errors on ``name`` and reporting leaves' outputs to ``trace``."""
        path = f"{prefix}{name}"
        with self._blame(name):
            if isinstance(child, Container):
                return child.forward(x, trace=trace, prefix=f"{path}.")
            out = child(x)
        if trace is not None:
            trace(path, child, out)
        return out

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._children.items()]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Container):
    """Layers applied one after the other, as ``torch.nn.Sequential``.

    ``Sequential(Conv2d(3, 6, 5), ReLU())`` names the layers ``"0"``, ``"1"``;
    ``Sequential(OrderedDict(conv=..., relu=...))`` names them by the keys.
    """

    def __init__(self, *layers):
        super().__init__(layers)

    def children_with_inputs(self, input_shape):
        shape = tuple(input_shape)
        for name, child in self._children.items():
            yield name, child, shape
            with self._blame(name):
                shape = child.output_shape(shape)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        for name, child in self._children.items():
            with self._blame(name):
                shape = child.output_shape(shape)
        return shape

    def forward(self, x, trace=None, prefix=""):
        """Run every layer in turn.

        ``trace(name, layer, out)``, when given, is called after every leaf layer (nested
        containers included, with dotted names such as ``"features.0"``).
        """
        for name, child in self._children.items():
            x = self._run(name, child, x, trace, prefix)
        return x

    def backward(self, dout):
        for child in reversed(self._children.values()):
            dout = child.backward(dout)
        return dout


class Concat(Container):
    """Parallel branches on the same input, outputs concatenated on channels.

    The inception module of GoogLeNet is a ``Concat`` of four branches. Every branch must
    keep the same height and width; the output has the sum of their channels.
    ``dx`` is the sum of the branches' input gradients.
    """

    def __init__(self, *branches):
        super().__init__(branches)

    def output_shape(self, input_shape):
        outputs = []
        for name, child in self._children.items():
            with self._blame(name):
                outputs.append(child.output_shape(input_shape))
        rest = {out[1:] for out in outputs}
        if len(rest) != 1 or len(outputs[0]) < 2:
            shown = ", ".join(_shape_str(out) for out in outputs)
            raise ShapeError(self, input_shape,
                             "an input that every branch maps to the same height and width",
                             f"the branches give {shown}; they must have the same height and "
                             f"width to be concatenated on channels.")
        return (sum(out[0] for out in outputs), *outputs[0][1:])

    def forward(self, x, trace=None, prefix=""):
        x = self._check_input(x)
        outs = [self._run(name, child, x, trace, prefix)
                for name, child in self._children.items()]
        self._cache = [out.shape[1] for out in outs]
        return np.concatenate(outs, axis=1)

    def backward(self, dout):
        splits = np.cumsum(self._cached())[:-1]
        return sum(child.backward(part)
                   for child, part in zip(self, np.split(dout, splits, axis=1)))


class Residual(Container):
    """A skip connection: ``out = body(x) + shortcut(x)`` (ResNet).

    ``shortcut`` is the identity when ``None``; ResNet uses a 1x1 convolution with batch norm
    when the body changes the shape. A ResNet basic block is ``Residual(...)`` followed by
    ``ReLU()``. ``dx = body.backward(dout) + shortcut.backward(dout)``.
    """

    def __init__(self, body: Module, shortcut: Module | None = None):
        layers = OrderedDict(body=body)
        if shortcut is not None:
            layers["shortcut"] = shortcut
        super().__init__((layers,))

    def _shortcut_shape(self, input_shape):
        if "shortcut" not in self._children:
            return tuple(input_shape)
        with self._blame("shortcut"):
            return self._children["shortcut"].output_shape(input_shape)

    def output_shape(self, input_shape):
        with self._blame("body"):
            body = self._children["body"].output_shape(input_shape)
        shortcut = self._shortcut_shape(input_shape)
        if body != shortcut:
            fix = ("give it a shortcut (e.g. a 1x1 Conv2d with the body's stride) that "
                   "produces the same shape" if "shortcut" not in self._children
                   else "make the shortcut produce the body's shape")
            raise ShapeError(self, input_shape, "body and shortcut outputs of the same shape",
                             f"the body gives {_shape_str(body)} but the shortcut gives "
                             f"{_shape_str(shortcut)}, and they are added: {fix}.")
        return body

    def forward(self, x, trace=None, prefix=""):
        x = self._check_input(x)
        out = self._run("body", self._children["body"], x, trace, prefix)
        if "shortcut" in self._children:
            return out + self._run("shortcut", self._children["shortcut"], x, trace, prefix)
        return out + x

    def backward(self, dout):
        dx = self._children["body"].backward(dout)
        if "shortcut" in self._children:
            return dx + self._children["shortcut"].backward(dout)
        return dx + dout


def run_with_shapes(model: Module, x: np.ndarray):
    """Run ``model`` on ``x`` and record every leaf layer's output shape.

    Returns
    -------
    out : ndarray
    shapes : list of (name, type name, shape)
        One entry per leaf layer, in the order they ran, e.g.
        ``("features.0", "Conv2d", (1, 64, 55, 55))``.
    """
    shapes = []

    def record(name, layer, out):
        shapes.append((name, type(layer).__name__, out.shape))

    if isinstance(model, Container):
        out = model.forward(x, trace=record)
    else:
        out = model(x)
        record(type(model).__name__, model, out)
    return out, shapes

"""The base class of every layer, :class:`Module`, and what the layer modules share.

A layer knows the shapes of its parameters from its arguments and draws the arrays (seeded)
only when they are first used, so counting the 138 million parameters of VGG-16 is instant.
Randomness is seeded: pass ``rng`` (an int seed or a ``numpy.random.Generator``) to a layer;
without it the layer takes a seed from this module's default generator, which
:func:`manual_seed` resets (like ``torch.manual_seed``).
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import (
    SettingError,
    SettingTypeError,
    as_generator,
    check_array,
    check_bool,
    check_float_dtype,
    check_int,
)
from ..shapes import effective_kernel_size, resolve_padding

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
        raise ShapeError(layer, shape, expected, error.args[0]) from None   # English

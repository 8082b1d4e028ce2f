"""Layers made of layers: :class:`Sequential`, :class:`Concat` (inception), :class:`Residual`."""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from .._validate import SettingTypeError, check_bool, check_float_dtype
from .base import Module, ShapeError, _shape_str


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

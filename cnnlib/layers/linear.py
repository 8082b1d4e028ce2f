"""The classifier head: :class:`Flatten`, :class:`Dropout` and :class:`Linear`."""

from __future__ import annotations

import math
import sys

import numpy as np

from .._validate import check_bool, check_dout, check_int, check_number, check_size
from ..linear import flatten, flatten_backward, linear, linear_backward
from ..shapes import linear_macs
from .base import Module, ShapeError, _child_seed, _fan_in_uniform, _pairs_repr, _Param


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

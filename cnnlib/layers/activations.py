"""Activation layers: :class:`ReLU`, :class:`Sigmoid`, :class:`Tanh` (any shape in and out)."""

from __future__ import annotations

from ..activations import relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward
from .base import Module


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

"""The convolution layer, :class:`Conv2d`, around :func:`cnnlib.conv.conv2d_forward`."""

from __future__ import annotations

import numpy as np

from .._validate import as_tuple, check_bool, check_int, check_size
from ..conv import conv2d_backward, conv2d_forward
from ..shapes import conv_macs, conv_output_shape, conv_params, resolve_padding
from .base import _check_image, _child_seed, _fan_in_uniform, _ImageLayer, _Param, _spatial


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
        out, self._cache = conv2d_forward(self._check_input(x), self.weight, self.bias,
                                          **self._args())
        return out

    def backward(self, dout):
        dx, dweight, dbias = conv2d_backward(dout, self._cached())   # the forward's columns
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

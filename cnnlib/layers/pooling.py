"""Pooling layers: :class:`MaxPool2d`, :class:`AvgPool2d`, :class:`AdaptiveAvgPool2d`."""

from __future__ import annotations

from .._validate import as_tuple, check_bool
from ..pool import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from ..shapes import effective_kernel_size, pool_output_shape
from .base import _check_image, _ImageLayer, _pairs_repr, _spatial


class _Pool2d(_ImageLayer):
    """The window settings and output shape shared by max and average pooling (no parameters)."""

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

    def _show(self, value):
        """Show a pair as torch does for pooling: an int when both axes agree."""
        return value[0] if value[0] == value[1] else value


class MaxPool2d(_Pool2d):
    """Max pooling, as ``torch.nn.MaxPool2d``: the largest value of each window, per channel.

    ``stride`` defaults to ``kernel_size``. No parameters. See :func:`cnnlib.pool.max_pool2d`.
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)

    def forward(self, x):
        out, self._cache = max_pool2d_forward(
            self._check_input(x), self.kernel_size, self.stride, self.padding, self.dilation,
            self.ceil_mode)
        return out

    def backward(self, dout):
        return max_pool2d_backward(dout, self._cached())    # the cache holds the winners

    def extra_repr(self):
        return _pairs_repr(kernel_size=self._show(self.kernel_size),
                           stride=self._show(self.stride), padding=self._show(self.padding),
                           dilation=self._show(self.dilation), ceil_mode=self.ceil_mode)


class AvgPool2d(_Pool2d):
    """Average pooling, as ``torch.nn.AvgPool2d``; see :func:`cnnlib.pool.avg_pool2d`.

    ``count_include_pad=True`` (the default) divides by the full window size, padded zeros
    included. No parameters.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = check_bool(count_include_pad, "count_include_pad")

    def _args(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad)

    def forward(self, x):
        self._cache = self._check_input(x)
        return avg_pool2d(x, **self._args())

    def backward(self, dout):
        return avg_pool2d_backward(dout, self._cached(), **self._args())

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

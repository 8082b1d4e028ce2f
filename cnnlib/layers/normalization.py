"""Normalisation layers: :class:`BatchNorm2d` and AlexNet's :class:`LocalResponseNorm`."""

from __future__ import annotations

import numpy as np

from .._validate import check_bool, check_int, check_number
from ..norm import (
    batch_norm_backward,
    batch_norm_forward,
    local_response_norm,
    local_response_norm_backward,
)
from .base import _check_image, _ImageLayer, _Param


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
        y, self._cache = batch_norm_forward(self._check_input(x), **self._args())
        return y

    def backward(self, dout):
        dx, dweight, dbias = batch_norm_backward(dout, self._cached())  # x_hat and 1 / std
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

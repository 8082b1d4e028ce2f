"""Fully connected (linear) layers and flattening, with backward passes.

A fully connected layer computes ``y = x W^T + b``: every output feature is a weighted sum of
every input feature. Before the first one, a CNN flattens each ``(C, H, W)`` feature map into a
vector of ``C * H * W`` features (torchvision's AlexNet: 256 x 6 x 6 = 9216 -> Linear(9216, 4096)).
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import (
    SettingError,
    check_array,
    check_axis,
    check_dout,
    check_same_dtype,
    check_size,
)

__all__ = ["linear", "linear_backward", "flatten", "flatten_backward"]


def _linear_inputs(x, weight, bias) -> None:
    """Check the arguments of :func:`linear`."""
    check_array(x, "x", max(np.ndim(x), 1), "(..., in_features)")
    check_array(weight, "weight", 2, "(out_features, in_features)")
    out_features, in_features = weight.shape
    if x.shape[-1] != in_features:
        raise SettingError(
            f"x has {x.shape[-1]} features (x.shape[-1]) but weight has in_features="
            f"{in_features} (weight.shape[1]): the Linear layer expects in_features="
            f"{in_features}, flatten gave {x.shape[-1]}. Make in_features {x.shape[-1]}, or "
            f"check the shape of what you flatten."
        )
    check_same_dtype(weight, "weight", x)
    if bias is not None:
        check_array(bias, "bias", 1, "(out_features,)")
        if bias.shape[0] != out_features:
            raise SettingError(
                f"bias has {bias.shape[0]} values but weight has out_features={out_features} "
                f"(weight.shape[0]): give bias shape ({out_features},)."
            )
        check_same_dtype(bias, "bias", x)


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """Fully connected layer, as ``torch.nn.functional.linear``: ``y = x @ weight.T + bias``.

    Parameters
    ----------
    x : ndarray, shape (N, in_features) or (..., in_features), float
    weight : ndarray, shape (out_features, in_features), dtype of ``x``
    bias : ndarray, shape (out_features,), optional

    Returns
    -------
    ndarray, shape (..., out_features), dtype of ``x``
    """
    _linear_inputs(x, weight, bias)
    check_size(x.shape[:-1] + weight.shape[:1], x.dtype, "the output of x and weight")
    y = x @ weight.T
    return y if bias is None else y + bias


def linear_backward(dout: np.ndarray, x: np.ndarray, weight: np.ndarray,
                    bias: np.ndarray | None = None):
    """Gradients of :func:`linear`::

        dx = dout @ weight          dweight = dout^T @ x          dbias = sum of dout

    where ``dweight`` and ``dbias`` sum over every leading axis (each sample adds its share).

    Parameters
    ----------
    dout : ndarray, shape (..., out_features)
        Gradient of the loss with respect to the output of :func:`linear`.
    x, weight, bias
        The arguments of the forward call.

    Returns
    -------
    (dx, dweight, dbias)
        Shapes of ``x``, ``weight`` and ``bias``; ``dbias`` is ``None`` when ``bias`` is.
    """
    _linear_inputs(x, weight, bias)
    dout = check_dout(dout, x.shape[:-1] + weight.shape[:1], x.dtype)
    rows_out = dout.reshape(-1, weight.shape[0])
    dweight = rows_out.T @ x.reshape(-1, weight.shape[1])
    dbias = None if bias is None else rows_out.sum(axis=0)
    return dout @ weight, dweight, dbias


def _flat_shape(x, start_dim, end_dim) -> tuple[int, ...]:
    """Shape of ``x`` with axes ``start_dim`` to ``end_dim`` (inclusive) merged into one."""
    check_array(x, "x", max(np.ndim(x), 1))
    start = check_axis(start_dim, x.ndim, "start_dim")
    end = check_axis(end_dim, x.ndim, "end_dim")
    if start > end:
        raise SettingError(
            f"start_dim={start_dim} comes after end_dim={end_dim} for an array with {x.ndim} "
            f"axes: flatten merges axes start_dim..end_dim, so start_dim must not be after it."
        )
    return x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:]


def flatten(x: np.ndarray, start_dim: int = 1, end_dim: int = -1) -> np.ndarray:
    """Merge axes ``start_dim`` to ``end_dim`` into one, as ``torch.flatten``.

    The default keeps the batch axis: (N, C, H, W) -> (N, C * H * W), in C, H, W order.

    Returns
    -------
    ndarray (a view of ``x`` when possible), dtype of ``x``
    """
    return x.reshape(_flat_shape(x, start_dim, end_dim))


def flatten_backward(dout: np.ndarray, x: np.ndarray, start_dim: int = 1,
                     end_dim: int = -1) -> np.ndarray:
    """Gradient of :func:`flatten`: ``dout`` (shape of ``flatten(x)``) reshaped to ``x.shape``."""
    dout = check_dout(dout, _flat_shape(x, start_dim, end_dim), x.dtype)
    return dout.reshape(x.shape)

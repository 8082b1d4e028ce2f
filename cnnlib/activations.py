"""Activation functions, their elementwise derivatives and their backward passes.

Every activation here is applied elementwise (``relu``, ``sigmoid``, ``tanh``) or along one axis
(``softmax``, ``log_softmax``) and keeps the input's shape and dtype. The backward of an
elementwise activation is the chain rule with its derivative::

    dx = dout * f'(x)

and the derivative helpers (``relu_derivative``, ``sigmoid_derivative``, ``tanh_derivative``)
are what the vanishing-gradient lesson plots: the sigmoid's slope is at most 1/4, so a stack of
sigmoids multiplies gradients by at most 1/4 per layer, while ReLU passes them through unchanged
where the input is positive.
"""

from __future__ import annotations

import numpy as np

from ._validate import SettingError, check_array, check_axis, check_dout

__all__ = [
    "relu",
    "relu_derivative",
    "relu_backward",
    "sigmoid",
    "sigmoid_derivative",
    "sigmoid_backward",
    "tanh",
    "tanh_derivative",
    "tanh_backward",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
]


# --- ReLU -----------------------------------------------------------------------------------

def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(x, 0)``, elementwise; any shape."""
    check_array(x, "x")
    return np.maximum(x, 0)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    """Slope of ReLU: 1 where ``x > 0``, else 0 (0 at ``x = 0``, as PyTorch)."""
    check_array(x, "x")
    return (x > 0).astype(x.dtype)


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of :func:`relu`: ``dx = relu_derivative(x) * dout``, all shaped like ``x``."""
    return relu_derivative(x) * check_dout(dout, x.shape, x.dtype)


# --- sigmoid --------------------------------------------------------------------------------

def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, elementwise; any shape.

    Computed without overflow for large ``|x|``: with ``e = exp(-|x|)`` (always <= 1),
    ``sigmoid(x) = 1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``.
    """
    check_array(x, "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """Slope of the sigmoid: ``s (1 - s)`` with ``s = sigmoid(x)``; at most 1/4 (at 0)."""
    s = sigmoid(x)
    return s * (1 - s)


def sigmoid_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of :func:`sigmoid`: ``dx = dout * sigmoid_derivative(x)``, all shaped like ``x``."""
    return sigmoid_derivative(x) * check_dout(dout, x.shape, x.dtype)


# --- tanh -----------------------------------------------------------------------------------

def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, elementwise; any shape. ``tanh(x) = 2 sigmoid(2x) - 1``."""
    check_array(x, "x")
    return np.tanh(x)


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """Slope of tanh: ``1 - tanh(x)^2``; at most 1 (at 0)."""
    t = tanh(x)
    return 1 - t * t


def tanh_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of :func:`tanh`: ``dx = dout * tanh_derivative(x)``, all shaped like ``x``."""
    return tanh_derivative(x) * check_dout(dout, x.shape, x.dtype)


# --- softmax --------------------------------------------------------------------------------

def _softmax_axis(x: np.ndarray, dim) -> int:
    """Check ``x`` and return axis ``dim`` as a non-negative index; it must not be empty."""
    check_array(x, "x")
    if x.ndim == 0:
        raise SettingError(
            "x is a single number (shape ()): softmax needs an axis of scores. Pass an array "
            "with at least one axis, e.g. x[None]."
        )
    axis = check_axis(dim, x.ndim)
    if x.shape[axis] == 0:
        raise SettingError(
            f"x has shape {x.shape}: axis dim={dim} is empty, and a softmax over no scores is "
            f"undefined. Pass at least one score along dim."
        )
    return axis


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """Softmax along axis ``dim``: ``exp(x_i) / sum_j exp(x_j)``; any shape.

    Subtracting the maximum first (``softmax(x) = softmax(x - max x)``) keeps ``exp`` from
    overflowing, so logits of +-1000 work.
    """
    dim = _softmax_axis(x, dim)
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


def softmax_backward(dout: np.ndarray, x: np.ndarray, dim: int = -1) -> np.ndarray:
    """Gradient of :func:`softmax`: ``dx = s * (dout - sum(dout * s, dim))``, ``s = softmax(x)``.

    This is the Jacobian ``ds_i/dx_j = s_i (delta_ij - s_j)`` applied to ``dout``.
    ``dout`` and ``dx`` have the shape of ``x``.
    """
    s = softmax(x, dim)
    dout = check_dout(dout, x.shape, x.dtype)
    return s * (dout - np.sum(dout * s, axis=check_axis(dim, x.ndim), keepdims=True))


def log_softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """Log of the softmax along ``dim``: ``x_i - m - log(sum_j exp(x_j - m))``, ``m = max x``.

    Stable where ``log(softmax(x))`` is not: the softmax of a very negative logit underflows to
    0 and its log to ``-inf``, while this formula stays finite.
    """
    dim = _softmax_axis(x, dim)
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def log_softmax_backward(dout: np.ndarray, x: np.ndarray, dim: int = -1) -> np.ndarray:
    """Gradient of :func:`log_softmax`: ``dx = dout - softmax(x) * sum(dout, dim)``.

    ``dout`` and ``dx`` have the shape of ``x``.
    """
    s = softmax(x, dim)
    dout = check_dout(dout, x.shape, x.dtype)
    return dout - s * np.sum(dout, axis=check_axis(dim, x.ndim), keepdims=True)

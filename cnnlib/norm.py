"""Normalisation layers: batch normalisation and local response normalisation (AlexNet, 2012).

Batch normalisation (Ioffe & Szegedy, 2015) standardises each *channel* over the batch and
every spatial position, then scales and shifts it with learnable ``weight`` (gamma) and
``bias`` (beta)::

    y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c

Semantics follow ``torch.nn.functional.batch_norm``: in training the batch statistics are used
(biased variance) and the running statistics are updated in place with the *unbiased*
variance; in evaluation the running statistics are used.

Local response normalisation divides each activation by the energy of its neighbouring
channels at the same position, as in ``torch.nn.functional.local_response_norm``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import (
    SettingError,
    SettingTypeError,
    check_array,
    check_bool,
    check_dout,
    check_int,
    check_number,
)

__all__ = [
    "batch_norm",
    "batch_norm_forward",
    "BatchNormCache",
    "batch_norm_backward",
    "local_response_norm",
    "local_response_norm_backward",
]


# --- batch normalisation --------------------------------------------------------------------

def _per_channel(v, name: str, x: np.ndarray) -> np.ndarray | None:
    """Check a per-channel vector, shape (C,), and reshape it to broadcast against ``x``."""
    if v is None:
        return None
    check_array(v, name, 1, "(C,)")
    if v.shape[0] != x.shape[1]:
        raise SettingError(
            f"{name} has {v.shape[0]} values but x has {x.shape[1]} channels (x.shape[1]): "
            f"batch norm keeps one {name} value per channel. Give {name} shape ({x.shape[1]},)."
        )
    return v.reshape((-1,) + (1,) * (x.ndim - 2)).astype(x.dtype, copy=False)


def _check_channels(x: np.ndarray) -> None:
    """Refuse an input with no channels: local response normalisation has no neighbours."""
    if x.shape[1] == 0:
        raise SettingError(
            f"x has shape {x.shape}: 0 channels (x.shape[1]), so no channel has neighbours to "
            f"normalise by. Pass at least one channel."
        )


def _values_per_channel(x: np.ndarray) -> int:
    """``m``: how many values each channel's statistics run over, ``N * H * W`` for images."""
    return x.shape[0] * math.prod(x.shape[2:])


def _batch_norm_inputs(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """Check the arguments of :func:`batch_norm`; return the statistics it normalises with.

    Returns ``(axes, mean, var, gamma, beta)``: the reduced axes (all but the channel axis),
    the per-channel mean and biased variance used (batch statistics in training, running
    statistics in evaluation) and the broadcastable weight and bias (or ``None``).
    """
    check_array(x, "x", (2, 3, 4, 5), "(N, C) or (N, C, *spatial)")
    check_bool(training, "training")
    check_number(momentum, "momentum", 0.0, 1.0)
    check_number(eps, "eps", 0.0, low_inclusive=False)
    axes = (0,) + tuple(range(2, x.ndim))
    stats = [_per_channel(v, name, x)
             for v, name in ((running_mean, "running_mean"), (running_var, "running_var"))]
    gamma, beta = _per_channel(weight, "weight", x), _per_channel(bias, "bias", x)
    if training:
        for v, name in ((running_mean, "running_mean"), (running_var, "running_var")):
            if v is not None and not v.flags.writeable:
                raise SettingError(
                    f"{name} is read-only, but training batch norm updates it in place. Pass a "
                    f"writeable array ({name}.copy()), None to track nothing, or training=False."
                )
        if _values_per_channel(x) < 2:
            raise SettingError(
                f"training batch norm needs more than 1 value per channel, got x.shape "
                f"{x.shape}: a single value has no variance. Use a batch of 2 or more, or "
                f"training=False."
            )
        return axes, x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True), gamma, beta
    for v, name in zip(stats, ("running_mean", "running_var")):
        if v is None:
            raise SettingError(
                f"{name} is None, but evaluation (training=False) normalises with the running "
                f"statistics. Pass the running mean and variance, or use training=True."
            )
    return axes, stats[0], stats[1], gamma, beta


class BatchNormCache(NamedTuple):
    """What :func:`batch_norm_backward` needs from the forward pass."""

    x_hat: np.ndarray            # (x - mean) * inv_std, shape of x
    inv_std: np.ndarray          # 1 / sqrt(var + eps), broadcastable against x
    gamma: np.ndarray | None     # the weight, broadcastable, or None
    has_bias: bool
    training: bool               # batch statistics (they depend on x) or running ones


def batch_norm_forward(x: np.ndarray, running_mean: np.ndarray | None,
                       running_var: np.ndarray | None, weight: np.ndarray | None = None,
                       bias: np.ndarray | None = None, training: bool = False,
                       momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalisation, as ``torch.nn.functional.batch_norm``, and the cache of its backward.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, per channel ``c = x[:, c]``, with
    statistics over the batch and all spatial positions.

    In training (``training=True``) ``mean`` and ``var`` are the batch's (``var`` biased,
    dividing by ``m``, the number of values per channel), and the running statistics, when
    given, are updated **in place**::

        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)

    (the running variance is the unbiased one). In evaluation the running statistics are used
    and nothing is updated.

    Parameters
    ----------
    x : ndarray, shape (N, C) or (N, C, *spatial), float
    running_mean, running_var : ndarray, shape (C,), or None
        May be ``None`` in training only (then nothing is tracked). PyTorch starts them at 0
        and 1.
    weight, bias : ndarray, shape (C,), optional
        Learnable scale (gamma) and shift (beta); ``None`` means 1 and 0.
    training : bool
    momentum : float in [0, 1]
    eps : float > 0
        Added to the variance so that a constant channel does not divide by zero.

    Returns
    -------
    y : ndarray, shape and dtype of ``x``
    cache : BatchNormCache
        The normalised input ``x_hat`` and ``1 / sqrt(var + eps)``: what
        :func:`batch_norm_backward` needs.
    """
    axes, mean, var, gamma, beta = _batch_norm_inputs(
        x, running_mean, running_var, weight, bias, training, momentum, eps)
    std = np.sqrt(var + eps)
    x_hat, inv_std = (x - mean) / std, 1 / std
    if training:
        m = _values_per_channel(x)
        for running, batch in ((running_mean, mean), (running_var, var * m / (m - 1))):
            if running is not None:
                running *= 1 - momentum
                running += momentum * batch.reshape(-1)
    y = x_hat if gamma is None else x_hat * gamma
    if beta is not None:
        y = y + beta
    return y, BatchNormCache(x_hat, inv_std, gamma, beta is not None, bool(training))


def batch_norm(x: np.ndarray, running_mean: np.ndarray | None, running_var: np.ndarray | None,
               weight: np.ndarray | None = None, bias: np.ndarray | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
    """Batch normalisation, as ``torch.nn.functional.batch_norm``.

    :func:`batch_norm_forward` without the cache; see it for the parameters.
    """
    return batch_norm_forward(x, running_mean, running_var, weight, bias, training, momentum,
                              eps)[0]


def batch_norm_backward(dout: np.ndarray, cache: BatchNormCache):
    """Gradients of :func:`batch_norm_forward` with respect to ``x``, ``weight`` and ``bias``.

    With ``x_hat = (x - mean) * inv_std`` and ``g = dout * weight`` (both from the cache)::

        dbias   = sum(dout)             dweight = sum(dout * x_hat)      (per channel)
        dx (evaluation) = g * inv_std
        dx (training)   = (g - mean(g) - x_hat * mean(g * x_hat)) * inv_std

    where the sums and means run over the ``m`` values of each channel: in training the mean
    and variance depend on ``x`` too, which adds the two correction terms. The running
    statistics are buffers, not parameters: they get no gradient.

    Parameters
    ----------
    dout : ndarray, shape of ``x``
    cache : BatchNormCache
        The second value :func:`batch_norm_forward` returned.

    Returns
    -------
    (dx, dweight, dbias)
        ``dx`` shaped like ``x``; ``dweight``, ``dbias`` of shape (C,), or ``None`` when the
        forward had no weight / bias.
    """
    if not isinstance(cache, BatchNormCache):
        raise SettingTypeError(
            f"cache must be the BatchNormCache that batch_norm_forward returned (y, cache = "
            f"batch_norm_forward(x, ...)), got {type(cache).__name__}."
        )
    x_hat, inv_std, gamma, has_bias, training = cache
    dout = check_dout(dout, x_hat.shape, x_hat.dtype)
    axes = (0,) + tuple(range(2, x_hat.ndim))
    g = dout if gamma is None else dout * gamma
    if training:
        g = g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes,
                                                                            keepdims=True)
    dweight = None if gamma is None else (dout * x_hat).sum(axis=axes)
    dbias = dout.sum(axis=axes) if has_bias else None
    return g * inv_std, dweight, dbias


# --- local response normalisation -----------------------------------------------------------

def _channel_window_sum(v: np.ndarray, before: int, after: int) -> np.ndarray:
    """``out[:, c] = sum(v[:, c - before : c + after + 1])`` over channels, zero outside."""
    pad = [(0, 0)] * v.ndim
    pad[1] = (before, after)
    windows = sliding_window_view(np.pad(v, pad), before + after + 1, axis=1)
    return windows.sum(axis=-1)


def _lrn_inputs(x, size, alpha, beta, k):
    """Check the arguments of :func:`local_response_norm`; return the denominator base.

    ``D = k + alpha / size * sum of x^2 over the window of channels`` (shape of ``x``).
    """
    check_array(x, "x", (3, 4, 5), "(N, C, *spatial)")
    _check_channels(x)
    size = check_int(size, "size", 1)
    check_number(alpha, "alpha", 0.0)
    check_number(beta, "beta", 0.0)
    check_number(k, "k", 0.0, low_inclusive=False)
    return k + alpha / size * _channel_window_sum(x * x, size // 2, (size - 1) // 2)


def local_response_norm(x: np.ndarray, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> np.ndarray:
    """Local response normalisation across channels, as ``torch.nn.functional.local_response_norm``.

    ``b_c = a_c / (k + alpha / size * sum_{c'} a_{c'}^2) ** beta``, where ``c'`` runs over the
    ``size`` channels from ``c - size // 2`` to ``c + (size - 1) // 2`` (missing channels count
    as 0). PyTorch divides ``alpha`` by ``size``; the AlexNet paper (size 5, alpha 1e-4,
    beta 0.75, k 2) does not, so its alpha is ``size`` times smaller than PyTorch's.

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial), float
    size : int
        Number of neighbouring channels in the window.
    alpha, beta : float >= 0
    k : float > 0
        Keeps the denominator positive.

    Returns
    -------
    ndarray, shape and dtype of ``x``
    """
    return x * _lrn_inputs(x, size, alpha, beta, k) ** -beta


def local_response_norm_backward(dout: np.ndarray, x: np.ndarray, size: int,
                                 alpha: float = 1e-4, beta: float = 0.75,
                                 k: float = 1.0) -> np.ndarray:
    """Gradient of :func:`local_response_norm` with respect to ``x``.

    With ``D_c`` the denominator base of channel ``c``, channel ``j`` enters its own output
    directly and the denominators of the channels ``c`` whose window contains it
    (``j - (size - 1) // 2 <= c <= j + size // 2``, the window mirrored)::

        dx_j = dout_j D_j^-beta - 2 alpha beta / size * x_j * sum_c dout_c x_c D_c^(-beta - 1)

    ``dout`` and ``dx`` have the shape of ``x`` (N, C, *spatial); ``dx`` keeps its dtype.
    """
    d = _lrn_inputs(x, size, alpha, beta, k)
    dout = check_dout(dout, x.shape, x.dtype)
    through_denominators = _channel_window_sum(dout * x * d ** (-beta - 1),
                                               (size - 1) // 2, size // 2)
    return dout * d ** -beta - 2 * alpha * beta / size * x * through_denominators

"""Cross-entropy loss for classification, with its backward pass.

The network outputs one score (logit) per class; softmax turns the scores into probabilities
and the loss is the negative log-probability of the right class::

    loss_n = -log softmax(logits_n)[target_n] = -logits_n[t] + log sum_k exp(logits_n[k])

With K classes and no information (equal logits) every class gets 1/K and the loss is log K:
log 10 = 2.303 for CIFAR-10, log 1000 = 6.908 for ImageNet, the value an untrained network
should start near.
"""

from __future__ import annotations

import numpy as np

from ._validate import SettingError, SettingTypeError, check_array
from .activations import log_softmax, log_softmax_backward

__all__ = ["cross_entropy", "cross_entropy_backward"]

_REDUCTIONS = ("mean", "sum", "none")


def _cross_entropy_inputs(logits, target, reduction) -> None:
    """Check the arguments of :func:`cross_entropy`."""
    check_array(logits, "logits", 2, "(N, K)")
    if not isinstance(target, np.ndarray):
        raise SettingTypeError(
            f"target must be a numpy array of class indices, got {type(target).__name__}. "
            f"Convert it with np.asarray(target, dtype=np.int64)."
        )
    if not np.issubdtype(target.dtype, np.integer):
        raise SettingTypeError(
            f"target must hold integer class indices, got dtype {target.dtype}. For class "
            f"probabilities or one-hot rows, take target = probs.argmax(axis=1)."
        )
    n, k = logits.shape
    if n == 0 or k == 0:
        raise SettingError(
            f"logits has shape {logits.shape}: cross-entropy needs at least one sample (N) and "
            f"one class (K). Pass logits of shape (N, K) with N >= 1 and K >= 1."
        )
    if target.shape != (n,):
        raise SettingError(
            f"target must have shape (N,) = ({n},), one class index per row of logits, got "
            f"shape {target.shape}."
        )
    if (target.min() < 0 or target.max() >= k):
        bad = target[(target < 0) | (target >= k)][0]
        raise SettingError(
            f"target holds class {bad}, but logits has K={k} classes (logits.shape[1]): "
            f"class indices must be from 0 to {k - 1}."
        )
    if reduction not in _REDUCTIONS:
        raise SettingError(
            f"reduction must be one of {_REDUCTIONS}, got {reduction!r}."
        )


def cross_entropy(logits: np.ndarray, target: np.ndarray, reduction: str = "mean"):
    """Cross-entropy loss, as ``torch.nn.functional.cross_entropy`` with class-index targets.

    ``loss_n = -log_softmax(logits_n)[target_n]``, averaged (``"mean"``), summed (``"sum"``)
    or returned per sample (``"none"``).

    Parameters
    ----------
    logits : ndarray, shape (N, K), float
        Unnormalised class scores.
    target : ndarray, shape (N,), integer
        The right class of each sample, from 0 to K - 1.
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    ndarray
        Shape () for ``"mean"`` and ``"sum"``, (N,) for ``"none"``; dtype of ``logits``.
    """
    _cross_entropy_inputs(logits, target, reduction)
    losses = -log_softmax(logits, dim=1)[np.arange(len(target)), target]
    if reduction == "none":
        return losses
    return np.asarray(losses.mean() if reduction == "mean" else losses.sum())


def cross_entropy_backward(dout, logits: np.ndarray, target: np.ndarray,
                           reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to ``logits``.

    For one sample, ``dloss/dlogits = softmax(logits) - onehot(target)``; ``"mean"`` divides
    by N, and each row is scaled by the upstream gradient ``dout`` (a scalar for ``"mean"`` and
    ``"sum"``, shape (N,) for ``"none"``). Computed as the backward of ``log_softmax`` with
    ``-dout`` placed on each target class.

    Returns
    -------
    ndarray, shape (N, K), dtype of ``logits``
    """
    _cross_entropy_inputs(logits, target, reduction)
    n = len(target)
    expected = (n,) if reduction == "none" else ()
    if np.shape(dout) != expected:
        raise SettingError(
            f"dout must have the loss's shape {expected} (reduction={reduction!r}), got "
            f"shape {np.shape(dout)}."
        )
    scale = np.asarray(dout, dtype=logits.dtype) / (n if reduction == "mean" else 1)
    dlog_probs = np.zeros_like(logits)
    dlog_probs[np.arange(n), target] = -scale
    return log_softmax_backward(dlog_probs, logits, dim=1)

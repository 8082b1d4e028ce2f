"""Finite-difference gradient checks: the independent oracle for every backward pass.

A backward function is right when its gradient matches the slope measured by nudging each
input element by ``+-eps`` (central differences, error ``O(eps^2)``). Run the check in float64:
float32 rounding errors swamp the differences.
"""

from __future__ import annotations

import numpy as np

from ._validate import SettingError, SettingTypeError

__all__ = ["numerical_gradient", "relative_error", "gradient_errors", "gradcheck"]


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f()`` with respect to ``x``.

    ``f`` takes no arguments and reads ``x``, which is nudged in place one element at a time
    (and restored): ``grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.

    Parameters
    ----------
    f : callable returning float
    x : ndarray, float64, any shape
    eps : float

    Returns
    -------
    ndarray, same shape as ``x``
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise SettingTypeError(
            f"x must be float64 for a finite-difference check, got "
            f"{getattr(x, 'dtype', type(x).__name__)}: float32 rounding hides the differences. "
            f"Use np.asarray(x, dtype=np.float64)."
        )
    grad = np.empty(x.shape)
    for i in np.ndindex(x.shape):    # x itself, not a flattened copy (x may be a strided view)
        original = x[i]
        x[i] = original + eps
        plus = f()
        x[i] = original - eps
        minus = f()
        x[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)``, or 0 when both are zero."""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def gradient_errors(forward, backward, inputs, dout=None, eps: float = 1e-6, seed: int = 0):
    """Relative error between ``backward``'s gradients and finite differences, per input.

    The checked scalar is ``L = sum(forward(*inputs) * dout)``, whose gradient with respect to
    ``inputs[k]`` is what ``backward(dout, *inputs)[k]`` must return.

    Parameters
    ----------
    forward : callable ``forward(*inputs) -> out``
    backward : callable ``backward(dout, *inputs) -> grads``
        Returns one gradient per input (a tuple, or a single array when there is one input).
    inputs : sequence of float64 ndarrays
    dout : ndarray, optional
        Upstream gradient, shape of ``out``; random (seeded) when omitted.

    Returns
    -------
    tuple of float
        One relative error per input.

    Raises
    ------
    ValueError
        If ``dout`` is not shaped like the output, or ``backward`` does not return one
        gradient shaped like its input per input.
    """
    inputs = list(inputs)
    out = forward(*inputs)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(np.shape(out))
    if np.shape(dout) != np.shape(out):
        raise SettingError(
            f"dout must have the shape of forward's output {np.shape(out)}, got {np.shape(dout)}."
        )
    grads = backward(dout, *inputs)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(inputs):
        raise SettingError(f"backward returned {len(grads)} gradients for {len(inputs)} inputs.")
    for k, (g, x) in enumerate(zip(grads, inputs)):
        if np.shape(g) != np.shape(x):    # a wrongly shaped gradient could broadcast and pass
            raise SettingError(
                f"backward's gradient {k} has shape {np.shape(g)}, but input {k} has shape "
                f"{np.shape(x)}: a gradient has the shape of its input."
            )

    def loss():
        return float(np.sum(forward(*inputs) * dout))

    return tuple(relative_error(g, numerical_gradient(loss, x, eps))
                 for g, x in zip(grads, inputs))


def gradcheck(forward, backward, inputs, dout=None, eps: float = 1e-6, tol: float = 1e-6,
              seed: int = 0) -> bool:
    """Return ``True`` when every gradient matches finite differences within ``tol``.

    Raises ``AssertionError`` naming the input whose gradient is off and by how much.
    See :func:`gradient_errors` for the arguments.
    """
    errors = gradient_errors(forward, backward, inputs, dout, eps, seed)
    for k, error in enumerate(errors):
        if not error <= tol:
            raise AssertionError(
                f"gradient of input {k} is off: relative error {error:.2e} > tol {tol:.0e}."
            )
    return True

"""Argument checks shared by every cnnlib function.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the parameter,
the value it received and how to fix it, so that a student reading the message knows what
to change. Nothing here computes anything else.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_int(value, name: str, minimum: int) -> int:
    """Return ``value`` as an ``int`` after checking it is a whole number ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {value!r} ({type(value).__name__}).")
    if value < minimum:
        hint = {0: "use 0 or more", 1: "use 1 or more"}.get(minimum, f"use {minimum} or more")
        raise ValueError(f"{name} must be >= {minimum}, got {value}: {hint}.")
    return int(value)


def as_tuple(value, n: int, name: str, minimum: int) -> tuple[int, ...]:
    """Expand an int or a length-``n`` sequence of ints into a checked ``n``-tuple.

    ``as_tuple(3, 2, "kernel_size", 1) == (3, 3)``, as in ``torch.nn.Conv2d(kernel_size=3)``.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (check_int(value, name, minimum),) * n
    try:
        if isinstance(value, str):
            raise TypeError
        items = tuple(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or a sequence of {n} ints, got {value!r}."
        ) from None
    if len(items) != n:
        raise ValueError(
            f"{name} must have {n} values (one per spatial axis), got {len(items)}: {value!r}. "
            f"Pass a single int to use the same value on every axis."
        )
    return tuple(check_int(v, f"{name}[{i}]", minimum) for i, v in enumerate(items))


def check_array(x, name: str, ndim: int | tuple[int, ...], layout: str = "") -> np.ndarray:
    """Check that ``x`` is a floating-point numpy array with the expected number of axes.

    Parameters
    ----------
    x : array_like
        The array to check. Lists are not converted: cnnlib works on numpy arrays.
    name : str
        Parameter name used in error messages.
    ndim : int or tuple of int
        Allowed numbers of axes.
    layout : str, optional
        Axis names for the message, e.g. ``"(N, C, H, W)"``.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array, got {type(x).__name__}. "
            f"Convert it with np.asarray({name}, dtype=np.float32)."
        )
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        expected = " or ".join(str(a) for a in allowed)
        where = f" {layout}" if layout else ""
        raise ValueError(
            f"{name} must have {expected} axes{where}, got shape {x.shape} ({x.ndim} axes)."
            + (" Add a batch axis with x[None]." if x.ndim + 1 in allowed else "")
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{name} must hold floating-point numbers, got dtype {x.dtype}. "
            f"Convert it with {name}.astype(np.float32)."
        )
    return x

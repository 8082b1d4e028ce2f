"""Argument checks shared by every cnnlib function.

Each check raises :class:`SettingError` (a ``ValueError``) or :class:`SettingTypeError` (also a
``TypeError``) with a message that names the parameter, the value it received and how to fix it,
so that a student reading the message knows what to change. Nothing here computes anything else.

``MEMORY_BUDGET`` is the one place that says how large an array cnnlib agrees to allocate.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


class SettingError(ValueError):
    """A setting the lecture refuses (a stride that does not tile, a kernel larger than the input,
    a wrong number of axes, ...).

    Every check in cnnlib raises this type (or :class:`SettingTypeError`), with a message a
    student can act on, so that an explorer can show the message in place and treat any *other*
    exception as a bug. It subclasses ``ValueError``, so ``except ValueError`` still catches it.

    The message is kept in English (``error.args[0]``) and shown in the language of
    :func:`cnnlib.set_language`: ``str(error)``, and so the traceback, is Korean after
    ``set_language("ko")`` when cnnlib's catalog has the message (:func:`cnnlib.i18n.explain`).
    """

    def __str__(self) -> str:
        from .i18n import explain  # cnnlib.i18n imports this module

        return explain(super().__str__())


class SettingTypeError(SettingError, TypeError):
    """A refused setting of the wrong type (a string where a number belongs, a list where a
    numpy array belongs); also a ``TypeError``."""


def check_int(value, name: str, minimum: int) -> int:
    """Return ``value`` as an ``int`` after checking it is a whole number ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SettingTypeError(
            f"{name} must be a whole number, got {value!r} ({type(value).__name__})."
        )
    if value < minimum:
        hint = {0: "use 0 or more", 1: "use 1 or more"}.get(minimum, f"use {minimum} or more")
        raise SettingError(f"{name} must be >= {minimum}, got {value}: {hint}.")
    return int(value)


def as_tuple(value, n: int, name: str, minimum: int) -> tuple[int, ...]:
    """Expand an int or a length-``n`` sequence of ints into a checked ``n``-tuple.

    ``as_tuple(3, 2, "kernel_size", 1) == (3, 3)``, as in ``torch.nn.Conv2d(kernel_size=3)``.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (check_int(value, name, minimum),) * n
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise SettingTypeError(f"{name} must be an int or a sequence of {n} ints, got {value!r}.")
    items = tuple(value)
    if len(items) != n:
        raise SettingError(
            f"{name} must have {n} values (one per spatial axis), got {len(items)}: {value!r}. "
            f"Pass a single int to use the same value on every axis."
        )
    return tuple(check_int(v, f"{name}[{i}]", minimum) for i, v in enumerate(items))


def check_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                layout: str = "") -> np.ndarray:
    """Check that ``x`` is a floating-point numpy array with the expected number of axes.

    Parameters
    ----------
    x : array_like
        The array to check. Lists are not converted: cnnlib works on numpy arrays.
    name : str
        Parameter name used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of axes (any number when omitted).
    layout : str, optional
        Axis names for the message, e.g. ``"(N, C, H, W)"``.
    """
    if not isinstance(x, np.ndarray):
        raise SettingTypeError(
            f"{name} must be a numpy array, got {type(x).__name__}. "
            f"Convert it with np.asarray({name}, dtype=np.float32)."
        )
    allowed = (x.ndim,) if ndim is None else (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        expected = " or ".join(str(a) for a in allowed)
        if len(allowed) > 2 and allowed == tuple(range(allowed[0], allowed[-1] + 1)):
            expected = f"{allowed[0]} to {allowed[-1]}"
        where = f" {layout}" if layout else ""
        raise SettingError(
            f"{name} must have {expected} axes{where}, got shape {x.shape} ({x.ndim} axes)."
            + (f" Add a batch axis with {name}[None]." if name == "x" and x.ndim + 1 in allowed
               else "")
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise SettingTypeError(
            f"{name} must hold floating-point numbers, got dtype {x.dtype}. "
            f"Convert it with {name}.astype(np.float32)."
        )
    return x


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a ``bool`` after checking it is ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise SettingTypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_float_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as a numpy dtype after checking it is a floating-point one."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        message = f"dtype must be a numpy dtype such as np.float32, got {dtype!r}."
        raise SettingTypeError(message) from None
    if not np.issubdtype(dtype, np.floating):
        raise SettingTypeError(
            f"dtype must be a floating-point dtype (np.float32 or np.float64), got {dtype}."
        )
    return dtype


def check_same_dtype(array: np.ndarray, name: str, x: np.ndarray) -> None:
    """Raise TypeError unless ``array`` (a weight or bias) has the dtype of the input ``x``."""
    if array.dtype != x.dtype:
        raise SettingTypeError(
            f"{name} has dtype {array.dtype} but x has dtype {x.dtype}: both must match. "
            f"Cast one, e.g. {name}.astype(x.dtype)."
        )


def check_number(value, name: str, low: float, high: float = np.inf,
                 low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """Return ``value`` as a float after checking it is a real number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SettingTypeError(f"{name} must be a number, got {value!r} ({type(value).__name__}).")
    above = value >= low if low_inclusive else value > low
    below = value <= high if high_inclusive else value < high
    if not (above and below):
        bounds = f"{'>=' if low_inclusive else '>'} {low}" + (
            f" and {'<=' if high_inclusive else '<'} {high}" if high != np.inf else "")
        raise SettingError(f"{name} must be {bounds}, got {value}.")
    return float(value)


def check_axis(dim, ndim: int, name: str = "dim") -> int:
    """Return axis ``dim`` of an ``ndim``-axis array as a non-negative index (``-1`` is last)."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise SettingTypeError(
            f"{name} must be a whole number, got {dim!r} ({type(dim).__name__})."
        )
    if not -ndim <= dim < ndim:
        raise SettingError(
            f"{name}={dim} is out of range for an array with {ndim} axes: "
            f"use a value from {-ndim} to {ndim - 1}."
        )
    return int(dim) % ndim


def check_dout(dout, shape: tuple, dtype) -> np.ndarray:
    """Check that the upstream gradient ``dout`` has the forward output's ``shape``.

    Returns ``dout`` in ``dtype`` (the input's), so that gradients keep the input's dtype.
    """
    check_array(dout, "dout", np.ndim(dout))
    if dout.shape != tuple(shape):
        raise SettingError(
            f"dout must have the shape of the forward output {tuple(shape)}, got {dout.shape}. "
            f"Pass the gradient of the loss with respect to this function's output."
        )
    return dout.astype(dtype, copy=False)


def as_generator(rng):
    """``rng`` as a ``numpy.random.Generator`` (an int is a seed); ``None`` stays ``None``.

    Build a whole model from one generator so that its layers get different seeds.
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(check_int(rng, "rng", 0))


MEMORY_BUDGET = 4 * 2**30
"""Largest array, in bytes, that a cnnlib function or layer agrees to allocate (4 GiB).

Asking for more (a huge input, padding, an im2col buffer, a ``Linear(10**6, 10**6)``) raises a
:class:`SettingError` naming the argument before anything is allocated, instead of numpy's
``MemoryError`` with internal shapes. Change it here, e.g.
``cnnlib._validate.MEMORY_BUDGET = 16 * 2**30`` on a machine with more memory.
"""


def check_size(shape, dtype, name: str, fix: str = "") -> None:
    """Refuse to allocate an array of ``shape`` and ``dtype`` larger than ``MEMORY_BUDGET``.

    ``name`` says which argument asked for it; ``fix`` (optional) how to ask for less.
    """
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes > MEMORY_BUDGET:
        raise SettingError(
            f"{name} needs an array of shape {tuple(shape)} ({nbytes / 2**30:.1f} GiB of "
            f"{np.dtype(dtype)}), more than cnnlib's memory budget of "
            f"{MEMORY_BUDGET / 2**30:.1f} GiB (cnnlib._validate.MEMORY_BUDGET). "
            + (fix or "Use smaller sizes.")
        )

"""Pooling: max, average, adaptive average and global average, with backward passes.

Pooling slides a window over each channel of an ``(N, C, H, W)`` input independently and
summarises the window by one number: its maximum or its mean. It has no parameters. Sizes
follow PyTorch (``torch.nn.functional.max_pool2d`` / ``avg_pool2d``) and come from
:func:`cnnlib.shapes.pool_output_shape`::

    H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1      (ceil with ceil_mode, see shapes)

``stride`` defaults to ``kernel_size`` (windows side by side, no overlap), so a 2x2 pool halves
the height and width: 224x224x64 -> 112x112x64.

How it is computed: :func:`_windows` is a *view* of the padded input with shape
``(N, C, H_out, W_out, kH, kW)`` (numpy's ``sliding_window_view``, strided, no copy), so
``windows[n, c, i, j]`` is the ``kH x kW`` window under output cell ``(i, j)``. The reductions
loop over the ``kH * kW`` offsets inside a window, combining whole ``(N, C, H_out, W_out)``
slices at once; the backward passes write through the same view into the input's gradient.

Max pooling's backward needs only which cell won each window: ``out, cache =
max_pool2d_forward(x, 2)`` keeps the winners and ``max_pool2d_backward(dout, cache)`` sends each
gradient there. To read first: :func:`max_pool2d_naive` and :func:`avg_pool2d_naive` (and
their backward passes) at the end of this module, plain loops over the windows.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import (
    SettingError,
    SettingTypeError,
    as_tuple,
    check_array,
    check_bool,
    check_dout,
    check_size,
)
from .shapes import pool_output_shape

__all__ = [
    "max_pool2d",
    "max_pool2d_forward",
    "MaxPoolCache",
    "max_pool2d_indices",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "global_avg_pool2d",
    "global_avg_pool2d_backward",
    "max_pool2d_naive",
    "max_pool2d_naive_backward",
    "avg_pool2d_naive",
    "avg_pool2d_naive_backward",
]


class _Geometry(NamedTuple):
    """Pooling settings resolved to (height, width) pairs, and the resulting sizes."""

    input: tuple[int, int]       # (H, W)
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]     # cells added before (top, left)
    dilation: tuple[int, int]
    output: tuple[int, int]      # (H_out, W_out)
    pad_after: tuple[int, int]   # cells added after (bottom, right) so that every window fits


def _geometry(x, kernel_size, stride, padding, dilation, ceil_mode) -> _Geometry:
    """Check the arguments of a 2-D pooling and resolve them (PyTorch's rules)."""
    check_array(x, "x", 4, "(N, C, H, W)")
    check_bool(ceil_mode, "ceil_mode")
    kernel = as_tuple(kernel_size, 2, "kernel_size", 1)
    stride = kernel if stride is None else as_tuple(stride, 2, "stride", 1)
    padding = as_tuple(padding, 2, "padding", 0)
    dilation = as_tuple(dilation, 2, "dilation", 1)
    size = x.shape[2:]
    _check_spatial(x)
    output = pool_output_shape(size, kernel, stride, padding, dilation, ceil_mode)
    # The last window ends at (o - 1) s + d (k - 1) + 1 in padded coordinates; with ceil_mode
    # it may run past the right padding, so pad as far as it reaches (and no further).
    pad_after = tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - p - i)
                      for i, k, s, p, d, o in zip(size, kernel, stride, padding, dilation, output))
    padded = tuple(p + i + a for p, i, a in zip(padding, size, pad_after))
    check_size(x.shape[:2] + padded, x.dtype, "padding",  # the padded copy; the output is smaller
               "Use less padding, fewer images or smaller ones.")
    return _Geometry(size, kernel, stride, padding, dilation, output, pad_after)


def _check_spatial(x: np.ndarray) -> None:
    """Refuse an image with no rows or no columns: there is nothing to pool."""
    if 0 in x.shape[2:]:
        raise SettingError(
            f"x has shape {x.shape}: an image with {x.shape[2]} rows and {x.shape[3]} columns "
            f"has nothing to pool. Pass images with H >= 1 and W >= 1."
        )


def _pad(x: np.ndarray, g: _Geometry, fill: float) -> np.ndarray:
    """``x`` with ``fill`` added around H and W as ``g`` says (``x`` itself if no padding)."""
    (top, left), (bottom, right) = g.padding, g.pad_after
    if top == left == bottom == right == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)


def _windows(padded: np.ndarray, g: _Geometry, writeable: bool = False) -> np.ndarray:
    """View ``(N, C, H_out, W_out, kH, kW)`` of the pooling windows of a padded input (no copy).

    ``windows[n, c, i, j, a, b] = padded[n, c, i * sH + a * dH, j * sW + b * dW]``.
    ``writeable=True`` lets the backward passes add into ``padded`` through the view: one
    offset ``windows[..., a, b]`` never touches the same cell twice.
    """
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = g.kernel, g.stride, g.dilation, g.output
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = sliding_window_view(padded, span, axis=(2, 3), writeable=writeable)
    return view[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]


def _offsets(g: _Geometry):
    """The ``(a, b)`` offsets inside a window, row by row (the order PyTorch scans them)."""
    return np.ndindex(*g.kernel)


def _reduce_windows(windows: np.ndarray, g: _Geometry, ufunc) -> np.ndarray:
    """Combine the cells of each window with ``ufunc`` (``np.maximum`` or ``np.add``)."""
    cells = (windows[..., a, b] for a, b in _offsets(g))
    out = next(cells).copy()
    for cell in cells:
        ufunc(out, cell, out=out)
    return out


def _scatter_windows(x_shape, dtype, g: _Geometry, contributions) -> np.ndarray:
    """Gradient w.r.t. ``x``: add one ``(N, C, H_out, W_out)`` array per window offset.

    ``contributions`` yields, in :func:`_offsets` order, how much each output cell's gradient
    sends to the input cell at that offset of its window. Overlapping windows add up.
    """
    (top, left), (bottom, right), (h, w) = g.padding, g.pad_after, g.input
    dpadded = np.zeros(x_shape[:2] + (top + h + bottom, left + w + right), dtype=dtype)
    dwindows = _windows(dpadded, g, writeable=True)
    for (a, b), contribution in zip(_offsets(g), contributions):
        dwindows[..., a, b] += contribution
    return dpadded[:, :, top:top + h, left:left + w]


# --- max pooling ----------------------------------------------------------------------------

def max_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False) -> np.ndarray:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    ``out[n, c, i, j] = max_{a, b} x_pad[n, c, i*sH + a*dH, j*sW + b*dW]``, where ``x_pad``
    is ``x`` padded with ``-inf`` (padding never wins a maximum). NaN propagates.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        At most half the effective kernel ``d(k - 1) + 1``.
    dilation : int or (int, int)
        Spacing between the cells of a window.
    ceil_mode : bool
        Round the output size up instead of down (see :func:`cnnlib.shapes.pool_output_size`).

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out), dtype of ``x``
    """
    g = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    return _reduce_windows(_windows(_pad(x, g, -np.inf), g), g, np.maximum)


class MaxPoolCache(NamedTuple):
    """What :func:`max_pool2d_backward` needs: which cell won each window, and the geometry."""

    winner: np.ndarray       # (N, C, H_out, W_out): offset a * kW + b of the winning cell
    geometry: _Geometry
    x_shape: tuple
    dtype: np.dtype


def max_pool2d_forward(x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode: bool = False):
    """:func:`max_pool2d` and the cache of its backward: returns ``(out, cache)``.

    The cache holds the winner of every window (``(N, C, H_out, W_out)`` integers), the only
    thing the gradient needs to know about ``x``.
    """
    g = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    windows = _windows(_pad(x, g, -np.inf), g)
    out = _reduce_windows(windows, g, np.maximum)
    return out, MaxPoolCache(_max_winners(windows, out, g), g, x.shape, x.dtype)


def _max_winners(windows: np.ndarray, best: np.ndarray, g: _Geometry) -> np.ndarray:
    """Offset ``a * kW + b`` of the cell that wins each window's max, shape (N, C, H_out, W_out).

    Follows PyTorch, which scans a window row by row and keeps a cell when it is larger than
    the best so far or NaN: ties go to the first maximum, a NaN beats everything (the last
    NaN of the window), padding never wins, and a window whose real cells are all ``-inf``
    picks its first real cell. (A dilated window can even miss every real cell; it then
    picks its first cell at or after the input's start, whose gradient is dropped.)
    """
    cells = [windows[..., a, b] for a, b in _offsets(g)]
    winner = np.zeros(best.shape, dtype=np.intp)
    for offset in reversed(range(len(cells))):        # the first maximum is written last
        np.copyto(winner, offset, where=cells[offset] == best)
    if np.isnan(best).any():
        for offset, cell in enumerate(cells):         # the last NaN is written last
            np.copyto(winner, offset, where=np.isnan(cell))
    first_real = [np.maximum(0, -((np.arange(o) * s - p) // d))    # first a: o s - p + a d >= 0
                  for o, s, p, d in zip(g.output, g.stride, g.padding, g.dilation)]
    np.copyto(winner, first_real[0][:, None] * g.kernel[1] + first_real[1],
              where=best == -np.inf)
    return winner


def max_pool2d_indices(x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode: bool = False) -> np.ndarray:
    """Which input cell wins each max: flat indices ``row * W + col`` into each H x W plane.

    The indices ``torch.nn.functional.max_pool2d(..., return_indices=True)`` returns (ties go
    to the first maximum, scanning the window row by row). The pooled values are
    ``x.reshape(N, C, H * W)`` taken at these indices. Arguments as :func:`max_pool2d`.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out), int64
    """
    g = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    a, b = np.divmod(max_pool2d_forward(x, kernel_size, stride, padding, dilation,
                                        ceil_mode)[1].winner, g.kernel[1])
    (oh, ow), (sh, sw), (ph, pw), (dh, dw) = g.output, g.stride, g.padding, g.dilation
    rows = (np.arange(oh) * sh - ph)[:, None] + a * dh
    cols = np.arange(ow) * sw - pw + b * dw
    return (rows * g.input[1] + cols).astype(np.int64)


def max_pool2d_backward(dout: np.ndarray, cache: MaxPoolCache) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    Each output's gradient goes to the one input cell that won its maximum (the first one on
    ties, as :func:`max_pool2d_indices`); a cell that wins several overlapping windows
    collects all their gradients, and a cell that wins none gets 0.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Gradient of the loss with respect to the output of :func:`max_pool2d`.
    cache : MaxPoolCache
        The second value :func:`max_pool2d_forward` returned.

    Returns
    -------
    ndarray, shape and dtype of the forward's ``x``
    """
    if not isinstance(cache, MaxPoolCache):
        raise SettingTypeError(
            f"cache must be the MaxPoolCache that max_pool2d_forward returned (out, cache = "
            f"max_pool2d_forward(x, kernel_size, ...)), got {type(cache).__name__}."
        )
    winner, g, x_shape, dtype = cache
    dout = check_dout(dout, x_shape[:2] + g.output, dtype)
    zero = np.zeros((), dtype=dtype)
    per_offset = (np.where(winner == offset, dout, zero) for offset in range(math.prod(g.kernel)))
    return _scatter_windows(x_shape, dtype, g, per_offset)


# --- average pooling ------------------------------------------------------------------------

def _avg_divisor(g: _Geometry, count_include_pad: bool, dtype) -> np.ndarray:
    """What each window's sum is divided by, shape (H_out, W_out), as PyTorch's kernel does.

    Along one axis a window covers ``[start, end)`` with ``start = o s - p`` and
    ``end = min(start + k, i + p)`` (a ceil_mode window is clipped to the padded input). With
    ``count_include_pad`` the divisor counts those cells, padding included; otherwise only the
    real cells ``[max(start, 0), min(end, i))``. The 2-D divisor is the product of both axes.
    """
    counts = []
    for i, k, s, p, o in zip(g.input, g.kernel, g.stride, g.padding, g.output):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, i + p)
        counts.append(end - start if count_include_pad
                      else np.minimum(end, i) - np.maximum(start, 0))
    return np.outer(*counts).astype(dtype)


def _avg_geometry(x, kernel_size, stride, padding, ceil_mode, count_include_pad) -> _Geometry:
    """Resolve the arguments of :func:`avg_pool2d` (no dilation in average pooling)."""
    check_bool(count_include_pad, "count_include_pad")
    return _geometry(x, kernel_size, stride, padding, 1, ceil_mode)


def avg_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> np.ndarray:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    ``out[n, c, i, j] = sum of the window of x_pad / divisor[i, j]`` with ``x_pad`` zero-padded.
    The divisor is ``kH * kW`` for every window that lies inside the padded input. With
    ``count_include_pad=False`` it counts only the real (not padding) cells. With ``ceil_mode``
    the last window may run past the padded input; PyTorch then divides by the part of the
    window inside the padded input (or by its real cells when ``count_include_pad=False``),
    and so does this function.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float
    kernel_size, stride, padding, ceil_mode
        As :func:`max_pool2d` (``stride`` defaults to ``kernel_size``).
    count_include_pad : bool
        Count the zero padding in the divisor (PyTorch's default).

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out), dtype of ``x``
    """
    g = _avg_geometry(x, kernel_size, stride, padding, ceil_mode, count_include_pad)
    total = _reduce_windows(_windows(_pad(x, g, 0), g), g, np.add)
    return total / _avg_divisor(g, count_include_pad, x.dtype)


def avg_pool2d_backward(dout: np.ndarray, x: np.ndarray, kernel_size, stride=None, padding=0,
                        ceil_mode: bool = False, count_include_pad: bool = True) -> np.ndarray:
    """Gradient of :func:`avg_pool2d` with respect to ``x``.

    Every cell of a window receives ``dout / divisor`` of that window; overlapping windows
    add up.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Gradient of the loss with respect to the output of :func:`avg_pool2d`.
    x, kernel_size, stride, padding, ceil_mode, count_include_pad
        The arguments of the forward call.

    Returns
    -------
    ndarray, shape of ``x``, dtype of ``x``
    """
    g = _avg_geometry(x, kernel_size, stride, padding, ceil_mode, count_include_pad)
    dout = check_dout(dout, x.shape[:2] + g.output, x.dtype)
    share = dout / _avg_divisor(g, count_include_pad, x.dtype)
    return _scatter_windows(x.shape, x.dtype, g, itertools.repeat(share))


# --- adaptive and global average pooling ----------------------------------------------------

def _adaptive_output_size(x, output_size) -> tuple[int, int]:
    """Resolve ``output_size`` (int, or pair whose ``None`` entries keep the input size)."""
    check_array(x, "x", 4, "(N, C, H, W)")
    _check_spatial(x)
    if output_size is None or isinstance(output_size, (tuple, list)):
        pair = (None, None) if output_size is None else tuple(output_size)
        if len(pair) != 2:
            raise SettingError(
                f"output_size must be an int or a pair (H_out, W_out), got {output_size!r}."
            )
        output_size = tuple(i if o is None else o for i, o in zip(x.shape[2:], pair))
    output_size = as_tuple(output_size, 2, "output_size", 1)
    check_size(x.shape[:2] + output_size, x.dtype, "output_size")
    return output_size


def _adaptive_bins(input_size: int, output_size: int, dtype) -> np.ndarray:
    """Averaging matrix, shape (output_size, input_size), of PyTorch's adaptive pooling.

    Output ``o`` averages the input cells ``[floor(o i / out), ceil((o + 1) i / out))``, so
    row ``o`` holds ``1 / (end - start)`` on those columns and 0 elsewhere.
    """
    o = np.arange(output_size)
    start = o * input_size // output_size
    end = -(-(o + 1) * input_size // output_size)
    cells = np.arange(input_size)
    inside = (cells >= start[:, None]) & (cells < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(x: np.ndarray, output_size) -> np.ndarray:
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output row ``i`` averages input rows ``floor(i H / H_out)`` to ``ceil((i + 1) H / H_out) - 1``
    (and likewise for columns), so the bins cover the input whatever its size: torchvision's
    AlexNet uses it to turn any feature map into 6x6. Since each bin is a rectangle, the
    average is ``A_h @ x @ A_w.T`` with the averaging matrices of :func:`_adaptive_bins`.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float
    output_size : int or (int or None, int or None)
        ``None`` keeps that axis's input size.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out), dtype of ``x``
    """
    oh, ow = _adaptive_output_size(x, output_size)
    h, w = x.shape[2:]
    return _adaptive_bins(h, oh, x.dtype) @ x @ _adaptive_bins(w, ow, x.dtype).T


def adaptive_avg_pool2d_backward(dout: np.ndarray, x: np.ndarray, output_size) -> np.ndarray:
    """Gradient of :func:`adaptive_avg_pool2d`: ``dx = A_h.T @ dout @ A_w``.

    ``dout`` has shape (N, C, H_out, W_out); ``dx`` has the shape and dtype of ``x``.
    """
    oh, ow = _adaptive_output_size(x, output_size)
    h, w = x.shape[2:]
    dout = check_dout(dout, x.shape[:2] + (oh, ow), x.dtype)
    return _adaptive_bins(h, oh, x.dtype).T @ dout @ _adaptive_bins(w, ow, x.dtype)


def global_avg_pool2d(x: np.ndarray) -> np.ndarray:
    """Mean of each channel over all positions: (N, C, H, W) -> (N, C, 1, 1)."""
    check_array(x, "x", 4, "(N, C, H, W)")
    _check_spatial(x)
    return x.mean(axis=(2, 3), keepdims=True)


def global_avg_pool2d_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of :func:`global_avg_pool2d`: every cell gets ``dout / (H W)``.

    ``dout`` has shape (N, C, 1, 1); ``dx`` has the shape and dtype of ``x``.
    """
    check_array(x, "x", 4, "(N, C, H, W)")
    _check_spatial(x)
    dout = check_dout(dout, x.shape[:2] + (1, 1), x.dtype)
    return np.broadcast_to(dout / (x.shape[2] * x.shape[3]), x.shape).copy()


# --- the readable references ----------------------------------------------------------------

def _naive_windows(x, kernel_size, stride, padding, fill):
    """Yield ``(n, c, i, j, rows, cols)`` for every window of ``x`` padded with ``fill``.

    Returns ``(geometry, x_pad, windows)``: ``rows`` and ``cols`` index the padded ``x_pad``.
    """
    g = _geometry(x, kernel_size, stride, padding, 1, False)
    (kh, kw), (sh, sw) = g.kernel, g.stride
    x_pad = _pad(x, g, fill)
    windows = [(n, c, i, j, slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
               for n, c, i, j in np.ndindex(*x.shape[:2], *g.output)]
    return g, x_pad, windows


def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
    """Max pooling with plain loops: the largest value of every window (padding is -inf).

    Same result as :func:`max_pool2d` (without dilation or ceil_mode), slowly.
    """
    g, x_pad, windows = _naive_windows(x, kernel_size, stride, padding, -np.inf)
    out = np.empty(x.shape[:2] + g.output, dtype=x.dtype)
    for n, c, i, j, rows, cols in windows:
        out[n, c, i, j] = x_pad[n, c, rows, cols].max()
    return out


def max_pool2d_naive_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of :func:`max_pool2d_naive`: each window's gradient goes to its first maximum."""
    g, x_pad, windows = _naive_windows(x, kernel_size, stride, padding, -np.inf)
    dout = check_dout(dout, x.shape[:2] + g.output, x.dtype)
    dx_pad = np.zeros_like(x_pad)
    for n, c, i, j, rows, cols in windows:
        window = x_pad[n, c, rows, cols]
        a, b = np.unravel_index(np.argmax(window), window.shape)     # first maximum
        dx_pad[n, c, rows, cols][a, b] += dout[n, c, i, j]
    (top, left), (h, w) = g.padding, g.input
    return dx_pad[:, :, top:top + h, left:left + w]


def avg_pool2d_naive(x, kernel_size, stride=None, padding=0):
    """Average pooling with plain loops: the mean of every window, padded zeros included.

    Same result as :func:`avg_pool2d` with its defaults (``count_include_pad=True``), slowly.
    """
    g, x_pad, windows = _naive_windows(x, kernel_size, stride, padding, 0)
    out = np.empty(x.shape[:2] + g.output, dtype=x.dtype)
    for n, c, i, j, rows, cols in windows:
        out[n, c, i, j] = x_pad[n, c, rows, cols].mean()
    return out


def avg_pool2d_naive_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of :func:`avg_pool2d_naive`: every cell of a window gets ``dout / (kH kW)``."""
    g, x_pad, windows = _naive_windows(x, kernel_size, stride, padding, 0)
    dout = check_dout(dout, x.shape[:2] + g.output, x.dtype)
    dx_pad = np.zeros_like(x_pad)
    for n, c, i, j, rows, cols in windows:
        dx_pad[n, c, rows, cols] += dout[n, c, i, j] / math.prod(g.kernel)
    (top, left), (h, w) = g.padding, g.input
    return dx_pad[:, :, top:top + h, left:left + w]

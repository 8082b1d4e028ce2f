"""Convolution over any number of spatial axes: padding, the im2col lowering, forward, backward.

Arrays follow PyTorch: an input ``x`` is ``(N, C, *spatial)`` (``(N, C, L)``, ``(N, C, H, W)``
or ``(N, C, D, H, W)``) and a weight is ``(O, C / groups, *kernel)``. What deep-learning
libraries call convolution is a cross-correlation (the kernel is not flipped)::

    out[n, o, p] = bias[o] + sum_{c, k} weight[o, c, k] * x_padded[n, g*C/groups + c, p*s + k*d]

where ``g = o // (O / groups)`` is the group of output channel ``o``, ``p`` runs over output
positions and ``k`` over kernel offsets (both are tuples with one entry per spatial axis).
Each output value is the Frobenius inner product of a filter with the window it covers: the
filter has the same depth as the input (``C / groups`` channels), so it sums over channels too.

The fast path lowers the convolution to one matrix product per group (:func:`im2col`): copy
every window into a column, then ``weight.reshape(O, -1) @ columns``. The backward pass is two
more products and the adjoint of the copy (:func:`col2im`). As in CS231n, the forward can hand
back what the backward needs: ``out, cache = conv2d_forward(x, weight, ...)`` keeps the columns,
and ``dx, dweight, dbias = conv2d_backward(dout, cache)`` uses them instead of copying the
windows again. :func:`conv2d_naive` and :func:`conv2d_naive_backward` compute the same things
with plain loops, to read line by line.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import (
    SettingError,
    SettingTypeError,
    as_tuple,
    check_array,
    check_dout,
    check_int,
    check_same_dtype,
    check_size,
)
from .shapes import conv_output_shape, resolve_padding

__all__ = [
    "pad",
    "im2col",
    "col2im",
    "conv",
    "conv_forward",
    "ConvCache",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_backward",
    "conv2d_backward",
    "conv2d_forward",
    "conv2d_naive",
    "conv2d_naive_backward",
]

COLUMN_BUDGET = 256 * 2**20
"""Bytes of columns that :func:`conv_forward` lowers at once (at least one image): a bound on
the extra memory, not a speed trick (16 MiB chunks measured no faster on AlexNet). A batch
within it is lowered whole and its columns are kept for the backward pass; a larger batch is
lowered a few images at a time and the backward lowers it again."""


_LAYOUTS = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}
_NP_PAD_MODES = {"zeros": "constant", "constant": "constant", "reflect": "reflect",
                 "replicate": "edge", "circular": "wrap"}


# --------------------------------------------------------------------------------------------
# Padding
# --------------------------------------------------------------------------------------------

def _pad_pairs(padding, n: int) -> tuple[tuple[int, int], ...]:
    """Normalise a convolution's ``padding`` to one ``(before, after)`` pair per spatial axis.

    Accepts an int (every side), ``n`` ints (both sides of each axis, first axis first, as
    ``torch.nn.Conv2d(padding=(p_h, p_w))``) or ``n`` pairs.
    """
    if isinstance(padding, (tuple, list)) and any(isinstance(p, (tuple, list)) for p in padding):
        if len(padding) != n:
            raise SettingError(
                f"padding must have {n} (before, after) pairs (one per spatial axis), got "
                f"{len(padding)}: {padding!r}."
            )
        return tuple(as_tuple(pair, 2, f"padding[{i}]", 0) for i, pair in enumerate(padding))
    return tuple((p, p) for p in as_tuple(padding, n, "padding", 0))


def _torch_pad_pairs(padding, n: int) -> tuple[tuple[int, int], ...]:
    """``(before, after)`` per spatial axis from ``torch.nn.functional.pad``'s ``padding``.

    An int pads every side; a flat sequence lists the *last* axis first:
    ``(left, right)``, then ``(left, right, top, bottom)``, then ``(..., front, back)``.
    Axes it does not reach are not padded.
    """
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return ((check_int(padding, "padding", 0),) * 2,) * n
    if isinstance(padding, str) or not isinstance(padding, (tuple, list)) or any(
            isinstance(p, (tuple, list)) for p in padding):
        raise SettingTypeError(
            f"padding must be an int or a flat tuple of ints as in torch.nn.functional.pad "
            f"(last axis first: (left, right, top, bottom, ...)), got {padding!r}."
        )
    if len(padding) % 2 or not 2 <= len(padding) <= 2 * n:
        sizes = " or ".join(str(2 * i) for i in range(1, n + 1))
        raise SettingError(
            f"padding must have {sizes} values, (before, after) pairs starting from the last "
            f"axis as in torch.nn.functional.pad, e.g. (left, right, top, bottom); got "
            f"{len(padding)}: {padding!r}."
        )
    flat = [check_int(p, f"padding[{i}]", 0) for i, p in enumerate(padding)]
    pairs = [tuple(flat[i:i + 2]) for i in range(0, len(flat), 2)][::-1]  # first axis first
    return ((0, 0),) * (n - len(pairs)) + tuple(pairs)


def pad(x: np.ndarray, padding, mode: str = "zeros") -> np.ndarray:
    """Pad the spatial axes of ``x`` (every axis after batch and channel), as
    ``torch.nn.functional.pad``.

    Parameters
    ----------
    x : ndarray, shape ``(N, C, *spatial)`` with 1 to 3 spatial axes
    padding : int or tuple of int
        Cells added on each side. One int pads every side of every spatial axis. A tuple lists
        ``(before, after)`` pairs starting from the **last** axis, as PyTorch does:
        ``pad(x, (1, 2))`` adds 1 column on the left and 2 on the right;
        ``pad(x, (1, 2, 3, 4))`` also adds 3 rows on top and 4 at the bottom.
    mode : {"zeros", "constant", "reflect", "replicate", "circular"}
        What fills the border (PyTorch's ``padding_mode``), for the row ``1 2 3`` padded by 2:

        - ``"zeros"`` (alias ``"constant"``): ``0 0 | 1 2 3 | 0 0``
        - ``"reflect"``: mirror without repeating the edge, ``3 2 | 1 2 3 | 2 1``
        - ``"replicate"``: repeat the edge value, ``1 1 | 1 2 3 | 3 3``
        - ``"circular"``: wrap around, ``2 3 | 1 2 3 | 1 2``

    Returns
    -------
    ndarray, shape ``(N, C, *(size + before + after))``, dtype of ``x``
    """
    x = check_array(x, "x", (3, 4, 5), "(N, C, *spatial)")
    if mode not in _NP_PAD_MODES:
        raise SettingError(
            f"mode must be one of {', '.join(map(repr, _NP_PAD_MODES))}, got {mode!r}."
        )
    pairs = _torch_pad_pairs(padding, x.ndim - 2)
    for axis, (size, (before, after)) in enumerate(zip(x.shape[2:], pairs)):
        if mode == "reflect" and max(before, after) >= size:
            raise SettingError(
                f"reflect padding must be smaller than the input size: padding "
                f"{(before, after)} on spatial axis {axis} of size {size}. Use padding <= "
                f"{size - 1} there, or mode='replicate'."
            )
        if mode == "circular" and max(before, after) > size:
            raise SettingError(
                f"circular padding can wrap at most once: padding {(before, after)} on spatial "
                f"axis {axis} of size {size}. Use padding <= {size} there."
            )
    check_size(x.shape[:2] + tuple(i + b + a for i, (b, a) in zip(x.shape[2:], pairs)),
               x.dtype, "padding")
    return np.pad(x, ((0, 0), (0, 0)) + pairs, mode=_NP_PAD_MODES[mode])


# --------------------------------------------------------------------------------------------
# The lowering: im2col and its adjoint col2im
# --------------------------------------------------------------------------------------------

class _Lowering(NamedTuple):
    """Checked window settings of an im2col, one value per spatial axis."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]    # (before, after)
    out_shape: tuple[int, ...]


def _lowering(input_shape, kernel_size, stride, padding, dilation, name="x") -> _Lowering:
    """Check the window settings of an ``(N, C, *spatial)`` input and compute the output size."""
    n = len(input_shape) - 2
    kernel = as_tuple(kernel_size, n, "kernel_size", 1)
    stride = as_tuple(stride, n, "stride", 1)
    dilation = as_tuple(dilation, n, "dilation", 1)
    pads = _pad_pairs(padding, n)
    _check_spatial(input_shape, name)
    padded = tuple(i + b + a for i, (b, a) in zip(input_shape[2:], pads))
    out_shape = conv_output_shape(padded, kernel, stride, 0, dilation)
    return _Lowering(kernel, stride, dilation, pads, out_shape)


def _check_spatial(shape, name: str) -> None:
    """Refuse an input with an empty spatial axis (there is nothing to slide a window over)."""
    if 0 in tuple(shape)[2:]:
        raise SettingError(
            f"{name} has an empty spatial axis: shape {tuple(shape)}. Every axis after batch "
            f"and channel needs at least one cell."
        )


def _windows(padded: np.ndarray, g: _Lowering, writeable: bool = False) -> np.ndarray:
    """View ``(N, C, *out_shape, *kernel)`` of every window of a padded input (no copy).

    ``windows[n, c, p, k] = padded[n, c, p*s + k*d]`` (``p``, ``k``, ``s``, ``d`` one entry
    per spatial axis): numpy's ``sliding_window_view`` gives every window of the dilated
    kernel's span at every position; keep every ``s``-th position and every ``d``-th cell.
    """
    n = len(g.kernel)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(g.kernel, g.dilation))
    view = sliding_window_view(padded, spans, axis=tuple(range(2, 2 + n)), writeable=writeable)
    positions = tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(g.out_shape, g.stride))
    cells = tuple(slice(None, None, d) for d in g.dilation)
    return view[(slice(None), slice(None)) + positions + cells]


def _im2col(x: np.ndarray, g: _Lowering) -> np.ndarray:
    """:func:`im2col` without the checks: ``(C * prod(kernel), N * prod(out_shape))``."""
    n = len(g.kernel)
    windows = _windows(np.pad(x, ((0, 0), (0, 0)) + g.pads), g)      # (N, C, *out, *kernel)
    rows_then_columns = (1, *range(2 + n, 2 + 2 * n), 0, *range(2, 2 + n))  # (C, *k, N, *out)
    return windows.transpose(rows_then_columns).reshape(
        x.shape[1] * math.prod(g.kernel), -1)                        # the one copy


def _col2im(cols: np.ndarray, input_shape, g: _Lowering) -> np.ndarray:
    """:func:`col2im` without the checks."""
    n_images, channels, *size = input_shape
    padded = tuple(i + b + a for i, (b, a) in zip(size, g.pads))
    dpadded = np.zeros((n_images, channels) + padded, dtype=cols.dtype)
    dwindows = _windows(dpadded, g, writeable=True)                  # (N, C, *out, *kernel)
    blocks = cols.reshape((channels, *g.kernel, n_images, *g.out_shape))
    for offset in np.ndindex(*g.kernel):
        # One kernel offset never meets the same cell twice, so adding through the view is
        # exact; the loop over offsets is where overlapping windows add up.
        dwindows[(...,) + offset] += blocks[(slice(None),) + offset].swapaxes(0, 1)
    interior = tuple(slice(b, b + i) for i, (b, _) in zip(size, g.pads))
    return dpadded[(slice(None), slice(None)) + interior]


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Copy every window of ``x`` into a column, so that a convolution becomes one matmul.

    Works for 1, 2 or 3 spatial axes; the 2-D case reads::

        cols[(c, i, j), (n, y, x)] = x_padded[n, c, y*s_h + i*d_h, x*s_w + j*d_w]

    The row index runs over channel ``c`` then kernel offset ``(i, j)`` (``C * kH * kW`` rows,
    the same order as ``weight[o].ravel()``), the column index over image ``n`` then output
    position ``(y, x)`` (``N * H_out * W_out`` columns): column ``(n, y, x)`` is the window
    under output cell ``(y, x)`` of image ``n``, flattened. So
    ``weight.reshape(O, -1) @ cols`` is the convolution, with shape ``(O, N * H_out * W_out)``.

    How: ``sliding_window_view`` of the zero-padded input is a view ``(N, C, H_out, W_out,
    kH, kW)`` of all windows (no copy); reordering its axes to ``(C, kH, kW, N, H_out, W_out)``
    and reshaping to a matrix makes the one copy. The extra memory is the result,
    ``C * kH * kW * N * H_out * W_out`` values, plus one padded copy of ``x``.

    Parameters
    ----------
    x : ndarray, shape ``(N, C, *spatial)``
    kernel_size, stride, dilation : int or one int per spatial axis
    padding : int, one int per spatial axis, or one (before, after) pair per spatial axis
        Zero padding.

    Returns
    -------
    ndarray, shape ``(C * prod(kernel), N * prod(out_shape))``, dtype of ``x``
    """
    x = check_array(x, "x", (3, 4, 5), "(N, C, *spatial)")
    g = _lowering(x.shape, kernel_size, stride, padding, dilation)
    check_size((x.shape[1] * math.prod(g.kernel), len(x) * math.prod(g.out_shape)),
               x.dtype, "im2col(x, kernel_size, ...)",
               "Lower fewer images at a time, or use a smaller input.")
    return _im2col(x, g)


def col2im(cols: np.ndarray, input_shape, kernel_size, stride=1, padding=0,
           dilation=1) -> np.ndarray:
    """Adjoint of :func:`im2col`: add every column back onto the window it came from.

    Where windows overlap, their contributions add up, so ``col2im(im2col(x))`` is not ``x``
    but ``x`` times the number of windows covering each cell. What it is: the transpose of the
    linear map ``im2col``, ``<im2col(x), cols> == <x, col2im(cols)>``, which is exactly what the
    backward pass of a convolution needs to turn column gradients into input gradients.

    How: a zero padded image, and a writeable ``sliding_window_view`` of its windows; for each
    kernel offset, the block of rows of ``cols`` for that offset is added onto the cells that
    offset covers.

    Parameters
    ----------
    cols : ndarray, shape ``(C * prod(kernel), N * prod(out_shape))``
        Same layout as the output of :func:`im2col`.
    input_shape : tuple ``(N, C, *spatial)``
        Shape of the unpadded input.
    kernel_size, stride, padding, dilation
        As for :func:`im2col`.

    Returns
    -------
    ndarray, shape ``input_shape``, dtype of ``cols``
    """
    if not isinstance(input_shape, (tuple, list)):
        raise SettingTypeError(
            f"input_shape must be the tuple (N, C, *spatial) of the image that im2col lowered, "
            f"e.g. x.shape, got {input_shape!r}."
        )
    input_shape = tuple(input_shape)
    if len(input_shape) not in _LAYOUTS:
        raise SettingError(
            f"input_shape must be (N, C, *spatial) with 1 to 3 spatial axes, got {input_shape}."
        )
    input_shape = as_tuple(input_shape, len(input_shape), "input_shape", 1)
    g = _lowering(input_shape, kernel_size, stride, padding, dilation, "input_shape")
    check_size(input_shape, getattr(cols, "dtype", np.float64), "input_shape")
    expected = (input_shape[1] * math.prod(g.kernel), input_shape[0] * math.prod(g.out_shape))
    cols = check_array(cols, "cols", 2, "(C * prod(kernel), N * prod(out_shape))")
    if cols.shape != expected:
        raise SettingError(
            f"cols must have shape {expected} for input_shape={input_shape} and these window "
            f"settings (what im2col returns), got {cols.shape}."
        )
    return _col2im(cols, input_shape, g)


# --------------------------------------------------------------------------------------------
# Checks shared by the fast path and the naive reference
# --------------------------------------------------------------------------------------------

class _ConvSpec(NamedTuple):
    """Checked convolution settings: the window geometry and the number of groups."""

    lowering: _Lowering
    groups: int


def _check_conv(x, weight, bias, stride, padding, dilation, groups, ndim=(3, 4, 5)) -> _ConvSpec:
    """Validate the arguments of a convolution; return the settings expanded per axis.

    ``ndim``: the numbers of axes ``x`` may have (4 for :func:`conv2d`)."""
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    layout = " or ".join(_LAYOUTS[d] for d in allowed)
    x = check_array(x, "x", allowed, layout)
    spatial_names = {3: "kL", 4: "kH, kW", 5: "kD, kH, kW"}[x.ndim]
    weight = check_array(weight, "weight", x.ndim,
                         f"(out_channels, in_channels / groups, {spatial_names})")
    check_same_dtype(weight, "weight", x)
    groups = check_int(groups, "groups", 1)
    channels, out_channels = x.shape[1], weight.shape[0]
    if 0 in (len(x), channels, out_channels):
        raise SettingError(
            f"nothing to convolve: x has shape {x.shape} and weight {weight.shape}. Pass at least "
            f"one image (x.shape[0]) with one channel (x.shape[1]), and one filter "
            f"(weight.shape[0])."
        )
    _check_spatial(x.shape, "x")
    if channels % groups or out_channels % groups:
        raise SettingError(
            f"groups={groups} must divide both the input channels (x.shape[1] = {channels}) "
            f"and the output channels (weight.shape[0] = {out_channels})."
        )
    if weight.shape[1] * groups != channels:
        raise SettingError(
            f"channel mismatch: x has {channels} channels but weight.shape[1] * groups = "
            f"{weight.shape[1]} * {groups} = {weight.shape[1] * groups}. The filter depth must "
            f"equal the input depth (per group): use a weight of shape "
            f"({out_channels}, {channels // groups}, {', '.join(map(str, weight.shape[2:]))})."
        )
    if bias is not None:
        bias = check_array(bias, "bias", 1, "(out_channels,)")
        if bias.shape != (out_channels,):
            raise SettingError(
                f"bias must have shape ({out_channels},), one value per output channel, "
                f"got {bias.shape}."
            )
        check_same_dtype(bias, "bias", x)
    n = x.ndim - 2
    kernel = weight.shape[2:]
    stride = as_tuple(stride, n, "stride", 1)
    dilation = as_tuple(dilation, n, "dilation", 1)
    if isinstance(padding, str):
        pads = tuple(resolve_padding(padding, k, s, d)
                     for k, s, d in zip(kernel, stride, dilation))
    else:
        pads = tuple((p, p) for p in as_tuple(padding, n, "padding", 0))
    padded = tuple(i + b + a for i, (b, a) in zip(x.shape[2:], pads))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(span > size for span, size in zip(spans, padded)):
        dilated = f" (dilation {dilation} stretches it to {spans})" if max(dilation) > 1 else ""
        raise SettingError(
            f"the kernel {kernel} (weight.shape[2:]){dilated} is larger than the padded input "
            f"{padded} (x.shape[2:] = {x.shape[2:]} plus padding): the output would be empty. "
            f"Use a smaller kernel, more padding or a larger input."
        )
    out_shape = conv_output_shape(padded, kernel, stride, 0, dilation)
    check_size((len(x), out_channels) + out_shape, x.dtype, "the output of x and weight",
               "Use fewer images or a smaller input.")
    return _ConvSpec(_Lowering(tuple(kernel), stride, dilation, pads, out_shape), groups)


# --------------------------------------------------------------------------------------------
# Fast path: forward and backward
# --------------------------------------------------------------------------------------------

class ConvCache(NamedTuple):
    """What :func:`conv_backward` needs from the forward pass (see :func:`conv_forward`).

    ``cols`` is ``im2col(x)`` as the forward computed it, shape
    ``(groups, C/groups * prod(kernel), N * prod(out_shape))``, or ``None`` when the batch was
    lowered in chunks to stay under ``COLUMN_BUDGET`` (backward then lowers ``x`` again, one
    chunk at a time). ``x`` and ``weight`` are the forward's arrays (not copies).
    """

    x: np.ndarray
    weight: np.ndarray
    cols: np.ndarray | None
    spec: _ConvSpec
    has_bias: bool


def conv_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1,
                 padding=0, dilation=1, groups: int = 1, *, _ndim=(3, 4, 5)):
    """Convolution (cross-correlation) over 1, 2 or 3 spatial axes, and the cache of its backward.

    ``out[n, o, p] = bias[o] + sum_{c, k} weight[o, c, k] * x_padded[n, g*C/G + c, p*s + k*d]``
    with ``g = o // (O / G)`` the group of output channel ``o`` (see the module docstring).

    How: ``cols = im2col(x)``, then one matrix product per group,
    ``weight.reshape(O/G, -1) @ cols``, whose ``(O, N * P)`` result is copied into the output
    with the image axis first. The columns are what the backward pass needs, so they go into
    the cache. A batch whose columns would exceed ``COLUMN_BUDGET`` bytes is lowered a few
    images at a time instead, and its cache keeps no columns.

    Parameters
    ----------
    x : ndarray, shape ``(N, C, *spatial)`` with 1, 2 or 3 spatial axes
    weight : ndarray, shape ``(O, C / groups, *kernel)``, same dtype as ``x``
    bias : ndarray, shape ``(O,)``, optional
    stride, dilation : int or one int per spatial axis, >= 1
    padding : int, one int per spatial axis, ``"same"`` or ``"valid"``
        Zeros added on both sides. ``"same"`` (stride 1 only) keeps the spatial size, putting
        ``total // 2`` cells before and the rest after (``total = d * (k - 1)``).
    groups : int
        Split the channels into ``groups`` independent convolutions; ``groups == C`` with
        ``O == C`` is a depthwise convolution (one filter per channel).

    Returns
    -------
    out : ndarray, shape ``(N, O, *out_shape)``, dtype of ``x``
        ``out_shape[i] = floor((size[i] + pad_before + pad_after - d*(k-1) - 1) / s) + 1``
        (:func:`cnnlib.shapes.conv_output_shape`).
    cache : ConvCache
        Pass it to :func:`conv_backward`.
    """
    spec = _check_conv(x, weight, bias, stride, padding, dilation, groups, _ndim)
    out = np.empty((len(x), len(weight)) + spec.lowering.out_shape, dtype=x.dtype)
    chunks = _image_chunks(x, spec)
    for images in chunks:
        cols = _grouped_im2col(x[images], spec)
        products = np.matmul(_grouped_weight(weight, spec.groups), cols)  # (G, O/G, n * P)
        chunk = out[images]                                               # a view
        # (O, n, P) -> (n, O, P): move the image axis first, straight into the output.
        chunk.reshape(len(chunk), len(weight), -1)[...] = products.reshape(
            len(weight), len(chunk), -1).swapaxes(0, 1)
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * len(spec.lowering.out_shape))
    kept = cols if len(chunks) == 1 else None
    return out, ConvCache(x, weight, kept, spec, bias is not None)


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """Convolution over 1, 2 or 3 spatial axes, as ``torch.nn.functional.conv1d/2d/3d``.

    :func:`conv_forward` without the cache; see it for the parameters.
    """
    return conv_forward(x, weight, bias, stride, padding, dilation, groups)[0]


def _grouped_im2col(x, spec: _ConvSpec) -> np.ndarray:
    """``im2col(x)`` viewed as one matrix per group, ``(G, C/G * prod(kernel), n * P)``."""
    cols = _im2col(x, spec.lowering)
    return cols.reshape(spec.groups, -1, cols.shape[1])


def _grouped_weight(weight: np.ndarray, groups: int) -> np.ndarray:
    """View an ``(O, C/G, *kernel)`` weight as ``(G, O/G, C/G * prod(kernel))`` matrices."""
    return weight.reshape(groups, weight.shape[0] // groups, -1)


def _image_chunks(x, spec: _ConvSpec) -> list[slice]:
    """Split the batch into near-equal slices whose columns fit ``COLUMN_BUDGET`` bytes."""
    g = spec.lowering
    per_image = x.shape[1] * math.prod(g.kernel) * math.prod(g.out_shape) * x.itemsize
    chunks = min(len(x), -(-per_image * len(x) // COLUMN_BUDGET))
    size = -(-len(x) // chunks)
    return [slice(start, start + size) for start in range(0, len(x), size)]


def conv_backward(dout: np.ndarray, cache: ConvCache):
    """Gradients of :func:`conv_forward` with respect to ``x``, ``weight`` and ``bias``.

    With ``cols = im2col(x)`` and ``W = weight.reshape(O, -1)`` (per group), the forward pass
    is ``out = W @ cols + bias``, so::

        dweight = dout @ cols.T          dcols = W.T @ dout          dx = col2im(dcols)
        dbias   = dout summed over the batch and every spatial axis

    where ``dout`` is arranged as a matrix ``(O, N * P)`` like ``cols``. The columns come from
    the cache: nothing of the forward pass is computed again (unless the batch was too large
    to keep them).

    Parameters
    ----------
    dout : ndarray, shape ``(N, O, *out_shape)``
        Gradient of the loss with respect to the output of :func:`conv_forward`.
    cache : ConvCache
        The second value :func:`conv_forward` returned.

    Returns
    -------
    dx : ndarray, shape of ``x``
    dweight : ndarray, shape of ``weight``
    dbias : ndarray of shape ``(O,)``, or None when the forward had no bias
    """
    if not isinstance(cache, ConvCache):
        raise SettingTypeError(
            f"cache must be the ConvCache that conv_forward returned (out, cache = "
            f"conv_forward(x, weight, ...)), got {type(cache).__name__}."
        )
    x, weight, cols, spec, has_bias = cache
    dout = check_dout(dout, (len(x), len(weight)) + spec.lowering.out_shape, x.dtype)
    if cols is not None:
        dx, dweight = _backward_chunk(dout, x.shape, cols, weight, spec)
    else:  # the forward lowered the batch in chunks and kept no columns: lower them again
        parts = [_backward_chunk(dout[images], x[images].shape, _grouped_im2col(x[images], spec),
                                 weight, spec) for images in _image_chunks(x, spec)]
        dx = np.concatenate([dx for dx, _ in parts])
        dweight = functools.reduce(np.add, [dweight for _, dweight in parts])
    dbias = dout.sum(axis=(0,) + tuple(range(2, dout.ndim))) if has_bias else None
    return dx, dweight.reshape(weight.shape), dbias


def _backward_chunk(dout, x_shape, cols, weight, spec: _ConvSpec):
    """``(dx, dweight)`` of the images whose columns are ``cols``; see :func:`conv_backward`."""
    # (n, O, *out) -> (G, O/G, n * P): the layout of the forward product's result.
    dout = np.ascontiguousarray(dout.reshape(len(dout), len(weight), -1).swapaxes(0, 1))
    dout = dout.reshape(spec.groups, -1, cols.shape[2])
    dweight = np.matmul(dout, cols.transpose(0, 2, 1))                   # (G, O/G, C/G * K)
    dcols = np.matmul(_grouped_weight(weight, spec.groups).transpose(0, 2, 1), dout)
    return _col2im(dcols.reshape(-1, cols.shape[2]), x_shape, spec.lowering), dweight


# --------------------------------------------------------------------------------------------
# 1-D, 2-D and 3-D entry points
# --------------------------------------------------------------------------------------------

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: ``x`` is ``(N, C, L)``, ``weight`` ``(O, C / groups, kL)``.

    See :func:`conv_forward` for the parameters.
    """
    return conv_forward(x, weight, bias, stride, padding, dilation, groups, _ndim=3)[0]


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution, as ``torch.nn.functional.conv2d``: ``x`` is ``(N, C, H, W)``,
    ``weight`` ``(O, C / groups, kH, kW)``.

    ``out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] *
    x_padded[n, c, y*s_h + i*d_h, x*s_w + j*d_w]`` (channels taken within the group of ``o``);
    see :func:`conv_forward` for the parameters.
    """
    return conv_forward(x, weight, bias, stride, padding, dilation, groups, _ndim=4)[0]


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution: ``x`` is ``(N, C, D, H, W)``, ``weight`` ``(O, C / groups, kD, kH, kW)``."""
    return conv_forward(x, weight, bias, stride, padding, dilation, groups, _ndim=5)[0]


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """:func:`conv2d` and the cache of :func:`conv2d_backward`: returns ``(out, cache)``."""
    return conv_forward(x, weight, bias, stride, padding, dilation, groups, _ndim=4)


conv2d_backward = conv_backward
"""Gradients ``(dx, dweight, dbias)`` of :func:`conv2d_forward`: ``conv2d_backward(dout, cache)``;
the same function as :func:`conv_backward` (the cache knows the number of axes)."""


# --------------------------------------------------------------------------------------------
# The readable reference
# --------------------------------------------------------------------------------------------

def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution with plain loops: the definition, to follow line by line.

    Same arguments, checks and result as :func:`conv2d`, but slow: for every image, output
    channel and output cell it cuts the window out of the padded input and takes the
    Frobenius inner product with the filter (multiply element-wise, sum everything).

    Returns
    -------
    ndarray, shape ``(N, O, H_out, W_out)``, dtype of ``x``
    """
    spec = _check_conv(x, weight, bias, stride, padding, dilation, groups, ndim=4)
    g = spec.lowering
    x_padded = np.pad(x, ((0, 0), (0, 0)) + g.pads)  # zeros around H and W
    n_images = x.shape[0]
    out_channels, depth, kernel_h, kernel_w = weight.shape  # depth = C / groups
    filters_per_group = out_channels // spec.groups
    (s_h, s_w), (d_h, d_w) = g.stride, g.dilation
    out_h, out_w = g.out_shape

    out = np.zeros((n_images, out_channels, out_h, out_w), dtype=x.dtype)
    for n in range(n_images):
        for o in range(out_channels):
            group = o // filters_per_group
            channels = slice(group * depth, (group + 1) * depth)  # the input channels o sees
            for y in range(out_h):
                for x_ in range(out_w):
                    top, left = y * s_h, x_ * s_w
                    window = x_padded[n, channels,
                                      top:top + d_h * (kernel_h - 1) + 1:d_h,
                                      left:left + d_w * (kernel_w - 1) + 1:d_w]
                    out[n, o, y, x_] = np.sum(window * weight[o])
            if bias is not None:
                out[n, o] += bias[o]
    return out


def conv2d_naive_backward(dout, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients ``(dx, dweight, dbias)`` of :func:`conv2d_naive`, with the same plain loops.

    Every output cell ``out[n, o, y, x_] = sum(window * weight[o]) + bias[o]`` sends its
    gradient ``dout[n, o, y, x_]`` back along each term: to the window's cells
    (``* weight[o]``), to the filter (``* window``) and to the bias (``* 1``). Cells shared by
    overlapping windows collect from each. ``dbias`` is returned whether or not the forward
    had a bias (drop it if not).

    Returns
    -------
    dx : ndarray, shape of ``x``
    dweight : ndarray, shape of ``weight``
    dbias : ndarray, shape ``(O,)``
    """
    spec = _check_conv(x, weight, None, stride, padding, dilation, groups, ndim=4)
    g = spec.lowering
    dout = check_dout(dout, (len(x), len(weight)) + g.out_shape, x.dtype)
    x_padded = np.pad(x, ((0, 0), (0, 0)) + g.pads)
    dx_padded = np.zeros_like(x_padded)
    dweight, dbias = np.zeros_like(weight), np.zeros(len(weight), dtype=x.dtype)
    out_channels, depth, kernel_h, kernel_w = weight.shape
    filters_per_group = out_channels // spec.groups
    (s_h, s_w), (d_h, d_w) = g.stride, g.dilation
    out_h, out_w = g.out_shape

    for n in range(len(x)):
        for o in range(out_channels):
            group = o // filters_per_group
            channels = slice(group * depth, (group + 1) * depth)
            for y in range(out_h):
                for x_ in range(out_w):
                    top, left = y * s_h, x_ * s_w
                    rows = slice(top, top + d_h * (kernel_h - 1) + 1, d_h)
                    cols = slice(left, left + d_w * (kernel_w - 1) + 1, d_w)
                    grad = dout[n, o, y, x_]
                    dx_padded[n, channels, rows, cols] += grad * weight[o]
                    dweight[o] += grad * x_padded[n, channels, rows, cols]
                    dbias[o] += grad
    (top, _), (left, _) = g.pads
    return dx_padded[:, :, top:top + x.shape[2], left:left + x.shape[3]], dweight, dbias

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
more products and the adjoint of the copy (:func:`col2im`). :func:`conv2d_naive` computes the
same thing with plain loops, to read line by line.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import NamedTuple

import numpy as np

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
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_backward",
    "conv1d_backward",
    "conv2d_backward",
    "conv3d_backward",
    "conv2d_naive",
]

COLUMN_BUDGET = 16 * 2**20
"""Bytes of column buffer that :func:`conv` and :func:`conv_backward` lower at once (at least
one image): bounds the extra memory and keeps the buffer cache- and allocator-friendly."""


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
    """Window geometry of an im2col over an ``(N, C, *spatial)`` input, one value per axis.

    The copies read the zero-padded input split into *phases*: along an axis with stride
    ``s``, padded index ``i`` goes to phase ``i % s``, position ``i // s``. The value that
    kernel offset ``k`` meets at output position ``p`` sits at padded index ``p*s + k*d``,
    that is phase ``(k*d) % s``, position ``p + (k*d) // s``: for every offset the windows
    become one contiguous block (unit stride), which copies several times faster than a
    strided gather. With stride 1 there is a single phase and nothing moves.
    """

    input_shape: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    out_shape: tuple[int, ...]

    def phase_sizes(self) -> tuple[int, ...]:
        """Positions per phase along each axis: ``ceil(padded size / s)``."""
        return tuple(-(-(i + b + a) // s) for i, (b, a), s
                     in zip(self.input_shape[2:], self.pads, self.stride))

    def _interleaved(self, phases: np.ndarray) -> np.ndarray:
        """View a ``(C, N, *s, *q)`` phase array as the padded input ``(C, N, *(q*s))``."""
        n = len(self.stride)
        order = [0, 1] + [a for i in range(n) for a in (2 + n + i, 2 + i)]  # q1, s1, q2, s2..
        sizes = tuple(q * s for q, s in zip(self.phase_sizes(), self.stride))
        return phases.transpose(order).reshape(phases.shape[:2] + sizes)

    def _interior(self) -> tuple[slice, ...]:
        """Index of the unpadded input inside the padded one (channel and batch axes kept)."""
        return (slice(None), slice(None)) + tuple(
            slice(b, b + i) for i, (b, _) in zip(self.input_shape[2:], self.pads))

    def to_phases(self, x: np.ndarray) -> np.ndarray:
        """Zero-pad ``x`` ``(N, C, *spatial)`` and split it into phases ``(C, N, *s, *q)``."""
        n = len(self.stride)
        q = self.phase_sizes()
        blocks = np.zeros(x.shape[1::-1] + tuple(v for pair in zip(q, self.stride) for v in pair),
                          dtype=x.dtype)  # (C, N, q1, s1, q2, s2, ...): the padded input
        padded = blocks.reshape(x.shape[1::-1] + tuple(a * s for a, s in zip(q, self.stride)))
        padded[self._interior()] = x.swapaxes(0, 1)
        order = [0, 1] + [2 + 2 * i + 1 for i in range(n)] + [2 + 2 * i for i in range(n)]
        return np.ascontiguousarray(blocks.transpose(order))  # no copy when every s == 1

    def from_phases(self, phases: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_phases` without the padding: ``(N, C, *spatial)``."""
        return np.ascontiguousarray(self._interleaved(phases)[self._interior()].swapaxes(0, 1))

    def windows(self) -> tuple:
        """For each kernel offset (row-major), the index of its block in the phase array."""
        return _phase_windows(self.kernel, self.stride, self.dilation, self.out_shape)


@functools.lru_cache(maxsize=128)
def _phase_windows(kernel, stride, dilation, out_shape) -> tuple:
    """See :meth:`_Lowering.windows` (cached: layers call it with the same geometry)."""
    windows = []
    for offset in np.ndindex(*kernel):
        starts = [k * d for k, d in zip(offset, dilation)]
        windows.append((slice(None), slice(None))
                       + tuple(start % s for start, s in zip(starts, stride))
                       + tuple(slice(start // s, start // s + o)
                               for start, s, o in zip(starts, stride, out_shape)))
    return tuple(windows)


def _lowering(input_shape, kernel_size, stride, padding, dilation, name="x") -> _Lowering:
    """Check the window settings of an ``(N, C, *spatial)`` input and compute the output size."""
    n = len(input_shape) - 2
    kernel = as_tuple(kernel_size, n, "kernel_size", 1)
    stride = as_tuple(stride, n, "stride", 1)
    dilation = as_tuple(dilation, n, "dilation", 1)
    pads = _pad_pairs(padding, n)
    _check_spatial(input_shape, "x" if name == "x" else "input_shape")
    padded = tuple(i + b + a for i, (b, a) in zip(input_shape[2:], pads))
    out_shape = conv_output_shape(padded, kernel, stride, 0, dilation)
    return _Lowering(tuple(input_shape), kernel, stride, dilation, pads, out_shape)


def _check_spatial(shape, name: str) -> None:
    """Refuse an input with an empty spatial axis (there is nothing to slide a window over)."""
    if 0 in tuple(shape)[2:]:
        raise SettingError(
            f"{name} has an empty spatial axis: shape {tuple(shape)}. Every axis after batch "
            f"and channel needs at least one cell."
        )


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Copy every window of ``x`` into a column, so that a convolution becomes one matmul.

    Works for 1, 2 or 3 spatial axes; the 2-D case reads::

        cols[(c, i, j), (n, y, x)] = x_padded[n, c, y*s_h + i*d_h, x*s_w + j*d_w]

    The row index runs over channel ``c`` then kernel offset ``(i, j)`` (``C * kH * kW`` rows,
    the same order as ``weight[o].ravel()``), the column index over image ``n`` then output
    position ``(y, x)`` (``N * H_out * W_out`` columns): column ``(n, y, x)`` is the window
    under output cell ``(y, x)`` of image ``n``, flattened. So
    ``weight.reshape(O, -1) @ cols`` is the convolution, with shape ``(O, N * H_out * W_out)``.

    The copy loops only over the ``kH * kW`` kernel offsets: each offset fills a block of rows
    with one slice of the padded input (the trick of "Deep Learning from Scratch"). The extra
    memory is the result, ``C * kH * kW * N * H_out * W_out`` values, plus one padded copy of
    ``x``.

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
    geometry = _lowering(x.shape, kernel_size, stride, padding, dilation)
    check_size((x.shape[1] * math.prod(geometry.kernel), len(x) * math.prod(geometry.out_shape)),
               x.dtype, "im2col(x, kernel_size, ...)",
               "Lower fewer images at a time, or use a smaller input.")
    phases = geometry.to_phases(x)
    n_images, channels = x.shape[:2]
    cols = np.empty((channels, math.prod(geometry.kernel), n_images) + geometry.out_shape,
                    dtype=x.dtype)
    for k, window in enumerate(geometry.windows()):
        cols[:, k] = phases[window]
    return cols.reshape(channels * math.prod(geometry.kernel), -1)


def col2im(cols: np.ndarray, input_shape, kernel_size, stride=1, padding=0,
           dilation=1) -> np.ndarray:
    """Adjoint of :func:`im2col`: add every column back onto the window it came from.

    Where windows overlap, their contributions add up, so ``col2im(im2col(x))`` is not ``x``
    but ``x`` times the number of windows covering each cell. What it is: the transpose of the
    linear map ``im2col``, ``<im2col(x), cols> == <x, col2im(cols)>``, which is exactly what the
    backward pass of a convolution needs to turn column gradients into input gradients.

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
    geometry = _lowering(input_shape, kernel_size, stride, padding, dilation, "input_shape")
    check_size(input_shape, getattr(cols, "dtype", np.float64), "input_shape")
    n_images, channels = input_shape[:2]
    blocks_shape = (channels, math.prod(geometry.kernel), n_images) + geometry.out_shape
    expected = (math.prod(blocks_shape[:2]), math.prod(blocks_shape[2:]))
    cols = check_array(cols, "cols", 2, "(C * prod(kernel), N * prod(out_shape))")
    if cols.shape != expected:
        raise SettingError(
            f"cols must have shape {expected} for input_shape={input_shape} and these window "
            f"settings (what im2col returns), got {cols.shape}."
        )
    blocks = cols.reshape(blocks_shape)
    phases = np.zeros((channels, n_images) + geometry.stride + geometry.phase_sizes(),
                      dtype=cols.dtype)
    for k, window in enumerate(geometry.windows()):
        phases[window] += blocks[:, k]
    return geometry.from_phases(phases)


# --------------------------------------------------------------------------------------------
# Checks shared by the fast path, its backward and the naive reference
# --------------------------------------------------------------------------------------------

class _ConvSpec(NamedTuple):
    """Checked convolution settings: one value per spatial axis, padding as (before, after)."""

    stride: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int
    out_shape: tuple[int, ...]


def _check_conv(x, weight, bias, stride, padding, dilation, groups, ndim=(3, 4, 5)) -> _ConvSpec:
    """Validate the arguments of a convolution; return the settings expanded per axis."""
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
    return _ConvSpec(stride, pads, dilation, groups, out_shape)


# --------------------------------------------------------------------------------------------
# Fast path: forward and backward
# --------------------------------------------------------------------------------------------

def conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1,
         padding=0, dilation=1, groups: int = 1) -> np.ndarray:
    """Convolution (cross-correlation) over 1, 2 or 3 spatial axes, as ``torch.nn.functional``.

    ``out[n, o, p] = bias[o] + sum_{c, k} weight[o, c, k] * x_padded[n, g*C/G + c, p*s + k*d]``
    with ``g = o // (O / G)`` the group of output channel ``o`` (see the module docstring).

    How: ``cols = im2col(x)``, then one matrix product per group,
    ``weight.reshape(O/G, -1) @ cols``, whose ``(O, N * P)`` result is copied into the output
    with the image axis first. Large batches are lowered a few images at a time, so that the
    column buffer stays under ``COLUMN_BUDGET`` bytes.

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
    ndarray, shape ``(N, O, *out_shape)``, dtype of ``x``
        ``out_shape[i] = floor((size[i] + pad_before + pad_after - d*(k-1) - 1) / s) + 1``
        (:func:`cnnlib.shapes.conv_output_shape`).
    """
    spec = _check_conv(x, weight, bias, stride, padding, dilation, groups)
    out = np.empty((x.shape[0], weight.shape[0]) + spec.out_shape, dtype=x.dtype)
    for images in _image_chunks(x, weight, spec):
        _forward_chunk(x[images], weight, spec, out[images])
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * len(spec.out_shape))
    return out


def _forward_chunk(x, weight, spec: _ConvSpec, out) -> None:
    """``out[:] = weight @ im2col(x)``: one matrix product per group for the whole chunk."""
    cols = im2col(x, weight.shape[2:], spec.stride, spec.pads, spec.dilation)
    products = np.matmul(_grouped_weight(weight, spec.groups),
                         cols.reshape(spec.groups, -1, cols.shape[1]))  # (G, O/G, n * P)
    # (O, n, P) -> (n, O, P): move the image axis first, straight into the output.
    out.reshape(len(x), weight.shape[0], -1)[...] = products.reshape(
        weight.shape[0], len(x), -1).swapaxes(0, 1)


def _image_chunks(x, weight, spec: _ConvSpec) -> list[slice]:
    """Split the batch into near-equal slices whose column buffers fit ``COLUMN_BUDGET``."""
    per_image = x.shape[1] * math.prod(weight.shape[2:]) * math.prod(spec.out_shape)
    chunks = min(len(x), -(-per_image * len(x) * x.itemsize // COLUMN_BUDGET))
    size = -(-len(x) // chunks)
    return [slice(start, start + size) for start in range(0, len(x), size)]


def _grouped_weight(weight: np.ndarray, groups: int) -> np.ndarray:
    """View an ``(O, C/G, *kernel)`` weight as ``(G, O/G, C/G * prod(kernel))`` matrices."""
    return weight.reshape(groups, weight.shape[0] // groups, -1)


def conv_backward(dout: np.ndarray, x: np.ndarray, weight: np.ndarray,
                  bias: np.ndarray | None = None, stride=1, padding=0, dilation=1,
                  groups: int = 1):
    """Gradients of :func:`conv` with respect to ``x``, ``weight`` and ``bias``.

    With ``cols = im2col(x)`` and ``W = weight.reshape(O, -1)`` (per group), the forward pass
    is ``out = W @ cols + bias``, so::

        dweight = dout @ cols.T          dcols = W.T @ dout          dx = col2im(dcols)
        dbias   = dout summed over the batch and every spatial axis

    where ``dout`` is arranged as a matrix ``(O, N * P)`` like ``cols``. ``dcols`` reuses the
    buffer of ``cols``.

    Parameters
    ----------
    dout : ndarray, shape ``(N, O, *out_shape)``
        Gradient of the loss with respect to the output of :func:`conv`.
    x, weight, bias, stride, padding, dilation, groups
        The arguments of the forward call.

    Returns
    -------
    dx : ndarray, shape of ``x``
    dweight : ndarray, shape of ``weight``
    dbias : ndarray of shape ``(O,)``, or None when ``bias`` is None
    """
    spec = _check_conv(x, weight, bias, stride, padding, dilation, groups)
    dout = check_dout(dout, (x.shape[0], weight.shape[0]) + spec.out_shape, x.dtype)
    parts = [_backward_chunk(dout[images], x[images], weight, spec)
             for images in _image_chunks(x, weight, spec)]
    dx = parts[0][0] if len(parts) == 1 else np.concatenate([dx for dx, _ in parts])
    dweight = functools.reduce(np.add, [dweight for _, dweight in parts])
    dbias = None if bias is None else dout.sum(axis=(0,) + tuple(range(2, dout.ndim)))
    return dx, dweight.reshape(weight.shape), dbias


def _backward_chunk(dout, x, weight, spec: _ConvSpec):
    """``(dx, dweight)`` of one slice of the batch; see :func:`conv_backward`."""
    cols = im2col(x, weight.shape[2:], spec.stride, spec.pads, spec.dilation)
    cols = cols.reshape(spec.groups, -1, cols.shape[1])  # (G, C/G * K, n * P)
    # (n, O, *out) -> (G, O/G, n * P): the layout of the forward product's result.
    dout = np.ascontiguousarray(dout.reshape(len(x), weight.shape[0], -1).swapaxes(0, 1))
    dout = dout.reshape(spec.groups, -1, cols.shape[2])
    dweight = np.matmul(dout, cols.transpose(0, 2, 1))
    dcols = np.matmul(_grouped_weight(weight, spec.groups).transpose(0, 2, 1), dout, out=cols)
    dx = col2im(dcols.reshape(-1, cols.shape[2]), x.shape, weight.shape[2:], spec.stride,
                spec.pads, spec.dilation)
    return dx, dweight


# --------------------------------------------------------------------------------------------
# 1-D, 2-D and 3-D entry points
# --------------------------------------------------------------------------------------------

def _check_ndim(x, ndim: int) -> None:
    """Refuse an input with the wrong number of axes before the n-D code sees it."""
    check_array(x, "x", ndim, _LAYOUTS[ndim])


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: ``x`` is ``(N, C, L)``, ``weight`` ``(O, C / groups, kL)``.

    See :func:`conv` for the parameters.
    """
    _check_ndim(x, 3)
    return conv(x, weight, bias, stride, padding, dilation, groups)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution: ``x`` is ``(N, C, H, W)``, ``weight`` ``(O, C / groups, kH, kW)``.

    ``out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] *
    x_padded[n, c, y*s_h + i*d_h, x*s_w + j*d_w]`` (channels taken within the group of ``o``);
    see :func:`conv` for the parameters.
    """
    _check_ndim(x, 4)
    return conv(x, weight, bias, stride, padding, dilation, groups)


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution: ``x`` is ``(N, C, D, H, W)``, ``weight`` ``(O, C / groups, kD, kH, kW)``."""
    _check_ndim(x, 5)
    return conv(x, weight, bias, stride, padding, dilation, groups)


def conv1d_backward(dout, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients ``(dx, dweight, dbias)`` of :func:`conv1d`; see :func:`conv_backward`."""
    _check_ndim(x, 3)
    return conv_backward(dout, x, weight, bias, stride, padding, dilation, groups)


def conv2d_backward(dout, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients ``(dx, dweight, dbias)`` of :func:`conv2d`; see :func:`conv_backward`."""
    _check_ndim(x, 4)
    return conv_backward(dout, x, weight, bias, stride, padding, dilation, groups)


def conv3d_backward(dout, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients ``(dx, dweight, dbias)`` of :func:`conv3d`; see :func:`conv_backward`."""
    _check_ndim(x, 5)
    return conv_backward(dout, x, weight, bias, stride, padding, dilation, groups)


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
    x_padded = np.pad(x, ((0, 0), (0, 0)) + spec.pads)  # zeros around H and W
    n_images = x.shape[0]
    out_channels, depth, kernel_h, kernel_w = weight.shape  # depth = C / groups
    filters_per_group = out_channels // spec.groups
    (s_h, s_w), (d_h, d_w) = spec.stride, spec.dilation
    out_h, out_w = spec.out_shape

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

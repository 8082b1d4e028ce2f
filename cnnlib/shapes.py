"""Shape arithmetic of convolution and pooling: pure integer arithmetic, no arrays.

Notation (Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"):
``i`` input size, ``k`` kernel size, ``s`` stride, ``p`` padding on each side, ``d`` dilation,
``o`` output size. Every formula here is the one PyTorch uses for ``torch.nn.Conv2d`` and
``torch.nn.MaxPool2d``::

    effective kernel   k_eff = d * (k - 1) + 1
    output size        o = floor((i + 2p - k_eff) / s) + 1

The lecture slide writes ``(N - F) / stride + 1``: the division applies to ``N - F`` only, and
it is a floor division. When ``s`` does not divide ``i + 2p - k_eff`` exactly, the last
``(i + 2p - k_eff) mod s`` cells are never covered by a window (see :func:`stride_fits`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from ._validate import SettingError, SettingTypeError, as_tuple, check_bool, check_int

__all__ = [
    "effective_kernel_size",
    "resolve_padding",
    "conv_output_size",
    "conv_output_shape",
    "pool_output_size",
    "pool_output_shape",
    "transposed_conv_output_size",
    "stride_fits",
    "uncovered_cells",
    "Fits",
    "nearest_fits",
    "Window",
    "ReceptiveField",
    "receptive_fields",
    "conv_params",
    "conv_macs",
    "linear_params",
    "linear_macs",
]


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``d * (k - 1) + 1`` (a 3-wide kernel with d=2 spans 5)."""
    k = check_int(kernel_size, "kernel_size", 1)
    d = check_int(dilation, "dilation", 1)
    return d * (k - 1) + 1


def resolve_padding(padding, kernel_size: int, stride: int = 1, dilation: int = 1):
    """Padding of one axis as ``(before, after)``.

    Parameters
    ----------
    padding : int or {"same", "valid"}
        An int pads both sides equally. ``"valid"`` means no padding. ``"same"`` pads so that
        the output has the input's size (stride 1 only, as in PyTorch): the total padding
        ``d * (k - 1)`` goes ``total // 2`` before and the rest after, so an even kernel pads
        one more cell at the end.
    kernel_size, stride, dilation : int

    Returns
    -------
    tuple of (int, int)
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0)
        if padding == "same":
            if check_int(stride, "stride", 1) != 1:
                raise SettingError(
                    f"padding='same' needs stride=1, got stride={stride}: with a larger stride "
                    f"no padding keeps the size. Use an int padding instead."
                )
            total = effective_kernel_size(kernel_size, dilation) - 1
            return (total // 2, total - total // 2)
        raise SettingError(
            f"padding must be an int, 'same' or 'valid', got {padding!r}."
        )
    p = check_int(padding, "padding", 0)
    return (p, p)


def _padded_span(input_size, kernel_size, stride, padding, dilation):
    """Return ``(i + p_before + p_after - k_eff, s)``; raise if the kernel does not fit."""
    i = check_int(input_size, "input_size", 1)
    s = check_int(stride, "stride", 1)
    k_eff = effective_kernel_size(kernel_size, dilation)
    before, after = resolve_padding(padding, kernel_size, s, dilation)
    span = i + before + after - k_eff
    if span < 0:
        dilated = f" (dilation {dilation} stretches it to {k_eff})" if dilation != 1 else ""
        raise SettingError(
            f"kernel_size={kernel_size}{dilated} is larger than the padded input "
            f"({i} + {before + after} padding = {i + before + after}): the output would be "
            f"empty. Use a kernel of at most {i + before + after}, more padding, or a larger input."
        )
    return span, s


def conv_output_size(input_size: int, kernel_size: int, stride: int = 1, padding=0,
                     dilation: int = 1) -> int:
    """Output size of a convolution along one axis.

    ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1`` (PyTorch's ``Conv2d`` formula).

    Parameters
    ----------
    input_size, kernel_size, stride, dilation : int
    padding : int or {"same", "valid"}

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the (dilated) kernel is larger than the padded input, or an argument is out of range.

    Examples
    --------
    >>> conv_output_size(5, 3, padding=1)   # the lecture's worked example keeps 5x5
    5
    >>> conv_output_size(227, 11, stride=4)  # AlexNet's first layer
    55
    """
    span, s = _padded_span(input_size, kernel_size, stride, padding, dilation)
    return span // s + 1


def _spatial_shape(function, input_shape, kernel_size, stride, padding, dilation, **extra):
    """Apply a one-axis size ``function`` to every spatial axis of ``input_shape``."""
    n = len(input_shape)
    ks = as_tuple(kernel_size, n, "kernel_size", 1)
    ss = as_tuple(stride, n, "stride", 1)
    ds = as_tuple(dilation, n, "dilation", 1)
    ps = (padding,) * n if isinstance(padding, str) else as_tuple(padding, n, "padding", 0)
    return tuple(function(i, k, s, p, d, **extra)
                 for i, k, s, p, d in zip(input_shape, ks, ss, ps, ds))


def conv_output_shape(input_shape, kernel_size, stride=1, padding=0, dilation=1) -> tuple:
    """Spatial output shape of an n-D convolution, e.g. ``(H, W) -> (H_out, W_out)``.

    Each argument is an int (same on every axis) or one value per spatial axis; ``padding``
    may also be ``"same"`` or ``"valid"``. See :func:`conv_output_size`.

    >>> conv_output_shape((224, 224), 7, stride=2, padding=3)
    (112, 112)
    """
    return _spatial_shape(conv_output_size, tuple(input_shape), kernel_size, stride, padding,
                          dilation)


def pool_output_size(input_size: int, kernel_size: int, stride: int | None = None,
                     padding: int = 0, dilation: int = 1, ceil_mode: bool = False) -> int:
    """Output size of max or average pooling along one axis (PyTorch's rules).

    ``stride`` defaults to ``kernel_size``. Padding may be at most half the effective kernel.
    With ``ceil_mode`` the division rounds up, but a last window that would start in the
    right padding is dropped: if ``(o - 1) * s >= i + p`` then ``o -= 1``.

    >>> pool_output_size(224, 2)        # 224x224x64 -> 112x112x64
    112
    >>> pool_output_size(55, 3, 2)      # AlexNet's overlapping pooling
    27
    >>> pool_output_size(6, 3, 2, ceil_mode=True)
    3
    """
    stride = kernel_size if stride is None else stride
    check_bool(ceil_mode, "ceil_mode")
    p = check_int(padding, "padding", 0)
    k_eff = effective_kernel_size(kernel_size, dilation)
    if 2 * p > k_eff:
        raise SettingError(
            f"padding={p} is more than half of the pooling window ({k_eff}): some windows "
            f"would see only padding. Use padding <= {k_eff // 2}."
        )
    span, s = _padded_span(input_size, kernel_size, stride, p, dilation)
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= input_size + p:
        o -= 1
    return o


def pool_output_shape(input_shape, kernel_size, stride=None, padding=0, dilation=1,
                      ceil_mode=False) -> tuple:
    """Spatial output shape of n-D pooling; see :func:`pool_output_size`."""
    stride = kernel_size if stride is None else stride
    return _spatial_shape(pool_output_size, tuple(input_shape), kernel_size, stride, padding,
                          dilation, ceil_mode=ceil_mode)


def transposed_conv_output_size(input_size: int, kernel_size: int, stride: int = 1,
                                padding: int = 0, output_padding: int = 0,
                                dilation: int = 1) -> int:
    """Output size of a transposed convolution (PyTorch's ``ConvTranspose2d``).

    ``o' = (i' - 1) s - 2p + d(k - 1) + output_padding + 1``. It inverts
    :func:`conv_output_size`: a convolution with the same settings maps ``o'`` back to ``i'``.
    ``output_padding`` (< stride) picks among the input sizes that the strided convolution
    maps to the same output (the "odd" case of Dumoulin & Visin, relationship 14).

    >>> transposed_conv_output_size(2, 3, stride=2)   # 5x5 -> 2x2 conv, and back
    5
    """
    i = check_int(input_size, "input_size", 1)
    s = check_int(stride, "stride", 1)
    p = check_int(padding, "padding", 0)
    a = check_int(output_padding, "output_padding", 0)
    if a >= max(s, check_int(dilation, "dilation", 1)):
        raise SettingError(
            f"output_padding={a} must be smaller than the stride ({s}) or the dilation "
            f"({dilation}); it only picks among sizes that a strided convolution merges."
        )
    o = (i - 1) * s - 2 * p + effective_kernel_size(kernel_size, dilation) + a
    if o < 1:
        raise SettingError(
            f"padding={p} removes the whole output (size {o}); use padding <= "
            f"{((i - 1) * s + effective_kernel_size(kernel_size, dilation) + a - 1) // 2}."
        )
    return o


def uncovered_cells(input_size: int, kernel_size: int, stride: int = 1, padding=0,
                    dilation: int = 1) -> int:
    """How many cells at the end of the padded input no window reaches.

    ``(i + 2p - k_eff) mod s``: zero exactly when the stride tiles the input.

    >>> uncovered_cells(7, 3, stride=3)   # the lecture's "stride 3 does not fit 7x7"
    1
    """
    span, s = _padded_span(input_size, kernel_size, stride, padding, dilation)
    return span % s


def stride_fits(input_size: int, kernel_size: int, stride: int = 1, padding=0,
                dilation: int = 1) -> bool:
    """Whether the windows tile the padded input exactly (no cell left over at the end).

    >>> stride_fits(7, 3, stride=2), stride_fits(7, 3, stride=3)
    (True, False)
    """
    return uncovered_cells(input_size, kernel_size, stride, padding, dilation) == 0


class Fits(NamedTuple):
    """Settings near a given one whose stride tiles the input (see :func:`nearest_fits`)."""

    paddings: tuple[int, ...]
    strides: tuple[int, ...]


def nearest_fits(input_size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1) -> Fits:
    """Nearest paddings (same stride) and strides (same padding) that tile the input.

    Returns at most one value below and one above the current setting for each; the current
    value itself when it already fits.

    >>> nearest_fits(7, 3, stride=3)
    Fits(paddings=(1,), strides=(2, 4))
    """
    i = check_int(input_size, "input_size", 1)
    s = check_int(stride, "stride", 1)
    p = check_int(padding, "padding", 0)
    k_eff = effective_kernel_size(kernel_size, dilation)

    def fits(pad, st):
        span = i + 2 * pad - k_eff
        return span >= 0 and span % st == 0

    below_p = next((q for q in range(p, -1, -1) if fits(q, s)), None)
    above_p = next((q for q in range(p, p + s + 1) if fits(q, s)), None)
    span = i + 2 * p - k_eff
    below_s = next((t for t in range(s, 0, -1) if fits(p, t)), None) if span >= 0 else None
    above_s = next((t for t in range(s, span + 1) if fits(p, t)), None) if span >= 0 else None
    paddings = tuple(sorted({q for q in (below_p, above_p) if q is not None}))
    strides = tuple(sorted({t for t in (below_s, above_s) if t is not None}))
    return Fits(paddings, strides)


@dataclass(frozen=True)
class Window:
    """The geometry of one sliding-window layer (a convolution or a pooling) along one axis.

    ``padding`` may be an int, ``"same"`` or ``"valid"``.
    """

    kernel_size: int
    stride: int = 1
    padding: int | str = 0
    dilation: int = 1
    name: str = ""


@dataclass(frozen=True)
class ReceptiveField:
    """One row of the receptive-field table.

    Attributes
    ----------
    name : str
        Layer name (``"input"`` for the first row).
    size : int or None
        Spatial size of this layer's output (``None`` when no input size was given).
    jump : int
        Distance, in input pixels, between the centres of neighbouring outputs.
    rf : int
        Receptive field: how many input pixels (along one axis) one output sees.
    start : float
        Centre of the first output's receptive field in input coordinates (pixel ``x`` spans
        ``[x, x + 1)``, so the first input pixel's centre is 0.5). Can be negative: the field
        then reaches into the padding.
    """

    name: str
    size: int | None
    jump: int
    rf: int
    start: float


def receptive_fields(layers, input_size: int | None = None) -> list[ReceptiveField]:
    """Receptive field, jump and start of every layer in a stack, from the input up.

    The standard recurrence (``j0 = 1, r0 = 1, start0 = 0.5``)::

        j_out     = j_in * s
        r_out     = r_in + (k_eff - 1) * j_in
        start_out = start_in + ((k_eff - 1) / 2 - p_before) * j_in

    which gives the closed form ``r = 1 + sum_l (k_l - 1) * prod_{m<l} s_m``.

    Parameters
    ----------
    layers : iterable of Window
    input_size : int, optional
        When given, each row also holds the layer's output size.

    Returns
    -------
    list of ReceptiveField
        ``len(layers) + 1`` rows; row 0 is the input.

    Examples
    --------
    Two 3x3 convolutions see what one 5x5 sees:

    >>> receptive_fields([Window(3), Window(3)])[-1].rf
    5
    """
    rows = [ReceptiveField("input", input_size, 1, 1, 0.5)]
    for index, layer in enumerate(layers, start=1):
        if not isinstance(layer, Window):
            raise SettingTypeError(
                f"layers[{index - 1}] must be a Window (kernel_size, stride, padding, dilation), "
                f"got {layer!r}. Write Window({layer!r}) for a kernel of that size, e.g. "
                f"receptive_fields([Window(3), Window(3)])."
            )
        last = rows[-1]
        check_int(layer.stride, "stride", 1)
        k_eff = effective_kernel_size(layer.kernel_size, layer.dilation)
        before, _ = resolve_padding(layer.padding, layer.kernel_size, layer.stride,
                                    layer.dilation)
        size = None
        if last.size is not None:
            try:
                size = conv_output_size(last.size, layer.kernel_size, layer.stride,
                                        layer.padding, layer.dilation)
            except SettingError as error:
                label = layer.name or f"layer {index}"
                raise SettingError(f"{label} (input size {last.size}): {error}") from None
        rows.append(ReceptiveField(
            name=layer.name or f"layer {index}",
            size=size,
            jump=last.jump * layer.stride,
            rf=last.rf + (k_eff - 1) * last.jump,
            start=last.start + ((k_eff - 1) / 2 - before) * last.jump,
        ))
    return rows


def _n_axes(sizes, default: int) -> int:
    """How many axes ``sizes`` covers: its length, or ``default`` for a single number."""
    return len(sizes) if hasattr(sizes, "__len__") else default


def conv_params(in_channels: int, out_channels: int, kernel_size, groups: int = 1,
                bias: bool = True) -> int:
    """Learnable parameters of a convolution layer.

    ``(prod(kernel_size) * in_channels / groups + bias) * out_channels``: each of the
    ``out_channels`` filters has depth ``in_channels / groups`` and one bias. An int
    ``kernel_size`` means a square 2-D kernel, as in ``torch.nn.Conv2d``; pass a tuple such as
    ``(3,)`` or ``(3, 3, 3)`` for 1-D or 3-D.

    >>> conv_params(192, 32, 5)    # the lecture's count: (5*5*192 + 1) * 32
    153632
    """
    c_in = check_int(in_channels, "in_channels", 1)
    c_out = check_int(out_channels, "out_channels", 1)
    g = check_int(groups, "groups", 1)
    if c_in % g or c_out % g:
        raise SettingError(
            f"groups={g} must divide both in_channels={c_in} and out_channels={c_out}."
        )
    ks = as_tuple(kernel_size, _n_axes(kernel_size, 2), "kernel_size", 1)
    return (math.prod(ks) * c_in // g + bool(bias)) * c_out


def conv_macs(in_channels: int, out_channels: int, kernel_size, output_shape,
              groups: int = 1) -> int:
    """Multiply-adds of one convolution forward pass for one image.

    Every output value costs ``prod(kernel_size) * in_channels / groups`` multiply-adds, and
    there are ``out_channels * prod(output_shape)`` of them (bias additions are not counted).

    >>> conv_macs(3, 64, 11, (55, 55))
    70276800
    """
    weights = conv_params(in_channels, out_channels, kernel_size, groups, bias=False)
    shape = as_tuple(output_shape, _n_axes(output_shape, 1), "output_shape", 1)
    return weights * math.prod(shape)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Learnable parameters of a fully connected layer: ``(in + bias) * out``.

    >>> linear_params(9216, 4096)
    37752832
    """
    return (check_int(in_features, "in_features", 1) + bool(bias)) * check_int(
        out_features, "out_features", 1)


def linear_macs(in_features: int, out_features: int) -> int:
    """Multiply-adds of a fully connected layer for one sample: ``in * out``."""
    return linear_params(in_features, out_features, bias=False)

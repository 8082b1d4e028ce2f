"""Diagrams of the building blocks of notebooks 8 and 9, each with its parameter count.

* :func:`render_fc_as_conv`: a fully connected layer as a convolution (``24x24x10 -> 1x1x10``);
* :func:`render_pointwise`: the 1x1 convolution, mixing the channels of each pixel;
* :func:`render_separable`: a standard convolution against a depthwise-separable one;
* :func:`render_inception`: GoogLeNet's inception module (four branches, 1x1 reductions);
* :func:`render_residual`: ResNet's basic block (skip connection, 1x1 projection).

Every count comes from the cnnlib layers the diagram shows (``num_parameters`` of
:mod:`cnnlib.layers` / :mod:`cnnlib.models` objects, built without drawing weights), never from
a formula repeated here. Boxes say what they are in words; colour only repeats it. Every box
carries ``data-role`` (and ``data-params`` when it has parameters) for tests and curious readers.
Every word goes through :func:`cnnlib.i18n.tr` (Korean after ``cnnlib.set_language("ko")``);
boxes and pictures widen for a label longer than the English one (:func:`_fit`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._validate import SettingError, check_int
from ..i18n import N_, tr
from ..layers import BatchNorm2d, Conv2d, Linear, MaxPool2d
from ..models import basic_block, inception_module
from . import svg
from ._layers import leaves
from .html import panel
from .style import FONT_SIZE, OKABE_ITO, TITLE_SIZE

#: Box kinds: fill, outline, dash pattern ("" for solid). The box's words say the same.
BOX_STYLES = {
    "tensor": ("#FFFFFF", "#555555", ""),
    "conv": ("#CFE8F7", OKABE_ITO["blue"], ""),
    "reduce": ("#FBE3B0", OKABE_ITO["orange"], "6 3"),    # 1x1 reductions / projections: dashed
    "pool": ("#E6E6E6", "#555555", ""),
    "norm": ("#CDEBDF", OKABE_ITO["bluish_green"], ""),
    "relu": ("#FFFFFF", "#555555", "2 2"),
    "merge": ("#FFF6C2", "#000000", ""),
}
#: The pictures draw at most this many channels (filters) side by side, then "...".
MAX_DRAWN = 5
#: :func:`render_pointwise` draws every channel and every pixel: small examples only.
MAX_POINTWISE_CHANNELS = 8
MAX_POINTWISE_SIDE = 8


@dataclass(frozen=True)
class BlockView:
    """A rendered diagram: the parameter count of each part (in drawing order), the total and
    the picture (``html``: an SVG in a panel)."""

    state: object
    params: tuple[tuple[str, int], ...]
    total: int
    html: str


def _page(picture: svg.Piece, description: str) -> str:
    """The picture as an explorer panel: wider than the notebook, it scrolls sideways at its own
    size instead of shrinking its text."""
    return panel(svg.document(picture, description))


def _count(n: int) -> str:
    """``"1 parameter"``, ``"1,728 parameters"``."""
    return tr("{n} parameter", n=f"{n:,}") if n == 1 else tr("{n} parameters", n=f"{n:,}")


def _amount(n: int, bias: bool) -> str:
    """``"1,728 parameters"``, or ``"1,728 weights (no biases)"`` for layers without biases."""
    return tr("{n} parameters", n=f"{n:,}") if bias else tr("{n} weights (no biases)",
                                                               n=f"{n:,}")


def _shape(shape) -> str:
    return " x ".join(map(str, shape))


def _text_width(s: str, size: float = FONT_SIZE) -> float:
    """Estimated width in px of ``s`` (a Hangul syllable counts as about 1 em)."""
    return 0.6 * size * svg.columns(s)


def _fit(width: float, lines, size: float = FONT_SIZE, margin: float = 12) -> float:
    """``width``, or wider if one of ``lines`` would not fit in it (with ``margin``)."""
    return max([width] + [_text_width(line, size) + margin for line in lines])


def _box(x, y, w, lines, kind, role, params=None, h=None) -> str:
    """A box at (x, y) with centred lines of text; ``params`` adds a last line and data."""
    fill, stroke, dash = BOX_STYLES[kind]
    lines = list(lines) + ([_count(params)] if params is not None else [])
    step = FONT_SIZE * 1.3
    h = h or step * len(lines) + 10
    data = f' data-params="{params}"' if params is not None else ""
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    parts = [f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="6" fill="{fill}" '
             f'stroke="{stroke}" stroke-width="2"{dashes} data-role="{role}" '
             f'data-kind="{kind}"{data}/>']
    top = y + (h - step * len(lines)) / 2
    for i, line in enumerate(lines):
        weight = "bold" if i == 0 else "normal"
        parts.append(svg._text(x + w / 2, top + step * (i + 0.5), line, FONT_SIZE, "middle",
                               weight))
    return "".join(parts)


def _box_height(lines: int) -> float:
    return FONT_SIZE * 1.3 * lines + 10


def _arrow(x1, y1, x2, y2, dashed=False, role="arrow", head=True) -> str:
    """A line with an arrowhead at (x2, y2) (a plain line if not ``head``)."""
    if not head:
        return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="#333333" stroke-width="2" data-role="{role}"/>')
    length = math.hypot(x2 - x1, y2 - y1) or 1
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    bx, by = x2 - 10 * ux, y2 - 10 * uy
    head = (f"{x2:.1f},{y2:.1f} {bx - 5 * uy:.1f},{by + 5 * ux:.1f} "
            f"{bx + 5 * uy:.1f},{by - 5 * ux:.1f}")
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="#333333" '
            f'stroke-width="2"{dash} data-role="{role}"/><polygon points="{head}" '
            f'fill="#333333"/>')


def _title(x, y, s, size=TITLE_SIZE, anchor="start") -> str:
    return svg._text(x, y, s, size, anchor, "bold")


def _describe(layer) -> list[str]:
    """Words for one layer of a cnnlib model, as the boxes show it."""
    if isinstance(layer, Conv2d):
        k = "x".join(map(str, layer.kernel_size))
        stride = tr(", stride {s}", s=layer.stride[0]) if layer.stride[0] != 1 else ""
        fields = {"k": k, "c_in": layer.in_channels, "c_out": layer.out_channels,
                  "stride": stride}
        if layer.groups == layer.in_channels > 1:
            return [tr("{k} depthwise {c_in} → {c_out}{stride}", **fields)]
        return [tr("{k} conv {c_in} → {c_out}{stride}", **fields)]
    if isinstance(layer, MaxPool2d):
        return [tr("{k}x{k} max pool, stride {s}", k=layer.kernel_size[0], s=layer.stride[0])]
    if isinstance(layer, BatchNorm2d):
        return [tr("batch norm ({n})", n=layer.num_features)]
    return [type(layer).__name__]


def _check_ints(state, names, minimum=1) -> None:
    for name in names:
        check_int(getattr(state, name), name, minimum)


# --- the inception module -----------------------------------------------------------------

@dataclass(frozen=True)
class InceptionState:
    """An inception module's channel numbers; the defaults are GoogLeNet's module 3a (Szegedy
    et al. 2014, table 1): 192x28x28 in, 64 + 128 + 32 + 32 = 256 channels out."""

    in_channels: int = 192
    ch1x1: int = 64
    ch3x3red: int = 96
    ch3x3: int = 128
    ch5x5red: int = 16
    ch5x5: int = 32
    pool_proj: int = 32
    size: int = 28


def render_inception(state: InceptionState) -> BlockView:
    """The four branches of :func:`cnnlib.models.inception_module`, their 1x1 reductions
    (dashed), the concatenation, and the parameters of every convolution and branch."""
    _check_ints(state, ("in_channels", "ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5",
                        "pool_proj", "size"))
    module = inception_module(state.in_channels, state.ch1x1, state.ch3x3red, state.ch3x3,
                              state.ch5x5red, state.ch5x5, state.pool_proj)
    shape_in = (state.in_channels, state.size, state.size)
    shape_out = module.output_shape(shape_in)
    labels = [_describe(layer)[0] for _, branch in module.named_children()
              for layer in leaves(branch) if isinstance(layer, (Conv2d, MaxPool2d))]
    column, gap = _fit(210, labels), 16        # wider if a label needs it (Korean)
    width = 4 * column + 3 * gap
    box_h = _box_height(2)
    parts, params = [], []
    y_in = 30
    parts.append(_title(0, 10, tr("Inception module: {count}",
                                  count=_count(module.num_parameters))))
    parts.append(_box(width / 2 - 130, y_in, 260, [tr("input {shape}", shape=_shape(shape_in))],
                      "tensor", "input"))
    y_rows = (y_in + 70, y_in + 70 + box_h + 30)
    y_concat = y_rows[1] + box_h + 64
    names = (N_("1x1 branch"), N_("3x3 branch"), N_("5x5 branch"), N_("pool branch"))
    for index, (name, branch) in enumerate(module.named_children()):
        x = index * (column + gap)
        layers = [layer for layer in leaves(branch) if isinstance(layer, (Conv2d, MaxPool2d))]
        parts.append(_arrow(width / 2, y_in + _box_height(1), x + column / 2, y_rows[0],
                            head=len(layers) == 2))
        y = y_rows[0] if len(layers) == 2 else y_rows[1]      # a lone 1x1 sits low
        if len(layers) == 1:
            parts.append(_arrow(x + column / 2, y_rows[0], x + column / 2, y))
        for layer in layers:
            reduces = isinstance(layer, Conv2d) and layer.kernel_size == (1, 1) and \
                len(layers) == 2
            kind = "reduce" if reduces else ("pool" if isinstance(layer, MaxPool2d) else "conv")
            count = layer.num_parameters if isinstance(layer, Conv2d) else None
            role = "conv" if not reduces else ("projection" if index == 3 else "reduction")
            role = "pool" if count is None else role
            parts.append(_box(x, y, column, _describe(layer), kind, role, count, box_h))
            if y == y_rows[0]:
                parts.append(_arrow(x + column / 2, y + box_h, x + column / 2, y_rows[1]))
            y = y_rows[1]
        parts.append(_arrow(x + column / 2, y_rows[1] + box_h, x + column / 2,
                            y_rows[1] + box_h + 6, head=False))
        parts.append(_arrow(x + column / 2, y_rows[1] + box_h + 32, x + column / 2, y_concat))
        parts.append(f'<g data-role="branch" data-branch="{name}" '
                     f'data-params="{branch.num_parameters}">'
                     + svg._text(x + column / 2, y_rows[1] + box_h + 18,
                                 f"{tr(names[index])}: {branch.num_parameters:,}",
                                 FONT_SIZE - 1)
                     + "</g>")
        params.append((names[index], branch.num_parameters))
    widths = " + ".join(str(layer.out_channels) for _, branch in module.named_children()
                        for layer in list(leaves(branch))[-2:-1])
    parts.append(_box(0, y_concat, width, [tr("concatenate along the channels: {widths} = "
                                              "{total}", widths=widths, total=shape_out[0])],
                      "merge", "concat"))
    y_out = y_concat + _box_height(1) + 30
    parts.append(_arrow(width / 2, y_concat + _box_height(1), width / 2, y_out))
    parts.append(_box(width / 2 - 130, y_out, 260,
                      [tr("output {shape}", shape=_shape(shape_out))], "tensor", "output"))
    parts.append(svg._text(0, y_out + _box_height(1) + 22, tr(
        "dashed box: a 1x1 convolution that cuts the channels (before the 3x3 and 5x5, after "
        "the pool)"), FONT_SIZE - 1, "start"))
    picture = svg.Piece("".join(parts), width, y_out + _box_height(1) + 32)
    return BlockView(state, tuple(params), module.num_parameters,
                     _page(picture, tr("inception module, {count}",
                                       count=_count(module.num_parameters))))


# --- the residual block -------------------------------------------------------------------

@dataclass(frozen=True)
class ResidualState:
    """A ResNet basic block: ``in_channels x size x size`` in; a stride of 2 or a change of
    channels makes the shortcut a 1x1 convolution (the projection)."""

    in_channels: int = 64
    out_channels: int = 64
    stride: int = 1
    size: int = 56


def render_residual(state: ResidualState) -> BlockView:
    """The main path of :func:`cnnlib.models.basic_block` on the left, its shortcut on the
    right (the identity, free, or the 1x1 projection with its batch norm), and the sum."""
    _check_ints(state, ("in_channels", "out_channels", "stride", "size"))
    block = basic_block(state.in_channels, state.out_channels, state.stride)
    shape_in = (state.in_channels, state.size, state.size)
    shape_out = block.output_shape(shape_in)      # a size too small raises SettingError
    children = dict(block[0].named_children())     # the Residual: body and maybe shortcut
    body, shortcut = children["body"], children.get("shortcut")
    column, x_skip, skip_w = 300, 380, 280
    box_h = _box_height(2)
    parts = [_title(0, 10, tr("Residual block: {count}", count=_count(block.num_parameters)))]
    y = 30
    parts.append(_box(0, y, column, [tr("input x: {shape}", shape=_shape(shape_in))],
                      "tensor", "input"))
    y_split = y + _box_height(1)
    y = y_split + 30
    params, main = [], 0
    for _, layer in body.named_children():
        parts.append(_arrow(column / 2, y - 30, column / 2, y))
        if isinstance(layer, (Conv2d, BatchNorm2d)):
            kind = "conv" if isinstance(layer, Conv2d) else "norm"
            parts.append(_box(0, y, column, _describe(layer), kind, "main",
                              layer.num_parameters, box_h))
            main += layer.num_parameters
            y += box_h + 30
        else:
            parts.append(_box(0, y, column, ["ReLU"], "relu", "relu"))
            y += _box_height(1) + 30
    params.append(("main path F(x)", main))
    y_add = y
    parts.append(_arrow(column / 2, y_add - 30, column / 2, y_add))
    if shortcut is None:
        label = [tr("shortcut: identity"), tr("(shapes match)"), _count(0)]
        mid = (y_split + y_add) / 2 - _box_height(3) / 2
        parts.append(f'<path d="M{column:g} {y_split - 10:g}H{x_skip + skip_w / 2:g}'
                     f'V{y_add + 18:g}H{column / 2 + 30:g}" fill="none" stroke="#333333" '
                     f'stroke-width="3" stroke-dasharray="8 5" data-role="skip"/>')
        parts.append(_arrow(column / 2 + 30, y_add + 18, column / 2 + 19, y_add + 18))
        parts.append(_box(x_skip, mid, skip_w, label, "tensor", "shortcut", h=_box_height(3)))
        params.append(("shortcut (identity)", 0))
    else:
        conv, norm = list(shortcut)
        y_s = (y_split + y_add) / 2 - box_h - 15
        parts.append(f'<path d="M{column:g} {y_split - 10:g}H{x_skip + skip_w / 2:g}'
                     f'V{y_s:g}" fill="none" stroke="#333333" stroke-width="3" '
                     f'data-role="skip"/>')
        parts.append(_box(x_skip, y_s, skip_w, [tr("1x1 projection:")] + _describe(conv),
                          "reduce", "projection", conv.num_parameters, _box_height(3)))
        y_n = y_s + _box_height(3) + 20
        parts.append(_arrow(x_skip + skip_w / 2, y_s + _box_height(3), x_skip + skip_w / 2,
                            y_n))
        parts.append(_box(x_skip, y_n, skip_w, _describe(norm), "norm", "shortcut",
                          norm.num_parameters, box_h))
        parts.append(f'<path d="M{x_skip + skip_w / 2:g} {y_n + box_h:g}V{y_add + 18:g}'
                     f'H{column / 2 + 30:g}" fill="none" stroke="#333333" stroke-width="3" '
                     f'data-role="skip"/>')
        parts.append(_arrow(column / 2 + 30, y_add + 18, column / 2 + 19, y_add + 18))
        params.append(("shortcut (1x1 projection + batch norm)", shortcut.num_parameters))
    parts.append(f'<circle cx="{column / 2:g}" cy="{y_add + 18:g}" r="18" fill="#FFF6C2" '
                 f'stroke="#000000" stroke-width="2" data-role="add"/>'
                 + svg._text(column / 2, y_add + 18, "+", 26, "middle", "bold"))
    parts.append(svg._text(column / 2 - 26, y_add + 18, tr("F(x) + shortcut(x)"),
                           FONT_SIZE - 1, "end"))
    y_relu = y_add + 36 + 26
    parts.append(_arrow(column / 2, y_add + 36, column / 2, y_relu))
    parts.append(_box(0, y_relu, column, ["ReLU"], "relu", "relu"))
    y_out = y_relu + _box_height(1) + 26
    parts.append(_arrow(column / 2, y_relu + _box_height(1), column / 2, y_out))
    parts.append(_box(0, y_out, column, [tr("output {shape}", shape=_shape(shape_out))],
                      "tensor", "output"))
    picture = svg.Piece("".join(parts), x_skip + skip_w, y_out + _box_height(1))
    return BlockView(state, tuple(params), block.num_parameters,
                     _page(picture, tr("residual block, {count}",
                                       count=_count(block.num_parameters))))


# --- standard vs depthwise-separable convolution ------------------------------------------

@dataclass(frozen=True)
class SeparableState:
    """A ``kernel_size`` convolution from ``in_channels`` to ``out_channels``, drawn as one
    standard convolution and as MobileNet's depthwise + pointwise pair (biases optional)."""

    in_channels: int = 3
    out_channels: int = 4
    kernel_size: int = 3
    bias: bool = False


def _stack(x, y, n, side, role, kind, depth_step=7, dots=True) -> tuple[str, float]:
    """``min(n, MAX_DRAWN)`` squares offset diagonally (channels or filter slices), with "..."
    when some are left out (if ``dots``). Returns the SVG and the drawn width."""
    drawn = min(n, MAX_DRAWN)
    parts = []
    for i in reversed(range(drawn)):
        parts.append(svg._rect(x + i * depth_step, y + (drawn - 1 - i) * depth_step, side, side,
                               kind, f' data-role="{role}" data-index="{i}"'))
    if n > drawn and dots:
        parts.append(svg._text(x + drawn * depth_step + side + 4, y + 6, "...", FONT_SIZE,
                               "start", "bold"))
    return "".join(parts), side + drawn * depth_step


def _filters(x, y, count, depth, side, role) -> tuple[str, float]:
    """``count`` filters (at most MAX_DRAWN drawn) of ``depth`` slices each, side by side."""
    parts, step = [], side + (min(depth, MAX_DRAWN) - 1) * 4 + 14
    for f in range(min(count, MAX_DRAWN)):
        piece, _ = _stack(x + f * step, y, depth, side, role, "kernel", 4, dots=False)
        parts.append(piece)
    width = min(count, MAX_DRAWN) * step
    if count > MAX_DRAWN:
        parts.append(svg._text(x + width, y + side / 2, "...", FONT_SIZE, "start", "bold"))
        width += 20
    return "".join(parts), width


def render_separable(state: SeparableState) -> BlockView:
    """Top: a standard convolution (``C_out`` filters, each ``k x k x C_in``). Bottom: the
    depthwise convolution (``C_in`` filters of ``k x k x 1``, one per channel) and the 1x1
    pointwise convolution that mixes the channels (``C_out`` filters of ``1 x 1 x C_in``)."""
    _check_ints(state, ("in_channels", "out_channels", "kernel_size"))
    if not isinstance(state.bias, bool):
        raise SettingError(f"bias must be True or False, got {state.bias!r}.")
    c_in, c_out, k = state.in_channels, state.out_channels, state.kernel_size
    standard = Conv2d(c_in, c_out, k, padding=k // 2, bias=state.bias)
    depthwise = Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=state.bias)
    pointwise = Conv2d(c_in, c_out, 1, bias=state.bias)
    parts, side = [], 36
    parts.append(_title(0, 10, tr("Standard {k}x{k} convolution, {c_in} → {c_out} channels: "
                                  "{amount}", k=k, c_in=c_in, c_out=c_out,
                                  amount=_amount(standard.num_parameters, state.bias))))
    y = 40
    stack, w_in = _stack(0, y, c_in, 60, "input-channel", "input")
    parts.append(stack + svg._text(0, y + 110, tr("input: {c} channels", c=c_in),
                                   FONT_SIZE - 1, "start"))
    x = max(w_in, 150) + 20
    parts.append(_arrow(x, y + 40, x + 40, y + 40))
    filt, w_f = _filters(x + 50, y + 10, c_out, c_in, side, "standard-filter")
    parts.append(filt + svg._text(x + 50, y + 110, tr("{c_out} filters, each {k}x{k}x{c_in} "
                                                      "(sees every channel)", c_out=c_out, k=k,
                                                      c_in=c_in), FONT_SIZE - 1, "start"))
    parts.append(_box(x + 60 + max(w_f, 330), y + 10, 230,
                      [f"{c_out} · {k}·{k}·{c_in}" + (f" + {c_out}" if state.bias else "")],
                      "conv", "standard", standard.num_parameters))
    y = 200
    total = depthwise.num_parameters + pointwise.num_parameters
    parts.append(_title(0, y, tr("Depthwise-separable: {depthwise} + {pointwise} = {amount} "
                                 "({ratio}x fewer)", depthwise=f"{depthwise.num_parameters:,}",
                                 pointwise=f"{pointwise.num_parameters:,}",
                                 amount=_amount(total, state.bias),
                                 ratio=f"{standard.num_parameters / total:.1f}")))
    y += 30
    stack, w_in = _stack(0, y, c_in, 60, "input-channel", "input")
    parts.append(stack)
    x = max(w_in, 150) + 20
    parts.append(_arrow(x, y + 40, x + 40, y + 40))
    filt, w_d = _filters(x + 50, y + 10, c_in, 1, side, "depthwise-filter")
    parts.append(filt + svg._text(x + 50, y + 110, tr("depthwise: {c_in} filters of {k}x{k}x1",
                                                      c_in=c_in, k=k), FONT_SIZE - 1, "start")
                 + svg._text(x + 50, y + 130, tr("(one per channel, no mixing)"),
                             FONT_SIZE - 1, "start"))
    x2 = x + 60 + max(w_d, 250)
    parts.append(_arrow(x2 - 10, y + 40, x2 + 30, y + 40))
    filt, w_p = _filters(x2 + 40, y + 10, c_out, c_in, 14, "pointwise-filter")
    parts.append(filt + svg._text(x2 + 40, y + 110, tr("pointwise: {c_out} filters of "
                                                       "1x1x{c_in}", c_out=c_out, c_in=c_in),
                                  FONT_SIZE - 1, "start")
                 + svg._text(x2 + 40, y + 130, tr("(mixes the channels)"), FONT_SIZE - 1,
                             "start"))
    y += 150
    parts.append(_box(0, y, 330, [tr("depthwise {formula}", formula=f"{c_in} · {k}·{k}" +
                                     (f" + {c_in}" if state.bias else ""))],
                      "conv", "depthwise", depthwise.num_parameters))
    parts.append(_box(350, y, 330, [tr("pointwise {formula}", formula=f"{c_out} · {c_in}" +
                                       (f" + {c_out}" if state.bias else ""))],
                      "reduce", "pointwise", pointwise.num_parameters))
    width = max(x + 60 + max(w_f, 330) + 230, x2 + 40 + w_p, 680)
    picture = svg.Piece("".join(parts), width, y + _box_height(2))
    params = (("standard", standard.num_parameters), ("depthwise", depthwise.num_parameters),
              ("pointwise", pointwise.num_parameters))
    return BlockView(state, params, total, _page(
        picture, tr("standard convolution {standard}, depthwise-separable {amount}",
                    standard=f"{standard.num_parameters:,}", amount=_amount(total, state.bias))))


# --- a fully connected layer as a convolution ---------------------------------------------

@dataclass(frozen=True)
class FCAsConvState:
    """A ``height x width x channels`` map to ``outputs`` scores; ``selected`` is the output
    neuron (filter) drawn. The defaults are the lecture's ``24x24x10 -> 1x1x10``."""

    height: int = 24
    width: int = 24
    channels: int = 10
    outputs: int = 10
    selected: int = 0


def _cuboid(x, y, w, h, d, kind, role, label) -> str:
    """A box in oblique projection: front face ``w x h``, depth ``d`` drawn up and right."""
    fill, stroke, _, _, _ = svg.CELL_STYLES[kind]
    top = f"{x},{y} {x + d},{y - d} {x + w + d},{y - d} {x + w},{y}"
    side = f"{x + w},{y} {x + w + d},{y - d} {x + w + d},{y + h - d} {x + w},{y + h}"
    return (f'<polygon points="{top}" fill="{fill}" stroke="{stroke}" stroke-width="2" '
            f'opacity="0.8"/><polygon points="{side}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="2" opacity="0.6"/>'
            + svg._rect(x, y, w, h, kind, f' data-role="{role}"')
            + svg._text(x + w / 2, y + h + 18, label, FONT_SIZE, "middle"))


def render_fc_as_conv(state: FCAsConvState) -> BlockView:
    """Each output neuron of the fully connected layer is one filter as large as the whole
    input map: it fits in one position, so the output is ``1 x 1 x outputs``. The counts of the
    :class:`~cnnlib.layers.Linear` layer and of the :class:`~cnnlib.layers.Conv2d` are shown
    side by side (they are equal)."""
    _check_ints(state, ("height", "width", "channels", "outputs"))
    check_int(state.selected, "selected", 0)
    if state.selected >= state.outputs:
        raise SettingError(f"selected must be an output neuron, 0 to {state.outputs - 1}, got "
                           f"{state.selected}: choose a smaller one.")
    h, w, c, n = state.height, state.width, state.channels, state.outputs
    conv = Conv2d(c, n, (h, w))
    fc = Linear(h * w * c, n)
    out_shape = conv.output_shape((c, h, w))
    parts = [_title(0, 10, tr("Fully connected {inputs} → {n} = convolution with {n} filters "
                              "of {h}x{w}x{c}", inputs=f"{h * w * c:,}", n=n, h=h, w=w, c=c))]
    side_h, side_w = 120 * min(1, h / w), 120 * min(1, w / h)
    depth, x0 = 36, 20
    cell = 24 if n <= svg.MAX_DRAWN_CELLS else svg.BIG_GRID_SIDE / n
    y0 = max(70, 40 + n * cell / 2 - side_h / 2)       # room for a tall output column
    middle = y0 + side_h / 2
    parts.append(_cuboid(x0, y0, side_w, side_h, depth, "input", "input",
                         tr("input {shape}", shape=_shape((h, w, c)))))
    parts.append(svg._text(x0 + side_w + depth + 30, middle, "⊙", 30, "middle", "bold"))
    x_f = x0 + side_w + depth + 60
    parts.append(_cuboid(x_f, y0, side_w, side_h, depth, "window", "filter",
                         tr("filter {i}: {shape}", i=state.selected, shape=_shape((h, w, c)))))
    parts.append(svg._text(x_f + side_w / 2, y0 + side_h + 40,
                           tr("{n} weights + 1 bias", n=f"{h * w * c:,}"), FONT_SIZE - 1,
                           "middle"))
    x_o = x_f + side_w + depth + 140
    parts.append(svg._text((x_f + side_w + depth + x_o) / 2, middle - 28, tr("multiply,"),
                           FONT_SIZE - 1, "middle"))
    parts.append(svg._text((x_f + side_w + depth + x_o) / 2, middle - 12,
                           tr("add up: 1 number"), FONT_SIZE - 1, "middle"))
    if n <= svg.MAX_DRAWN_CELLS:
        kinds = [["current" if i == state.selected else "output"] for i in range(n)]
        column = svg.grid(kinds, role="output", cell=cell)
    else:       # a bar with the chosen neuron as a stripe, at least 3 px thick
        stripe = max(cell, 3)
        column = svg.Piece(svg._rect(0, 0, 24, svg.BIG_GRID_SIDE, "output",
                                     ' data-role="output-frame"')
                           + svg._rect(0, min(state.selected * cell, svg.BIG_GRID_SIDE - stripe),
                                       24, stripe, "current",
                                       f' data-role="output" data-r="{state.selected}" '
                                       f'data-c="0"'), 24, svg.BIG_GRID_SIDE)
    y_o = middle - column.height / 2
    y_selected = y_o + (min(state.selected * cell, svg.BIG_GRID_SIDE - max(cell, 3))
                        + max(cell, 3) / 2)
    parts.append(_arrow(x_f + side_w + depth + 10, middle, x_o - 4, y_selected))
    parts.append(svg._place(column, x_o, y_o))
    parts.append(svg._text(x_o, y_o + column.height + 18,
                           tr("output {shape}", shape=_shape((*out_shape[1:], n))),
                           FONT_SIZE, "start"))
    parts.append(svg._text(x_o + column.width + 8, y_selected,
                           tr("← neuron {i}", i=state.selected), FONT_SIZE - 1, "start"))
    y = max(y0 + side_h + 70, middle + column.height / 2 + 40)
    parts.append(_box(0, y, 420, [tr("as a convolution: {n} filters of {h}x{w}x{c}", n=n, h=h,
                                     w=w, c=c)], "conv", "conv", conv.num_parameters))
    parts.append(_box(440, y, 420, [tr("as a fully connected layer: {inputs} → {n}",
                                       inputs=f"{h * w * c:,}", n=n)],
                      "conv", "fc", fc.num_parameters))
    picture = svg.Piece("".join(parts), max(x_o + column.width + 200, 860),
                        y + _box_height(2))
    return BlockView(state, (("convolution", conv.num_parameters),
                             ("fully connected", fc.num_parameters)), conv.num_parameters,
                     _page(picture, tr("fully connected layer as a convolution, {count}",
                                       count=_count(conv.num_parameters))))


# --- the 1x1 convolution --------------------------------------------------------------------

@dataclass(frozen=True)
class PointwiseState:
    """A 1x1 convolution from ``in_channels`` to ``out_channels`` on a ``size x size`` map;
    the pixel ``(row, col)`` is followed through it."""

    in_channels: int = 4
    out_channels: int = 2
    size: int = 4
    row: int = 1
    col: int = 2


def render_pointwise(state: PointwiseState) -> BlockView:
    """At one pixel the ``in_channels`` values are mixed by the same ``out_channels x
    in_channels`` weights as at every other pixel: a fully connected layer per pixel."""
    _check_ints(state, ("in_channels", "out_channels", "size"))
    _check_ints(state, ("row", "col"), 0)
    for name, limit in (("in_channels", MAX_POINTWISE_CHANNELS),
                        ("out_channels", MAX_POINTWISE_CHANNELS), ("size", MAX_POINTWISE_SIDE)):
        if getattr(state, name) > limit:
            raise SettingError(f"{name} = {getattr(state, name)} is too many to draw: the "
                               f"picture shows at most {limit}; count larger layers with "
                               f"cnnlib.shapes.conv_params.")
    for name in ("row", "col"):
        if getattr(state, name) >= state.size:
            raise SettingError(f"{name} must be a pixel of the {state.size}x{state.size} map, "
                               f"0 to {state.size - 1}, got {getattr(state, name)}.")
    layer = Conv2d(state.in_channels, state.out_channels, 1)
    n, r0, c0 = state.size, state.row, state.col
    kinds = [["window" if (r, c) == (r0, c0) else "input" for c in range(n)] for r in range(n)]
    out_kinds = [["current" if (r, c) == (r0, c0) else "output" for c in range(n)]
                 for r in range(n)]
    cell = 20
    parts = [_title(0, 10, tr("1x1 convolution, {c_in} → {c_out} channels: {count}",
                              c_in=state.in_channels, c_out=state.out_channels,
                              count=_count(layer.num_parameters)))]
    y, x_in, x_w, x_out = 40, 0, 360, 620
    grid_h = n * cell + TITLE_SIZE + 10
    mid = y + max(state.in_channels, state.out_channels) * (grid_h + 8) / 2
    centres = []
    for i in range(state.in_channels):
        yy = y + i * (grid_h + 8)
        piece = svg.grid(kinds, role=f"input-{i}", title=tr("in {i}", i=i), cell=cell)
        parts.append(svg._place(piece, x_in, yy))
        centres.append(("in", x_in + (c0 + 1) * cell, yy + TITLE_SIZE + 10 + (r0 + 0.5) * cell))
    box_h = _box_height(3)
    parts.append(_box(x_w - 60, mid - box_h / 2, 200,
                      [tr("{c_out} x {c_in} weights", c_out=state.out_channels,
                          c_in=state.in_channels),
                       tr("+ {c_out} biases", c_out=state.out_channels)], "reduce", "weights",
                      layer.num_parameters, box_h))
    for _, cx, cy in centres:
        parts.append(_arrow(cx, cy, x_w - 62, mid))
    for o in range(state.out_channels):
        yy = y + o * (grid_h + 8)
        piece = svg.grid(out_kinds, role=f"output-{o}", title=tr("out {o}", o=o), cell=cell)
        parts.append(svg._place(piece, x_out, yy))
        parts.append(_arrow(x_w + 142, mid, x_out + c0 * cell - 2,
                            yy + TITLE_SIZE + 10 + (r0 + 0.5) * cell))
    bottom = y + max(state.in_channels, state.out_channels) * (grid_h + 8)
    lines = [f"out[o, {r0}, {c0}] = Σ_i w[o, i] · x[i, {r0}, {c0}] + b[o]",
             tr("the same weights at every pixel: no neighbours, only channels are mixed")]
    parts.append(svg._place(svg.text(lines, FONT_SIZE), 0, bottom + 6))
    picture = svg.Piece("".join(parts), max(x_out + n * cell + 10, 700), bottom + 50)
    return BlockView(state, (("1x1 convolution", layer.num_parameters),), layer.num_parameters,
                     _page(picture, tr("1x1 convolution, {count}",
                                       count=_count(layer.num_parameters))))


__all__ = ["BlockView", "FCAsConvState", "InceptionState", "PointwiseState", "ResidualState",
           "SeparableState", "render_fc_as_conv", "render_inception", "render_pointwise",
           "render_residual", "render_separable"]

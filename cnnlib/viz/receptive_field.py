"""Receptive-field explorer: which cells of every layer below one output cell can see.

A stack of sliding-window layers (convolutions and poolings) is drawn as one grid per layer,
input first. Choosing a cell of the last layer highlights, on every layer below, the cells it
depends on; the table lists receptive field, jump and start from
:func:`cnnlib.shapes.receptive_fields`, and the parameter count of each stack is shown so that
two stacks can be compared ("two 3x3 convolutions see what one 5x5 sees, with fewer weights").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import shapes
from .._validate import SettingError
from ..i18n import N_, explain, tr, words
from ..layers import Conv2d, MaxPool2d
from ..models import alexnet_2012
from . import svg
from ._layers import leaves
from .html import note, panel, table


@dataclass(frozen=True)
class StackLayer:
    """One layer of a stack: a convolution (``channels`` filters) or a pooling."""

    kind: str = "conv"       # "conv" or "pool"
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    channels: int = 64       # output channels of a convolution (a pooling keeps its input's)
    groups: int = 1          # a grouped convolution's filters are in_channels / groups deep


@dataclass(frozen=True)
class ReceptiveFieldState:
    """Two stacks on the same input: ``layers`` (edited) and ``compare`` (may be empty)."""

    layers: tuple[StackLayer, ...]
    compare: tuple[StackLayer, ...] = ()
    input_size: int = 9
    in_channels: int = 64
    row: int = 0              # chosen cell of the last layer
    col: int = 0


def _conv(k, s=1, p=0, c=64):
    return StackLayer("conv", k, s, p, 1, c)


def window_layers(model, count: int) -> tuple[StackLayer, ...]:
    """The first ``count`` convolutions and max poolings of a :mod:`cnnlib.models` network
    (square windows), groups included."""
    out = []
    for layer in leaves(model):
        if isinstance(layer, Conv2d):
            out.append(StackLayer("conv", layer.kernel_size[0], layer.stride[0],
                                  layer.padding[0], layer.dilation[0], layer.out_channels,
                                  layer.groups))
        elif isinstance(layer, MaxPool2d):
            out.append(StackLayer("pool", layer.kernel_size[0], layer.stride[0],
                                  layer.padding[0], layer.dilation[0]))
    return tuple(out[:count])


def _alexnet_2012():
    model = alexnet_2012()
    channels, size, _ = model.input_shape
    return window_layers(model, 4), (), size, channels


#: name: (layers, compare, input size, input channels). AlexNet comes from cnnlib.models.
PRESETS = {
    "two 3x3 vs one 5x5": ((_conv(3), _conv(3)), (_conv(5),), 9, 64),
    "three 3x3 vs one 7x7": ((_conv(3), _conv(3), _conv(3)), (_conv(7),), 11, 64),
    "AlexNet (2012) first layers": _alexnet_2012(),
}


def preset(name: str, row: int = 0, col: int = 0) -> ReceptiveFieldState:
    """The state of a named preset (see :data:`PRESETS`)."""
    layers, compare, size, channels = PRESETS[name]
    return ReceptiveFieldState(layers, compare, size, channels, row, col)


@dataclass(frozen=True)
class StackView:
    """One stack as drawn.

    ``seen[l]`` holds the rows and columns of layer ``l`` (0 = input) that the chosen cell
    depends on; ``span`` is that dependency's extent on the input before clipping to the
    image, ``(first, last)``, which is the receptive field ``rf`` long.
    """

    fields: tuple[shapes.ReceptiveField, ...]
    seen: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
    span: tuple[int, int] | None
    params: int
    error: str = ""


@dataclass(frozen=True)
class ReceptiveFieldView:
    state: ReceptiveFieldState
    stacks: tuple[StackView, ...]
    html: str


def _params(layers, in_channels: int) -> list[int]:
    counts, c = [], in_channels
    for layer in layers:
        if layer.kind == "conv":
            counts.append(shapes.conv_params(c, layer.channels, layer.kernel_size,
                                             layer.groups))
            c = layer.channels
        else:
            counts.append(0)
    return counts


def _cells_below(cells: set[int], layer: StackLayer) -> set[int]:
    """Positions of the layer's input that the given output positions read (unclipped)."""
    return {o * layer.stride - layer.padding + t * layer.dilation
            for o in cells for t in range(layer.kernel_size)}


def _stack_view(layers, state: ReceptiveFieldState) -> StackView:
    windows = [shapes.Window(layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                             f"{layer.kind} {i + 1}") for i, layer in enumerate(layers)]
    params = sum(_params(layers, state.in_channels))
    try:
        fields = tuple(shapes.receptive_fields(windows, state.input_size))
    except SettingError as error:
        fields = tuple(shapes.receptive_fields(windows))
        return StackView(fields, (), None, params, explain(error))
    top = fields[-1].size
    if not (0 <= state.row < top and 0 <= state.col < top):
        return StackView(fields, (), None, params,
                         tr("cell ({row}, {col}) is outside the last layer ({top} × {top}).",
                            row=state.row, col=state.col, top=top))
    rows, cols, span = {state.row}, {state.col}, {state.row}
    seen = [((state.row,), (state.col,))]
    for layer, below in zip(reversed(layers), reversed(fields[:-1])):
        inside = range(below.size)                      # padding cells depend on nothing
        rows = {r for r in _cells_below(rows, layer) if r in inside}
        cols = {c for c in _cells_below(cols, layer) if c in inside}
        span = _cells_below(span, layer)                # not clipped: the full field
        seen.append((tuple(sorted(rows)), tuple(sorted(cols))))
    return StackView(fields, tuple(reversed(seen)), (min(span), max(span)), params)


def _layer_grid(field: shapes.ReceptiveField, seen, last: bool) -> svg.Piece:
    kinds = np.full((field.size, field.size), "input", dtype=object)
    kinds[np.ix_(seen[0], seen[1])] = "current" if last else "seen"
    title = f"{words(field.name, record=False)} {field.size}×{field.size}"
    cell = min(24, 200 / field.size)
    piece = svg.grid(kinds, role=field.name, title=title, cell=cell)
    if cell >= 8 or not seen[0] or not seen[1]:
        return piece
    # small cells: a thick frame around the seen cells, so a few of 240 are still visible
    top = piece.height - field.size * cell
    pad = 3
    x, y = min(seen[1]) * cell - pad, top + min(seen[0]) * cell - pad
    w = (max(seen[1]) - min(seen[1]) + 1) * cell + 2 * pad
    h = (max(seen[0]) - min(seen[0]) + 1) * cell + 2 * pad
    frame = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="none" '
             f'stroke="black" stroke-width="2.5" data-role="frame"/>')
    return svg.Piece(piece.svg + frame, piece.width, piece.height)


def _rows_of(pieces, width: float = 760, gap: float = 20) -> svg.Piece:
    """Panels left to right, wrapped onto new rows so a row stays under ``width`` px."""
    rows, current, used = [], [], 0.0
    for piece in pieces:
        if current and used + gap + piece.width > width:
            rows.append(svg.hstack(current, gap))
            current, used = [], 0.0
        used += (gap if current else 0) + piece.width
        current.append(piece)
    rows.append(svg.hstack(current, gap))
    return svg.vstack(rows, gap)


def describe(label: str, stack: StackView, state: ReceptiveFieldState) -> str:
    """A stack picture's text alternative: the chosen cell, its receptive field and the cells
    it depends on in every layer (input first), in the current language."""
    top = stack.fields[-1]
    text = tr("{label}: cell ({row}, {col}) of the last layer ({size} × {size}) has a {rf} × "
              "{rf} receptive field; the cells it depends on", label=tr(label), row=state.row,
              col=state.col, size=top.size, rf=top.rf)
    layers = [tr("{layer}: rows {rows}, columns {cols}",
                 layer=words(field.name, record=False) + f" {field.size}×{field.size}",
                 rows=svg.span_text(rows), cols=svg.span_text(cols))
              for field, (rows, cols) in zip(stack.fields, stack.seen)]
    return text + ": " + "; ".join(layers)


def _stack_html(label: str, layers, stack: StackView, state: ReceptiveFieldState) -> str:
    header = [tr("layer"), "k", "s", "p", "d", tr("size"), "rf", tr("jump"), tr("start"),
              tr("params")]
    counts = _params(layers, state.in_channels)
    rows = [[tr("input"), "", "", "", "", stack.fields[0].size or "", 1, 1, 0.5, ""]]
    for layer, f, count in zip(layers, stack.fields[1:], counts):
        rows.append([f.name, layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                     f.size if f.size is not None else "", f.rf, f.jump, f"{f.start:g}",
                     f"{count:,}"])
    field = (tr("not possible (see below)") if stack.error else
             f"{stack.fields[-1].rf} × {stack.fields[-1].rf}")
    title = tr("<b>{label}</b>: receptive field {field}, {params} parameters "
               "({channels} input channels)", label=tr(label), field=field,
               params=f"{stack.params:,}", channels=state.in_channels)
    parts = [f"<div style='font-size:17px;margin-top:8px'>{title}</div>",
             table(header, rows, highlight=len(rows) - 1)]
    if stack.error:
        parts.append(note(stack.error, "error"))
    else:
        grids = [_layer_grid(f, s, i == len(stack.fields) - 1)
                 for i, (f, s) in enumerate(zip(stack.fields, stack.seen))]
        parts.append(svg.document(_rows_of(grids), describe(label, stack, state)))
    return "".join(parts)


def render_receptive_field(state: ReceptiveFieldState) -> ReceptiveFieldView:
    """Draw both stacks; impossible stacks (an empty layer) are explained, not raised."""
    stacks = [(N_("stack A"), state.layers)]
    if state.compare:
        stacks.append((N_("stack B"), state.compare))
    views = tuple(_stack_view(layers, state) for _, layers in stacks)
    parts = [_stack_html(label, layers, view, state)
             for (label, layers), view in zip(stacks, views)]
    if len(views) == 2 and not views[0].error and not views[1].error:
        a, b = views
        same = a.fields[-1].rf == b.fields[-1].rf
        parts.insert(0, note(
            tr("Both stacks see {rf} × {rf} input cells; stack A uses {a} parameters, "
               "stack B {b}.", rf=a.fields[-1].rf, a=f"{a.params:,}", b=f"{b.params:,}")
            if same else
            tr("Stack A sees {a} × {a} cells, stack B {b} × {b}.", a=a.fields[-1].rf,
               b=b.fields[-1].rf), "info"))
    kinds = ["current", "seen", "input"]
    legend = svg.document(svg.legend(kinds), svg.legend_text(kinds))
    return ReceptiveFieldView(state, views, panel(*parts, legend))

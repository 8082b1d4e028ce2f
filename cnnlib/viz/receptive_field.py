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
from . import svg
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


#: name: (layers, compare, input size, input channels)
PRESETS = {
    "two 3x3 vs one 5x5": ((_conv(3), _conv(3)), (_conv(5),), 9, 64),
    "three 3x3 vs one 7x7": ((_conv(3), _conv(3), _conv(3)), (_conv(7),), 11, 64),
    "AlexNet (2012) first layers": (
        (_conv(11, 4, 0, 96), StackLayer("pool", 3, 2), _conv(5, 1, 2, 256),
         StackLayer("pool", 3, 2)), (), 227, 3),
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
            counts.append(shapes.conv_params(c, layer.channels, layer.kernel_size))
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
    except ValueError as error:
        fields = tuple(shapes.receptive_fields(windows))
        return StackView(fields, (), None, params, str(error))
    top = fields[-1].size
    if not (0 <= state.row < top and 0 <= state.col < top):
        return StackView(fields, (), None, params,
                         f"cell ({state.row}, {state.col}) is outside the last layer "
                         f"({top} × {top}).")
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
    title = f"{field.name} {field.size}×{field.size}"
    return svg.grid(kinds, role=field.name, title=title, cell=min(24, 200 / field.size))


def _stack_html(label: str, layers, stack: StackView, state: ReceptiveFieldState) -> str:
    header = ["layer", "k", "s", "p", "d", "size", "rf", "jump", "start", "params"]
    counts = _params(layers, state.in_channels)
    rows = [["input", "", "", "", "", stack.fields[0].size or "", 1, 1, 0.5, ""]]
    for layer, f, count in zip(layers, stack.fields[1:], counts):
        rows.append([f.name, layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                     f.size if f.size is not None else "", f.rf, f.jump, f"{f.start:g}",
                     f"{count:,}"])
    title = (f"<b>{label}</b>: receptive field {stack.fields[-1].rf} × {stack.fields[-1].rf}, "
             f"{stack.params:,} parameters ({state.in_channels} input channels)")
    parts = [f"<div style='font-size:17px;margin-top:8px'>{title}</div>",
             table(header, rows, highlight=len(rows) - 1)]
    if stack.error:
        parts.append(note(stack.error, "error"))
    else:
        grids = [_layer_grid(f, s, i == len(stack.fields) - 1)
                 for i, (f, s) in enumerate(zip(stack.fields, stack.seen))]
        parts.append(svg.document(svg.hstack(grids, gap=20),
                                  f"{label}: receptive field of one output cell"))
    return "".join(parts)


def render_receptive_field(state: ReceptiveFieldState) -> ReceptiveFieldView:
    """Draw both stacks; impossible stacks (an empty layer) are explained, not raised."""
    stacks = [("stack A", state.layers)]
    if state.compare:
        stacks.append(("stack B", state.compare))
    views = tuple(_stack_view(layers, state) for _, layers in stacks)
    parts = [_stack_html(label, layers, view, state)
             for (label, layers), view in zip(stacks, views)]
    if len(views) == 2 and not views[0].error and not views[1].error:
        a, b = views
        same = a.fields[-1].rf == b.fields[-1].rf
        parts.insert(0, note(
            f"Both stacks see {a.fields[-1].rf} × {a.fields[-1].rf} input cells; stack A uses "
            f"{a.params:,} parameters, stack B {b.params:,}." if same else
            f"Stack A sees {a.fields[-1].rf} × {a.fields[-1].rf} cells, stack B "
            f"{b.fields[-1].rf} × {b.fields[-1].rf}.", "info"))
    legend = svg.document(svg.legend(["current", "seen", "input"]), "legend")
    return ReceptiveFieldView(state, views, panel(*parts, legend))

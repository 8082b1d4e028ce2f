"""Layer-stack explorer: a list of conv / pool / FC layers, its live summary table (output
shapes, parameters, multiply-adds from :func:`cnnlib.summary.summary`) and a bar showing
where the parameters live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from ..layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ..summary import Summary, summary
from . import svg
from .figure import COLORS
from .html import note, panel


@dataclass(frozen=True)
class LayerSpec:
    """One layer: ``"conv"`` (``size`` filters), ``"pool"`` (max) or ``"fc"`` (``size``
    outputs). Kernel, stride and padding apply to conv and pool."""

    kind: str = "conv"
    size: int = 64
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class LayerStackState:
    layers: tuple[LayerSpec, ...]
    input_shape: tuple[int, int, int] = (3, 224, 224)


def _conv(c, k, s=1, p=0):
    return LayerSpec("conv", c, k, s, p)


POOL = LayerSpec("pool", 0, 3, 2, 0)
PRESETS = {
    "AlexNet (torchvision)": ((_conv(64, 11, 4, 2), POOL, _conv(192, 5, 1, 2), POOL,
                               _conv(384, 3, 1, 1), _conv(256, 3, 1, 1), _conv(256, 3, 1, 1),
                               POOL, LayerSpec("fc", 4096), LayerSpec("fc", 4096),
                               LayerSpec("fc", 1000)), (3, 224, 224)),
    "small CNN": ((_conv(16, 3, 1, 1), LayerSpec("pool", 0, 2, 2), _conv(32, 3, 1, 1),
                   LayerSpec("pool", 0, 2, 2), LayerSpec("fc", 10)), (1, 28, 28)),
}


@dataclass(frozen=True)
class LayerStackView:
    state: LayerStackState
    summary: Summary
    error: str
    html: str


def build(state: LayerStackState) -> tuple[Sequential, str]:
    """The cnnlib model of the stack (ReLU after conv/FC, Flatten before the first FC), and
    the error that stopped building it (``""`` if none)."""
    modules, shape = [], tuple(state.input_shape)
    for i, spec in enumerate(state.layers, start=1):
        try:
            if spec.kind == "conv":
                new = [Conv2d(shape[0], spec.size, spec.kernel_size, spec.stride, spec.padding),
                       ReLU()]
            elif spec.kind == "pool":
                new = [MaxPool2d(spec.kernel_size, spec.stride, spec.padding)]
            else:
                new = ([Flatten()] if len(shape) > 1 else []) + [Linear(
                    math.prod(shape), spec.size), ReLU()]
            for module in new:
                shape = module.output_shape(shape)
        except ValueError as error:   # cnnlib's ShapeError is a ValueError
            return Sequential(*modules), f"layer {i} ({spec.kind}): {error}"
        modules += new
    return Sequential(*modules), ""


def _parameter_bar(table: Summary) -> svg.Piece:
    """One bar split by layer in proportion to its parameters, labelled when wide enough."""
    parts = [(row.name, row.type, row.params) for row in table.rows if row.params]
    total = sum(p for *_, p in parts)
    width, x, svgs = 900, 0.0, []
    for i, (name, kind, params) in enumerate(parts):   # no parts when total is 0
        w = width * params / total
        colour = COLORS[i % len(COLORS)]
        svgs.append(f'<rect x="{x:.1f}" y="22" width="{w:.1f}" height="34" fill="{colour}" '
                    f'stroke="white" data-role="params" data-layer="{escape(name)}" '
                    f'data-params="{params}"><title>{escape(name)} {kind}: {params:,}'
                    f'</title></rect>')
        if w > 60:
            svgs.append(f'<text x="{x + 4:.1f}" y="74" font-size="14">{escape(kind)} '
                        f'{100 * params / total:.0f}%</text>')
        x += w
    title = f'<text x="0" y="14" font-size="16" font-weight="bold">where the {total:,} ' \
            f'parameters live (hover for details)</text>'
    return svg.Piece(title + "".join(svgs), width, 80)


def render_layer_stack(state: LayerStackState) -> LayerStackView:
    """Summary table and parameter bar; a stack whose shapes break is explained."""
    model, error = build(state)
    table = summary(model, state.input_shape)
    parts = [note(error, "error")] if error else []
    total = (f'<div class="cnnlib-total" style="font-size:18px;font-weight:bold">'
             f"{table.total_params:,} parameters in total</div>")
    parts += [total, svg.document(_parameter_bar(table), "parameters per layer"),
              f'<div style="overflow-x:auto;max-width:100%">{table._repr_html_()}</div>']
    return LayerStackView(state, table, error, panel(*parts))

"""Layer-stack explorer: a list of conv / pool / FC layers, its live summary table (output
shapes, parameters, multiply-adds from :func:`cnnlib.summary.summary`) and a bar showing
where the parameters live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from .._validate import SettingError
from ..i18n import explain, tr
from ..layers import (
    AdaptiveAvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from ..models import alexnet
from ..summary import Summary, summary
from . import svg
from ._layers import leaves
from .figure import COLORS
from .html import note, panel, scroll_box


@dataclass(frozen=True)
class LayerSpec:
    """One layer: ``"conv"`` (``size`` filters, then ReLU), ``"pool"`` (max), ``"adaptive"``
    (adaptive average pooling to ``size`` x ``size``) or ``"fc"`` (``size`` outputs, then ReLU
    except after the last one: the classifier's scores). Kernel, stride and padding apply to
    conv and pool."""

    kind: str = "conv"
    size: int = 64
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class LayerStackState:
    layers: tuple[LayerSpec, ...]
    input_shape: tuple[int, int, int] = (3, 224, 224)


KINDS = ("conv", "pool", "adaptive", "fc")


def specs(model) -> tuple[LayerSpec, ...]:
    """The layers of a :mod:`cnnlib.models` network as the explorer's layer list.

    ReLU, Flatten and Dropout have no settings (and no parameters): :func:`build` puts ReLU
    and Flatten back where this explorer always has them. Square kernels only.
    """
    out = []
    for layer in leaves(model):
        if isinstance(layer, Conv2d):
            if layer.groups != 1 or isinstance(layer.padding, str):
                raise ValueError(f"the layer stack has no grouped or {layer.padding!r} conv")
            out.append(LayerSpec("conv", layer.out_channels, layer.kernel_size[0],
                                 layer.stride[0], layer.padding[0]))
        elif isinstance(layer, MaxPool2d):
            out.append(LayerSpec("pool", 0, layer.kernel_size[0], layer.stride[0],
                                 layer.padding[0]))
        elif isinstance(layer, AdaptiveAvgPool2d):
            out.append(LayerSpec("adaptive", layer.output_size[0], 1, 1, 0))
        elif isinstance(layer, Linear):
            out.append(LayerSpec("fc", layer.out_features))
        elif not isinstance(layer, (ReLU, Flatten, Dropout)):
            raise ValueError(f"the layer stack has no {type(layer).__name__} layer")
    return tuple(out)


def _preset(model):
    return specs(model), tuple(model.input_shape)


def _conv(c, k, s=1, p=0):
    return LayerSpec("conv", c, k, s, p)


#: name: (layers, input shape). AlexNet is :func:`cnnlib.models.alexnet` itself.
PRESETS = {
    "AlexNet (torchvision)": _preset(alexnet()),
    "small CNN": ((_conv(16, 3, 1, 1), LayerSpec("pool", 0, 2, 2), _conv(32, 3, 1, 1),
                   LayerSpec("pool", 0, 2, 2), LayerSpec("fc", 10)), (1, 28, 28)),
}


def head_start(layers) -> int:
    """Index of the classifier head: the trailing run of ``"adaptive"`` / ``"fc"`` layers."""
    index = len(layers)
    while index > 0 and layers[index - 1].kind in ("adaptive", "fc"):
        index -= 1
    return index


def new_layer(layers) -> tuple[int, LayerSpec]:
    """What "add layer" inserts, and where: a 3x3 convolution with padding 1 (it keeps the
    height and width) and as many filters as the convolution before it, just before the
    classifier head, so the network stays valid."""
    index = head_start(layers)
    channels = next((spec.size for spec in reversed(layers[:index]) if spec.kind == "conv"), 64)
    return index, _conv(channels, 3, 1, 1)


@dataclass(frozen=True)
class LayerStackView:
    state: LayerStackState
    summary: Summary
    error: str
    html: str


def build(state: LayerStackState) -> tuple[Sequential, str]:
    """The cnnlib model of the stack (ReLU after every conv and FC but the last FC, Flatten
    before the first FC), and
    the error that stopped building it (``""`` if none)."""
    modules, shape = [], tuple(state.input_shape)
    last_fc = max((i for i, spec in enumerate(state.layers) if spec.kind == "fc"), default=-1)
    for i, spec in enumerate(state.layers, start=1):
        try:   # only cnnlib's constructors and shape checks: they refuse with SettingError
            if spec.kind == "conv":
                new = [Conv2d(shape[0], spec.size, spec.kernel_size, spec.stride, spec.padding),
                       ReLU()]
            elif spec.kind == "pool":
                new = [MaxPool2d(spec.kernel_size, spec.stride, spec.padding)]
            elif spec.kind == "adaptive":
                new = [AdaptiveAvgPool2d(spec.size)]
            else:
                new = ([Flatten()] if len(shape) > 1 else []) + [Linear(
                    math.prod(shape), spec.size)] + ([ReLU()] if i - 1 != last_fc else [])
            for module in new:
                shape = module.output_shape(shape)
        except SettingError as error:   # ShapeError is a SettingError too
            return Sequential(*modules), tr("layer {i} ({kind}): {error}", i=i,
                                            kind=spec.kind, error=explain(error))
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
    title = ('<text x="0" y="14" font-size="16" font-weight="bold">'
             + escape(tr("where the {total} parameters live (hover for details)",
                         total=f"{total:,}")) + "</text>")
    return svg.Piece(title + "".join(svgs), width, 80)


def describe(table) -> str:
    """The parameter bar's text alternative: every layer with parameters, its count and its
    share of the total, in the current language."""
    parts = [(row.name, row.type, row.params) for row in table.rows if row.params]
    total = sum(p for *_, p in parts)
    if not total:
        return tr("no layer has parameters")
    return tr("where the {total} parameters live: {parts}", total=f"{total:,}", parts="; ".join(
        f"{name} {kind} {params:,} ({100 * params / total:.0f}%)" for name, kind, params in parts))


def render_layer_stack(state: LayerStackState) -> LayerStackView:
    """Summary table and parameter bar; a stack whose shapes break is explained."""
    model, error = build(state)
    table = summary(model, state.input_shape)
    parts = [note(error, "error")] if error else []
    total = ('<div class="cnnlib-total" style="font-size:18px;font-weight:bold">'
             + tr("{n} parameters in total", n=f"{table.total_params:,}") + "</div>")
    parts += [total, svg.document(_parameter_bar(table), describe(table)),
              scroll_box(table._repr_html_())]
    return LayerStackView(state, table, error, panel(*parts))

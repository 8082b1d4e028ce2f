"""Layer-stack explorer: add / remove conv, pool and FC layers; live summary table."""

from __future__ import annotations

from ..viz.layer_stack import (
    KINDS,
    PRESETS,
    LayerSpec,
    LayerStackState,
    new_layer,
    render_layer_stack,
)
from .base import StackExplorer, dropdown, html_view, int_slider


class LayerStackExplorer(StackExplorer):
    layer_type = LayerSpec
    layer_controls = ("kind", "size", "kernel_size", "stride", "padding")

    def load_preset(self, name: str) -> list:
        layers, (c, h, _) = PRESETS[name]
        self.in_channels.value, self.input_size.value = c, h
        return list(layers)

    def insert_at(self):
        """A 3x3 convolution (padding 1) just before the classifier head."""
        return new_layer(self.layers)

    def draw_stack(self) -> None:
        windowless = self.kind.value in ("fc", "adaptive")    # no kernel, stride, padding
        for name in ("kernel_size", "stride", "padding"):
            self.controls[name].disabled = windowless
        shape = (self.in_channels.value, self.input_size.value, self.input_size.value)
        view = render_layer_stack(LayerStackState(tuple(self.layers), shape))
        self.rendered = view
        self.view.value = view.html


def layer_stack_explorer(preset: str = "AlexNet (torchvision)") -> LayerStackExplorer:
    """Build a CNN layer by layer and watch shapes, parameters and multiply-adds."""
    controls = {
        "preset": dropdown("preset", list(PRESETS), preset, "preset"),
        "in_channels": int_slider("input channels", 3, 1, 64),
        "input_size": int_slider("input size", 224, 1, 256),
        "layer": dropdown("edit layer", [("1", 0)], 0),
        "kind": dropdown("kind", list(KINDS), "conv"),
        "size": int_slider("channels / outputs", 64, 1, 4096),
        "kernel_size": int_slider("kernel k", 3, 1, 11),
        "stride": int_slider("stride s", 1, 1, 4),
        "padding": int_slider("padding p", 0, 0, 5),
    }
    return LayerStackExplorer(controls, html_view())

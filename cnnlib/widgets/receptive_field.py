"""Receptive-field explorer: presets, per-layer editing, and a chosen output cell."""

from __future__ import annotations

from dataclasses import replace

from ..viz.receptive_field import (
    PRESETS,
    ReceptiveFieldState,
    StackLayer,
    preset,
    render_receptive_field,
)
from .base import StackExplorer, check_in_range, dropdown, html_view, int_slider


class ReceptiveFieldExplorer(StackExplorer):
    """Edit stack A layer by layer (``layer`` picks which) and compare it with stack B."""

    layer_type = StackLayer
    layer_controls = ("kind", "kernel_size", "stride", "padding", "dilation", "channels")

    def load_preset(self, name: str) -> list:
        start = preset(name)
        self.compare = start.compare
        self.input_size.value, self.in_channels.value = start.input_size, start.in_channels
        return list(start.layers)

    def draw_stack(self) -> None:
        state = ReceptiveFieldState(tuple(self.layers), self.compare, self.input_size.value,
                                    self.in_channels.value, self.row.value, self.col.value)
        view = render_receptive_field(state)
        top = view.stacks[0].fields[-1].size
        if top is not None and (self.row.max, self.col.max) != (top - 1, top - 1):
            old_centre = (self.row.max + 1) // 2
            centred = self.row.value == self.col.value == old_centre
            self.row.max = self.col.max = top - 1      # slider values follow if out of range
            if centred:                                # the centre cell stays the centre
                self.row.value = self.col.value = top // 2
            state = replace(state, row=self.row.value, col=self.col.value)
            view = render_receptive_field(state)
        self.rendered = view
        self.view.value = view.html


def receptive_field_explorer(preset_name: str = "two 3x3 vs one 5x5", row: int | None = None,
                             col: int | None = None) -> ReceptiveFieldExplorer:
    """Explore how far one output cell sees; ``row``/``col`` default to the centre cell."""
    controls = {
        "preset": dropdown("preset", list(PRESETS), preset_name, "preset_name"),
        "input_size": int_slider("input size", 9, 1, 240),
        "in_channels": int_slider("input channels", 64, 1, 512),
        "layer": dropdown("edit layer", [("1", 0)], 0),
        "kind": dropdown("kind", ["conv", "pool"], "conv"),
        "channels": int_slider("out channels", 64, 1, 512),
        "kernel_size": int_slider("kernel k", 3, 1, 11),
        "stride": int_slider("stride s", 1, 1, 4),
        "padding": int_slider("padding p", 0, 0, 5),
        "dilation": int_slider("dilation d", 1, 1, 4),
        "row": int_slider("output row", 0, 0, 500),
        "col": int_slider("output column", 0, 0, 500),
    }
    rows = [["preset", "input_size", "in_channels"], ["layer", "kind", "channels"],
            ["kernel_size", "stride", "padding"], ["dilation", "row", "col"]]
    explorer = ReceptiveFieldExplorer(controls, html_view(), rows)
    top = explorer.rendered.stacks[0].fields[-1].size or 1
    for name, value in (("row", row), ("col", col)):
        if value is not None:
            check_in_range(value, name, 0, top - 1)
    explorer.row.value = top // 2 if row is None else row
    explorer.col.value = top // 2 if col is None else col
    return explorer

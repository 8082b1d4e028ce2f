"""Pooling explorer: max / average, kernel, stride, padding, ceil_mode; grid or photograph."""

from __future__ import annotations

from ..viz.pooling import PoolingState, render_pooling
from .base import Explorer, checkbox, dropdown, html_view, int_slider

#: Largest kernel and stride on the sliders (the photo is 96 x 96: 16 gives 6 x 6).
MAX_KERNEL = 16


class PoolingExplorer(Explorer):
    """Sliders for :class:`~cnnlib.viz.pooling.PoolingState`."""

    def draw(self) -> None:
        state = PoolingState(**self.values())
        view = render_pooling(state)
        self.fit_steps(None if view.output is None else view.output.size, self.step)
        self.step.disabled = view.output is None or state.source != "grid"
        self.rendered = view
        self.view.value = view.html


def pooling_explorer(mode: str = "max", kernel_size: int = 2, stride: int = 2, padding: int = 0,
                     ceil_mode: bool = False, source: str = "grid") -> PoolingExplorer:
    """Pool the 6x6 grid (``source="grid"``) or the bundled photograph (``"image"``)."""
    controls = {
        "mode": dropdown("pooling", ["max", "avg"], mode, "mode"),
        "kernel_size": int_slider("kernel size", kernel_size, 1, MAX_KERNEL, "kernel_size"),
        "stride": int_slider("stride s", stride, 1, MAX_KERNEL, "stride"),
        "padding": int_slider("padding p", padding, 0, MAX_KERNEL // 2, "padding"),
        "ceil_mode": checkbox("ceil_mode", ceil_mode, "ceil_mode"),
        "source": dropdown("input", ["grid", "image"], source, "source"),
        "step": int_slider("output cell", 0, 0, 0),
    }
    return PoolingExplorer(controls, html_view())

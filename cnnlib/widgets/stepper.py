"""Convolution stepper: Play / step through the windows of a small convolution."""

from __future__ import annotations

import ipywidgets as widgets

from ..i18n import tr
from ..viz.stepper import StepperState, multichannel_state, render_stepper
from .base import Explorer, check_in_range, dropdown, html_view, int_slider

MODES = {"lecture 5x5 (1 channel)": StepperState, "3 channels": multichannel_state}


class StepperExplorer(Explorer):
    """``play`` (an ipywidgets Play) drives the ``step`` slider; both are keyboard-usable."""

    def draw(self) -> None:
        state = MODES[self.mode.value](padding=self.padding.value, stride=self.stride.value,
                                       step=self.step.value)
        view = render_stepper(state)
        self.fit_steps(None if view.output is None else view.output.size, self.step, self.play)
        self.rendered = view
        self.view.value = view.html


def stepper_explorer(mode: str = "lecture 5x5 (1 channel)", padding: int = 1, stride: int = 1,
                     step: int = 0, interval_ms: int = 800) -> StepperExplorer:
    """Step a 3x3 kernel over the lecture's 5x5 image (or a 3-channel image)."""
    check_in_range(interval_ms, "interval_ms", 50, 5000)
    controls = {
        "mode": dropdown("example", list(MODES), mode, "mode"),
        "padding": int_slider("padding p", padding, 0, 2, "padding"),
        "stride": int_slider("stride s", stride, 1, 3, "stride"),
        "step": int_slider("step", step, 0, 24, "step"),
    }
    play = widgets.Play(value=step, min=0, max=24, interval=interval_ms,
                        description=tr("play"))
    widgets.link((play, "value"), (controls["step"], "value"))
    return StepperExplorer(controls, html_view(), rows=[list(controls)], extra={"play": play})

"""Batch-norm explorer: batch size, gamma, beta, train vs eval, running statistics over steps."""

from __future__ import annotations

import ipywidgets as widgets

from ..i18n import words
from ..viz.batch_norm import MAX_STEPS, BatchNormFigure, BatchNormState
from .base import (
    DESCRIPTION_STYLE,
    FigureExplorer,
    control_layout,
    dropdown,
    float_slider,
    int_slider,
    refuse_choice,
)

BATCH_SIZES = [2, 4, 8, 16, 32, 64, 128, 256]


class BatchNormExplorer(FigureExplorer):
    def draw(self) -> None:
        self.show(BatchNormState(**self.values()))


def batch_norm_explorer(batch_size: int = 32, gamma: float = 1.0, beta: float = 0.0,
                        training: bool = True, steps: int = 10, momentum: float = 0.1,
                        seed: int = 0) -> BatchNormExplorer:
    """Normalise a seeded batch; watch the running statistics that evaluation mode uses."""
    if batch_size not in BATCH_SIZES:   # checked before any batch is drawn
        raise refuse_choice("batch_size", batch_size, BATCH_SIZES)
    controls = {
        "batch_size": widgets.SelectionSlider(options=BATCH_SIZES, value=batch_size,
                                              description=words("batch size"),
                                              style=DESCRIPTION_STYLE, layout=control_layout()),
        "gamma": float_slider("γ (weight)", gamma, 0.1, 3.0, 0.1, "gamma"),
        "beta": float_slider("β (bias)", beta, -3.0, 3.0, 0.25, "beta"),
        "training": dropdown("mode", [("train", True), ("eval", False)], training,
                             "training"),
        "steps": int_slider("steps taken", steps, 0, MAX_STEPS, "steps"),
        "momentum": float_slider("momentum", momentum, 0.01, 1.0, 0.01, "momentum"),
        "seed": int_slider("seed", seed, 0, 20, "seed"),
    }
    return BatchNormExplorer(controls, BatchNormFigure())

"""Activations explorer: sigmoid / tanh / ReLU, their slopes, and slopes multiplied per layer."""

from __future__ import annotations

from ..viz.activations import FUNCTIONS, MAX_LAYERS, ActivationFigure, ActivationState
from .base import FigureExplorer, dropdown, float_slider, int_slider


class ActivationsExplorer(FigureExplorer):
    def draw(self) -> None:
        self.show(ActivationState(**self.values()))


def activations_explorer(function: str = "sigmoid", layers: int = 5,
                         x: float = 0.0) -> ActivationsExplorer:
    """Why sigmoid's slope of at most 0.25 makes gradients vanish: 0.25^n through n layers."""
    controls = {
        "function": dropdown("function", list(FUNCTIONS), function, "function"),
        "layers": int_slider("layers n", layers, 1, MAX_LAYERS, "layers"),
        "x": float_slider("x", x, -6.0, 6.0, 0.25, "x"),
    }
    return ActivationsExplorer(controls, ActivationFigure())

"""Activations explorer: sigmoid, tanh, ReLU, their derivatives, and what happens to a
gradient multiplied by the derivative once per layer.

Backpropagation through ``n`` layers multiplies ``n`` derivatives. Sigmoid's slope is at most
0.25 (at 0), so the product is at most ``0.25 ** n``: after 10 layers less than one millionth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations as act
from ..i18n import tr
from .figure import COLORS, BlitFigure
from .html import plural

FUNCTIONS = {  # name: (function, derivative, largest slope)
    "sigmoid": (act.sigmoid, act.sigmoid_derivative, 0.25),
    "tanh": (act.tanh, act.tanh_derivative, 1.0),
    "relu": (act.relu, act.relu_derivative, 1.0),
}
MAX_LAYERS = 20


@dataclass(frozen=True)
class ActivationState:
    """Which function, how many layers, and the pre-activation ``x`` where slopes are taken."""

    function: str = "sigmoid"
    layers: int = 5
    x: float = 0.0


@dataclass(frozen=True)
class ActivationView:
    state: ActivationState
    slope: float          # f'(x)
    product: float        # f'(x) ** layers
    bound: float          # (largest slope) ** layers
    text: str


def describe(state: ActivationState) -> ActivationView:
    """The numbers the picture shows."""
    _, derivative, largest = FUNCTIONS[state.function]
    slope = float(derivative(np.array([state.x]))[0])
    product = slope ** state.layers
    bound = largest ** state.layers
    text = (f"{state.function}'({state.x:g}) = {slope:.4g};  "
            + tr("through {layers}", layers=plural(state.layers, "layer"))
            + f": {slope:.4g}^{state.layers} = {product:.3g}  "
            + tr("(at best {bound})", bound=f"{largest:g}^{state.layers} = {bound:.3g}"))
    if state.function == "relu" and state.x == 0:
        text += tr(". At exactly 0 ReLU has a corner; its slope there is taken as 0 (as in "
                   "PyTorch), so nothing passes. Move x above 0: the slope is 1 at every layer")
    elif state.function == "relu" and slope == 0:
        text += tr(": a negative input stops the gradient (a 'dead' ReLU)")
    return ActivationView(state, slope, product, bound, text)


class ActivationFigure(BlitFigure):
    """Left: f and f' on [-6, 6]. Right: |f'(x)|^n for n = 1..20 on a log scale.

    The numbers (:func:`describe`) are shown as text beside the figure, not in it: redrawing
    text is the slowest part of a matplotlib update.
    """

    def __init__(self):
        super().__init__(figsize=(11, 3.8))
        with self.styled():   # the projector-sized fonts of style.MATPLOTLIB_RC
            left, right = self.axes
            self.grid_x = np.linspace(-6, 6, 241)
            left.set(xlim=(-6, 6), ylim=(-1.2, 1.6), xlabel=tr("x (pre-activation)"))
            left.axhline(0, color="#999999", lw=0.8)
            left.grid(alpha=0.3)
            self.curve = self.moving(left.plot([], [], lw=3, color=COLORS[0], label="f(x)")[0])
            self.slope = self.moving(left.plot([], [], lw=3, ls="--", color=COLORS[1],
                                               label=tr("f'(x) (dashed)"))[0])
            self.point = self.moving(left.plot([], [], "o", ms=10, color=COLORS[3])[0])
            left.legend(loc="upper left")
            n = np.arange(1, MAX_LAYERS + 1)
            right.set(yscale="log", ylim=(1e-13, 3), xlim=(0.3, MAX_LAYERS + 0.7),
                      xlabel=tr("layers n"), ylabel=tr("f'(x)^n  (log scale)"))
            right.grid(alpha=0.3, which="major")
            right.axhline(1, color="#999999", lw=0.8)
            self.bars = right.bar(n, np.ones(MAX_LAYERS), color=COLORS[5], edgecolor="black")
            self.moving(*self.bars)
            self.nothing = self.moving(right.text(
                MAX_LAYERS / 2 + 0.5, 1e-6, tr("f'(x) = 0: no gradient\npasses at any depth"),
                ha="center", va="center", fontsize=15, bbox={"facecolor": "white",
                                                            "edgecolor": COLORS[3]}))

    def update(self, state: ActivationState) -> ActivationView:
        function, derivative, _ = FUNCTIONS[state.function]
        view = describe(state)
        self.curve.set_data(self.grid_x, function(self.grid_x))
        self.slope.set_data(self.grid_x, derivative(self.grid_x))
        self.point.set_data([state.x], [view.slope])
        heights = np.abs(view.slope) ** np.arange(1, MAX_LAYERS + 1)
        self.nothing.set_visible(view.slope == 0)
        for n, (bar, height) in enumerate(zip(self.bars, heights), start=1):
            bar.set_height(max(height, 1e-14))   # log axis: a zero is drawn as "below the axis"
            chosen = n == state.layers
            bar.set_facecolor(COLORS[1] if chosen else COLORS[5])
            bar.set_hatch("//" if chosen else "")
        return view

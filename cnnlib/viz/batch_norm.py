"""Batch-norm explorer: one channel's activations before and after normalisation, and the
running statistics that evaluation mode uses.

Every training step takes a new seeded batch from N(3, 2²) and calls
:func:`cnnlib.norm.batch_norm`, which updates the running mean and variance in place. In
training mode the current batch is normalised with its own statistics; in evaluation mode with
the running ones, which only approach the true 3 and 4 after enough steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..i18n import tr
from ..norm import batch_norm
from .figure import COLORS, BlitFigure, histogram
from .html import number

TRUE_MEAN, TRUE_STD = 3.0, 2.0
MAX_STEPS = 100
BEFORE_EDGES = np.linspace(-5, 11, 33)
AFTER_EDGES = np.linspace(-10, 10, 41)


@dataclass(frozen=True)
class BatchNormState:
    """Batch size, gamma (weight), beta (bias), train/eval, steps taken, momentum, seed."""

    batch_size: int = 32
    gamma: float = 1.0
    beta: float = 0.0
    training: bool = True
    steps: int = 10
    momentum: float = 0.1
    seed: int = 0


@dataclass(frozen=True)
class BatchNormView:
    state: BatchNormState
    before: np.ndarray             # the current batch, shape (batch_size,)
    after: np.ndarray              # its normalised, scaled and shifted values
    running_mean: np.ndarray       # after each step 0..steps, shape (steps + 1,)
    running_var: np.ndarray
    text: str


@lru_cache(maxsize=32)
def history(batch_size: int, momentum: float, seed: int):
    """Batches of all ``MAX_STEPS + 1`` steps and the running statistics after each step.

    Returns ``(batches, means, variances)`` with shapes ``(MAX_STEPS + 1, batch_size, 1)``,
    ``(MAX_STEPS + 1,)`` and ``(MAX_STEPS + 1,)``; row ``t`` of the statistics is their value
    after ``t`` steps (row 0: PyTorch's start, mean 0 and variance 1). Cached: moving gamma,
    beta or the step slider does not recompute it.
    """
    rng = np.random.default_rng(seed)
    batches = rng.normal(TRUE_MEAN, TRUE_STD, size=(MAX_STEPS + 1, batch_size, 1))
    mean, var = np.zeros(1), np.ones(1)
    means, variances = [0.0], [1.0]
    for batch in batches[:-1]:
        batch_norm(batch, mean, var, training=True, momentum=momentum)  # updates in place
        means.append(mean[0])
        variances.append(var[0])
    return batches, np.array(means), np.array(variances)


def compute(state: BatchNormState) -> BatchNormView:
    """After ``steps`` training steps, normalise the next batch in the chosen mode."""
    batches, means, variances = history(state.batch_size, state.momentum, state.seed)
    x = batches[state.steps]
    now = slice(state.steps, state.steps + 1)
    mean, var = means[now].copy(), variances[now].copy()
    gamma, beta = np.array([state.gamma]), np.array([state.beta])
    y = batch_norm(x, mean, var, gamma, beta, state.training, state.momentum)
    mode = tr("training: uses this batch's mean and variance") if state.training else \
        tr("evaluation: uses the running mean {mean} and variance {var}",
           mean=number(mean[0]), var=number(var[0]))
    text = tr("batch of {n}: mean {mean}, variance {var} → after: mean {after_mean}, std "
              "{after_std} (γ = {gamma}, β = {beta}); {mode}.", n=state.batch_size,
              mean=number(x.mean()), var=number(x.var()), after_mean=number(y.mean()),
              after_std=number(y.std()), gamma=f"{state.gamma:g}", beta=f"{state.beta:g}",
              mode=mode)
    return BatchNormView(state, x[:, 0], y[:, 0], means[:state.steps + 1],
                         variances[:state.steps + 1], text)


class BatchNormFigure(BlitFigure):
    """Histogram before, histogram after, running statistics over the steps."""

    def __init__(self):
        super().__init__(figsize=(12, 3.6), ncols=3, width_ratios=(1, 1, 1.2))
        with self.styled():   # the projector-sized fonts of style.MATPLOTLIB_RC
            before, after, running = self.axes
            before.set(title=tr("before: x"), xlim=BEFORE_EDGES[[0, -1]], ylim=(0, 0.5),
                       ylabel=tr("fraction of the batch"))
            after.set(title=tr("after: γ·x̂ + β"), xlim=AFTER_EDGES[[0, -1]], ylim=(0, 0.5))
            running.set(title=tr("running statistics"), xlim=(0, MAX_STEPS), ylim=(0, 9.5),
                        xlabel=tr("training steps"))
            for ax in self.axes:
                ax.grid(alpha=0.3)
            zeros = np.zeros(len(BEFORE_EDGES) - 1)
            self.before = self.moving(before.stairs(zeros, BEFORE_EDGES, fill=True,
                                                    color=COLORS[0], alpha=0.8))
            self.after = self.moving(after.stairs(np.zeros(len(AFTER_EDGES) - 1), AFTER_EDGES,
                                                  fill=True, color=COLORS[1], hatch="//",
                                                  edgecolor="black"))
            running.axhline(TRUE_MEAN, color=COLORS[2], ls=":", label=tr("true mean"))
            running.axhline(TRUE_STD ** 2, color=COLORS[3], ls=":", label=tr("true var"))
            self.mean_line = self.moving(running.plot([], [], color=COLORS[2], lw=2.5,
                                                      label=tr("running mean"))[0])
            self.var_line = self.moving(running.plot([], [], color=COLORS[3], lw=2.5, ls="--",
                                                     label=tr("running var"))[0])
            self.now = self.moving(running.axvline(0, color="black", lw=1.5))
            running.legend(loc="upper center", ncol=2, columnspacing=0.8, handlelength=1.4,
                           borderaxespad=0.2)   # above the curves, which stay below 6

    def update(self, state: BatchNormState) -> BatchNormView:
        view = compute(state)
        self.before.set_data(histogram(view.before, BEFORE_EDGES))
        self.after.set_data(histogram(view.after, AFTER_EDGES))
        steps = np.arange(state.steps + 1)
        self.mean_line.set_data(steps, view.running_mean)
        self.var_line.set_data(steps, view.running_var)
        self.now.set_xdata([state.steps, state.steps])
        return view

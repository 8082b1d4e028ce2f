"""Convolution stepper: one window at a time, its element-wise products and their sum.

The default is the lecture's worked example: a 5x5 image, a 3x3 kernel, padding 1. In the
multi-channel mode the kernel has as many channels as the input; each channel gives its own
products, and the output cell receives the sum over all channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import shapes
from .._validate import SettingError
from ..conv import conv2d_naive
from ..data import lecture_example
from ..i18n import tr
from . import svg
from .html import formula, note, panel


def _nested(a: np.ndarray) -> tuple:
    return tuple(map(_nested, a)) if a.ndim else a.item()


_IMAGE, _KERNEL, _ = lecture_example()       # the lecture's 5x5 image and 3x3 kernel
LECTURE_IMAGE, LECTURE_KERNEL = _nested(_IMAGE.astype(int)), _nested(_KERNEL.astype(int))


@dataclass(frozen=True)
class StepperState:
    """A (channels, H, W) image, a (channels, k, k) kernel, padding, stride and the step."""

    image: tuple = (LECTURE_IMAGE,)
    kernel: tuple = (LECTURE_KERNEL,)
    padding: int = 1
    stride: int = 1
    step: int = 0


def multichannel_state(channels: int = 3, size: int = 5, kernel_size: int = 3, seed: int = 0,
                       **settings) -> StepperState:
    """A small random integer image and kernel with ``channels`` channels (seeded)."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 10, size=(channels, size, size))
    kernel = rng.integers(-2, 3, size=(channels, kernel_size, kernel_size))
    return StepperState(_nested(image), _nested(kernel), **settings)


@dataclass(frozen=True)
class StepperView:
    """What the stepper shows: ``output`` holds every window's sum (the cells up to ``step``
    are the ones drawn as filled); ``products`` is (channels, k, k) for the current window."""

    state: StepperState
    output: np.ndarray | None
    window: tuple[int, int] | None
    products: np.ndarray | None
    total: int | None
    html: str


def _labels(a: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: f"{v:g}", otypes=[object])(a)


def describe(state: StepperState, output: np.ndarray, step: int) -> str:
    """The picture's text alternative: the setting, where the window is, the sum it gives and
    the output cells computed so far, in the current language."""
    c, h, w = np.shape(state.image)
    k, p, s = np.shape(state.kernel)[-1], state.padding, state.stride
    oh, ow = output.shape
    r, col = divmod(step, ow)
    size = (tr("{h} × {w} input", h=h, w=w) if c == 1 else
            tr("{c}-channel {h} × {w} input", c=c, h=h, w=w))
    text = tr("{size}, {k} × {k} kernel, stride {s}, padding {p}: output {oh} × {ow}",
              size=size, k=k, s=s, p=p, oh=oh, ow=ow)
    text += tr("; step {step}: the window at rows {r0}-{r1}, columns {c0}-{c1} of the padded "
               "input gives output[{r}, {c}] = {value}", step=step, r0=r * s, r1=r * s + k - 1,
               c0=col * s, c1=col * s + k - 1, r=r, c=col, value=f"{output[r, col]:g}")
    if c == 1:
        padded = np.pad(np.asarray(state.image[0]), p)
        text += tr("; the window holds, row by row, {window}; the kernel {kernel}",
                   window=svg.rows_text(_labels(padded[r * s:r * s + k, col * s:col * s + k])),
                   kernel=svg.rows_text(_labels(np.asarray(state.kernel[0]))))
    done = _labels(output).ravel()[:step + 1]
    return text + tr("; output so far, row by row: {values}",
                     values=svg.rows_text([done[i:i + ow] for i in range(0, step + 1, ow)]))


def render_stepper(state: StepperState) -> StepperView:
    """Draw the window of output cell ``step``, its products and their sum."""
    image, kernel = np.array(state.image), np.array(state.kernel)
    c, h, w = image.shape
    k = kernel.shape[-1]
    try:
        oh = shapes.conv_output_size(h, k, state.stride, state.padding)
        ow = shapes.conv_output_size(w, k, state.stride, state.padding)
    except SettingError as error:
        return StepperView(state, None, None, None, None, panel(note(error, "error")))
    # the readable reference convolution (one output channel), the sums the lecture writes out
    output = conv2d_naive(image[None].astype(float), kernel[None].astype(float),
                          stride=state.stride, padding=state.padding)[0, 0]
    step = min(max(state.step, 0), oh * ow - 1)
    r, col = divmod(step, ow)
    r0, c0 = r * state.stride, col * state.stride
    p = state.padding
    padded = np.pad(image, ((0, 0), (p, p), (p, p)))
    products = padded[:, r0:r0 + k, c0:c0 + k] * kernel
    rows, sums = [], products.reshape(c, -1).sum(axis=1)
    covered_rows, covered_cols = (oh - 1) * state.stride + k, (ow - 1) * state.stride + k
    for ch in range(c):
        kinds = np.full(padded.shape[1:], "input", dtype=object)
        kinds[:p], kinds[h + p:], kinds[:, :p], kinds[:, w + p:] = ("pad",) * 4
        kinds[covered_rows:], kinds[:, covered_cols:] = "uncovered", "uncovered"
        kinds[r0:r0 + k, c0:c0 + k] = "window"
        name = tr("channel {c}: ", c=ch + 1) if c > 1 else ""
        rows.append(svg.hstack([
            svg.grid(kinds, _labels(padded[ch]), role=f"input{ch}", title=name + tr("input")),
            svg.grid(np.full((k, k), "kernel", dtype=object), _labels(kernel[ch]),
                     role=f"kernel{ch}", title=tr("kernel")),
            svg.grid(np.full((k, k), "product", dtype=object), _labels(products[ch]),
                     role=f"product{ch}", title=tr("window × kernel")),
            svg.text([tr("sum = {total}", total=f"{sums[ch]:g}")], size=18, weight="bold"),
        ]))
    out_kinds = np.full((oh, ow), "output", dtype=object)
    out_labels = np.full((oh, ow), "", dtype=object)
    out_labels.flat[:step + 1] = _labels(output.flat[:step + 1])
    out_kinds.flat[step] = "current"
    rows.append(svg.grid(out_kinds, out_labels, role="output",
                         title=tr("output {h} × {w}", h=oh, w=ow)))
    uncovered = shapes.uncovered_cells(h, k, state.stride, p)
    rows.append(svg.legend(["pad", "window", "kernel", "product", "current"]
                           + (["uncovered"] if uncovered else [])))
    terms = " + ".join(f"({a:g})" for a in products[0].ravel())
    lines = [f"output[{r}, {col}] = " + (terms if c == 1 else
                                         " + ".join(f"{s:g}" for s in sums))
             + f" = {output[r, col]:g}"]
    notes = []
    if uncovered:
        notes.append(note(tr("Stride {stride} does not tile the padded input: its last row and "
                             "column are never under the kernel (marked x).",
                             stride=state.stride) if uncovered == 1 else
                          tr("Stride {stride} does not tile the padded input: its last {n} rows "
                             "and columns are never under the kernel (marked x).",
                             stride=state.stride, n=uncovered), "warning"))
    html = panel(formula([tr("step {step} (output row {r}, column {c}; steps 0 to {last}): "
                             "window at rows {r0}..{r1}, columns {c0}..{c1} of the padded "
                             "input", step=step, r=r, c=col, last=oh * ow - 1, r0=r0,
                             r1=r0 + k - 1, c0=c0, c1=c0 + k - 1)] + lines),
                 *notes, svg.document(svg.vstack(rows), describe(state, output, step)))
    return StepperView(state, output, (r0, c0), products, output[r, col].item(), html)

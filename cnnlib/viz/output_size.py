"""Output-size explorer: the padded input, the kernel's positions, the output grid, the formula.

``render_output_size(OutputSizeState(...))`` returns an :class:`OutputSizeView`: the numbers
shown (taken from :mod:`cnnlib.shapes`) and the HTML/SVG markup. It never raises for a setting
a student can make: impossible settings come back with an explanation instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import shapes
from .._validate import SettingError
from ..i18n import N_, explain, tr
from . import svg
from .html import formula, note, panel, plural

#: The axes' names, said in the messages (translated where shown).
AXES = (N_("height"), N_("width"))


@dataclass(frozen=True)
class OutputSizeState:
    """One setting of a 2-D convolution (square kernel) on a ``height x width`` input.

    ``step`` picks the output cell (row-major) whose window is drawn; ``transposed`` adds the
    transposed convolution that maps the output back to the input size.
    """

    height: int = 7
    width: int = 7
    kernel_size: int = 3
    padding: int | str = 0
    stride: int = 1
    dilation: int = 1
    step: int = 0
    transposed: bool = False


@dataclass(frozen=True)
class AxisArithmetic:
    """The output-size arithmetic along one axis."""

    name: str                     # "height" or "width"
    size: int                     # i
    padding: tuple[int, int]      # (before, after)
    output: int | None            # o, None when no window fits
    uncovered: int                # cells at the end that no window reaches
    fits: shapes.Fits | None      # suggestions when the stride does not tile the input
    formula: str


@dataclass(frozen=True)
class OutputSizeView:
    """What the explorer shows for one state."""

    state: OutputSizeState
    axes: tuple[AxisArithmetic, ...]      # empty when the padding itself is impossible
    output_shape: tuple[int, int] | None  # None when the output would be empty
    window: tuple[int, int] | None        # top-left cell of the drawn window (padded coords)
    notes: tuple[tuple[str, str], ...]    # (kind, message) pairs, kind as in html.note
    html: str


def _axis(name: str, i: int, state: OutputSizeState) -> AxisArithmetic:
    k, s, d, p = state.kernel_size, state.stride, state.dilation, state.padding
    before, after = shapes.resolve_padding(p, k, s, d)
    span = i + before + after - shapes.effective_kernel_size(k, d)
    pads = f"2·{before}" if before == after else f"{before} + {after}"
    if d == 1:   # the lecture's form, (N − F + 2P)/S + 1
        text = f"o_{name[0]} = ⌊({i} − {k} + {pads}) / {s}⌋ + 1 = ⌊{span}/{s}⌋ + 1"
    else:        # dilation: the kernel spans d(k−1) + 1 cells (PyTorch's form)
        text = f"o_{name[0]} = ⌊({i} + {pads} − {d}·({k}−1) − 1) / {s}⌋ + 1 = ⌊{span}/{s}⌋ + 1"
    try:
        o = shapes.conv_output_size(i, k, s, p, d)
    except SettingError:
        return AxisArithmetic(name, i, (before, after), None, 0, None,
                              text + tr(": {span} < 0, no window fits", span=span))
    uncovered = shapes.uncovered_cells(i, k, s, p, d)
    fits = None
    if uncovered and before == after:
        fits = shapes.nearest_fits(i, k, s, before, d)
    text += f" = {span // s} + 1 = {o}"
    if uncovered:
        text += tr("   (remainder {uncovered}: the floor drops it)", uncovered=uncovered)
    return AxisArithmetic(name, i, (before, after), o, uncovered, fits, text)


def _axis_notes(axis: AxisArithmetic, state: OutputSizeState) -> list[tuple[str, str]]:
    if axis.output is None:
        padded = axis.size + sum(axis.padding)
        k_eff = shapes.effective_kernel_size(state.kernel_size, state.dilation)
        return [("error", tr("Along the {axis} the kernel spans {k_eff} cells but the padded "
                             "input has only {padded}: no window fits, so the output is empty. "
                             "Use a smaller kernel or dilation, more padding, or a larger "
                             "input.", axis=tr(axis.name), k_eff=k_eff, padded=padded))]
    if not axis.uncovered:
        return []
    if axis.uncovered == 1:
        message = tr("Stride {stride} does not tile the {axis}: the last cell is never covered "
                     "by a window (marked x).", stride=state.stride, axis=tr(axis.name))
    else:
        message = tr("Stride {stride} does not tile the {axis}: the last {n} cells are never "
                     "covered by a window (marked x).", stride=state.stride,
                     axis=tr(axis.name), n=axis.uncovered)
    if axis.fits is not None:
        paddings = (", ".join(map(str, axis.fits.paddings))
                    or tr("none (the parity is wrong)"))
        message += tr(" Paddings that fit with stride {stride}: {paddings}.",
                      stride=state.stride, paddings=paddings)
        if axis.fits.strides:
            message += tr(" Strides that fit with this padding: {strides}.",
                          strides=", ".join(map(str, axis.fits.strides)))
    return [("warning", message)]


def _padded_input(state: OutputSizeState, axes, window) -> svg.Piece:
    (top, bottom), (left, right) = axes[0].padding, axes[1].padding
    rows, cols = state.height + top + bottom, state.width + left + right
    kinds = np.full((rows, cols), "input", dtype=object)
    labels = np.full((rows, cols), "", dtype=object)
    kinds[:top], kinds[rows - bottom:], kinds[:, :left], kinds[:, cols - right:] = ("pad",) * 4
    labels[kinds == "pad"] = "0"
    k_eff = shapes.effective_kernel_size(state.kernel_size, state.dilation)
    if axes[0].output and axes[1].output:
        s = state.stride
        labels[: (axes[0].output - 1) * s + 1: s, : (axes[1].output - 1) * s + 1: s] = "•"
        covered_rows = (axes[0].output - 1) * s + k_eff
        covered_cols = (axes[1].output - 1) * s + k_eff
        kinds[covered_rows:], labels[covered_rows:] = "uncovered", "x"
        kinds[:, covered_cols:], labels[:, covered_cols:] = "uncovered", "x"
    if window is not None:
        taps = window[0] + state.dilation * np.arange(state.kernel_size)
        tap_cols = window[1] + state.dilation * np.arange(state.kernel_size)
        kinds[np.ix_(taps, tap_cols)] = "window"
    pads = "" if top == bottom == left == right == 0 else (
        tr(" + padding {p}", p=top) if top == bottom == left == right
        else tr(" + padding {top},{bottom} (top,bottom) {left},{right} (left,right)",
                top=top, bottom=bottom, left=left, right=right))
    return svg.grid(kinds, labels, role="input",
                    title=tr("input {h} × {w}", h=state.height, w=state.width) + pads)


def _output_grid(shape, step) -> svg.Piece:
    kinds = np.full(shape, "output", dtype=object)
    labels = np.full(shape, "", dtype=object)
    if 0 <= step < kinds.size:
        kinds.flat[step], labels.flat[step] = "current", "•"
    return svg.grid(kinds, labels, role="output",
                    title=tr("output {h} × {w}", h=shape[0], w=shape[1]))


def _transposed(state: OutputSizeState, axes) -> tuple[list[str], list, svg.Piece | None]:
    """Lines, notes and picture of the transposed convolution mapping the output back."""
    if any(a.padding[0] != a.padding[1] for a in axes):
        return [], [("info", tr("The transposed view needs equal padding on both sides "
                                "(an even kernel with 'same' pads one side more)."))], None
    k, s, d = state.kernel_size, state.stride, state.dilation
    k_eff = shapes.effective_kernel_size(k, d)
    lines, sizes = [], []
    for a in axes:
        p = a.padding[0]
        back = shapes.transposed_conv_output_size(a.output, k, s, p, a.uncovered, d)
        extra = f" + {a.uncovered} (output_padding)" if a.uncovered else ""
        kernel = f"{k}" if d == 1 else f"{d}·({k}−1) + 1"
        lines.append(tr("transposed") + f": i'_{a.name[0]} = ({a.output}−1)·{s} − 2·{p} + "
                     f"{kernel}{extra} = {back}")
        sizes.append(a.output)
    crop = k_eff - 1 - axes[0].padding[0], k_eff - 1 - axes[1].padding[0]
    if min(crop) < 0:
        return lines, [("info", tr("Here the padding is larger than d·(k−1): the transposed "
                                   "convolution crops its result instead of padding it."))], None
    rows, cols = ((n - 1) * s + 1 + 2 * q + a.uncovered for n, q, a in zip(sizes, crop, axes))
    kinds = np.full((rows, cols), "pad", dtype=object)
    kinds[crop[0]:rows - crop[0] - axes[0].uncovered,
          crop[1]:cols - crop[1] - axes[1].uncovered] = "zero"
    kinds[crop[0]: crop[0] + (sizes[0] - 1) * s + 1: s,
          crop[1]: crop[1] + (sizes[1] - 1) * s + 1: s] = "output"
    caption = svg.text([tr("Transposed convolution: the output spread out with {zeros} "
                           "between cells and padded;", zeros=plural(s - 1, "zero")),
                        tr("a stride-1 kernel spanning {k} cells slides over it and gives back "
                           "{h} × {w}.", k=k_eff, h=rows - k_eff + 1, w=cols - k_eff + 1)],
                       weight="bold")
    return lines, [], svg.vstack([caption, svg.grid(kinds, role="transposed")], gap=6)


def render_output_size(state: OutputSizeState) -> OutputSizeView:
    """Compute and draw one output-size setting; never raises for an impossible setting."""
    try:
        axes = (_axis(AXES[0], state.height, state), _axis(AXES[1], state.width, state))
    except SettingError as error:  # e.g. padding="same" with stride > 1
        blank = svg.grid(np.full((state.height, state.width), "input", dtype=object),
                         role="input", title=tr("input {h} × {w}", h=state.height,
                                                 w=state.width))
        notes = (("error", explain(error)),)
        html = panel(_summary(state, None), note(explain(error), "error"),
                     svg.document(blank, tr("{h} × {w} input; this setting is not possible: "
                                            "{reason}", h=state.height, w=state.width,
                                            reason=explain(error))))
        return OutputSizeView(state, (), None, None, notes, html)

    notes = [n for a in axes for n in _axis_notes(a, state)]
    shape = None
    if all(a.output is not None for a in axes):
        shape = (axes[0].output, axes[1].output)
    window, pieces, lines = None, [], [a.formula for a in axes]
    if shape is not None:
        step = min(max(state.step, 0), shape[0] * shape[1] - 1)  # a step past the end: the last
        r, c = divmod(step, shape[1])
        window = (r * state.stride, c * state.stride)
    pieces.append(_padded_input(state, axes, window))
    if shape is not None:
        pieces.append(_output_grid(shape, step))
    extra = None
    if state.transposed and shape is not None:
        more_lines, more_notes, extra = _transposed(state, axes)
        lines += more_lines
        notes += more_notes
    kinds = ["input", "pad", "window", "uncovered", "output", "current"]
    picture = svg.vstack([svg.hstack(pieces), extra, svg.legend(kinds)])
    description = describe(state, axes, shape, window)
    if extra is not None:
        back = [shapes.transposed_conv_output_size(a.output, state.kernel_size, state.stride,
                                                   a.padding[0], a.uncovered, state.dilation)
                for a in axes]
        description += tr("; below it, the transposed convolution maps the output back to "
                          "{h} × {w}", h=back[0], w=back[1])
    html = panel(_summary(state, shape), formula(lines),
                 *(note(text, kind) for kind, text in notes),
                 svg.document(picture, description))
    return OutputSizeView(state, axes, shape, window, tuple(notes), html)


def describe(state: OutputSizeState, axes, shape, window) -> str:
    """The picture's text alternative: the setting, the output size, where the highlighted
    window is and what no window reaches, in the current language.

    For example ``"5 × 5 input, 3 × 3 kernel, stride 2, padding 1: output 3 × 3; the
    highlighted window covers rows 2-4, columns 0-2 of the padded input"``.
    """
    (top, bottom), (left, right) = axes[0].padding, axes[1].padding
    padding = (str(top) if top == bottom == left == right else
               tr("{top} top, {bottom} bottom, {left} left, {right} right", top=top,
                  bottom=bottom, left=left, right=right))
    text = tr("{h} × {w} input, {k} × {k} kernel, stride {s}, padding {p}", h=state.height,
              w=state.width, k=state.kernel_size, s=state.stride, p=padding)
    if state.dilation != 1:
        text += tr(", dilation {d}", d=state.dilation)
    if shape is None:
        return text + tr(": no window fits, the output is empty")
    text += tr(": output {h} × {w}", h=shape[0], w=shape[1])
    taps = state.dilation * np.arange(state.kernel_size)
    text += tr("; the highlighted window covers rows {rows}, columns {cols} of the padded input",
               rows=svg.span_text(window[0] + taps), cols=svg.span_text(window[1] + taps))
    missed = ([plural(axes[0].uncovered, "row")] if axes[0].uncovered else []) + (
        [plural(axes[1].uncovered, "column")] if axes[1].uncovered else [])
    if missed:
        cells = missed[0] if len(missed) == 1 else tr("{a} and {b}", a=missed[0], b=missed[1])
        text += tr("; the last {cells} are never covered (x)", cells=cells)
    return text


def _summary(state: OutputSizeState, shape) -> str:
    out = f"{shape[0]} × {shape[1]}" if shape else tr("empty")
    return ('<div class="cnnlib-summary" style="font-size:20px;font-weight:bold">'
            + tr("input {h} × {w} → output {out}", h=state.height, w=state.width, out=out)
            + "</div>")

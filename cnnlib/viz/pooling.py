"""Pooling explorer: max or average pooling on a small grid (which cell won each max) and on
the photograph bundled with cnnlib (:func:`cnnlib.data.data_file`).

The pooled values come from :mod:`cnnlib.pool`; this module only draws them.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import shapes
from .._validate import SettingError
from ..data import data_file
from ..i18n import N_, explain, tr
from ..pool import avg_pool2d, max_pool2d, max_pool2d_indices
from . import svg
from .html import note, panel

_POOL = {"max": N_("max pool"), "avg": N_("avg pool")}
#: The small grid pooled in "grid" mode (6x6 whole numbers, fixed so that notes can cite it).
GRID = ((1, 1, 2, 4, 0, 3), (5, 6, 7, 8, 2, 1), (3, 2, 1, 0, 9, 4), (1, 2, 3, 4, 6, 5),
        (0, 7, 2, 3, 1, 8), (4, 1, 6, 2, 5, 3))
IMAGE = data_file("grace_hopper.jpg")


@dataclass(frozen=True)
class PoolingState:
    """Pooling settings (PyTorch names); ``step`` picks the output cell whose window shows."""

    mode: str = "max"          # "max" or "avg"
    kernel_size: int = 2
    stride: int = 2
    padding: int = 0
    ceil_mode: bool = False
    source: str = "grid"       # "grid" or "image"
    step: int = 0


@dataclass(frozen=True)
class PoolingView:
    state: PoolingState
    input_shape: tuple[int, int]
    output: np.ndarray | None          # pooled values, (H_out, W_out)
    winners: np.ndarray | None         # max mode: flat index (row * W + col) of each winner
    html: str


@lru_cache(maxsize=1)
def photo(size: int = 96) -> np.ndarray:
    """The bundled photograph as a (size, size) float grey image in [0, 1]."""
    from PIL import Image

    with IMAGE.open("rb") as raw, Image.open(raw) as image:
        grey = image.convert("L").resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(grey, dtype=np.float64) / 255


def _png(a: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((np.clip(a, 0, 1) * 255).astype(np.uint8)).save(buffer, "png")
    return base64.b64encode(buffer.getvalue()).decode()


@lru_cache(maxsize=1)
def _photo_png() -> str:
    """The photograph as base64 PNG, encoded once: no slider changes the input picture."""
    return _png(photo())


def _pool(x: np.ndarray, state: PoolingState):
    args = (x[None, None], state.kernel_size, state.stride, state.padding)
    if state.mode == "max":
        return (max_pool2d(*args, ceil_mode=state.ceil_mode)[0, 0],
                max_pool2d_indices(*args, ceil_mode=state.ceil_mode)[0, 0])
    return avg_pool2d(*args, ceil_mode=state.ceil_mode)[0, 0], None


def _grid_picture(x, output, winners, state: PoolingState) -> svg.Piece:
    h, w = x.shape
    p, k, s = state.padding, state.kernel_size, state.stride
    kinds = np.full((h + 2 * p, w + 2 * p), "pad", dtype=object)
    kinds[p:p + h, p:p + w] = "input"
    labels = np.full(kinds.shape, "−∞" if state.mode == "max" else "0", dtype=object)
    labels[p:p + h, p:p + w] = [[f"{v:g}" for v in row] for row in x]
    oh, ow = output.shape
    step = min(max(state.step, 0), oh * ow - 1)
    r0, c0 = divmod(step, ow)
    kinds[r0 * s:r0 * s + k, c0 * s:c0 * s + k] = "window"
    if winners is not None:
        for index in np.unique(winners):
            r, c = divmod(int(index), w)
            kinds[r + p, c + p] = "winner"
            labels[r + p, c + p] += "*"
    out_kinds = np.full(output.shape, "output", dtype=object)
    out_kinds.flat[step] = "current"
    out_labels = [[f"{v:.3g}" for v in row] for row in output]
    pads = tr(" + padding {p}", p=p) if p else ""
    return svg.vstack([svg.hstack([
        svg.grid(kinds, labels, role="input", title=tr("input {h} × {w}", h=h, w=w) + pads),
        svg.grid(out_kinds, out_labels, role="output",
                 title=f"{tr(_POOL[state.mode])} {oh} × {ow}"),
    ]), svg.legend(["pad", "window", "winner", "current"] if winners is not None
                   else ["pad", "window", "current"])])


def describe(state: PoolingState, input_shape, output: np.ndarray, winners) -> str:
    """The grid picture's text alternative: the setting, the pooled values row by row, where
    the highlighted window is and how many cells won a max, in the current language."""
    (h, w), (oh, ow) = input_shape, output.shape
    k, s, p = state.kernel_size, state.stride, state.padding
    step = min(max(state.step, 0), oh * ow - 1)
    r, c = divmod(step, ow)
    text = tr("{pool} of the {h} × {w} input, {k} × {k} window, stride {s}, padding {p}: "
              "output {oh} × {ow}, row by row: {values}", pool=tr(_POOL[state.mode]), h=h,
              w=w, k=k, s=s, p=p, oh=oh, ow=ow,
              values=svg.rows_text([[f"{v:.3g}" for v in row] for row in output]))
    text += tr("; the highlighted window covers rows {r0}-{r1}, columns {c0}-{c1} of the "
               "padded input and gives {value}", r0=r * s, r1=r * s + k - 1, c0=c * s,
               c1=c * s + k - 1, value=f"{output[r, c]:.3g}")
    if winners is not None:
        text += tr("; {n} input cells won a max (marked *)", n=len(np.unique(winners)))
    return text


def _image_html(x, output, state: PoolingState) -> str:
    """The photograph ``x`` (from :func:`photo`) and its pooled ``output`` side by side
    (``output=None``: an empty frame of the same size in its place)."""
    def img(png, caption):
        picture = (f'<img src="data:image/png;base64,{png}" width="288" height="288" '
                   f'style="image-rendering:pixelated" alt="{caption}">' if png else
                   '<div style="width:288px;height:288px;border:2px dashed #999"></div>')
        return (f'<figure style="display:inline-block;margin:0 16px 0 0">{picture}'
                f'<figcaption style="font-size:16px">{caption}</figcaption></figure>')
    h, w = x.shape
    source = tr("input {h} × {w}", h=h, w=w)
    if output is None:
        return img(_photo_png(), source) + img("", f"{tr(_POOL[state.mode])}: {tr('none')}")
    oh, ow = output.shape
    return (img(_photo_png(), source)
            + img(_png(output), f"{tr(_POOL[state.mode])} → {oh} × {ow}"))


def _summary(input_shape, output: str) -> str:
    return ('<div class="cnnlib-summary" style="font-size:20px;font-weight:bold">'
            + tr("input {h} × {w} → output {out}", h=input_shape[0], w=input_shape[1],
                 out=output) + "</div>")


def _refused(x: np.ndarray, state: PoolingState, message: str) -> str:
    """A refused setting: the message, and the input as before, so the picture keeps its
    place on the page (the output is left out)."""
    if state.source == "grid":
        kinds = np.full(x.shape, "input", dtype=object)
        labels = [[f"{v:g}" for v in row] for row in x]
        body = svg.document(svg.grid(kinds, labels, role="input",
                                     title=tr("input {h} × {w}", h=x.shape[0], w=x.shape[1])),
                            tr("{h} × {w} input, row by row: {values}; no output: this "
                               "setting is not possible", h=x.shape[0], w=x.shape[1],
                               values=svg.rows_text(labels)))
    else:
        body = _image_html(x, None, state)
    return panel(_summary(x.shape, tr("none")), note(message, "error"), body)


def render_pooling(state: PoolingState) -> PoolingView:
    """Pool the grid or the photograph; refused settings come back explained."""
    x = np.array(GRID, dtype=np.float64) if state.source == "grid" else photo()
    try:   # only cnnlib's check of the setting: it refuses with a SettingError (a ValueError)
        shape = shapes.pool_output_shape(x.shape, state.kernel_size, state.stride,
                                         state.padding, ceil_mode=state.ceil_mode)
    except SettingError as error:
        return PoolingView(state, x.shape, None, None, _refused(x, state, explain(error)))
    output, winners = _pool(x, state)
    if output.shape != shape:
        raise AssertionError("cnnlib.pool disagrees with cnnlib.shapes")
    summary = _summary(x.shape, f"{shape[0]} × {shape[1]}")
    notes = []
    if state.kernel_size > state.stride:
        notes.append(note(tr("kernel > stride: the windows overlap (AlexNet's 3/2 pooling)."),
                          "info"))
    elif state.kernel_size < state.stride:
        notes.append(note(tr("kernel < stride: some input cells are skipped entirely."),
                          "warning"))
    if state.source == "grid":
        body = svg.document(_grid_picture(x, output, winners, state),
                            describe(state, x.shape, output, winners))
        if winners is not None:
            notes.append(note(tr("Cells marked * won a max: only they receive a gradient."),
                              "info"))
    else:
        body = _image_html(x, output, state)
    return PoolingView(state, x.shape, output, winners, panel(summary, *notes, body))

"""Trained-network explorer: one digit (drawn or picked) through every layer of notebook 11's CNN.

The network is the shipped one (:func:`cnnlib.trained.load_digits_lenet`, 99% on the test
digits) or any network of the same architecture. For one input the picture shows

- the input grid (16 x 16), with the receptive field of the chosen feature-map cell and the grey
  occluder, if any;
- the feature maps of every layer (convolution, batch norm, ReLU, max pool, both blocks);
- the class probabilities as a bar chart, and the prediction;
- the chosen cell: its value, the filter that made it beside the patch it multiplies;
- an occlusion map: how much the probability of the true class (of the prediction, for a
  drawing) drops when a grey square hides each place of the input;
- the confusion matrix of the test set, with the misclassified test digits listed.

:func:`render_trained_net` is a pure function of a :class:`TrainedNetState` (and the network):
forward passes are cached by input, so moving the selection does not recompute them.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from html import escape

import numpy as np

from .. import shapes
from .._validate import SettingError
from ..i18n import N_, tr
from ..layers import BatchNorm2d, Conv2d, MaxPool2d, ReLU
from . import svg
from .html import number, panel
from .style import FONT_SIZE, OKABE_ITO, TITLE_SIZE

SIZE = 16                       # input resolution of the network
GREY = 0.5                      # value of the occluder's pixels (ink is 1, paper 0)
#: Layers that have feature maps, by trace name: (block, kind).
MAP_LAYERS = {
    "0": (1, N_("convolution")), "1": (1, N_("batch norm")), "2": (1, N_("ReLU")),
    "3": (1, N_("max pool")), "4": (2, N_("convolution")), "5": (2, N_("batch norm")),
    "6": (2, N_("ReLU")), "7": (2, N_("max pool")),
}
CLASSES = 10


@dataclass(frozen=True)
class TrainedNetState:
    """What the explorer shows.

    ``image`` is the 16 x 16 input, row by row, values in [0, 1] (1 = ink). ``label`` is its
    true class when known (a test digit), ``None`` for a drawing. ``layer``/``channel``/
    ``row``/``col`` choose one feature-map cell; ``occluder`` is the top-left corner of the grey
    ``occluder_size`` square (``None``: no occluder). ``cursor`` is the drawing pad's keyboard
    cursor, drawn on the input (``None``: not shown).
    """

    image: tuple[tuple[float, ...], ...]
    label: int | None = None
    layer: str = "0"
    channel: int = 0
    row: int = 8
    col: int = 8
    occluder: tuple[int, int] | None = None
    occluder_size: int = 4
    cursor: tuple[int, int] | None = None


def as_image(pixels) -> tuple[tuple[float, ...], ...]:
    """A 16 x 16 array (or nested lists) as the state's tuple of rows, clipped to [0, 1]."""
    array = np.asarray(pixels, dtype=float)
    if array.shape != (SIZE, SIZE):
        raise SettingError(f"image must be {SIZE} x {SIZE} pixels, got shape {array.shape}.")
    return tuple(tuple(float(v) for v in row) for row in np.clip(array, 0, 1))


class TrainedNet:
    """A trained network of notebook 11's architecture, with its test set and predictions."""

    def __init__(self, model, x_test: np.ndarray, y_test: np.ndarray):
        self.model = model.eval()
        self.x_test, self.y_test = x_test, y_test.astype(np.intp)
        self.test_predictions = np.argmax(self.model(x_test), axis=1)
        self.confusion = np.zeros((CLASSES, CLASSES), np.intp)
        np.add.at(self.confusion, (self.y_test, self.test_predictions), 1)
        self.misclassified = np.flatnonzero(self.test_predictions != self.y_test)
        self._forward = lru_cache(maxsize=64)(self._forward_uncached)
        self._occlusion = lru_cache(maxsize=16)(self._occlusion_uncached)
        self.windows = self._windows()

    def _windows(self) -> dict[str, list[shapes.Window]]:
        """Sliding windows (cnnlib.shapes) from the input up to each feature-map layer."""
        windows, out = [], {}
        for name in MAP_LAYERS:
            layer = self.model[int(name)]
            if isinstance(layer, Conv2d):
                windows.append(shapes.Window(layer.kernel_size[0], layer.stride[0],
                                             layer.padding[0], layer.dilation[0], name))
            elif isinstance(layer, MaxPool2d):
                windows.append(shapes.Window(layer.kernel_size[0], layer.stride[0],
                                             layer.padding[0], 1, name))
            elif not isinstance(layer, (BatchNorm2d, ReLU)):
                raise SettingError(f"layer {name} is a {type(layer).__name__}: the explorer "
                                   f"needs notebook 11's network (cnnlib.trained.digits_lenet).")
            out[name] = list(windows)
        return out

    def _forward_uncached(self, key: bytes) -> tuple[dict, np.ndarray]:
        x = np.frombuffer(key, np.float32).reshape(1, 1, SIZE, SIZE)
        maps = {}
        logits = self.model.forward(x, trace=lambda name, layer, out: maps.__setitem__(
            name, out[0]))
        return maps, _softmax(logits[0])

    def forward(self, image: np.ndarray) -> tuple[dict, np.ndarray]:
        """Feature maps of every layer (by trace name) and class probabilities of one image."""
        return self._forward(np.ascontiguousarray(image, np.float32).tobytes())

    def _occlusion_uncached(self, key: bytes, target: int, size: int) -> np.ndarray:
        image = np.frombuffer(key, np.float32).reshape(SIZE, SIZE)
        positions = SIZE - size + 1
        batch = np.repeat(image[None, None], positions * positions, axis=0)
        for i in range(positions):
            for j in range(positions):
                batch[i * positions + j, 0, i:i + size, j:j + size] = GREY
        probabilities = _softmax(self.model(batch))[:, target]
        base = self.forward(image)[1][target]
        return (base - probabilities).reshape(positions, positions)

    def occlusion(self, image: np.ndarray, target: int, size: int) -> np.ndarray:
        """Drop of ``target``'s probability with the grey square at each top-left position."""
        return self._occlusion(np.ascontiguousarray(image, np.float32).tobytes(), target, size)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@lru_cache(maxsize=1)
def shipped_net() -> TrainedNet:
    """The shipped trained network with notebook 11's test set (loaded once)."""
    from ..trained import digits_split, load_digits_lenet

    _, x_test, _, y_test = digits_split()
    return TrainedNet(load_digits_lenet(), x_test, y_test)


def occluded(image: np.ndarray, occluder, size: int) -> np.ndarray:
    """The image the network sees: grey over the ``size`` square at ``occluder`` (or as is)."""
    if occluder is None:
        return image
    r, c = occluder
    seen = image.copy()
    seen[r:r + size, c:c + size] = GREY
    return seen


@dataclass(frozen=True)
class Selection:
    """The chosen feature-map cell and what made it."""

    value: float
    span: tuple[int, int, int, int]       # input rows first..last, columns first..last (clipped)
    rf: int
    filter: np.ndarray                    # (C_in, k, k) of the block's convolution
    patch: np.ndarray                     # (C_in, k, k) that the filter multiplies
    conv_cell: tuple[int, int]            # position in the convolution's output


@dataclass(frozen=True)
class TrainedNetView:
    state: TrainedNetState
    probabilities: np.ndarray
    prediction: int
    maps: dict
    selection: Selection
    target: int
    occlusion: np.ndarray | None
    html: str


def _check(state: TrainedNetState, maps: dict) -> None:
    if state.layer not in MAP_LAYERS:
        raise SettingError(f"layer={state.layer!r} is not a feature-map layer: use one of "
                           f"{', '.join(MAP_LAYERS)}.")
    channels, height, width = maps[state.layer].shape
    if not 0 <= state.channel < channels:
        raise SettingError(f"channel={state.channel} is outside layer {state.layer} "
                           f"({channels} maps): use 0 to {channels - 1}.")
    if not (0 <= state.row < height and 0 <= state.col < width):
        raise SettingError(f"cell ({state.row}, {state.col}) is outside the {height} × {width} "
                           f"maps of layer {state.layer}.")
    if not 1 <= state.occluder_size <= SIZE:
        raise SettingError(f"occluder_size={state.occluder_size} must be 1 to {SIZE}.")
    if state.occluder is not None:
        last = SIZE - state.occluder_size
        if not all(0 <= v <= last for v in state.occluder):
            raise SettingError(f"occluder={state.occluder} must be a top-left corner from "
                               f"(0, 0) to ({last}, {last}).")


def _selection(net: TrainedNet, state: TrainedNetState, maps: dict, seen: np.ndarray) -> Selection:
    windows = net.windows[state.layer]
    field = shapes.receptive_fields(windows, SIZE)[-1]
    spans = []
    for index in (state.row, state.col):
        first = int(round(field.start + index * field.jump - field.rf / 2))
        spans += [max(first, 0), min(first + field.rf - 1, SIZE - 1)]
    # the convolution of the chosen block, and where in its output the chosen cell comes from
    block = MAP_LAYERS[state.layer][0]
    conv_name = "0" if block == 1 else "4"
    conv = net.model[int(conv_name)]
    r, c = state.row, state.col
    if state.layer in ("3", "7"):                       # a pooling: the cell that won the max
        before = maps[str(int(state.layer) - 1)][state.channel]
        k = net.model[int(state.layer)].kernel_size[0]
        window = before[r * k:(r + 1) * k, c * k:(c + 1) * k]
        dr, dc = np.unravel_index(int(np.argmax(window)), window.shape)
        r, c = r * k + int(dr), c * k + int(dc)
    below = seen[None] if conv_name == "0" else maps["3"]
    k, p = conv.kernel_size[0], conv.padding[0]
    padded = np.pad(below, ((0, 0), (p, p), (p, p)))
    patch = padded[:, r:r + k, c:c + k]
    weight = conv.parameters()["weight"][state.channel]
    value = float(maps[state.layer][state.channel, state.row, state.col])
    return Selection(value, tuple(spans), field.rf, weight, patch, (r, c))


# --- drawing --------------------------------------------------------------------------------

def _hex(rgb) -> str:
    r, g, b = (int(round(v)) for v in rgb)
    return f"#{r:02X}{g:02X}{b:02X}"


_BLUE = np.array([0x00, 0x72, 0xB2], float)       # Okabe-Ito blue: positive
_VERMILLION = np.array([0xD5, 0x5E, 0x00], float)  # Okabe-Ito vermillion: negative
_WHITE = np.array([255.0, 255.0, 255.0])


def _colours(values: np.ndarray, scale: float) -> np.ndarray:
    """RGB (uint8) of values on a white-centred scale: blue up, vermillion down."""
    t = np.clip(values / max(scale, 1e-12), -1, 1)[..., None]
    rgb = np.where(t >= 0, _WHITE + t * (_BLUE - _WHITE), _WHITE - t * (_VERMILLION - _WHITE))
    return np.round(rgb).astype(np.uint8)


def _png(rgb: np.ndarray) -> str:
    """A tiny RGB PNG as a data URL (drawn pixelated: one image pixel per map cell)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _ink(value: float) -> str:
    level = 255 - int(round(255 * min(max(value, 0.0), 1.0)))
    return _hex((level, level, level))


def _frame(x, y, w, h, colour, role, width=3, dash=""):
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="none" '
            f'stroke="{colour}" stroke-width="{width}"{dashes} data-role="{role}"/>')


def _input_piece(state: TrainedNetState, seen: np.ndarray, sel: Selection,
                 cell: float = 15) -> svg.Piece:
    top = TITLE_SIZE + 10
    parts = [svg._text(0, TITLE_SIZE / 2, tr("input (what the network sees)"), TITLE_SIZE,
                       "start", "bold"), f'<g transform="translate(0,{top})">']
    for r in range(SIZE):
        for c in range(SIZE):
            parts.append(f'<rect x="{c * cell}" y="{r * cell}" width="{cell}" height="{cell}" '
                         f'fill="{_ink(seen[r, c])}" stroke="#BBBBBB" stroke-width="0.5" '
                         f'data-role="input" data-r="{r}" data-c="{c}" '
                         f'data-value="{seen[r, c]:.2f}"/>')
    r0, r1, c0, c1 = sel.span
    parts.append(_frame(c0 * cell, r0 * cell, (c1 - c0 + 1) * cell, (r1 - r0 + 1) * cell,
                        OKABE_ITO["sky_blue"], "field", 4))
    if state.occluder is not None:
        r, c = state.occluder
        n = state.occluder_size
        parts.append(_frame(c * cell, r * cell, n * cell, n * cell, OKABE_ITO["vermillion"],
                            "occluder", 3, "6 3"))
    if state.cursor is not None:
        r, c = state.cursor
        parts.append(_frame(c * cell + 1.5, r * cell + 1.5, cell - 3, cell - 3,
                            OKABE_ITO["orange"], "cursor", 3))
    parts.append("</g>")
    width = SIZE * cell
    return svg.Piece("".join(parts), max(width, 0.6 * TITLE_SIZE * 30), top + width)


def _bars_piece(probabilities: np.ndarray, prediction: int, label: int | None) -> svg.Piece:
    top, bar_h, gap, length = TITLE_SIZE + 10, 19, 4, 180
    parts = [svg._text(0, TITLE_SIZE / 2, tr("class probabilities"), TITLE_SIZE, "start",
                       "bold")]
    for k, p in enumerate(probabilities):
        y = top + k * (bar_h + gap)
        chosen = k == prediction
        colour = OKABE_ITO["blue"] if chosen else OKABE_ITO["sky_blue"]
        mark = " ◀" if chosen else ""
        mark += " ✓" if label is not None and k == label else ""
        parts.append(svg._text(10, y + bar_h / 2, k, FONT_SIZE, "middle",
                               "bold" if chosen else "normal"))
        parts.append(f'<rect x="24" y="{y}" width="{max(p * length, 0.5):.1f}" '
                     f'height="{bar_h}" fill="{colour}" stroke="#333" stroke-width="0.5" '
                     f'data-role="bar" data-class="{k}" data-p="{p:.3f}"/>')
        parts.append(svg._text(30 + p * length, y + bar_h / 2, f"{p:.2f}{mark}",
                               FONT_SIZE - 2, "start", "bold" if chosen else "normal"))
    return svg.Piece("".join(parts), 24 + length + 80, top + CLASSES * (bar_h + gap))


def _small_grid(values: np.ndarray, scale: float, role: str, cell: float, title: str,
                numbers: bool = False, ink: bool = False) -> svg.Piece:
    top = TITLE_SIZE + 8 if title else 0
    parts = [svg._text(0, TITLE_SIZE / 2, title, FONT_SIZE, "start", "bold")] if title else []
    parts.append(f'<g transform="translate(0,{top})">')
    colours = None if ink else _colours(values, scale)
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            fill = _ink(values[r, c]) if ink else _hex(colours[r, c])
            parts.append(f'<rect x="{c * cell}" y="{r * cell}" width="{cell}" height="{cell}" '
                         f'fill="{fill}" stroke="#888" stroke-width="0.5" data-role="{role}" '
                         f'data-r="{r}" data-c="{c}" data-value="{values[r, c]:.3f}"/>')
            if numbers:
                dark = ink and values[r, c] > 0.5 or not ink and abs(values[r, c]) > 0.6 * scale
                parts.append(f'<text x="{(c + 0.5) * cell}" y="{(r + 0.5) * cell}" '
                             f'font-size="{FONT_SIZE - 5}" text-anchor="middle" '
                             f'dominant-baseline="central" fill="{"#FFF" if dark else "#000"}">'
                             f'{number(values[r, c], 1)}</text>')
    parts.append("</g>")
    width = max(cols * cell, 0.6 * FONT_SIZE * svg.columns(title))
    return svg.Piece("".join(parts), width, top + rows * cell)


def _selection_html(state: TrainedNetState, sel: Selection) -> str:
    block, kind = MAP_LAYERS[state.layer]
    conv = "0" if block == 1 else "4"
    c_in = sel.filter.shape[0]
    scale = float(np.abs(sel.filter).max())
    pieces = []
    for i in range(c_in):
        title = tr("input") if c_in == 1 else tr("map {channel}", channel=i)
        patch = _small_grid(sel.patch[i], 1.0 if c_in == 1 else float(np.abs(sel.patch).max()),
                            "patch", 24 if c_in == 1 else 11, title, c_in == 1, ink=c_in == 1)
        kernel = _small_grid(sel.filter[i], scale, "filter", 24 if c_in == 1 else 11,
                             tr("filter") if c_in == 1 else "", c_in == 1)
        pieces.append(svg.hstack([patch, kernel], 8 if c_in > 1 else 16))
    rows = [svg.hstack(pieces[i:i + 4], 22) for i in range(0, len(pieces), 4)]
    products = float(np.sum(sel.filter * sel.patch))
    where = tr("layer {layer} ({kind}, block {block}), map {channel}, cell ({row}, {col})",
               layer=state.layer, kind=tr(kind), block=block, channel=state.channel,
               row=state.row, col=state.col)
    lines = [tr("<b>Chosen cell</b>: {where}: value {value}.", where=escape(where),
                value=number(sel.value)),
             tr("It sees {rf} × {rf} input pixels (its receptive field, framed in light blue "
                "on the input).", rf=sel.rf),
             tr("Filter {channel} of convolution {conv} beside the patch it multiplies at "
                "cell ({row}, {col}) of the convolution: the sum of filter × patch is {sum}.",
                channel=state.channel, conv=conv, row=sel.conv_cell[0], col=sel.conv_cell[1],
                sum=number(products))]
    description = tr("filter {channel} of convolution {conv} ({c_in} × {k} × {k}) beside the "
                     "patch it multiplies at cell ({row}, {col}); the sum of filter × patch is "
                     "{sum}", channel=state.channel, conv=conv, c_in=c_in,
                     k=sel.filter.shape[-1], row=sel.conv_cell[0], col=sel.conv_cell[1],
                     sum=number(products))
    return ("<div style='margin-top:8px'>" + "<br>".join(lines) + "</div>"
            + svg.document(svg.vstack(rows, 12), description))


def _maps_html(state: TrainedNetState, maps: dict) -> str:
    rows = []
    for name, (block, kind) in MAP_LAYERS.items():
        values = maps[name]
        channels, height, _ = values.shape
        scale = float(np.abs(values).max())
        zoom = max(2, 48 // height)
        colours = _colours(values, scale)
        cells = []
        for ch in range(channels):
            chosen = name == state.layer and ch == state.channel
            border = (f"3px solid {OKABE_ITO['orange']}" if chosen else "1px solid #999")
            alt = tr("map {channel}", channel=ch)
            cells.append(f"<img src='{_png(colours[ch])}' width='{height * zoom}'"
                         f" height='{height * zoom}' alt='{escape(alt)}' title='{escape(alt)}' "
                         f"data-layer='{name}' data-channel='{ch}' style='image-rendering:"
                         f"pixelated;border:{border};margin:1px;max-width:none'>")
        label = tr("{layer}: block {block}, {kind} ({channels} × {size} × {size})", layer=name,
                   block=block, kind=tr(kind), channels=channels, size=height)
        rows.append(f"<div style='margin:2px 0' data-role='maps' data-layer='{name}'>"
                    f"<div style='font-size:15px'>{escape(label)}</div>{''.join(cells)}</div>")
    legend = tr("Blue: positive, vermillion: negative, white: 0; each layer on its own scale. "
                "The chosen map has an orange frame.")
    return (f"<details open><summary style='font-size:16px'><b>{tr('feature maps of every layer')}"
            f"</b></summary><div style='font-size:14px;color:#444'>{escape(legend)}</div>"
            f"{''.join(rows)}</details>")


def _occlusion_piece(state: TrainedNetState, drop: np.ndarray, target: int) -> svg.Piece:
    scale = max(float(np.abs(drop).max()), 0.05)
    title = tr("occlusion: drop of p({target})", target=target)
    piece = _small_grid(drop, scale, "occlusion", 12, title)
    if state.occluder is None:
        return piece
    r, c = state.occluder
    top = TITLE_SIZE + 8
    return svg.Piece(piece.svg + _frame(c * 12, top + r * 12, 12, 12, OKABE_ITO["black"],
                                        "occluder-at", 2), piece.width, piece.height)


def _confusion_html(net: TrainedNet, label: int | None, prediction: int) -> str:
    head = "".join(f"<th style='padding:1px 5px'>{k}</th>" for k in range(CLASSES))
    body = []
    for t in range(CLASSES):
        cells = []
        for p in range(CLASSES):
            n = int(net.confusion[t, p])
            style = "padding:1px 5px;text-align:right"
            if t == p:
                style += ";background:#E8F2F8"
            elif n:
                style += f";background:#F7C8A6;font-weight:bold;outline:2px solid "\
                         f"{OKABE_ITO['vermillion']}"
            if label is not None and (t, p) == (label, prediction):
                style += f";box-shadow:inset 0 0 0 3px {OKABE_ITO['orange']}"
            cells.append(f"<td style='{style}'>{n if n else '·'}</td>")
        body.append(f"<tr><th style='padding:1px 5px'>{t}</th>{''.join(cells)}</tr>")
    wrong = ", ".join(tr("test {index}: a {label} read as {prediction}", index=int(i),
                         label=int(net.y_test[i]), prediction=int(net.test_predictions[i]))
                      for i in net.misclassified)
    total = len(net.y_test)
    correct = total - len(net.misclassified)
    summary = tr("Test set: {correct} of {total} right. Misclassified (pick them under "
                 "\"input\"): {wrong}.", correct=correct, total=total, wrong=wrong or "-")
    return (f"<div style='margin-top:8px'><b>{tr('confusion matrix of the test set')}</b> "
            f"<span style='font-size:14px'>({tr('rows: true class, columns: predicted')})"
            f"</span><table class='cnnlib-confusion' style='font-size:14px;border-collapse:"
            f"collapse'><tr><th></th>{head}</tr>{''.join(body)}</table>"
            f"<div style='font-size:15px'>{escape(summary)}</div></div>")


def render_trained_net(state: TrainedNetState, net: TrainedNet | None = None,
                       confusion: bool = True) -> TrainedNetView:
    """Run the network on the state's input and draw everything; raises SettingError for a
    selection outside the network (the widget shows it in place)."""
    net = net or shipped_net()
    image = np.asarray(state.image, np.float32)
    if image.shape != (SIZE, SIZE):
        raise SettingError(f"image must be {SIZE} x {SIZE} pixels, got shape {image.shape}.")
    seen = occluded(image, state.occluder, state.occluder_size)
    maps, probabilities = net.forward(seen)
    _check(state, maps)
    prediction = int(np.argmax(probabilities))
    sel = _selection(net, state, maps, seen)
    target = prediction if state.label is None else int(state.label)
    drop = net.occlusion(image, target, state.occluder_size)
    head = tr("Prediction: <b>{prediction}</b> (probability {p}).", prediction=prediction,
              p=number(float(probabilities[prediction])))
    if state.label is not None:
        head += " " + (tr("True label {label}: right.", label=state.label)
                       if prediction == state.label else
                       tr("True label {label}: wrong.", label=state.label))
    if state.occluder is not None:
        head += " " + tr("A grey {n} × {n} square hides part of the input.",
                         n=state.occluder_size)
    top = svg.hstack([_input_piece(state, seen, sel), _bars_piece(probabilities, prediction,
                                                                   state.label),
                      _occlusion_piece(state, drop, target)], 30)
    description = tr("input digit, class probabilities (prediction {prediction}) and "
                     "occlusion map", prediction=prediction)
    parts = [f"<div class='cnnlib-prediction' style='font-size:18px'>{head}</div>",
             svg.document(top, description), _selection_html(state, sel),
             _maps_html(state, maps)]
    if confusion:
        parts.append(_confusion_html(net, state.label, prediction))
    return TrainedNetView(state, probabilities, prediction, maps, sel, target, drop,
                          panel(*parts))


def test_state(index: int = 0, net: TrainedNet | None = None, **kwargs) -> TrainedNetState:
    """The state showing test digit ``index`` (with its true label)."""
    net = net or shipped_net()
    if not 0 <= index < len(net.y_test):
        raise SettingError(f"index={index} is outside the test set: use 0 to "
                           f"{len(net.y_test) - 1}.")
    return TrainedNetState(as_image(net.x_test[index, 0]), int(net.y_test[index]), **kwargs)


test_state.__test__ = False   # not a pytest test

"""Trained-network explorer: draw a digit (or pick a test digit) and follow it through every
layer of notebook 11's trained CNN; choose a feature-map cell; slide a grey occluder."""

from __future__ import annotations

import ipywidgets as widgets

from .._validate import SettingError
from ..i18n import tr, words
from ..viz.trained_net import (
    MAP_LAYERS,
    SIZE,
    TrainedNet,
    TrainedNetState,
    as_image,
    render_trained_net,
    shipped_net,
)
from .base import (
    DESCRIPTION_STYLE,
    Choice,
    Explorer,
    checkbox,
    control_layout,
    html_view,
    int_slider,
    refuse_choice,
)
from .pad import canvas_pad_class, keyboard_pad_class

DRAWING = -1          # the "input" drop-down's value for the pad's own drawing
OCCLUDER = 4          # side of the grey square


def _input_options(net: TrainedNet) -> list:
    """"your drawing", then the misclassified test digits, then every test digit."""
    options = [(tr("your drawing"), DRAWING)]
    for i in net.misclassified:
        options.append((tr("test {index}: a {label} read as {prediction} (wrong)", index=int(i),
                           label=int(net.y_test[i]), prediction=int(net.test_predictions[i])),
                        int(i)))
    wrong = set(net.misclassified.tolist())
    options += [(tr("test {index}: a {label}", index=i, label=int(net.y_test[i])), i)
                for i in range(len(net.y_test)) if i not in wrong]
    return options


class TrainedNetExplorer(Explorer):
    """The pad (``self.pad``) and the controls of :class:`TrainedNetState`.

    Drawing on the pad (or ``pad.draw_stroke(...)`` from Python) redraws at once; so do
    ``clear_button``, ``undo_button`` and ``eraser``.
    """

    def __init__(self, controls, pad, net: TrainedNet, keyboard: bool, extra):
        self.pad, self.net, self.keyboard = pad, net, keyboard
        self._loaded = None                # (test index, pixels) while the pad shows it as is
        super().__init__(controls, html_view(), rows=[
            ["digit", "layer", "channel"], ["row", "col", "occlude"],
            ["occluder_row", "occluder_col"], *([["cursor_row", "cursor_col"]]
                                                if keyboard else [])], extra=extra,
            beside_view=[] if keyboard else [pad])
        extra["clear_button"].on_click(lambda _: self._run(self._clear))
        extra["undo_button"].on_click(lambda _: self._run(self._undo))
        if keyboard:
            extra["paint_button"].on_click(lambda _: self._run(self._paint))
        pad.observe(self._on_change, names="pixels")
        if not keyboard:
            pad.observe(self._cursor_moved, names=["cursor_row", "cursor_col"])

    # --- pad actions (buttons) --------------------------------------------------------------
    def _clear(self):
        self._edit(self.pad.clear)

    def _undo(self):
        self._edit(self.pad.undo)

    def _paint(self):
        self.pad.eraser = self.eraser.value
        self._edit(lambda: self.pad.draw_stroke([(self.cursor_row.value,
                                                  self.cursor_col.value)]))

    def _edit(self, action):
        """Change the pad with ``action``, then draw once."""
        with self.quietly():
            action()
        self.draw()

    def _cursor_moved(self, change):
        self.redraw()

    # --- drawing ----------------------------------------------------------------------------
    def _source(self):
        """Load a newly picked test digit into the pad; say which test digit (if any) the pad
        still shows unchanged."""
        index = self.digit.value
        if index != DRAWING and (self._loaded is None or self._loaded[0] != index):
            with self.quietly():
                self.pad.load(self.net.x_test[index, 0])
            self._loaded = (index, list(self.pad.pixels))
        if self._loaded is not None and self._loaded[1] != list(self.pad.pixels):
            self._loaded = None                          # drawn on: now the student's drawing
            self._set_quietly(self.digit, DRAWING)
        return self._loaded[0] if self._loaded else None

    def _set_quietly(self, control, value):
        with self.quietly():
            control.value = value

    def draw(self) -> None:
        self.pad.eraser = self.eraser.value
        index = self._source()
        layer = self.layer.value
        channels, size = self._shape(layer)
        for slider, top in ((self.channel, channels - 1), (self.row, size - 1),
                            (self.col, size - 1)):
            if slider.max != top:
                self._set_quietly(slider, min(slider.value, top))
                slider.max = top
        occluder = ((self.occluder_row.value, self.occluder_col.value)
                    if self.occlude.value else None)
        for slider in (self.occluder_row, self.occluder_col):
            slider.disabled = not self.occlude.value
        if self.keyboard:
            cursor = (self.cursor_row.value, self.cursor_col.value)
        else:
            cursor = (self.pad.cursor_row, self.pad.cursor_col)
        state = TrainedNetState(
            as_image(self.pad.image), None if index is None else int(self.net.y_test[index]),
            layer, self.channel.value, self.row.value, self.col.value, occluder, OCCLUDER,
            cursor)
        view = render_trained_net(state, self.net)
        self.rendered = view
        self.view.value = view.html

    def _shape(self, layer: str) -> tuple[int, int]:
        block = MAP_LAYERS[layer][0]
        pooled = layer in ("3", "7")
        size = SIZE // (2 if block == 2 else 1) // (2 if pooled else 1)
        return (8 if block == 1 else 16), size


def _choice(description: str, options: list, value, name: str) -> Choice:
    """A drop-down whose option labels are already translated (made with :func:`tr`)."""
    if value not in [o[1] for o in options]:
        raise refuse_choice(name, value, options)
    return Choice(options=options, value=value, description=words(description),
                  style=DESCRIPTION_STYLE, layout=control_layout())


def trained_net_explorer(image: int | None = 0, layer: str = "0", model=None,
                         pad: str = "auto") -> TrainedNetExplorer:
    """Follow a digit through every layer of the trained network of notebook 11.

    Parameters
    ----------
    image : int or None
        Test digit to start with (its index), or ``None`` for an empty drawing pad.
    layer : str
        Feature-map layer chosen at first ("0" to "7": conv, batch norm, ReLU, pool, twice).
    model : cnnlib Sequential, optional
        A network of notebook 11's architecture (e.g. the one just trained there); default
        the shipped one (:func:`cnnlib.trained.load_digits_lenet`).
    pad : {"auto", "canvas", "keyboard"}
        The drawing pad: ``"canvas"`` (anywidget: mouse, touch and keyboard), ``"keyboard"``
        (sliders and a paint button, plain ipywidgets); ``"auto"`` takes the canvas when
        anywidget is installed.
    """
    if model is None:
        net = shipped_net()
    else:
        from ..trained import digits_split

        _, x_test, _, y_test = digits_split()
        net = TrainedNet(model, x_test, y_test)
    if pad not in ("auto", "canvas", "keyboard"):
        raise SettingError(f"pad={pad!r} is not one of the choices: use 'auto', 'canvas' or "
                           f"'keyboard'.")
    canvas = canvas_pad_class() if pad != "keyboard" else None
    if pad == "canvas" and canvas is None:
        raise SettingError("pad='canvas' needs anywidget: pip install 'cnnlib[notebooks]' "
                           "(or use pad='keyboard').")
    keyboard = canvas is None
    pad_widget = (keyboard_pad_class() if keyboard else canvas)()
    start = DRAWING if image is None else image
    controls = {
        "digit": _choice("input", _input_options(net), start, "image"),
        "layer": _choice("layer", [(tr("{layer}: {kind}, block {block}", layer=name,
                                       kind=tr(kind), block=block), name)
                                    for name, (block, kind) in MAP_LAYERS.items()], layer,
                         "layer"),
        "channel": int_slider("map", 0, 0, 7, "channel"),
        "row": int_slider("cell row", 8, 0, SIZE - 1, "row"),
        "col": int_slider("cell column", 8, 0, SIZE - 1, "col"),
        "occlude": checkbox("grey square", False, "occlude"),
        "occluder_row": int_slider("square row", 6, 0, SIZE - OCCLUDER),
        "occluder_col": int_slider("square column", 6, 0, SIZE - OCCLUDER),
    }
    if keyboard:
        controls["cursor_row"] = int_slider("pen row", SIZE // 2, 0, SIZE - 1)
        controls["cursor_col"] = int_slider("pen column", SIZE // 2, 0, SIZE - 1)
    extra = {"eraser": widgets.ToggleButton(description=tr("eraser"), icon="eraser"),
             "undo_button": widgets.Button(description=tr("undo"), icon="undo"),
             "clear_button": widgets.Button(description=tr("clear"), icon="trash")}
    if keyboard:
        extra = {"paint_button": widgets.Button(description=tr("paint"), icon="pencil"),
                 **extra}
    explorer = TrainedNetExplorer(controls, pad_widget, net, keyboard, extra)
    explorer.eraser.observe(lambda change: explorer.redraw(), names="value")
    return explorer


__all__ = ["trained_net_explorer", "TrainedNetExplorer"]

"""The common frame of every explorer: controls on top, a message line, the picture below.

An explorer observes the ``value`` of each of its controls (no ``interact``: observe-based
explorers pass strict nbval) and calls its :meth:`Explorer.draw` after every change. If
``cnnlib`` raises a ``ValueError`` or ``TypeError`` the message is shown in place of a
traceback, so no slider position can break the explorer; any other exception (a bug) is
shown too, named as one, instead of escaping from the widget callback.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from ..viz.html import note

DESCRIPTION_STYLE = {"description_width": "120px"}
CONTROL_LAYOUT = widgets.Layout(width="330px")


def int_slider(description: str, value: int, low: int, high: int, **kwargs) -> widgets.IntSlider:
    """An integer slider with a readable description (integer: no float round-trip issues)."""
    return widgets.IntSlider(value=value, min=low, max=high, description=description,
                             style=DESCRIPTION_STYLE, layout=CONTROL_LAYOUT, **kwargs)


def float_slider(description: str, value: float, low: float, high: float, step: float,
                 **kwargs) -> widgets.FloatSlider:
    """A float slider with a readable description."""
    return widgets.FloatSlider(value=value, min=low, max=high, step=step,
                               description=description, style=DESCRIPTION_STYLE,
                               layout=CONTROL_LAYOUT, **kwargs)


def dropdown(description: str, options, value) -> widgets.Dropdown:
    """A drop-down list with a readable description."""
    return widgets.Dropdown(options=options, value=value, description=description,
                            style=DESCRIPTION_STYLE, layout=CONTROL_LAYOUT)


class Explorer(widgets.VBox):
    """Controls wired to a renderer.

    Parameters
    ----------
    controls : dict of str to Widget
        Every control is also available as an attribute (``explorer.stride``), and every
        control's ``value`` change redraws.
    view : Widget
        Where the picture goes (an ``HTML`` widget for SVG, an ``Image`` for matplotlib).
    rows : list of list of str, optional
        How to lay the controls out (names per row); default one row per three controls.
    extra : dict of str to Widget, optional
        Widgets placed below the controls whose values are not read (buttons, Play); also
        available as attributes.

    Attributes
    ----------
    message : ipywidgets.HTML
        Explanation shown when a control combination is refused by ``cnnlib``.
    rendered : object
        What the renderer returned last (the view object tests check), or ``None``.
    """

    def __init__(self, controls: dict, view: widgets.Widget, rows=None, extra=None):
        extra = extra or {}
        for name in [*controls, *extra]:
            if hasattr(widgets.VBox, name):
                raise ValueError(f"control name {name!r} clashes with a VBox attribute")
        self.controls = dict(controls)
        for name, control in [*self.controls.items(), *extra.items()]:
            setattr(self, name, control)
        names = list(self.controls)
        rows = rows or [names[i:i + 3] for i in range(0, len(names), 3)]
        boxes = [widgets.HBox([self.controls[n] for n in row]) for row in rows]
        if extra:
            boxes.append(widgets.HBox(list(extra.values())))
        self.message = widgets.HTML()
        self.view = view
        self.rendered = None
        self._busy = False
        super().__init__(boxes + [self.message, view])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, change) -> None:
        if not self._busy:
            self.redraw()

    def redraw(self) -> None:
        """Draw the current state; show refused settings as a message, never raise them."""
        self._run(self.draw)

    def _run(self, action) -> None:
        """Call ``action`` (a draw, or a button's edit that ends with one); nothing escapes."""
        self._busy = True  # controls adjusted by draw() do not trigger nested redraws
        try:
            self.message.value = ""
            action()
        except (ValueError, TypeError) as error:     # a setting cnnlib refuses
            self.message.value = note(str(error), "error")
        except Exception as error:  # a bug: say so rather than let the callback raise
            self.message.value = note(f"{type(error).__name__}: {error} (a bug in cnnlib; "
                                      f"please report it)", "warning")
        finally:
            self._busy = False

    def draw(self) -> None:  # pragma: no cover - every explorer overrides it
        raise NotImplementedError


class FigureExplorer(Explorer):
    """An explorer whose picture is a :class:`cnnlib.viz.figure.BlitFigure`.

    The figure is drawn off-screen and sent as PNG bytes to ``self.image`` (an
    ``ipywidgets.Image``), with the numbers as text in ``self.caption``: this works with the
    inline backend and with ipympl alike, and an update costs ~25 ms.
    """

    def __init__(self, controls: dict, figure, rows=None, extra=None):
        self.figure = figure
        self.caption = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        super().__init__(controls, widgets.VBox([self.caption, self.image]), rows, extra)

    def show(self, state) -> None:
        """Update the figure for ``state`` and put the picture and its text on screen."""
        view = self.figure.update(state)
        self.image.value = self.figure.image()
        self.caption.value = f"<div style='font-size:17px'>{escape(view.text)}</div>"
        self.rendered = view


class StackExplorer(Explorer):
    """An explorer over an editable list of layers (frozen dataclasses of ``layer_type``).

    The ``layer`` drop-down picks which layer the controls named in ``layer_controls`` edit;
    ``add_button`` appends a copy of the chosen layer, ``remove_button`` removes it (one layer
    always stays); changing ``preset`` replaces the whole list via :meth:`load_preset`.
    Subclasses implement :meth:`load_preset` and :meth:`draw_stack`.
    """

    layer_type: type
    layer_controls: tuple[str, ...]

    def __init__(self, controls: dict, view, rows=None):
        self.layers = []
        self._preset, self._editing = None, None
        buttons = {"add_button": widgets.Button(description="add layer", icon="plus"),
                   "remove_button": widgets.Button(description="remove layer", icon="minus")}
        buttons["add_button"].on_click(lambda _: self._run(self._add))
        buttons["remove_button"].on_click(lambda _: self._run(self._remove))
        super().__init__(controls, view, rows, extra=buttons)

    def load_preset(self, name: str) -> list:  # pragma: no cover - subclasses override
        raise NotImplementedError

    def draw_stack(self) -> None:  # pragma: no cover - subclasses override
        raise NotImplementedError

    def _add(self) -> None:
        self.layers.append(self.layers[self.layer.value])
        self._select(len(self.layers) - 1)
        self.draw()

    def _remove(self) -> None:
        if len(self.layers) > 1:
            del self.layers[self.layer.value]
        self._select(min(self.layer.value, len(self.layers) - 1))
        self.draw()

    def _select(self, index: int) -> None:
        busy, self._busy = self._busy, True
        try:
            self.layer.options = [(f"{i + 1}: {layer.kind}", i)
                                  for i, layer in enumerate(self.layers)]
            self.layer.value = index
        finally:
            self._busy = busy
        self._editing = None

    def draw(self) -> None:
        if self.preset.value != self._preset:          # a new preset replaces the layers
            self._preset = self.preset.value
            self.layers = list(self.load_preset(self._preset))
            self._select(0)
        index = self.layer.value
        if index != self._editing:                      # show the chosen layer's settings
            for name in self.layer_controls:
                self.controls[name].value = getattr(self.layers[index], name)
            self._editing = index
        else:                                           # store the controls into the layer
            layer = self.layer_type(
                **{name: self.controls[name].value for name in self.layer_controls})
            if layer != self.layers[index]:             # (not when another control moved)
                self.layers[index] = layer
                self._select(index)                     # its label shows the layer's kind
                self._editing = index
        self.draw_stack()

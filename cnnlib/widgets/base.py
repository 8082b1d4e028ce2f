"""The common frame of every explorer: controls on top, a message line, the picture below.

An explorer observes the ``value`` of each of its controls (no ``interact``: observe-based
explorers pass strict nbval) and calls its :meth:`Explorer.draw` after every change.

Two kinds of failure are kept apart:

- a setting the lecture refuses: cnnlib raises :class:`~cnnlib._validate.SettingError`; its
  message is shown in place ("Not possible: ...") and the explorer stays usable;
- a bug (any other exception, numpy's included): the student sees a short apology, never a
  traceback, and the exception is kept in :attr:`Explorer.last_bug`, so that a test that sweeps
  the controls fails on it (see ``tests/test_widgets.py``).

Where no kernel runs (a notebook opened before Run All, nbconvert HTML, GitHub), an explorer's
output shows a static picture of its initial state (:meth:`Explorer._repr_mimebundle_`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import numbers
import re
from dataclasses import replace
from html import escape, unescape

import ipywidgets as widgets
from traitlets import validate

from .._validate import SettingError, SettingTypeError
from ..i18n import N_, explain, tr, words
from ..viz.html import note
from .access import Access

#: Body text of a notebook (JupyterLab's --jp-content-font-size1; classic Notebook: 14px).
#: Widget labels, read-outs and drop-downs are drawn at least this large (not ipywidgets' 13px
#: UI size), so that they read at the back of a room on a 1024x768 projector.
BODY_FONT_PX = 14
#: Room for the longest label ("channels / outputs", 128 px in DejaVu Sans at 14 px) plus its
#: 8 px margin, so that no label is cut off with "..."; the Korean labels fit too (the longest,
#: "채널 / 출력 수", about 94 px; tests/test_i18n.py).
DESCRIPTION_STYLE = {"description_width": "140px"}
#: Every control keeps this width and never shrinks: a row that does not fit wraps instead,
#: so a slider track is never squeezed to 0 px (1024 px projector at 150 % zoom included).
CONTROL_WIDTH = "340px"
#: One rule for every explorer: the widgets inside inherit the body text size.
#: The HTML widget's content is a flex item, which never shrinks below its content's width:
#: "min-width: 0" lets the text reflow in a narrow column while a wide picture scrolls in its
#: own box (200 % zoom, a 640 px window; WCAG 1.4.10).
EXPLORER_CSS = ("<style>.cnnlib-explorer-widget {"
                f"--jp-widgets-font-size: var(--jp-content-font-size1, {BODY_FONT_PX}px);"
                "--jp-widgets-inline-height: 32px;}"
                ".cnnlib-explorer-widget .widget-html-content,"
                ".cnnlib-explorer-widget .jupyter-widget-html-content {min-width: 0;}</style>")
APOLOGY = N_("Sorry, the explorer hit a bug while drawing this setting (not your mistake). "
             "Move the control back, or re-run the cell; please tell your instructor.")


def control_layout() -> widgets.Layout:
    return widgets.Layout(width=CONTROL_WIDTH, min_width=CONTROL_WIDTH, flex="0 0 auto")


def check_in_range(value, name: str, low, high, whole: bool = True):
    """Return ``value`` after checking it is a number in ``[low, high]`` (the slider's range).

    Raises :class:`SettingTypeError` / :class:`SettingError` naming the explorer argument
    ``name``, the value and the allowed range, before anything is built.
    """
    kind = numbers.Integral if whole else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "a whole number" if whole else "a number"
        raise SettingTypeError(f"{name} must be {what} from {low} to {high}, got {value!r} "
                               f"({type(value).__name__}).")
    if not low <= value <= high:
        raise SettingError(f"{name}={value} is outside this explorer's range: use a value "
                           f"from {low} to {high}.")
    return value


def int_slider(description: str, value: int, low: int, high: int, name: str = "",
               **kwargs) -> widgets.IntSlider:
    """An integer slider; ``value`` outside ``[low, high]`` is refused, naming argument ``name``
    (default: the description)."""
    check_in_range(value, name or description, low, high)
    return widgets.IntSlider(value=value, min=low, max=high, description=words(description),
                             style=DESCRIPTION_STYLE, layout=control_layout(), **kwargs)


def float_slider(description: str, value: float, low: float, high: float, step: float,
                 name: str = "", **kwargs) -> widgets.FloatSlider:
    """A float slider; ``value`` outside ``[low, high]`` is refused like :func:`int_slider`."""
    check_in_range(value, name or description, low, high, whole=False)
    return widgets.FloatSlider(value=value, min=low, max=high, step=step,
                               description=words(description), style=DESCRIPTION_STYLE,
                               layout=control_layout(), **kwargs)


def _option_values(options) -> list:
    return [o[1] if isinstance(o, tuple) else o for o in options]


def refuse_choice(name: str, value, options) -> SettingError:
    """The error for a value that is not one of ``options`` (a drop-down's choices)."""
    choices = ", ".join(repr(v) for v in _option_values(options))
    return SettingError(f"{name}={value!r} is not one of the choices: use one of {choices}.")


class Choice(widgets.Dropdown):
    """A drop-down whose ``value`` must be one of its options.

    Setting it to a value it does not offer (from code) raises a :class:`SettingError` that
    lists the choices. ``None`` (no choice; traitlets lets it through) is refused with the
    same message when the explorer draws, instead of ``KeyError: None``. ``name`` is how the
    message calls it (the explorer sets it to the control's attribute name).
    """

    name = ""

    @validate("value")
    def _validate_value(self, proposal):
        if proposal.value not in _option_values(self.options):
            raise refuse_choice(self.name or self.description, proposal.value, self.options)
        return super()._validate_value(proposal)

    def check(self) -> None:
        """Raise the :class:`SettingError` for a ``None`` value (no choice made)."""
        if self.value is None:
            raise refuse_choice(self.name or self.description, None, self.options)


def dropdown(description: str, options, value, name: str = "") -> Choice:
    """A drop-down list; ``value`` must be one of ``options`` (refused naming ``name``).

    The words shown are translated (:func:`cnnlib.i18n.words`); the values stay as they are.
    """
    if value not in _option_values(options):
        raise refuse_choice(name or description, value, options)
    options = [(words(o[0]), o[1]) if isinstance(o, tuple) else
               (words(o, "option"), o) if isinstance(o, str) else o for o in options]
    return Choice(options=options, value=value, description=words(description),
                  style=DESCRIPTION_STYLE, layout=control_layout())


def checkbox(description: str, value: bool, name: str = "") -> widgets.Checkbox:
    """A check box; ``value`` must be ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise SettingTypeError(f"{name or description} must be True or False, got {value!r}.")
    return widgets.Checkbox(value=value, description=words(description), indent=False,
                            layout=control_layout())


#: The class of an explorer's picture widget, which tests and ``access.js`` find it by.
VIEW_CLASS = "cnnlib-view"


def html_view() -> widgets.HTML:
    """An explorer's picture as HTML (SVG). The class is part of the widget's first state: a
    class added after creation was missing in the classic Notebook on a loaded machine (the
    trained-network explorer, RISE, tests/test_latency.py)."""
    return widgets.HTML(_dom_classes=(VIEW_CLASS,))


def row(children) -> widgets.HBox:
    """Controls side by side that wrap onto the next line when the notebook is narrow."""
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap",
                                                        align_items="center",
                                                        width="100%"))


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
        How to group the controls (names per row); default one row per three controls. A row
        wraps when the notebook is too narrow for it.
    extra : dict of str to Widget, optional
        Widgets placed below the controls whose values are not read (buttons, Play); also
        available as attributes.
    beside_view : list of Widget, optional
        Widgets placed just above the view (the trained-network explorer's drawing pad).

    Attributes
    ----------
    message : ipywidgets.HTML
        Explanation shown when a control combination is refused by ``cnnlib``.
    rendered : object
        What the renderer returned last (the view object tests check), or ``None``.
    last_bug : Exception or None
        The last exception that was *not* a refused setting (a bug), or ``None``. The student
        only sees an apology; tests raise it (``tests/test_widgets.py::sweep``).
    draws : int
        How many times the picture was drawn (coalescing tests count them).
    access : Access
        Names the controls for assistive technology and announces every change in a polite
        live region (:mod:`cnnlib.widgets.access`): the control moved and its new value, then
        :meth:`describe` ("stride s 2: input 7 × 7 → output 3 × 3"), so that a change that
        leaves the headline as it was is said too.
    """

    def __init__(self, controls: dict, view: widgets.Widget, rows=None, extra=None,
                 beside_view=()):
        extra = extra or {}
        for name in [*controls, *extra]:
            if hasattr(widgets.VBox, name):
                raise ValueError(f"control name {name!r} clashes with a VBox attribute")
        self.controls = dict(controls)
        for name, control in [*self.controls.items(), *extra.items()]:
            setattr(self, name, control)
            if isinstance(control, Choice):
                control.name = name
        names = list(self.controls)
        rows = rows or [names[i:i + 3] for i in range(0, len(names), 3)]
        boxes = [row([self.controls[n] for n in names]) for names in rows]
        if extra:
            boxes.append(row(list(extra.values())))
        self.message = widgets.HTML()
        self.access = Access(layout=widgets.Layout(height="0px", margin="0px"))
        self.view = view
        self.rendered = None
        self.last_bug = None
        self.draws = 0
        self._changed = None          # the control moved since the last draw, if any
        self._busy = False
        self._scheduled = False
        style = widgets.HTML(EXPLORER_CSS, layout=widgets.Layout(height="0px", margin="0px"))
        if VIEW_CLASS not in view._dom_classes:
            raise ValueError(f"the view needs the class {VIEW_CLASS!r} when it is created "
                             f"(html_view()), not added later")
        # the class is how the browser tests find the parts (in the first state, like the view's)
        super().__init__([style, *boxes, self.message, *beside_view, self.access, view],
                         layout=widgets.Layout(width="100%", max_width="100%"),
                         _dom_classes=("cnnlib-explorer-widget",))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, change) -> None:
        if self._busy:
            return
        if any(change["owner"] is control for control in self.controls.values()):
            self._changed = change["owner"]
        if getattr(change["owner"], "_property_lock", None) and self._schedule():
            return          # a move in the browser: drawn once the queued moves are applied
        self.redraw()

    def _schedule(self) -> bool:
        """Coalesce changes that come from the browser: draw once, with the latest values.

        A drag sends many values; the kernel applies the ones already queued before the
        event loop runs the scheduled draw, so only the last position is drawn. Changes made
        from Python (a cell, a test) redraw at once. Returns ``False`` without an event loop.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return True

    def _flush(self) -> None:
        self._scheduled = False
        self.redraw()

    @contextlib.contextmanager
    def quietly(self):
        """Inside ``with explorer.quietly():`` changing a control does not redraw (the caller
        draws once afterwards, with every change made)."""
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    def redraw(self) -> None:
        """Draw the current state; show refused settings as a message, never raise them."""
        self._run(self.draw)

    def _run(self, action) -> None:
        """Call ``action`` (a draw, or a button's edit that ends with one); nothing escapes."""
        self._busy = True  # controls adjusted by draw() do not trigger nested redraws
        try:
            self.message.value = ""
            for control in self.controls.values():
                if isinstance(control, Choice):
                    control.check()
            action()
            self.draws += 1
        except SettingError as error:                    # a setting the lecture refuses
            self.message.value = note(explain(error), "error")
        except Exception as error:  # noqa: BLE001 - a bug: apologise, keep it for the tests
            self.last_bug = error
            self.message.value = note(tr(APOLOGY), "warning")
        finally:
            self._busy = False
        description = self.describe()
        changed, self._changed = self._changed, None
        self.access.alt = description
        if changed is not None:
            description = f"{changed.description} {_shown(changed)}: {description}"
        self.access.announcement = description

    def describe(self) -> str:
        """The state in one line of plain text, for the live region: the refusal or apology
        when there is one; else the picture's headline (``cnnlib-summary`` or
        ``cnnlib-total``) followed by its first "Not possible" note, if any; else its first
        note, the first line of its arithmetic, a figure's caption or its pictures' text
        alternatives, whichever comes first."""
        if self.message.value:
            return _plain(self.message.value)
        picture = self.picture_html()
        parts = [_plain(found.group(1)) for found in (_SUMMARY.search(picture),
                                                      _ERROR.search(picture)) if found]
        if parts:
            return " ".join(parts)
        for pattern in (_NOTE, _FORMULA):
            found = pattern.search(picture)
            if found:
                return _plain(found.group(1))
        if getattr(self.rendered, "text", None):
            return str(self.rendered.text)
        return "; ".join(unescape(label) for label in _LABEL.findall(picture))

    def fit_steps(self, cells: int | None, *sliders) -> None:
        """Let the step slider(s) pick one of ``cells`` output cells (none: disabled).

        The renderers clamp a step past the end to the last cell, so the picture already shows
        the cell the clamped slider will show: nothing needs drawing again.
        """
        for slider in sliders:
            if cells:
                slider.max = cells - 1
            slider.disabled = not cells

    def draw(self) -> None:  # pragma: no cover - every explorer overrides it
        raise NotImplementedError

    # --- where no kernel runs: a static picture instead of the widget's Python repr -------

    def static_html(self) -> str:
        """The current picture and control values as plain HTML (no widget needed).

        Front ends sanitise untrusted HTML and drop inline ``<svg>`` (JupyterLab does), so
        every SVG becomes an ``<img>`` with a ``data:`` URL, which they keep.
        """
        settings = ", ".join(
            f"{control.description or name} {_shown(control)}"
            for name, control in self.controls.items() if not control.disabled)
        picture = _SVG.sub(_svg_as_img, self.picture_html())
        intro = tr("A still picture of this explorer ({settings}). Run the cell to move its "
                   "sliders.", settings=settings)
        # the picture's own panel scrolls sideways (a region Tab reaches), not this wrapper
        return (f'<div class="cnnlib-static" style="max-width:100%">'
                f'<div style="font-size:15px;color:#444"><i>{escape(intro)}</i></div>'
                f"{self.message.value}{picture}</div>")

    def picture_html(self) -> str:
        """The picture alone, as HTML (SVG explorers: the view's markup)."""
        return self.view.value

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = tr("{explorer}: run the cell to use its sliders",
                                  explorer=type(self).__name__)
        bundle["text/html"] = self.static_html()
        return bundle


_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
_SUMMARY = re.compile(r'<div class="cnnlib-(?:summary|total)"[^>]*>(.*?)</div>', re.DOTALL)
_NOTE = re.compile(r'<div class="cnnlib-note[^"]*"[^>]*>(.*?)</div>', re.DOTALL)
_ERROR = re.compile(r'<div class="cnnlib-note cnnlib-error"[^>]*>(.*?)</div>', re.DOTALL)
_FORMULA = re.compile(r'<div class="cnnlib-formula"[^>]*>(.*?)(?:<br>|</div>)', re.DOTALL)
_LABEL = re.compile(r'<svg[^>]*?aria-label="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")


def _plain(markup: str) -> str:
    """The text of an HTML fragment on one line."""
    return " ".join(unescape(_TAG.sub(" ", markup)).split())
_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)" height="([\d.]+)"[^>]*?aria-label="([^"]*)"')


def _svg_as_img(match: re.Match) -> str:
    size = _SIZE.match(match.group(0))
    width, height, label = size.groups() if size else ("", "", "")
    data = base64.b64encode(match.group(0).encode()).decode()
    return (f'<img src="data:image/svg+xml;base64,{data}" width="{width}" height="{height}" '
            f'alt="{label}" style="max-width:none">')


def _shown(control) -> str:
    """A control's value as a reader sees it: a dropdown's label; a tick box's True / False,
    in Korean 켬 / 끔."""
    value = control.value
    if isinstance(control, widgets.Dropdown) and control.label is not None:
        return str(control.label)
    if isinstance(value, bool):
        return words("True", "value") if value else words("False", "value")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class FigureExplorer(Explorer):
    """An explorer whose picture is a :class:`cnnlib.viz.figure.BlitFigure`.

    The figure is drawn off-screen and sent as PNG bytes to ``self.image`` (an
    ``ipywidgets.Image``), with the numbers as text in ``self.caption``: this works with the
    inline backend and with ipympl alike, and an update costs ~25 ms.
    """

    def __init__(self, controls: dict, figure, rows=None, extra=None):
        self.figure = figure
        self.caption = widgets.HTML()
        # shown at its own size where it fits; scaled down (never below 640 px) where not
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            max_width="100%", min_width="640px", height="auto"))
        box = widgets.Box([self.image], layout=widgets.Layout(overflow="auto", width="100%"))
        view = widgets.VBox([self.caption, box], _dom_classes=(VIEW_CLASS,))
        super().__init__(controls, view, rows, extra)

    def show(self, state) -> None:
        """Update the figure for ``state`` and put the picture and its text on screen."""
        view = self.figure.update(state)
        self.image.value = self.figure.image()
        self.caption.value = f"<div style='font-size:17px'>{escape(view.text)}</div>"
        self.rendered = view

    def picture_html(self) -> str:
        png = base64.b64encode(self.image.value).decode()
        return (f"{self.caption.value}<img src='data:image/png;base64,{png}' "
                f"alt='{escape(self.rendered.text if self.rendered else '')}' "
                f"style='max-width:100%;height:auto'>")


class StackExplorer(Explorer):
    """An explorer over an editable list of layers (frozen dataclasses of ``layer_type``).

    The ``layer`` drop-down picks which layer the controls named in ``layer_controls`` edit;
    ``add_button`` inserts a copy of a layer (see :meth:`insert_at`), ``remove_button``
    removes the chosen one (one layer always stays); changing ``preset`` replaces the whole
    list via :meth:`load_preset`. Subclasses implement :meth:`load_preset` and
    :meth:`draw_stack`.
    """

    layer_type: type
    layer_controls: tuple[str, ...]

    def __init__(self, controls: dict, view, rows=None):
        self.layers = []
        self._preset, self._editing = None, None
        buttons = {"add_button": widgets.Button(description=tr("add layer"), icon="plus"),
                   "remove_button": widgets.Button(description=tr("remove layer"),
                                                   icon="minus")}
        buttons["add_button"].on_click(lambda _: self._run(self._add))
        buttons["remove_button"].on_click(lambda _: self._run(self._remove))
        super().__init__(controls, view, rows, extra=buttons)

    def load_preset(self, name: str) -> list:  # pragma: no cover - subclasses override
        raise NotImplementedError

    def draw_stack(self) -> None:  # pragma: no cover - subclasses override
        raise NotImplementedError

    def insert_at(self) -> tuple[int, object]:
        """Where "add layer" puts a new layer and which: a copy of the chosen one after it."""
        return self.layer.value + 1, self.layers[self.layer.value]

    def _add(self) -> None:
        index, layer = self.insert_at()
        self.layers.insert(index, layer)
        self._select(index)
        self.draw()

    def _remove(self) -> None:
        if len(self.layers) > 1:
            del self.layers[self.layer.value]
        self._select(min(self.layer.value, len(self.layers) - 1))
        self.draw()

    def _select(self, index: int) -> None:
        with self.quietly():
            self.layer.options = [(f"{i + 1}: {words(layer.kind, 'option')}", i)
                                  for i, layer in enumerate(self.layers)]
            self.layer.value = index
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
            layer = replace(self.layers[index],   # settings without a control are kept
                            **{name: self.controls[name].value for name in self.layer_controls})
            if layer != self.layers[index]:             # (not when another control moved)
                self.layers[index] = layer
                self._select(index)                     # its label shows the layer's kind
                self._editing = index
        self.draw_stack()


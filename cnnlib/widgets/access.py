"""An explorer's accessibility companion: what ipywidgets 8 does not do, done in the browser.

Measured with axe-core 4.12 and a keyboard in JupyterLab 4 (ipywidgets 8.1), the controls had
these barriers (``docs/upstream-ipywidgets-accessibility.md`` is the report for
jupyter-widgets/ipywidgets, with a minimal example):

- a slider's handle (``role="slider"``) has no accessible name: a screen reader says
  "slider, 7", not "input height, 7"; its editable read-out is a second, unnamed stop; a float
  slider's value is said as noUiSlider computes it ("0.11000000000000001"), not as shown;
- a disabled slider's handle stays in the Tab order;
- the Play widget's buttons are icons without a name;
- a drop-down's arrow keys are taken by JupyterLab's command mode (the notebook moves to
  another cell) instead of changing the choice;
- nothing announces a new picture or a refused setting.

:class:`Access` is a small `anywidget <https://anywidget.dev>`_ (``access.js``, no build
step; it works in JupyterLab, the classic Notebook and JupyterLite) that every
:class:`~cnnlib.widgets.base.Explorer` carries. In the browser it names each control after its
visible label, gives each slider its read-out's text as its value, takes disabled controls out
of the Tab order, marks drop-downs so that the notebook's shortcuts leave their keys alone
(Lumino's ``data-lm-suppress-shortcuts``), and keeps one polite live region (``role="status"``)
whose text is :attr:`Access.announcement`: the control just moved and the explorer's new state
after each change, or its "Not possible: ..." message. A picture without a text alternative of
its own (a figure explorer's ``Image``) gets :attr:`Access.alt`. The live region is never
replaced, only its text, so screen readers announce each change.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

from ..i18n import N_, tr

#: The names of the Play widget's buttons and of a slider's read-out, as shown to assistive
#: technology (translated when the explorer is made).
WORDS = {"play": N_("play"), "pause": N_("pause"), "stop": N_("stop"),
         "repeat": N_("repeat when finished"), "readout": N_("value, type to change it")}


class Access(anywidget.AnyWidget):
    """The companion widget: put it inside an explorer's box (it takes no space).

    Attributes
    ----------
    announcement : str
        What the live region says now (set it after every change).
    alt : str
        The explorer's state without what changed: the text alternative of its ``Image``.
    words : dict of str to str
        Accessible names for the Play buttons and the slider read-outs, in the notebook's
        language.
    """

    _esm = Path(__file__).with_name("access.js")
    announcement = traitlets.Unicode("").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    words = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(words={key: tr(text) for key, text in WORDS.items()}, **kwargs)

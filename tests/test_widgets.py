"""Explorers driven from Python: every control over its full range, and the wiring."""

from __future__ import annotations

import asyncio
import importlib
import itertools

import ipywidgets as widgets
import ipywidgets.widgets.widget as widget_module
import numpy as np
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath

from cnnlib import shapes
from cnnlib._validate import SettingError
from cnnlib.widgets import base
from cnnlib.widgets.activations import activations_explorer
from cnnlib.widgets.batch_norm import batch_norm_explorer
from cnnlib.widgets.layer_stack import layer_stack_explorer
from cnnlib.widgets.output_size import output_size_explorer
from cnnlib.widgets.pooling import pooling_explorer
from cnnlib.widgets.receptive_field import receptive_field_explorer
from cnnlib.widgets.stepper import stepper_explorer
from cnnlib.widgets.trained_net import trained_net_explorer


def control_values(control, limit: int = 30):
    """Every value a control can take (at most ``limit`` evenly spread for long sliders)."""
    if isinstance(control, widgets.Checkbox):
        return [True, False, True]
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.SelectionSlider)):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, widgets.IntSlider):
        values = range(control.min, control.max + 1)
        if len(values) > limit:
            values = np.unique(np.linspace(control.min, control.max, limit).astype(int))
        return [int(v) for v in values] + [control.min]
    if isinstance(control, widgets.FloatSlider):
        return [float(v) for v in np.linspace(control.min, control.max, 13)]
    raise TypeError(f"no sweep for {type(control).__name__}")


def shows_something(explorer) -> bool:
    if hasattr(explorer, "image"):                      # a matplotlib explorer
        return explorer.image.value[:4] == b"\x89PNG" and bool(explorer.caption.value)
    return bool(explorer.view.value) or bool(explorer.message.value)


def set_value(explorer, control, value):
    """Set a control as a student would; a bug behind it (anything but a refused setting)
    is raised here, so that a test fails on it."""
    control.value = value
    if explorer.last_bug is not None:
        raise explorer.last_bug


def sweep(explorer, limit: int = 30):
    """Move every control over its whole range; no bug may happen, something must show."""
    for name, control in explorer.controls.items():
        for value in control_values(control, limit):
            if control.disabled:
                break
            set_value(explorer, control, value)
            assert shows_something(explorer), (name, value)


EXPLORERS = {   # factory, module, name of the renderer the explorer calls (None: its figure)
    "output size": (output_size_explorer, "output_size", "render_output_size"),
    "receptive field": (receptive_field_explorer, "receptive_field", "render_receptive_field"),
    "stepper": (stepper_explorer, "stepper", "render_stepper"),
    "pooling": (pooling_explorer, "pooling", "render_pooling"),
    "layer stack": (layer_stack_explorer, "layer_stack", "render_layer_stack"),
    "activations": (activations_explorer, "activations", None),
    "batch norm": (batch_norm_explorer, "batch_norm", None),
}


@pytest.mark.parametrize("name", ["output size", "receptive field", "stepper", "pooling",
                                  "layer stack"])
def test_sweep_every_control(name):
    sweep(EXPLORERS[name][0]())


def test_sweep_figure_explorers():
    for make in (activations_explorer, batch_norm_explorer):
        ex = make()
        sweep(ex, limit=8)
        assert ex.image.value[:4] == b"\x89PNG" and ex.caption.value


# --- a bug is not a refused setting ------------------------------------------------------------

BUGS = [IndexError("index 9 is out of bounds for axis 0 with size 9"),
        ZeroDivisionError("division by zero"),
        ValueError("operands could not be broadcast together with shapes (3,3) (4,4)"),
        TypeError("unsupported operand type(s) for +: 'int' and 'str'")]


def inject(monkeypatch, ex, module: str, renderer, error: Exception) -> None:
    """Make the explorer's renderer raise ``error`` from now on."""
    def broken(*args, **kwargs):
        raise error

    if renderer is None:
        monkeypatch.setattr(ex.figure, "update", broken)
    else:
        monkeypatch.setattr(importlib.import_module(f"cnnlib.widgets.{module}"), renderer,
                            broken)


@pytest.mark.parametrize("error", BUGS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("name", list(EXPLORERS))
def test_a_bug_in_any_renderer_fails_the_sweep(monkeypatch, name, error):
    make, module, renderer = EXPLORERS[name]
    ex = make()
    inject(monkeypatch, ex, module, renderer, error)
    with pytest.raises(type(error)) as raised:
        sweep(ex, limit=3)
    assert raised.value is error
    # the student sees an apology, never the exception's text or a traceback
    assert "bug" in ex.message.value and str(error) not in ex.message.value
    assert "Not possible" not in ex.message.value and "Traceback" not in ex.message.value


def test_a_numpy_error_inside_a_renderer_is_a_bug_not_a_refusal(monkeypatch):
    import cnnlib.viz.pooling as pooling

    ex = pooling_explorer()

    def broadcast(*args):
        return np.ones((3, 3)) + np.ones((4, 4))        # numpy's own ValueError

    monkeypatch.setattr(pooling, "_grid_picture", broadcast)
    with pytest.raises(ValueError, match="broadcast"):
        set_value(ex, ex.stride, 1)
    assert "Not possible" not in ex.message.value and "broadcast" not in ex.message.value
    monkeypatch.undo()
    ex.last_bug = None
    set_value(ex, ex.stride, 2)                         # the explorer recovers
    assert ex.message.value == "" and ex.rendered.output.shape == (3, 3)


def test_a_refused_setting_is_shown_in_place_and_is_not_a_bug():
    ex = pooling_explorer()
    set_value(ex, ex.padding, 2)                        # more than half the 2x2 window
    assert ex.last_bug is None and "Not possible" in ex.view.value
    assert 'data-role="input"' in ex.view.value         # the input stays on the page


def test_a_setting_error_raised_while_drawing_is_shown_with_its_message(monkeypatch):
    import cnnlib.widgets.stepper as module

    ex = stepper_explorer()

    def refuse(state):
        raise SettingError("stride=3 does not fit here")

    monkeypatch.setattr(module, "render_stepper", refuse)
    set_value(ex, ex.stride, 2)
    assert "Not possible:</b> stride=3 does not fit here" in ex.message.value


def test_a_bug_behind_a_button_fails_too(monkeypatch):
    ex = receptive_field_explorer()

    def broken():
        raise RuntimeError("draw_stack failed")

    monkeypatch.setattr(ex, "draw_stack", broken)
    ex.add_button.click()
    assert isinstance(ex.last_bug, RuntimeError) and "draw_stack" not in ex.message.value


# --- arguments checked before anything is built ------------------------------------------------

@pytest.mark.parametrize("make, arguments, words", [
    (output_size_explorer, {"kernel_size": 50}, ["kernel_size=50", "from 1 to 9"]),
    (output_size_explorer, {"max_size": 100_000}, ["max_size=100000", "from 1 to 64"]),
    (output_size_explorer, {"height": 30}, ["height=30", "from 1 to 24"]),
    (output_size_explorer, {"padding": "full"}, ["padding='full'", "'same' or 'valid'"]),
    (output_size_explorer, {"stride": 2.5}, ["stride must be a whole number", "2.5"]),
    (pooling_explorer, {"kernel_size": 17}, ["kernel_size=17", "from 1 to 16"]),
    (pooling_explorer, {"source": "photo"}, ["source='photo'", "'grid', 'image'"]),
    (stepper_explorer, {"step": 25}, ["step=25", "from 0 to 24"]),
    (batch_norm_explorer, {"steps": 101}, ["steps=101", "from 0 to 100"]),
    (batch_norm_explorer, {"batch_size": 100_000}, ["batch_size=100000", "2, 4, 8"]),
    (batch_norm_explorer, {"training": None}, ["training=None", "True, False"]),
    (activations_explorer, {"x": 7.0}, ["x=7.0", "from -6.0 to 6.0"]),
    (layer_stack_explorer, {"preset": None}, ["preset=None", "'small CNN'"]),
    (receptive_field_explorer, {"preset_name": "VGG"}, ["preset_name='VGG'", "two 3x3"]),
    (receptive_field_explorer, {"row": 5}, ["row=5", "from 0 to 4"]),
])
def test_arguments_out_of_range_are_refused_by_name(make, arguments, words):
    with pytest.raises(SettingError) as raised:
        make(**arguments)
    for word in words:
        assert word in str(raised.value)


def test_a_huge_size_is_refused_before_anything_is_allocated(monkeypatch):
    import cnnlib.viz.batch_norm as module

    def no_batches(*args):
        raise AssertionError("history() ran before the arguments were checked")

    monkeypatch.setattr(module, "history", no_batches)
    with pytest.raises(SettingError):
        batch_norm_explorer(batch_size=10**9)
    with pytest.raises(SettingError):
        batch_norm_explorer(steps=10**9)


def test_a_drop_down_set_to_none_or_an_unknown_value_says_what_to_choose():
    ex = stepper_explorer()
    with pytest.raises(SettingError, match=r"mode='5x5' is not one of the choices: use one of "
                                           r"'lecture 5x5 \(1 channel\)', '3 channels'"):
        ex.mode.value = "5x5"
    ex.mode.value = None                  # ipywidgets lets None through: refused in place
    assert ex.last_bug is None
    assert "Not possible:</b> mode=None is not one of the choices" in ex.message.value
    ex.mode.value = "3 channels"
    assert ex.message.value == "" and ex.rendered.products.shape == (3, 3, 3)


# --- redraws coalesce ---------------------------------------------------------------------

def test_moves_from_the_browser_are_coalesced_into_one_draw():
    ex = output_size_explorer()

    async def drag():
        before = ex.draws
        for height in range(8, 16):       # eight messages queued by a fast drag
            ex.height.set_state({"value": height})
        queued = ex.draws - before
        await asyncio.sleep(0)            # the event loop runs the one scheduled draw
        return queued, ex.draws - before

    queued, drawn = asyncio.run(drag())
    assert (queued, drawn) == (0, 1)
    assert ex.rendered.state.height == 15 and "input 15 × 7" in ex.view.value


def test_changes_from_python_draw_at_once_even_inside_an_event_loop():
    ex = output_size_explorer()

    async def cell():
        ex.height.value = 9
        return ex.rendered.state.height

    assert asyncio.run(cell()) == 9


# --- output size ---------------------------------------------------------------------------

def test_output_size_wiring():
    ex = output_size_explorer(height=7, width=7, kernel_size=3)
    assert "output 5 × 5" in ex.view.value and ex.step.max == 24
    ex.height.value = 8
    assert ex.rendered.output_shape == (6, 5) and "output 6 × 5" in ex.view.value
    ex.stride.value = 3
    assert ex.rendered.output_shape == (2, 2)       # floor(5/3) + 1, floor(4/3) + 1
    assert "does not tile" in ex.view.value and ex.step.max == 3
    ex.padding_mode.value = "same"
    assert ex.padding.disabled and ex.rendered.output_shape is None
    assert "needs stride=1" in ex.view.value
    ex.stride.value = 1
    assert ex.rendered.output_shape == (8, 7)


def test_output_size_keeps_the_chosen_cell_valid():
    ex = output_size_explorer()
    ex.step.value = 24
    ex.kernel_size.value = 7                     # output shrinks to 1 x 1
    assert ex.step.max == 0 and ex.step.value == 0 and ex.rendered.window == (0, 0)


def test_output_size_every_combination_renders_or_explains():
    ex = output_size_explorer(height=6, width=5)
    for k, mode, p, s, d in itertools.product(range(1, 10, 2), ["number", "same", "valid"],
                                              range(0, 7, 3), range(1, 7, 2), range(1, 5)):
        ex.kernel_size.value, ex.padding_mode.value = k, mode
        ex.padding.value, ex.stride.value, ex.dilation.value = p, s, d
        padding = p if mode == "number" else mode
        try:
            expected = shapes.conv_output_shape((6, 5), k, s, padding, d)
        except ValueError:
            assert ex.rendered.output_shape is None and "Not possible" in ex.view.value
        else:
            assert ex.rendered.output_shape == expected
            assert f"output {expected[0]} × {expected[1]}" in ex.view.value


def test_initial_string_padding():
    ex = output_size_explorer(padding="same", kernel_size=5)
    assert ex.padding_mode.value == "same" and ex.rendered.output_shape == (7, 7)


# --- receptive field -----------------------------------------------------------------------

def test_receptive_field_wiring():
    ex = receptive_field_explorer("two 3x3 vs one 5x5")
    assert (ex.row.value, ex.col.value) == (2, 2)
    a, b = ex.rendered.stacks
    assert a.fields[-1].rf == b.fields[-1].rf == 5
    ex.layer.value = 1
    ex.kernel_size.value = 5                     # conv 2 becomes 5x5: rf 3 + 4 = 7
    assert ex.rendered.stacks[0].fields[-1].rf == 7
    assert ex.row.max == 2
    ex.add_button.click()
    assert len(ex.rendered.state.layers) == 3
    assert "Not possible" in ex.view.value      # 9 -> 7 -> 3 -> a 5x5 kernel does not fit
    ex.remove_button.click()
    assert len(ex.rendered.state.layers) == 2 and ex.rendered.stacks[0].error == ""
    ex.preset.value = "AlexNet (2012) first layers"
    assert ex.input_size.value == 227 and ex.rendered.stacks[0].fields[-1].rf == 67
    assert ex.kernel_size.value == 11             # the sliders show the chosen layer


def test_receptive_field_keeps_the_centre_cell_and_the_groups():
    ex = receptive_field_explorer("two 3x3 vs one 5x5")
    ex.input_size.value = 240                            # output 236 x 236: centre 118
    assert (ex.row.value, ex.col.value) == (118, 118)
    ex.preset.value = "AlexNet (2012) first layers"
    ex.layer.value = 2                                   # conv2, groups=2
    ex.channels.value = 128                              # (5*5*48 + 1) * 128 with 96 inputs
    assert ex.layers[2].groups == 2
    assert ex.rendered.stacks[0].params == 34_944 + (25 * 48 + 1) * 128


def test_receptive_field_removing_down_to_one_layer():
    ex = receptive_field_explorer("three 3x3 vs one 7x7")
    for _ in range(5):
        ex.remove_button.click()
    assert len(ex.rendered.state.layers) == 1 and ex.rendered.stacks[0].fields[-1].rf == 3


# --- stepper -------------------------------------------------------------------------------

def test_stepper_play_drives_the_step():
    ex = stepper_explorer()
    values = []
    for step in range(25):
        ex.play.value = step
        values.append(ex.rendered.total)
    assert values[:6] == [21, 59, 37, -19, 2, 30]   # first row of the lecture's output, then
    ex.stride.value = 2
    assert ex.step.max == ex.play.max == 8 and ex.rendered.output.shape == (3, 3)


def test_stepper_multichannel_mode():
    ex = stepper_explorer()
    ex.mode.value = "3 channels"
    assert ex.rendered.products.shape == (3, 3, 3) and "channel 3" in ex.view.value


# --- pooling, activations, batch norm, layer stack -------------------------------------------


def test_pooling_wiring():
    ex = pooling_explorer()
    assert ex.rendered.output.shape == (3, 3) and "output 3 × 3" in ex.view.value
    ex.padding.value = 2                                  # more than half the 2x2 window
    assert ex.rendered.output is None and "Not possible" in ex.view.value
    ex.kernel_size.value, ex.stride.value = 5, 2
    assert ex.rendered.output.shape == (3, 3)             # (6 + 4 - 5) // 2 + 1
    ex.source.value = "image"
    assert ex.step.disabled and "data:image/png" in ex.view.value


def test_activations_wiring():
    ex = activations_explorer()
    ex.layers.value = 10
    assert ex.rendered.product == 0.25 ** 10 and "0.25^10" in ex.caption.value
    ex.function.value = "relu"
    ex.x.value = -1.0
    assert ex.rendered.product == 0.0


def test_batch_norm_wiring():
    ex = batch_norm_explorer()
    ex.training.value = False
    ex.steps.value = 0
    assert "running mean 0.00" in ex.caption.value
    ex.steps.value = 100
    assert abs(ex.rendered.running_mean[-1] - 3) < 0.6


def test_layer_stack_wiring():
    ex = layer_stack_explorer()
    assert ex.rendered.summary.total_params == 61_100_840
    ex.layer.value = 11                                   # the last FC layer
    assert ex.kind.value == "fc" and ex.size.value == 1000 and ex.stride.disabled
    ex.size.value = 10
    assert ex.rendered.summary.total_params == 61_100_840 - 4097 * 990
    ex.input_size.value = 30
    assert ex.rendered.error and "Not possible" in ex.view.value
    ex.preset.value = "small CNN"
    assert ex.rendered.summary.total_params == 20_490 and ex.input_size.value == 28


def test_layer_stack_add_layer_inserts_a_conv_before_the_classifier():
    ex = layer_stack_explorer()
    ex.add_button.click()                                 # layer 1 is chosen: still valid
    assert ex.last_bug is None and ex.rendered.error == "" and ex.message.value == ""
    kinds = [layer.kind for layer in ex.layers]
    assert kinds[8:] == ["conv", "adaptive", "fc", "fc", "fc"] and ex.layer.value == 8
    assert ex.rendered.summary.total_params == 61_100_840 + 3 * 3 * 256 * 256 + 256


def test_moving_a_non_layer_control_leaves_the_layers_alone(monkeypatch):
    ex = receptive_field_explorer("three 3x3 vs one 7x7")
    layers = list(ex.layers)
    selected = []
    monkeypatch.setattr(ex, "_select", lambda index: selected.append(index))
    ex.row.value, ex.col.value, ex.input_size.value = 0, 1, 12
    assert selected == [] and all(a is b for a, b in zip(ex.layers, layers))
    ex.kernel_size.value = 5                        # editing the layer does store it
    assert ex.layers[0].kernel_size == 5 and selected == [0]


def text_width_px(text: str, size_px: float) -> float:
    """Width of ``text`` in DejaVu Sans (wider than the browsers' default sans-serif fonts, so
    a safe bound) at ``size_px``: an oracle independent of the widgets' own numbers."""
    return TextPath((0, 0), text, size=size_px, prop=FontProperties(family="DejaVu Sans")
                    ).get_extents().width


def all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from all_widgets(child)


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_label_fits_at_the_body_text_size(name):
    # A projector at 1024x768: labels at least as large as the notebook's body text (14 px),
    # and none cut off with "..." (ipywidgets clips a description longer than its width).
    explorer = EXPLORERS[name][0]()
    assert base.BODY_FONT_PX >= 14
    css = "".join(w.value for w in all_widgets(explorer) if isinstance(w, widgets.HTML))
    assert (f".cnnlib-explorer-widget {{--jp-widgets-font-size: var(--jp-content-font-size1, "
            f"{base.BODY_FONT_PX}px)") in css and "cnnlib-explorer-widget" in explorer._dom_classes
    labelled = [w for w in all_widgets(explorer)
                if getattr(w, "description", "") and getattr(w.style, "description_width", "")]
    assert labelled
    for control in labelled:
        width = float(control.style.description_width.removesuffix("px"))
        needed = text_width_px(control.description, base.BODY_FONT_PX) + 8   # 8 px margin
        assert needed <= width, f"{control.description!r} needs {needed:.0f} px, has {width:.0f}"
        track = float(control.layout.width.removesuffix("px")) - width
        assert track >= 150, f"{control.description!r}: only {track:.0f} px for the slider"


# --- the accessibility companion: what the live region says -----------------------------


def test_the_live_region_says_the_new_state_and_the_refusal():
    """After each change the companion's announcement is the explorer's new state, built from
    the same numbers as the picture (the output size from cnnlib.shapes), or the refusal."""
    explorer = output_size_explorer(height=7, width=7, kernel_size=3)
    assert explorer.access.announcement == "input 7 × 7 → output 5 × 5"
    explorer.stride.value = 2
    out = shapes.conv_output_size(7, 3, stride=2)
    assert explorer.access.announcement == f"stride s 2: input 7 × 7 → output {out} × {out}"
    assert explorer.access.alt == f"input 7 × 7 → output {out} × {out}"
    explorer.stride.value, explorer.kernel_size.value = 1, 9  # bigger than the 7 x 7 input
    said = explorer.access.announcement
    assert said.startswith("kernel size 9: input 7 × 7 → output empty Not possible:"), said
    assert "kernel spans 9 cells" in said and "<" not in said


def _another_value(control):
    """A value of ``control`` other than its current one, or ``None`` (nothing else)."""
    values = [v for v in dict.fromkeys(control_values(control, 4)) if v != control.value]
    return values[0] if values else None


@pytest.mark.parametrize("name", [*EXPLORERS, "trained network"])
def test_every_change_of_every_control_is_said(name):
    """Whatever control moves, the live region's text changes and starts with the control's
    label and new value as the student sees them ("dilation 2: ...", "padding same: ...",
    "transposed view 켬" in Korean), even when the picture's headline stays the same (before,
    moving e.g. dilation or the trained network's controls left it silent)."""
    if name == "trained network":
        from cnnlib.widgets.trained_net import trained_net_explorer as make
    else:
        make = EXPLORERS[name][0]
    explorer, said = make(), 0
    for control in explorer.controls.values():
        value = _another_value(control)
        if control.disabled or value is None:
            continue
        before = explorer.access.announcement
        set_value(explorer, control, value)
        shown = base._shown(control)
        now = explorer.access.announcement
        assert now != before, f"{control.description} -> {value!r} said nothing new: {now!r}"
        assert now.startswith(f"{control.description} {shown}: "), now
        assert now.endswith(explorer.access.alt)
        said += 1
    assert said >= 3, f"only {said} controls were moved"


@pytest.mark.parametrize("make", [output_size_explorer, receptive_field_explorer,
                                  stepper_explorer, pooling_explorer, activations_explorer,
                                  batch_norm_explorer, layer_stack_explorer])
def test_every_explorer_announces_a_sentence_with_numbers(make):
    explorer = make()
    said = explorer.access.announcement
    assert len(said) > 15 and any(c.isdigit() for c in said), said
    assert explorer.access in explorer.children


def test_the_companion_speaks_korean():
    import cnnlib
    from cnnlib.i18n import catalog
    from cnnlib.widgets.access import WORDS

    cnnlib.set_language("ko")
    try:
        explorer = stepper_explorer()
    finally:
        cnnlib.set_language("en")
    assert explorer.access.words == {k: catalog("ko")[(None, v)] for k, v in WORDS.items()}
    assert "입력" in explorer.access.announcement or "스텝" in explorer.access.announcement


# --- what the browser needs is in each widget's first state -------------------------------


def first_states(monkeypatch) -> dict:
    """Record the state each widget opens its comm with, by model id. The classic Notebook
    drops a change that reaches a widget whose model is still being made (a loaded machine):
    what the browser tests and access.js find the parts by must be in this first state."""
    opened = {}
    create = widget_module.comm.create_comm

    def recording(**kwargs):
        opened_comm = create(**kwargs)
        opened[opened_comm.comm_id] = kwargs["data"]["state"]
        return opened_comm

    monkeypatch.setattr(widget_module.comm, "create_comm", recording)
    return opened


@pytest.mark.parametrize("name", [*EXPLORERS, "trained network"])
def test_the_explorer_and_its_view_are_marked_when_created(monkeypatch, name):
    opened = first_states(monkeypatch)
    make = EXPLORERS[name][0] if name in EXPLORERS else trained_net_explorer
    explorer = make()
    assert "cnnlib-explorer-widget" in opened[explorer.model_id]["_dom_classes"]
    assert base.VIEW_CLASS in opened[explorer.view.model_id]["_dom_classes"]
    assert explorer.children[-1] is explorer.view


def test_the_drawing_pad_is_named_when_created(monkeypatch):
    opened = first_states(monkeypatch)
    explorer = trained_net_explorer(pad="canvas")
    assert "arrow keys" in opened[explorer.pad.model_id]["label"]
    children = explorer.children
    assert children.index(explorer.pad) == children.index(explorer.access) - 1


def test_a_view_without_its_class_is_refused():
    with pytest.raises(ValueError, match="cnnlib-view"):
        base.Explorer({"n": widgets.IntSlider()}, widgets.HTML())

"""Explorers driven from Python: every control over its full range, and the wiring."""

from __future__ import annotations

import itertools

import ipywidgets as widgets
import numpy as np
import pytest

from cnnlib import shapes
from cnnlib.widgets.output_size import output_size_explorer
from cnnlib.widgets.receptive_field import receptive_field_explorer
from cnnlib.widgets.stepper import stepper_explorer


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
    view = explorer.view
    return bool(view.value) or bool(explorer.message.value)


def sweep(explorer):
    """Move every control over its whole range; nothing may raise, something must show."""
    for name, control in explorer.controls.items():
        for value in control_values(control):
            if control.disabled:
                break
            control.value = value
            assert shows_something(explorer), (name, value)


@pytest.mark.parametrize("make", [output_size_explorer, receptive_field_explorer,
                                  stepper_explorer])
def test_sweep_every_control(make):
    sweep(make())


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

from cnnlib.widgets.activations import activations_explorer  # noqa: E402
from cnnlib.widgets.batch_norm import batch_norm_explorer  # noqa: E402
from cnnlib.widgets.layer_stack import layer_stack_explorer  # noqa: E402
from cnnlib.widgets.pooling import pooling_explorer  # noqa: E402


def test_sweep_pooling_and_layer_stack():
    sweep(pooling_explorer())
    sweep(layer_stack_explorer())


def test_sweep_figure_explorers():
    for make in (activations_explorer, batch_norm_explorer):
        ex = make()
        for name, control in ex.controls.items():
            for value in control_values(control, limit=8):
                control.value = value
                assert ex.image.value[:4] == b"\x89PNG" and ex.caption.value, (name, value)


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
    ex.layer.value = 10                                   # the last FC layer
    assert ex.kind.value == "fc" and ex.size.value == 1000
    ex.size.value = 10
    assert ex.rendered.summary.total_params == 61_100_840 - 4097 * 990
    ex.input_size.value = 30
    assert ex.rendered.error and "Not possible" in ex.view.value
    ex.preset.value = "small CNN"
    assert ex.rendered.summary.total_params == 20_490 and ex.input_size.value == 28


# --- no callback lets an exception escape -----------------------------------------------------

def test_a_bug_in_a_renderer_is_shown_not_raised(monkeypatch):
    import cnnlib.widgets.output_size as module

    ex = output_size_explorer()

    def broken(state):
        raise IndexError("index 9 is out of bounds")

    monkeypatch.setattr(module, "render_output_size", broken)
    ex.stride.value = 2                           # must not raise
    assert "IndexError" in ex.message.value and "index 9" in ex.message.value
    monkeypatch.undo()
    ex.stride.value = 1
    assert ex.message.value == "" and ex.rendered.output_shape == (5, 5)


def test_a_bug_behind_a_button_is_shown_not_raised(monkeypatch):
    ex = receptive_field_explorer()

    def broken():
        raise RuntimeError("draw_stack failed")

    monkeypatch.setattr(ex, "draw_stack", broken)
    ex._run(ex._add)                                # what the add button's click runs
    assert "RuntimeError" in ex.message.value and "draw_stack failed" in ex.message.value


def test_moving_a_non_layer_control_leaves_the_layers_alone(monkeypatch):
    ex = receptive_field_explorer("three 3x3 vs one 7x7")
    layers = list(ex.layers)
    selected = []
    monkeypatch.setattr(ex, "_select", lambda index: selected.append(index))
    ex.row.value, ex.col.value, ex.input_size.value = 0, 1, 12
    assert selected == [] and all(a is b for a, b in zip(ex.layers, layers))
    ex.kernel_size.value = 5                        # editing the layer does store it
    assert ex.layers[0].kernel_size == 5 and selected == [0]

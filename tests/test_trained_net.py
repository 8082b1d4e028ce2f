"""The trained-network explorer driven from Python, checked against an independent forward pass.

The oracle below recomputes notebook 11's network from its weights with scipy's correlation and
plain numpy (batch norm in evaluation mode, ReLU, 2x2 max pooling, the linear head), without
cnnlib's layers.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d
from test_widgets import control_values, set_value

from cnnlib._validate import SettingError
from cnnlib.trained import digits_split
from cnnlib.viz.trained_net import (
    GREY,
    TrainedNetState,
    as_image,
    render_trained_net,
    shipped_net,
)
from cnnlib.widgets.trained_net import trained_net_explorer

PADS = ["keyboard", "canvas"]


def oracle(image: np.ndarray, model) -> tuple[dict, np.ndarray]:
    """Feature maps by layer name ("0".."7") and class probabilities, from the weights."""
    p = model.parameters()
    maps = {}

    def conv(x, weight, pad):
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
        return np.stack([sum(correlate2d(x[i], w[i], mode="valid") for i in range(len(x)))
                         for w in weight])

    def norm(x, layer):
        bn = model[int(layer)]
        mean, var = bn.buffers()["running_mean"], bn.buffers()["running_var"]
        gamma, beta = p[f"{layer}.weight"], p[f"{layer}.bias"]
        return ((x - mean[:, None, None]) / np.sqrt(var[:, None, None] + bn.eps)
                * gamma[:, None, None] + beta[:, None, None])

    def pool(x):
        c, h, w = x.shape
        return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))

    x = np.asarray(image, np.float64)[None]
    for first, k in (("0", 5), ("4", 3)):
        i = int(first)
        maps[str(i)] = conv(x, p[f"{i}.weight"].astype(np.float64), k // 2)
        maps[str(i + 1)] = norm(maps[str(i)], str(i + 1))
        maps[str(i + 2)] = np.maximum(maps[str(i + 1)], 0)
        maps[str(i + 3)] = x = pool(maps[str(i + 2)])
    logits = p["9.weight"] @ x.ravel() + p["9.bias"]
    e = np.exp(logits - logits.max())
    return maps, e / e.sum()


@pytest.fixture(scope="module")
def net():
    return shipped_net()


def check_against_oracle(view, image, net):
    maps, probabilities = oracle(image, net.model)
    np.testing.assert_allclose(view.probabilities, probabilities, atol=1e-4)
    assert view.prediction == int(np.argmax(probabilities))
    for name, expected in maps.items():
        np.testing.assert_allclose(view.maps[name], expected, atol=1e-4, err_msg=name)
    # the picture shows the same numbers: one bar per class, labelled with its probability
    for k, p in enumerate(probabilities):
        assert f'data-class="{k}" data-p="{p:.3f}"' in view.html


@pytest.mark.parametrize("pad", PADS)
def test_a_stroke_on_an_empty_pad(pad, net):
    explorer = trained_net_explorer(image=None, pad=pad)
    assert type(explorer.pad).__name__ == {"keyboard": "KeyboardPad", "canvas": "CanvasPad"}[pad]
    empty = explorer.rendered
    assert np.asarray(empty.state.image).sum() == 0 and empty.state.label is None
    explorer.pad.draw_stroke([(r, 8) for r in range(2, 14)])       # a vertical bar: a "1"
    view = explorer.rendered
    image = np.asarray(view.state.image)
    assert image[2:14, 8].min() == 1 and image[2:14, 7].min() == 0.5 and image[0, 8] == 0
    check_against_oracle(view, image, net)
    assert view.prediction == 1
    assert explorer.last_bug is None and explorer.message.value == ""


@pytest.mark.parametrize("pad", PADS)
def test_clear_undo_and_eraser(pad, net):
    explorer = trained_net_explorer(image=3, pad=pad)
    digit = np.asarray(explorer.rendered.state.image)
    np.testing.assert_allclose(digit, net.x_test[3, 0], atol=1e-6)
    explorer.clear_button.click()
    assert np.asarray(explorer.rendered.state.image).sum() == 0
    check_against_oracle(explorer.rendered, np.zeros((16, 16)), net)
    explorer.undo_button.click()
    np.testing.assert_allclose(np.asarray(explorer.rendered.state.image), digit)
    explorer.eraser.value = True
    explorer.pad.draw_stroke([(r, c) for r in range(16) for c in range(16)])
    assert np.asarray(explorer.rendered.state.image).max() == 0      # all rubbed out
    explorer.undo_button.click()
    np.testing.assert_allclose(np.asarray(explorer.rendered.state.image), digit)


def test_pick_a_misclassified_test_digit(net):
    explorer = trained_net_explorer(image=None)
    wrong = [value for label, value in explorer.digit.options if "wrong" in label]
    assert wrong == net.misclassified.tolist() and wrong     # listed first, all of them
    explorer.digit.value = wrong[0]
    view = explorer.rendered
    _, x_test, _, y_test = digits_split()
    assert view.state.label == y_test[wrong[0]]
    check_against_oracle(view, x_test[wrong[0], 0], net)
    assert view.prediction != view.state.label
    assert "wrong" in view.html
    explorer.pad.draw_stroke([(0, 0)])                    # drawn on: now the student's drawing
    assert explorer.rendered.state.label is None and explorer.digit.value == -1


def test_confusion_matrix_counts_the_oracles_predictions(net):
    _, x_test, _, y_test = digits_split()
    predictions = [int(np.argmax(oracle(x[0], net.model)[1])) for x in x_test]
    expected = np.zeros((10, 10), int)
    for t, p in zip(y_test, predictions):
        expected[t, p] += 1
    np.testing.assert_array_equal(net.confusion, expected)


def test_select_a_cell_lights_its_receptive_field(net):
    explorer = trained_net_explorer(image=5, layer="4")
    explorer.channel.value, explorer.row.value, explorer.col.value = 3, 2, 5
    view = explorer.rendered
    maps, _ = oracle(np.asarray(view.state.image), net.model)
    assert view.selection.value == pytest.approx(maps["4"][3, 2, 5], abs=1e-4)
    # conv2 cell (2, 5) reads pool rows 1..3, cols 4..6 = input rows 2..7, cols 8..13, which
    # conv1 (5x5, padding 2) widens by 2: rows 0..9 (clipped at 0), cols 6..15; rf = 10
    assert view.selection.span == (0, 9, 6, 15) and view.selection.rf == 10
    # the filter and the patch it multiplies give the cell's value (conv2 has no bias)
    assert float(np.sum(view.selection.filter * view.selection.patch)) == \
        pytest.approx(maps["4"][3, 2, 5], abs=1e-4)
    np.testing.assert_allclose(view.selection.patch, np.pad(maps["3"], ((0, 0), (1, 1), (1, 1)))
                               [:, 2:5, 5:8], atol=1e-5)
    assert 'data-role="field"' in view.html
    explorer.layer.value = "7"                                  # 4 x 4 maps: sliders follow
    assert explorer.row.max == explorer.col.max == 3 and explorer.channel.max == 15
    assert explorer.last_bug is None


def test_move_the_occluder(net):
    explorer = trained_net_explorer(image=7)
    image = np.asarray(explorer.rendered.state.image)
    explorer.occlude.value = True
    explorer.occluder_row.value, explorer.occluder_col.value = 2, 9
    view = explorer.rendered
    hidden = image.copy()
    hidden[2:6, 9:13] = GREY
    check_against_oracle(view, hidden, net)
    target = view.state.label
    base = oracle(image, net.model)[1][target]
    assert view.occlusion[2, 9] == pytest.approx(base - oracle(hidden, net.model)[1][target],
                                                 abs=1e-4)
    assert view.occlusion.shape == (13, 13)
    assert 'data-role="occluder"' in view.html


def test_sweep_every_control_raises_nothing():
    explorer = trained_net_explorer()
    for name, control in explorer.controls.items():
        values = control_values(control, 8)
        if name == "digit":
            values = values[:6] + values[::90]
        for value in values:
            if control.disabled:
                explorer.occlude.value = True
            set_value(explorer, control, value)
            assert explorer.view.value or explorer.message.value, (name, value)
    for layer in ("0", "3", "4", "7"):
        explorer.layer.value = layer
        for attr in ("channel", "row", "col"):
            getattr(explorer, attr).value = getattr(explorer, attr).max
        assert explorer.last_bug is None


def test_keyboard_pad_paints_at_the_cursor(net):
    explorer = trained_net_explorer(image=None, pad="keyboard")
    explorer.cursor_row.value, explorer.cursor_col.value = 4, 11
    assert explorer.rendered.state.cursor == (4, 11)
    assert 'data-role="cursor"' in explorer.rendered.html
    explorer.paint_button.click()
    image = np.asarray(explorer.rendered.state.image)
    assert image[4, 11] == 1 and image.sum() == 1 + 4 * 0.5
    check_against_oracle(explorer.rendered, image, net)


def test_static_fallback_shows_a_picture():
    bundle = trained_net_explorer()._repr_mimebundle_()
    html = bundle["text/html"]
    assert 'src="data:image/svg+xml;base64,' in html          # the input, bars, occlusion
    assert "data:image/png;base64," in html                    # the feature maps
    assert "Prediction:" in html and "<svg" not in html


def test_refused_settings_name_the_parameter():
    with pytest.raises(SettingError, match="image=9999 is not one of the choices"):
        trained_net_explorer(image=9999)
    with pytest.raises(SettingError, match="pad='pen' is not one of the choices"):
        trained_net_explorer(pad="pen")
    state = TrainedNetState(as_image(np.zeros((16, 16))), layer="3", row=8)
    with pytest.raises(SettingError, match=r"cell \(8, 8\) is outside the 8 × 8 maps"):
        render_trained_net(state)
    with pytest.raises(SettingError, match="image must be 16 x 16"):
        as_image(np.zeros((8, 8)))

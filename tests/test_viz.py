"""The pure renderers agree with cnnlib.shapes, brute force and the lecture's numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import shapes
from cnnlib.viz.figure import tile
from cnnlib.viz.output_size import OutputSizeState, render_output_size
from cnnlib.viz.receptive_field import (
    PRESETS,
    ReceptiveFieldState,
    StackLayer,
    preset,
    render_receptive_field,
)
from cnnlib.viz.stepper import StepperState, multichannel_state, render_stepper

SVG = "{http://www.w3.org/2000/svg}"


def cells(html: str, role: str):
    """(row, col, kind) of every cell drawn with ``data-role=role`` in the page's SVGs."""
    found = []
    for doc in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        for rect in ET.fromstring(doc).iter(f"{SVG}rect"):
            if rect.get("data-role") == role:
                found.append((int(rect.get("data-r")), int(rect.get("data-c")),
                              rect.get("data-kind")))
    return found


def grid_shape(html: str, role: str):
    found = cells(html, role)
    return (max(r for r, _, _ in found) + 1, max(c for _, c, _ in found) + 1) if found else None


def brute_force_positions(i, k, s, before, after, d):
    """Window start positions found by sliding, without any formula."""
    last_tap = d * (k - 1)
    return [start for start in range(0, i + before + after) if start % s == 0
            and start + last_tap < i + before + after]


# --- output size ---------------------------------------------------------------------------

def test_lecture_examples():
    view = render_output_size(OutputSizeState(5, 5, 3, padding=1))
    assert view.output_shape == (5, 5) and "= 5" in view.axes[0].formula
    view = render_output_size(OutputSizeState(7, 7, 3, stride=3))
    assert view.output_shape == (2, 2)
    assert [a.uncovered for a in view.axes] == [1, 1]
    assert "does not tile" in view.html and "Paddings that fit with stride 3: 1" in view.html
    assert "Strides that fit with this padding: 2, 4" in view.html


def test_formula_substitutes_the_numbers():
    view = render_output_size(OutputSizeState(7, 9, 3, padding=1, stride=2, dilation=2))
    assert view.axes[0].formula.startswith("o_h = ⌊(7 + 2·1 − 2·(3−1) − 1) / 2⌋ + 1 = ⌊4/2⌋")
    assert view.axes[1].formula.endswith("= 3 + 1 = 4")


def test_formula_is_the_lectures_form_without_dilation():
    # the lecture: (N - F + 2P)/S + 1; 7 x 7, 3 x 3, padding 1, stride 2: (7 - 3 + 2)/2 + 1 = 4
    view = render_output_size(OutputSizeState(7, 7, 3, padding=1, stride=2, transposed=True))
    assert view.axes[0].formula == "o_h = ⌊(7 − 3 + 2·1) / 2⌋ + 1 = ⌊6/2⌋ + 1 = 3 + 1 = 4"
    assert "transposed: i'_h = (4−1)·2 − 2·1 + 3 = 7" in unescape(view.html)


def _evaluate(arithmetic: str) -> int:
    """Evaluate one substituted formula such as ``⌊(7 − 3 + 2·1) / 2⌋ + 1`` (test helper)."""
    python = (arithmetic.replace("⌊", "(").replace("⌋", ")").replace("/", "//")
              .replace("·", "*").replace("−", "-"))
    assert re.fullmatch(r"[\d()+\-*/ ]+", python), arithmetic
    return eval(python, {"__builtins__": {}})  # noqa: S307  (digits and operators only)


@settings(max_examples=120, deadline=None)
@given(i=st.integers(1, 12), k=st.integers(1, 7), p=st.integers(0, 4), s=st.integers(1, 4),
       d=st.integers(1, 3))
def test_formula_line_evaluates_to_the_brute_force_count(i, k, p, s, d):
    view = render_output_size(OutputSizeState(i, i, k, p, s, d, transposed=True))
    line = view.axes[0].formula
    starts = brute_force_positions(i, k, s, p, p, d)
    if not starts:
        assert "no window fits" in line
        return
    substituted = line.split(" = ")[1]              # the formula with the numbers put in
    assert _evaluate(substituted) == len(starts) == view.axes[0].output
    # dilation appears only when it changes something; otherwise the lecture's N − F + 2P
    assert (f"{d}·({k}−1)" in substituted) == (d != 1)
    if d == 1:
        assert substituted.startswith(f"⌊({i} − {k} + 2·{p}) / {s}⌋")
    transposed = re.search(r"i'_h = (.*?)(?: \(output_padding\))? = (\d+)",
                           unescape(view.html))
    assert _evaluate(transposed.group(1)) == int(transposed.group(2))
    assert int(transposed.group(2)) == i         # the transposed convolution goes back to i


padding_strategy = st.one_of(st.integers(0, 4), st.sampled_from(["same", "valid"]))


@settings(max_examples=120, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 7), p=padding_strategy,
       s=st.integers(1, 4), d=st.integers(1, 3), step=st.integers(0, 30), t=st.booleans())
def test_output_grid_matches_shapes_and_brute_force(h, w, k, p, s, d, step, t):
    view = render_output_size(OutputSizeState(h, w, k, p, s, d, step, t))
    try:
        expected = shapes.conv_output_shape((h, w), k, s, p, d)
    except ValueError as error:
        assert view.output_shape is None
        assert any(kind == "error" for kind, _ in view.notes)
        assert "Not possible" in view.html
        assert cells(view.html, "output") == []
        if "same" in str(error):
            assert view.axes == ()
        return
    assert view.output_shape == expected
    assert grid_shape(view.html, "output") == expected
    assert len(cells(view.html, "output")) == expected[0] * expected[1]
    for axis, size in zip(view.axes, (h, w)):
        before, after = axis.padding
        starts = brute_force_positions(size, k, s, before, after, d)
        assert len(starts) == axis.output
        reached = starts[-1] + d * (k - 1) + 1
        assert axis.uncovered == size + before + after - reached
    drawn = cells(view.html, "input")
    rows, cols = grid_shape(view.html, "input")
    assert (rows, cols) == (h + sum(view.axes[0].padding), w + sum(view.axes[1].padding))
    uncovered = {(r, c) for r, c, kind in drawn if kind == "uncovered"}
    assert len(uncovered) == rows * cols - (rows - view.axes[0].uncovered) * (
        cols - view.axes[1].uncovered)
    window = [(r, c) for r, c, kind in drawn if kind == "window"]
    if step < expected[0] * expected[1]:
        assert len(window) == k * k
        assert len([c for c in cells(view.html, "output") if c[2] == "current"]) == 1
    if any(a.uncovered for a in view.axes):
        assert "does not tile" in view.html
    if t and view.axes[0].padding[0] == view.axes[0].padding[1] and \
            view.axes[1].padding[0] == view.axes[1].padding[1]:
        assert f"= {h}" in view.html and f"= {w}" in view.html  # the transposed conv goes back


def test_transposed_picture_size():
    view = render_output_size(OutputSizeState(5, 5, 3, padding=0, stride=2, transposed=True))
    assert view.output_shape == (2, 2)
    # 2 cells spread with 1 zero between (3), padded by k-1-p = 2 on each side: 7
    assert grid_shape(view.html, "transposed") == (7, 7)
    kinds = [k for _, _, k in cells(view.html, "transposed")]
    assert kinds.count("output") == 4 and kinds.count("zero") == 5


def test_large_input_is_drawn_as_blocks():
    view = render_output_size(OutputSizeState(227, 227, 11, stride=4))
    assert view.output_shape == (55, 55)
    assert "output 55 × 55" in view.html and len(view.html) < 200_000


# --- receptive field -----------------------------------------------------------------------

def test_preset_parameter_counts_match_the_lecture():
    view = render_receptive_field(preset("two 3x3 vs one 5x5", 2, 2))
    a, b = view.stacks
    assert (a.fields[-1].rf, b.fields[-1].rf) == (5, 5)
    assert (a.params, b.params) == (2 * (9 * 64 * 64 + 64), 25 * 64 * 64 + 64)
    view = render_receptive_field(preset("three 3x3 vs one 7x7", 2, 2))
    assert [s.fields[-1].rf for s in view.stacks] == [7, 7]
    assert [s.params for s in view.stacks] == [3 * (9 * 64 * 64 + 64), 49 * 64 * 64 + 64]


def test_alexnet_receptive_field():
    view = render_receptive_field(preset("AlexNet (2012) first layers", 6, 6))
    (stack,) = view.stacks
    # sizes 227 -> 55 -> 27 -> 27 -> 13; rf 11, 19, 51, 67 (closed form 1 + sum (k-1) prod s)
    assert [f.size for f in stack.fields] == [227, 55, 27, 27, 13]
    assert [f.rf for f in stack.fields] == [1, 11, 19, 51, 67]
    first, last = stack.span
    assert last - first + 1 == 67


def dependency_oracle(layers, size, row, col):
    """Input cells the chosen output cell depends on, found by running one-hot inputs through
    cnnlib.conv.conv2d with all-ones kernels (a positive linear map: dependent iff > 0)."""
    from cnnlib.conv import conv2d

    basis = np.eye(size * size).reshape(size * size, 1, size, size)
    out = basis
    for layer in layers:
        ones = np.ones((1, 1, layer.kernel_size, layer.kernel_size))
        out = conv2d(out, ones, stride=layer.stride, padding=layer.padding,
                     dilation=layer.dilation)
    dependent = out[:, 0, row, col].reshape(size, size) > 0
    return set(zip(*np.nonzero(dependent)))


layer_strategy = st.builds(StackLayer, st.sampled_from(["conv", "pool"]), st.integers(1, 4),
                           st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
                           st.integers(1, 8))


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(layer_strategy, min_size=1, max_size=3), size=st.integers(4, 14),
       row=st.integers(0, 6), col=st.integers(0, 6))
def test_highlighted_field_is_what_the_cell_depends_on(layers, size, row, col):
    state = ReceptiveFieldState(tuple(layers), (), size, 3, row, col)
    (stack,) = render_receptive_field(state).stacks
    try:
        top = shapes.receptive_fields(
            [shapes.Window(x.kernel_size, x.stride, x.padding, x.dilation) for x in layers],
            size)[-1]
    except ValueError:
        assert stack.error
        return
    if row >= top.size or col >= top.size:
        assert "outside" in stack.error
        return
    html = render_receptive_field(state).html
    seen = {(r, c) for r, c, kind in cells(html, "input") if kind == "seen"}
    assert seen == dependency_oracle(layers, size, row, col)
    first, last = stack.span
    assert last - first + 1 == top.rf                      # extent = receptive field
    assert (first + last + 1) / 2 == top.start + top.jump * row  # centre = start + jump * row


def test_empty_stack_is_explained():
    state = ReceptiveFieldState((StackLayer(kernel_size=11),), (), 5)
    view = render_receptive_field(state)
    assert view.stacks[0].error and "Not possible" in view.html


def test_alexnet_preset_is_the_2012_network_with_its_groups():
    from cnnlib.models import alexnet_2012
    from cnnlib.summary import summary

    view = render_receptive_field(preset("AlexNet (2012) first layers", 6, 6))
    rows = {row.name: row.params for row in summary(alexnet_2012()).rows}
    # conv2 has groups=2: (5*5*48 + 1) * 256 = 307,456 (not 614,656), as notebook 10 says
    assert view.stacks[0].params == rows["conv1"] + rows["conv2"] == 34_944 + 307_456
    assert "307,456" in view.html and "614,656" not in view.html


def test_a_broken_stack_does_not_claim_a_receptive_field():
    state = ReceptiveFieldState((StackLayer(kernel_size=11),), (), 5)
    html = render_receptive_field(state).html
    assert "receptive field not possible" in html and "receptive field 11 × 11" not in html


def test_a_small_field_on_a_large_input_is_framed():
    state = ReceptiveFieldState((StackLayer(), StackLayer()), (), 240, 64, 100, 100)
    html = render_receptive_field(state).html
    assert html.count('data-role="frame"') == 3            # every panel: cells < 8 px


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_renders(name):
    assert render_receptive_field(preset(name)).html


# --- convolution stepper -------------------------------------------------------------------

def test_lecture_example_by_hand():
    view = render_stepper(StepperState(step=0))
    # window [[0,0,0],[0,2,4],[0,2,1]] * kernel [[1,2,3],[-4,7,4],[2,-5,1]]
    assert view.total == 7 * 2 + 4 * 4 - 5 * 2 + 1 * 1 == 21
    assert view.output.shape == (5, 5)
    assert "= 21" in view.html


def test_stepper_matches_scipy_and_cnnlib_conv():
    from scipy.signal import correlate2d

    from cnnlib.conv import conv2d

    for padding, stride in [(0, 1), (1, 1), (2, 2), (1, 3)]:
        state = StepperState(padding=padding, stride=stride)
        view = render_stepper(state)
        image, kernel = np.array(state.image[0]), np.array(state.kernel[0])
        expected = correlate2d(np.pad(image, padding), kernel, mode="valid")[::stride, ::stride]
        np.testing.assert_array_equal(view.output, expected)
        ours = conv2d(image[None, None].astype(float), kernel[None, None].astype(float),
                      stride=stride, padding=padding)[0, 0]
        np.testing.assert_array_equal(view.output, ours)


def test_multichannel_sums_over_channels():
    from cnnlib.conv import conv2d

    for step in range(9):
        state = multichannel_state(channels=3, padding=0, step=step)
        view = render_stepper(state)
        assert view.products.shape == (3, 3, 3)
        assert view.total == view.products.sum()
        image, kernel = np.array(state.image, float), np.array(state.kernel, float)
        np.testing.assert_array_equal(view.output, conv2d(image[None], kernel[None])[0, 0])
        filled = [c for c in cells(view.html, "output")]
        assert len(filled) == 9 and [k for *_, k in filled].count("current") == 1


def test_stepper_window_moves_with_the_stride():
    view = render_stepper(StepperState(padding=1, stride=2, step=4))
    assert view.output.shape == (3, 3) and view.window == (2, 2)
    window = [(r, c) for r, c, k in cells(view.html, "input0") if k == "window"]
    assert sorted(window) == [(r, c) for r in range(2, 5) for c in range(2, 5)]


# --- pooling -------------------------------------------------------------------------------

from cnnlib.viz.pooling import GRID, PoolingState, render_pooling  # noqa: E402


def brute_force_max_pool(x, k, s):
    """Max and first-arg-max of every k x k window (stride s, no padding), by loops."""
    h, w = x.shape
    values, winners = [], set()
    for r in range(0, h - k + 1, s):
        row = []
        for c in range(0, w - k + 1, s):
            window = [(x[r + a, c + b], r + a, c + b) for a in range(k) for b in range(k)]
            best = max(v for v, _, _ in window)
            row.append(best)
            winners.add(next((rr, cc) for v, rr, cc in window if v == best))
        values.append(row)
    return np.array(values), winners


@pytest.mark.parametrize("k, s", [(2, 2), (3, 2), (3, 3), (2, 1)])
def test_max_pool_grid_and_winners(k, s):
    view = render_pooling(PoolingState("max", k, s))
    x = np.array(GRID, dtype=float)
    expected, winners = brute_force_max_pool(x, k, s)
    np.testing.assert_array_equal(view.output, expected)
    assert grid_shape(view.html, "output") == expected.shape
    drawn = {(r, c) for r, c, kind in cells(view.html, "input") if kind == "winner"}
    assert drawn == winners


def test_lecture_max_pool_by_hand():
    view = render_pooling(PoolingState("max", 2, 2))
    np.testing.assert_array_equal(view.output, [[6, 8, 3], [3, 4, 9], [7, 6, 8]])


def test_avg_pool_and_ceil_mode():
    view = render_pooling(PoolingState("avg", 2, 2))
    assert view.output[0, 0] == (1 + 1 + 5 + 6) / 4 and view.winners is None
    view = render_pooling(PoolingState("max", 3, 2, ceil_mode=True))
    assert view.output.shape == (3, 3) == shapes.pool_output_shape((6, 6), 3, 2, ceil_mode=True)


def test_pooling_refusals_are_explained():
    view = render_pooling(PoolingState("max", 2, 2, padding=2))
    assert view.output is None and "Not possible" in view.html and "padding" in view.html


def test_pooling_the_photograph():
    view = render_pooling(PoolingState("max", 4, 4, source="image"))
    assert view.input_shape == (96, 96) and view.output.shape == (24, 24)
    assert view.html.count("data:image/png;base64,") == 2


# --- activations ---------------------------------------------------------------------------

from cnnlib.viz.activations import ActivationFigure, ActivationState, describe  # noqa: E402


@pytest.mark.parametrize("function", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("x", [-2.0, -0.5, 0.5, 3.0])
def test_slope_matches_finite_differences(function, x):
    from cnnlib.viz.activations import FUNCTIONS

    f = FUNCTIONS[function][0]
    h = 1e-6
    numeric = (f(np.array([x + h])) - f(np.array([x - h])))[0] / (2 * h)
    view = describe(ActivationState(function, 3, x))
    assert view.slope == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    assert view.product == pytest.approx(numeric ** 3, rel=1e-5, abs=1e-12)


def test_sigmoid_vanishing_gradient_numbers():
    for n in (1, 5, 10, 20):
        view = describe(ActivationState("sigmoid", n, 0.0))
        assert view.slope == 0.25 and view.product == view.bound == 0.25 ** n
    assert "dead" in describe(ActivationState("relu", 4, -1.0)).text


def test_activation_figure_draws():
    figure = ActivationFigure()
    figure.update(ActivationState("tanh", 7, 1.0))
    png = figure.image()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    heights = [bar.get_height() for bar in figure.bars]
    assert heights[6] == pytest.approx((1 - np.tanh(1.0) ** 2) ** 7)


# --- batch norm ----------------------------------------------------------------------------

from cnnlib.viz.batch_norm import BatchNormFigure, BatchNormState, compute, history  # noqa: E402


def test_training_mode_normalises_with_the_batch():
    view = compute(BatchNormState(batch_size=64, gamma=2.0, beta=-1.0, training=True))
    assert view.after.mean() == pytest.approx(-1.0, abs=1e-9)
    assert view.after.std() == pytest.approx(2.0, rel=1e-4)


def test_running_statistics_follow_the_momentum_recurrence():
    batches, means, variances = history(16, 0.1, 3)
    mean, var = 0.0, 1.0
    for t in range(30):
        b = batches[t, :, 0]
        mean = 0.9 * mean + 0.1 * b.mean()
        var = 0.9 * var + 0.1 * b.var(ddof=1)        # unbiased, as PyTorch stores it
        assert means[t + 1] == pytest.approx(mean) and variances[t + 1] == pytest.approx(var)


def test_eval_mode_uses_running_statistics():
    state = BatchNormState(batch_size=8, gamma=1.5, beta=0.5, training=False, steps=0)
    view = compute(state)                     # running mean 0, variance 1: barely changed
    np.testing.assert_allclose(view.after, 1.5 * view.before / np.sqrt(1 + 1e-5) + 0.5)
    later = compute(BatchNormState(batch_size=8, training=False, steps=100))
    assert abs(later.running_mean[-1] - 3) < 0.5 and "evaluation" in later.text


def test_batch_norm_figure_draws():
    figure = BatchNormFigure()
    figure.update(BatchNormState(steps=40))
    assert figure.image()[:4] == b"\x89PNG"
    assert len(figure.mean_line.get_xdata()) == 41


def test_figure_png_has_the_canvas_pixels():
    """An explorer's picture is sent as RGB PNG (less to encode) with exactly the pixels
    matplotlib drew; a figure with see-through parts keeps its alpha channel."""
    import io

    from PIL import Image

    figure = BatchNormFigure()
    figure.update(BatchNormState(steps=40))
    picture = Image.open(io.BytesIO(figure.image()))
    drawn = np.asarray(figure.figure.canvas.buffer_rgba())
    assert picture.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(picture), drawn[..., :3])
    figure.figure.patch.set_alpha(0.0)
    for ax in figure.figure.axes:
        ax.patch.set_alpha(0.0)
    figure.invalidate()
    picture = Image.open(io.BytesIO(figure.image()))
    drawn = np.asarray(figure.figure.canvas.buffer_rgba())
    assert picture.mode == "RGBA" and drawn[..., 3].min() < 255
    np.testing.assert_array_equal(np.asarray(picture), drawn)


# --- layer stack ---------------------------------------------------------------------------

from cnnlib.viz.layer_stack import (  # noqa: E402
    PRESETS as STACKS,
)
from cnnlib.viz.layer_stack import (  # noqa: E402
    LayerSpec,
    LayerStackState,
    render_layer_stack,
)


def bar_params(html):
    doc = re.search(r"<svg .*?</svg>", html, flags=re.S).group(0)
    return [int(r.get("data-params")) for r in ET.fromstring(doc).iter(f"{SVG}rect")
            if r.get("data-role") == "params"]


def test_alexnet_preset_is_cnnlib_models_alexnet():
    from cnnlib.models import alexnet
    from cnnlib.summary import summary

    model = alexnet()
    expected = summary(model, model.input_shape)
    layers, shape = STACKS["AlexNet (torchvision)"]
    view = render_layer_stack(LayerStackState(layers, shape))
    assert shape == model.input_shape and view.error == ""
    assert view.summary.total_params == expected.total_params == 61_100_840   # torchvision's
    assert view.summary.total_mult_adds == expected.total_mult_adds
    assert sum(bar_params(view.html)) == 61_100_840
    assert max(bar_params(view.html)) == 9216 * 4096 + 4096   # the first FC layer
    assert "61,100,840 parameters in total" in view.html
    # the classifier ends with the last Linear (scores, no ReLU), as in torchvision
    model_types = [row.type for row in view.summary.rows]
    assert model_types[-1] == "Linear" and "AdaptiveAvgPool2d" in model_types


def test_alexnet_preset_takes_any_image_size_like_torchvision():
    # AdaptiveAvgPool2d(6): 256 x 256 gives a 7 x 7 map that is averaged down to 6 x 6, so
    # the parameter count stays torchvision's (without it, 74.7 M)
    layers, _ = STACKS["AlexNet (torchvision)"]
    view = render_layer_stack(LayerStackState(layers, (3, 256, 256)))
    assert view.error == "" and view.summary.total_params == 61_100_840


def test_add_layer_goes_before_the_classifier():
    from cnnlib.viz.layer_stack import new_layer

    layers, shape = STACKS["AlexNet (torchvision)"]
    index, layer = new_layer(layers)
    assert [spec.kind for spec in layers[index:]] == ["adaptive", "fc", "fc", "fc"]
    assert layer == LayerSpec("conv", 256, 3, 1, 1)          # keeps 256 x 6 x 6
    grown = layers[:index] + (layer,) + layers[index:]
    view = render_layer_stack(LayerStackState(grown, shape))
    assert view.error == "" and view.summary.total_params == 61_100_840 + 9 * 256 * 256 + 256


def test_small_cnn_by_hand():
    layers, shape = STACKS["small CNN"]
    view = render_layer_stack(LayerStackState(layers, shape))
    assert bar_params(view.html) == [(9 + 1) * 16, (9 * 16 + 1) * 32, 32 * 7 * 7 * 10 + 10]


def test_broken_stack_is_explained():
    view = render_layer_stack(LayerStackState((LayerSpec("conv", 8, 11),), (3, 5, 5)))
    assert view.error.startswith("layer 1 (conv)") and "Not possible" in view.html


def test_stack_without_parameters_says_zero():
    # a max pool learns nothing: the bar's title must say 0 (it used to say 1)
    view = render_layer_stack(LayerStackState((LayerSpec("pool", 0, 2, 2),), (1, 8, 8)))
    assert view.error == "" and view.summary.total_params == 0 and bar_params(view.html) == []
    assert "where the 0 parameters live" in view.html


def test_flatten_then_fc_counts_c_times_h_times_w_inputs():
    # 2 x 3 x 3 = 18 features into 5 outputs: (18 + 1) * 5 parameters, by hand
    view = render_layer_stack(LayerStackState((LayerSpec("fc", 5),), (2, 3, 3)))
    assert bar_params(view.html) == [19 * 5]


def test_photograph_shown_is_the_photograph_at_every_setting():
    import base64
    import io

    from PIL import Image

    from cnnlib.viz.pooling import photo

    expected = (np.clip(photo(), 0, 1) * 255).astype(np.uint8)
    for k in (2, 3):
        html = render_pooling(PoolingState("avg", k, k, source="image")).html
        first = re.search(r"data:image/png;base64,([^\"]+)", html).group(1)
        shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(first))))
        np.testing.assert_array_equal(shown, expected)


# --- tile: filters and feature maps side by side ---------------------------------------------

def test_tile_lays_images_out_in_rows_with_gaps():
    images = np.arange(12.0).reshape(3, 2, 2)          # three 2 x 2 images, two per row
    grid = tile(images, columns=2)
    nan = np.nan
    expected = np.array([[0, 1, nan, 4, 5],
                         [2, 3, nan, 6, 7],
                         [nan, nan, nan, nan, nan],
                         [8, 9, nan, nan, nan],
                         [10, 11, nan, nan, nan]])
    np.testing.assert_array_equal(grid, expected)


def test_tile_keeps_rgb_channels_and_fills_gaps():
    images = np.ones((4, 3, 3, 3)) * 0.5
    grid = tile(images, columns=4, fill=1.0)
    assert grid.shape == (3, 4 * 4 - 1, 3)
    assert np.all(grid[:, 3] == 1.0) and np.all(grid[:, :3] == 0.5)


# --- issue 13: small things a browser run found ------------------------------------------------

def test_every_picture_has_its_own_pattern_ids():
    first = render_output_size(OutputSizeState(7, 7, 3, padding=1)).html
    second = render_output_size(OutputSizeState(7, 7, 3, padding=1)).html
    ids = [set(re.findall(r'<pattern id="([^"]+)"', html)) for html in (first, second)]
    assert len(ids[0]) == 3 and not ids[0] & ids[1]       # two explorers on one page
    for html, defined in zip((first, second), ids):
        used = set(re.findall(r"url\(#([^)]+)\)", html))
        assert used and used <= defined                    # every pattern used is defined


def test_pooled_values_fit_inside_their_cells():
    from cnnlib.viz.pooling import PoolingState, render_pooling

    html = render_pooling(PoolingState("avg", 2, 2)).html
    doc = re.search(r"<svg .*?</svg>", html, flags=re.S).group(0)
    rects = [r for r in ET.fromstring(doc).iter(f"{SVG}rect") if r.get("data-role") == "output"]
    texts = {t.text for t in ET.fromstring(doc).iter(f"{SVG}text")}
    assert {"3.25", "5.25"} <= texts                       # averages of the grid, by hand
    width = float(rects[0].get("width"))
    assert width >= 0.62 * 15 * len("3.25") + 8           # four characters and a margin


def test_a_refused_pooling_keeps_the_input_on_the_page():
    from cnnlib.viz.pooling import PoolingState, render_pooling

    refused = render_pooling(PoolingState("max", 2, 2, padding=2)).html
    assert "Not possible" in refused
    assert len(cells(refused, "input")) == 36                      # the 6 x 6 grid is shown
    image = render_pooling(PoolingState("max", 2, 2, padding=2, source="image")).html
    assert image.count('width="288"') == 1 and "288px" in image    # photo and an empty frame


def test_wording():
    from cnnlib.viz.activations import ActivationState, describe
    from cnnlib.viz.html import number, plural

    assert [plural(n, "zero") for n in (0, 1, 2)] == ["no zeros", "1 zero", "2 zeros"]
    assert number(-0.001) == "0.00" and number(-0.01) == "-0.01" and number(2.5) == "2.50"
    assert "through 1 layer:" in describe(ActivationState("sigmoid", 1, 0.0)).text
    one = render_output_size(OutputSizeState(8, 8, 3, stride=2)).html     # one cell left over
    assert "the last cell is never covered" in one and "(s)" not in one
    same = render_output_size(OutputSizeState(7, 7, 3, 1, 1, transposed=True)).html
    assert "with no zeros between cells" in same and "zero(s)" not in same


def test_relu_at_zero_explains_the_corner_instead_of_a_dead_relu():
    from cnnlib.viz.activations import ActivationFigure, ActivationState

    figure = ActivationFigure()
    at_zero = figure.update(ActivationState("relu", 5, 0.0))
    assert "corner" in at_zero.text and "dead" not in at_zero.text
    assert figure.nothing.get_visible()                        # the empty chart says why
    assert "dead" in figure.update(ActivationState("relu", 5, -1.0)).text
    figure.update(ActivationState("relu", 5, 1.0))
    assert not figure.nothing.get_visible()


def test_stepper_counts_from_zero_like_its_slider_and_warns_about_stride_3():
    first = render_stepper(StepperState(step=0)).html
    assert "step 0 (output row 0, column 0; steps 0 to 24)" in first
    assert "step 1 of" not in first
    view = render_stepper(StepperState(padding=1, stride=3))   # 7 padded: 0..2, 3..5, not 6
    assert "never under the kernel" in view.html
    uncovered = [(r, c) for r, c, kind in cells(view.html, "input0") if kind == "uncovered"]
    assert len(uncovered) == 13 and all(6 in (r, c) for r, c in uncovered)   # row/col 6
    assert "never under" not in render_stepper(StepperState(padding=1, stride=2)).html


# --- building-block diagrams (notebooks 8 and 9) -------------------------------------------

def hand_conv_params(k, c_in, c_out, bias=True):
    """The lecture's formula, written out here as the oracle: k*k*c_in*c_out + c_out."""
    return k * k * c_in * c_out + (c_out if bias else 0)


def svg_root(html: str) -> ET.Element:
    """The one ``<svg>`` of a diagram's HTML, parsed."""
    documents = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(documents) == 1
    return ET.fromstring(documents[0])


def svg_texts(html: str) -> list[str]:
    return ["".join(t.itertext()) for t in svg_root(html).iter(f"{SVG}text")]


def boxes(html: str, role: str) -> list[ET.Element]:
    return [e for e in svg_root(html).iter() if e.get("data-role") == role]


def box_params(html: str, role: str) -> list[int]:
    return [int(e.get("data-params")) for e in boxes(html, role)]


def test_inception_3a_counts_match_the_hand_formula_and_the_paper():
    from cnnlib.viz.blocks import InceptionState, render_inception

    view = render_inception(InceptionState())          # GoogLeNet inception (3a)
    branches = {"1x1 branch": hand_conv_params(1, 192, 64),
                "3x3 branch": hand_conv_params(1, 192, 96) + hand_conv_params(3, 96, 128),
                "5x5 branch": hand_conv_params(1, 192, 16) + hand_conv_params(5, 16, 32),
                "pool branch": hand_conv_params(1, 192, 32)}
    assert dict(view.params) == branches
    assert view.total == sum(branches.values()) == 163_696
    assert sorted(box_params(view.html, "reduction")) == [hand_conv_params(1, 192, 16),
                                                          hand_conv_params(1, 192, 96)]
    assert box_params(view.html, "projection") == [hand_conv_params(1, 192, 32)]
    assert sorted(box_params(view.html, "conv")) == sorted(
        [hand_conv_params(1, 192, 64), hand_conv_params(3, 96, 128), hand_conv_params(5, 16, 32)])
    assert len(boxes(view.html, "pool")) == 1 and len(boxes(view.html, "branch")) == 4
    text = " ".join(svg_texts(view.html))
    assert "163,696 parameters" in text
    # published (Szegedy et al. 2014, table 1): output 28x28x256 and 128M operations
    assert "64 + 128 + 32 + 32 = 256" in text and "output 256 x 28 x 28" in text
    from cnnlib.models import inception_module
    assert round(inception_module(192, 64, 96, 128, 16, 32, 32).macs((192, 28, 28)) / 1e6) == 128


def test_inception_draws_other_channel_numbers():
    from cnnlib.viz.blocks import InceptionState, render_inception

    # GoogLeNet inception (4a): 480 -> 192 + 208 + 48 + 64 = 512
    view = render_inception(InceptionState(480, 192, 96, 208, 16, 48, 64, 14))
    assert view.total == (hand_conv_params(1, 480, 192) + hand_conv_params(1, 480, 96)
                          + hand_conv_params(3, 96, 208) + hand_conv_params(1, 480, 16)
                          + hand_conv_params(5, 16, 48) + hand_conv_params(1, 480, 64))
    assert "output 512 x 14 x 14" in " ".join(svg_texts(view.html))


def test_residual_block_identity_is_free_and_projection_is_counted():
    from cnnlib.viz.blocks import ResidualState, render_residual

    batch_norm = 2                                   # gamma and beta per channel
    same = render_residual(ResidualState(64, 64))
    main = 2 * hand_conv_params(3, 64, 64, bias=False) + 2 * batch_norm * 64
    assert dict(same.params) == {"main path F(x)": main, "shortcut (identity)": 0}
    assert same.total == main == 73_984
    assert boxes(same.html, "projection") == [] and len(boxes(same.html, "skip")) == 1
    assert "0 parameters" in svg_texts(same.html)

    down = render_residual(ResidualState(64, 128, stride=2))
    projection = hand_conv_params(1, 64, 128, bias=False)
    assert box_params(down.html, "projection") == [projection]
    assert down.total == (hand_conv_params(3, 64, 128, False) + hand_conv_params(3, 128, 128, False)
                          + 2 * batch_norm * 128 + projection + batch_norm * 128) == 230_144
    text = " ".join(svg_texts(down.html))
    assert "230,144 parameters" in text and "output 128 x 28 x 28" in text
    assert "stride 2" in text and len(boxes(down.html, "add")) == 1
    # a change of channels alone also needs the projection
    assert len(boxes(render_residual(ResidualState(64, 128)).html, "projection")) == 1


@pytest.mark.parametrize("c_in, c_out, k, bias", [(3, 4, 3, False), (256, 256, 3, False),
                                                  (32, 64, 5, True)])
def test_separable_against_standard_by_hand(c_in, c_out, k, bias):
    from cnnlib.viz.blocks import SeparableState, render_separable

    view = render_separable(SeparableState(c_in, c_out, k, bias))
    standard = hand_conv_params(k, c_in, c_out, bias)
    depthwise = k * k * c_in + (c_in if bias else 0)         # one k x k x 1 filter per channel
    pointwise = hand_conv_params(1, c_in, c_out, bias)
    assert dict(view.params) == {"standard": standard, "depthwise": depthwise,
                                 "pointwise": pointwise}
    assert view.total == depthwise + pointwise
    assert box_params(view.html, "standard") == [standard]
    assert box_params(view.html, "depthwise") == [depthwise]
    assert box_params(view.html, "pointwise") == [pointwise]
    text = " ".join(svg_texts(view.html))
    assert f"{standard:,}" in text and f"{depthwise + pointwise:,}" in text
    drawn = min(c_in, 5)
    assert len(boxes(view.html, "depthwise-filter")) == drawn          # one slice each
    assert len(boxes(view.html, "standard-filter")) == min(c_out, 5) * drawn


def test_separable_matches_the_notebook_numbers():
    from cnnlib.viz.blocks import SeparableState, render_separable

    view = render_separable(SeparableState(256, 256))
    assert dict(view.params)["standard"] == 589_824 and view.total == 67_840


def test_fc_as_conv_lecture_example():
    from cnnlib.viz.blocks import FCAsConvState, render_fc_as_conv

    view = render_fc_as_conv(FCAsConvState(selected=3))
    per_neuron = 24 * 24 * 10
    assert dict(view.params) == {"convolution": per_neuron * 10 + 10,
                                 "fully connected": per_neuron * 10 + 10}
    assert view.total == hand_conv_params(24, 10, 10) == 57_610
    text = " ".join(svg_texts(view.html))
    assert "5,760 weights + 1 bias" in text and "output 1 x 1 x 10" in text
    assert "57,610 parameters" in text and "filter 3: 24 x 24 x 10" in text
    kinds = {int(e.get("data-r")): e.get("data-kind") for e in boxes(view.html, "output")}
    assert len(kinds) == 10 and [r for r, k in kinds.items() if k == "current"] == [3]


def test_fc_as_conv_many_outputs_marks_the_chosen_one():
    from cnnlib.viz.blocks import FCAsConvState, render_fc_as_conv

    view = render_fc_as_conv(FCAsConvState(6, 6, 256, 1000, selected=999))
    assert view.total == 6 * 6 * 256 * 1000 + 1000
    assert [e.get("data-r") for e in boxes(view.html, "output")] == ["999"]


def test_pointwise_is_a_per_pixel_mix():
    from cnnlib.viz.blocks import PointwiseState, render_pointwise

    view = render_pointwise(PointwiseState(4, 2, size=4, row=1, col=2))
    assert view.total == hand_conv_params(1, 4, 2) == 10
    assert box_params(view.html, "weights") == [10]
    for i in range(4):
        found = cells(view.html, f"input-{i}")
        assert len(found) == 16 and [(r, c) for r, c, k in found if k == "window"] == [(1, 2)]
    for o in range(2):
        found = cells(view.html, f"output-{o}")
        assert [(r, c) for r, c, k in found if k == "current"] == [(1, 2)]
    assert "10 parameters" in " ".join(svg_texts(view.html))


@pytest.mark.parametrize("call, words", [
    ("render_inception(InceptionState(ch3x3red=0))", ["ch3x3red", "0"]),
    ("render_inception(InceptionState(in_channels=1.5))", ["in_channels", "1.5"]),
    ("render_residual(ResidualState(stride=0))", ["stride", "0"]),
    ("render_residual(ResidualState(size=0))", ["size", "0"]),
    ("render_separable(SeparableState(in_channels=0))", ["in_channels", "0"]),
    ("render_separable(SeparableState(bias='yes'))", ["bias", "'yes'"]),
    ("render_fc_as_conv(FCAsConvState(selected=10))", ["selected", "10", "0 to 9"]),
    ("render_fc_as_conv(FCAsConvState(height=0))", ["height", "0"]),
    ("render_pointwise(PointwiseState(in_channels=9))", ["in_channels", "9", "at most 8"]),
    ("render_pointwise(PointwiseState(row=4))", ["row", "4", "0 to 3"]),
])
def test_block_diagrams_refuse_bad_settings_clearly(call, words):
    from cnnlib._validate import SettingError
    from cnnlib.viz import blocks

    namespace = vars(blocks)
    try:
        eval(call, namespace)
    except SettingError as error:
        assert all(word in str(error) for word in words), str(error)
    else:
        pytest.fail(f"{call} was accepted")


def test_block_diagrams_say_what_colour_says_and_fit_a_slide():
    from cnnlib.viz import blocks

    for view in (blocks.render_inception(blocks.InceptionState()),
                 blocks.render_residual(blocks.ResidualState(64, 128, 2)),
                 blocks.render_separable(blocks.SeparableState(256, 256)),
                 blocks.render_fc_as_conv(blocks.FCAsConvState()),
                 blocks.render_pointwise(blocks.PointwiseState())):
        root = svg_root(view.html)
        assert float(root.get("width")) <= 1000 and float(root.get("height")) <= 700
        assert f"{view.total:,} " in root.get("aria-label")
        for box in root.iter(f"{SVG}rect"):
            if box.get("data-kind") in blocks.BOX_STYLES:     # every box has words in it
                assert box.get("data-role")
        sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
        assert min(sizes) >= 14                           # the notebook's body text


def test_matplotlib_style_is_legible_on_a_1024_slide():
    import matplotlib.pyplot as plt

    from cnnlib.viz.style import MATPLOTLIB_RC, MAX_FIGURE_WIDTH

    with plt.style.context(MATPLOTLIB_RC):              # every key is a valid rcParam
        dpi = plt.rcParams["figure.dpi"]
        assert MAX_FIGURE_WIDTH * dpi <= 1000             # shown unshrunk on a 1024 slide
        for key in ("font.size", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                    "legend.fontsize"):
            assert plt.rcParams[key] * dpi / 72 >= 14, key    # px on the screen


# --- contrast (WCAG 2.1) ---------------------------------------------------------------------


def test_contrast_ratio_matches_published_values():
    """WebAIM's contrast checker: black/white 21:1, #767676 on white 4.54:1 (the lightest grey
    text that passes AA), #808080 on white 3.95:1, #AAAAAA on white 2.32:1."""
    from cnnlib.viz.style import contrast_ratio

    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#FFFFFF", "#808080") == pytest.approx(3.95, abs=0.005)
    assert contrast_ratio("#AAAAAA", "#FFFFFF") == pytest.approx(2.32, abs=0.005)
    assert contrast_ratio(128, "#808080") == pytest.approx(1.0)


def test_every_cell_outline_stands_out_from_the_page():
    """WCAG 1.4.11: a cell's outline (what tells an inserted zero from an input cell) has at
    least 3:1 against the white page."""
    from cnnlib.viz.style import CELL_STYLES, contrast_ratio

    weak = {kind: round(contrast_ratio(style[1], "#FFFFFF"), 2)
            for kind, style in CELL_STYLES.items() if contrast_ratio(style[1], "#FFFFFF") < 3}
    assert not weak, f"outlines below 3:1 on white: {weak}"


def test_ink_on_every_grey_reads_at_aa():
    """A pixel's value written on the pixel (notebook 01): at least 4.5:1 on every grey."""
    from cnnlib.viz.style import contrast_ratio, ink_on

    worst = min(contrast_ratio({"black": "#000000", "white": "#FFFFFF"}[ink_on(v)], v)
                for v in range(256))
    assert worst >= 4.5, worst
    assert ink_on(117) == "white" and ink_on(118) == "black" and ink_on(128) == "black"

"""Every explorer picture's text alternative says what the picture shows, built from its state.

The oracles are hand arithmetic on the settings (output size ``(i + 2p - d(k-1) - 1) // s + 1``,
windows at ``step * stride``, convolutions and poolings written out as loops), never the
renderers' own numbers.
"""

from __future__ import annotations

import base64
import json
import re
from html import unescape
from pathlib import Path

import numpy as np
import pytest

import cnnlib
from cnnlib.viz.layer_stack import LayerSpec, LayerStackState, render_layer_stack
from cnnlib.viz.output_size import OutputSizeState, render_output_size
from cnnlib.viz.pooling import GRID, PoolingState, render_pooling
from cnnlib.viz.receptive_field import preset, render_receptive_field
from cnnlib.viz.stepper import StepperState, render_stepper

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def labels(html: str) -> list[str]:
    """The aria-label of every ``<svg role="img">`` in a page, unescaped."""
    return [unescape(m) for m in re.findall(r'<svg [^>]*role="img" aria-label="([^"]*)"', html)]


def label(html: str) -> str:
    found = labels(html)
    assert len(found) == 1, found
    return found[0]


def rows_text(a) -> str:
    return " / ".join(", ".join(f"{v:g}" for v in row) for row in np.asarray(a))


@pytest.fixture
def korean():
    cnnlib.set_language("ko")
    yield
    cnnlib.set_language("en")


# --- output size ------------------------------------------------------------------------------


def test_the_issue_example_word_for_word():
    view = render_output_size(OutputSizeState(5, 5, kernel_size=3, padding=1, stride=2, step=3))
    assert label(view.html) == ("5 × 5 input, 3 × 3 kernel, stride 2, padding 1: output 3 × 3; "
                                "the highlighted window covers rows 2-4, columns 0-2 of the "
                                "padded input")


@pytest.mark.parametrize("h, w, k, p, s, d, step", [
    (7, 7, 3, 0, 1, 1, 0), (7, 9, 3, 1, 2, 1, 5), (6, 6, 3, 0, 2, 1, 3), (9, 7, 3, 0, 1, 2, 4),
    (12, 10, 5, 2, 3, 1, 7), (8, 8, 2, 0, 2, 1, 15)])
def test_output_size_sentence_matches_hand_arithmetic(h, w, k, p, s, d, step):
    text = label(render_output_size(OutputSizeState(h, w, k, p, s, d, step)).html)
    span = d * (k - 1) + 1
    oh, ow = (h + 2 * p - span) // s + 1, (w + 2 * p - span) // s + 1
    r0, c0 = (step // ow) * s, (step % ow) * s
    taps = [d * t for t in range(k)]

    def said(cells):
        return f"{cells[0]}-{cells[-1]}" if d == 1 else ", ".join(map(str, cells))

    expected = (f"{h} × {w} input, {k} × {k} kernel, stride {s}, padding {p}"
                + (f", dilation {d}" if d > 1 else "") + f": output {oh} × {ow}; the "
                f"highlighted window covers rows {said([r0 + t for t in taps])}, columns "
                f"{said([c0 + t for t in taps])} of the padded input")
    assert text.startswith(expected)
    left_rows, left_cols = (h + 2 * p - span) % s, (w + 2 * p - span) % s
    if left_rows or left_cols:
        assert "never covered" in text
        if left_rows:
            assert f"{left_rows} row" in text
        if left_cols:
            assert f"{left_cols} column" in text
    else:
        assert text == expected


def test_output_size_empty_and_impossible_settings_are_said():
    assert label(render_output_size(OutputSizeState(2, 2, kernel_size=5)).html) == (
        "2 × 2 input, 5 × 5 kernel, stride 1, padding 0: no window fits, the output is empty")
    text = label(render_output_size(OutputSizeState(8, 8, 3, "same", 2)).html)
    assert text.startswith("8 × 8 input; this setting is not possible: padding='same'")


def test_transposed_view_says_the_size_it_gives_back():
    # 7x7, k3, s2, p0: output 3x3; (3-1)*2 + 3 = 7 back
    text = label(render_output_size(OutputSizeState(7, 7, 3, 0, 2, transposed=True)).html)
    assert text.endswith("the transposed convolution maps the output back to 7 × 7")


# --- stepper ----------------------------------------------------------------------------------


def hand_convolution(image, kernel, padding, stride):
    x = np.pad(np.asarray(image, float), padding)
    k = len(kernel)
    size = (len(x) - k) // stride + 1
    out = np.zeros((size, size))
    for r in range(size):
        for c in range(size):
            total = 0.0
            for i in range(k):
                for j in range(k):
                    total += x[r * stride + i, c * stride + j] * kernel[i][j]
            out[r, c] = total
    return x, out


@pytest.mark.parametrize("padding, stride, step", [(1, 1, 0), (1, 1, 7), (0, 1, 8), (1, 2, 5)])
def test_stepper_sentence_matches_a_hand_convolution(padding, stride, step):
    state = StepperState(padding=padding, stride=stride, step=step)
    text = label(render_stepper(state).html)
    image, kernel = np.array(state.image[0]), np.array(state.kernel[0])
    padded, out = hand_convolution(image, kernel, padding, stride)
    r, c = divmod(step, out.shape[1])
    r0, c0 = r * stride, c * stride
    assert text.startswith(f"5 × 5 input, 3 × 3 kernel, stride {stride}, padding {padding}: "
                           f"output {out.shape[0]} × {out.shape[1]}; step {step}: the window "
                           f"at rows {r0}-{r0 + 2}, columns {c0}-{c0 + 2} of the padded input "
                           f"gives output[{r}, {c}] = {out[r, c]:g}")
    assert f"the window holds, row by row, {rows_text(padded[r0:r0 + 3, c0:c0 + 3])}" in text
    assert f"the kernel {rows_text(kernel)}" in text
    done = out.ravel()[:step + 1]
    so_far = " / ".join(", ".join(f"{v:g}" for v in done[i:i + out.shape[1]])
                        for i in range(0, step + 1, out.shape[1]))
    assert text.endswith(f"output so far, row by row: {so_far}")


# --- pooling ----------------------------------------------------------------------------------


def hand_pool(x, k, s, mode):
    x = np.asarray(x, float)
    size = (len(x) - k) // s + 1
    out = np.zeros((size, size))
    for r in range(size):
        for c in range(size):
            window = x[r * s:r * s + k, c * s:c * s + k]
            out[r, c] = window.max() if mode == "max" else window.mean()
    return out


@pytest.mark.parametrize("mode, k, s, step", [("max", 2, 2, 4), ("avg", 2, 2, 0),
                                              ("max", 3, 3, 3), ("max", 3, 1, 10)])
def test_pooling_sentence_lists_the_hand_pooled_values(mode, k, s, step):
    text = label(render_pooling(PoolingState(mode, k, s, step=step)).html)
    out = hand_pool(GRID, k, s, mode)
    values = " / ".join(", ".join(f"{v:.3g}" for v in row) for row in out)
    r, c = divmod(step, out.shape[1])
    assert text.startswith(f"{mode} pool of the 6 × 6 input, {k} × {k} window, stride {s}, "
                           f"padding 0: output {out.shape[0]} × {out.shape[1]}, row by row: "
                           f"{values}; the highlighted window covers rows {r * s}-{r * s + k - 1}"
                           f", columns {c * s}-{c * s + k - 1} of the padded input and gives "
                           f"{out[r, c]:.3g}")
    if mode == "max":
        x = np.asarray(GRID)
        winners = {(r * s + int(np.argmax(x[r * s:r * s + k, c * s:c * s + k])) // k,
                    c * s + int(np.argmax(x[r * s:r * s + k, c * s:c * s + k])) % k)
                   for r in range(out.shape[0]) for c in range(out.shape[1])}
        assert text.endswith(f"{len(winners)} input cells won a max (marked *)")


def test_a_refused_pooling_reads_out_its_input():
    text = label(render_pooling(PoolingState(kernel_size=3, stride=2, padding=2)).html)
    assert text == (f"6 × 6 input, row by row: {rows_text(GRID)}; "
                    "no output: this setting is not possible")


# --- receptive field, legend, layer stack -----------------------------------------------------


@pytest.mark.parametrize("name, size, rf, row, col", [
    ("two 3x3 vs one 5x5", 9, 5, 2, 1), ("three 3x3 vs one 7x7", 11, 7, 0, 3)])
def test_receptive_field_sentences_name_every_layers_cells(name, size, rf, row, col):
    texts = labels(render_receptive_field(preset(name, row, col)).html)
    a, b, legend = texts
    # stride-1 unpadded 3x3 layers: layer l (input = 0) sees rows row..row + 2(L-l)
    layers = (rf - 1) // 2
    parts = [f"input {size}×{size}: rows {row}-{row + rf - 1}, columns {col}-{col + rf - 1}"]
    for depth in range(1, layers + 1):
        n, reach = size - 2 * depth, 2 * (layers - depth)
        rows = f"{row}-{row + reach}" if reach else f"{row}"
        cols = f"{col}-{col + reach}" if reach else f"{col}"
        parts.append(f"conv {depth} {n}×{n}: rows {rows}, columns {cols}")
    top = size - 2 * layers
    assert a == (f"stack A: cell ({row}, {col}) of the last layer ({top} × {top}) has a {rf} × "
                 f"{rf} receptive field; the cells it depends on: " + "; ".join(parts))
    assert b.startswith(f"stack B: cell ({row}, {col}) of the last layer ({top} × {top}) has a "
                        f"{rf} × {rf} receptive field")
    assert legend == "legend: current output, seen by the chosen cell, input cell"


def test_layer_stack_sentence_lists_hand_counted_parameters():
    state = LayerStackState((LayerSpec("conv", 8, 3), LayerSpec("pool", 0, 2, 2),
                             LayerSpec("fc", 10)), (3, 8, 8))
    text = label(render_layer_stack(state).html)
    conv = 8 * 3 * 3 * 3 + 8                  # 224
    fc = 8 * 3 * 3 * 10 + 10                  # 8 channels of 3x3 after conv (6x6) and pool
    total = conv + fc
    assert text.startswith(f"where the {total:,} parameters live: ")
    assert f"Conv2d {conv:,} ({100 * conv / total:.0f}%)" in text
    assert text.endswith(f"Linear {fc:,} ({100 * fc / total:.0f}%)")


# --- Korean -----------------------------------------------------------------------------------


def test_every_picture_speaks_korean(korean):
    pages = [render_output_size(OutputSizeState(6, 6, 3, 0, 2, transposed=True)).html,
             render_output_size(OutputSizeState(2, 2, 5)).html,
             render_stepper(StepperState(step=3)).html,
             render_pooling(PoolingState(step=2)).html,
             render_pooling(PoolingState(kernel_size=3, stride=2, padding=2)).html,
             render_receptive_field(preset("two 3x3 vs one 5x5")).html]
    texts = [t for page in pages for t in labels(page)]
    assert len(texts) == 8
    for text in texts:
        assert HANGUL.search(text), text
        english = re.findall(r"\b(?:input|output|kernel|stride|padding|window|rows?|columns?|"
                             r"legend|stack|pool|the|of|and)\b",
                             text.replace("output[", "["))   # code notation stays as it is
        assert not english, (english, text)
    assert texts[0].startswith("입력 6 × 6, 커널 3 × 3, 스트라이드 2, 패딩 0: 출력 2 × 2")


# --- matplotlib figures in notebooks ------------------------------------------------------------

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
IMAGES = ("image/png", "image/jpeg")
IMG_ALT = re.compile(r'<img [^>]*\balt="([^"]+)"')


def image_outputs(path: Path):
    """(cell index, output) of every stored output of a notebook that holds a raster image."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            if any(kind in output.get("data", {}) for kind in IMAGES):
                yield index, output


def text_alternative(output) -> str | None:
    """The alt a reader of the output gets: the ``<img alt>`` of its HTML (what JupyterLab
    shows instead of the bare PNG), which its ``text/plain`` must repeat."""
    data = output["data"]
    html = "".join(data.get("text/html", ""))
    found = IMG_ALT.search(html)
    if not found:
        return None
    alt = unescape(found.group(1))
    return alt if "".join(data.get("text/plain", "")) == alt else None


def test_described_figure_bundle_and_sanitised_html():
    import configparser

    import matplotlib
    from matplotlib.figure import Figure

    from cnnlib.viz.figure import DescribedFigure

    matplotlib.use("Agg")
    fig = Figure(figsize=(2, 1), dpi=50)
    fig.subplots().bar(["a", "b"], [1, 2])
    data, metadata = DescribedFigure(fig, 'bars "a" 1 < b 2')._repr_mimebundle_()
    assert data["text/plain"] == 'bars "a" 1 < b 2' == metadata["image/png"]["alt"]
    assert text_alternative({"data": data}) == 'bars "a" 1 < b 2'
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    # nbval compares text/html after tests/nbval_sanitize.cfg: no PNG byte is left in it
    config = configparser.ConfigParser()
    config.read(Path(__file__).parent / "nbval_sanitize.cfg")
    html = data["text/html"]
    for section in config.sections():
        html = re.sub(config[section]["regex"], config[section]["replace"], html)
    assert html == ('<img src="data:image/png;base64,PNG" alt="bars &quot;a&quot; 1 &lt; b 2" '
                    'style="max-width:100%;height:auto">')


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_a_figure_without_alt_is_refused(alt):
    from matplotlib.figure import Figure

    from cnnlib._validate import SettingError
    from cnnlib.viz.figure import DescribedFigure

    with pytest.raises(SettingError, match="alt="):
        DescribedFigure(Figure(), alt)
    with pytest.raises(SettingError, match="figure must be a matplotlib Figure"):
        DescribedFigure("plot.png", "a plot")


def test_show_figure_closes_the_pyplot_figure(monkeypatch):
    import matplotlib.pyplot as plt

    from cnnlib.viz import figure

    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    fig, ax = plt.subplots()
    figure.show_figure(fig, "an empty plot")
    assert [d.alt for d in shown] == ["an empty plot"]
    assert not plt.fignum_exists(fig.number)   # the inline backend will not show it again


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(
    (NOTEBOOKS / "ko").glob("*.ipynb")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_stored_image_has_a_text_alternative(path):
    korean = path.parent.name == "ko"
    for index, output in image_outputs(path):
        alt = text_alternative(output)
        assert alt, (f"{path.name} cell {index}: an image without a text alternative: show it "
                     f"with cnnlib.viz.figure.show_figure(fig, alt) instead of plt.show()")
        assert len(alt.split()) >= 5, f"{path.name} cell {index}: alt {alt!r} says too little"
        if korean:
            assert HANGUL.search(alt), f"{path.name} cell {index}: alt {alt!r} is not Korean"


def test_the_stored_image_check_finds_a_bare_png(tmp_path):
    """The check above fails on what plt.show() stores: image/png and '<Figure ...>'."""
    bare = {"output_type": "display_data", "metadata": {},
            "data": {"image/png": "iVBORw0KGgo=",
                     "text/plain": "<Figure size 640x480 with 1 Axes>"}}
    notebook = {"cells": [{"cell_type": "code", "outputs": [bare]}]}
    path = tmp_path / "bare.ipynb"
    path.write_text(json.dumps(notebook))
    [(_, output)] = image_outputs(path)
    assert text_alternative(output) is None

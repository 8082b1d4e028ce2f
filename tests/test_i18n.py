"""cnnlib in Korean (cnnlib.i18n, cnnlib/_locale/ko.po): every text the code shows has a Korean
translation, set_language refuses what it does not know, explorers, checkers and figures speak
Korean, and Korean figures find a glyph for every Hangul syllable."""

from __future__ import annotations

import ast
import html
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import polib
import pytest

import cnnlib
from cnnlib import i18n
from cnnlib._validate import SettingError

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "cnnlib" / "_locale" / "ko.po"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
FIELD = re.compile(r"\{(\w*)[^{}]*\}")
ENGLISH = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")   # two English words: prose, not a name
PROSE = re.compile(r"(?:\b[a-z]{2,}\b[ ,]+){3}")         # three: an English sentence
TRANSLATING = {"tr", "words", "N_"}          # f(message, context=None, ...)
CONTROLS = {"int_slider", "float_slider", "dropdown", "checkbox"}  # f(description, ...)


def _text(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield node.func.id, node


def messages_in_code() -> dict:
    """``{(msgctxt, msgid): "file:line"}`` of every literal text cnnlib's code translates:
    the first argument of tr / words / N_ (msgctxt: their second argument or ``context=``),
    the texts of the exercise table (``_value(question, expected, hint, mistakes={...})`` and
    ``_choice(question, correct, explanation, {letter: misconception})``),
    the description of every explorer control and the words of its options (msgctxt
    ``option``), and the nouns counted by ``plural`` (msgctxt ``count``)."""
    found = {}
    for path in sorted((ROOT / "cnnlib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT).as_posix()

        def add(node, context=None, where=where):
            text = _text(node)
            if text is not None:
                found.setdefault((context, text), f"{where}:{node.lineno}")

        for name, call in _calls(tree):
            if name in TRANSLATING and call.args:
                context = next((_text(k.value) for k in call.keywords if k.arg == "context"),
                               _text(call.args[1]) if len(call.args) > 1 else None)
                add(call.args[0], context)
            elif name == "_value":
                add(call.args[0])
                add(call.args[2])
                for keyword in call.keywords:
                    if keyword.arg == "mistakes" and isinstance(keyword.value, ast.Dict):
                        for value in keyword.value.values:
                            add(value)
            elif name == "_choice":
                add(call.args[0])
                add(call.args[2])
                if len(call.args) > 3 and isinstance(call.args[3], ast.Dict):
                    for value in call.args[3].values:
                        add(value)
            elif name in CONTROLS and call.args:
                add(call.args[0])
                if name == "dropdown" and isinstance(call.args[1], ast.List):
                    for option in call.args[1].elts:
                        if isinstance(option, ast.Tuple):
                            add(option.elts[0])
                        else:
                            add(option, "option")
            elif name == "plural" and len(call.args) > 1:
                add(call.args[1], "count")
    return found


def messages_in_tables() -> dict:
    """The words the explorers take from tables: legend labels (msgctxt ``legend``) and the
    options of the drop-downs built from a table's keys (msgctxt ``option``)."""
    from cnnlib.viz.activations import FUNCTIONS
    from cnnlib.viz.layer_stack import KINDS
    from cnnlib.viz.layer_stack import PRESETS as STACKS
    from cnnlib.viz.receptive_field import PRESETS as FIELDS
    from cnnlib.viz.style import CELL_STYLES
    from cnnlib.widgets.stepper import MODES

    found = {("legend", style[4]): "cnnlib/viz/style.py" for style in CELL_STYLES.values()}
    for table in (FUNCTIONS, KINDS, STACKS, FIELDS, MODES):
        found.update({("option", key): "an explorer's options" for key in table})
    return found


def load_catalog():
    return polib.pofile(str(CATALOG))


@pytest.fixture
def korean():
    """Korean for one test, English again afterwards whatever happens."""
    i18n.missing.clear()
    cnnlib.set_language("ko")
    yield
    cnnlib.set_language("en")


# --- the catalog -----------------------------------------------------------------------------


def test_every_text_in_the_code_has_a_korean_translation():
    catalog = i18n.catalog("ko")
    wanted = {**messages_in_code(), **messages_in_tables()}
    assert len(wanted) > 150, "the extraction found too little: is it still reading the code?"
    missing = [f"{where}: msgctxt {context!r} msgid {text!r}"
               for (context, text), where in sorted(wanted.items(), key=lambda i: i[1])
               if (context, text) not in catalog]
    assert not missing, ("no Korean translation in cnnlib/_locale/ko.po (an empty or fuzzy "
                         "msgstr counts as none) for:\n" + "\n".join(missing))


def test_catalog_entries_are_used_and_keep_their_fields():
    wanted = {**messages_in_code(), **messages_in_tables()}
    for entry in load_catalog():
        key = (entry.msgctxt, entry.msgid)
        if entry.msgctxt != "error":   # error templates match messages raised elsewhere
            assert key in wanted, f"ko.po: {key} is not used by cnnlib any more: remove it"
        fields = ["n"] if entry.msgctxt == "count" else FIELD.findall(entry.msgid)  # "{n} ..."
        assert sorted(FIELD.findall(entry.msgstr)) == sorted(fields), (
            f"ko.po: the {{fields}} of {entry.msgid!r} and its translation differ")
        assert HANGUL.search(entry.msgstr) or not ENGLISH.search(entry.msgstr), (
            f"ko.po: {entry.msgid!r} is not translated into Korean")


def test_a_missing_translation_is_found(monkeypatch):
    """The check above fails when a text has no translation (here: one entry removed)."""
    catalog = dict(i18n.catalog("ko"))
    key = ("legend", "input cell")
    assert key in catalog
    del catalog[key]
    wanted = {**messages_in_code(), **messages_in_tables()}
    assert [k for k in wanted if k not in catalog] == [key]


# --- choosing the language -------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["kr", "KO", "korean", "", None, 1, ["ko"]])
def test_set_language_refuses_unknown_languages(bad):
    with pytest.raises(SettingError, match=r"language") as caught:
        cnnlib.set_language(bad)
    assert "'en'" in str(caught.value) or "en" in str(caught.value)
    assert cnnlib.get_language() == "en"


def test_english_is_the_default_and_comes_back(korean):
    assert cnnlib.get_language() == "ko"
    assert i18n.tr("Well done.") != "Well done."
    cnnlib.set_language("en")
    assert i18n.tr("Well done.") == "Well done."
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]


# --- what a Korean student sees ----------------------------------------------------------------


def test_checker_feedback_in_korean(korean):
    from cnnlib.checks import check_exercise

    wrong = check_exercise("ex-03-2", 56)
    assert not wrong and HANGUL.search(str(wrong)), str(wrong)
    assert "오답" in str(wrong) and "패딩" in str(wrong)
    right = check_exercise("ex-03-2", 55)
    assert right and "정답" in str(right), str(right)
    blank = check_exercise("ex-03-2", ...)
    assert "..." in blank.message and HANGUL.search(blank.message)
    assert not i18n.missing, i18n.missing


def test_every_exercise_speaks_korean(korean):
    from cnnlib.checks.exercises import EXERCISES

    for exercise, check in EXERCISES.items():
        for answer in (..., -12345, "7"):
            feedback = check(answer)
            assert HANGUL.search(feedback.question), (exercise, feedback.question)
            assert HANGUL.search(feedback.message), (exercise, answer, feedback.message)
    assert not i18n.missing, i18n.missing


def test_explorer_in_korean_labels_and_not_possible(korean):
    from cnnlib.widgets import output_size_explorer

    explorer = output_size_explorer()
    assert explorer.stride.description == "스트라이드 s"
    assert explorer.padding_mode.label == "숫자"
    explorer.padding_mode.value = "same"
    explorer.stride.value = 2                     # 'same' padding needs stride 1
    refusals = _refusals(explorer)
    assert len(refusals) == 1 and refusals[0].startswith("불가능:"), refusals
    assert "스트라이드" in refusals[0] and "same" in refusals[0], refusals
    assert "입력" in explorer.view.value and "Not possible" not in explorer.view.value
    assert not i18n.missing, i18n.missing


def _refusals(explorer) -> list[str]:
    """The "not possible" notes an explorer shows (above the picture or inside it), as text."""
    notes = re.findall(r'<div class="cnnlib-note cnnlib-error".*?</div>',
                       explorer.message.value + getattr(explorer.view, "value", ""), re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", note)) for note in notes]


EXPLORERS = ["output_size_explorer", "receptive_field_explorer", "stepper_explorer",
             "pooling_explorer", "layer_stack_explorer", "activations_explorer",
             "batch_norm_explorer"]


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_explorer_sweep_is_korean(korean, name):
    """Move every control over its range: each refused setting is explained in Korean, and no
    text the explorer shows lacks a translation."""
    from test_widgets import control_values, set_value

    import cnnlib.widgets

    explorer = getattr(cnnlib.widgets, name)()
    refused = set()
    for control in explorer.controls.values():
        for value in control_values(control, 12):
            if control.disabled:
                break
            set_value(explorer, control, value)
            for text in _refusals(explorer):
                refused.add(text)
                body = text.split(":", 1)[1]
                assert HANGUL.search(body) and not PROSE.search(body), text
            assert explorer.last_bug is None, explorer.last_bug
    assert not i18n.missing, i18n.missing
    assert HANGUL.search(explorer.static_html())


def test_an_untranslated_refusal_is_seen(korean):
    """The sweep above would fail on a refusal without a Korean template (English shown)."""
    error = SettingError("stride must be a whole number of the moon, got 3.")
    assert i18n.explain(error) == str(error) and not HANGUL.search(i18n.explain(error))


# --- Hangul in figures --------------------------------------------------------------------------


def _render_every_figure():
    """Every cnnlib.viz renderer in the current language, drawn to pixels."""
    from cnnlib.viz.activations import ActivationFigure, ActivationState
    from cnnlib.viz.batch_norm import BatchNormFigure, BatchNormState

    for figure, state in ((ActivationFigure(), ActivationState("relu", 3, -1.0)),
                          (BatchNormFigure(), BatchNormState(training=False))):
        view = figure.update(state)
        assert figure.image()[:4] == b"\x89PNG"
        yield figure, view


def _glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(draw())
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_korean_figures_have_every_glyph(korean):
    figures = list(_render_every_figure())
    texts = [t.get_text() for figure, _ in figures for t in figure.figure.findobj(
        matplotlib.text.Text)]
    assert any(HANGUL.search(t) for t in texts), texts
    assert not _glyph_warnings(_render_every_figure)
    assert not i18n.missing, i18n.missing


def test_without_the_font_hangul_is_missing(korean):
    """The check above is real: with matplotlib's default font alone, Hangul has no glyph."""
    matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
    try:
        assert _glyph_warnings(_render_every_figure)
    finally:
        i18n._use_korean_font()


# --- the building-block diagrams (cnnlib.viz.blocks) ------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")       # a Korean diagram keeps only ReLU, x
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _diagrams():
    """Every building-block diagram, in the settings the notebooks use and a few more (biases,
    a projection shortcut, a 1000-neuron FC layer), rendered in the current language."""
    from cnnlib.viz import blocks

    return {
        "inception": blocks.render_inception(blocks.InceptionState()),
        "inception-small": blocks.render_inception(blocks.InceptionState(3, 1, 2, 3, 4, 5, 6, 5)),
        "residual": blocks.render_residual(blocks.ResidualState(64, 64)),
        "residual-projection": blocks.render_residual(blocks.ResidualState(64, 128, 2)),
        "separable": blocks.render_separable(blocks.SeparableState(3, 4)),
        "separable-bias": blocks.render_separable(blocks.SeparableState(256, 256, 5, True)),
        "fc-as-conv": blocks.render_fc_as_conv(blocks.FCAsConvState()),
        "fc-as-conv-1000": blocks.render_fc_as_conv(blocks.FCAsConvState(7, 7, 512, 1000, 999)),
        "pointwise": blocks.render_pointwise(blocks.PointwiseState(4, 2)),
        "pointwise-8": blocks.render_pointwise(blocks.PointwiseState(8, 1, 8, 7, 0)),
    }


def _svg(view):
    import xml.etree.ElementTree as ET

    return ET.fromstring(re.search(r"<svg.*</svg>", view.html, re.DOTALL).group(0))


def _words(view) -> list[str]:
    """What the diagram says: its description (aria-label) and every text in the picture."""
    root = _svg(view)
    return [root.get("aria-label")] + ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def _placed_texts(view):
    """(text, left, right, y, element) of every text, in picture coordinates (translations of
    the enclosing groups added up), with its width estimated as cnnlib does (svg.columns)."""
    from cnnlib.viz import svg

    def walk(element, dx, dy):
        move = re.match(r"translate\(([-\d.]+),([-\d.]+)\)", element.get("transform", ""))
        if move:
            dx, dy = dx + float(move.group(1)), dy + float(move.group(2))
        if element.tag == f"{SVG_NS}text":
            s = "".join(element.itertext())
            x, y, size = float(element.get("x")) + dx, float(element.get("y")) + dy, float(
                element.get("font-size"))
            width = 0.6 * size * svg.columns(s)
            left = {"start": x, "middle": x - width / 2, "end": x - width}[
                element.get("text-anchor")]
            yield s, left, left + width, y, element
        for child in element:
            yield from walk(child, dx, dy)

    yield from walk(_svg(view), 0.0, 0.0)


def _boxes(view):
    """(left, top, right, bottom) of every labelled box, in picture coordinates."""
    from cnnlib.viz.blocks import BOX_STYLES

    for rect in _svg(view).iter(f"{SVG_NS}rect"):
        if rect.get("data-kind") in BOX_STYLES and rect.get("rx"):
            x, y = float(rect.get("x")), float(rect.get("y"))
            yield x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def diagram_problems(english, korean) -> list[str]:
    """What is wrong with a Korean diagram next to its English original: English prose left,
    no Hangul, other numbers (parameter counts, shapes) than in English, or a label that does
    not fit in its box or in the picture."""
    problems = []
    words = _words(korean)
    if not any(HANGUL.search(w) for w in words):
        problems.append("no Hangul in the diagram")
    problems += [f"English left: {w!r}" for w in words          # names and formulas may stay
                 if LATIN_WORD.search(re.sub(r"\w*\[[^\]]*\]|Σ_i|F\(x\)|ReLU", "", w))]
    if sorted(NUMBER.findall(" ".join(_words(english)))) != sorted(
            NUMBER.findall(" ".join(words))):
        problems.append("the Korean diagram does not state the same numbers as the English one")
    if (korean.params, korean.total) != (english.params, english.total):
        problems.append("the counts differ")
    root = _svg(korean)
    margin = 6                                   # svg.document's margin around the picture
    width = float(root.get("width"))
    boxes = list(_boxes(korean))
    for s, left, right, y, _ in _placed_texts(korean):
        if left < -1 or right > width + 1:
            problems.append(f"{s!r} runs out of the picture ({left:.0f} to {right:.0f} px of "
                            f"{width:.0f})")
        for x0, y0, x1, y1 in boxes:
            centre = (left + right) / 2
            if y0 + margin < y < y1 + margin and x0 + margin < centre < x1 + margin and (
                    left < x0 + margin or right > x1 + margin):
                problems.append(f"{s!r} does not fit in its box ({x1 - x0:.0f} px)")
    return problems


@pytest.fixture(scope="module")
def english_diagrams():
    return _diagrams()


@pytest.mark.parametrize("name", list(_diagrams()))
def test_block_diagrams_in_korean(english_diagrams, korean, name):
    """Each diagram in Korean: Korean words, no English sentence, the same counts and shapes
    as in English, every label inside its box and the picture."""
    view = _diagrams()[name]
    assert not diagram_problems(english_diagrams[name], view), diagram_problems(
        english_diagrams[name], view)
    assert not i18n.missing, i18n.missing


def test_an_untranslated_diagram_text_is_seen(english_diagrams, korean, monkeypatch):
    """The check above fails when a text of a diagram does not go through tr (here: the
    residual block's shortcut label is shown in English) or a label is too long for its box."""
    from cnnlib.viz import blocks

    def english_shortcut(message, context=None, **fields):
        if message == "shortcut: identity":
            return message
        return i18n.tr(message, context, **fields)

    monkeypatch.setattr(blocks, "tr", english_shortcut)
    view = blocks.render_residual(blocks.ResidualState(64, 64))
    problems = diagram_problems(english_diagrams["residual"], view)
    assert problems == ["English left: 'shortcut: identity'"], problems

    monkeypatch.setattr(blocks, "tr", lambda message, context=None, **fields: i18n.tr(
        message, context, **fields) + ("파라미터" * 12 if message == "(shapes match)" else ""))
    view = blocks.render_residual(blocks.ResidualState(64, 64))
    assert any("does not fit in its box" in p for p in diagram_problems(
        english_diagrams["residual"], view))


@pytest.mark.parametrize("call", [
    "render_separable(SeparableState(bias=1))",
    "render_fc_as_conv(FCAsConvState(outputs=3, selected=3))",
    "render_pointwise(PointwiseState(in_channels=9))",
    "render_pointwise(PointwiseState(row=4))",
    "render_inception(InceptionState(ch1x1=0))",
    "render_residual(ResidualState(size=0))",
])
def test_diagram_refusals_explained_in_korean(korean, call):
    """A refused setting of a diagram, shown by an explorer (cnnlib.i18n.explain), is Korean."""
    from cnnlib.viz import blocks

    with pytest.raises(SettingError) as caught:
        eval(call, vars(blocks))
    shown = i18n.explain(caught.value)
    assert HANGUL.search(shown) and not PROSE.search(shown), shown


# --- the compact summary (cnnlib.summary) --------------------------------------------------------


def _columns_taken(line: str) -> int:
    """Columns of a line in a monospace font (a Hangul syllable takes two): an oracle written
    apart from cnnlib.summary's."""
    return sum(2 if HANGUL.match(ch) else 1 for ch in line)


@pytest.mark.parametrize("width", [72, 50])
def test_compact_summary_explains_its_shape_error_in_korean(korean, width):
    """Headers, totals and the shape error under the table are Korean; wrapped and padded by the
    columns Hangul takes, the table stays within ``width`` and its columns line up."""
    from cnnlib.layers import Conv2d, Flatten, Linear, Sequential
    from cnnlib.summary import summary

    for model in (Sequential(Conv2d(3, 4, 3), Flatten(), Linear(10, 2)),
                  Sequential(Conv2d(3, 4, 3), Conv2d(5, 4, 3))):
        table = summary(model, (3, 8, 8), width=width)
        text = str(table)
        assert "계층 (종류:깊이-번호)" in text and "전체 파라미터:" in text
        assert "Layer" not in text and "Total params" not in text
        header, first = text.splitlines()[1], text.splitlines()[4]     # first: Conv2d's row
        assert _columns_taken(header[:header.index("출력 모양")]) == first.index("[1,")
        error = text.split("=\n")[3]                       # the lines between two dividers
        assert error.startswith("모양 오류:") and not PROSE.search(error), error
        limit = max(width, len(text.splitlines()[0]))     # a table too wide for width: its own
        assert max(map(_columns_taken, text.splitlines())) <= limit, text
        shown = table._repr_html_()
        assert "모양 오류:" in shown and "Shape error" not in shown
    assert not i18n.missing, i18n.missing


# --- the explorers' labels (cnnlib.widgets.base) --------------------------------------------------


def _label_width_px(text: str, size_px: float) -> float:
    """Width of a Korean label: a Hangul syllable about 1 em (measured as DejaVu Sans' "W",
    0.99 em; NanumGothic's and Malgun Gothic's syllables are narrower), the rest in DejaVu
    Sans, as tests/test_widgets.py measures English labels."""
    from test_widgets import text_width_px

    return text_width_px(HANGUL.sub("W", text), size_px)


@pytest.mark.parametrize("name", ["output size", "receptive field", "stepper", "pooling",
                                  "layer stack", "activations", "batch norm"])
def test_korean_labels_fit_their_controls(korean, name):
    """No Korean label is cut off with "..." (the room base.DESCRIPTION_STYLE leaves), and every
    Korean drop-down choice fits its drop-down, at the notebook's body text size."""
    import ipywidgets as widgets
    from test_widgets import EXPLORERS, all_widgets

    from cnnlib.widgets import base

    explorer = EXPLORERS[name][0]()
    size = base.BODY_FONT_PX
    for control in all_widgets(explorer):
        width = getattr(getattr(control, "style", None), "description_width", "")
        if not (getattr(control, "description", "") and width):
            continue
        room = float(width.removesuffix("px"))
        needed = _label_width_px(control.description, size) + 8
        assert needed <= room, f"{control.description!r} needs {needed:.0f} px, has {room:.0f}"
        if isinstance(control, widgets.Dropdown):
            box = float(control.layout.width.removesuffix("px")) - room - 30   # the arrow
            for label in control._options_labels:
                assert _label_width_px(label, size) <= box, (label, box)
    assert not i18n.missing, i18n.missing


# --- the errors cnnlib raises (cnnlib._validate.SettingError) ------------------------------------


@pytest.mark.parametrize("call, kind, names", [
    (lambda: cnnlib.conv2d(np.zeros((1, 3, 5, 5), np.uint8), np.ones((1, 3, 3, 3))), TypeError,
     ["x", "dtype", "uint8", "x.astype(np.float32)"]),
    (lambda: cnnlib.conv2d(np.zeros((1, 3, 5, 5)), np.ones((1, 1, 3, 3))), ValueError,
     ["weight.shape[1] * groups", "(1, 3, 3, 3)"]),
    (lambda: cnnlib.conv2d(np.zeros((3, 5, 5)), np.ones((1, 3, 3, 3))), ValueError,
     ["x", "(3, 5, 5)", "x[None]"]),
    (lambda: cnnlib.shapes.resolve_padding("same", 3, stride=2), ValueError,
     ["padding='same'", "stride=1", "stride=2"]),
])
def test_raised_errors_speak_korean_and_keep_types_and_names(korean, call, kind, names):
    with pytest.raises(kind) as caught:
        call()
    text = str(caught.value)
    assert HANGUL.search(text) and not PROSE.search(text), text
    assert all(name in text for name in names), (names, text)
    assert caught.value.args[0] != text               # the English message is kept in args
    cnnlib.set_language("en")
    assert str(caught.value) == caught.value.args[0]  # and shown again in English


def _message_parts(node) -> list[str] | None:
    """The literal parts of an error message written as an f-string (or a sum of them), split
    where a value goes; None for a message computed otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts = [""]
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts[-1] += value.value
            else:
                parts.append("")
        return parts
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _message_parts(node.left), _message_parts(node.right)
        if left is not None and right is not None:
            return [*left[:-1], left[-1] + right[0], *right[1:]]
    return None


def raised_messages_without_translation() -> list[str]:
    """``file:line`` of each ``raise SettingError(...)`` / ``SettingTypeError`` in cnnlib whose
    message, with a sample value in each field, no ``error`` template of the catalog matches."""
    templates = [re.compile(".*?".join(map(re.escape, re.split(r"\{\w+\}", msgid))) + r"\Z",
                            re.DOTALL)
                 for (context, msgid) in i18n.catalog("ko") if context == "error"]
    missing = []
    for path in sorted((ROOT / "cnnlib").rglob("*.py")):
        if "homework" in path.parts:            # the instructor's tools speak English
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and getattr(node.exc.func, "id", None) in ("SettingError", "SettingTypeError")
                    and node.exc.args):
                parts = _message_parts(node.exc.args[0])
                if parts == ["", " must be ", ", got ", "."]:    # check_number: tested below
                    continue
                if parts is not None and not any(t.match("7".join(parts)) for t in templates):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {parts[0][:60]}...")
    return missing


def test_every_error_cnnlib_raises_has_a_korean_template():
    """Messages computed in a variable first (three checks in _validate.py) are matched when
    shown; every message written where it is raised must have an ``error`` entry."""
    missing = raised_messages_without_translation()
    assert not missing, "no msgctxt 'error' entry in cnnlib/_locale/ko.po for:\n" + "\n".join(
        missing)


@pytest.mark.parametrize("low_inclusive, high", [(True, np.inf), (False, np.inf), (True, 1.0),
                                                 (False, 1.0)])
@pytest.mark.parametrize("high_inclusive", [True, False])
def test_range_errors_speak_korean(korean, low_inclusive, high, high_inclusive):
    """check_number's message has its bounds as one computed part: each form has a template."""
    from cnnlib._validate import check_number

    with pytest.raises(SettingError) as caught:
        check_number(-1.0, "momentum", 0.0, high, low_inclusive, high_inclusive)
    assert HANGUL.search(str(caught.value)) and "momentum" in str(caught.value), caught.value

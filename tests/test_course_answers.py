"""Every "Check yourself" exercise of the course notebooks 01-12 can actually be checked.

An exercise is a code cell tagged ``exercise`` whose cell id names it (``ex-09-3`` is exercise 3
of notebook 09). It may use only what its notebook's first code cell (the imports) defines, and
it ends with ``check_exercise("<its id>", answer)``: the expected value lives in
``cnnlib.checks.exercises``, never in the cell; the stored notebook leaves the blank
``answer = ...`` for the student. This test runs each exercise cell exactly as stored three
times: with the blank, with the correct answer and with a typical wrong one, and the very same
checker must say "not attempted", "correct" and "wrong" (explaining the mistake without giving
the answer away). The answers below are worked out by hand from the lecture (they are the
notebooks' <details> answers), not computed by cnnlib.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
COURSE = ("01_images_as_tensors", "02_convolution", "03_padding_and_stride",
          "04_receptive_fields", "05_pooling", "06_activations_and_initialisation",
          "07_batch_norm_and_dropout", "08_fast_convolution", "09_counting_parameters",
          "10_alexnet", "11_training", "12_uses_and_limits")

# cell id: (correct answer, typical wrong answer), both worked out by hand.
ANSWERS = {
    # 01 images as tensors
    "ex-01-1": (3072, 1024),                                 # 3 x 32 x 32 vs one channel
    "ex-01-2": ((8, 3, 600, 512), (8, 600, 512, 3)),         # NCHW vs NHWC
    "ex-01-3": (28, 1),                                      # a row apart vs the right neighbour
    "ex-01-4": (6_220_801_000, 6_220_800_000),               # (6,220,800 + 1) x 1000 vs no bias
    "ex-01-5": ("c", "b"),                                   # why: sum ignores order / "untrained"
    # 02 convolution
    "ex-02-1": (-7, 29),                                     # by hand vs flipped kernel
    "ex-02-2": ((4, 10, 28, 28), (4, 3, 28, 28)),            # filters -> channels
    "ex-02-3": (456, 450),                                   # (75 + 1) x 6 vs no bias
    "ex-02-4": ("a", "b"),                                   # why: one sum over channels / gray
    # 03 padding and stride
    "ex-03-1": (32, 28),                                     # same padding vs padding forgotten
    "ex-03-2": (55, 43.2),                                   # (227-11)/4+1 vs (N-F)/(S+1)
    "ex-03-3": (2, (7 - 3) / 3 + 1),                         # floor vs 2.33
    "ex-03-4": (3, 6),                                       # per side vs both sides
    "ex-03-5": ("d", "c"),                                   # why: no window reaches it / "skips"
    # 04 receptive fields
    "ex-04-1": (7, 9),                                       # 1 + 3*2 vs 3*3
    "ex-04-2": (7, 5),                                       # jump 2 vs strides ignored
    "ex-04-3": (19, 13),                                     # 11 + 2*4 vs 11 + 2
    "ex-04-4": (73_856, 36_928),                             # two layers vs one
    "ex-04-5": ("b", "a"),                                   # "a larger field" (it is 5 either way)
    # 05 pooling
    "ex-05-1": ((8, 64, 112, 112), (8, 32, 112, 112)),       # channels halved by mistake
    "ex-05-2": (0, 9),                                       # "a 3x3 window has 9 weights"
    "ex-05-3": (13, 12),                                     # forgot the + 1
    "ex-05-4": (4, 3),                                       # floor instead of ceil
    "ex-05-5": ("c", "a"),                                   # blames the equivariant convolution
    # 06 activations and initialisation
    "ex-06-1": (8, 6),                                       # 3c instead of c^3
    "ex-06-2": (0.25**5, 1.25),                              # added the slopes (the box's
                                                             # 0.00098 is accepted: rtol 3%)
    "ex-06-3": (0.0589, 0.00347),                            # sqrt(2/576) vs the variance 2/576
    "ex-06-4": ("a", "c"),                                   # slopes compound vs "not centred"
    # 07 batch norm and dropout
    "ex-07-1": (128, 256),                                   # counted the running statistics
    "ex-07-2": (2.0, 1.0),                                   # divided by the variance
    "ex-07-3": (1.25, 0.8),                                  # 1/(1-p) vs the keep probability
    "ex-07-4": ("d", "c"),                                   # masks + batch stats vs "learning"
    # 08 fast convolution
    "ex-08-1": ((363, 3025), (3025, 363)),                   # rows and columns swapped
    "ex-08-2": ((10, 10, 24, 24), (10, 24, 24, 10)),         # HWC order instead of OIHW
    "ex-08-3": ((256 + 1) * 64, 256 * 64),                   # forgot the biases
    "ex-08-4": ("d", "a"),                                   # "im2col does less arithmetic"
    # 09 counting parameters
    "ex-09-1": ((11 * 11 * 3 + 1) * 96, 11 * 11 * 3 * 96),              # 34,944; no bias
    "ex-09-2": ((5 * 5 * 48 + 1) * 256, (5 * 5 * 96 + 1) * 256),       # 307,456; no groups
    "ex-09-3": ((192 + 1) * 16 + (5 * 5 * 16 + 1) * 32, (5 * 5 * 192 + 1) * 32),  # 15,920
    "ex-09-4": (9 * 128 + 128 * 128, 9 * 128 * 128),                    # 17,536; full 3x3
    "ex-09-5": ("a", "b"),                                   # "skips cure vanishing gradients"
    # 10 AlexNet
    "ex-10-1": (55, 54),
    "ex-10-2": (55, 54),                                     # forgot the padding
    "ex-10-3": ((256 * 6 * 6 + 1) * 4096, 256 * 6 * 6 * 4096),         # 37,752,832; no bias
    "ex-10-4": (95.96, 4.04),                                # the convolutions' share
    "ex-10-5": ((3 * 3 * 192 + 1) * 384, (3 * 3 * 384 + 1) * 384),     # 663,936; no groups
    "ex-10-6": ("b", "a"),                                   # own weights vs "more arithmetic"
    # 11 training
    "ex-11-1": (2.303, 0.1),                                 # -ln(1/10) vs the probability
    "ex-11-2": (10, 1.9),                                    # 1 / (1 - 0.9) vs the 2nd step only
    "ex-11-3": (43, 42),                                     # ceil(1347 / 32) vs no last batch
    "ex-11-4": ("c", "a"),                                   # forward collapse vs "0.25 slope"
    # 12 uses and limits
    "ex-12-1": ("c", "a"),                                   # "convolution follows rotations"
    "ex-12-2": (16, 15),                                     # 1 + 2 x 16 = 33 vs 31, one short
    "ex-12-3": (196 * 196, 196),                             # 38,416 vs the number of patches
    "ex-12-4": (4, 2),                                       # strides multiply vs one pooling
}


def _exercise_cells():
    """Yield (cell id, setup source, exercise source) for every exercise cell of the course."""
    for name in COURSE:
        notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"
                      and cell.id != "colab-setup"]      # site/colab.py's install cell
        for cell in code_cells:
            if "exercise" in cell.metadata.get("tags", []):
                yield cell.id, code_cells[0].source, cell.source


EXERCISES = {cell_id: (setup, source) for cell_id, setup, source in _exercise_cells()}


def _answer_boxes():
    """``{cell id: the source of its <details> answer box}``: the markdown cell right after
    each exercise cell."""
    boxes = {}
    for name in COURSE:
        cells = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
        for cell, after in zip(cells, cells[1:]):
            if "exercise" in cell.metadata.get("tags", []):
                boxes[cell.id] = after.source if after.cell_type == "markdown" else ""
    return boxes


ANSWER_BOXES = _answer_boxes()
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def shown_answer(box: str):
    """The value an answer box shows: its first bold or code text (``**3,072** = 3 x 32 x 32``,
    ```0.25**5 ≈ 0.00098```, a why question's ``**(b)**``), read as a Python literal from the
    pieces between "=" and "≈" (thousands separators and a trailing % dropped), the last first.
    ``None`` if no piece is a literal."""
    body = box.split("</summary>", 1)[-1]
    first = re.search(r"\*\*([^*]+)\*\*|`([^`]+)`", body)
    if not first:
        return None
    text = first.group(1) or first.group(2)
    for piece in reversed(re.split(r"\s[=≈]\s", text)):   # "2³ = 8": the last value shown
        piece = _THOUSANDS.sub("", piece.strip().rstrip("%").strip().replace("−", "-"))
        letter = re.fullmatch(r"\(?([a-e])\)?", piece)   # a why question's choice: "(b)"
        if letter:
            return letter.group(1)
        try:
            value = ast.literal_eval(piece)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, (int, float, str, tuple)):
            return value
    return None


def _run(setup: str, source: str, answer_source: str):
    """Run the setup, then the exercise with ``answer = <answer_source>``; return the check."""
    filled, count = re.subn(r"^answer = \.\.\.", f"answer = {answer_source}", source, flags=re.M)
    assert count == 1, "an exercise cell must contain exactly one blank line 'answer = ...'"
    *body, last = ast.parse(filled).body
    assert isinstance(last, ast.Expr), "an exercise cell must end with its checker call"
    namespace: dict = {}
    exec(compile(setup, "<setup>", "exec"), namespace)  # our own notebook code
    exec(compile(ast.Module(body, type_ignores=[]), "<exercise>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<check>", "eval"), namespace)


def test_every_exercise_has_answers():
    from cnnlib.checks.exercises import EXERCISES as CHECKERS

    assert sorted(EXERCISES) == sorted(ANSWERS) == sorted(CHECKERS)
    assert all(re.fullmatch(r"ex-\d\d-\d+", cell_id) for cell_id in EXERCISES)
    assert ANSWERS["ex-11-1"][0] == pytest.approx(math.log(10), abs=1e-3)


@pytest.mark.parametrize("cell_id", sorted(ANSWERS))
def test_exercise_is_checkable(cell_id):
    setup, source = EXERCISES[cell_id]
    correct, wrong = ANSWERS[cell_id]

    assert _run(setup, source, "...").status == "not attempted"

    right = _run(setup, source, repr(correct))
    assert right.status == "correct" and bool(right), str(right)

    mistaken = _run(setup, source, repr(wrong))
    assert mistaken.status == "wrong" and not mistaken, str(mistaken)
    assert len(mistaken.message) > 20, "a wrong answer must say what to reconsider"
    # A why question's answer is a letter: the feedback must not name the right option.
    revealing = f"({correct})" if isinstance(correct, str) else str(correct)
    assert revealing not in mistaken.message, "feedback must not reveal the answer"


@pytest.mark.parametrize("cell_id", sorted(ANSWERS))
def test_exercise_cell_holds_no_expected_value(cell_id):
    """The cell asks and checks by id; the expected value is not in the student's sight."""
    _, source = EXERCISES[cell_id]
    code = [line for line in source.split("\n") if line.strip() and not line.startswith("#")]
    assert code[-1] == f'check_exercise("{cell_id}", answer)'
    assert re.match(r"^answer = \.\.\.", code[-2])
    for line in code[:-2]:   # data the question shows, e.g. exercise 02.1's window and kernel
        assert re.match(r"^\w+ = np\.array\(", line), line


@pytest.mark.parametrize("cell_id", sorted(ANSWERS))
def test_the_answer_box_shows_a_value_its_checker_accepts(cell_id):
    """A student who types what the answer box shows is told "correct" (exercise 06.2 once
    printed 0.00098 and rejected it)."""
    box = ANSWER_BOXES.get(cell_id, "")
    assert box.startswith("<details><summary>Answer</summary>"), f"{cell_id}: no answer box"
    shown = shown_answer(box)
    assert shown is not None, f"{cell_id}: the box's first bold or code text shows no value"
    setup, source = EXERCISES[cell_id]
    result = _run(setup, source, repr(shown))
    assert result.status == "correct", f"{cell_id}: the box shows {shown!r}; {result}"


def test_shown_answer_reads_what_a_student_sees():
    box = "<details><summary>Answer</summary>\n\n"
    assert shown_answer(box + "**3,072** = 3 × 32 × 32: three channels") == 3072
    assert shown_answer(box + "`0.25**5 ≈ 0.00098`, since") == 0.00098
    assert shown_answer(box + "`(8, 64, 112, 112)`: pooling") == (8, 64, 112, 112)
    assert shown_answer(box + "`96.0%`: `(37,752,832 + ...) / 61,100,840`") == 96.0
    assert shown_answer(box + "**(b)**: the slope") == shown_answer(box + "`'b'`") == "b"
    assert shown_answer(box + "no value at all") is None


def _options(cell_id: str) -> set[str]:
    """The letters of the options a why question offers: "(a)", "(b)", ... in the markdown cell
    before its exercise cell."""
    for name in COURSE:
        cells = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
        for before, cell in zip(cells, cells[1:]):
            if cell.get("id") == cell_id:
                return set(re.findall(r"^\s*[-*]?\s*\(?\*{0,2}\(([a-e])\)", before.source, re.M))
    return set()


WHY = sorted(cell_id for cell_id, (correct, _) in ANSWERS.items() if isinstance(correct, str))


def test_every_lecture_asks_at_least_one_why_question():
    lectures = {cell_id[3:5] for cell_id in ANSWERS}
    assert lectures == {cell_id[3:5] for cell_id in WHY}, "a lecture without a why question"


@pytest.mark.parametrize("cell_id", WHY)
def test_every_wrong_choice_is_answered_with_its_misconception(cell_id):
    """Each option the question offers gets its own answer: the right one "correct", each wrong
    one a message of its own (the misconception), none the generic "answer with a letter"."""
    setup, source = EXERCISES[cell_id]
    letters = _options(cell_id)
    assert len(letters) >= 3 and ANSWERS[cell_id][0] in letters, f"{cell_id}: options {letters}"
    messages = {}
    for letter in sorted(letters):
        result = _run(setup, source, repr(letter))
        if letter == ANSWERS[cell_id][0]:
            assert result.status == "correct", str(result)
        else:
            assert result.status == "wrong" and "one of the letters" not in result.message
            messages[letter] = result.message
    assert len(set(messages.values())) == len(messages), f"{cell_id}: two options, one answer"
    off = _run(setup, source, repr("z"))
    assert off.status == "wrong" and "one of the letters" in off.message


def test_check_choice_names_the_misconception_never_the_answer():
    from cnnlib.checks import check_choice

    wrongs = {"a": "That confuses A with B.", "c": "That is C's story."}
    assert check_choice("q", ..., "b", "Yes.", wrongs).status == "not attempted"
    assert check_choice("q", " (B) ", "b", "Yes.", wrongs).message == "Yes."
    assert check_choice("q", "a", "b", "Yes.", wrongs).message == wrongs["a"]
    refused = check_choice("q", 2, "b", "Yes.", wrongs)
    assert refused.status == "wrong" and "'a', 'b', 'c'" in refused.message


def test_check_exercise_refuses_an_unknown_id():
    from cnnlib.checks import check_exercise

    with pytest.raises(ValueError, match="ex-05-3"):
        check_exercise("ex-99-1", 3)

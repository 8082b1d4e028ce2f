"""Every "Check yourself" exercise of notebooks 01-04 is checkable.

Each exercise cell (cell tag ``exercise``, first line ``# Exercise NN.M: ...``) ends with a
``cnnlib.checks`` call on ``answer``. The notebooks store ``answer = ...`` (the blank a student
fills in). This test runs the very same cell three times: with the blank, with the correct
answer (worked out by hand from the lecture, as in the notebook's <details> block) and with a
typical wrong answer, and asserts the checker says "not attempted", "correct" and "wrong".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
FILES = ["01_images_as_tensors", "02_convolution", "03_padding_and_stride",
         "04_receptive_fields"]

# exercise id: (correct answer, typical wrong answer), both worked out by hand.
ANSWERS = {
    "01.1": (3072, 1024),                                  # 3 x 32 x 32 vs one channel
    "01.2": ((8, 3, 600, 512), (8, 600, 512, 3)),          # NCHW vs NHWC
    "01.3": (28, 1),                                       # a row apart vs the right neighbour
    "01.4": (6_220_801_000, 6_220_800_000),                # (6,220,800 + 1) x 1000 vs no bias
    "02.1": (-7, 29),                                      # by hand vs flipped kernel
    "02.2": ((4, 10, 28, 28), (4, 3, 28, 28)),             # filters -> channels
    "02.3": (456, 450),                                    # (75 + 1) x 6 vs no bias
    "03.1": (32, 28),                                      # same padding vs padding forgotten
    "03.2": (55, 43.2),                                    # (227-11)/4+1 vs (N-F)/(S+1)
    "03.3": (2, (7 - 3) / 3 + 1),                          # floor vs 2.33
    "03.4": (3, 6),                                        # per side vs both sides
    "04.1": (7, 9),                                        # 1 + 3*2 vs 3*3
    "04.2": (7, 5),                                        # jump 2 vs strides ignored
    "04.3": (19, 13),                                      # 11 + 2*4 vs 11 + 2
    "04.4": (73_856, 36_928),                              # two layers vs one
}

BLANK = re.compile(r"^answer = \.\.\..*$", re.MULTILINE)


def _exercises():
    for name in FILES:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        setup = code_cells[0].source
        for cell in code_cells:
            if "exercise" in cell.metadata.get("tags", []):
                ident = re.match(r"# Exercise (\d\d\.\d+):", cell.source).group(1)
                yield ident, setup, cell.source


EXERCISES = {ident: (setup, source) for ident, setup, source in _exercises()}


def _run(setup: str, source: str, answer_source: str):
    """Run the notebook's setup cell, then the exercise cell with ``answer`` replaced."""
    assert len(BLANK.findall(source)) == 1, "an exercise cell stores exactly one blank answer"
    tree = ast.parse(BLANK.sub(f"answer = {answer_source}", source))
    *body, last = tree.body
    namespace: dict = {}
    exec(compile(setup, "<setup>", "exec"), namespace)  # noqa: S102 - our own notebook code
    exec(compile(ast.Module(body, []), "<exercise>", "exec"), namespace)  # noqa: S102
    return eval(compile(ast.Expression(last.value), "<check>", "eval"), namespace)  # noqa: S307


def test_every_exercise_has_answers():
    assert sorted(EXERCISES) == sorted(ANSWERS)


@pytest.mark.parametrize("ident", sorted(ANSWERS))
def test_exercise_is_checkable(ident):
    setup, source = EXERCISES[ident]
    correct, wrong = ANSWERS[ident]

    blank = _run(setup, source, "...")
    assert blank.status == "not attempted"

    right = _run(setup, source, repr(correct))
    assert right.status == "correct" and bool(right), str(right)

    mistaken = _run(setup, source, repr(wrong))
    assert mistaken.status == "wrong" and not mistaken, str(mistaken)
    assert mistaken.message, "a wrong answer must say what to reconsider"
    assert str(correct) not in mistaken.message, "feedback must not reveal the answer"

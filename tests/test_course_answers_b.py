"""Every "check yourself" exercise of course notebooks 05-09 can actually be checked.

The stored notebooks leave each answer blank (``answer = ...``), so their checkers print "not
attempted". This test runs each exercise cell exactly as stored, with the blank replaced first by
the correct answer and then by a typical wrong one, and asserts that the very same checker call
says "correct" and "wrong" (with an explanation). The answers below are worked out by hand from
the lecture (they are the notebooks' <details> answers), not computed by cnnlib.

An exercise cell is a code cell tagged ``exercise`` whose cell id names it (``ex-08-3``). It may
use only what the notebook's first code cell (its imports) defines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
COURSE_B = ("05_pooling", "06_activations_and_batch_norm", "07_fast_convolution",
            "08_counting_parameters", "09_alexnet")

# cell id: (correct answer, typical wrong answer)
ANSWERS = {
    # 05 pooling
    "ex-05-1": ((8, 64, 112, 112), (8, 32, 112, 112)),   # channels halved by mistake
    "ex-05-2": (0, 9),                                     # "a 3x3 window has 9 weights"
    "ex-05-3": (13, 12),                                   # forgot the + 1
    "ex-05-4": (4, 3),                                     # floor instead of ceil
    # 06 activations and batch norm
    "ex-06-1": (8, 6),                                     # 3c instead of c^3
    "ex-06-2": (0.25**5, 1.25),                            # added the slopes
    "ex-06-3": (128, 256),                                 # counted the running statistics
    "ex-06-4": (2.0, 1.0),                                 # divided by the variance
    # 07 fast convolution
    "ex-07-1": ((363, 3025), (3025, 363)),                 # rows and columns swapped
    "ex-07-2": ((10, 10, 24, 24), (10, 24, 24, 10)),       # HWC order instead of OIHW
    "ex-07-3": ((256 + 1) * 64, 256 * 64),                 # forgot the biases
    # 08 counting parameters
    "ex-08-1": ((11 * 11 * 3 + 1) * 96, 11 * 11 * 3 * 96),            # 34,944; no bias
    "ex-08-2": ((5 * 5 * 48 + 1) * 256, (5 * 5 * 96 + 1) * 256),     # 307,456; ignored groups
    "ex-08-3": ((192 + 1) * 16 + (5 * 5 * 16 + 1) * 32, (5 * 5 * 192 + 1) * 32),  # 15,920
    "ex-08-4": (9 * 128 + 128 * 128, 9 * 128 * 128),                  # 17,536; full 3x3
    # 09 AlexNet
    "ex-09-1": (55, 54),
    "ex-09-2": (55, 54),                                   # forgot the padding
    "ex-09-3": ((256 * 6 * 6 + 1) * 4096, 256 * 6 * 6 * 4096),       # 37,752,832; no bias
    "ex-09-4": (95.96, 4.04),                              # the convolutions' share
    "ex-09-5": ((3 * 3 * 192 + 1) * 384, (3 * 3 * 384 + 1) * 384),   # 663,936; ignored groups
}


def _exercise_cells():
    """Yield (notebook, setup source, cell id, exercise source) for every exercise cell."""
    for name in COURSE_B:
        notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        for cell in code_cells:
            if "exercise" in cell.metadata.get("tags", []):
                yield name, code_cells[0].source, cell.id, cell.source


EXERCISES = {cell_id: (name, setup, source) for name, setup, cell_id, source in _exercise_cells()}


def _run(setup: str, source: str, value):
    """Run the setup, then the exercise with ``answer = value``; return its last expression."""
    filled, count = re.subn(r"^answer = \.\.\.", f"answer = {value!r}", source, flags=re.M)
    assert count == 1, "an exercise cell must contain exactly one blank line 'answer = ...'"
    namespace: dict = {}
    exec(compile(setup, "<setup>", "exec"), namespace)
    *body, last = ast.parse(filled).body
    assert isinstance(last, ast.Expr), "an exercise cell must end with its checker call"
    exec(compile(ast.Module(body, type_ignores=[]), "<exercise>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<exercise>", "eval"), namespace)


def test_every_exercise_has_answers():
    assert sorted(EXERCISES) == sorted(ANSWERS)


@pytest.mark.parametrize("cell_id", sorted(ANSWERS))
def test_blank_answer_is_not_attempted(cell_id):
    _, setup, source = EXERCISES[cell_id]
    assert _run(setup, source, ...).status == "not attempted"


@pytest.mark.parametrize("cell_id", sorted(ANSWERS))
def test_correct_answer_is_accepted(cell_id):
    _, setup, source = EXERCISES[cell_id]
    feedback = _run(setup, source, ANSWERS[cell_id][0])
    assert feedback.status == "correct", str(feedback)


@pytest.mark.parametrize("cell_id", sorted(ANSWERS))
def test_typical_wrong_answer_is_explained(cell_id):
    _, setup, source = EXERCISES[cell_id]
    feedback = _run(setup, source, ANSWERS[cell_id][1])
    assert feedback.status == "wrong", str(feedback)
    assert len(feedback.message) > 20, "a wrong answer should say what to reconsider"

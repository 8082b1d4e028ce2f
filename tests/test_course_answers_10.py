"""Every "Check yourself" exercise of notebook 10 (training) is checkable.

Each exercise cell (tag ``exercise``, first line ``# Exercise 10.N: ...``) ends with a
``cnnlib.checks`` call on ``answer``; the stored notebook leaves ``answer = ...``. The very same
cell is run with the blank, with the correct answer (worked out by hand, as in the notebook's
<details> block) and with a typical wrong one, and the checker must say "not attempted",
"correct" and "wrong". Only the imports of the setup cell run: no training is needed.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "10_training.ipynb"

# exercise id: (correct answer, typical wrong answer), both worked out by hand.
ANSWERS = {
    "10.1": (2.303, 0.1),        # -ln(1/10) vs the probability itself
    "10.2": (10, 1.9),           # 1 / (1 - 0.9) vs the second step only
    "10.3": (43, 42),            # ceil(1347 / 32) vs forgetting the last, smaller batch
}

BLANK = re.compile(r"^answer = \.\.\..*$", re.MULTILINE)


def _cells():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    exercises = {re.match(r"# Exercise (\d+\.\d+):", c.source).group(1): c.source
                 for c in code if "exercise" in c.metadata.get("tags", [])}
    return code[0].source, exercises


SETUP, EXERCISES = _cells()


def _run(source: str, answer_source: str):
    """Run the setup cell, then the exercise cell with ``answer`` replaced; return the check."""
    assert len(BLANK.findall(source)) == 1, "an exercise cell stores exactly one blank answer"
    *body, last = ast.parse(BLANK.sub(f"answer = {answer_source}", source)).body
    namespace: dict = {}
    exec(compile(SETUP, "<setup>", "exec"), namespace)  # noqa: S102 - our own notebook code
    exec(compile(ast.Module(body, []), "<exercise>", "exec"), namespace)  # noqa: S102
    return eval(compile(ast.Expression(last.value), "<check>", "eval"), namespace)  # noqa: S307


def test_every_exercise_has_answers():
    assert sorted(EXERCISES) == sorted(ANSWERS)
    assert ANSWERS["10.1"][0] == pytest.approx(math.log(10), abs=1e-3)


@pytest.mark.parametrize("ident", sorted(ANSWERS))
def test_exercise_is_checkable(ident):
    correct, wrong = ANSWERS[ident]
    assert _run(EXERCISES[ident], "...").status == "not attempted"
    right = _run(EXERCISES[ident], repr(correct))
    assert right.status == "correct" and bool(right), str(right)
    mistaken = _run(EXERCISES[ident], repr(wrong))
    assert mistaken.status == "wrong" and not mistaken, str(mistaken)
    assert mistaken.message, "a wrong answer must say what to reconsider"
    assert str(correct) not in mistaken.message, "feedback must not reveal the answer"

"""Per-student variants of homework 1 and 2, and answer keys that hold no answer.

Oracle: every variant's table is worked out here by hand with the lecture's formulas
(o = floor((i + 2p - k) / s) + 1 for a convolution; ceil for a pool, with PyTorch's rule that the
last window must start inside the input; conv parameters (k*k*C_in + 1) * C_out; linear
(in + 1) * out), never with cnnlib's shapes or the instructor's reference.
"""

from __future__ import annotations

import csv
import inspect
import json
import math
import re
from pathlib import Path

import nbformat
import pytest

from cnnlib.checks import homework as check
from cnnlib.homework import selfcheck
from cnnlib.homework.instructor import generator, grader, variants
from cnnlib.homework.instructor import reference as ref

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ROOT / "notebooks" / "homework"
SOLUTIONS = sorted(HOMEWORK.glob("hw*.ipynb"))
# The paper's answers, by hand (tests/test_homework.py works them out row by row).
PAPER_ANSWERS = ["62357608", "62,357,608", "62_357_608", "14208", "14_208", "614656",
                 "885120", "1327488", "884992", "37752832", "37_752_832", "16781312",
                 "4097000", "58631144", "3726464", "3_726_464"]


def hand_table(spec: dict) -> dict:
    """``{row: (output shape, parameters)}`` of a spec, by the lecture's formulas."""
    channels, size, _ = spec["input"]
    table = {}
    for row in ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"):
        s = spec[row]
        if row.startswith("conv"):
            k, stride, pad = s["kernel"], s["stride"], s["padding"]
            size = (size + 2 * pad - k) // stride + 1
            table[row] = ((s["filters"], size, size), (k * k * channels + 1) * s["filters"])
            channels = s["filters"]
        else:
            k, stride = s["kernel"], s["stride"]
            out = math.ceil((size - k) / stride) + 1
            if (out - 1) * stride >= size:   # a last window must start inside the input
                out -= 1
            size = out
            table[row] = ((channels, size, size), 0)
    width = channels * size * size
    table["flatten"] = ((width,), 0)
    for row in ("fc6", "fc7", "fc8"):
        outputs = spec[row]["outputs"]
        table[row] = ((outputs,), (width + 1) * outputs)
        width = outputs
    return table


def network_for(spec, salt="salt"):
    return check.Network(spec, key=ref.answer_key(spec, salt).encode())


def test_the_hand_oracle_gives_the_papers_total():
    assert sum(p for _, p in hand_table(ref.PAPER).values()) == 62_357_608


@pytest.mark.parametrize("student", ["s001", "kim", "lee", "park", "x.y@uni.ac.kr"])
def test_every_row_of_a_variant_is_judged_against_the_hand_table(student):
    spec = variants.draw(2026, student)
    assert spec != ref.PAPER
    network_for(spec)
    table = hand_table(spec)
    for row, (shape, params) in table.items():
        assert check.zfnet_layer(row, shape, params), (student, row, shape, params)
    total = sum(p for _, p in table.values())
    assert check.zfnet_total(total)
    fc = sum(p for row, (_, p) in table.items() if row.startswith("fc"))
    assert check.fc_share(round(fc / total, 2))
    # the paper's answers are not this variant's
    paper = hand_table(ref.PAPER)
    judged = [bool(check.zfnet_layer(row, *paper[row])) for row in paper]
    assert judged.count(True) < len(paper)
    assert not check.zfnet_total(62_357_608)


def test_a_variant_model_is_judged_layer_by_layer():
    spec = variants.draw(2026, "kim")
    network_for(spec)
    assert check.zfnet_model(lambda: ref.zfnet(spec))
    paper = check.zfnet_model(ref.zfnet)
    assert paper.status == "wrong" and "Layer" in paper.message


def test_mistakes_are_recognised_through_their_fingerprints():
    spec = variants.draw(2026, "lee")
    network_for(spec)
    shape, params = hand_table(spec)["conv1"]
    c, h, w = shape
    def messages(*answer):
        return [f.message for f in check.zfnet_layer("conv1", *answer)]

    assert "batch axis" in messages((1, *shape), params)[0]
    assert "channels first" in messages((h, w, c), params)[0]
    k = spec["conv1"]["kernel"]
    assert "bias" in messages(shape, k * k * 3 * c)[1]


def test_checks_without_a_network_say_what_to_run():
    selfcheck._current.clear()
    feedback = check.zfnet_total(123)
    assert feedback.status == "not attempted" and "check.Network" in feedback.message


def test_a_changed_key_or_spec_is_refused_with_the_fix():
    key = ref.answer_key(ref.PAPER, "s").encode()
    with pytest.raises(ValueError, match="answer key"):
        check.Network(ref.PAPER, key=key[:-8])
    with pytest.raises(ValueError, match="conv1 must have"):
        check.Network({**ref.PAPER, "conv1": {"filters": 96}}, key=key)


def test_what_students_get_holds_no_answer():
    """The key, the self-check module's source and the generated notebooks hold no answer."""
    texts = {"key": ref.answer_key(ref.PAPER, "salt").encode(),
             "selfcheck source": inspect.getsource(selfcheck),
             "selfcheck help": selfcheck.__doc__ + "".join(
                 (getattr(selfcheck, n).__doc__ or "") for n in selfcheck.__all__)}
    for folder in (HOMEWORK / "student", HOMEWORK.parent / "ko" / "homework" / "student"):
        for path in folder.glob("*.ipynb"):
            texts[str(path)] = path.read_text(encoding="utf-8")
    for name, text in texts.items():
        found = [a for a in PAPER_ANSWERS if a in text]
        assert not found, f"{name} holds {found}"
    assert "def zfnet(" not in texts["selfcheck source"]


def test_draw_is_deterministic_varied_and_always_solvable():
    assert variants.draw(1, "kim") == variants.draw(1, "kim")
    assert variants.draw(1, "kim") != variants.draw(2, "kim")
    assert variants.draw(5, variants.DEFAULT_ID) == ref.PAPER
    specs = [variants.draw(7, f"s{i:03d}") for i in range(200)]
    assert len({json.dumps(s, sort_keys=True) for s in specs}) >= 190
    for spec in specs:
        table = hand_table(spec)
        assert all(min(shape) >= 1 for shape, _ in table.values())
        assert 2 <= table["pool5"][0][1] <= 8
    salts = {variants.salt(7, f"s{i:03d}") for i in range(200)}
    assert len(salts) == 200


def test_roster_errors_name_the_fix(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nKim,kim@uni.ac.kr\nLee,lee@uni.ac.kr\n")
    assert variants.read_roster(roster) == ["kim@uni.ac.kr", "lee@uni.ac.kr"]
    roster.write_text("name,phone\nKim,1\n")
    with pytest.raises(ValueError, match="no column named id"):
        variants.read_roster(roster)
    roster.write_text("id\nkim\nkim\n")
    with pytest.raises(ValueError, match="twice"):
        variants.read_roster(roster)
    roster.write_text("id\n../../etc\n")
    with pytest.raises(ValueError, match="letters, digits"):
        variants.read_roster(roster)


def fill_hw1(student_notebook: Path, spec: dict) -> nbformat.NotebookNode:
    """A homework 1 notebook with every blank answered for ``spec`` (by the hand table)."""
    nb = nbformat.read(student_notebook, as_version=4)
    table = hand_table(spec)
    total = sum(p for _, p in table.values())
    for cell in nb.cells:
        lines = []
        for line in cell.source.split("\n"):
            match = re.match(r"^(\w+)_(shape|params) = \.\.\.$", line)
            if match and match[1] in table:
                shape, params = table[match[1]]
                line = f"{match[1]}_{match[2]} = {shape if match[2] == 'shape' else params}"
            elif line == "total_params = ...":
                line = f"total_params = {total}"
            lines.append(line)
        cell.source = "\n".join(lines)
    return nb


def test_generate_class_then_grade_each_against_their_own_variant(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nkim,Kim\nlee,Lee\n")
    out = tmp_path / "release"
    status = generator.generate_class(SOLUTIONS, roster, 2026, out)
    assert set(status.values()) == {"written"}
    record = json.loads((out / "variants.json").read_text())
    assert record["seed"] == 2026 and set(record["students"]) == {"kim", "lee"}
    cells = {}
    for student in ("kim", "lee"):
        nb = nbformat.read(out / student / "hw1_zfnet_parameters.ipynb", as_version=4)
        assert nb.metadata["cnnlib"]["student"] == student
        cells[student] = next(c.source for c in nb.cells if "variant" in c.metadata.get("tags", ()))
        assert json.dumps(variants.draw(2026, student)["conv1"]) in cells[student]
    assert cells["kim"] != cells["lee"]

    # kim answers kim's network; lee hands in kim's answers; a third copies the paper's solution
    submissions = tmp_path / "submissions"
    (submissions / "kim").mkdir(parents=True)
    kim = fill_hw1(out / "kim" / "hw1_zfnet_parameters.ipynb", variants.draw(2026, "kim"))
    nbformat.write(kim, submissions / "kim" / "hw1_zfnet_parameters.ipynb")
    nbformat.write(kim, submissions / "lee_hw1_zfnet_parameters.ipynb")
    paper = nbformat.read(SOLUTIONS[0], as_version=4)
    nbformat.write(paper, submissions / "kim_hw1_from_the_solution.ipynb")
    table = tmp_path / "scores.csv"
    grader.grade(submissions, table, timeout=30, sandbox=False,
                 variants=out / "variants.json")
    with open(table, newline="", encoding="utf-8") as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    own = rows["kim/hw1_zfnet_parameters.ipynb"]
    assert (own["total"], own["max"], own["student"]) == ("25", "25", "kim")
    # its own work, flagged only as identical to what lee handed in (for a person to judge)
    assert own["flags"] == "similar to lee_hw1_zfnet_parameters.ipynb (100%)"
    copied = rows["lee_hw1_zfnet_parameters.ipynb"]
    assert copied["student"] == "lee" and int(copied["total"]) < 13
    assert "kim's" in copied["flags"]       # its notebook still says it is kim's
    solution = rows["kim_hw1_from_the_solution.ipynb"]
    assert solution["student"] == "kim" and int(solution["total"]) < 13


@pytest.mark.parametrize("path", SOLUTIONS[:2], ids=lambda p: p.stem)
def test_the_solutions_network_cell_is_what_the_generator_writes(path):
    """A solution's key is the reference's: after a change to the reference or to how a model is
    described, rewrite the cell (generator.with_network with the default variant) and re-run."""
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if generator.VARIANT_TAG in c.metadata.get("tags", ())]
    assert cell.source == generator.with_network(cell.source, generator.default_variant())

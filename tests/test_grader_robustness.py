"""The grader against hostile submissions and forged answers (issue 21, items 5 and 6).

Every run finishes and gives every submission exactly one row, whatever the others do; what
the grader shows (names, reasons, progress lines) is one safe line of at most
``grader.MAX_TEXT`` characters; every answer record is checked before it is scored, and
homework 2's model is judged by what its description rebuilds to, not by what it claims.

Most tests here run no student code: they call the grader's functions directly, or grade a
folder with a fake sandbox (``grader.sb.run`` replaced by :func:`fake_run`, which prints what a
hostile submission could print into the answers' channel). One test grades the hostile
notebooks of ``tests/hostile_submissions/`` in the real sandbox.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from test_homework import (
    HOSTILE_DIR,
    SAMPLES_DIR,
    TABLE,
    TOTAL,
    needs_bwrap,
    sandbox_turn,
    zfnet_by_hand,
)

from cnnlib.homework import instructor as tool
from cnnlib.homework import selfcheck
from cnnlib.homework.instructor import grader
from cnnlib.homework.instructor import reference as ref
from cnnlib.homework.instructor import sandbox as sb
from cnnlib.homework.instructor.rebuild import RebuildError, output_shapes, rebuild_layer
from cnnlib.homework.runner import describe_model

HW1, HW2, HW3 = ref.HW1, ref.HW2, ref.HW3
#: Bidirectional controls: embeddings, overrides, isolates and marks.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
#: What no name, reason or progress line may hold: C0 and C1 controls (ESC, CR, LF, ...), bidi
#: controls, lone surrogates, line and paragraph separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + BIDI + "\ud800-\udfff]")
#: An error message that stopped the CSV (a lone surrogate), faked a classmate's progress line
#: after a newline, retitled and cleared the terminal, turned the text around, and went on for
#: 5,000 characters.
HOSTILE_MESSAGE = ("\ud800 done\n[2/3] classmate_hw1.ipynb: 0/25 (0.1 s)\r\x1b]0;retitled\x07"
                   "\x1b[2J" + BIDI + "\x85\x9b31m" + "x" * 5000)


def assert_safe(text) -> None:
    assert isinstance(text, str) and len(text) <= grader.MAX_TEXT, (len(text), text[:80])
    assert not UNSAFE.search(text), repr(text)


def record(**fields) -> str:
    """One line of the answers' channel."""
    return json.dumps(fields)


def deep_list(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# --------------------------------------------------------------------------------------------
# One sanitiser for every name, reason and progress line
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("char", list("\x00\x07\x08\x1b\x7f\x9b\ud800\udfff\ufeff\u200b\xa0")
                         + list(BIDI), ids=lambda c: f"U+{ord(c):04X}")
def test_control_format_and_bidi_characters_are_shown_escaped(char):
    code = ord(char)
    escaped = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    shown = grader.safe_text(f"a{char}b")
    assert_safe(shown)
    assert shown == f"a{escaped}b"


@pytest.mark.parametrize("char", list("\n\r\t\v\f\x1c\x1f\x85\u2028\u2029"),
                         ids=lambda c: f"U+{ord(c):04X}")
def test_line_breaks_in_a_reason_become_one_space(char):
    assert grader.safe_text(f"a {char}{char} b") == "a b"


def test_a_reason_is_one_short_line_that_keeps_its_start_and_end():
    shown = grader.safe_text(HOSTILE_MESSAGE)
    assert_safe(shown)
    assert shown.startswith("\\ud800 done [2/3] classmate_hw1.ipynb: 0/25 (0.1 s) "
                            "\\x1b]0;retitled\\x07\\x1b[2J\\u202a")
    assert "..." in shown and shown.endswith("x" * 50)
    assert len(grader.safe_text("é" * 10_000_000)) == grader.MAX_TEXT
    plain = "Ordinary text stays: 학생 김철수, 3 x 3 = 9 (ok)."
    assert grader.safe_text(plain) == plain


def test_look_alike_names_differ_on_screen():
    latin = grader.display_name(b"kim_hw1.ipynb")
    cyrillic = grader.display_name("kіm_hw1.ipynb".encode())  # U+0456, Cyrillic і
    assert latin == "kim_hw1.ipynb"
    assert cyrillic == "kіm_hw1.ipynb [as ASCII: k\\u0456m_hw1.ipynb]"
    assert grader.display_name("김철수_hw3.ipynb".encode()).startswith("김철수_hw3.ipynb [")
    # a line break in a name is shown, not made a space that reads as another student's name
    assert grader.display_name(b"a\nb_hw1.ipynb") == "a\\x0ab_hw1.ipynb"
    assert grader.display_name(b"\xff\xfe_hw3.ipynb") == "\\xff\\xfe_hw3.ipynb"
    deep = grader.display_name(b"d/" * 200 + b"kim_hw3.ipynb")
    assert_safe(deep)
    assert deep.endswith("/kim_hw3.ipynb")
    assert grader.plain_name(b"=a\\b\x1b\n\xd1\x96.ipynb") == "=a\\x5cb\\x1b\\x0a\\xd1\\x96.ipynb"


# --------------------------------------------------------------------------------------------
# Finding the submissions: no recursion, bounded
# --------------------------------------------------------------------------------------------

def nested(top: Path, depth: int) -> Path:
    """``top/d/d/.../d`` (``depth`` folders), made one by one (``os.makedirs`` recurses)."""
    path = top
    for _ in range(depth):
        path = path / "d"
        path.mkdir()
    return path


def remove_nested(top: Path, depth: int) -> None:
    """Remove what :func:`nested` made, deepest first (``shutil.rmtree`` recurses)."""
    paths = [top]
    for _ in range(depth):
        paths.append(paths[-1] / "d")
    for path in reversed(paths[1:]):
        for child in path.iterdir():
            if not child.is_dir():
                child.unlink()
        path.rmdir()


@pytest.fixture
def deep_folder(tmp_path):
    """Submissions: a classmate, and a notebook 1,100 folders deep; removed afterwards."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    deepest = nested(folder, 1100)
    (deepest / "deep_hw1.ipynb").write_text("")
    (folder / "kim_hw1.ipynb").write_text("")
    yield folder
    remove_nested(folder, 1100)


def test_deep_folders_are_walked_without_recursion_and_said_so(deep_folder, tmp_path):
    found = [(grader.display_name(r), why) for r, why in grader.find_submissions(deep_folder)]
    assert found == [("d/" * (grader.MAX_DEPTH + 1),
                      f"not searched: a folder more than {grader.MAX_DEPTH} levels deep"),
                     ("kim_hw1.ipynb", "")]
    # as deep as allowed is still searched
    other = tmp_path / "other"
    other.mkdir()
    (nested(other, grader.MAX_DEPTH) / "lee_hw1.ipynb").write_text("")
    assert grader.find_submissions(other) == [(b"d/" * grader.MAX_DEPTH + b"lee_hw1.ipynb", "")]


def test_a_deep_folder_does_not_stop_the_run(deep_folder, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert tool.main(["grade", str(deep_folder), "--out", str(out), "--no-sandbox"]) == 0
    rows = read_rows(out)
    assert [(r["submission"], r["reason"]) for r in rows] == [
        ("d/" * 17, "not searched: a folder more than 16 levels deep"),
        ("kim_hw1.ipynb", "empty submission")]


def test_too_many_entries_end_the_search_with_a_row(tmp_path, monkeypatch):
    monkeypatch.setattr(grader, "MAX_ENTRIES", 5)
    for number in range(8):
        (tmp_path / f"s{number}_hw1.ipynb").write_text("")
    found = grader.find_submissions(tmp_path)
    assert [why for _, why in found[:5]] == [""] * 5 and len(found) == 6
    assert found[5][1] == ("not searched: the folder holds more than 5 entries; this one and "
                           "those after it were skipped")


def test_an_unreadable_folder_gets_a_row(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "kim_hw1.ipynb").write_text("")
    (tmp_path / "lee_hw1.ipynb").write_text("")
    listing = os.scandir

    def scandir(path):
        if os.fsdecode(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert grader.find_submissions(tmp_path) == [
        (b"lee_hw1.ipynb", ""),
        (b"locked/", "not searched: cannot list this folder (Permission denied)")]


# --------------------------------------------------------------------------------------------
# Metadata and answer records: checked, never trusted
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("claimed", [[HW1], {HW1: 1}, 7, None, "hw9", HW1.upper()])
def test_metadata_that_is_not_a_homework_name_is_ignored(claimed):
    metadata = {"cnnlib": {"homework": claimed}}
    assert grader.identify(["x = 1"], metadata, "kim.ipynb") == ""
    assert grader.identify(["x = 1"], metadata, "kim_hw2.ipynb") == HW2
    assert grader.identify(["x = 1"], {"cnnlib": claimed}, "kim.ipynb") == ""


TASK1, KEY1 = ref.grading_task(HW1, 0)
TASK2, PRIVATE2 = ref.grading_task(HW2, 0)


def test_a_900_deep_answer_is_an_invalid_answer_not_a_grader_error():
    lines = [record(kind="value", name="conv1_shape", value=deep_list(900)),
             record(kind="value", name="conv1_params", value=TABLE["conv1"][1])]
    answers, *_ = grader.read_answers(lines, TASK1)
    assert answers["invalid"] == {"conv1_shape": "lists nested more than 8 deep"}
    feedback = ref.score(HW1, answers, KEY1)
    assert feedback["conv1_shape"].status == "wrong" and feedback["conv1_params"]


@pytest.mark.parametrize("value, words", [
    ({"status": "correct"}, "a dict where"),
    (None, "a null where"),
    (10**40, "too large"),
    ("9" * 5000, "longer than 200"),
    ([{"missing": True, "x": 1}], "a dict where"),
    ({"object": "x" * 100}, "a dict where"),
    (deep_list(9), "nested more than 8"),
    ([0] * 1_000_000, "more than 1,000,000 items"),
])
def test_malformed_answers_are_invalid_and_wrong(value, words):
    answers, *_ = grader.read_answers([record(kind="value", name="total_params", value=value)],
                                      TASK1)
    assert words in answers["invalid"]["total_params"]
    assert ref.score(HW1, answers, KEY1)["total_params"].status == "wrong"


def test_what_the_runner_writes_is_valid():
    lines = [record(kind="value", name="conv1_shape", value=[96, 110, 110]),
             record(kind="value", name="conv1_params", value={"missing": True}),
             record(kind="value", name="total_params", value={"number": "nan"}),
             record(kind="value", name="fc6_params", value={"object": "too deeply nested"}),
             record(kind="value", name="fc7_params", value=deep_list(8, 2.5))]
    answers, *_ = grader.read_answers(lines, TASK1)
    assert answers["invalid"] == {} and len(answers["values"]) == 5
    feedback = ref.score(HW1, answers, KEY1)
    assert feedback["conv1_shape"] and feedback["conv1_params"].status == "not attempted"


def test_names_the_task_did_not_ask_for_are_ignored_and_the_first_record_counts():
    lines = [record(kind="value", name="model_points", value=10),
             record(kind="call", id="conv2d_forward/0", result=[1]),
             record(kind="model", name="zfnet", layers=[]),
             record(kind="value", name="conv1_params", value=14208),
             record(kind="value", name="conv1_params", value=0),
             record(kind="value", name=["conv1_shape"], value=0),
             record(kind="verdict", name="conv1_shape", status="correct")]
    answers, *_ = grader.read_answers(lines, TASK1)
    assert answers == {"values": {"conv1_params": 14208}, "models": {}, "calls": {},
                       "invalid": {}}


def test_cell_errors_and_timeouts_are_checked_bounded_and_safe():
    lines = [record(kind="cell_error", cell="1\n[2/3] x: 0/40", error="x"),
             record(kind="cell_error", cell=True, error="x"),
             record(kind="cell_error", cell=3, error=HOSTILE_MESSAGE),
             record(kind="cell_error", cell=4, error=["not", "a text"]),
             record(kind="cell_timeout", cell="9" * 5000),
             record(kind="cell_timeout", cell=5),
             "not json", "[" * 100_000, "[1, 2]", record(kind="done")]
    _, errors, done, timeout = grader.read_answers(lines, TASK1)
    assert [cell for cell, _ in errors] == [3, 4]
    for _, error in errors:
        assert_safe(error)
    assert done and timeout == "5"


def test_malformed_call_records_are_wrong_answers():
    task, cases = ref.grading_task(HW3, 1)
    ids = [call["id"] for call in task["calls"] if call["function"] == "conv2d_forward"]
    lines = [record(kind="call", id=ids[0], result=deep_list(900, 0.0)),
             record(kind="call", id=ids[1], result=[1.0], tuple="yes"),
             record(kind="call", id=ids[2], error={"type": "x"}),
             record(kind="call", id=ids[3])] + [
        record(kind="call", id=other, result=[0.0]) for other in ids[4:]]
    answers, *_ = grader.read_answers(lines, task)
    assert set(answers["invalid"]) == set(ids[:4])
    assert ref.score(HW3, answers, cases)["conv2d_forward"].status == "wrong"


REFERENCE = describe_model(ref.zfnet())


def description() -> list:
    """A copy of ZFNet's description, as the runner writes it for a right model."""
    return json.loads(json.dumps(REFERENCE))


def judge(layers) -> tuple:
    """``(feedback, answers)`` of a model record with these layers."""
    answers, *_ = grader.read_answers([record(kind="model", name="model", layers=layers)],
                                      TASK2)
    return ref.score(HW2, answers, PRIVATE2)["model"], answers


def test_an_honest_description_is_rebuilt_and_correct():
    feedback, answers = judge(describe_model(zfnet_by_hand()))
    assert feedback.status == "correct" and answers["invalid"] == {}


def _set(index: int, **settings):
    return lambda layers: layers[index]["settings"].update(settings)


@pytest.mark.parametrize("change, words", [
    # "no bias", yet the count of the biases
    (_set(-1, bias=False), "cannot be rebuilt"),
    # a count its settings do not give
    (lambda layers: layers[0].update(parameters=layers[0]["parameters"] + 1),
     "cannot be rebuilt"),
    # a bool and a float where counts belong (True == 1 and 3.0 == 3 in Python)
    (_set(0, groups=True), "cannot be rebuilt"),
    (_set(0, in_channels=3.0), "cannot be rebuilt"),
    (_set(3, kernel_size="5"), "cannot be rebuilt"),
    (lambda layers: layers[15]["settings"].pop("in_features"), "cannot be rebuilt"),
    (lambda layers: layers[0].update(type="MyConv2d"), "different kind"),
    (lambda layers: layers[0].update(module="student.layers"), "class of your own"),
    # a last Linear that says it has a bias but counts none, and one that honestly has none
    (lambda layers: layers[-1].update(parameters=4096 * 1000), "cannot be rebuilt"),
    (lambda layers: (layers[-1].update(parameters=4096 * 1000),
                     layers[-1]["settings"].update(bias=False)), "its bias differs"),
])
def test_a_model_is_judged_by_what_its_description_rebuilds_to(change, words):
    layers = description()
    change(layers)
    feedback, answers = judge(layers)
    assert feedback.status == "wrong" and words in feedback.message, feedback.message
    assert answers["invalid"] == {}


@pytest.mark.parametrize("layers, words", [
    ("ZFNet", "not a list"),
    ([{"type": "ReLU", "module": "m", "settings": {}, "parameters": 0}] * 501, "not a list"),
    ([7], "not described"),
    ([{"type": ["Conv2d"], "module": "m", "parameters": 0}], "a type and a module"),
    ([{"type": "ReLU", "module": "m", "parameters": "0"}], "number of parameters"),
    ([{"type": "ReLU", "module": "m", "parameters": True}], "number of parameters"),
    ([{"type": "ReLU", "module": "m", "parameters": 0, "settings": {"k": [[1]]}}], "settings"),
    ([{"type": "ReLU", "module": "m", "parameters": 0, "settings": {"k": deep_list(900)}}],
     "settings"),
    ([{"type": "ReLU", "module": "m", "parameters": 0, "settings": [1]}], "settings"),
])
def test_malformed_model_records_are_invalid_and_wrong(layers, words):
    feedback, answers = judge(layers)
    assert words in answers["invalid"]["model"]
    assert feedback.status == "wrong"


def test_a_model_whose_layers_do_not_fit_cannot_run():
    """Settings that each match a reference (here one whose fc6 takes 9000 inputs) but do not
    run one after another on the input: the rebuilt layers' shapes say so."""
    layers = description()
    layers[15]["settings"]["in_features"] = 9000
    layers[15]["parameters"] = 9001 * 4096
    key = selfcheck.AnswerKey("s", {}, {}, layers=len(layers))
    for number, layer in enumerate(layers, start=1):
        for item, text in selfcheck.layer_items(number, layer).items():
            key.ok[item] = selfcheck.fingerprint("s", item, text)
    feedback = ref.judge_described_model({"layers": layers}, key, (3, 224, 224))
    assert feedback.status == "wrong" and "cannot run: layer 16 (Linear)" in feedback.message
    assert ref.judge_described_model({"layers": description()}, PRIVATE2[0], (3, 224, 224))


def test_rebuilding_checks_types_and_moves_no_generator():
    from cnnlib.layers import Linear, manual_seed

    with pytest.raises(RebuildError, match="not a layer type"):
        rebuild_layer({"type": "Conv3d", "settings": {}, "parameters": 0})
    with pytest.raises(RebuildError, match="cannot take"):
        output_shapes([rebuild_layer(REFERENCE[-1])], (3, 224, 224))
    manual_seed(1)
    first = Linear(2, 2).parameters()["weight"].copy()
    manual_seed(1)
    for described in REFERENCE:
        rebuild_layer(described)
    assert (Linear(2, 2).parameters()["weight"] == first).all()


# --------------------------------------------------------------------------------------------
# A whole run with a fake sandbox: one row each, safe lines, classmates untouched
# --------------------------------------------------------------------------------------------

def right_values(task) -> list:
    values = {f"{row}_shape": list(shape) for row, (shape, _) in TABLE.items()}
    values |= {f"{row}_params": params for row, (_, params) in TABLE.items()}
    values["total_params"] = TOTAL
    return [record(kind="value", name=name, value=values[name]) for name in task["values"]]


CONV1 = record(kind="value", name="conv1_params", value=TABLE["conv1"][1])
LONG = "\n[2/3] classmate: 0/25 (0.1 s)\x1b]0;retitled\x07\u202e" + "y" * 5000
#: What each fake submission "prints" into the answers' channel (its honest work: at most).
SCENARIOS = {
    "classmate": (lambda task: right_values(task) + [record(kind="done")], 25),
    "surrogate": (lambda task: [record(kind="cell_error", cell=2, error="ValueError: \ud800"),
                                CONV1, record(kind="done")], 1),
    "controls": (lambda task: [record(kind="cell_error", cell=2, error=HOSTILE_MESSAGE), CONV1,
                               record(kind="done")], 1),
    "deep": (lambda task: [record(kind="value", name="conv1_shape", value=deep_list(900)),
                           CONV1, record(kind="done")], 1),
    "forged": (lambda task: [record(kind="cell_timeout", cell=LONG),
                             record(kind="call", id=LONG, error="timed out"),
                             record(kind="value", name="score", value=25),
                             record(kind="done")], 0),
}


def fake_run(cells, task, staged, limits, sandbox=True, bwrap=None):
    """The sandbox's run, without running anything: the lines of the cells' scenario."""
    scenario = re.search(r"# scenario: (\w+)", "\n".join(cells)).group(1)
    if scenario == "bug":
        raise RuntimeError(HOSTILE_MESSAGE)  # an error on the grader's side, not the student's
    return sb.Run(SCENARIOS[scenario][0](task), returncode=0)


def notebook(folder: Path, name: bytes, scenario: str, homework=HW1) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["cnnlib"] = {"homework": homework}
    nb.cells = [nbformat.v4.new_code_cell(f"# scenario: {scenario}\nx = 1")]
    with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as file:
        nbformat.write(nb, file)


#: file name -> (scenario, the most its honest work earns)
CLASS = {
    b"a_surrogate_hw1.ipynb": "surrogate",
    b"b_controls_hw1.ipynb": "controls",
    b"c\x1b]0;title\x07\n[2\xe2\x88\x953] x: 25\xe2\x88\x9525\xe2\x80\xae\r_hw1.ipynb": "classmate",
    b"d_deep_answer_hw1.ipynb": "deep",
    b"e_forged_hw1.ipynb": "forged",
    b"g_grader_bug_hw1.ipynb": "bug",
    b"h_unwritable_hw1.ipynb": "classmate",
    b"i_lost_hw1.ipynb": "classmate",
    "kіm_hw1.ipynb".encode(): "classmate",
    b"kim_hw1.ipynb": "classmate",
    b"z_classmate_hw1.ipynb": "classmate",
}


def read_rows(path) -> list:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_hostile_answers_names_and_grader_errors_cost_only_their_own_rows(
        tmp_path, monkeypatch, capsys):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, scenario in CLASS.items():
        notebook(folder, name, scenario)
    for name, claimed in ((b"f_list_meta.ipynb", [HW1]), (b"f_dict_meta.ipynb", {HW1: 1})):
        notebook(folder, name, "classmate", homework=claimed)
    monkeypatch.setattr(grader.sb, "run", fake_run)
    grade_one = grader.grade_one

    def bugged(folder, relative, *args):
        if relative.startswith(b"i_"):
            raise RuntimeError("a bug" + HOSTILE_MESSAGE)
        result = grade_one(folder, relative, *args)
        if relative.startswith(b"h_"):  # something unsafe slipped through: the CSV refuses it
            result.reason = "\ud800"
        return result

    monkeypatch.setattr(grader, "grade_one", bugged)
    out = tmp_path / "scores.csv"

    status = tool.main(["grade", str(folder), "--out", str(out), "--no-sandbox", "--jobs", "2"])

    assert status == 0
    rows = read_rows(out)
    names = {grader.display_name(name): scenario for name, scenario in CLASS.items()}
    names |= {"f_list_meta.ipynb": "unknown", "f_dict_meta.ipynb": "unknown"}
    assert sorted(row["submission"] for row in rows) == sorted(names), "one row each"
    progress = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert len(progress) == len(rows)
    for line in progress:
        assert_safe(line)
        assert re.match(r"\[\d+/13\] \S", line)
    for row in rows:
        for cell in row.values():
            assert_safe(cell)
            assert cell[:1] not in ("=", "+", "-", "@")
        scenario = names[row["submission"]]
        most = 0 if scenario in ("unknown", "bug") else SCENARIOS[scenario][1]
        assert int(row["total"]) <= most, row
    by_name = {row["submission"]: row for row in rows}
    for name in ("kim_hw1.ipynb", "kіm_hw1.ipynb [as ASCII: k\\u0456m_hw1.ipynb]",
                 "z_classmate_hw1.ipynb", grader.display_name(list(CLASS)[2])):
        assert (by_name[name]["total"], by_name[name]["reason"]) == ("25", ""), name
    assert by_name["a_surrogate_hw1.ipynb"]["reason"] == "crashed in cell 2: ValueError: \\ud800"
    assert by_name["b_controls_hw1.ipynb"]["reason"].startswith(
        "crashed in cell 2: \\ud800 done [2/3] classmate_hw1.ipynb: 0/25 (0.1 s) \\x1b]0;")
    assert by_name["d_deep_answer_hw1.ipynb"]["reason"].startswith(
        "invalid answer for conv1_shape (lists nested more than 8 deep); not attempted: ")
    assert by_name["d_deep_answer_hw1.ipynb"]["total"] == "1"
    assert by_name["e_forged_hw1.ipynb"]["reason"] == "not attempted"
    assert by_name["f_list_meta.ipynb"]["reason"].startswith("unknown homework")
    assert by_name["g_grader_bug_hw1.ipynb"]["reason"].startswith(
        "grader error: RuntimeError: \\ud800 done [2/3]")
    # the row of a grader error still says which homework and what was judged before it
    bug = by_name["g_grader_bug_hw1.ipynb"]
    assert (bug["homework"], bug["max"], bug["sandbox"]) == (HW1, "25", "none (--no-sandbox)")
    assert (by_name["h_unwritable_hw1.ipynb"]["total"], by_name["h_unwritable_hw1.ipynb"][
        "reason"]) == ("0", "grader error: its row could not be written (UnicodeEncodeError)")
    assert by_name["i_lost_hw1.ipynb"]["reason"].startswith("grader error: RuntimeError: a bug")


# --------------------------------------------------------------------------------------------
# The hostile notebooks, in the real sandbox
# --------------------------------------------------------------------------------------------

@needs_bwrap
def test_hostile_messages_and_forged_answers_in_the_sandbox(tmp_path, capsys):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("unsafe_message_hw1.ipynb", "forged_answers_hw2.ipynb"):
        shutil.copy(HOSTILE_DIR / name, folder / name)
    shutil.copy(SAMPLES_DIR / "correct_hw3.ipynb", folder / "z_classmate_hw3.ipynb")
    out = tmp_path / "scores.csv"

    with sandbox_turn():
        assert tool.main(["grade", str(folder), "--out", str(out), "--timeout", "20"]) == 0

    rows = {row["submission"]: row for row in read_rows(out)}
    assert sorted(rows) == ["forged_answers_hw2.ipynb", "unsafe_message_hw1.ipynb",
                            "z_classmate_hw3.ipynb"]
    progress = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert len(progress) == 3
    for text in progress + [cell for row in rows.values() for cell in row.values()]:
        assert_safe(text)
    unsafe, forged = rows["unsafe_message_hw1.ipynb"], rows["forged_answers_hw2.ipynb"]
    assert unsafe["total"] == "1"
    assert re.match(r"crashed in cell \d+: RuntimeError: \\ud800 done \[2/3\] classmate_hw3"
                    r"\.ipynb: 0/40 \(0\.1 s\) \\x1b\]0;retitled\\x07", unsafe["reason"])
    assert (forged["total"], forged["hw2.model"], forged["hw2.fc_share"]) == ("0", "0", "0")
    # its cells write forged records (a 900-deep fc_share, a model that is no model) into every
    # file descriptor: none reaches the grader as an answer (the answers' channel is closed to
    # cells; were one read, read_answers would refuse it: test_a_900_deep_answer_...)
    assert forged["reason"] == "not attempted"
    assert (rows["z_classmate_hw3.ipynb"]["total"], rows["z_classmate_hw3.ipynb"]["reason"]) == (
        "40", "")

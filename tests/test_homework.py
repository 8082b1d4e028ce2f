"""Homework: checkers, the student-notebook generator and the grader.

Oracles: the numbers of ZFNet's table are worked out by hand from the lecture's formulas
(output size floor((W + 2P - F) / S) + 1, or ceil for the pools, conv parameters
(k*k*C_in + 1) * C_out, linear (in + 1) * out) and the sizes of the paper's figure 3; the
from-scratch functions are checked against scipy, small loops and finite differences written
here, not against cnnlib. The grader is checked on the sample submissions and on a folder of
hostile ones (``tests/hostile_submissions/``) graded in one sandboxed run.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import socket
from pathlib import Path

import nbformat
import numpy as np
import pytest
from scipy.signal import correlate

from cnnlib import homework as tool
from cnnlib.checks import homework as check
from cnnlib.homework import generator, grader, sandbox
from cnnlib.layers import (
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)

HOMEWORK_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "homework"
SOLUTIONS = sorted(HOMEWORK_DIR.glob("hw*.ipynb"))
STUDENT_DIR = HOMEWORK_DIR / "student"
SAMPLES_DIR = HOMEWORK_DIR / "samples"
HOSTILE_DIR = Path(__file__).resolve().parent / "hostile_submissions"
TIMEOUT = 10  # seconds per sample notebook: the infinite loops cost this much
BWRAP = sandbox.bwrap_path()
needs_bwrap = pytest.mark.skipif(
    BWRAP is None and not os.environ.get("CI"),
    reason="bubblewrap (bwrap) is not installed here; CI installs it and runs these tests")

# ZFNet by hand: row -> (output shape, parameters). The sizes are those of figure 3 of Zeiler &
# Fergus (2013): 110, 55, 26, 13, 13, 13, 13, 6; the counts use the lecture's formulas.
TABLE = {
    "conv1": ((96, 110, 110), (7 * 7 * 3 + 1) * 96),        # (224 + 2 - 7) // 2 + 1 = 110
    "pool1": ((96, 55, 55), 0),                              # ceil((110 - 3) / 2) + 1 = 55
    "conv2": ((256, 26, 26), (5 * 5 * 96 + 1) * 256),        # (55 - 5) // 2 + 1 = 26
    "pool2": ((256, 13, 13), 0),                             # ceil((26 - 3) / 2) + 1 = 13
    "conv3": ((384, 13, 13), (3 * 3 * 256 + 1) * 384),
    "conv4": ((384, 13, 13), (3 * 3 * 384 + 1) * 384),
    "conv5": ((256, 13, 13), (3 * 3 * 384 + 1) * 256),
    "pool5": ((256, 6, 6), 0),                               # ceil((13 - 3) / 2) + 1 = 6
    "flatten": ((9216,), 0),
    "fc6": ((4096,), (9216 + 1) * 4096),
    "fc7": ((4096,), (4096 + 1) * 4096),
    "fc8": ((1000,), (4096 + 1) * 1000),
}
TOTAL = 62_357_608   # the sum of the column, added by hand
BIASES = 96 + 256 + 384 + 384 + 256 + 4096 + 4096 + 1000


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Checkers
# --------------------------------------------------------------------------------------------

def test_hand_table_adds_up_to_the_total():
    assert sum(params for _, params in TABLE.values()) == TOTAL


@pytest.mark.parametrize("row", list(TABLE))
def test_zfnet_layer_accepts_the_right_row(row):
    shape, params = TABLE[row]
    report = check.zfnet_layer(row, shape, params)
    assert report and [f.status for f in report] == ["correct", "correct"]


@pytest.mark.parametrize("row, shape, params, shape_words, params_words", [
    ("conv1", (96, 109, 109), 14_112, "both sides", "bias"),   # no padding; no bias
    ("conv1", (110, 110, 96), 14_208, "channels first", ""),
    ("conv1", (1, 96, 110, 110), 14_208, "batch axis", ""),
    ("pool1", (96, 54, 54), 0, "round UP", ""),                # floor instead of ceil
    ("pool1", (96, 55, 55), 96 * 9, "", "learn"),
    ("fc6", (4096,), 9216 * 4096, "", "bias"),
    ("conv2", (256, 26, 26), (5 * 5 + 1) * 256, "", "as deep as its input"),
])
def test_zfnet_layer_explains_typical_mistakes_without_the_answer(
        row, shape, params, shape_words, params_words):
    expected_shape, expected_params = TABLE[row]
    shape_fb, params_fb = check.zfnet_layer(row, shape, params)
    assert shape_fb.status == ("correct" if shape == expected_shape else "wrong")
    assert params_fb.status == ("correct" if params == expected_params else "wrong")
    assert shape_words in shape_fb.message and params_words in params_fb.message
    for feedback in (shape_fb, params_fb):
        assert str(expected_params) not in feedback.message
        assert f"{expected_params:,}" not in feedback.message
        assert str(expected_shape) not in feedback.message


def test_zfnet_layer_blanks_are_not_attempted_and_ints_count_as_1d_shapes():
    assert [f.status for f in check.zfnet_layer("fc7", ..., ...)] == ["not attempted"] * 2
    assert check.zfnet_layer("flatten", 9216, 0)
    with pytest.raises(ValueError, match="conv1"):
        check.zfnet_layer("conv6", (1,), 0)


def test_zfnet_total():
    assert check.zfnet_total(TOTAL)
    no_biases = check.zfnet_total(TOTAL - BIASES)
    assert no_biases.status == "wrong" and "biases" in no_biases.message
    assert check.zfnet_total(...).status == "not attempted"


def zfnet_by_hand(conv2_padding=0, last_bias=True, drop_relu=False, head=True, ceil=True):
    """ZFNet written out flat from the paper's figure 3 (variants for mistakes)."""
    layers = [Conv2d(3, 96, 7, stride=2, padding=1), ReLU(), MaxPool2d(3, 2, ceil_mode=ceil),
              Conv2d(96, 256, 5, stride=2, padding=conv2_padding), ReLU(),
              MaxPool2d(3, 2, ceil_mode=True),
              Conv2d(256, 384, 3, padding=1), ReLU(), Conv2d(384, 384, 3, padding=1), ReLU(),
              Conv2d(384, 256, 3, padding=1), ReLU(), MaxPool2d(3, 2, ceil_mode=True),
              Flatten()]
    if head:
        layers += [Dropout(), Linear(9216, 4096), ReLU(), Dropout(), Linear(4096, 4096), ReLU(),
                   Linear(4096, 1000, bias=last_bias)]
    if drop_relu:
        del layers[1]
    return Sequential(*layers)


def test_zfnet_reference_is_the_papers_network():
    from cnnlib.summary import summary

    table = summary(check.zfnet(), (3, 224, 224))
    assert table.total_params == TOTAL
    assert check.zfnet_model(zfnet_by_hand)


def test_zfnet_model_accepts_a_flat_model_and_a_layer():
    assert check.zfnet_model(zfnet_by_hand)
    assert check.zfnet_model(zfnet_by_hand())


@pytest.mark.parametrize("build, words", [
    (lambda: zfnet_by_hand(conv2_padding=1), ["Layer 4", "padding differs"]),
    (lambda: zfnet_by_hand(ceil=False), ["Layer 3", "ceil_mode differs"]),
    (lambda: zfnet_by_hand(drop_relu=True), ["Layer 2", "different kind"]),
    (lambda: zfnet_by_hand(last_bias=False), ["Layer 21", "bias"]),
    (lambda: zfnet_by_hand(head=False), ["stops after layer 14"]),
    (lambda: Sequential(*zfnet_by_hand(), ReLU()), ["more layers", "layer 21"]),
    (lambda: Conv2d(3, 64, 11, stride="4"), ["raised", "stride must be an int"]),
    (lambda: "ZFNet", ["not a str"]),
])
def test_zfnet_model_points_at_the_first_difference(build, words):
    feedback = check.zfnet_model(build)
    assert feedback.status == "wrong"
    for word in words:
        assert word in feedback.message
    assert "(2, 2)" not in feedback.message


def test_zfnet_model_not_attempted():
    def build():
        raise NotImplementedError

    assert check.zfnet_model(build).status == "not attempted"
    assert check.zfnet_model(...).status == "not attempted"


def test_fc_share():
    share = (TABLE["fc6"][1] + TABLE["fc7"][1] + TABLE["fc8"][1]) / TOTAL
    assert check.fc_share(round(share, 2))
    assert "convolutional" in check.fc_share(round(1 - share, 2)).message
    assert "percentage" in check.fc_share(round(100 * share, 1)).message
    assert check.fc_share(...).status == "not attempted"


def conv_by_scipy(x, w, b, stride=1, padding=0):
    """Cross-correlation per image and filter with scipy, then stride by slicing."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.array([[correlate(image, filt, mode="valid")[0] + bias
                     for filt, bias in zip(w, b)] for image in x])
    return out[:, :, ::stride, ::stride]


def pool_by_loops(x, kernel_size, stride):
    h = (x.shape[2] - kernel_size) // stride + 1
    w = (x.shape[3] - kernel_size) // stride + 1
    return np.array([[[[x[n, c, i * stride:i * stride + kernel_size,
                          j * stride:j * stride + kernel_size].max() for j in range(w)]
                        for i in range(h)] for c in range(x.shape[1])]
                     for n in range(x.shape[0])])


def pool_backward_by_loops(dout, x, kernel_size, stride, accumulate=True):
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
        p, q = np.unravel_index(np.argmax(window), window.shape)
        if accumulate:
            dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
        else:
            dx[n, c, i * stride + p, j * stride + q] = dout[n, c, i, j]
    return dx


def test_lecture_example_is_the_first_conv_case():
    out = conv_by_scipy(check.LECTURE_IMAGE[None, None], check.LECTURE_FILTER[None, None],
                        np.zeros(1), padding=1)
    assert out[0, 0].tolist()[0] == [21, 59, 37, -19, 2]   # the slide's first row


def test_conv2d_forward_checker():
    assert check.conv2d_forward(conv_by_scipy)

    def no_padding(x, w, b, stride=1, padding=0):
        return conv_by_scipy(x, w, b, stride)

    def swapped(x, w, b, stride=1, padding=0):  # uses the kernel's height for both axes
        return conv_by_scipy(x, w[..., :w.shape[2]] if w.shape[3] > w.shape[2] else w, b,
                             stride, padding)

    def unwritten(x, w, b, stride=1, padding=0):
        raise NotImplementedError

    assert "Case 1 (the lecture's 5x5 example" in check.conv2d_forward(no_padding).message
    assert "non-square" in check.conv2d_forward(swapped).message
    assert check.conv2d_forward(unwritten).status == "not attempted"
    assert check.conv2d_forward(...).status == "not attempted"


def test_max_pool_checkers():
    assert check.max_pool2d_forward(pool_by_loops)
    assert check.max_pool2d_backward(pool_backward_by_loops)
    assert "finite differences" in check.max_pool2d_backward(pool_backward_by_loops).message

    def overwrite(dout, x, kernel_size, stride):
        return pool_backward_by_loops(dout, x, kernel_size, stride, accumulate=False)

    def square_only(x, kernel_size, stride):  # pools a square corner of the input
        return pool_by_loops(x[..., :x.shape[2]], kernel_size, stride)

    assert "overlapping" in check.max_pool2d_backward(overwrite).message
    assert "non-square" in check.max_pool2d_forward(square_only).message
    assert check.max_pool2d_backward(...).status == "not attempted"


def conv_backward_by_differences(dout, x, w, b, stride=1, padding=0, eps=1e-6):
    """(dx, dw, db) by central differences of scipy's convolution (the test's oracle)."""
    grads = []
    for k, array in enumerate((x, w, b)):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            values = []
            for sign in (1, -1):
                nudged = [x.copy(), w.copy(), b.copy()]
                nudged[k][index] += sign * eps
                values.append(np.sum(conv_by_scipy(*nudged, stride, padding) * dout))
            grad[index] = (values[0] - values[1]) / (2 * eps)
        grads.append(grad)
    return tuple(grads)


def test_conv2d_backward_checker_is_a_gradient_check():
    assert check.conv2d_backward(conv_backward_by_differences)

    def no_overlap_sum(dout, x, w, b, stride=1, padding=0):  # dx wrong, dw and db right
        dx, dw, db = conv_backward_by_differences(dout, x, w, b, stride, padding)
        return np.zeros_like(dx), dw, db

    def two_gradients(dout, x, w, b, stride=1, padding=0):
        return conv_backward_by_differences(dout, x, w, b, stride, padding)[:2]

    def unwritten(dout, x, w, b, stride=1, padding=0):
        raise NotImplementedError

    assert "Case 1" in check.conv2d_backward(no_overlap_sum).message
    assert "tuple of 3 arrays" in check.conv2d_backward(two_gradients).message
    assert check.conv2d_backward(unwritten).status == "not attempted"


def test_score_judges_answers_never_verdicts():
    """What a sandbox hands back is answers: a claimed status is not one of them."""
    forged = {"values": {"conv1_shape": "correct", "conv1_params": {"status": "correct"},
                         "total_params": [[1, 2], [3]], "pool1_shape": {"object": "Fake"}}}
    feedback = check.score(check.HW1, forged, None)
    assert set(HOMEWORK_STATUSES(feedback)) <= {"wrong", "not attempted"}
    right = {"values": {"conv1_shape": [96, 110, 110], "conv1_params": 14_208}}
    feedback = check.score(check.HW1, right, None)
    assert feedback["conv1_shape"] and feedback["conv1_params"]
    assert feedback["total_params"].status == "not attempted"


def HOMEWORK_STATUSES(feedback):
    return [f.status for f in feedback.values()]


def test_homework3_task_draws_new_inputs_each_time():
    task_a, _ = check.grading_task(check.HW3, 1)
    task_b, _ = check.grading_task(check.HW3, 2)
    assert len(task_a["calls"]) == 17
    assert task_a["calls"][1]["args"] != task_b["calls"][1]["args"]
    assert task_a["calls"][0]["args"] == task_b["calls"][0]["args"]  # the lecture's example


def test_points_make_implementation_worth_more_than_blanks():
    totals = {hw: sum(points.values()) for hw, points in check.POINTS.items()}
    assert totals == {check.HW1: 25, check.HW2: 12, check.HW3: 40}
    assert set(check.POINTS[check.HW3]) == set(check.HOMEWORK[check.HW3])


# --------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------

def test_student_source_replaces_regions_and_blanks():
    source = "\n".join([
        "def f(x):",
        "    # keep this comment",
        "    ### BEGIN SOLUTION",
        "    return 2 * x",
        "    ### END SOLUTION",
        "answer = (64, 55, 55)  # worked out  ### BLANK",
        "a, b = 1, 2  ### BLANK",
        "check(answer)",
    ])
    assert tool.student_source(source) == "\n".join([
        "def f(x):",
        "    # keep this comment",
        "    # YOUR CODE HERE",
        "    raise NotImplementedError",
        "answer = ...",
        "a, b = ...",
        "check(answer)",
    ])
    markdown = "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert tool.student_source(markdown, "markdown") == "Why?\nYOUR ANSWER HERE"


@pytest.mark.parametrize("source, words", [
    ("### BEGIN SOLUTION\nx = 1", "without an ### END"),
    ("x = 1\n### END SOLUTION", "without a ### BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ("x = 1  ### BEGIN SOLUTION", "line of its own"),
    ("check(42)  ### BLANK", "must end an assignment"),
    ("x ==  ### BLANK", "must end an assignment"),
])
def test_student_source_refuses_bad_marks(source, words):
    with pytest.raises(tool.GenerateError, match=re.escape(words)):
        tool.student_source(source, where="cell 3")


def test_student_notebook_clears_outputs_and_keeps_the_solution():
    solution = nbformat.read(SOLUTIONS[0], as_version=4)
    before = nbformat.writes(solution)
    student = tool.student_notebook(solution)
    assert nbformat.writes(solution) == before
    assert [c.id for c in student.cells] == [c.id for c in solution.cells]
    for cell in student.cells:
        assert "execution" not in cell.metadata
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert tool.BEGIN not in cell.source and tool.BLANK not in cell.source


def test_every_solution_has_marks_and_names_its_homework():
    assert [p.stem for p in SOLUTIONS] == list(check.HOMEWORK)
    for path in SOLUTIONS:
        text = path.read_text(encoding="utf-8")
        assert tool.BEGIN in text or tool.BLANK in text
        assert nbformat.reads(text, as_version=4).metadata["cnnlib"]["homework"] == path.stem


def test_committed_student_notebooks_are_what_the_generator_writes():
    status = tool.generate(SOLUTIONS, STUDENT_DIR, check=True)
    assert set(status.values()) == {"unchanged"}, (
        f"{status}: run `python -m cnnlib.homework generate` and commit the result")
    assert tool.main(["generate", "--check", "--out", str(STUDENT_DIR)]) == 0


def test_generator_regenerates_stale_and_refuses_edited(tmp_path, capsys):
    assert set(tool.generate(SOLUTIONS, tmp_path).values()) == {"written"}
    stale, edited, removed = (tmp_path / p.name for p in SOLUTIONS)
    # stale: what the generator wrote for an older solution (fingerprint still matches)
    nb = nbformat.read(stale, as_version=4)
    nb.cells[0].source += "\n\nAn older version of this solution."
    nb.metadata["cnnlib"].pop("generated")
    nb.metadata["cnnlib"]["generated"] = generator.fingerprint(
        generator._notebook_text(nb))
    nbformat.write(nb, stale)
    assert tool.generate(SOLUTIONS, tmp_path, check=True)[stale] == "stale"
    # edited by hand: the fingerprint no longer matches
    edited.write_text(edited.read_text(encoding="utf-8").replace("...", "42", 1),
                      encoding="utf-8")
    removed.unlink()
    digests = {p: sha256(p) for p in (stale, edited)}

    assert tool.main(["generate", "--out", str(tmp_path), *map(str, SOLUTIONS)]) == 1
    assert "--force" in capsys.readouterr().err
    assert {p: sha256(p) for p in (stale, edited)} == digests and not removed.exists()
    assert tool.generate(SOLUTIONS, tmp_path, check=True)[edited] == "edited"

    edited.write_bytes((STUDENT_DIR / edited.name).read_bytes())   # undo the hand edit
    status = tool.generate(SOLUTIONS, tmp_path)                    # no --force needed
    assert status == {stale: "written", edited: "unchanged", removed: "written"}
    for path in (stale, edited, removed):
        assert path.read_bytes() == (STUDENT_DIR / path.name).read_bytes()

    edited.write_text(edited.read_text(encoding="utf-8").replace("...", "42", 1),
                      encoding="utf-8")
    assert tool.generate(SOLUTIONS, tmp_path, force=True)[edited] == "written"


def test_generator_never_writes_through_a_link_and_checks_before_writing(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "solution.ipynb"
    victim.write_text("the instructor's solution", encoding="utf-8")
    out = tmp_path / "student"
    out.mkdir()
    (out / SOLUTIONS[0].name).symlink_to(victim)
    (out / SOLUTIONS[1].name).symlink_to(outside / "missing.ipynb")   # a broken link
    for force in (False, True):
        status = tool.generate(SOLUTIONS, out, force=force)
        assert status[out / SOLUTIONS[0].name].startswith("refused: a symbolic link")
        assert status[out / SOLUTIONS[1].name].startswith("refused: a symbolic link")
        assert not (out / SOLUTIONS[2].name).exists()         # nothing written at all
    assert victim.read_text(encoding="utf-8") == "the instructor's solution"
    assert not (outside / "missing.ipynb").exists()

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    with pytest.raises(tool.GenerateError, match="not a folder"):
        tool.generate(SOLUTIONS, blocked / "student")


# --------------------------------------------------------------------------------------------
# Solution notebooks: stored with every check passing
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebooks_are_stored_with_every_check_correct(path):
    nb = nbformat.read(path, as_version=4)
    texts = [o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
             for o in c.outputs]
    assert all(c.outputs or c.source.startswith(("import", "from", "def")) for c in nb.cells
               if c.cell_type == "code"), "store the solution notebooks executed"
    statuses = re.findall(r"^[✔✘…] .*?: (correct|wrong|not attempted)", "\n".join(texts), re.M)
    statuses += re.findall(r"^Feedback\(.*, '(correct|wrong|not attempted)', \.\.\.\)",
                           "\n".join(texts), re.M)
    assert statuses == ["correct"] * len(check.HOMEWORK[path.stem])


# --------------------------------------------------------------------------------------------
# Grader
# --------------------------------------------------------------------------------------------

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def graded_samples(tmp_path_factory):
    digests = {p: sha256(p) for p in SAMPLES_DIR.iterdir()}
    lines = []
    out = tmp_path_factory.mktemp("scores") / "scores.csv"
    grader.grade(SAMPLES_DIR, out, timeout=TIMEOUT, progress=lines.append, jobs=2)
    rows = {row["submission"]: row for row in read_csv(out)}
    return digests, lines, rows


@needs_bwrap
def test_grader_scores_the_samples(graded_samples):
    _, lines, rows = graded_samples
    summary = {name: (row["total"], row["max"], row["reason"]) for name, row in rows.items()}
    assert summary["correct_hw3.ipynb"] == ("40", "40", "")
    # conv2 without bias, pool5 as (H, W, C), fc6 without bias, fc8 and its shape left blank,
    # total without biases: 25 - 6 = 19
    assert summary["partly_wrong_hw1.ipynb"][:2] == ("19", "25")
    assert summary["partly_wrong_hw1.ipynb"][2] == (
        "wrong: conv2_params, pool5_shape, fc6_params, total_params; "
        "not attempted: fc8_shape, fc8_params")
    assert summary["crashing_hw2.ipynb"][:2] == ("2", "12")
    assert re.fullmatch(r"crashed in cell \d+: AttributeError: .*summary.*",
                        summary["crashing_hw2.ipynb"][2])
    assert summary["infinite_loop_hw3.ipynb"][:2] == ("10", "40")
    assert summary["infinite_loop_hw3.ipynb"][2] == "timed out calling max_pool2d_forward"
    assert summary["empty_hw1.ipynb"] == ("0", "25", "empty submission")
    assert len(lines) == len(rows) == 5
    assert {row["sandbox"] for row in rows.values()} == {"bwrap"}
    assert any(re.match(r"\[\d/5\] correct_hw3.ipynb: 40/40 \(", line) for line in lines)


@needs_bwrap
def test_score_table_columns(graded_samples):
    _, _, rows = graded_samples
    row = rows["partly_wrong_hw1.ipynb"]
    assert row["homework"] == "hw1_zfnet_parameters"
    assert (row["hw1.conv1_shape"], row["hw1.conv2_params"], row["hw1.fc8_shape"]) == ("1", "0",
                                                                                      "0")
    assert rows["correct_hw3.ipynb"]["hw1.conv1_shape"] == ""
    assert rows["correct_hw3.ipynb"]["hw3.conv2d_backward"] == "15"
    assert rows["crashing_hw2.ipynb"]["hw2.model"] == "0"
    assert rows["crashing_hw2.ipynb"]["hw2.fc_share"] == "2"
    assert list(row)[-5:] == ["total", "max", "sandbox", "seconds", "reason"]


@needs_bwrap
def test_grader_never_modifies_a_submission(graded_samples):
    digests, _, _ = graded_samples
    assert {p: sha256(p) for p in SAMPLES_DIR.iterdir()} == digests


@needs_bwrap
def test_student_notebooks_run_to_the_end_with_every_check_not_attempted(tmp_path):
    for path in STUDENT_DIR.glob("*.ipynb"):
        shutil.copy(path, tmp_path / path.name)
    results = grader.grade(tmp_path, tmp_path / "scores.csv", timeout=60, jobs=2)
    assert sorted(r.homework for r in results) == sorted(check.HOMEWORK)
    for result in results:
        assert result.reason == "not attempted", (result.submission, result.reason)
        assert set(result.statuses.values()) == {"not attempted"}, result.statuses


def snapshot(*folders):
    """Every file under the folders with its bytes' digest (links and special files named)."""
    state = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in (".venv", "__pycache__", ".git")]
            for name in dirs + files:
                path = os.path.join(root, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    state[path] = "special" if not os.path.isdir(path) else "folder"
                else:
                    with open(path, "rb") as file:
                        state[path] = hashlib.sha256(file.read()).hexdigest()
    return state


def runners_alive() -> list:
    alive = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                if b"/grader/runner.py" in file.read():
                    alive.append(pid)
        except OSError:
            pass
    return alive


# Each hostile submission -> the most its honest work earns (what it computed itself).
HONEST = {
    "forged_log_hw1.ipynb": 0, "monkeypatch_checker_hw1.ipynb": 0,
    "forbidden_library_hw3.ipynb": 0, "sys_path_hw3.ipynb": 0, "read_solution_hw2.ipynb": 0,
    "write_outside_hw1.ipynb": 0, "kill_parent_hw3.ipynb": 5,
    "fork_and_detach_hw1.ipynb": 1, "memory_hog_hw3.ipynb": 5, "output_flood_hw1.ipynb": 1,
    "infinite_loop_hw3.ipynb": 5, "leak_secrets_hw2.ipynb": 0,
    "mislabelled_hw1.ipynb": 40, "no_check_cells_hw3.ipynb": 40,
    # made below: special files and odd names
    "pipe_hw1.ipynb": 0, "folder_hw2.ipynb": 0, "link_to_solution_hw3.ipynb": 0,
    "broken_link.ipynb": 0, "socket_hw1.ipynb": 0, "UPPER_HW3.IPYNB": 40,
    "as_json_hw3.json": 40, "\\xff\\xfe_hw3.ipynb": 40,
    '=HYPERLINK("x")_hw3.ipynb': 40, "not_json_hw2.ipynb": 0,
}


def hostile_folder(folder: Path) -> None:
    """Copy the hostile notebooks and make the files git cannot hold."""
    for path in HOSTILE_DIR.glob("*.ipynb"):
        shutil.copy(path, folder / path.name)
    correct = SAMPLES_DIR / "correct_hw3.ipynb"
    os.mkfifo(folder / "pipe_hw1.ipynb")
    (folder / "folder_hw2.ipynb").mkdir()
    (folder / "folder_hw2.ipynb" / "inside_hw2.txt").write_text("not graded")
    (folder / "link_to_solution_hw3.ipynb").symlink_to(SOLUTIONS[2])
    (folder / "broken_link.ipynb").symlink_to(folder.parent / "nowhere.ipynb")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "socket_hw1.ipynb"))
    server.close()
    shutil.copy(correct, folder / "UPPER_HW3.IPYNB")
    shutil.copy(correct, folder / "as_json_hw3.json")
    shutil.copy(correct, os.path.join(os.fsencode(folder), b"\xff\xfe_hw3.ipynb"))
    shutil.copy(correct, folder / '=HYPERLINK("x")_hw3.ipynb')
    (folder / "not_json_hw2.ipynb").write_bytes(b"\x00\xff{not json")


@needs_bwrap
def test_hostile_submissions_forge_nothing_and_harm_nothing(tmp_path):
    assert BWRAP is not None, "CI must install bubblewrap (.ci/run)"
    folder, canary = tmp_path / "submissions", tmp_path / "canary"
    folder.mkdir()
    canary.mkdir()
    (canary / "classmate_hw1.ipynb").write_text("a classmate's work")
    hostile_folder(folder)
    home_startup = Path.home() / ".ipython" / "profile_default" / "startup"
    repository = Path(__file__).resolve().parent.parent
    watched = [folder, canary, repository / "notebooks", repository / "cnnlib",
               repository / "tests", home_startup, Path("/tmp")]
    before = snapshot(*[w for w in watched if w.exists() and w != Path("/tmp")])
    tmp_before = set(os.listdir("/tmp"))
    out = tmp_path / "scores.csv"

    results = grader.grade(folder, out, timeout=TIMEOUT, jobs=2)

    rows = read_csv(out)
    for row in rows:  # the CSV quotes a name that a spreadsheet would read as a formula
        row["submission"] = row["submission"].removeprefix("'")
    names = [row["submission"] for row in rows]
    assert sorted(names) == sorted(HONEST), "exactly one row per submission"
    forged = [(row["submission"], row["total"]) for row in rows
              if int(row["total"]) > HONEST[row["submission"]]]
    assert forged == []
    for row in rows:
        if row["total"] != row["max"]:
            assert row["reason"], row
    by_name = {row["submission"]: row for row in rows}
    assert by_name["link_to_solution_hw3.ipynb"]["reason"].startswith("refused: a symbolic")
    assert by_name["pipe_hw1.ipynb"]["reason"].startswith("refused: not a regular file")
    assert by_name["folder_hw2.ipynb"]["reason"].startswith("refused: a folder")
    assert by_name["output_flood_hw1.ipynb"]["reason"].startswith("stopped: wrote more")
    assert by_name["infinite_loop_hw3.ipynb"]["reason"].startswith("timed out after")
    assert by_name["mislabelled_hw1.ipynb"]["homework"] == "hw3_conv_and_pool_from_scratch"
    assert by_name["forbidden_library_hw3.ipynb"]["total"] == "0"
    # no scipy on any path: its conv2d_forward fails to import it (at once, not by timing out)
    assert by_name["sys_path_hw3.ipynb"]["reason"].startswith("wrong: conv2d_forward")
    # honest work still counts after an attack that failed
    assert (by_name["fork_and_detach_hw1.ipynb"]["total"], by_name["kill_parent_hw3.ipynb"][
        "total"], by_name["no_check_cells_hw3.ipynb"]["total"]) == ("1", "5", "40")
    assert by_name["link_to_solution_hw3.ipynb"]["max"] == "40"   # named hw3: its row says so
    text = out.read_text(encoding="utf-8")
    assert "root:" not in text and "PATH=/root" not in text
    with open(out, newline="", encoding="utf-8") as file:
        cells = [cell for line in csv.reader(file) for cell in line]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], "a spreadsheet formula"
    assert "'=HYPERLINK(\"x\")_hw3.ipynb" in cells
    assert len(results) == len(rows)

    after = snapshot(*[w for w in watched if w.exists() and w != Path("/tmp")])
    assert after == before, "a file outside the sandbox's scratch folder changed"
    assert not home_startup.joinpath("00-pwned.py").exists()
    assert not {n for n in set(os.listdir("/tmp")) - tmp_before if "pwned" in n}
    assert runners_alive() == [], "a process of a submission outlived grading"


def test_grader_refuses_bad_options_and_an_unwritable_table_before_grading(tmp_path):
    (tmp_path / "kim_hw2.ipynb").write_bytes(b"")
    for timeout in (0, -5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="--timeout"):
            grader.grade(tmp_path, tmp_path / "out.csv", timeout=timeout)
    with pytest.raises(ValueError, match="--jobs"):
        grader.grade(tmp_path, tmp_path / "out.csv", jobs=0)
    assert tool.main(["grade", str(tmp_path), "--timeout", "nan"]) == 2
    with pytest.raises(OSError):
        grader.grade(tmp_path, tmp_path / "missing" / "out.csv", sandbox=False)


def test_grader_refuses_without_a_sandbox_unless_told(tmp_path, monkeypatch, capsys):
    (tmp_path / "kim_hw2.ipynb").write_bytes(b"")
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    out = tmp_path / "out.csv"
    assert tool.main(["grade", str(tmp_path), "--out", str(out)]) == 2
    assert "--no-sandbox" in capsys.readouterr().err and not out.exists()
    assert tool.main(["grade", str(tmp_path), "--out", str(out), "--no-sandbox"]) == 0
    (row,) = read_csv(out)
    assert row["sandbox"] == "none (--no-sandbox)" and row["reason"] == "empty submission"


def test_grader_handles_unreadable_and_unknown_files_without_running_them(tmp_path):
    (tmp_path / "kim_hw2.ipynb").write_bytes(b"")
    (tmp_path / "lee.ipynb").write_text("{not json", encoding="utf-8")
    results = {r.submission: r for r in grader.grade(tmp_path, tmp_path / "o.csv",
                                                     sandbox=False)}
    assert (results["kim_hw2.ipynb"].homework, results["kim_hw2.ipynb"].reason) == (
        "hw2_build_zfnet", "empty submission")
    assert results["lee.ipynb"].reason.startswith("unreadable notebook")
    assert results["lee.ipynb"].total == results["lee.ipynb"].maximum == 0


def test_homework_is_identified_by_content_first():
    assert grader.identify(["def conv2d_forward(x):\n    pass"],
                           {"cnnlib": {"homework": "hw1_zfnet_parameters"}},
                           "kim_hw1.ipynb") == "hw3_conv_and_pool_from_scratch"
    assert grader.identify(["x = 1"], {"cnnlib": {"homework": "hw2_build_zfnet"}},
                           "kim.ipynb") == "hw2_build_zfnet"
    assert grader.identify(["x = 1"], {}, "kim-hw1.ipynb") == "hw1_zfnet_parameters"
    assert grader.identify(["x = 1"], {}, "kim.ipynb") == ""


def test_csv_cells_cannot_be_formulas():
    assert [grader.safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "ok", 3)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "ok", "3"]


# --- the engine on answers numpy cannot shape ------------------------------------------------

def test_ragged_answer_is_wrong_not_a_numpy_error():
    from cnnlib.checks import check_function, check_value

    feedback = check_value("shape", [1, [2, 3]], (3, 2), "Think of (H, W).")
    assert feedback.status == "wrong" and "Think of (H, W)." in feedback.message
    feedback = check_function("f", lambda x: [x, [x, x]], lambda x: np.zeros(2),
                              [((1.0,), {})], "Return an array.")
    assert feedback.status == "wrong" and "rows of different lengths" in feedback.message


def test_only_numbers_count_as_a_number():
    from cnnlib.checks import check_value

    feedback = check_value("count", "3072", 3072, "Count R, G and B.")
    assert feedback.status == "wrong" and "without quotes" in feedback.message
    assert "3072" not in feedback.message
    assert check_value("count", True, 1, "One.").status == "wrong"
    assert check_value("count", 3072.0, 3072, "Count R, G and B.").status == "correct"
    assert check_value("shape", np.array([8, 3]), (8, 3), "NCHW").status == "correct"


def test_without_a_sandbox_the_same_answers_get_the_same_scores(tmp_path):
    for name in ("correct_hw3.ipynb", "partly_wrong_hw1.ipynb"):
        shutil.copy(SAMPLES_DIR / name, tmp_path / name)
    grader.grade(tmp_path, tmp_path / "scores.csv", timeout=30, jobs=2, sandbox=False)
    rows = {row["submission"]: row for row in read_csv(tmp_path / "scores.csv")}
    assert (rows["correct_hw3.ipynb"]["total"], rows["partly_wrong_hw1.ipynb"]["total"]) == (
        "40", "19")
    assert {row["sandbox"] for row in rows.values()} == {"none (--no-sandbox)"}

"""Homework: checkers, the student-notebook generator and the grader.

Oracles: the numbers of AlexNet's table are worked out by hand from the lecture's formulas
(output size floor((W + 2P - F) / S) + 1, conv parameters (k*k*C_in + 1) * C_out, linear
(in + 1) * out) and REFERENCE.md's torchvision total 61,100,840; the from-scratch functions
are checked against scipy and small loops written here, not against cnnlib.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from scipy.signal import correlate

from cnnlib import homework as tool
from cnnlib.checks import homework as check
from cnnlib.layers import (
    AdaptiveAvgPool2d,
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
TIMEOUT = 12  # seconds per sample notebook: the infinite loop costs this much

# AlexNet (torchvision) by hand: row -> (output shape, parameters).
TABLE = {
    "conv1": ((64, 55, 55), (11 * 11 * 3 + 1) * 64),        # (224 + 4 - 11) // 4 + 1 = 55
    "pool1": ((64, 27, 27), 0),                              # (55 - 3) // 2 + 1 = 27
    "conv2": ((192, 27, 27), (5 * 5 * 64 + 1) * 192),
    "pool2": ((192, 13, 13), 0),
    "conv3": ((384, 13, 13), (3 * 3 * 192 + 1) * 384),
    "conv4": ((256, 13, 13), (3 * 3 * 384 + 1) * 256),
    "conv5": ((256, 13, 13), (3 * 3 * 256 + 1) * 256),
    "pool3": ((256, 6, 6), 0),
    "avgpool": ((256, 6, 6), 0),
    "flatten": ((9216,), 0),
    "fc6": ((4096,), (9216 + 1) * 4096),
    "fc7": ((4096,), (4096 + 1) * 4096),
    "fc8": ((1000,), (4096 + 1) * 1000),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Checkers
# --------------------------------------------------------------------------------------------

def test_hand_table_adds_up_to_torchvision_total():
    assert sum(params for _, params in TABLE.values()) == 61_100_840


@pytest.mark.parametrize("row", list(TABLE))
def test_alexnet_layer_accepts_the_right_row(row):
    shape, params = TABLE[row]
    report = check.alexnet_layer(row, shape, params)
    assert report and [f.status for f in report] == ["correct", "correct"]


@pytest.mark.parametrize("row, shape, params, shape_words, params_words", [
    ("conv1", (64, 54, 54), 23_232, "both sides", "bias"),   # no padding; no bias
    ("conv1", (55, 55, 64), 23_296, "channels first", ""),
    ("conv1", (1, 64, 55, 55), 23_296, "batch axis", ""),
    ("conv1", (64, 56, 56), 23_296, "round down", ""),
    ("pool1", (64, 27, 27), 64 * 9, "", "learn"),
    ("fc6", (4096,), 9216 * 4096, "", "bias"),
    ("conv2", (192, 27, 27), (5 * 5 + 1) * 192, "", "as deep as its input"),
])
def test_alexnet_layer_explains_typical_mistakes_without_the_answer(
        row, shape, params, shape_words, params_words):
    expected_shape, expected_params = TABLE[row]
    shape_fb, params_fb = check.alexnet_layer(row, shape, params)
    assert shape_fb.status == ("correct" if shape == expected_shape else "wrong")
    assert params_fb.status == ("correct" if params == expected_params else "wrong")
    assert shape_words in shape_fb.message and params_words in params_fb.message
    for feedback in (shape_fb, params_fb):
        assert str(expected_params) not in feedback.message
        assert f"{expected_params:,}" not in feedback.message
        assert str(expected_shape) not in feedback.message


def test_alexnet_layer_blanks_are_not_attempted_and_ints_count_as_1d_shapes():
    assert [f.status for f in check.alexnet_layer("fc7", ..., ...)] == ["not attempted"] * 2
    assert check.alexnet_layer("flatten", 9216, 0)
    with pytest.raises(ValueError, match="conv1"):
        check.alexnet_layer("conv6", (1,), 0)


def test_alexnet_total():
    assert check.alexnet_total(61_100_840)
    no_biases = check.alexnet_total(61_100_840 - (64 + 192 + 384 + 256 + 256 + 4096 * 2 + 1000))
    assert no_biases.status == "wrong" and "biases" in no_biases.message
    assert check.alexnet_total(...).status == "not attempted"


def torchvision_alexnet(conv2_padding=2, last_bias=True, drop_relu=False, head=True):
    """torchvision's AlexNet written out flat from REFERENCE.md (variants for mistakes)."""
    layers = [Conv2d(3, 64, 11, stride=4, padding=2), ReLU(), MaxPool2d(3, 2),
              Conv2d(64, 192, 5, padding=conv2_padding), ReLU(), MaxPool2d(3, 2),
              Conv2d(192, 384, 3, padding=1), ReLU(), Conv2d(384, 256, 3, padding=1), ReLU(),
              Conv2d(256, 256, 3, padding=1), ReLU(), MaxPool2d(3, 2),
              AdaptiveAvgPool2d(6), Flatten()]
    if head:
        layers += [Dropout(), Linear(9216, 4096), ReLU(), Dropout(), Linear(4096, 4096), ReLU(),
                   Linear(4096, 1000, bias=last_bias)]
    if drop_relu:
        del layers[1]
    return Sequential(*layers)


def test_alexnet_model_accepts_a_flat_model_and_a_layer():
    assert check.alexnet_model(torchvision_alexnet)
    assert check.alexnet_model(torchvision_alexnet())


@pytest.mark.parametrize("build, words", [
    (lambda: torchvision_alexnet(conv2_padding=1), ["Layer 4", "padding differs"]),
    (lambda: torchvision_alexnet(drop_relu=True), ["Layer 2", "different kind"]),
    (lambda: torchvision_alexnet(last_bias=False), ["Layer 22", "bias"]),
    (lambda: torchvision_alexnet(head=False), ["stops after layer 15"]),
    (lambda: Sequential(*torchvision_alexnet(), ReLU()), ["more layers", "layer 22"]),
    (lambda: Conv2d(3, 64, 11, stride="4"), ["TypeError: stride must be"]),
    (lambda: "AlexNet", ["not a str"]),
])
def test_alexnet_model_points_at_the_first_difference(build, words):
    feedback = check.alexnet_model(build)
    assert feedback.status == "wrong"
    for word in words:
        assert word in feedback.message
    assert "(2, 2)" not in feedback.message


def test_alexnet_model_not_attempted():
    def build():
        raise NotImplementedError

    assert check.alexnet_model(build).status == "not attempted"
    assert check.alexnet_model(...).status == "not attempted"


def test_fc_share():
    share = (TABLE["fc6"][1] + TABLE["fc7"][1] + TABLE["fc8"][1]) / 61_100_840
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
    assert "finite-difference" in check.max_pool2d_backward(pool_backward_by_loops).message

    def overwrite(dout, x, kernel_size, stride):
        return pool_backward_by_loops(dout, x, kernel_size, stride, accumulate=False)

    def square_only(x, kernel_size, stride):  # pools a square corner of the input
        return pool_by_loops(x[..., :x.shape[2]], kernel_size, stride)

    assert "overlapping" in check.max_pool2d_backward(overwrite).message
    assert "non-square" in check.max_pool2d_forward(square_only).message
    assert check.max_pool2d_backward(...).status == "not attempted"


def test_checks_log_only_when_grading(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.delenv(check.GRADING_LOG_ENV, raising=False)
    check.alexnet_total(1)
    assert not log.exists()
    monkeypatch.setenv(check.GRADING_LOG_ENV, str(log))
    check.alexnet_layer("conv1", (64, 55, 55), ...)
    check.alexnet_total(1)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records == [
        {"homework": "hw1_alexnet_parameters", "exercise": "conv1_shape", "status": "correct"},
        {"homework": "hw1_alexnet_parameters", "exercise": "conv1_params",
         "status": "not attempted"},
        {"homework": "hw1_alexnet_parameters", "exercise": "total_params", "status": "wrong"},
    ]


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


def test_generator_never_overwrites_a_students_changes(tmp_path, capsys):
    assert set(tool.generate(SOLUTIONS, tmp_path).values()) == {"written"}
    edited, removed = tmp_path / SOLUTIONS[0].name, tmp_path / SOLUTIONS[1].name
    edited.write_text(edited.read_text(encoding="utf-8").replace("...", "(64, 55, 55)", 1),
                      encoding="utf-8")
    removed.unlink()
    digest = sha256(edited)

    assert tool.main(["generate", "--out", str(tmp_path), *map(str, SOLUTIONS)]) == 1
    assert "--force" in capsys.readouterr().err
    assert sha256(edited) == digest and not removed.exists()  # nothing written at all
    assert tool.generate(SOLUTIONS, tmp_path, check=True)[edited] == "differs"
    assert sha256(edited) == digest
    assert tool.main(["generate", "--check", "--out", str(tmp_path),
                      *map(str, SOLUTIONS)]) == 1

    status = tool.generate(SOLUTIONS, tmp_path, force=True)
    assert status[edited] == "written" and status[removed] == "written"
    assert edited.read_bytes() == (STUDENT_DIR / edited.name).read_bytes()


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

@pytest.fixture(scope="module")
def graded_samples(tmp_path_factory):
    digests = {p: sha256(p) for p in SAMPLES_DIR.iterdir()}
    lines = []
    results = tool.grade(SAMPLES_DIR, timeout=TIMEOUT, progress=lines.append, jobs=2)
    out = tmp_path_factory.mktemp("scores") / "scores.csv"
    tool.write_scores(results, out)
    with open(out, newline="", encoding="utf-8") as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    return digests, lines, rows


def test_grader_scores_the_samples(graded_samples):
    _, lines, rows = graded_samples
    summary = {name: (row["total"], row["max"], row["reason"]) for name, row in rows.items()}
    assert summary["correct_hw3.ipynb"] == ("3", "3", "")
    # conv2 without bias, pool3 as (H, W, C), fc6 without bias, fc8 and its shape left blank,
    # total without biases: 27 - 6 = 21
    assert summary["partly_wrong_hw1.ipynb"] == ("21", "27", "")
    assert summary["crashing_hw2.ipynb"][:2] == ("1", "2")
    assert re.fullmatch(r"crashed in cell \d+: AttributeError: .*summary.*",
                        summary["crashing_hw2.ipynb"][2])
    assert summary["infinite_loop_hw3.ipynb"][:2] == ("1", "3")
    assert summary["infinite_loop_hw3.ipynb"][2].startswith(f"timed out after {TIMEOUT} s")
    assert summary["empty_hw1.ipynb"] == ("0", "27", "empty submission")
    assert len(lines) == len(rows) == 5
    assert any(re.match(r"\[\d/5\] correct_hw3.ipynb: 3/3 \(", line) for line in lines)


def test_score_table_columns(graded_samples):
    _, _, rows = graded_samples
    row = rows["partly_wrong_hw1.ipynb"]
    assert row["homework"] == "hw1_alexnet_parameters"
    assert (row["hw1.conv1_shape"], row["hw1.conv2_params"], row["hw1.fc8_shape"]) == ("1", "0",
                                                                                      "0")
    assert rows["correct_hw3.ipynb"]["hw1.conv1_shape"] == ""
    assert rows["crashing_hw2.ipynb"]["hw2.model"] == "0"
    assert rows["crashing_hw2.ipynb"]["hw2.fc_share"] == "1"
    assert list(row)[-3:] == ["total", "max", "reason"]


def test_grader_never_modifies_a_submission(graded_samples):
    digests, _, _ = graded_samples
    assert {p: sha256(p) for p in SAMPLES_DIR.iterdir()} == digests


def test_student_notebooks_run_to_the_end_with_every_check_not_attempted(tmp_path):
    for path in STUDENT_DIR.glob("*.ipynb"):
        shutil.copy(path, tmp_path)
    results = tool.grade(tmp_path, timeout=60, progress=None, jobs=2)
    assert sorted(r.homework for r in results) == sorted(check.HOMEWORK)
    for result in results:
        assert result.reason == "not attempted", (result.submission, result.reason)
        assert set(result.statuses.values()) == {"not attempted"}, result.statuses


def test_grader_handles_unreadable_and_unknown_files_without_a_kernel(tmp_path):
    (tmp_path / "kim_hw2.ipynb").write_bytes(b"")
    (tmp_path / "lee.ipynb").write_text("{not json", encoding="utf-8")
    results = {r.submission: r for r in tool.grade(tmp_path, progress=None)}
    assert (results["kim_hw2.ipynb"].homework, results["kim_hw2.ipynb"].reason) == (
        "hw2_build_alexnet", "empty submission")
    assert results["lee.ipynb"].reason.startswith("unreadable notebook")
    assert results["lee.ipynb"].total == results["lee.ipynb"].maximum == 0


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

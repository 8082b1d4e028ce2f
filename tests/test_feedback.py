"""Feedback pages from the grader's companion: right, partly wrong, empty and crashed
submissions, graded once for the module; no expected value, escaped texts, English and Korean."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cnnlib.homework.instructor import feedback, grader, main, sandbox
from cnnlib.homework.instructor.reference import PAPER, table

HOMEWORK = Path(__file__).resolve().parents[1] / "notebooks" / "homework"
SAMPLES = HOMEWORK / "samples"
BWRAP = sandbox.bwrap_path()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """alice: the solution (right); bob: partly wrong; carol: empty; dave: homework 2 that
    crashes. Collected as OUT/<id>/<notebook>, graded once."""
    top = tmp_path_factory.mktemp("class")
    for student, source, name in [
            ("alice", HOMEWORK / "hw1_zfnet_parameters.ipynb", "hw1_zfnet_parameters.ipynb"),
            ("bob", SAMPLES / "partly_wrong_hw1.ipynb", "hw1_zfnet_parameters.ipynb"),
            ("carol", SAMPLES / "empty_hw1.ipynb", "hw1_zfnet_parameters.ipynb"),
            ("dave", SAMPLES / "crashing_hw2.ipynb", "hw2_build_zfnet.ipynb")]:
        (top / "in" / student).mkdir(parents=True)
        shutil.copy(source, top / "in" / student / name)
    out = top / "scores.csv"
    grader.grade(top / "in", out, timeout=30, jobs=2, sandbox=BWRAP is not None)
    grades = grader.companion_path(out)
    assert main(["feedback", str(grades), "--out", str(top / "en")]) == 0
    assert main(["feedback", str(grades), "--out", str(top / "ko"), "--language", "ko"]) == 0
    return top, grades


def read(top, language, student, homework="hw1"):
    return (top / language / student / f"{homework}.html").read_text(encoding="utf-8")


class Text(HTMLParser):
    """The visible text of a page, and the ``src``/``href`` of every element."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("src", "href")]

    def handle_data(self, data):
        if self.lasttag not in ("style", "title"):
            self.text.append(data)


def parse(page):
    parser = Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", " ".join(parser.text)), parser


def test_the_companion_keeps_what_the_csv_does_not(graded):
    _, grades = graded
    data = json.loads(grades.read_text(encoding="utf-8"))
    by = {e["submission"]: e for e in data["submissions"]}
    bob = by["bob/hw1_zfnet_parameters.ipynb"]
    assert (bob["total"], bob["max"], bob["by_person"]) == (19, 25, {"looking_back": 3})
    assert bob["exercises"]["conv2_params"] == {
        "status": "wrong", "points": 0, "max": 1, "message": "Each filter also has one bias.",
        "mistake": "filter-bias", "invalid": ""}
    assert bob["exercises"]["fc8_shape"]["status"] == "not attempted"
    dave = by["dave/hw2_build_zfnet.ipynb"]
    assert dave["stopped"]["kind"] == "crashed" and dave["stopped"]["cell"] >= 1
    assert "summary" in dave["stopped"]["error"]
    # its model's 4th layer (a Conv2d) has another padding: a recognised kind of mistake
    assert dave["exercises"]["model"]["mistake"] == "model-Conv2d"
    assert by["carol/hw1_zfnet_parameters.ipynb"]["reason"] == "empty submission"


def test_a_right_submission(graded):
    top, _ = graded
    text, parser = parse(read(top, "en", "alice"))
    assert "Total from the grader: 25 of 25 points." in text
    assert "Your instructor grades 3 more points." in text
    assert text.count("✔ correct") == 25 and "✘" not in text
    assert "graded by your instructor" in text and "Looking back" in text


def test_a_partly_wrong_submission_gets_hints_never_the_expected_values(graded):
    top, _ = graded
    page = read(top, "en", "bob")
    text, _ = parse(page)
    assert "Total from the grader: 19 of 25 points." in text
    assert text.count("✘ wrong") == 4 and text.count("… not attempted") == 2
    assert "It looks like a common mistake: Each filter also has one bias." in text
    # the right parameter counts and shapes of bob's network (the paper's) are nowhere
    for row, (_, _, shape, params) in table(PAPER).items():
        if params > 0:
            assert not re.search(rf"\b{params}\b", page), row
        assert ", ".join(map(str, shape)) not in page, row
    assert not re.search(r"\b43,?\d{3},?\d{3}\b", page)   # no total of ZFNet's size


def test_an_empty_and_a_crashed_submission_say_why(graded):
    top, _ = graded
    text, _ = parse(read(top, "en", "carol"))
    assert "Nothing was graded" in text and "0 of 25" in text
    text, _ = parse(read(top, "en", "dave", "hw2"))
    assert re.search(r"Your notebook stopped with an error in code cell \d+: AttributeError", text)
    assert "graded by your instructor" in text
    korean, _ = parse(read(top, "ko", "dave", "hw2"))   # the hint, from its id, in Korean
    assert "여러분 신경망의 표와 비교하세요. 각 합성곱의 입력 채널과 출력 채널" in korean


def test_pages_are_accessible_and_offline(graded):
    top, _ = graded
    for page in (top / "en").rglob("*.html"):
        source = page.read_text(encoding="utf-8")
        _, parser = parse(source)
        assert "<html lang='en'>" in source and "<h1>" in source
        assert parser.links == [] and "<script" not in source
        assert "http" not in source and "scope='col'" in source


def test_the_korean_page_is_korean(graded):
    top, _ = graded
    page = read(top, "ko", "bob")
    text, _ = parse(re.sub(r"<code>.*?</code>", "", page))   # exercise names stay code
    assert "<html lang='ko'>" in page
    assert "자동 채점 합계: 25점 중 19점." in text
    assert "흔한 실수로 보입니다: 필터마다 편향도 하나씩 있습니다." in text
    assert "강사가 채점" in text and text.count("✘ 오답") == 4
    assert set(re.findall(r"[A-Za-z]{2,}", text)) <= {"cnnlib", "PyTorch", "hw"}


def test_untrusted_text_is_escaped_and_cut():
    entry = {"submission": "eve/hw2_build_zfnet.ipynb", "student": "default",
             "homework": "hw2_build_zfnet", "total": 0, "max": 12, "by_person": {},
             "stopped": {"kind": "crashed", "cell": 2,
                         "error": "<script>alert(1)</script>" + "x" * 2000},
             "exercises": {"model": {"status": "wrong", "points": 0, "max": 10,
                                     "message": "<img src=x onerror=alert(1)>", "mistake": ""}}}
    page = feedback.page(entry, "en", "en")
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert "x" * (feedback.MAX_SHOWN + 1) not in page


def test_a_bad_grades_file_is_refused_naming_the_fix(tmp_path, capsys):
    bad = tmp_path / "scores.csv"
    bad.write_text("student,total\n", encoding="utf-8")
    assert main(["feedback", str(bad), "--out", str(tmp_path / "fb")]) == 2
    assert "grades.json" in capsys.readouterr().err


def test_a_timed_out_page_names_the_cell_and_the_roster_chooses_the_language(tmp_path):
    entry = {"submission": "s9/hw3.ipynb", "student": "s9",
             "homework": "hw3_conv_and_pool_from_scratch", "total": 0, "max": 40,
             "by_person": {}, "stopped": {"kind": "timed out", "cell": 4, "seconds": 120.0},
             "exercises": {"conv2d_forward": {"status": "not run", "points": 0, "max": 10}}}
    text, _ = parse(feedback.page(entry, "en", "en"))
    assert ("Your notebook was stopped in code cell 4: it ran longer than the 120 s it is "
            "allowed.") in text and "– not run" in text
    grades = tmp_path / "g.grades.json"
    grades.write_text(json.dumps({"language": "en", "submissions": [entry]}), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,language\ns9,ko\n", encoding="utf-8")
    assert main(["feedback", str(grades), "--out", str(tmp_path / "fb"),
                 "--roster", str(roster)]) == 0
    page = (tmp_path / "fb" / "s9" / "hw3.html").read_text(encoding="utf-8")
    assert "<html lang='ko'>" in page and "코드 셀 4에서 중지" in page

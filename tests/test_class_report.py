"""The class report: its counts equal hand counts of a small synthetic companion; it loads
nothing from the network; every plot has a text alternative and a table."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from cnnlib.homework.instructor import main, report
from cnnlib.homework.selfcheck import HOMEWORK, HW1, HW3


def hw1(name, wrong=(), missing=(), mistakes=None, seconds=1.0):
    mistakes = mistakes or {}
    exercises = {ex: {"status": "wrong" if ex in wrong else "not attempted" if ex in missing
                      else "correct", "points": 0 if ex in wrong or ex in missing else 1,
                      "max": 1, "message": "", "mistake": mistakes.get(ex, "")}
                 for ex in HOMEWORK[HW1]}
    return {"submission": f"{name}/hw1.ipynb", "student": name, "homework": HW1,
            "exercises": exercises, "total": sum(e["points"] for e in exercises.values()),
            "max": 25, "seconds": seconds, "by_person": {"looking_back": 3}}


@pytest.fixture
def grades(tmp_path):
    submissions = [
        hw1("a", seconds=0.5),                                                    # 25
        hw1("b", wrong=("conv2_params", "total_params"),
            mistakes={"conv2_params": "filter-bias", "total_params": "no-biases"}),  # 23
        hw1("c", wrong=("conv2_params", "pool5_shape", "total_params"),
            mistakes={"conv2_params": "filter-bias", "pool5_shape": "channels-last"}),  # 22
        hw1("d", wrong=("conv2_params",), missing=("fc8_shape", "fc8_params"),
            mistakes={"conv2_params": "filter-bias"}, seconds=2.5),                  # 22
        hw1("e", missing=tuple(HOMEWORK[HW1])),                                   # 0
        {"submission": "f/hw3.ipynb", "student": "f", "homework": HW3, "total": 25,
         "max": 40, "seconds": 3.0, "exercises": {
             "conv2d_forward": {"status": "correct", "mistake": ""},
             "conv2d_backward": {"status": "wrong", "mistake": "finite-differences"},
             "max_pool2d_forward": {"status": "correct", "mistake": ""},
             "max_pool2d_backward": {"status": "correct", "mistake": ""}}},
    ]
    path = tmp_path / "scores.grades.json"
    path.write_text(json.dumps({"version": 1, "language": "en", "submissions": submissions}),
                    encoding="utf-8")
    return path


def test_counts_are_the_hand_counts(grades):
    counts = report.summary(json.loads(grades.read_text(encoding="utf-8")))
    one = counts[HW1]
    assert one["submissions"] == 5 and sorted(one["totals"]) == [0, 22, 22, 23, 25]
    assert dict(one["exercises"]["conv2_params"]) == {"correct": 1, "wrong": 3,
                                                      "not attempted": 1}
    assert dict(one["exercises"]["total_params"]) == {"correct": 2, "wrong": 2,
                                                      "not attempted": 1}
    assert dict(one["exercises"]["fc8_shape"]) == {"correct": 3, "not attempted": 2}
    assert dict(one["mistakes"]) == {("conv2_params", "filter-bias"): 3,
                                     ("total_params", "no-biases"): 1,
                                     ("pool5_shape", "channels-last"): 1}
    wrong, mistakes = report.revisit(counts)
    assert wrong == [(HW1, "conv2_params", 3), (HW1, "total_params", 2),
                     (HW1, "pool5_shape", 1)]
    assert mistakes[0] == (HW1, "conv2_params", "filter-bias", 3)


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.tables, self.cells = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        self.links += [v for k, v in attrs.items() if k in ("src", "href")]
        self.tables += tag == "table"

    def handle_data(self, data):
        self.cells.append(data.strip())


def test_the_page(grades, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(grades), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    parser = Page()
    parser.feed(page)
    top = page.split("<h2>", 2)[1]
    # what to revisit comes first: the exercises with the most wrong answers, the top mistake
    assert re.search(r"conv2_params</b>: 3 wrong.*total_params</b>: 2 wrong", top)
    assert "Each filter also has one bias. (hw1.conv2_params): 3 students" in top
    assert all(link.startswith("data:image/png;base64,") for link in parser.links)
    assert len(parser.images) == 4 and all(len(i.get("alt", "")) > 20 for i in parser.images)
    assert parser.tables >= 6 and "<html lang='en'>" in page
    assert "http" not in page.replace("data:image", "")
    assert "3 at 22" not in page and "2 at 22" in page      # alt text of hw1's scores
    assert "conv2_params: 1 correct, 3 wrong, 1 not attempted" in page
    assert "<th scope='row'>A backward pass by finite differences" in page


def test_the_page_in_korean(grades, tmp_path):
    """``--language ko``: the same counts, every heading, label and alternative text in Korean
    (from the catalog), the recognised mistakes in their Korean words."""
    from cnnlib.homework.selfcheck import MISTAKES
    from cnnlib.i18n import catalog

    out = tmp_path / "report.html"
    assert main(["report", str(grades), "--out", str(out), "--language", "ko"]) == 0
    page = out.read_text(encoding="utf-8")
    ko = catalog("ko")
    assert "<html lang='ko'>" in page and f"<h1>{ko[(None, 'Where the class stands')]}</h1>" in page
    top = page.split("<h2>", 2)[1]
    assert re.search(r"conv2_params</b>: 오답 3건.*total_params</b>: 오답 2건", top)
    assert f"{ko[(None, MISTAKES['filter-bias'])]} (hw1.conv2_params): 학생 3명" in top
    assert "22점 2건" in page and "conv2_params: 정답 1건, 오답 3건, 아직 풀지 않음 1건" in page
    text = re.sub(r"<style>.*?</style>|<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ",
                  page, flags=re.S)
    english = {w for w in re.findall(r"\b[a-z]{4,}\b", text)} - {"hw1", "hw3"}
    assert not english - set(" ".join(HOMEWORK[HW1] + HOMEWORK[HW3]).replace("_", " ").split()), \
        f"English words on the Korean page: {sorted(english)}"
    import cnnlib
    assert cnnlib.get_language() == "en", "the report put the language back"

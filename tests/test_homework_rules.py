"""What a homework notebook tells students about grading: points, who grades, course rules.

Every homework notebook (solution, student, both editions) holds two generated cells: the table
of each question's points and who grades it (from ``selfcheck.POINTS``, the one place the
grader reads them too) and the course rules (deadline, how to hand in, collaboration, AI use)
from the instructor's rules file, else "to be announced by your instructor". These tests read
the tables back from the notebooks as a student would and compare them with ``POINTS``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import nbformat
import pytest

from cnnlib.checks import homework as check
from cnnlib.homework import instructor as tool
from cnnlib.homework.instructor import generator, grader

ROOT = Path(__file__).resolve().parents[1]
HOMEWORK_DIR = ROOT / "notebooks" / "homework"
KOREAN_DIR = ROOT / "notebooks" / "ko" / "homework"
SOLUTIONS = sorted(HOMEWORK_DIR.glob("hw*.ipynb"))
KOREAN_SOLUTIONS = sorted(KOREAN_DIR.glob("hw*.ipynb"))
EXAMPLE = HOMEWORK_DIR / "rules.example.toml"
EVERY = [*SOLUTIONS, *sorted((HOMEWORK_DIR / "student").glob("hw*.ipynb")),
         *KOREAN_SOLUTIONS, *sorted((KOREAN_DIR / "student").glob("hw*.ipynb"))]
#: How each edition names the two graders, written here by hand (not read from the code).
GRADER = {"en": "the grader", "ko": "채점기"}
PERSON = {"en": "your instructor", "ko": "강사"}
TBA = {"en": "to be announced by your instructor", "ko": "강사가 알려 줄 예정입니다"}


def language(path: Path) -> str:
    return "ko" if KOREAN_DIR in path.parents else "en"


def tagged(nb, tag: str):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", ())]
    assert len(cells) == 1, f"one cell tagged {tag!r}, found {len(cells)}"
    assert cells[0].cell_type == "markdown"
    return cells[0]


def read_points(source: str) -> tuple[list[tuple[str, int, str]], int, str]:
    """The table's rows ``(question, points, graded by)``, its total, and the text after it."""
    rows, total = [], None
    for line in source.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 3 or set(cells[1]) <= set("-: "):
            continue
        if cells[1].strip("*").isdigit():
            if cells[0].startswith("**"):
                total = int(cells[1].strip("*"))
            else:
                rows.append((cells[0], int(cells[1]), cells[2]))
    after = source.rsplit("|", 1)[-1]
    return rows, total, after


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_the_points_each_notebook_shows_are_those_the_grader_gives(path):
    nb = nbformat.read(path, as_version=4)
    homework, lang = nb.metadata["cnnlib"]["homework"], language(path)
    rows, total, after = read_points(tagged(nb, generator.POINTS_TAG).source)
    automatic, by_person = list(check.HOMEWORK[homework]), list(check.BY_PERSON[homework])
    assert len(rows) == len(automatic) + len(by_person)
    for (question, points, by), name in zip(rows, automatic):
        shown = re.findall(r"`(\w+)`", question)
        assert shown == (["build_zfnet"] if name == "model" else [name]), question
        assert points == check.POINTS[homework][name], f"{path.name}: {name}"
        assert by.startswith(GRADER[lang]), by
    for (_, points, by), name in zip(rows[len(automatic):], by_person):
        assert points == check.POINTS[homework][name], f"{path.name}: {name}"
        assert by.startswith(PERSON[lang]), by
    assert total == sum(check.POINTS[homework].values()) == sum(r[1] for r in rows)
    auto = sum(check.POINTS[homework][name] for name in automatic)
    person = total - auto
    said = [int(n) for n in re.findall(r"\d+", after)]
    assert said == ([auto, person] if person else [auto]), after
    assert {"hw1_zfnet_parameters": (25, 3), "hw2_build_zfnet": (12, 6),
            "hw3_conv_and_pool_from_scratch": (40, 0)}[homework] == (auto, person)


@pytest.mark.parametrize("path", SOLUTIONS + KOREAN_SOLUTIONS,
                         ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_the_solutions_generated_cells_are_what_the_generator_writes(path):
    """Nobody types the points or the rules: after a change of POINTS (or of their Korean in
    cnnlib/_locale/ko.po), write the cells with generator.points_markdown / rules_markdown
    (the Korean ones through the homework catalogs) and rebuild."""
    nb = nbformat.read(path, as_version=4)
    homework, lang = nb.metadata["cnnlib"]["homework"], language(path)
    assert generator.notebook_language(nb) == lang
    for tag in (generator.POINTS_TAG, generator.RULES_TAG):
        cell = tagged(nb, tag)
        assert cell.source == generator.generated_source(cell, homework, lang), (
            f"{path.name}: the cell tagged {tag!r} was edited by hand or is out of date")
    # and they come before the first question (after the Korean edition's language cell)
    first = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and c.id != "set-language")
    assert all(nb.cells.index(tagged(nb, t)) < first
               for t in (generator.POINTS_TAG, generator.RULES_TAG))


def test_the_korean_student_notebooks_are_what_the_generator_writes():
    status = tool.generate(KOREAN_SOLUTIONS, KOREAN_DIR / "student", check=True)
    assert set(status.values()) == {"unchanged"}, status


def test_hand_edited_points_are_caught_and_never_reach_students(tmp_path):
    solution = nbformat.read(SOLUTIONS[1], as_version=4)
    cell = tagged(solution, generator.POINTS_TAG)
    cell.source = cell.source.replace("| 10 |", "| 12 |")        # a hand edit in a solution
    homework = solution.metadata["cnnlib"]["homework"]
    assert cell.source != generator.generated_source(cell, homework)   # the test above fails
    student = generator.student_notebook(solution)                     # students still get
    rows, _, _ = read_points(tagged(student, generator.POINTS_TAG).source)   # POINTS
    assert rows[0][1] == check.POINTS[homework]["model"] == 10

    assert set(tool.generate(SOLUTIONS, tmp_path).values()) == {"written"}
    target = tmp_path / SOLUTIONS[0].name                      # a hand edit in a student's
    text = target.read_text(encoding="utf-8")
    assert text.count("| `total_params` | 1 |") == 1
    target.write_text(text.replace("| `total_params` | 1 |", "| `total_params` | 5 |"),
                      encoding="utf-8")
    assert tool.generate(SOLUTIONS, tmp_path, check=True)[target] == "edited"
    assert tool.main(["generate", "--check", "--out", str(tmp_path), *map(str, SOLUTIONS)]) == 1


# --------------------------------------------------------------------------------------------
# Course rules
# --------------------------------------------------------------------------------------------

def rule_items(source: str) -> dict:
    """``{label: value}`` of the rules cell's list (a value's lines joined)."""
    items, label = {}, None
    for line in source.splitlines():
        match = re.match(r"\* \*\*(.+?):\*\* (.*)", line)
        if match:
            label = match[1]
            items[label] = match[2]
        elif line.startswith("  ") and label:
            items[label] += " " + line.strip()
    return items


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_without_a_rules_file_every_rule_is_to_be_announced(path):
    if "student" in path.parts and generator.DEFAULT_RULES.exists():
        pytest.skip("this course has its rules file: its student notebooks show its rules")
    nb = nbformat.read(path, as_version=4)
    items = rule_items(tagged(nb, generator.RULES_TAG).source)
    assert len(items) == 4
    assert set(items.values()) == {TBA[language(path)]}   # no made-up date, no made-up route
    labels = {"en": {"Deadline", "How to hand in", "Collaboration", "Use of AI tools"},
              "ko": {"마감", "제출 방법", "협업 규칙", "AI 도구 사용"}}
    assert set(items) == labels[language(path)]


def test_a_rules_file_fills_every_homework(tmp_path, capsys):
    out = tmp_path / "class"
    assert tool.main(["generate", "--rules", str(EXAMPLE), "--out", str(out)]) == 0
    deadlines = {"hw1_zfnet_parameters": "Friday 20 March 2026",
                 "hw2_build_zfnet": "Friday 3 April 2026",
                 "hw3_conv_and_pool_from_scratch": "Friday 24 April 2026"}
    for path in sorted(out.glob("*.ipynb")):
        items = rule_items(tagged(nbformat.read(path, as_version=4),
                                  generator.RULES_TAG).source)
        assert items["Deadline"].startswith(deadlines[path.stem])     # its own table
        assert items["How to hand in"].startswith("Upload your notebook")   # [all]
        assert "name the people you discussed with" in items["Collaboration"]
        assert items["Use of AI tools"].startswith("You may ask an AI assistant")
        assert TBA["en"] not in json.dumps(items)
    # the Korean edition: Korean labels, and the texts of the [ko.*] tables
    korean = tool.generate(KOREAN_SOLUTIONS, tmp_path / "ko", rules=EXAMPLE)
    assert set(korean.values()) == {"written"}
    items = rule_items(tagged(nbformat.read(tmp_path / "ko" / SOLUTIONS[0].name, as_version=4),
                              generator.RULES_TAG).source)
    assert items["마감"].startswith("2026년 3월 20일(금) 23:59")
    assert items["제출 방법"].startswith("노트북(.ipynb 파일")
    assert "Upload" not in json.dumps(items, ensure_ascii=False)


def test_the_courses_rules_file_is_the_default(tmp_path, monkeypatch):
    """An instructor who writes notebooks/homework/rules.toml gets it in every generated
    notebook without passing --rules (the Korean build calls generate without it too)."""
    rules = tmp_path / "rules.toml"
    rules.write_text('[all]\ndeadline = "the last lecture"\n[ko.all]\ndeadline = "마지막 강의"\n',
                     encoding="utf-8")
    monkeypatch.setattr(generator, "DEFAULT_RULES", rules)
    tool.generate(SOLUTIONS[:1], tmp_path / "en")
    tool.generate(KOREAN_SOLUTIONS[:1], tmp_path / "ko")
    for edition, label, value in (("en", "Deadline", "the last lecture"),
                                  ("ko", "마감", "마지막 강의")):
        nb = nbformat.read(tmp_path / edition / SOLUTIONS[0].name, as_version=4)
        items = rule_items(tagged(nb, generator.RULES_TAG).source)
        assert items[label] == value
        assert list(items.values()).count(TBA[edition]) == 3      # the fields it leaves out
    tool.generate(SOLUTIONS[:1], tmp_path / "none", rules={})      # none at all: to be announced
    nb = nbformat.read(tmp_path / "none" / SOLUTIONS[0].name, as_version=4)
    assert set(rule_items(tagged(nb, generator.RULES_TAG).source).values()) == {TBA["en"]}


def test_a_field_left_out_is_to_be_announced_and_json_works(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"hw2_build_zfnet": {"deadline": "2026-04-03 23:59 KST"}}),
                     encoding="utf-8")
    status = tool.generate(SOLUTIONS, tmp_path / "out", rules=rules)
    assert set(status.values()) == {"written"}
    hw1 = rule_items(tagged(nbformat.read(tmp_path / "out" / SOLUTIONS[0].name, as_version=4),
                            generator.RULES_TAG).source)
    hw2 = rule_items(tagged(nbformat.read(tmp_path / "out" / SOLUTIONS[1].name, as_version=4),
                            generator.RULES_TAG).source)
    assert set(hw1.values()) == {TBA["en"]}
    assert hw2["Deadline"] == "2026-04-03 23:59 KST"
    assert hw2["How to hand in"] == TBA["en"]


def test_rules_with_a_roster_reach_every_students_notebook(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id\nkim\nlee\n", encoding="utf-8")
    tool.generate_class(SOLUTIONS[:1], roster, 7, tmp_path / "class", rules=EXAMPLE)
    for student in ("kim", "lee"):
        nb = nbformat.read(tmp_path / "class" / student / SOLUTIONS[0].name, as_version=4)
        assert rule_items(tagged(nb, generator.RULES_TAG).source)["Deadline"].startswith(
            "Friday 20 March 2026")


@pytest.mark.parametrize("text, words", [
    ('[hw9]\ndeadline = "x"\n', "unknown table [hw9]"),
    ('[ko.hw9]\ndeadline = "x"\n', "unknown table [ko.hw9]"),
    ('[ko]\ndeadline = "x"\n', "unknown table [ko.deadline]"),
    ('[all]\ndue = "x"\n', "unknown field(s) due; the fields are deadline"),
    ('[all]\ndeadline = 5\n', "must be a text"),
    ('[all]\ndeadline = "   "\n', "must be a text"),
    ('[all\n', "not valid TOML"),
])
def test_a_bad_rules_file_is_refused_with_the_fix(tmp_path, text, words, capsys):
    rules = tmp_path / "rules.toml"
    rules.write_text(text, encoding="utf-8")
    with pytest.raises(generator.GenerateError) as error:
        generator.read_rules(rules)
    assert words in str(error.value)
    assert tool.main(["generate", "--rules", str(rules), "--out", str(tmp_path / "o")]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_toml_date_is_shown_as_written(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[all]\ndeadline = 2026-03-20T23:59:00+09:00\n", encoding="utf-8")
    text = generator.rules_markdown("hw1_zfnet_parameters", generator.read_rules(rules))
    assert "* **Deadline:** 2026-03-20 23:59:00+09:00" in text


# --------------------------------------------------------------------------------------------
# The grader's table
# --------------------------------------------------------------------------------------------

def test_the_csv_leaves_the_person_graded_points_to_the_instructor(tmp_path):
    header = grader.header()
    person = [c for c in header if c.endswith(" (by person)")]
    assert person == ["hw1.looking_back (by person)", "hw2.comments (by person)",
                      "hw2.mult_adds (by person)"]
    assert header.index("hw1.looking_back (by person)") == header.index("hw1.total_params") + 1
    assert header[header.index("total"):header.index("total") + 3] == [
        "total", "max", "by_person_max"]
    result = grader.Result("kim_hw2.ipynb", homework="hw2_build_zfnet",
                           statuses={"model": "correct", "fc_share": "wrong"})
    out = tmp_path / "scores.csv"
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerow(grader.row(result))
    (row,) = csv.DictReader(out.open(encoding="utf-8"))
    assert (row["hw2.model"], row["hw2.fc_share"]) == ("10", "0")
    assert row["hw2.comments (by person)"] == row["hw2.mult_adds (by person)"] == ""
    assert (row["total"], row["max"], row["by_person_max"]) == ("10", "12", "6")
    assert "a person grades 6 more" in grader.progress_line(1, 1, result)
    hw3 = grader.Result("x.ipynb", homework="hw3_conv_and_pool_from_scratch")
    assert (hw3.maximum, hw3.by_person) == (40, 0)
    assert "person" not in grader.progress_line(1, 1, hw3)
    unknown = grader.row(grader.Result("y.ipynb"))
    assert unknown[header.index("by_person_max")] == "" and unknown[header.index("max")] == "0"

"""Gradebook export: a 4-student roster (3 graded, 1 without a submission) as Canvas and Moodle
import files, compared with rows written by hand."""

from __future__ import annotations

import csv
import json

import pytest

from cnnlib.homework.instructor import main


def entry(submission, student, total, reason="", homework="hw1_zfnet_parameters", top=25):
    return {"submission": submission, "student": student, "homework": homework,
            "total": total, "max": top, "reason": reason, "exercises": {}, "by_person": {}}


@pytest.fixture
def grades(tmp_path):
    data = {"version": 1, "language": "en", "submissions": [
        entry("s01/hw1_zfnet_parameters.ipynb", "s01", 25),
        entry("s02/hw1_zfnet_parameters.ipynb", "s02", 19, "wrong: conv2_params"),
        entry("s03/hw1_zfnet_parameters.ipynb", "default", 0, "empty submission"),
        entry("s02/hw1_again.ipynb", "s02", 12, "wrong: many"),   # the better one counts
        entry("s01/hw3.ipynb", "s01", 40, homework="hw3_conv_and_pool_from_scratch", top=40),
    ]}
    path = tmp_path / "scores.grades.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,name,canvas_id,sis_login_id,section,email,id_number\n"
        "s01,\"Kim, Minji\",1001,minji,A,minji@uni.example,20260001\n"
        "s02,\"Lee, Jun\",1002,jun,A,jun@uni.example,20260002\n"
        "s03,\"Park, Seo\",1003,seo,B,seo@uni.example,20260003\n"
        "s04,\"Choi, Ara\",1004,ara,B,ara@uni.example,20260004\n", encoding="utf-8")
    return path, roster


def rows(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_canvas(grades, tmp_path, capsys):
    path, roster = grades
    out = tmp_path / "canvas.csv"
    assert main(["gradebook", str(path), "--roster", str(roster), "--format", "canvas",
                 "--homework", "hw1", "--assignment", "Homework 1 (5501)",
                 "--out", str(out)]) == 0
    assert rows(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1 (5501)"],
        ["Points Possible", "", "", "", "", "25"],
        ["Kim, Minji", "1001", "s01", "minji", "A", "25"],
        ["Lee, Jun", "1002", "s02", "jun", "A", "19"],
        ["Park, Seo", "1003", "s03", "seo", "B", "0"],
        ["Choi, Ara", "1004", "s04", "ara", "B", "0"],
    ]
    assert "s04: 0 (no graded submission)" in capsys.readouterr().out


def test_moodle(grades, tmp_path):
    path, roster = grades
    out = tmp_path / "moodle.csv"
    assert main(["gradebook", str(path), "--roster", str(roster), "--format", "moodle",
                 "--homework", "hw1_zfnet_parameters", "--out", str(out)]) == 0
    assert rows(out) == [
        ["ID number", "Email address", "hw1", "Feedback"],
        ["20260001", "minji@uni.example", "25", ""],
        ["20260002", "jun@uni.example", "19", "wrong: conv2_params"],
        ["20260003", "seo@uni.example", "0", "empty submission"],
        ["20260004", "ara@uni.example", "0", "no graded submission"],
    ]


def test_several_homeworks_need_one_named(grades, tmp_path, capsys):
    path, roster = grades
    assert main(["gradebook", str(path), "--roster", str(roster), "--format", "canvas",
                 "--out", str(tmp_path / "x.csv")]) == 2
    assert "pass --homework" in capsys.readouterr().err
    assert main(["gradebook", str(path), "--roster", str(roster), "--format", "canvas",
                 "--homework", "hw2", "--out", str(tmp_path / "x.csv")]) == 2
    assert "--homework 'hw2'" in capsys.readouterr().err


def test_a_roster_without_ids_is_refused(grades, tmp_path, capsys):
    path, _ = grades
    roster = tmp_path / "bad.csv"
    roster.write_text("name\nKim\n", encoding="utf-8")
    assert main(["gradebook", str(path), "--roster", str(roster), "--format", "moodle",
                 "--homework", "hw1", "--out", str(tmp_path / "x.csv")]) == 2
    assert "--roster" in capsys.readouterr().err

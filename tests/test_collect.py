"""Collecting homework from hostile homes and LMS downloads, and returning feedback pages.

Every test builds its homes, downloads and feedback folders in a temporary directory and reads
the results back from disk (files, and the report CSV the command writes); expected rows are
written out by hand.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from cnnlib.homework.instructor import collect, main

HW1 = "hw1_zfnet_parameters.ipynb"
IN_HOME = f"cnn-basics/notebooks/homework/student/{HW1}"


def notebook(owner: str) -> bytes:
    """A small notebook whose bytes say whose it is."""
    return json.dumps({"cells": [], "metadata": {"owner": owner}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


def put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def report(out: Path) -> dict[str, str]:
    with open(out / "collection.csv", newline="", encoding="utf-8") as file:
        return {row["student"]: row["status"] for row in csv.DictReader(file)}


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "collection.csv"}


@pytest.fixture
def homes(tmp_path):
    """alice handed in; bob did not; mallory's release folder is a link to someone else's
    files; eve's notebook is a link to a secret file; trudy's home itself is a link."""
    homes, outside = tmp_path / "homes", tmp_path / "outside"
    put(homes / "alice" / IN_HOME, notebook("alice"))
    (homes / "bob" / "cnn-basics").mkdir(parents=True)
    put(outside / "victim" / IN_HOME, notebook("victim"))
    (homes / "mallory").mkdir()
    (homes / "mallory" / "cnn-basics").symlink_to(outside / "victim" / "cnn-basics")
    put(outside / "secret.ipynb", notebook("secret"))
    (homes / "eve" / IN_HOME).parent.mkdir(parents=True)
    (homes / "eve" / IN_HOME).symlink_to(outside / "secret.ipynb")
    (homes / "trudy").symlink_to(outside / "victim")
    return homes


def test_collect_from_homes_takes_only_real_files_inside_each_home(homes, tmp_path, capsys):
    out = tmp_path / "submissions"
    assert main(["collect", "hw1", "--homes", str(homes), "--out", str(out)]) == 0
    assert files_under(out) == {f"alice/{HW1}": notebook("alice")}
    status = report(out)
    assert status["alice"] == "collected"
    assert status["bob"] == "no submission"
    assert status["mallory"].startswith("refused: a symbolic link")
    assert status["eve"].startswith("refused: a symbolic link")
    assert status["trudy"].startswith("refused: the home is a symbolic link")
    assert set(status) == {"alice", "bob", "mallory", "eve", "trudy"}
    printed = capsys.readouterr()
    assert "1 of 5 collected" in printed.err
    assert "bob" in printed.out and "no submission" in printed.out


def test_collect_maps_logins_through_the_roster(homes, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,login\ns001,alice\ns002,bob\ns003,carol\n")
    out = tmp_path / "submissions"
    lines = collect.collect_homes("hw1", homes, out, roster=roster)
    got = {(line.student, line.status) for line in lines}
    assert ("s001", "collected") in got
    assert ("s002", "no submission") in got
    assert ("s003", "no home") in got
    assert ("mallory", "skipped: not on the roster") in got
    assert files_under(out) == {f"s001/{HW1}": notebook("alice")}


def test_collect_refuses_a_file_over_the_size_limit(homes, tmp_path, monkeypatch):
    monkeypatch.setattr(collect, "MAX_BYTES", 10)
    lines = collect.collect_homes("hw1", homes, tmp_path / "out")
    assert next(x for x in lines if x.student == "alice").status.startswith(
        "refused: larger than")
    assert files_under(tmp_path / "out") == {}


def test_collect_path_is_a_parameter(tmp_path):
    homes = tmp_path / "homes"
    put(homes / "alice" / "course" / "hw1.ipynb", notebook("alice"))
    lines = collect.collect_homes("hw1_zfnet_parameters", homes, tmp_path / "out",
                                  path="course/hw1.ipynb")
    assert [(x.student, x.status) for x in lines] == [("alice", "collected")]
    assert files_under(tmp_path / "out") == {f"alice/{HW1}": notebook("alice")}


@pytest.mark.parametrize("argv, named", [
    (["collect", "hw9", "--homes", "H", "--out", "O"], "homework 'hw9'"),
    (["collect", "hw1", "--homes", "H", "--out", "O", "--path", "../x.ipynb"], "--path"),
    (["collect", "hw1", "--lms", "nothing.zip", "--out", "O"], "--lms"),
])
def test_bad_input_names_the_parameter(argv, named, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "H" / "alice").mkdir(parents=True)
    assert main(argv) == 2
    assert named in capsys.readouterr().err


def canvas_zip(path: Path) -> None:
    """A Canvas "Download Submissions" zip, with two hostile entries."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"smithjohn_1234_99001_{HW1}", notebook("john"))
        archive.writestr("doejane_LATE_5678_99002_hw1_zfnet_parameters-1.ipynb",
                         notebook("jane"))
        archive.writestr("../escape_9999_1_hw1.ipynb", notebook("escape"))
        archive.writestr("/abs/rootme_8888_2_hw1.ipynb", notebook("abs"))
        link = zipfile.ZipInfo("linky_7777_3_hw1.ipynb")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")


def test_collect_from_a_canvas_download(tmp_path):
    canvas_zip(tmp_path / "canvas.zip")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,lms_id\ns001,1234\ns002,5678\ns003,4321\ns004,7777\n")
    out = tmp_path / "submissions"
    assert main(["collect", "hw1", "--lms-zip", str(tmp_path / "canvas.zip"), "--out", str(out),
                 "--roster", str(roster)]) == 0
    assert files_under(out) == {f"s001/{HW1}": notebook("john"), f"s002/{HW1}": notebook("jane")}
    status = report(out)
    assert status["s001"] == status["s002"] == "collected"
    assert status["s003"] == "no submission"
    assert status["s004"] == "refused: a symbolic link"
    assert not (tmp_path / "escape_9999_1_hw1.ipynb").exists()
    refused = [x for x in collect.collect_lms("hw1", tmp_path / "canvas.zip", tmp_path / "o2")
               if x.status == "refused: a path outside the download"]
    assert sorted(x.student for x in refused) == ["8888", "9999"]


def test_collect_from_a_moodle_download_folder_and_zip(tmp_path):
    folder = tmp_path / "moodle"
    put(folder / "Jane Doe_1000001_assignsubmission_file_" / "zfnet.ipynb", notebook("jane"))
    put(folder / "John Smith_1000002_assignsubmission_file_" / "notes.txt", b"not a notebook")
    put(folder / "Ann Lee_1000003_assignsubmission_file_hw1.ipynb", notebook("ann"))  # flat
    (folder / "Eve Bad_1000004_assignsubmission_file_").mkdir()
    (folder / "Eve Bad_1000004_assignsubmission_file_" / "hw1.ipynb").symlink_to(
        folder / "Jane Doe_1000001_assignsubmission_file_" / "zfnet.ipynb")
    lines = collect.collect_lms("hw1", folder, tmp_path / "out")
    assert {(x.student, x.status) for x in lines} == {
        ("1000001", "collected"), ("1000003", "collected"),
        ("1000004", "refused: a symbolic link or not a folder on the way (links are never "
                    "followed)")}
    assert files_under(tmp_path / "out") == {f"1000001/{HW1}": notebook("jane"),
                                             f"1000003/{HW1}": notebook("ann")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Jane Doe_1000001_assignsubmission_file_/zfnet.ipynb", notebook("jane"))
    (tmp_path / "moodle.zip").write_bytes(buffer.getvalue())
    lines = collect.collect_lms("hw1", tmp_path / "moodle.zip", tmp_path / "out2")
    assert [(x.student, x.status) for x in lines] == [("1000001", "collected")]


@pytest.fixture
def feedback(tmp_path):
    pages = tmp_path / "feedback"
    for student in ("alice", "bob", "mallory"):
        put(pages / student / "hw1.html", f"<p>for {student}</p>".encode())
    return pages


def test_return_into_homes_gives_each_student_only_their_page(feedback, tmp_path):
    homes, outside = tmp_path / "homes", tmp_path / "outside"
    put(homes / "alice" / "feedback" / "hw1.html", b"old page")
    put(homes / "alice" / "feedback" / "notes.md", b"my notes")
    (homes / "bob").mkdir(parents=True)
    put(outside / "target.html", b"do not touch")
    (homes / "mallory" / "feedback").mkdir(parents=True)
    (homes / "mallory" / "feedback" / "hw1.html").symlink_to(outside / "target.html")
    (homes / "carol").mkdir()
    (homes / "carol" / "feedback").symlink_to(outside)
    put(feedback / "carol" / "hw1.html", b"<p>for carol</p>")

    assert main(["return", "hw1", "--feedback", str(feedback), "--homes", str(homes)]) == 0
    assert (homes / "alice" / "feedback" / "hw1.html").read_bytes() == b"<p>for alice</p>"
    assert (homes / "alice" / "feedback" / "notes.md").read_bytes() == b"my notes"
    assert (homes / "bob" / "feedback" / "hw1.html").read_bytes() == b"<p>for bob</p>"
    # the link itself was replaced, never written through
    assert (homes / "mallory" / "feedback" / "hw1.html").read_bytes() == b"<p>for mallory</p>"
    assert not (homes / "mallory" / "feedback" / "hw1.html").is_symlink()
    assert (outside / "target.html").read_bytes() == b"do not touch"
    assert sorted(os.listdir(outside)) == ["target.html"]  # carol's link was not followed
    for student in ("alice", "bob", "mallory"):
        pages = sorted(p.name for p in (homes / student / "feedback").iterdir())
        assert "hw1.html" in pages and all(
            b"for " + s.encode() not in (homes / student / "feedback" / "hw1.html").read_bytes()
            for s in {"alice", "bob", "mallory"} - {student})


def test_return_into_upload_folders(feedback, tmp_path):
    out = tmp_path / "upload"
    lines = collect.return_feedback(feedback, "hw1", out=out)
    assert {(x.student, x.status) for x in lines} == {
        ("alice", "returned"), ("bob", "returned"), ("mallory", "returned")}
    assert files_under(out) == {f"{s}/hw1.html": f"<p>for {s}</p>".encode()
                                for s in ("alice", "bob", "mallory")}


def test_return_maps_ids_to_logins_and_needs_one_destination(feedback, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,login\nalice,a.kim\nbob,b.lee\nmallory,m.x\n")
    homes = tmp_path / "homes"
    (homes / "a.kim").mkdir(parents=True)
    lines = collect.return_feedback(feedback, "hw1.html", homes=homes, roster=roster)
    assert {(x.student, x.status) for x in lines} == {
        ("alice", "returned"), ("bob", "no home"), ("mallory", "no home")}
    assert files_under(homes) == {"a.kim/feedback/hw1.html": b"<p>for alice</p>"}
    with pytest.raises(collect.CollectError, match="--homes"):
        collect.return_feedback(feedback, "hw1", roster=roster)

"""Gradebook export: the grader's points as a CSV file Canvas or Moodle imports.

``export(grades, roster, "canvas", out)`` writes one row per student of the roster, whether they
handed in or not (0 and a reason for a student without a graded submission), from the grader's
companion (``scores.grades.json``). The points are the grader's (``total``); the points a person
grades are yours to add in the LMS.

* **Canvas** (Grades > Import): columns ``Student, ID, SIS User ID, SIS Login ID, Section`` and
  one column per assignment, named ``<assignment> (<Canvas assignment id>)`` as Canvas's export
  names it; the second row is ``Points Possible``. Canvas makes a new assignment of every
  unknown column, so the reasons are not a column: :func:`export` returns them (the command
  prints them).
* **Moodle** (Grades > Import > CSV file, mapped "from ID number" or "from Email address"):
  columns ``ID number, Email address, <grade item>, Feedback`` (map the last to the grade item's
  feedback).

Roster columns read: the course's id (``id``, as ``generate --roster``), ``name``,
``canvas_id`` (Canvas's user ID), ``sis_user_id``, ``sis_login_id``, ``section``, ``email``,
``id_number`` (Moodle's ID number; default the course's id).
"""

from __future__ import annotations

import csv
from pathlib import Path

from .feedback import load, short_name, student_of
from .grader import safe_cell
from .variants import roster_rows

FORMATS = ("canvas", "moodle")
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_FIXED = ["ID number", "Email address"]
NOT_SUBMITTED = "no graded submission"


class GradebookError(ValueError):
    """Input that cannot be used; the message names the parameter and the fix."""


def scores(grades, homework: str | None = None) -> tuple[str, int, dict]:
    """``(homework, points possible, {student id: (points, reason)})`` of one homework; the
    best graded submission counts when a student has several."""
    data = load(grades)
    entries = [e for e in data["submissions"] if e.get("homework")]
    homeworks = sorted({e["homework"] for e in entries})
    if homework is None:
        if len(homeworks) != 1:
            raise GradebookError(f"GRADES holds {len(homeworks)} homeworks "
                                 f"({', '.join(homeworks) or 'none'}); pass --homework.")
        homework = homeworks[0]
    matching = [h for h in homeworks if homework in (h, short_name(h))]
    if not matching:
        raise GradebookError(f"--homework {homework!r}: GRADES has none of it; it has "
                             f"{', '.join(homeworks) or 'no graded homework'}.")
    homework = matching[0]
    possible, by_student = 0, {}
    for entry in entries:
        if entry["homework"] != homework:
            continue
        possible = max(possible, int(entry.get("max", 0)))
        student = student_of(entry)
        if student is None:
            continue
        points = int(entry.get("total", 0))
        if student not in by_student or points > by_student[student][0]:
            by_student[student] = (points, str(entry.get("reason", ""))[:200])
    return homework, possible, by_student


def rows(grades, roster, fmt: str, assignment: str | None = None,
         homework: str | None = None) -> tuple[list[list[str]], list[str]]:
    """``(rows of the CSV, one note per student without a graded submission)``."""
    if fmt not in FORMATS:
        raise GradebookError(f"--format {fmt!r}: use canvas or moodle.")
    homework, possible, by_student = scores(grades, homework)
    name = assignment or short_name(homework)
    students, notes = roster_rows(roster), []
    if fmt == "canvas":
        table = [CANVAS_FIXED + [name], ["Points Possible", "", "", "", "", str(possible)]]
    else:
        table = [MOODLE_FIXED + [name, "Feedback"]]
    for student in students:
        points, reason = by_student.get(student["id"], (0, NOT_SUBMITTED))
        if student["id"] not in by_student:
            notes.append(f"{student['id']}: 0 ({NOT_SUBMITTED})")
        if fmt == "canvas":
            table.append([student.get("name") or student["id"], student.get("canvas_id", ""),
                          student.get("sis_user_id") or student["id"],
                          student.get("sis_login_id", ""), student.get("section", ""),
                          str(points)])
        else:
            table.append([student.get("id_number") or student["id"], student.get("email", ""),
                          str(points), reason])
    return [[safe_cell(c) for c in row] for row in table], notes


def export(grades, roster, fmt: str, out, assignment: str | None = None,
           homework: str | None = None) -> list[str]:
    """Write the gradebook CSV ``out``; return the notes on students without a submission."""
    table, notes = rows(grades, roster, fmt, assignment, homework)
    with open(Path(out), "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(table)
    return notes

"""The instructor's side of the homework: never in the wheel students install.

* :mod:`.reference` holds the reference answers (ZFNet, the homework 3 references) and scores
  the answers a sandbox hands back;
* :mod:`.generator` turns the solution notebooks into student notebooks;
* :mod:`.collect` gathers one homework from the students' homes or an LMS download, and
  returns feedback pages;
* :mod:`.grader` grades a folder of submissions into a CSV table, each submission run by
  :mod:`.runner` in a bubblewrap sandbox (:mod:`.sandbox`), with a machine-readable companion
  ``<out stem>.grades.json``;
* :mod:`.feedback`, :mod:`.gradebook` and :mod:`.report` read that companion: one feedback
  page per submission, the LMS's gradebook import file, and the class report.

``pyproject.toml`` leaves this package out of the wheel; it is used from a checkout of the
course repository (``python -m cnnlib.homework ...``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .generator import (
    BEGIN,
    BLANK,
    END,
    GenerateError,
    generate,
    generate_class,
    student_notebook,
    student_source,
)
from .grader import Result, grade
from .variants import RosterError

__all__ = ["BEGIN", "END", "BLANK", "GenerateError", "student_source", "student_notebook",
           "generate", "generate_class", "Result", "grade", "main", "HOMEWORK_DIR"]

#: The solution notebooks, in a checkout (the instructor's side; never shipped to students).
HOMEWORK_DIR = Path(__file__).resolve().parents[3] / "notebooks" / "homework"


def add_collect_commands(commands) -> None:
    """The ``collect`` and ``return`` subcommands (:mod:`.collect`)."""
    col = commands.add_parser("collect", help="gather one homework from every student's home "
                                              "or from an LMS bulk download")
    col.add_argument("homework", help="hw1, hw2 or hw3 (or the notebook's full name)")
    where = col.add_mutually_exclusive_group(required=True)
    where.add_argument("--homes", type=Path, help="folder of the students' homes on the hub "
                                                  "(e.g. /home)")
    where.add_argument("--lms", "--lms-zip", type=Path, dest="lms",
                       help="an LMS bulk download: Canvas's or Moodle's zip file, or the "
                            "folder it was unpacked into")
    col.add_argument("--out", type=Path, required=True,
                     help="submissions folder to write: OUT/<student id>/<notebook>")
    col.add_argument("--path", help="where the notebook is inside a home (default: "
                                     "cnn-basics/notebooks/homework/student/<notebook>, where "
                                     "the nbgitpuller links put it)")
    col.add_argument("--roster", type=Path,
                     help="CSV mapping logins (column login) or LMS ids (column lms_id) to the "
                          "course's student ids (column id, as for generate --roster)")
    ret = commands.add_parser("return", help="put each student's feedback page into their "
                                             "home, or into one folder per student")
    ret.add_argument("name", help="the page's name: copies FEEDBACK/<id>/<name>.html")
    ret.add_argument("--feedback", type=Path, required=True,
                     help="folder with one sub-folder of feedback pages per student id")
    dest = ret.add_mutually_exclusive_group(required=True)
    dest.add_argument("--homes", type=Path,
                      help="folder of the students' homes: writes <home>/feedback/<name>.html")
    dest.add_argument("--out", type=Path, help="writes OUT/<id>/<name>.html, for an upload")
    ret.add_argument("--roster", type=Path,
                     help="CSV mapping student ids (column id) to logins (column login)")


def add_result_commands(commands) -> None:
    """The ``feedback``, ``gradebook`` and ``report`` subcommands: they read the grader's
    companion ``<out stem>.grades.json`` (:func:`.grader.write_companion`)."""
    fbk = commands.add_parser("feedback", help="one HTML feedback page per graded submission")
    fbk.add_argument("grades", type=Path, help="the grader's scores.grades.json")
    fbk.add_argument("--out", type=Path, required=True,
                     help="folder to write: OUT/<student id>/<hw>.html")
    fbk.add_argument("--language", choices=["en", "ko"],
                     help="every page's language (default: the roster's language column, "
                          "else the language the grader ran in)")
    fbk.add_argument("--roster", type=Path, help="CSV with an id and a language column")
    book = commands.add_parser("gradebook", help="a CSV for the LMS's gradebook import")
    book.add_argument("grades", type=Path, help="the grader's scores.grades.json")
    book.add_argument("--roster", type=Path, required=True,
                      help="CSV of the class: id, and name, canvas_id, sis_user_id, "
                           "sis_login_id, section, email, id_number as the LMS needs")
    book.add_argument("--format", choices=["canvas", "moodle"], required=True)
    book.add_argument("--out", type=Path, required=True, help="CSV file to write")
    book.add_argument("--assignment", help="the column's name: Canvas: 'hw1 (12345)' with the "
                                           "assignment's id; Moodle: the grade item's name")
    book.add_argument("--homework", help="hw1, hw2 or hw3 when GRADES holds several")
    rep = commands.add_parser("report", help="one HTML page: where the class stands")
    rep.add_argument("grades", type=Path, help="the grader's scores.grades.json")
    rep.add_argument("--out", type=Path, default=Path("report.html"),
                     help="HTML file to write (default: %(default)s)")
    rep.add_argument("--language", choices=["en", "ko"], default="en",
                     help="the page's language (default: %(default)s)")


def run_result_command(args) -> int:
    """Run ``feedback``, ``gradebook`` or ``report``; the exit status."""
    from . import feedback, gradebook

    try:
        if args.command == "feedback":
            lines = feedback.write_pages(args.grades, args.out, args.language, args.roster)
        elif args.command == "gradebook":
            lines = gradebook.export(args.grades, args.roster, args.format, args.out,
                                     args.assignment, args.homework)
            lines.append(f"gradebook written to {args.out}")
        else:
            from . import report

            lines = [f"report written to {report.write(args.grades, args.out, args.language)}"]
    except (feedback.FeedbackError, gradebook.GradebookError, RosterError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


def run_collect_command(args) -> int:
    """Run ``collect`` or ``return``; print one line per student; the exit status."""
    from . import collect

    try:
        if args.command == "return":
            lines = collect.return_feedback(args.feedback, args.name, homes=args.homes,
                                            out=args.out, roster=args.roster)
        elif args.homes is not None:
            lines = collect.collect_homes(args.homework, args.homes, args.out, args.path,
                                          roster=args.roster)
        else:
            lines = collect.collect_lms(args.homework, args.lms, args.out, roster=args.roster)
    except (collect.CollectError, RosterError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    done = sum(line.status.startswith(("collected", "returned")) for line in lines)
    if args.command == "collect":
        report = args.out / "collection.csv"
        collect.write_report(lines, report)
        print(f"{done} of {len(lines)} collected into {args.out}; report: {report}",
              file=sys.stderr)
    else:
        print(f"{done} of {len(lines)} feedback pages returned", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    """``python -m cnnlib.homework generate|grade ...``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnlib.homework",
        description="Generate the student homework notebooks, collect and grade submitted "
                    "ones, return feedback.")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="solution notebooks -> student notebooks")
    gen.add_argument("solutions", nargs="*", type=Path,
                     help=f"solution notebooks (default: {HOMEWORK_DIR}/hw*.ipynb)")
    gen.add_argument("--out", type=Path, default=HOMEWORK_DIR / "student",
                     help="folder of the student notebooks (default: %(default)s)")
    gen.add_argument("--force", action="store_true",
                     help="also overwrite student notebooks that were edited by hand")
    gen.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if a student notebook is missing or stale")
    gen.add_argument("--roster", type=Path,
                     help="CSV of the class (a column id, student_id, login, username or "
                          "email): write one folder per student into --out, each with their "
                          "own variant, and --out/variants.json for the grader")
    gen.add_argument("--rules", type=Path,
                     help="the course rules shown in every homework: a TOML (or JSON) file "
                          "with a deadline, how to hand in, the collaboration and AI-use "
                          "policy (see notebooks/homework/rules.example.toml). Default: "
                          "notebooks/homework/rules.toml if the course has one, else each "
                          "rule says 'to be announced by your instructor'")
    gen.add_argument("--seed", type=int,
                     help="with --roster: the course's seed (keep it; the same seed and id "
                          "always give the same variant)")
    grd = commands.add_parser("grade", help="run submitted notebooks and write a score table")
    grd.add_argument("submissions", type=Path, help="folder with the submitted notebooks")
    grd.add_argument("--out", type=Path, default=Path("scores.csv"),
                     help="CSV file to write (default: %(default)s)")
    grd.add_argument("--timeout", type=float, default=120.0,
                     help="seconds allowed per notebook, 1 to 3600 (default: %(default)s)")
    grd.add_argument("--jobs", type=int, default=1,
                     help="notebooks graded at the same time, 1 to 64 (default: %(default)s)")
    grd.add_argument("--memory", type=int, default=2048,
                     help="MB of memory per notebook process (default: %(default)s)")
    grd.add_argument("--variants", type=Path,
                     help="the variants.json that generate --roster wrote: grade each "
                          "submission against its student's own network")
    grd.add_argument("--language", choices=["en", "ko"], default="en",
                     help="language of the reasons in the CSV: en (English, the default) or "
                          "ko (Korean, 한국어)")
    grd.add_argument("--no-sandbox", action="store_true",
                     help="run submissions WITHOUT isolation when bubblewrap is unavailable "
                          "(only for work you trust; the CSV says so)")
    add_collect_commands(commands)
    add_result_commands(commands)
    args = parser.parse_args(argv)

    if args.command in ("feedback", "gradebook", "report"):
        return run_result_command(args)

    if args.command in ("collect", "return"):
        return run_collect_command(args)
    if args.command == "generate":
        solutions = args.solutions or sorted(HOMEWORK_DIR.glob("hw*.ipynb"))
        if (args.roster is None) != (args.seed is None):
            print("error: --roster and --seed go together: the seed and the student's id draw "
                  "each student's variant.", file=sys.stderr)
            return 2
        try:
            if args.roster is not None:
                status = generate_class(solutions, args.roster, args.seed, args.out,
                                        force=args.force, rules=args.rules)
            else:
                status = generate(solutions, args.out, force=args.force, check=args.check,
                                  rules=args.rules)
        except (GenerateError, OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for target, state in status.items():
            print(f"{state:>9}  {target}")
        refused = [s for s in status.values() if s == "edited" or s.startswith("refused")]
        if refused and not args.check:
            print("error: nothing written: the files marked 'edited' were changed by hand "
                  "since they were generated. Keep a copy of any changes you need, then run "
                  "again with --force (links and special files are never written).",
                  file=sys.stderr)
            return 1
        return int(args.check and any(s != "unchanged" for s in status.values()))

    from ...i18n import set_language
    from .sandbox import SandboxUnavailable

    set_language(args.language)
    try:
        results = grade(args.submissions, args.out, args.timeout, jobs=args.jobs,
                        sandbox=not args.no_sandbox, memory_mb=args.memory,
                        variants=args.variants,
                        progress=lambda line: print(line, file=sys.stderr, flush=True))
    except (ValueError, OSError, SandboxUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{len(results)} submissions graded; scores written to {args.out}", file=sys.stderr)
    return 0

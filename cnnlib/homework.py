"""Hand out and grade the homework: ``python -m cnnlib.homework generate | grade``.

The instructor writes and runs the *solution* notebooks (``notebooks/homework/hw*.ipynb``);
the student notebooks (``notebooks/homework/student/``) are generated from them, never edited
by hand. Two kinds of marks in a solution notebook say what the students must write:

``### BEGIN SOLUTION`` / ``### END SOLUTION`` (each on a line of its own, as in nbgrader)
    In a code cell, the lines from BEGIN to END become ``# YOUR CODE HERE`` and
    ``raise NotImplementedError``, at the indentation of the BEGIN line. Put regions inside
    function bodies: then the student notebook still runs to the end, and the checker that
    calls the function reports "not attempted". In a markdown cell the region becomes
    ``YOUR ANSWER HERE``.
``name = value  ### BLANK`` (an assignment ending with the marker)
    The value is replaced by ``...``: ``conv1_params = 23_296  ### BLANK`` becomes
    ``conv1_params = ...``. nbgrader leaves such a line as it is (the marker is a comment).

Generating also clears outputs and execution counts. It never overwrites a file that differs
from what it would write unless ``--force`` is given, and ``--check`` only reports whether the
committed student notebooks are up to date (what CI runs).

Grading runs each submitted notebook on a copy in a temporary folder, in its own kernel, with
a time limit for the whole notebook. The checkers of :mod:`cnnlib.checks.homework` append one
JSON line per check to the file named by the ``CNNLIB_GRADING_LOG`` environment variable; the
grader reads that file and writes a CSV table: one row per notebook, one column of points per
exercise, the total, the maximum, and a reason when something went wrong (empty, unreadable,
crashed in cell N, timed out, kernel died, not attempted). Execution goes on after a cell that
raises, as nbgrader's autograder does, so later exercises still count.

Examples
--------
::

    python -m cnnlib.homework generate            # solutions -> notebooks/homework/student/
    python -m cnnlib.homework generate --check    # exit 1 if a student notebook is stale
    python -m cnnlib.homework grade submissions/ --out scores.csv --timeout 120
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .checks.homework import GRADING_LOG_ENV, HOMEWORK

__all__ = [
    "BEGIN",
    "END",
    "BLANK",
    "GenerateError",
    "student_source",
    "student_notebook",
    "generate",
    "Result",
    "grade_notebook",
    "grade",
    "write_scores",
    "main",
]

BEGIN, END, BLANK = "### BEGIN SOLUTION", "### END SOLUTION", "### BLANK"
CODE_PROMPT = ("# YOUR CODE HERE", "raise NotImplementedError")
MARKDOWN_PROMPT = "YOUR ANSWER HERE"
HOMEWORK_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "homework"
KERNEL = "python3"
_BLANK_LINE = re.compile(
    r"^(?P<target>\s*[\w.\[\]'\"]+(?:\s*,\s*[\w.\[\]'\"]+)*\s*=)(?!=)(?P<value>.*?)"
    + re.escape(BLANK) + r"\s*$")
_KEPT_METADATA = ("kernelspec", "language_info", "cnnlib")


class GenerateError(ValueError):
    """A solution notebook whose marks cannot be turned into a student version."""


# --------------------------------------------------------------------------------------------
# Generating student notebooks
# --------------------------------------------------------------------------------------------

def student_source(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """The student version of one cell's source (solution regions and blanks removed).

    Raises :class:`GenerateError` naming ``where`` for a marker that is unbalanced, not on a
    line of its own, or a ``### BLANK`` that does not end a ``name = value`` line.
    """
    out, inside = [], False
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        place = f"{where}, line {number}"
        if stripped == BEGIN:
            if inside:
                raise GenerateError(f"{place}: {BEGIN} inside another solution region.")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += ([indent + p for p in CODE_PROMPT] if cell_type == "code"
                    else [indent + MARKDOWN_PROMPT])
        elif stripped == END:
            if not inside:
                raise GenerateError(f"{place}: {END} without a {BEGIN} before it.")
            inside = False
        elif BEGIN in line or END in line:
            raise GenerateError(f"{place}: put {stripped!r}'s marker on a line of its own.")
        elif inside:
            continue
        elif BLANK in line:
            match = _BLANK_LINE.match(line) if cell_type == "code" else None
            if match is None or not match["value"].strip():
                raise GenerateError(f"{place}: {BLANK} must end an assignment such as "
                                    f"'x = 42  {BLANK}', got {line!r}.")
            out.append(match["target"] + " ...")
        else:
            out.append(line)
    if inside:
        raise GenerateError(f"{where}: {BEGIN} without an {END} after it.")
    return "\n".join(out)


def student_notebook(solution):
    """The student version of a solution notebook (an ``nbformat`` node); the input is kept."""
    import nbformat

    nb = copy.deepcopy(solution)
    kept = {k: v for k, v in nb.metadata.items() if k in _KEPT_METADATA}
    if "language_info" in kept:  # its version changes with the Python that last ran it
        kept["language_info"] = {"name": kept["language_info"].get("name", "python")}
    nb.metadata = nbformat.from_dict(kept)
    for index, cell in enumerate(nb.cells, start=1):
        cell.source = student_source(cell.source, cell.cell_type, f"cell {index}")
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    return nb


def _notebook_text(nb) -> str:
    import nbformat

    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def generate(solutions, out_dir, force: bool = False, check: bool = False):
    """Write the student version of each solution notebook into ``out_dir``.

    Parameters
    ----------
    solutions : iterable of path
        Solution notebooks; each student notebook gets the same file name.
    out_dir : path
    force : bool
        Overwrite a student notebook that differs from what would be written.
    check : bool
        Write nothing; only report which student notebooks are missing or differ.

    Returns
    -------
    dict
        ``{path: status}`` with status "written", "unchanged", "differs" (refused, or stale
        with ``check``) or "missing" (with ``check``). Nothing is written at all when a file
        would be refused, so a refused run leaves every file as it was.
    """
    import nbformat

    out_dir = Path(out_dir)
    plans, status = [], {}
    for solution in sorted(Path(s) for s in solutions):
        try:
            nb = student_notebook(nbformat.read(solution, as_version=4))
        except GenerateError as error:
            raise GenerateError(f"{solution}: {error}") from None
        target, text = out_dir / solution.name, _notebook_text(nb)
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old == text:
            status[target] = "unchanged"
        elif old is not None and not force:
            status[target] = "differs"
        else:
            status[target] = "missing" if check and old is None else (
                "differs" if check else "written")
            plans.append((target, text))
    if not check and "differs" not in status.values():
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, text in plans:
            target.write_text(text, encoding="utf-8")
    return status


# --------------------------------------------------------------------------------------------
# Grading submissions
# --------------------------------------------------------------------------------------------

@dataclass
class Result:
    """The grade of one submitted notebook."""

    submission: str
    homework: str = ""
    statuses: dict = field(default_factory=dict)  # exercise -> its checker's last status
    reason: str = ""
    seconds: float = 0.0

    @property
    def points(self) -> dict:
        """One point per correct exercise (wrong, not attempted and "not run" give 0)."""
        return {ex: int(status == "correct") for ex, status in self.statuses.items()}

    @property
    def total(self) -> int:
        return sum(self.points.values())

    @property
    def maximum(self) -> int:
        return len(HOMEWORK.get(self.homework, ()))


def _homework_of(path: Path, nb) -> str:
    """The homework a notebook answers: from its metadata, else from its file name."""
    name = (nb.metadata.get("cnnlib") or {}).get("homework", "") if nb is not None else ""
    if name in HOMEWORK:
        return name
    stem = path.stem.lower()
    for known in HOMEWORK:  # "hw1_alexnet_parameters" or a token "hw1": "kim_hw1", "hw1-lee"
        if known in stem or re.search(rf"(?<![a-z0-9]){_short_name(known)}(?![0-9])", stem):
            return known
    return ""


def _read_records(log: Path) -> list[dict]:
    if not log.exists():
        return []
    records = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _execute(nb, workdir: Path, log: Path, timeout: float) -> str:
    """Run every code cell in a fresh kernel; return why the run is not clean ("" if it is)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client = NotebookClient(nb, kernel_name=KERNEL, allow_errors=True, timeout=int(timeout),
                            startup_timeout=60, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(workdir)}})
    env = {**os.environ, GRADING_LOG_ENV: str(log)}
    reason = ""
    with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
        deadline = time.monotonic() + timeout
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.timeout = max(1, int(deadline - time.monotonic() + 0.999))
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                _cancel_pending_tasks()
                return f"timed out after {timeout:g} s (in cell {index + 1})"
            except DeadKernelError:
                return f"kernel died in cell {index + 1}"
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors and not reason:
                error = errors[0]
                reason = _short(f"crashed in cell {index + 1}: "
                                f"{error.get('ename', '')}: {error.get('evalue', '')}")
            if time.monotonic() > deadline:
                return f"timed out after {timeout:g} s (in cell {index + 1})"
    return reason


def _cancel_pending_tasks() -> None:
    """Stop what nbclient left waiting for a cell that timed out (it would warn at exit)."""
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def grade_notebook(path, timeout: float = 120.0, name: str | None = None) -> Result:
    """Grade one notebook: run a copy in a fresh kernel and collect the checkers' results.

    The file at ``path`` is only read. Whatever the notebook does (raise, loop forever, kill
    its kernel), the result is a :class:`Result` with points and a reason.
    """
    import nbformat

    path = Path(path)
    result = Result(name or path.name)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cnnlib-grade-") as tmp:
        copy = Path(tmp) / "submission.ipynb"
        shutil.copyfile(path, copy)
        try:
            nb = nbformat.read(copy, as_version=4)
        except Exception as error:  # empty file, not JSON, not a notebook
            empty = copy.stat().st_size == 0 or not copy.read_text(errors="replace").strip()
            result.homework = _homework_of(path, None)
            result.reason = ("empty submission" if empty
                             else _short(f"unreadable notebook: {type(error).__name__}: {error}"))
            return result
        result.homework = _homework_of(path, nb)
        if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
            result.reason = "empty submission"
            return result
        log = Path(tmp) / "grading-log.jsonl"
        try:
            result.reason = _execute(nb, Path(tmp), log, timeout)
        except Exception as error:  # the kernel could not start, or nbclient failed
            result.reason = _short(f"could not run: {type(error).__name__}: {error}")
        records = _read_records(log)
    result.seconds = time.monotonic() - start
    if not result.homework:
        found = {r.get("homework") for r in records} & set(HOMEWORK)
        result.homework = found.pop() if len(found) == 1 else ""
    statuses = {}
    for record in records:  # the last check of an exercise counts
        if record.get("homework") == result.homework:
            statuses[record.get("exercise")] = record.get("status")
    result.statuses = {ex: statuses.get(ex, "not run") for ex in HOMEWORK.get(result.homework, ())}
    result.reason = result.reason or _clean_run_reason(result, statuses)
    return result


def _clean_run_reason(result: Result, recorded: dict) -> str:
    """Why a notebook that ran without errors still scores nothing ("" if it does not)."""
    if not result.homework:
        return "unknown homework: no cnnlib metadata, file name or check names it"
    if not recorded:
        return "no check ran (were the check cells deleted?)"
    if all(s in ("not attempted", "not run") for s in result.statuses.values()):
        return "not attempted"
    return ""


def grade(folder, timeout: float = 120.0, progress=print, jobs: int = 1) -> list[Result]:
    """Grade every ``*.ipynb`` under ``folder`` (checkpoints skipped), one kernel each.

    ``jobs`` notebooks run at the same time (each in its own kernel process). ``progress``
    receives one line per notebook as it finishes; the results come in file-name order.
    """
    folder = Path(folder)
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(grade_notebook, p, timeout, p.relative_to(folder).as_posix())
                   for p in paths]
        for number, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            if progress:
                note = f" - {result.reason}" if result.reason else ""
                progress(f"[{number}/{len(paths)}] {result.submission}: {result.total}/"
                         f"{result.maximum} ({result.seconds:.1f} s){note}")
    return [future.result() for future in futures]


def _short_name(homework: str) -> str:
    return homework.split("_")[0]


def _column(homework: str, exercise: str) -> str:
    return f"{_short_name(homework)}.{exercise}"


def write_scores(results, out) -> list[str]:
    """Write the score table as CSV; return its header.

    Columns: ``submission, homework``, one column of points per exercise of every homework
    present (``hw1.conv1_shape``, ...), ``total, max, reason``.
    """
    present = [hw for hw in HOMEWORK if any(r.homework == hw for r in results)]
    exercises = [(hw, ex) for hw in present for ex in HOMEWORK[hw]]
    header = (["submission", "homework"] + [_column(hw, ex) for hw, ex in exercises]
              + ["total", "max", "reason"])
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for r in results:
            writer.writerow([r.submission, r.homework]
                            + [r.points.get(ex, "") if r.homework == hw else ""
                               for hw, ex in exercises]
                            + [r.total, r.maximum, r.reason])
    return header


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    """``python -m cnnlib.homework generate|grade ...``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnlib.homework",
        description="Generate the student homework notebooks, or grade submitted ones.")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="solution notebooks -> student notebooks")
    gen.add_argument("solutions", nargs="*", type=Path,
                     help=f"solution notebooks (default: {HOMEWORK_DIR}/hw*.ipynb)")
    gen.add_argument("--out", type=Path, default=HOMEWORK_DIR / "student",
                     help="folder of the student notebooks (default: %(default)s)")
    gen.add_argument("--force", action="store_true",
                     help="overwrite student notebooks that differ from the generated ones")
    gen.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if a student notebook is missing or stale")
    grd = commands.add_parser("grade", help="run submitted notebooks and write a score table")
    grd.add_argument("submissions", type=Path, help="folder with the submitted notebooks")
    grd.add_argument("--out", type=Path, default=Path("scores.csv"),
                     help="CSV file to write (default: %(default)s)")
    grd.add_argument("--timeout", type=float, default=120.0,
                     help="seconds allowed per notebook (default: %(default)s)")
    grd.add_argument("--jobs", type=int, default=1,
                     help="notebooks graded at the same time (default: %(default)s)")
    args = parser.parse_args(argv)

    if args.command == "generate":
        solutions = args.solutions or sorted(HOMEWORK_DIR.glob("hw*.ipynb"))
        try:
            status = generate(solutions, args.out, force=args.force, check=args.check)
        except GenerateError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for target, state in status.items():
            print(f"{state:>9}  {target}")
        if "differs" in status.values() and not args.check:
            print("error: nothing written: the files marked 'differs' are not what the "
                  "generator writes (edited by hand?). Keep a copy of any changes you need, "
                  "then run again with --force.", file=sys.stderr)
            return 1
        return int(args.check and any(s in ("differs", "missing") for s in status.values()))

    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder.", file=sys.stderr)
        return 2
    results = grade(args.submissions, args.timeout, jobs=args.jobs,
                    progress=lambda line: print(line, file=sys.stderr, flush=True))
    write_scores(results, args.out)
    print(f"{len(results)} notebooks graded; scores written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

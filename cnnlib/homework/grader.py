"""Grade submitted notebooks: every submission in a sandbox, every score decided here.

``grade(folder, out)`` finds the submissions, gives each one exactly one CSV row (written and
flushed as soon as it is known) and always finishes:

1. **Find.** Every entry whose name ends in ``.ipynb`` or ``.json`` (any case) under the
   folder, without following symbolic links. A link, a folder, a pipe or a device with such a
   name gets a row "refused: ..."; names that are not UTF-8 are shown escaped.
2. **Read.** At most :data:`MAX_BYTES`, opened without following links and without blocking;
   empty, not JSON, or not a notebook gets a row with that reason.
3. **Identify** the homework from the notebook's code (the names its exercises define), then
   its metadata, then its file name.
4. **Run** its code cells in the sandbox (:mod:`cnnlib.homework.sandbox`), which hands back the
   student's answers, never a verdict: for homework 3 the outputs of the student's functions
   on inputs drawn here, now, from a secret seed.
5. **Score** the answers with :func:`cnnlib.checks.homework.score`, in this process, which runs
   no student code.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import secrets
import stat
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..checks.homework import HOMEWORK, HW2, POINTS, grading_task, score
from ..i18n import N_, tr
from . import sandbox as sb

MAX_BYTES = 20_000_000
SUFFIXES = (".ipynb", ".json")
NOT_RUN = N_("not run")
#: Names whose definition in a notebook's code says which homework it is.
MARKERS = {
    "hw1_zfnet_parameters": ("conv1_shape", "fc6_params", "total_params", "zfnet_layer"),
    "hw2_build_zfnet": ("build_zfnet", "fc_share", "zfnet_model"),
    "hw3_conv_and_pool_from_scratch": ("conv2d_forward", "conv2d_backward",
                                       "max_pool2d_forward", "max_pool2d_backward"),
}


@dataclass
class Result:
    """The grade of one submission."""

    submission: str
    homework: str = ""
    statuses: dict = field(default_factory=dict)   # exercise -> correct/wrong/not attempted
    messages: dict = field(default_factory=dict)   # exercise -> feedback message
    reason: str = ""
    sandbox: str = ""
    seconds: float = 0.0

    @property
    def points(self) -> dict:
        weights = POINTS.get(self.homework, {})
        return {ex: weights[ex] * (status == "correct") for ex, status in self.statuses.items()}

    @property
    def total(self) -> int:
        return sum(self.points.values())

    @property
    def maximum(self) -> int:
        return sum(POINTS.get(self.homework, {}).values())


def display_name(relative: bytes) -> str:
    """A printable name: undecodable bytes as ``\\xNN``, control characters escaped."""
    text = relative.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def find_submissions(folder: Path) -> list[tuple[bytes, str]]:
    """``(relative path as bytes, refusal or "")`` of every candidate under ``folder``."""
    found = []

    def walk(directory: bytes, relative: bytes):
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            rel = relative + entry.name
            is_candidate = entry.name.lower().endswith(tuple(s.encode() for s in SUFFIXES))
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode) and not is_candidate:
                if entry.name != b".ipynb_checkpoints":
                    walk(entry.path, rel + b"/")
            elif is_candidate:
                found.append((rel, _refusal(mode)))

    walk(os.fsencode(folder), b"")
    return found


def _refusal(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return tr("refused: a symbolic link, not a file (links are never followed)")
    if stat.S_ISDIR(mode):
        return tr("refused: a folder, not a notebook file")
    if not stat.S_ISREG(mode):
        return tr("refused: not a regular file (a pipe, socket or device)")
    return ""


def read_submission(path: bytes) -> tuple[bytes | None, str]:
    """The file's bytes, or None and why not; never follows a link, never blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return None, tr("refused: cannot open it ({reason})", reason=error.strerror)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, _refusal(info.st_mode) or tr("refused: not a regular file")
        if info.st_size > MAX_BYTES:
            return None, tr("refused: larger than {mb} MB", mb=MAX_BYTES // 1_000_000)
        with os.fdopen(fd, "rb", closefd=False) as file:
            return file.read(MAX_BYTES + 1)[:MAX_BYTES], ""
    finally:
        os.close(fd)


def code_cells(data: bytes) -> tuple[list | None, dict, str]:
    """``(code cell sources, metadata, problem)`` of a notebook file's bytes."""
    if not data.strip():
        return None, {}, tr("empty submission")
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return None, {}, tr("unreadable notebook: not JSON ({error_type})",
                            error_type=type(error).__name__)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, {}, tr("unreadable notebook: no list of cells")
    sources = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            sources.append(source)
    metadata = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    if not any(s.strip() for s in sources):
        return None, metadata, tr("empty submission")
    return sources, metadata, ""


def identify(sources: list, metadata: dict, name: str) -> str:
    """The homework a notebook answers: from its code, else its metadata, else its name."""
    code = "\n".join(sources or [])
    counts = {hw: sum(bool(re.search(rf"\b{m}\b", code)) for m in marks)
              for hw, marks in MARKERS.items()}
    best = max(counts.values())
    if best and list(counts.values()).count(best) == 1:
        return max(counts, key=counts.get)
    claimed = (metadata.get("cnnlib") or {}).get("homework") if isinstance(
        metadata.get("cnnlib"), dict) else None
    if claimed in HOMEWORK:
        return claimed
    stem = name.lower()
    for known in HOMEWORK:
        short = known.split("_")[0]
        if known in stem or re.search(rf"(?<![a-z0-9]){short}(?![0-9])", stem):
            return known
    return ""


def read_answers(lines: list) -> tuple[dict, list, bool, str]:
    """Parse the sandbox's lines: ``(answers, cell errors, finished, cell timeout)``.

    The first answer of each name counts; lines that are not JSON objects are ignored.
    """
    answers = {"values": {}, "models": {}, "calls": {}}
    errors, done, timeout = [], False, ""
    for line in lines[:100_000]:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        kind = record.get("kind")
        if kind == "value" and isinstance(record.get("name"), str):
            answers["values"].setdefault(record["name"], record.get("value"))
        elif kind == "model" and isinstance(record.get("name"), str):
            answers["models"].setdefault(record["name"], record)
        elif kind == "call" and isinstance(record.get("id"), str):
            answers["calls"].setdefault(record["id"], record)
        elif kind == "cell_error" and isinstance(record.get("cell"), int):
            errors.append((record["cell"], str(record.get("error", ""))))
        elif kind == "cell_timeout" and not timeout:
            timeout = str(record.get("cell", "?"))
        elif kind == "done":
            done = True
    return answers, errors, done, timeout


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Settings:
    """How to grade: limits and whether a sandbox is required."""

    limits: sb.Limits
    sandbox: bool = True
    bwrap: str | None = None


def grade_one(folder: Path, relative: bytes, refusal: str, staged: dict,
              settings: Settings) -> Result:
    """Grade one submission; whatever it is or does, return a Result with a reason."""
    start = time.monotonic()
    result = Result(display_name(relative))
    result.sandbox = sb.describe(settings.sandbox, settings.bwrap)
    try:
        _grade_into(result, os.path.join(os.fsencode(folder), relative), refusal, staged,
                    settings)
    except Exception as error:  # a bug of ours must still give the submission its row
        result.reason = _short(f"grader error: {type(error).__name__}: {error}")
    result.seconds = time.monotonic() - start
    if result.total < result.maximum or not result.homework:
        result.reason = result.reason or _lost(result)
    return result


def _lost(result: Result) -> str:
    if not result.homework:
        return tr("unknown homework: neither its code, its metadata nor its file name names one")
    if all(s in ("not attempted", NOT_RUN) for s in result.statuses.values()):
        return tr("not attempted")
    parts = []
    for status in ("wrong", "not attempted", NOT_RUN):
        exercises = [ex for ex, s in result.statuses.items() if s == status]
        if exercises:
            parts.append(f"{tr(status)}: {', '.join(exercises)}")
    return _short("; ".join(parts), 300)


def _grade_into(result: Result, path: bytes, refusal: str, staged: dict,
                settings: Settings) -> None:
    if refusal:
        result.homework = identify([], {}, result.submission)
        result.statuses = dict.fromkeys(HOMEWORK.get(result.homework, ()), NOT_RUN)
        result.reason = refusal
        return
    data, problem = read_submission(path)
    sources, metadata, problem = code_cells(data) if data is not None else (None, {}, problem)
    result.homework = identify(sources, metadata, result.submission)
    if result.homework:
        result.statuses = dict.fromkeys(HOMEWORK[result.homework], NOT_RUN)
    if problem or not result.homework:
        result.reason = problem
        return
    task, private = grading_task(result.homework, secrets.randbits(63))
    run = sb.run(sources, task, staged[result.homework], settings.limits,
                 sandbox=settings.sandbox, bwrap=settings.bwrap)
    result.sandbox = run.isolation
    answers, errors, done, cell_timeout = read_answers(run.lines)
    feedback = score(result.homework, answers, private)
    result.statuses = {ex: f.status for ex, f in feedback.items()}
    result.messages = {ex: f.message for ex, f in feedback.items()}
    if run.flooded:
        result.reason = tr("stopped: wrote more than {n} bytes of answers",
                           n=settings.limits.output_bytes)
    elif run.timed_out or cell_timeout:
        where = tr(" (in cell {cell})", cell=cell_timeout) if cell_timeout else ""
        result.reason = tr("timed out after {seconds} s", seconds=f"{settings.limits.seconds:g}"
                           ) + where
    elif any(c.get("error") == "timed out" for c in answers["calls"].values()):
        slow = sorted({c["id"].split("/")[0] for c in answers["calls"].values()
                       if c.get("error") == "timed out"})
        result.reason = tr("timed out calling {functions}", functions=", ".join(slow))
    elif errors:
        cell, error = errors[0]
        result.reason = _short(tr("crashed in cell {cell}: {error}", cell=cell, error=error))
    elif not done:
        result.reason = tr("the notebook's process ended early (exit status {status})",
                           status=run.returncode)


HEADER_FIXED = ["submission", "homework"]


def header() -> list[str]:
    columns = [f"{hw.split('_')[0]}.{ex}" for hw, exercises in HOMEWORK.items()
               for ex in exercises]
    return HEADER_FIXED + columns + ["total", "max", "sandbox", "seconds", "reason"]


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: formulas (``=``, ``+``, ``-``, ``@``) quoted."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "|") else text


def row(result: Result) -> list[str]:
    cells = [result.submission, result.homework]
    for hw, exercises in HOMEWORK.items():
        for ex in exercises:
            cells.append(result.points.get(ex, 0) if result.homework == hw else "")
    cells += [result.total, result.maximum, result.sandbox, f"{result.seconds:.1f}",
              result.reason]
    return [safe_cell(c) for c in cells]


def check_options(timeout, jobs, memory_mb) -> None:
    """Refuse settings that would grade nobody fairly (raises ValueError naming the fix)."""
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or not (
            1 <= timeout <= 3600):
        raise ValueError(f"--timeout must be a number of seconds from 1 to 3600; got {timeout}.")
    if not isinstance(jobs, int) or not 1 <= jobs <= 64:
        raise ValueError(f"--jobs must be a whole number from 1 to 64; got {jobs}.")
    if not isinstance(memory_mb, int) or not 256 <= memory_mb <= 65536:
        raise ValueError(f"--memory must be a number of MB from 256 to 65536; got {memory_mb}.")


def grade(folder, out, timeout: float = 120.0, jobs: int = 1, sandbox: bool = True,
          memory_mb: int = 2048, progress=None) -> list[Result]:
    """Grade every submission under ``folder`` into the CSV file ``out``; return the results.

    The CSV file is opened before anything is graded (an unwritable ``out`` fails at once),
    and each row is written and flushed as soon as its submission is graded.

    Raises
    ------
    ValueError
        For a bad option, a folder that is not a folder, or ``out`` inside ``folder``.
    OSError
        When ``out`` cannot be written.
    sandbox.SandboxUnavailable
        When ``sandbox`` is true and bubblewrap does not work here.
    """
    check_options(timeout, jobs, memory_mb)
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of submissions.")
    bwrap = sb.bwrap_path() if sandbox else None
    if sandbox and bwrap is None:
        raise sb.SandboxUnavailable(
            "bubblewrap (bwrap) is not available or does not work here, so submissions "
            "cannot be isolated. Install it (Debian/Ubuntu: apt-get install bubblewrap), or "
            "pass --no-sandbox to run them unisolated on a machine you can afford to lose.")
    settings = Settings(sb.Limits(seconds=float(timeout), memory_mb=memory_mb), sandbox, bwrap)
    submissions = find_submissions(folder)
    lock, results = threading.Lock(), []
    with open(out, "w", newline="", encoding="utf-8") as file, \
            tempfile.TemporaryDirectory(prefix="cnnlib-grade-") as tmp:
        writer = csv.writer(file)
        writer.writerow(header())
        file.flush()
        staged = {}
        for hw in HOMEWORK:
            staged[hw] = Path(tmp) / hw
            sb.stage_libraries(staged[hw], hw == HW2, links=not sandbox)

        def one(item):
            result = grade_one(folder, *item, staged, settings)
            with lock:
                writer.writerow(row(result))
                file.flush()
                results.append(result)
                if progress:
                    note = f" - {result.reason}" if result.reason else ""
                    progress(f"[{len(results)}/{len(submissions)}] {result.submission}: "
                             f"{result.total}/{result.maximum} ({result.seconds:.1f} s){note}")
            return result

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, submissions))
    return results

"""Grade submitted notebooks: every submission in a sandbox, every score decided here.

``grade(folder, out)`` finds the submissions, gives each one exactly one CSV row (written and
flushed as soon as it is known) and always finishes:

1. **Find.** Every entry whose name ends in ``.ipynb`` or ``.json`` (any case) under the
   folder, walked with an explicit stack (no recursion), without following symbolic links, at
   most :data:`MAX_DEPTH` folders deep and :data:`MAX_ENTRIES` entries in all. A link, a
   folder, a pipe or a device with such a name gets a row "refused: ..."; a folder too deep
   or unreadable, or the entry past the limit, gets a row "not searched: ...".
2. **Read.** At most :data:`MAX_BYTES`, opened without following links and without blocking;
   empty, not JSON, or not a notebook gets a row with that reason.
3. **Identify** the homework from the notebook's code (the names its exercises define), then
   its metadata, then its file name.
4. **Run** its code cells in the sandbox (:mod:`cnnlib.homework.sandbox`), which hands back the
   student's answers, never a verdict: for homework 3 the outputs of the student's functions
   on inputs drawn here, now, from a secret seed.
5. **Check** every answer record (:func:`read_answers`): only the kinds and names the task
   asked for, JSON numbers, texts and lists of bounded size, length and nesting; a record that
   is not what the runner writes counts as an invalid (wrong) answer.
6. **Score** the answers with :func:`cnnlib.checks.homework.score`, in this process, which runs
   no student code (homework 2's model is rebuilt here from its description).

Whatever a submission holds, what the grader shows of it (the submission's name, every
reason, every progress line) goes through one sanitiser, :func:`safe_text`: one line, no
control, format or bidirectional characters, at most :data:`MAX_TEXT` characters, and a name
with non-ASCII letters also shown escaped, so that "kіm" (Cyrillic і) is told from "kim".
A grader-side error costs only its own row ("grader error: ..."), and a row that cannot be
written is replaced by a plain ASCII one.

After the CSV, :func:`write_companion` writes ``<out stem>.grades.json``: what the CSV cannot
hold (per exercise the status, the checker's message, the known mistake; where a run stopped),
for the feedback pages, the gradebook export and the class report.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import re
import secrets
import stat
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...i18n import N_, tr
from ..selfcheck import _SETTING_HINTS, _TYPE_HINT, MISTAKES
from . import sandbox as sb
from .reference import BY_PERSON, HOMEWORK, HW2, POINTS, grading_task, maximum_points, score
from .variants import DEFAULT_ID, draw

MAX_BYTES = 20_000_000
SUFFIXES = (".ipynb", ".json")
NOT_RUN = N_("not run")
#: The most characters of one reason, one name, one progress line.
MAX_TEXT = 300
#: How deep the submissions folder is searched (``submissions/student/attempt/`` is 2 deep).
MAX_DEPTH = 16
#: How many entries (files and folders) the search looks at in all.
MAX_ENTRIES = 100_000
#: What an answer record may hold. The runner never writes more (it cuts texts at 200
#: characters, arrays at 100,000 numbers, nesting at 7 lists, 8 for a tuple of results, and at
#: most 4 MB in all), so a record beyond these limits was not written by the runner and counts
#: as an invalid answer. Items are numbers, texts and lists, counted together.
MAX_NESTING = 8
MAX_ITEMS = 1_000_000
MAX_STRING = 200
MAX_LAYERS = 500
MAX_LINES = 100_000
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
    student: str = ""                              # whose variant it was graded against
    flags: list = field(default_factory=list)      # for a person to judge; never points
    mistakes: dict = field(default_factory=dict)   # exercise -> id of a known mistake
    stopped: dict = field(default_factory=dict)    # why the run stopped: kind, cell, error
    invalid: dict = field(default_factory=dict)    # exercise -> why its answer was invalid
    code: list = field(default_factory=list, repr=False)  # its code cells, for copy detection

    @property
    def points(self) -> dict:
        weights = POINTS.get(self.homework, {})
        return {ex: weights[ex] * (status == "correct") for ex, status in self.statuses.items()}

    @property
    def total(self) -> int:
        return sum(self.points.values())

    @property
    def maximum(self) -> int:
        """The points the grader can give (a person gives :attr:`by_person` more)."""
        return maximum_points(self.homework)[0] if self.homework in HOMEWORK else 0

    @property
    def by_person(self) -> int:
        """The points of the questions a person grades (the CSV leaves them blank)."""
        return maximum_points(self.homework)[1] if self.homework in HOMEWORK else 0


#: Characters that end or break a line; in a reason they become a space.
_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
#: Unicode categories never shown raw: controls (ESC, C1), format characters (the bidi
#: embeddings, overrides and isolates U+202A-U+202E, U+2066-U+2069, the marks U+200E, U+200F,
#: U+061C, zero-width characters), lone surrogates, private and unassigned code points, line
#: and paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape(char: str) -> str:
    code = ord(char)
    return (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
            else f"\\U{code:08x}")


def _visible(char: str, escape_breaks: bool) -> str:
    """One character as the grader shows it: itself, a space, or an ASCII escape."""
    if char == " " or (char in _BREAKS and not escape_breaks):
        return " "
    category = unicodedata.category(char)
    if category in _HIDDEN or category == "Zs":  # Zs: spaces other than " " (no-break, ...)
        return _escape(char)
    return char


def safe_text(text, limit: int = MAX_TEXT, *, name: bool = False) -> str:
    """``text`` made safe to show on a terminal, in a CSV cell or a spreadsheet.

    The one sanitiser of everything the grader shows that a submission can influence: its
    name, every reason and every progress line.

    Parameters
    ----------
    text : object
        Anything; ``str(text)`` is shown.
    limit : int
        The most characters of the result (at least 20); a longer text keeps its beginning
        and its end around ``...``.
    name : bool
        For a file name: line breaks are escaped (``\\n``), not turned into spaces, and a
        name with non-ASCII characters is followed by its ASCII form, every non-ASCII
        character escaped (``k\\u0456m_hw3.ipynb [as ASCII: k\\u0456m_hw3.ipynb]``), so that
        look-alike names (Latin "kim", Cyrillic "kіm") differ on screen.

    Returns
    -------
    str
        One line without control, format or bidirectional characters and without lone
        surrogates (all shown as ``\\xNN``, ``\\uXXXX`` or ``\\UXXXXXXXX``), runs of spaces
        collapsed, at most ``limit`` characters.
    """
    limit, text = max(int(limit), 20), str(text)
    if len(text) > 4 * limit:  # only its beginning and its end can be shown anyway
        pieces = _pieces(text[:2 * limit], name) + ["..."] + _pieces(text[-2 * limit:], name)
    else:
        pieces = _pieces(text, name)
    if name and any(len(p) == 1 and ord(p) > 127 for p in pieces):
        pieces += [" [as ASCII: "] + [p if len(p) > 1 or ord(p) < 128 else _escape(p)
                                      for p in pieces] + ["]"]
    return _shorten(pieces, limit)


def _pieces(text: str, name: bool) -> list:
    """The characters of ``text`` as shown (:func:`_visible`), runs of spaces as one, trimmed."""
    pieces = []
    for char in text:
        piece = _visible(char, escape_breaks=name)
        if piece != " " or (pieces and pieces[-1] != " "):
            pieces.append(piece)
    while pieces and pieces[-1] == " ":
        pieces.pop()
    return pieces


def _shorten(pieces: list, limit: int) -> str:
    """Join ``pieces`` (characters or escapes, never split) into at most ``limit`` characters,
    keeping the beginning and the end (a file name's suffix) around ``...``."""
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    head_room = (limit - 3) * 2 // 3
    head, used = [], 0
    for piece in pieces:
        if used + len(piece) > head_room:
            break
        head.append(piece)
        used += len(piece)
    tail, tail_used = [], 0
    for piece in reversed(pieces[len(head):]):
        if used + tail_used + len(piece) > limit - 3:
            break
        tail.append(piece)
        tail_used += len(piece)
    return "".join(head) + "..." + "".join(reversed(tail))


def display_name(relative: bytes) -> str:
    """A submission's name as the grader shows it: :func:`safe_text` of its path under the
    folder, undecodable bytes as ``\\xNN``."""
    return safe_text(relative.decode("utf-8", errors="backslashreplace"), name=True)


def find_submissions(folder: Path) -> list[tuple[bytes, str]]:
    """``(relative path as bytes, refusal or "")`` of every candidate under ``folder``.

    A depth-first walk with an explicit stack, in name order, that never follows a link and
    never recurses: a folder deeper than :data:`MAX_DEPTH`, a folder that cannot be listed and
    the entry past :data:`MAX_ENTRIES` get a row of their own saying what was not searched.

    Raises
    ------
    OSError
        When ``folder`` itself cannot be listed.
    """
    top = os.fsencode(folder)
    entries, problem = _listing(top)
    if problem:
        raise OSError(f"cannot list the submissions folder {folder}: {problem}")
    found, seen = [], 0
    stack = [(iter(entries), b"", 0)]
    while stack:
        entries, relative, depth = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        seen += 1
        rel = relative + entry.name
        if seen > MAX_ENTRIES:
            found.append((rel, tr("not searched: the folder holds more than {n} entries; "
                                  "this one and those after it were skipped",
                                  n=f"{MAX_ENTRIES:,}")))
            break
        is_candidate = entry.name.lower().endswith(tuple(s.encode() for s in SUFFIXES))
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        if is_candidate:
            found.append((rel, _refusal(mode)))
        elif stat.S_ISDIR(mode) and entry.name != b".ipynb_checkpoints":
            if depth + 1 > MAX_DEPTH:
                found.append((rel + b"/", tr("not searched: a folder more than {n} levels deep",
                                            n=MAX_DEPTH)))
                continue
            inside, problem = _listing(entry.path)
            if problem:
                found.append((rel + b"/", problem))
            else:
                stack.append((iter(inside), rel + b"/", depth + 1))
    return found


def _listing(directory: bytes) -> tuple[list, str]:
    """The entries of a folder sorted by name (at most ``MAX_ENTRIES + 1``), or why not."""
    try:
        with os.scandir(directory) as scan:
            return sorted(itertools.islice(scan, MAX_ENTRIES + 1), key=lambda e: e.name), ""
    except OSError as error:
        return [], tr("not searched: cannot list this folder ({reason})",
                      reason=error.strerror or type(error).__name__)


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
    claimed = metadata.get("cnnlib", {}).get("homework") if isinstance(
        metadata.get("cnnlib"), dict) else None
    if isinstance(claimed, str) and claimed in HOMEWORK:  # anything else is ignored
        return claimed
    stem = name.lower()
    for known in HOMEWORK:
        short = known.split("_")[0]
        if known in stem or re.search(rf"(?<![a-z0-9]){short}(?![0-9])", stem):
            return known
    return ""


def identify_student(name: str, metadata: dict, settings: Settings) -> tuple[str, str]:
    """``(student id, note)``: whose variant a submission is graded against.

    Without variants (no ``--variants``) everyone has the paper's network. With them, the id
    comes from where the submission was collected (``<id>/...`` or ``<id>_...``, as collection
    and LMS downloads name files), else from the notebook's metadata (``cnnlib.student``,
    written by the generator; a student can edit it, so a disagreement is noted for a person
    to judge). Only ids of the roster count.
    """
    if settings.seed is None:
        return DEFAULT_ID, ""
    claimed = (metadata.get("cnnlib") or {}).get("student") if isinstance(
        metadata.get("cnnlib"), dict) else None
    claimed = claimed if claimed in settings.students else None
    located = next((s for s in sorted(settings.students, key=len, reverse=True)
                    if name.startswith((s + "/", s + "_"))), None)
    if located and claimed and located != claimed:
        return located, tr("its notebook says it is {claimed}'s; graded as {student}'s",
                           claimed=claimed, student=located)
    student = located or claimed
    if student is None:
        return DEFAULT_ID, tr("no student id of the roster: graded against the paper's network")
    return student, ""


def read_answers(lines: list, task: dict | None = None) -> tuple[dict, list, bool, str]:
    """Parse and check the sandbox's lines: ``(answers, cell errors, finished, cell timeout)``.

    Nothing the sandbox prints is trusted. Only records of the kinds the runner writes count,
    and only answers the task asked for (``task``'s ``values``, ``models`` and ``calls``; every
    name when ``task`` is None): a name not asked for is ignored. The first record of each
    name counts; lines that are not JSON objects are ignored. An answer that is not what the
    runner writes (a type, size, length or nesting it never produces: see :data:`MAX_NESTING`,
    :data:`MAX_ITEMS`, :data:`MAX_STRING`, :data:`MAX_LAYERS`) is replaced by an invalid
    answer that scores as wrong, and ``answers["invalid"]`` says which and why. Texts that
    reach a reason are made safe (:func:`safe_text`).
    """
    wanted = _wanted(task)
    answers = {"values": {}, "models": {}, "calls": {}, "invalid": {}}
    errors, done, timeout = [], False, ""
    for line in lines[:MAX_LINES]:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        kind = record.get("kind")
        if kind in ("value", "model", "call"):
            _read_answer(answers, kind, record, wanted)
        elif kind == "cell_error" and _whole(record.get("cell"), 1, MAX_LINES):
            error = record.get("error")
            errors.append((record["cell"], safe_text(error) if isinstance(error, str)
                           else tr("an error that is not a text")))
        elif kind == "cell_timeout" and not timeout and _whole(record.get("cell"), 1, MAX_LINES):
            timeout = str(record["cell"])
        elif kind == "done":
            done = True
    return answers, errors, done, timeout


#: Where each kind of answer goes, and the key that names it.
_ANSWERS = {"value": ("values", "name"), "model": ("models", "name"), "call": ("calls", "id")}


def _wanted(task: dict | None) -> dict | None:
    """``{kind: names the task asks for}``, or None (any name) without a task."""
    if task is None:
        return None
    return {"value": set(task.get("values", [])), "model": set(task.get("models", {})),
            "call": {call["id"] for call in task.get("calls", [])}}


def _read_answer(answers: dict, kind: str, record: dict, wanted: dict | None) -> None:
    """Keep the first valid record of an answer the task asked for (else an invalid one)."""
    where, key = _ANSWERS[kind]
    name = record.get(key)
    if not isinstance(name, str) or (wanted is not None and name not in wanted[kind]) or (
            len(name) > MAX_STRING) or name in answers[where]:
        return
    clean, problem = _CLEAN[kind](record)
    if problem:
        answers["invalid"][name] = problem
        clean = {"object": "invalid answer"} if kind == "value" else {
            "error": tr("invalid answer ({problem})", problem=problem)}
    answers[where][name] = clean


def _whole(value, low: int, high: int) -> bool:
    """Whether ``value`` is an int (not a bool) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _marker(value: dict) -> bool:
    """The runner's stand-ins for answers JSON cannot hold: missing, nan/inf, another type."""
    if len(value) != 1:
        return False
    (key, item), = value.items()
    return ((key == "missing" and item is True)
            or (key == "number" and item in ("nan", "inf", "-inf"))
            or (key == "object" and isinstance(item, str) and len(item) <= 60))


def answer_problem(value, nesting: int = MAX_NESTING) -> str:
    """Why ``value`` is not an answer the runner could have written ("" when it is one).

    An answer is a bool, an int below 10**30, a float, a text of at most :data:`MAX_STRING`
    characters, a runner's marker (``{"missing": true}``, ``{"number": "nan"}``,
    ``{"object": "..."}``), or a list of answers, at most ``nesting`` lists deep and
    :data:`MAX_ITEMS` items in all. Checked without recursion.
    """
    stack, items = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        items += 1
        if items > MAX_ITEMS:
            return tr("more than {n} items", n=f"{MAX_ITEMS:,}")
        if isinstance(item, bool) or isinstance(item, float):
            continue
        if isinstance(item, int):
            if abs(item) >= 10**30:
                return tr("a whole number too large")
        elif isinstance(item, str):
            if len(item) > MAX_STRING:
                return tr("a text longer than {n} characters", n=MAX_STRING)
        elif isinstance(item, list):
            if depth >= nesting:
                return tr("lists nested more than {n} deep", n=nesting)
            stack.extend((element, depth + 1) for element in item)
        elif not (isinstance(item, dict) and _marker(item)):
            return tr("a {kind} where a number, a text or a list belongs",
                      kind="null" if item is None else type(item).__name__)
    return ""


def _clean_value(record: dict) -> tuple:
    value = record.get("value")
    return value, answer_problem(value)


def _missing_or_error(record: dict) -> tuple:
    """A record that says its answer is missing, or that computing it raised (a text)."""
    if record.get("missing") is True:
        return {"missing": True}, ""
    if not isinstance(record["error"], str):
        return None, tr("an error that is not a text")
    return {"error": safe_text(record["error"])}, ""


def _clean_call(record: dict) -> tuple:
    """A call record: missing, an error (a text), or a result (a tuple of results)."""
    if record.get("missing") is True or "error" in record:
        return _missing_or_error(record)
    if "result" not in record:
        return None, tr("no result")
    result, is_tuple = record["result"], record.get("tuple", False)
    if not isinstance(is_tuple, bool) or (is_tuple and not isinstance(result, list)):
        return None, tr("a malformed tuple")
    problem = answer_problem(result)
    return (None, problem) if problem else ({"result": result, "tuple": is_tuple}, "")


def _clean_model(record: dict) -> tuple:
    """A model record: missing, an error, or a list of layer descriptions of bounded size."""
    if record.get("missing") is True or "error" in record:
        return _missing_or_error(record)
    layers = record.get("layers")
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        return None, tr("not a list of at most {n} layers", n=MAX_LAYERS)
    clean = []
    for layer in layers:
        described, problem = _clean_layer(layer)
        if problem:
            return None, problem
        clean.append(described)
    return {"layers": clean}, ""


def _clean_layer(layer) -> tuple:
    """``{"type", "module", "settings", "parameters"}`` of one layer, each of the runner's
    types and bounded (settings: at most 40 numbers, flags, short texts or short lists)."""
    if not isinstance(layer, dict):
        return None, tr("a layer that is not described")
    kind, module = layer.get("type"), layer.get("module")
    settings, parameters = layer.get("settings", {}), layer.get("parameters")
    if not (isinstance(kind, str) and len(kind) <= 60 and isinstance(module, str)
            and len(module) <= MAX_STRING):
        return None, tr("a layer without a type and a module")
    if not _whole(parameters, -1, 10**15):
        return None, tr("a layer without a number of parameters")
    if not isinstance(settings, dict) or len(settings) > 40 or any(
            not isinstance(key, str) or len(key) > 60 or answer_problem(value, 1)
            or (isinstance(value, list) and len(value) > 8) or isinstance(value, dict)
            for key, value in settings.items()):
        return None, tr("a layer whose settings are not numbers, flags or short texts")
    return {"type": kind, "module": module, "settings": dict(settings),
            "parameters": parameters}, ""


_CLEAN = {"value": _clean_value, "model": _clean_model, "call": _clean_call}


@dataclass
class Settings:
    """How to grade: limits and whether a sandbox is required."""

    limits: sb.Limits
    sandbox: bool = True
    bwrap: str | None = None
    seed: int | None = None        # the course seed of the students' variants (None: none)
    students: frozenset = frozenset()  # the ids the variants were generated for


def grade_one(folder: Path, relative: bytes, refusal: str, staged: dict,
              settings: Settings) -> Result:
    """Grade one submission; whatever it is or does, return a Result with a safe reason.

    An error of the grader's own (a bug) costs only this row: its reason says "grader error"
    and it keeps only the points already judged.
    """
    start = time.monotonic()
    result = Result(plain_name(relative))
    try:
        result.submission = display_name(relative)
        result.sandbox = sb.describe(settings.sandbox, settings.bwrap)
        _grade_into(result, os.path.join(os.fsencode(folder), relative), refusal, staged,
                    settings)
        result.reason = _reason(result)
    except Exception as error:  # a bug of ours must still give the submission its row
        result.reason = f"grader error: {type(error).__name__}: {error}"
    result.seconds = time.monotonic() - start
    result.reason = safe_text(result.reason)
    return result


def plain_name(relative: bytes) -> str:
    """A name that needs nothing to show: printable ASCII bytes, every other one as ``\\xNN``
    (for the row of last resort, when even :func:`display_name` failed)."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}"
                   for b in relative[:MAX_TEXT // 4])


def _reason(result: Result) -> str:
    """The reason of a row: its invalid answers first, then why it lost points (if it did)."""
    invalid = "; ".join(tr("invalid answer for {exercise} ({problem})", exercise=exercise,
                           problem=problem) for exercise, problem in result.invalid.items())
    lost = result.reason or (_lost(result) if result.total < result.maximum
                             or not result.homework else "")
    return "; ".join(part for part in (invalid, lost) if part)


def _lost(result: Result) -> str:
    if not result.homework:
        return tr("unknown homework: neither its code, its metadata nor its file name names one")
    if all(s in ("not attempted", NOT_RUN) for s in result.statuses.values()):
        return tr("not attempted")
    parts = []
    for status in ("wrong", "not attempted", NOT_RUN):
        exercises = [ex for ex, s in result.statuses.items()
                     if s == status and ex not in result.invalid]
        if exercises:
            parts.append(f"{tr(status)}: {', '.join(exercises)}")
    return "; ".join(parts)


#: Mistakes known beyond :data:`MISTAKES` (homework 1's and 2's values): homework 2's model
#: differing in a kind of layer's settings, or in its sequence of layers; homework 3's backward
#: pass too slow on the large input (finite differences of the forward pass).
MODEL_MISTAKES = {f"model-{kind}": hint for kind, hint in _SETTING_HINTS.items()} | {
    "model-layers": _TYPE_HINT}


def recognised_mistakes(feedback: dict) -> dict:
    """``{exercise: mistake id}`` of the wrong answers whose message is a known mistake's
    (:data:`MISTAKES`) or names one of homework 2's settings hints (:data:`MODEL_MISTAKES`),
    compared in the language the messages were written in."""
    known = {tr(text): mistake for mistake, text in MISTAKES.items()}
    found = {}
    for exercise, judged in feedback.items():
        if judged.status != "wrong":
            continue
        if judged.message in known:
            found[exercise] = known[judged.message]
            continue
        for mistake, hint in MODEL_MISTAKES.items():
            if exercise == "model" and tr(hint) in judged.message:
                found[exercise] = mistake
                break
    return found


def _grade_into(result: Result, path: bytes, refusal: str, staged: dict,
                settings: Settings) -> None:
    if refusal:
        result.homework = identify([], {}, result.submission)
        result.statuses = dict.fromkeys(HOMEWORK.get(result.homework, ()), NOT_RUN)
        result.reason = refusal
        return
    data, problem = read_submission(path)
    sources, metadata, problem = code_cells(data) if data is not None else (None, {}, problem)
    result.code = list(sources or [])
    result.homework = identify(sources, metadata, result.submission)
    if result.homework:
        result.statuses = dict.fromkeys(HOMEWORK[result.homework], NOT_RUN)
    if problem or not result.homework:
        result.reason = problem
        return
    student, note = identify_student(result.submission, metadata, settings)
    result.student = student
    spec = draw(settings.seed or 0, student)  # recomputed here, never read from the notebook
    task, private = grading_task(result.homework, secrets.randbits(63), spec)
    run = sb.run(sources, task, staged[result.homework], settings.limits,
                 sandbox=settings.sandbox, bwrap=settings.bwrap)
    result.sandbox = run.isolation
    answers, errors, done, cell_timeout = read_answers(run.lines, task)
    feedback = score(result.homework, answers, private)
    result.statuses = {ex: f.status for ex, f in feedback.items()}
    if note:
        result.flags.append(note)
    result.messages = {ex: safe_text(f.message, 1000) for ex, f in feedback.items()}
    result.mistakes = recognised_mistakes(feedback)
    result.invalid = {name.split("/")[0]: problem
                      for name, problem in answers["invalid"].items()}
    timed_out = {name for name, call in answers["calls"].items()
                 if call.get("error") == "timed out"}
    slow = ", ".join(sorted({name.split("/")[0] for name in timed_out}))
    large = {call["id"] for call in task.get("calls", []) if "seconds" in call}
    if run.flooded:
        result.reason = tr("stopped: wrote more than {n} bytes of answers",
                           n=settings.limits.output_bytes)
        result.stopped = {"kind": "flooded"}
    elif run.timed_out or cell_timeout:
        where = tr(" (in cell {cell})", cell=cell_timeout) if cell_timeout else ""
        result.reason = tr("timed out after {seconds} s", seconds=f"{settings.limits.seconds:g}"
                           ) + where
        result.stopped = {"kind": "timed out", "cell": int(cell_timeout or 0),
                          "seconds": settings.limits.seconds}
    elif slow:
        result.stopped = {"kind": "too slow" if timed_out <= large else "timed out",
                          "functions": slow}
        if timed_out <= large:     # finished the small cases, not the large one in time
            result.mistakes.update(dict.fromkeys(slow.split(", "), "finite-differences"))
        result.reason = (tr("too slow on the large input of {functions}: derived, or finite "
                            "differences of the forward pass?", functions=slow)
                         if timed_out <= large else
                         tr("timed out calling {functions}", functions=slow))
    elif errors:
        cell, error = errors[0]
        result.reason = tr("crashed in cell {cell}: {error}", cell=cell, error=error)
        result.stopped = {"kind": "crashed", "cell": cell, "error": error}
    elif not done:
        result.reason = tr("the notebook's process ended early (exit status {status})",
                           status=run.returncode)
        result.stopped = {"kind": "ended early", "status": run.returncode}


HEADER_FIXED = ["submission", "homework"]


#: The suffix of a column the instructor fills in: a question a person grades (BY_PERSON).
BY_PERSON_SUFFIX = " (by person)"


def header() -> list[str]:
    """submission, homework, one column per exercise (the grader's points) and per question a
    person grades (left blank), then total and max (the grader's points only), by_person_max
    (the points a person adds), sandbox, seconds, reason, student, flags."""
    columns = [f"{hw.split('_')[0]}.{ex}" for hw, exercises in HOMEWORK.items()
               for ex in [*exercises, *(n + BY_PERSON_SUFFIX for n in BY_PERSON[hw])]]
    return HEADER_FIXED + columns + ["total", "max", "by_person_max", "sandbox", "seconds",
                                     "reason", "student", "flags"]


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: formulas (``=``, ``+``, ``-``, ``@``) quoted."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "|") else text


def row(result: Result) -> list[str]:
    cells = [result.submission, result.homework]
    for hw, exercises in HOMEWORK.items():
        for ex in exercises:
            cells.append(result.points.get(ex, 0) if result.homework == hw else "")
        cells += [""] * len(BY_PERSON[hw])     # a person's points: the instructor fills them in
    cells += [result.total, result.maximum, result.by_person if result.homework else "",
              result.sandbox, f"{result.seconds:.1f}",
              result.reason, result.student, "; ".join(result.flags)]
    return [safe_cell(c) for c in cells]


def write_row(writer, result: Result, relative: bytes) -> Result:
    """Write ``result``'s row; if it cannot be written, a plain row of last resort instead.

    The row of last resort holds only the plain name (:func:`plain_name`), no points and an
    ASCII reason. Returns the result the CSV holds.
    """
    try:
        writer.writerow(row(result))
        return result
    except Exception as error:  # noqa: BLE001 - whatever it was, the submission gets a row
        plain = Result(plain_name(relative), sandbox=result.sandbox if isinstance(
            result.sandbox, str) and result.sandbox.isascii() else "",
            reason=f"grader error: its row could not be written ({type(error).__name__})")
        writer.writerow(row(plain))   # plain ASCII: it can be written
        return plain


def progress_line(done: int, count: int, result: Result) -> str:
    """``[3/40] kim_hw3.ipynb: 35/40 (2.1 s) - reason``, at most :data:`MAX_TEXT` characters;
    ``[1/40] kim_hw1.ipynb: 19/25, a person grades 3 more (1.4 s)`` for a homework with
    questions a person grades."""
    more = f", a person grades {result.by_person} more" if result.by_person else ""
    line = (f"[{done}/{count}] {safe_text(result.submission, MAX_TEXT // 3)}: "
            f"{result.total}/{result.maximum}{more} ({result.seconds:.1f} s)")
    if result.reason:
        line += " - " + safe_text(result.reason, MAX_TEXT - len(line) - 3)
    return safe_text(line)


def check_options(timeout, jobs, memory_mb) -> None:
    """Refuse settings that would grade nobody fairly (raises ValueError naming the fix)."""
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or not (
            1 <= timeout <= 3600):
        raise ValueError(f"--timeout must be a number of seconds from 1 to 3600; got {timeout}.")
    if not isinstance(jobs, int) or not 1 <= jobs <= 64:
        raise ValueError(f"--jobs must be a whole number from 1 to 64; got {jobs}.")
    if not isinstance(memory_mb, int) or not 256 <= memory_mb <= 65536:
        raise ValueError(f"--memory must be a number of MB from 256 to 65536; got {memory_mb}.")


def read_variants(path) -> tuple[int, frozenset]:
    """``(seed, student ids)`` of the ``variants.json`` that ``generate --roster`` wrote."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        seed, students = record["seed"], frozenset(record["students"])
        if not isinstance(seed, int) or not all(isinstance(s, str) for s in students):
            raise TypeError("seed or ids of the wrong type")
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise ValueError(f"--variants must be the variants.json that `generate --roster` wrote; "
                         f"{path} cannot be read as one ({error}).") from None
    return seed, students


def grade(folder, out, timeout: float = 120.0, jobs: int = 1, sandbox: bool = True,
          memory_mb: int = 2048, progress=None, variants=None) -> list[Result]:
    """Grade every submission under ``folder`` into the CSV file ``out``; return the results.

    ``variants`` is the ``variants.json`` of the students' variants (``generate --roster``):
    each submission is then graded against its student's own network, recomputed from the
    course seed; without it, against the paper's.

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
    seed, students = read_variants(variants) if variants is not None else (None, frozenset())
    settings = Settings(sb.Limits(seconds=float(timeout), memory_mb=memory_mb), sandbox, bwrap,
                        seed, students)
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
            try:
                result = grade_one(folder, *item, staged, settings)
            except Exception as error:  # noqa: BLE001 - still one row for this submission
                result = Result(plain_name(item[0]), reason=safe_text(
                    f"grader error: {type(error).__name__}: {error}"))
            with lock:
                result = write_row(writer, result, item[0])
                file.flush()
                results.append(result)
                if progress:
                    try:
                        progress(progress_line(len(results), len(submissions), result))
                    except Exception:  # noqa: BLE001 - a progress line is a courtesy; the row
                        pass           # is written
            return result

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, submissions))
    flag_copies(results, Path(out), progress)
    try:
        write_companion(results, Path(out))
    except (OSError, ValueError, TypeError) as error:   # the CSV is written; say what is not
        if progress:
            progress(f"{companion_path(out).name} not written: {type(error).__name__}: {error}")
    return results


def companion_path(out) -> Path:
    """Where :func:`grade` writes the machine-readable companion of the CSV ``out``:
    ``scores.csv`` -> ``scores.grades.json``."""
    out = Path(out)
    return out.with_name(out.stem + ".grades.json")


def record(result: Result) -> dict:
    """One submission as the companion holds it: per exercise its status, points, maximum,
    the checker's message (never the expected value), the known mistake if any."""
    weights = POINTS.get(result.homework, {})
    exercises = {ex: {"status": status, "points": result.points.get(ex, 0),
                      "max": weights.get(ex, 0), "message": result.messages.get(ex, ""),
                      "mistake": result.mistakes.get(ex, ""),
                      "invalid": result.invalid.get(ex, "")}
                 for ex, status in result.statuses.items()}
    return {"submission": result.submission, "student": result.student,
            "homework": result.homework, "exercises": exercises,
            "by_person": {name: weights.get(name, 0)
                          for name in BY_PERSON.get(result.homework, {})},
            "total": result.total, "max": result.maximum, "reason": result.reason,
            "stopped": result.stopped, "seconds": round(result.seconds, 2),
            "flags": list(result.flags)}


def write_companion(results: list, out: Path) -> Path:
    """Write ``<out stem>.grades.json`` (:func:`companion_path`): the language of its messages
    and one :func:`record` per submission, in the order of the CSV. The feedback pages, the
    gradebook export and the class report read it."""
    from ...i18n import get_language

    path = companion_path(out)
    data = {"version": 1, "language": get_language(),
            "submissions": [record(result) for result in results]}
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)
    return path


#: The instructor's notebooks: the starter code every student got, and the solutions.
NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks" / "homework"


def flag_copies(results: list, out: Path, progress=None) -> None:
    """Copy detection after grading: each result's ``flags`` get the submissions its code is
    near-identical to (classmates, cnnlib's own source, the solution), the CSV is rewritten
    with them, and ``<out>.similarity.html`` lists the pairs for a person to judge. Flags never
    change points. Skipped, with a progress line saying so, without copydetect."""
    from . import similarity

    if not similarity.available():
        if progress:
            progress("copy detection skipped: install the grading extra (pip install -e "
                     "'.[grading]') for the flags column")
        return
    library, pairs, flagged = similarity.library_code(), [], 0
    for homework in HOMEWORK:
        mine = {r.submission: r.code for r in results if r.homework == homework and r.code}
        if not mine:
            continue
        starter = NOTEBOOKS / "student" / f"{homework}.ipynb"
        solution = NOTEBOOKS / f"{homework}.ipynb"
        published = dict(library)
        if solution.is_file():
            published |= similarity.solution_code(solution)
        comparison = similarity.compare(
            mine, similarity.notebook_code(starter) if starter.is_file() else (), published)
        pairs.append(comparison)
        for result in results:
            if result.submission in mine:
                text = comparison.flag_text(result.submission)
                if text:
                    result.flags.append(text)
                    flagged += 1
    _rewrite(out, results)
    if pairs:   # one report for every homework (submission names are unique)
        every = similarity.Comparison(pairs[0].threshold)
        for comparison in pairs:
            every.matches += comparison.matches
            every.codes |= comparison.codes
            every.notes |= comparison.notes
            every.submissions += comparison.submissions
            every.published = max(every.published, comparison.published)
        every.matches.sort(key=lambda match: -match.similarity)
        report = similarity.write_report(every, out.with_name(out.stem + ".similarity.html"))
        if progress:
            progress(f"copy detection: {flagged} submissions flagged; pairs in {report.name}")


def _rewrite(out: Path, results: list) -> None:
    """Write the CSV again, rows in the order they were graded, now with their flags."""
    temporary = out.with_name(f".{out.name}.flags")
    with open(temporary, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header())
        for result in results:
            write_row(writer, result, result.submission.encode("utf-8", "backslashreplace"))
    os.replace(temporary, out)

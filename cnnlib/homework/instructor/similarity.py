"""Copy detection: flag submissions whose code is near-identical to a classmate's or to
published code (cnnlib's own source, the instructor's solution), for a person to judge.

The detector is `copydetect <https://github.com/blingenf/copydetect>`_ (winnowed fingerprints
of the tokenized code, as MOSS does): names become ``V`` / ``F``, strings ``S``, comments and
blank lines vanish, so renaming variables, changing comments and moving blank lines does not
hide a copy. Code every student was given (the starter notebook) is *boilerplate*: its
fingerprints are removed from every document before comparing (and cells left exactly as
handed out are dropped). String literals that are Python code (source pasted as a string and
``exec``-ed) are read as code too (:func:`strings_as_code`). Not seen: code rewritten by hand
statement by statement, and code assembled at run time (encoded, or built from pieces).

What is compared:

* every submission with every other (the whole notebook's code, as one document);
* every submission with each unit of published code: each function and method of cnnlib's
  source (:func:`library_code`), each code cell of a solution notebook (:func:`solution_code`).

The *similarity* of a pair is the larger of the two shares: the part of one side's own code
(boilerplate removed) that the other side also has. So a pasted library function is found
however much other code surrounds it. A pair is flagged when its similarity reaches the
threshold and the matching code is at least :data:`MIN_OVERLAP` characters of tokenized code
(a few lines), so that tiny snippets are never flagged.

Flags never change points: they say where a person should look. Student code is untrusted:
sources are bounded (:data:`MAX_CELL_CHARS`, :data:`MAX_CODE_CHARS`), control, bidi and
surrogate characters are shown as escapes, and the report escapes everything.

Examples
--------
::

    from cnnlib.homework.instructor import similarity
    published = {**similarity.library_code(), **similarity.solution_code(solution_path)}
    found = similarity.compare(sources_by_name, starter=similarity.notebook_code(student_path),
                               published=published, threshold=0.8)
    found.flag_text("kim_hw3.ipynb")   # "similar to lee_hw3.ipynb (97%)" or ""
    found.flag_text("park_hw3.ipynb")  # "similar to cnnlib's conv.py: conv2d_naive (99%)"
    similarity.write_report(found, "scores.similarity.html")
"""

from __future__ import annotations

import ast
import html
import importlib.util
import io
import json
import math
import re
import textwrap
import tokenize
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["available", "DEFAULT_THRESHOLD", "MIN_OVERLAP", "MAX_CELL_CHARS", "MAX_CODE_CHARS",
           "Match", "Comparison", "compare", "library_code", "solution_code", "notebook_code",
           "write_report", "report_html"]

#: A pair is flagged from this similarity on (a share of code, 0 to 1).
DEFAULT_THRESHOLD = 0.8
#: Shortest matching run that counts, in characters of tokenized code (copydetect's default
#: noise threshold ``k``): shorter common runs are ordinary idioms, not copying.
NOISE = 25
#: Winnowing window (copydetect's guarantee threshold minus ``NOISE``, plus 1): every common
#: run of at least ``NOISE + WINDOW - 1`` = 35 characters of tokenized code is found, with
#: about a sixth of the fingerprints (and of the time) of keeping them all.
WINDOW = 11
#: Least matching tokenized code (characters) for a flag: about four lines of code.
MIN_OVERLAP = 120
#: A code cell longer than this (characters) is left out of the comparison, and said so.
MAX_CELL_CHARS = 30_000
#: At most this much of a submission's code (characters) is compared; the rest is cut.
MAX_CODE_CHARS = 60_000
#: The report shows at most this many pairs with their code (all are listed in its table)...
REPORT_PAIRS_WITH_CODE = 100
#: ... at most this many rows in its table ...
REPORT_ROWS = 2_000
#: ... and at most this many characters of each side's code.
REPORT_CODE_CHARS = 12_000

#: Starts the part of a document that holds its strings read as code.
STRINGS_HEADING = "# ---- long strings of the code above, read as code ----"

_SUSPECT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|[^\x00-\x7f]")


@dataclass(frozen=True)
class Match:
    """A flagged pair: a submission and a classmate's submission or a unit of published code.

    ``similarity`` is the larger of ``shares``: the part of each side's own code (boilerplate
    removed) found in the other. ``spans`` are the matching ``(start, end)`` character ranges
    of each side's compared code (:attr:`Comparison.codes`).
    """

    submission: str
    other: str
    published: bool
    similarity: float
    shares: tuple[float, float]
    spans: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]

    @property
    def flag(self) -> str:
        """``"similar to kim_hw3.ipynb (87%)"``."""
        return f"similar to {self.other} ({_percent(self.similarity)})"


@dataclass
class Comparison:
    """What :func:`compare` found: the flagged pairs, best first, and the code compared."""

    threshold: float
    matches: list[Match] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)   # label -> code as compared
    notes: dict[str, list[str]] = field(default_factory=dict)  # submission -> what was cut
    submissions: int = 0
    published: int = 0
    _flags: dict = field(default_factory=dict, repr=False, compare=False)

    def flags(self, submission: str) -> list[str]:
        """Every flag of one submission, most similar first (both sides of a pair are flagged)."""
        if not self._flags and self.matches:
            for match in self.matches:   # most similar first
                self._flags.setdefault(match.submission, []).append(match.flag)
                if not match.published:
                    self._flags.setdefault(match.other, []).append(
                        f"similar to {match.submission} ({_percent(match.similarity)})")
        return list(self._flags.get(submission, []))

    def flag_text(self, submission: str, limit: int = 3) -> str:
        """One short line for a CSV cell: the first ``limit`` flags, then how many more."""
        found = self.flags(submission)
        text = "; ".join(found[:limit])
        if len(found) > limit:
            text += f"; and {len(found) - limit} more (see the similarity report)"
        return text


def available() -> bool:
    """Whether the detector is installed: ``pip install "cnnlib[grading]"`` (copydetect)."""
    return importlib.util.find_spec("copydetect") is not None


# --------------------------------------------------------------------------------------------
# Reading code
# --------------------------------------------------------------------------------------------

def notebook_code(path) -> list[str]:
    """The code cells' sources of a notebook file (e.g. the student starter notebook).

    Raises
    ------
    ValueError
        When ``path`` is not a notebook (JSON with a list of cells).
    """
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{path} is not a notebook file (JSON): {error}. Pass the path of "
                         ".ipynb file.") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError(f"{path} is not a notebook: it has no list of cells.")
    sources = []
    for cell in notebook["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def solution_code(path) -> dict[str, str]:
    """Each code cell of a solution notebook, labelled ``"the hw3 solution, code cell N"``
    (the notebook's name up to its first ``_``)."""
    name = Path(path).stem.split("_")[0]
    return {f"the {name} solution, code cell {i}": source
            for i, source in enumerate(notebook_code(path), start=1) if source.strip()}


def library_code(root=None, exclude: Sequence[str] = ("homework",)) -> dict[str, str]:
    """Each function and method of a package's source, labelled ``"cnnlib's conv.py: NAME"``.

    Parameters
    ----------
    root : path, optional
        The package folder; default: the installed cnnlib.
    exclude : sequence of str
        Sub-folders left out (default: ``homework``, the grading code itself).
    """
    if root is None:
        import cnnlib

        root = Path(cnnlib.__file__).resolve().parent
    root = Path(root)
    units = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in exclude:
            continue
        source = path.read_text(encoding="utf-8")
        for name, code in _units(source):
            units[f"{root.name}'s {relative.as_posix()}: {name}"] = code
    return units


def _units(source: str):
    """``(name, source)`` of each top-level function and each method of a top-level class."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, "".join(lines[node.lineno - 1:node.end_lineno])
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield (f"{node.name}.{item.name}",
                           "".join(lines[item.lineno - 1:item.end_lineno]))


def visible(text: str) -> str:
    """``text`` with control, format (bidi), surrogate and private characters as escapes.

    Tabs and newlines stay; ``\\r\\n`` and ``\\r`` become ``\\n``.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    def escape(found):
        char = found.group()
        if char in "\t\n" or (not char.isascii() and unicodedata.category(char)[0] != "C"):
            return char
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"

    return _SUSPECT.sub(escape, text)


def strings_as_code(code: str, minimum: int = 30) -> str:
    """The string literals of ``code`` that are Python code (at least ``minimum`` characters
    and one statement that is not a bare expression), one after another.

    Code pasted as a string and ``exec``-ed would otherwise hide from the detector, which
    reads every string as one token. Code that does not parse (a syntax error, a ``%magic``)
    is tokenized instead, up to its first error.
    """
    try:
        values = [node.value for node in ast.walk(ast.parse(code))
                  if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))]
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        values = _string_tokens(code)
    found = []
    for value in values:
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if len(value) >= minimum and _is_code(value):
            found.append(value)
    return "\n\n".join(found)


def _is_code(text: str) -> bool:
    """Whether ``text`` is Python code with a statement (prose, like a docstring, is not)."""
    try:
        tree = ast.parse(textwrap.dedent(text))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return any(not isinstance(node, ast.Expr) for node in tree.body)


def _string_tokens(code: str) -> list:
    values = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.STRING:
                try:
                    values.append(ast.literal_eval(token.string))
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    continue
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return [v for v in values if isinstance(v, (str, bytes))]


def _document(cells: Sequence[str], given=frozenset()) -> tuple[str, list[str]]:
    """A submission's cells as one bounded document, and notes on what was left out.

    Cells whose code is one of ``given`` (stripped; the starter's cells) are left out. The
    document is the cells' code, then their long strings read as code
    (:func:`strings_as_code`) after a :data:`STRINGS_HEADING` line, each part at most
    :data:`MAX_CODE_CHARS` characters.
    """
    kept, notes, total = [], [], 0
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, str) or cell.strip() in given:
            continue
        cell = visible(cell)   # escapes count towards the limits
        if len(cell) > MAX_CELL_CHARS:
            notes.append(f"code cell {number} not compared ({len(cell):,} characters)")
            continue
        if total + len(cell) > MAX_CODE_CHARS:
            notes.append(f"only the first {MAX_CODE_CHARS:,} characters compared")
            cell = cell[: MAX_CODE_CHARS - total]
        kept.append(cell)
        total += len(cell)
        if total >= MAX_CODE_CHARS:
            break
    strings = visible("\n\n".join(filter(None, map(strings_as_code, kept))))[:MAX_CODE_CHARS]
    code = "\n\n".join(kept)
    if strings:
        code += "\n\n" + STRINGS_HEADING + "\n" + strings
    return code, notes


# --------------------------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------------------------

def _fingerprint(code: str, boilerplate):
    from copydetect import CodeFingerprint

    return CodeFingerprint("code.py", NOISE, WINDOW, boilerplate=boilerplate, language="python",
                           fp=io.StringIO(code))


def _boilerplate(starter: Sequence[str]):
    import numpy as np

    code, _ = _document(starter)
    if not code.strip():
        return np.array([], dtype=np.int64)
    return np.array(sorted(_fingerprint(code, None).hashes), dtype=np.int64)


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not (
            math.isfinite(threshold) and 0 < threshold <= 1):
        raise ValueError(f"threshold must be a share of code above 0 and at most 1 (e.g. "
                         f"0.8 for 80%); got {threshold!r}.")
    return float(threshold)


def _check_inputs(submissions, starter, published) -> None:
    if not isinstance(submissions, Mapping):
        raise TypeError(f"submissions must map each submission's name to its code cells "
                        f"(a dict of lists of str); got {type(submissions).__name__}.")
    if isinstance(starter, (str, bytes)) or not isinstance(starter, Sequence):
        raise TypeError(f"starter must be a list of code cells (str), e.g. "
                        f"notebook_code(student_notebook); got {type(starter).__name__}.")
    if published is not None and not isinstance(published, Mapping):
        raise TypeError(f"published must map labels to code (a dict of str), e.g. "
                        f"library_code(); got {type(published).__name__}.")
    for label, code in (published or {}).items():
        if not isinstance(code, str):
            raise TypeError(f"published code must be text (str); {label!r} is "
                            f"{type(code).__name__}.")
    both = set(submissions) & set(published or {})
    if both:
        raise ValueError(f"published labels must differ from submission names; "
                         f"{sorted(both)[0]!r} is both. Rename the published code.")


def compare(submissions: Mapping[str, Sequence[str]], starter: Sequence[str] = (),
            published: Mapping[str, str] | None = None,
            threshold: float = DEFAULT_THRESHOLD) -> Comparison:
    """Find the pairs of near-identical code among submissions and published code.

    Parameters
    ----------
    submissions : mapping of str to sequence of str
        The code cells' sources of each submission, by its name (as the grader shows it).
        A submission that could not be read may map to an empty list.
    starter : sequence of str
        The code cells every student was given (the generated student notebook's): never
        counted as copying.
    published : mapping of str to str, optional
        Code students may have copied, by label (:func:`library_code`, :func:`solution_code`).
    threshold : float
        Flag a pair from this similarity on (0 < threshold <= 1; default 0.8).

    Returns
    -------
    Comparison
        The flagged pairs, most similar first, with the code as compared.
    """
    threshold = _check_threshold(threshold)
    _check_inputs(submissions, starter, published)
    boilerplate = _boilerplate(starter)
    result = Comparison(threshold, submissions=len(submissions),
                        published=len(published or {}))
    names, prints = [], []
    given = frozenset(c.strip() for c in starter if isinstance(c, str))
    for name, cells in submissions.items():
        code, notes = _document(cells if isinstance(cells, (list, tuple)) else (), given)
        if notes:
            result.notes[name] = notes
        result.codes[name] = code
        fingerprint = _fingerprint(code, boilerplate)
        if fingerprint.token_coverage >= MIN_OVERLAP:
            names.append(name)
            prints.append(fingerprint)
    n_students = len(names)
    for label, code in (published or {}).items():
        code = visible(code[:MAX_CODE_CHARS])
        fingerprint = _fingerprint(code, boilerplate)
        if fingerprint.token_coverage >= MIN_OVERLAP:
            result.codes[label] = code
            names.append(label)
            prints.append(fingerprint)
    for i, j in _candidates(prints, n_students):
        match = _match(names[i], prints[i], names[j], prints[j], j >= n_students, threshold)
        if match:
            result.matches.append(match)
    result.matches.sort(key=lambda m: (-m.similarity, m.submission, m.other))
    return result


def _candidates(prints, n_students: int):
    """Pairs ``(i, j)``, ``i`` a submission, that share at least one fingerprint."""
    owners = defaultdict(list)
    for index, fingerprint in enumerate(prints):
        for value in fingerprint.hashes:
            owners[value].append(index)
    pairs = set()
    for indices in owners.values():
        students = [i for i in indices if i < n_students]
        for i in students:
            pairs.update((i, j) for j in indices if j > i)
    return sorted(pairs)


def _match(name, first, other, second, published: bool, threshold: float) -> Match | None:
    from copydetect import compare_files

    overlap, shares, slices = compare_files(first, second)
    if overlap < MIN_OVERLAP:
        return None
    shares = (min(1.0, float(shares[0])), min(1.0, float(shares[1])))
    similarity = max(shares)
    if similarity < threshold:
        return None
    spans = tuple(tuple((int(s), int(e)) for s, e in zip(*side)) for side in slices)
    return Match(name, other, published, similarity, shares, spans)


def _percent(share: float) -> str:
    return f"{math.floor(share * 100)}%"


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; color: #1a1a1a; background: #ffffff;
       margin: 1rem auto; max-width: 80rem; padding: 0 1rem; line-height: 1.5; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #595959; padding: 0.25rem 0.5rem; text-align: left; }
thead th { background: #e8e8e8; }
.pair { display: flex; flex-wrap: wrap; gap: 1rem; }
.pair > section { flex: 1 1 30rem; min-width: 0; }
pre { background: #f6f6f6; border: 1px solid #595959; padding: 0.5rem; overflow-x: auto;
      white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.9rem; }
mark { background: #ffe08a; color: #000000; text-decoration: underline; }
a { color: #0b4f9c; }
a:focus, a:hover { outline: 2px solid #0b4f9c; }
"""


def _code_html(code: str, spans) -> str:
    """Escaped ``code`` with the ``spans`` marked, cut after :data:`REPORT_CODE_CHARS`."""
    limit = min(len(code), REPORT_CODE_CHARS)
    parts, position = [], 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, limit)
        if start >= end:
            continue
        parts.append(html.escape(code[position:start]))
        parts.append(f"<mark>{html.escape(code[start:end])}</mark>")
        position = end
    parts.append(html.escape(code[position:limit]))
    if len(code) > limit:
        parts.append(html.escape(f"\n... ({len(code) - limit:,} more characters not shown)"))
    return "".join(parts)


def report_html(comparison: Comparison, title: str = "Similar code") -> str:
    """The report as one self-contained HTML page (no scripts, no external files)."""
    esc = html.escape
    matches = comparison.matches
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        "<main>", f"<h1>{esc(title)}</h1>",
        "<p><strong>Flags never change points.</strong> A flag says that two pieces of code "
        "are near-identical after names, comments and blank lines are set aside; whether it "
        "is copying is for a person to judge, from the code below.</p>",
        f"<p>Compared: {comparison.submissions} submissions with each other and with "
        f"{comparison.published} pieces of published code (cnnlib's source, solutions). "
        f"Flagged: {len(matches)} pairs with a similarity of at least "
        f"{_percent(comparison.threshold)} (the larger share of either side's own code, "
        f"starter code excluded, that the other side also has).</p>",
    ]
    if not matches:
        out.append("<p>No pair reached the threshold.</p>")
    else:
        out += ["<table>", "<caption>Flagged pairs, most similar first</caption>",
                '<thead><tr><th scope="col">Submission</th><th scope="col">Similar to</th>'
                '<th scope="col">Similarity</th>'
                '<th scope="col">Matching share of each side&#39;s own code</th>'
                "</tr></thead>", "<tbody>"]
        for number, match in enumerate(matches[:REPORT_ROWS], start=1):
            other = esc(match.other)
            if number <= REPORT_PAIRS_WITH_CODE:
                other = f'<a href="#pair-{number}">{other}</a>'
            out.append(
                f'<tr><th scope="row">{esc(match.submission)}</th><td>{other}</td>'
                f"<td>{_percent(match.similarity)}</td><td>{_percent(match.shares[0])} / "
                f"{_percent(match.shares[1])}</td></tr>")
        out += ["</tbody>", "</table>"]
        if len(matches) > REPORT_ROWS:
            out.append(f"<p>{len(matches) - REPORT_ROWS} more pairs are not listed.</p>")
        out.append("<p>Matching passages are marked (yellow background, underlined).</p>")
        for number, match in enumerate(matches[:REPORT_PAIRS_WITH_CODE], start=1):
            out.append(_pair_html(number, match, comparison))
        if len(matches) > REPORT_PAIRS_WITH_CODE:
            out.append(f"<p>The code of {len(matches) - REPORT_PAIRS_WITH_CODE} more pairs is "
                       "not shown.</p>")
    notes = sorted(comparison.notes.items())
    if notes:
        out += ["<h2>Code left out</h2>", "<ul>"]
        out += [f"<li>{esc(name)}: {esc('; '.join(items))}</li>" for name, items in notes]
        out.append("</ul>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _pair_html(number: int, match: Match, comparison: Comparison) -> str:
    esc = html.escape
    sides = ((match.submission, match.spans[0], match.shares[0]),
             (match.other, match.spans[1], match.shares[1]))
    parts = [f'<h2 id="pair-{number}">{number}. {esc(match.submission)} and '
             f"{esc(match.other)}: {_percent(match.similarity)}</h2>", '<div class="pair">']
    for name, spans, share in sides:
        code = comparison.codes.get(name, "")
        parts.append(f"<section><h3>{esc(name)} ({_percent(share)} of its code matches)</h3>"
                     f"<pre><code>{_code_html(code, spans)}</code></pre></section>")
    parts.append("</div>")
    return "\n".join(parts)


def write_report(comparison: Comparison, path, title: str = "Similar code") -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(report_html(comparison, title), encoding="utf-8", errors="backslashreplace")
    return path

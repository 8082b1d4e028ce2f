"""Generate the student homework notebooks from the instructor's solution notebooks.

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

``network = check.Network(...)`` (in the cell tagged ``variant``)
    The student's network and its answer key (:mod:`cnnlib.homework.selfcheck`): generating
    rewrites this statement for the variant asked for (:func:`network_code`), keeping the
    cell's comments; the paper's network when no variant is given. ``generate_class`` writes one
    notebook per student of a roster, each with its own variant (:mod:`.variants`).

Cells tagged ``points`` and ``course-rules`` (markdown)
    Written by the generator, never by hand: the table of points of every question, read from
    :data:`cnnlib.homework.selfcheck.POINTS` (and who grades it: the grader, or a person for
    the questions of ``BY_PERSON``), and the course rules (deadline, how to hand in,
    collaboration, use of AI tools) from the instructor's rules file (:func:`read_rules`;
    ``--rules``, else :data:`DEFAULT_RULES` if the course has written it, else each says "to be
    announced by your instructor", never a made-up date). A solution notebook holds them as
    generated without a rules file (a test compares them); a Korean notebook gets them in
    Korean (labels from ``cnnlib/_locale/ko.po``, texts from the rules file's ``[ko.*]``
    tables; the Korean solutions get theirs through ``i18n/ko/homework/*.po``).

Generating also clears outputs and execution counts, and records a *fingerprint* in each
student notebook's metadata (``cnnlib.generated``: the SHA-256 of the notebook as written).
So ``generate`` tells a student notebook that is only *stale* (still what it wrote: safe to
regenerate) from one *edited* by hand (refused unless ``--force``). It never writes through a
symbolic link, and checks every target before writing any.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...i18n import N_, catalog

__all__ = ["BEGIN", "END", "BLANK", "GenerateError", "student_source", "student_notebook",
           "fingerprint", "generate", "generate_class", "network_code", "Variant",
           "points_markdown", "rules_markdown", "read_rules", "default_rules", "RULES",
           "POINTS_TAG", "RULES_TAG", "DEFAULT_RULES"]

BEGIN, END, BLANK = "### BEGIN SOLUTION", "### END SOLUTION", "### BLANK"
CODE_PROMPT = ("# YOUR CODE HERE", "raise NotImplementedError")
MARKDOWN_PROMPT = "YOUR ANSWER HERE"
_BLANK_LINE = re.compile(
    r"^(?P<target>\s*[\w.\[\]'\"]+(?:\s*,\s*[\w.\[\]'\"]+)*\s*=)(?!=)(?P<value>.*?)"
    + re.escape(BLANK) + r"\s*$")
_KEPT_METADATA = ("kernelspec", "language_info", "cnnlib")
VARIANT_TAG = "variant"
_NETWORK_START = "network = check.Network("


@dataclass(frozen=True)
class Variant:
    """Whose notebook it is, and their network: ``student`` id, ``spec`` and key ``salt``."""

    student: str
    spec: dict
    salt: str

    @classmethod
    def of(cls, seed: int, student: str) -> Variant:
        """The variant :mod:`.variants` draws for ``student`` from the course ``seed``."""
        from .variants import draw, salt

        return cls(student, draw(seed, student), salt(seed, student))


def default_variant() -> Variant:
    """The paper's network, as in the repository's notebooks and the site."""
    from .variants import DEFAULT_ID

    return Variant.of(0, DEFAULT_ID)


class GenerateError(ValueError):
    """A solution notebook whose marks cannot be turned into a student version."""


# --------------------------------------------------------------------------------------------
# The generated cells: points and course rules
# --------------------------------------------------------------------------------------------

POINTS_TAG, RULES_TAG = "points", "course-rules"
#: The fields of a rules file, in the order a notebook lists them, with their labels.
RULES = {
    "deadline": N_("Deadline"),
    "submission": N_("How to hand in"),
    "collaboration": N_("Collaboration"),
    "ai_use": N_("Use of AI tools"),
}
#: The table of a rules file whose fields apply to every homework (a homework's own table wins).
EVERY_HOMEWORK = "all"
#: The course's rules file, used when ``generate`` is given none: an instructor who adopts the
#: course writes it once, and every generated notebook (both editions, the release, the site)
#: shows its rules. The repository ships only ``rules.example.toml`` beside it.
DEFAULT_RULES = Path(__file__).resolve().parents[3] / "notebooks" / "homework" / "rules.toml"
TO_BE_ANNOUNCED = N_("to be announced by your instructor")
#: How a notebook names an exercise the grader checks, when not by its own name.
_QUESTION = {"model": N_("`build_zfnet`: the network it returns")}


def _say(message: str, language: str, **fields) -> str:
    """``message`` in ``language`` (from ``cnnlib/_locale``), without changing cnnlib's own."""
    if language != "en":
        message = catalog(language).get((None, message), message)
    return message.format(**fields) if fields else message


def notebook_language(nb) -> str:
    """"ko" for a notebook of the Korean edition (``i18n/translate.py`` marks it), else "en"."""
    translation = (nb.metadata.get("cnnlib") or {}).get("translation") or {}
    return translation.get("language", "en") if isinstance(translation, dict) else "en"


def points_markdown(homework: str, language: str = "en") -> str:
    """The cell that lists every question's points and who grades it, from ``POINTS``."""
    from ..selfcheck import BY_PERSON, HOMEWORK, POINTS, maximum_points

    if homework not in HOMEWORK:
        raise GenerateError(f"unknown homework {homework!r}: the notebook's metadata "
                            f"cnnlib.homework must be one of {', '.join(HOMEWORK)}.")
    automatic, by_person = maximum_points(homework)
    grader = _say(N_("the grader (automatic)"), language)
    person = _say(N_("your instructor (by hand)"), language)
    columns = (_say(N_("Question"), language), _say(N_("Points"), language),
               _say(N_("Graded by"), language))
    lines = [_say(N_("## Points"), language), "", "| " + " | ".join(columns) + " |",
             "| --- | ---: | --- |"]
    for name in HOMEWORK[homework]:
        label = _say(_QUESTION[name], language) if name in _QUESTION else f"`{name}`"
        lines.append(f"| {label} | {POINTS[homework][name]} | {grader} |")
    for name, what in BY_PERSON[homework].items():
        lines.append(f"| {_say(what, language)} | {POINTS[homework][name]} | {person} |")
    total = automatic + by_person
    lines.append(f"| **{_say(N_('Total'), language)}** | **{total}** | |")
    lines.append("")
    if by_person:
        lines.append(_say(N_("The grader gives the automatic points, out of {automatic}, when it "
                             "runs your notebook; the {by_person} points graded by a person are "
                             "added by your instructor."), language,
                          automatic=automatic, by_person=by_person))
    else:
        lines.append(_say(N_("The grader gives all {automatic} points when it runs your "
                             "notebook."), language, automatic=automatic))
    return "\n".join(lines)


def rules_markdown(homework: str, rules: dict | None = None, language: str = "en") -> str:
    """The cell of course rules: each field of :data:`RULES` from ``rules`` (as
    :func:`read_rules` returns them), else "to be announced by your instructor"."""
    rules = rules or {}
    translated = rules.get(language, {}) if language != "en" else {}
    mine = {**rules.get(EVERY_HOMEWORK, {}), **rules.get(homework, {}),
            **translated.get(EVERY_HOMEWORK, {}), **translated.get(homework, {})}
    lines = [_say(N_("## Course rules"), language), ""]
    for field, label in RULES.items():
        value = mine.get(field) or _say(TO_BE_ANNOUNCED, language)
        value = "\n  ".join(value.strip().split("\n"))   # a list item's lines
        lines.append(f"* **{_say(label, language)}:** {value}")
    return "\n".join(lines)


def _rule_text(value, where: str) -> str:
    import datetime

    if isinstance(value, (datetime.date, datetime.time)):   # TOML dates and times
        value = value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else \
            value.isoformat()
    if not isinstance(value, str) or not value.strip():
        raise GenerateError(f"{where} must be a text (in quotes), not {value!r}.")
    return "\n".join(line.rstrip() for line in value.strip().splitlines())


def read_rules(path) -> dict:
    """The instructor's rules file: ``{table: {field: text}}``, and ``{"ko": {table: ...}}``.

    A TOML file (Python 3.11+, or with ``tomli`` installed) or a JSON file with the same
    tables: ``[all]`` for every homework and ``[hw1_zfnet_parameters]`` etc. for one (its
    fields win), each with any of the fields ``deadline``, ``submission``, ``collaboration``,
    ``ai_use`` (texts; Markdown allowed). ``[ko.all]``, ``[ko.hw1_zfnet_parameters]``, ...
    give the Korean edition's texts (each wins over the tables above it). Raises
    :class:`GenerateError` naming the fix.
    """
    from ...i18n import LANGUAGES
    from ..selfcheck import HOMEWORK

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise GenerateError(f"--rules: cannot read {path} ({error.strerror or error}).") from None
    kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
    try:
        if kind == "JSON":
            data = json.loads(raw.decode("utf-8"))
        else:
            try:
                import tomllib
            except ModuleNotFoundError:            # Python 3.10
                try:
                    import tomli as tomllib
                except ModuleNotFoundError:
                    raise GenerateError(
                        f"--rules: reading {path.name} (TOML) needs Python 3.11 or the package "
                        "tomli (pip install tomli); or write the same tables as a .json "
                        "file.") from None
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise GenerateError(f"--rules: {path} is not valid {kind}: {error}") from None
    tables = (EVERY_HOMEWORK, *HOMEWORK)
    languages = tuple(code for code in LANGUAGES if code != "en")

    def read(data, prefix: str, nested: bool) -> dict:
        if not isinstance(data, dict):
            raise GenerateError(f"--rules: {path} must hold tables named {', '.join(tables)}.")
        rules = {}
        for table, fields in data.items():
            if nested and table in languages and isinstance(fields, dict):
                rules[table] = read(fields, f"{table}.", False)
                continue
            if table not in tables or not isinstance(fields, dict):
                raise GenerateError(
                    f"--rules: {path}: unknown table [{prefix}{table}]; use [{prefix}"
                    f"{EVERY_HOMEWORK}] (every homework) or one of "
                    f"{', '.join(prefix + h for h in HOMEWORK)}"
                    + (", and [ko.all], ... for the Korean edition's texts." if nested
                       else "."))
            unknown = sorted(set(fields) - set(RULES))
            if unknown:
                raise GenerateError(f"--rules: {path}: [{prefix}{table}] has unknown field(s) "
                                    f"{', '.join(unknown)}; the fields are {', '.join(RULES)}.")
            rules[table] = {field: _rule_text(value, f"--rules: {path}: [{prefix}{table}] "
                                                      f"{field}")
                            for field, value in fields.items()}
        return rules

    return read(data, "", True)


def default_rules() -> dict:
    """The rules of :data:`DEFAULT_RULES` when the course has written it, else none."""
    return read_rules(DEFAULT_RULES) if DEFAULT_RULES.exists() else {}


def _rules(rules) -> dict:
    """``rules`` as :func:`read_rules` returns them: None means the course's default file."""
    if rules is None:
        return default_rules()
    return rules if isinstance(rules, dict) else read_rules(rules)


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


def network_code(variant: Variant) -> str:
    """The statement that gives a notebook its network: its spec, one row a line, and key."""
    from .reference import answer_key

    key = answer_key(variant.spec, variant.salt).encode()
    rows = "".join(f"        {json.dumps(name)}: {json.dumps(value)},\n"
                   for name, value in variant.spec.items())
    return f"{_NETWORK_START}\n    {{\n{rows}    }},\n    key=\"{key}\",\n)"


def with_network(source: str, variant: Variant, where: str = "cell") -> str:
    """``source`` with its ``network = check.Network(...)`` statement written for ``variant``
    (the lines before it, comments, and after it are kept)."""
    import ast

    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(_NETWORK_START)]
    if len(starts) != 1:
        raise GenerateError(f"{where}: a cell tagged {VARIANT_TAG!r} needs one line starting "
                            f"with {_NETWORK_START!r}.")
    statement = next(node for node in ast.parse(source).body if node.lineno == starts[0] + 1)
    return "\n".join(lines[: starts[0]] + [network_code(variant)]
                     + lines[statement.end_lineno:])


def generated_source(cell, homework: str, language: str = "en", rules: dict | None = None):
    """What the generator writes into ``cell`` when it is tagged ``points`` or
    ``course-rules`` (None for any other cell)."""
    tags = cell.metadata.get("tags", ())
    if POINTS_TAG in tags:
        return points_markdown(homework, language)
    if RULES_TAG in tags:
        return rules_markdown(homework, rules, language)
    return None


def student_notebook(solution, variant: Variant | None = None, rules: dict | None = None):
    """The student version of a solution notebook (an ``nbformat`` node); the input is kept.

    ``variant`` (default: the paper's network) is written into the cell tagged ``variant``
    and recorded in the metadata (``cnnlib.student``). The cells tagged ``points`` and
    ``course-rules`` are written from ``POINTS`` and ``rules`` (:func:`read_rules`; default:
    every rule "to be announced"), in the notebook's language.
    """
    import nbformat

    variant = variant or default_variant()
    homework = (solution.metadata.get("cnnlib") or {}).get("homework")
    language = notebook_language(solution)
    nb = copy.deepcopy(solution)
    kept = {k: v for k, v in nb.metadata.items() if k in _KEPT_METADATA}
    if "language_info" in kept:  # its version changes with the Python that last ran it
        kept["language_info"] = {"name": kept["language_info"].get("name", "python")}
    nb.metadata = nbformat.from_dict(kept)
    if any(VARIANT_TAG in c.metadata.get("tags", ()) for c in nb.cells):
        nb.metadata.setdefault("cnnlib", {})["student"] = variant.student
    for index, cell in enumerate(nb.cells, start=1):
        cell.source = student_source(cell.source, cell.cell_type, f"cell {index}")
        if VARIANT_TAG in cell.metadata.get("tags", ()):
            cell.source = with_network(cell.source, variant, f"cell {index}")
        if {POINTS_TAG, RULES_TAG} & set(cell.metadata.get("tags", ())):
            if cell.cell_type != "markdown":
                raise GenerateError(f"cell {index}: a cell tagged {POINTS_TAG!r} or "
                                    f"{RULES_TAG!r} must be a markdown cell.")
            cell.source = generated_source(cell, homework, language, rules)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    return nb


def _notebook_text(nb) -> str:
    import nbformat

    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def fingerprint(text: str) -> str:
    """SHA-256 of a student notebook's text with its own fingerprint field left out."""
    nb = json.loads(text)
    generated = (nb.get("metadata", {}).get("cnnlib") or {})
    if isinstance(generated, dict):
        generated.pop("generated", None)
    canonical = json.dumps(nb, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _with_fingerprint(nb) -> str:
    """The notebook's text with ``metadata.cnnlib.generated`` set to its fingerprint."""
    nb = copy.deepcopy(nb)
    nb.metadata.setdefault("cnnlib", {})
    nb.metadata["cnnlib"]["generated"] = fingerprint(_notebook_text(nb))
    return _notebook_text(nb)


def _state(target: Path, text: str) -> str:
    """unchanged / missing / stale (what we wrote, outdated) / edited / a refusal."""
    try:
        mode = os.lstat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    if stat.S_ISLNK(mode):
        return "refused: a symbolic link (never written through)"
    if not stat.S_ISREG(mode):
        return "refused: not a regular file"
    try:
        old = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "edited"
    if old == text:
        return "unchanged"
    try:
        recorded = json.loads(old)["metadata"]["cnnlib"]["generated"]
        return "stale" if recorded == fingerprint(old) else "edited"
    except (ValueError, KeyError, TypeError):
        return "edited"


def _writable(out_dir: Path) -> str:
    """Why ``out_dir`` cannot receive files ("" when it can)."""
    probe = out_dir
    while not probe.exists():
        if probe.is_symlink():
            return f"{probe} is a broken symbolic link"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"cannot write in {probe}"
    return ""


def generate(solutions, out_dir, force: bool = False, check: bool = False,
             variant: Variant | None = None, rules=None):
    """Write the student version of each solution notebook into ``out_dir``.

    Parameters
    ----------
    solutions : iterable of path
        Solution notebooks; each student notebook gets the same file name.
    out_dir : path
    force : bool
        Also overwrite student notebooks edited by hand (never a symbolic link).
    check : bool
        Write nothing; only report which student notebooks are missing, stale or edited.
    variant : Variant, optional
        Whose notebooks these are (default: the paper's network, for everyone).
    rules : path or dict, optional
        The course rules (a rules file, or what :func:`read_rules` returns): deadline, how to
        hand in, collaboration and AI use. Default: :data:`DEFAULT_RULES` if the course has
        written it, else each "to be announced by your instructor" (as ``rules={}`` gives).

    Returns
    -------
    dict
        ``{path: status}``: "written", "unchanged", "stale" (with ``check``), "missing" (with
        ``check``), "edited" (refused without ``force``) or "refused: ..." (a link or special
        file). Nothing at all is written when any target is refused or cannot be written.
    """
    import nbformat

    out_dir = Path(out_dir)
    rules = _rules(rules)
    plans, status = [], {}
    for solution in sorted(Path(s) for s in solutions):
        try:
            nb = student_notebook(nbformat.read(solution, as_version=4), variant, rules)
        except GenerateError as error:
            raise GenerateError(f"{solution}: {error}") from None
        target, text = out_dir / solution.name, _with_fingerprint(nb)
        state = _state(target, text)
        if state in ("missing", "stale") or (state == "edited" and force):
            status[target] = state if check else "written"
            plans.append((target, text))
        else:
            status[target] = state
    refused = [s for s in status.values() if s == "edited" or s.startswith("refused")]
    if check or refused or not plans:
        return status
    problem = _writable(out_dir)
    if problem:
        raise GenerateError(f"nothing written: {problem}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    for target, text in plans:  # a new file renamed over the name: links are replaced, not
        fd, temporary = tempfile.mkstemp(dir=out_dir, prefix=".generate-")  # followed
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    return status


def generate_class(solutions, roster: Path, seed: int, out_dir: Path,
                   force: bool = False, rules=None) -> dict:
    """One folder of student notebooks per student of ``roster``, each with their variant.

    Writes ``out_dir/<id>/<solution name>`` for every id of the roster (see
    :func:`.variants.read_roster`) and ``out_dir/variants.json`` (the instructor's record: the
    seed and each student's network; the grader recomputes them from the seed). ``rules`` as
    for :func:`generate`. Returns ``{path: status}`` as :func:`generate` does.
    """
    from .variants import read_roster

    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise GenerateError(f"--seed must be a whole number from 0 to 2**63 - 1; got {seed!r}. "
                            "Choose one per course and keep it (the grader needs it).")
    ids = read_roster(Path(roster))
    rules = _rules(rules)      # once, before anything is written
    out_dir, status, record = Path(out_dir), {}, {}
    for student in ids:
        variant = Variant.of(seed, student)
        record[student] = variant.spec
        status.update(generate(solutions, out_dir / student, force=force, variant=variant,
                               rules=rules))
    manifest = out_dir / "variants.json"
    manifest.write_text(json.dumps({"seed": seed, "students": record}, indent=1) + "\n",
                        encoding="utf-8")
    status[manifest] = "written"
    return status

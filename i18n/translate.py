"""The Korean edition: ``notebooks/ko/`` made from the English notebooks and ``i18n/ko/*.po``.

The English notebooks are the only source of code. Their text is translated through gettext
catalogs, one per notebook (``i18n/ko/02_convolution.po`` for ``notebooks/02_convolution.ipynb``,
``i18n/ko/homework/hw1_zfnet_parameters.po`` for a homework solution), which any translators' tool
(Poedit, Lokalize, Weblate, a text editor) reads. Three kinds of entries, told apart by msgctxt:

``markdown``
    One whole markdown cell; msgid is its exact source.
``comment``
    One comment in a code cell; msgid is the comment as written, ``#`` included.
``string``
    One string literal in a code cell that a reader sees (a figure title, an axis label, a
    printed message: a literal with two words in it, or one passed to a labelling call such as
    ``set_title(`` or ``label=``); msgid is the token exactly as written, quotes and prefix
    included, so ``f"{n} weights"`` is translated as ``f"가중치 {n}개"``.

Because the msgid *is* the English text, changing an English cell makes its translation
missing: ``extract`` then adds the new text marked ``fuzzy``, with the old translation and the
old English (``#| msgid``) beside it for the translator, and the Korean notebook is not built
until someone has translated it. A msgstr equal to its msgid means "keep as it is" (a cell of
formulas, a string that is not prose).

Usage (from the repository's root; ``make korean`` runs extract and build)::

    python i18n/translate.py extract   # bring every catalog up to date with the English text
    python i18n/translate.py status    # per catalog: entries, translated, still to translate
    python i18n/translate.py build     # write and execute notebooks/ko/ (what changed only)
    python i18n/translate.py check     # exit 1 if a translation is missing or ko/ is stale

``build`` never overwrites a Korean notebook edited by hand (``--force`` does, and re-runs the
unchanged ones too: do that after a change in cnnlib alters what the notebooks show): each generated
notebook records a fingerprint of its cells, as the homework generator does for student
notebooks. The Korean student homework is then made from the Korean solutions by that generator.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import os
import re
import sys
import tokenize
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LANGUAGE = "ko"
CATALOGS = ROOT / "i18n" / LANGUAGE
OUT = NOTEBOOKS / LANGUAGE
SKIPPED_CELLS = {"colab-setup"}      # made by site/colab.py: the same in both editions
LANGUAGE_CELL_ID = "set-language"
LANGUAGE_CELL = ('import cnnlib\n\n'
                 'cnnlib.set_language("ko")  # 한국어판: 설명, 피드백, 그림의 글자를 한국어로')
#: Calls and keywords whose string arguments a reader sees, even single words: every string
#: inside ``print(...)``, ``set_title(...)``, ... and the value of ``label=``, ``title=``, ...
LABELLING = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel", "ylabel",
             "text", "annotate", "print", "label", "set_label", "legend", "description",
             "Markdown", "HTML", "caption", "desc", "table", "pad"}
_WORD = re.compile(r"[^\W\d_]{2,}")
_NOT_PROSE = re.compile(r"\{[^{}]*\}|\\[ntr]")     # f-string fields and escapes are not words
#: Comments that are instructions to a tool, not to a reader (the homework generator's marks too).
_KEEP_COMMENT = re.compile(r"#\s*(noqa|type:|fmt:|pragma)|### (BLANK|BEGIN SOLUTION|END SOLUTION)$")


def sources() -> list[Path]:
    """The English notebooks that have a Korean edition, in a fixed order."""
    course = sorted(p for p in NOTEBOOKS.glob("*.ipynb"))
    homework = sorted((NOTEBOOKS / "homework").glob("hw*.ipynb"))
    return course + homework


def catalog_path(notebook: Path) -> Path:
    """``notebooks/02_convolution.ipynb`` -> ``i18n/ko/02_convolution.po``."""
    return CATALOGS / Path(notebook).resolve().relative_to(NOTEBOOKS).with_suffix(".po")


def korean_path(notebook: Path) -> Path:
    """``notebooks/02_convolution.ipynb`` -> ``notebooks/ko/02_convolution.ipynb``."""
    return OUT / Path(notebook).resolve().relative_to(NOTEBOOKS)


# --------------------------------------------------------------------------------------------
# What is translated
# --------------------------------------------------------------------------------------------

def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


def _reader_facing(text: str, labelled: bool) -> bool:
    """A literal a reader sees: words and a space, or any word where a label is expected."""
    prose = _NOT_PROSE.sub(" ", text)
    words = _WORD.findall(prose)
    return bool(words) and (labelled or (len(words) >= 2 and bool(re.search(r"\s", prose))))


def _body(token: tokenize.TokenInfo) -> str:
    """A string token without its prefix (``f"..."`` -> ``"..."``)."""
    return token.string[token.string.find(token.string[-1]):]


def _label_keys(tokens: list[tokenize.TokenInfo]) -> set[int]:
    """Positions of the string keys of dict literals used as tables of labels.

    A key with a space in it is a label (a name in code has none), and so is every other key of
    the same dict that has a letter: in ``{"red stripe": ..., "background": ...}`` both are
    printed, while ``{"conv1": ..., "fc6": ...}`` is a dict of names.
    """
    code = [i for i, t in enumerate(tokens) if t.type not in (
        tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]
    opened, keys = [], {}           # opened: (bracket, its position); keys: dict -> key positions
    for n, i in enumerate(code):
        token = tokens[i]
        if token.type == tokenize.OP and token.string in "([{":
            opened.append((token.string, i))
        elif token.type == tokenize.OP and token.string in ")]}" and opened:
            opened.pop()
        elif (token.type == tokenize.STRING and opened and opened[-1][0] == "{"
              and n + 1 < len(code) and tokens[code[n + 1]].string == ":"
              and tokens[code[n - 1]].string in "{,"):
            keys.setdefault(opened[-1][1], []).append(i)
    labels = set()
    for positions in keys.values():
        bodies = [_NOT_PROSE.sub(" ", _body(tokens[i]))[1:-1] for i in positions]
        if any(" " in body.strip() and re.search(r"[^\W\d_]", body) for body in bodies):
            labels |= {i for i, body in zip(positions, bodies) if re.search(r"[^\W\d_]", body)}
    return labels


def _translatable_tokens(source: str):
    """Yield (msgctxt, token) for the comments and reader-facing strings of a code cell."""
    significant = []        # the tokens before this one, without comments and line breaks
    calls = []              # for each open bracket: is it a labelling call's?
    tokens = _tokens(source)
    label_keys = _label_keys(tokens)
    for position, token in enumerate(tokens):
        before = [t.string for t in significant[-2:]]
        if token.type == tokenize.COMMENT and not _KEEP_COMMENT.match(token.string):
            yield "comment", token
        elif token.type == tokenize.STRING:
            keyword = len(before) == 2 and before[0] in LABELLING and before[1] == "="
            if position in label_keys or _reader_facing(_body(token), keyword or any(calls)):
                yield "string", token
        elif token.type == tokenize.OP and token.string in "([{":
            calls.append(token.string == "(" and bool(before) and before[-1] in LABELLING)
        elif token.type == tokenize.OP and token.string in ")]}" and calls:
            calls.pop()
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
                              tokenize.INDENT, tokenize.DEDENT):
            significant.append(token)


def messages(nb) -> list[tuple[str, str, str]]:
    """(msgctxt, msgid, cell id) of every translatable text in a notebook, in order."""
    found = []
    for cell in nb.cells:
        if cell.id in SKIPPED_CELLS:
            continue
        if cell.cell_type == "markdown" and cell.source.strip():
            found.append(("markdown", cell.source, cell.id))
        elif cell.cell_type == "code":
            found += [(ctxt, t.string, cell.id) for ctxt, t in _translatable_tokens(cell.source)]
    return found


# --------------------------------------------------------------------------------------------
# Catalogs
# --------------------------------------------------------------------------------------------

def load_catalog(path: Path) -> polib.POFile:
    """The catalog at ``path``, or a new empty one with a gettext header."""
    if path.exists():
        return polib.pofile(str(path), wrapwidth=100)
    po = polib.POFile(wrapwidth=100)
    po.metadata = {"Project-Id-Version": "cnn-basics", "Language": LANGUAGE,
                   "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit", "Plural-Forms": "nplurals=1; plural=0;"}
    return po


def translated(entry: polib.POEntry | None) -> bool:
    return entry is not None and bool(entry.msgstr) and "fuzzy" not in entry.flags


def extract(notebook: Path) -> polib.POFile:
    """Bring ``notebook``'s catalog up to date with its English text (returned, not saved).

    New text is added untranslated, or marked fuzzy with the translation of the text that was
    in the same cell before; text no longer in the notebook is kept as obsolete (``#~``).
    """
    po = load_catalog(catalog_path(notebook))
    old = {(e.msgctxt, e.msgid): e for e in po}
    by_cell = {}
    for entry in po:            # "#. cell 2f1a..." tells the translator (and us) where it is
        by_cell.setdefault((entry.msgctxt, entry.comment.removeprefix("cell ")), entry)
    where = notebook.relative_to(ROOT).as_posix()
    fresh, seen = polib.POFile(wrapwidth=100), set()
    fresh.metadata = po.metadata
    for ctxt, msgid, cell_id in messages(nbformat.read(notebook, as_version=4)):
        if (ctxt, msgid) in seen:
            continue
        seen.add((ctxt, msgid))
        entry = old.get((ctxt, msgid))
        if entry is None:
            entry = polib.POEntry(msgctxt=ctxt, msgid=msgid, msgstr="")
            before = by_cell.get((ctxt, cell_id))
            if before is not None and before.msgstr and ctxt == "markdown":
                entry.msgstr, entry.previous_msgid = before.msgstr, before.msgid
                entry.flags.append("fuzzy")
        entry.obsolete = False
        entry.occurrences, entry.comment = [(where, "")], f"cell {cell_id}"
        fresh.append(entry)
    for key, entry in old.items():
        if key not in seen and entry.msgstr:
            entry.obsolete = True
            fresh.append(entry)
    return fresh


# --------------------------------------------------------------------------------------------
# Building the Korean notebooks
# --------------------------------------------------------------------------------------------

class MissingTranslation(LookupError):
    """An English text of a notebook has no current Korean translation."""


def _translate_code(source: str, table: dict, where: str) -> str:
    """``source`` with its comments and reader-facing strings replaced from ``table``."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    pieces, end = [], 0
    for ctxt, token in _translatable_tokens(source):
        entry = table.get((ctxt, token.string))
        if not translated(entry):
            raise MissingTranslation(f"{where}: {ctxt} {token.string!r} is not translated")
        begin = starts[token.start[0] - 1] + token.start[1]
        pieces += [source[end:begin], entry.msgstr]
        end = starts[token.end[0] - 1] + token.end[1]
    return "".join(pieces) + source[end:]


def korean_notebook(notebook: Path, po: polib.POFile | None = None):
    """The Korean edition of ``notebook`` (outputs cleared), from its catalog.

    Raises :class:`MissingTranslation` listing every text that has no current translation.
    """
    po = load_catalog(catalog_path(notebook)) if po is None else po
    table = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    nb = copy.deepcopy(nbformat.read(notebook, as_version=4))
    missing = []
    for cell in nb.cells:
        where = f"{notebook.relative_to(ROOT).as_posix()}, cell {cell.id}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        if cell.id in SKIPPED_CELLS:
            continue
        try:
            if cell.cell_type == "markdown" and cell.source.strip():
                entry = table.get(("markdown", cell.source))
                if not translated(entry):
                    raise MissingTranslation(f"{where}: markdown is not translated")
                cell.source = entry.msgstr
            elif cell.cell_type == "code":
                cell.source = _translate_code(cell.source, table, where)
        except MissingTranslation as error:
            missing.append(str(error))
    if missing:
        raise MissingTranslation("\n".join(missing))
    after = next((i + 1 for i, c in enumerate(nb.cells) if c.id in SKIPPED_CELLS), 1)
    language = nbformat.v4.new_code_cell(LANGUAGE_CELL)
    language.id = LANGUAGE_CELL_ID
    language.metadata["slideshow"] = {"slide_type": "skip"}
    nb.cells.insert(after, language)
    nb.metadata.setdefault("cnnlib", {})["translation"] = {
        "language": LANGUAGE, "source": notebook.relative_to(NOTEBOOKS).as_posix()}
    return nb


def fingerprint(nb) -> str:
    """SHA-256 of a notebook's cells (type, id, source, metadata), outputs left out."""
    cells = [{"cell_type": c.cell_type, "id": c.get("id"), "source": c.source,
              "metadata": {k: v for k, v in c.metadata.items() if k != "execution"}}
             for c in nb.cells]
    text = json.dumps(cells, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def state(target: Path, expected) -> str:
    """unchanged / missing / stale (generated, outdated) / edited (by hand: not overwritten)."""
    if target.is_symlink() or (target.exists() and not target.is_file()):
        return "edited"
    if not target.exists():
        return "missing"
    try:
        nb = nbformat.read(target, as_version=4)
        recorded = nb.metadata["cnnlib"]["translation"]["fingerprint"]
    except (ValueError, KeyError, TypeError, OSError):
        return "edited"
    if recorded != fingerprint(nb):
        return "edited"
    done = nb.metadata["cnnlib"]["translation"].get("executed", False)
    return "unchanged" if recorded == fingerprint(expected) and done else "stale"


def execute(nb, folder: Path):
    """Run ``nb`` as nbval will, from ``folder``, storing no widget state and so no widget
    views either (they could not render: cnnlib.notebook_outputs)."""
    from nbclient import NotebookClient

    from cnnlib.notebook_outputs import drop_widget_views

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    NotebookClient(nb, timeout=900, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    drop_widget_views(nb)
    return nb


def write(nb, target: Path, executed: bool = False) -> None:
    """Write ``nb`` with its fingerprint, through a new file renamed over the old one."""
    nb.metadata["cnnlib"]["translation"].update(fingerprint=fingerprint(nb), executed=executed)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    nbformat.write(nb, temporary)
    os.replace(temporary, target)


def build(force: bool = False, run: bool = True, only=None) -> dict:
    """Write (and execute) every Korean notebook that is missing or stale; ``{path: status}``."""
    from cnnlib.homework.instructor.generator import generate

    status, written = {}, []
    for notebook in sources():
        if only and notebook.stem not in only:
            continue
        target = korean_path(notebook)
        try:
            nb = korean_notebook(notebook)
        except MissingTranslation as error:
            status[target] = "not translated:\n  " + str(error).replace("\n", "\n  ")
            continue
        now = state(target, nb)
        if not force and now in ("unchanged", "edited"):
            status[target] = now
            continue
        write(nb, target)      # all written before any runs: notebooks read their neighbours
        written.append((nb, target))
        status[target] = "written"
    for nb, target in written if run else []:
        print(f"executing {target.relative_to(ROOT)}", flush=True)
        write(execute(nb, target.parent), target, executed=True)
    solutions = sorted((OUT / "homework").glob("hw*.ipynb"))
    if solutions:
        for path, done in generate(solutions, OUT / "homework" / "student", force=force).items():
            status[Path(path)] = done
    return status


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def _status_line(notebook: Path) -> tuple[int, int]:
    po = extract(notebook)
    live = [e for e in po if not e.obsolete]
    return len(live), sum(translated(e) for e in live)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python i18n/translate.py", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["extract", "status", "build", "check"])
    parser.add_argument("notebooks", nargs="*", help="only these (file stems), e.g. 02_convolution")
    parser.add_argument("--force", action="store_true",
                        help="build: rewrite and re-run every Korean notebook, even unchanged "
                             "ones (after a change in cnnlib) and ones edited by hand")
    parser.add_argument("--no-execute", action="store_true", help="build: write, do not run")
    args = parser.parse_args(argv)
    chosen = [n for n in sources() if not args.notebooks or n.stem in args.notebooks]
    if args.command == "extract":
        for notebook in chosen:
            path = catalog_path(notebook)
            path.parent.mkdir(parents=True, exist_ok=True)
            extract(notebook).save(str(path))
        print(f"updated {len(chosen)} catalogs in {CATALOGS.relative_to(ROOT)}/")
        return 0
    if args.command == "status":
        total = done = 0
        for notebook in chosen:
            n, t = _status_line(notebook)
            total, done = total + n, done + t
            print(f"{catalog_path(notebook).relative_to(CATALOGS)!s:45} {t:4}/{n:<4} translated")
        print(f"{'all':45} {done:4}/{total:<4} translated")
        return 0
    if args.command == "build":
        status = build(force=args.force, run=not args.no_execute, only=args.notebooks)
        for path, done in status.items():
            print(f"{Path(path).relative_to(ROOT)}: {done}")
        return 1 if any(s.startswith(("not translated", "edited", "refused"))
                        for s in map(str, status.values())) else 0
    problems = []
    for notebook in chosen:
        try:
            expected = korean_notebook(notebook)
        except MissingTranslation as error:
            problems.append(str(error))
            continue
        now = state(korean_path(notebook), expected)
        if now != "unchanged":
            problems.append(f"{korean_path(notebook).relative_to(ROOT)}: {now}")
    print("\n".join(problems) or "the Korean edition is complete and up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

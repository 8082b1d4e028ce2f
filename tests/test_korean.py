"""The Korean edition cannot drift from the English one (i18n/translate.py).

Each test names what would be wrong and the command that fixes it:
- an English text (markdown cell, teaching comment, reader-facing string) without a current
  Korean translation: translate it in ``i18n/ko/...po``;
- a catalog that is not what ``extract`` makes from today's English: ``make korean``;
- a Korean notebook that is not what the generator makes from them: ``make korean``;
- Korean code that differs from the English code (other than the translated comments and
  strings and the language cell);
- a translated string literal that lost a ``{placeholder}`` or stopped being valid Python.
The mechanism itself is tested on a small notebook made here.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import tokenize
from pathlib import Path

import nbformat
import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("translate", ROOT / "i18n" / "translate.py")
translate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(translate)

SOURCES = translate.sources()
IDS = [n.relative_to(translate.NOTEBOOKS).with_suffix("").as_posix() for n in SOURCES]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ENGLISH_SENTENCE = re.compile(r"(?:\b[A-Za-z]{2,}\b[ ,]+){5}")
PLACEHOLDER = re.compile(r"(?<!\{)\{(?!\{)([^{}:!]*)")


def _live(po):
    return [e for e in po if not e.obsolete]


@pytest.mark.parametrize("notebook", SOURCES, ids=IDS)
def test_every_english_text_has_a_current_korean_translation(notebook):
    try:
        translate.korean_notebook(notebook)
    except translate.MissingTranslation as error:
        pytest.fail(f"translate these in {translate.catalog_path(notebook).relative_to(ROOT)} "
                    f"(`python i18n/translate.py extract` adds them):\n{error}")


@pytest.mark.parametrize("notebook", SOURCES, ids=IDS)
def test_catalog_is_up_to_date_with_the_english_notebook(notebook):
    stored = translate.load_catalog(translate.catalog_path(notebook))
    fresh = translate.extract(notebook)

    def key(po):
        return sorted((e.msgctxt, e.msgid, e.msgstr, e.obsolete, tuple(e.flags)) for e in po)

    assert key(stored) == key(fresh), (
        f"{translate.catalog_path(notebook).relative_to(ROOT)} is not what `make korean` "
        "makes from the English notebook: run it and commit the catalog")


@pytest.mark.parametrize("notebook", SOURCES, ids=IDS)
def test_korean_notebook_is_what_the_generator_makes(notebook):
    target = translate.korean_path(notebook)
    try:
        expected = translate.korean_notebook(notebook)
    except translate.MissingTranslation:
        pytest.fail(f"{target.relative_to(ROOT)} cannot be built: translations are missing")
    state = translate.state(target, expected)
    assert state == "unchanged", (
        f"{target.relative_to(ROOT)} is {state}: Korean notebooks are generated, never edited "
        "by hand; run `make korean` (it re-executes what changed)")


def _code_shape(source):
    """The code's tokens, comments dropped and every string literal reduced to its kind."""
    shape = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL):
            continue
        shape.append((token.type, "STRING" if token.type == tokenize.STRING else token.string))
    return shape


@pytest.mark.parametrize("notebook", SOURCES, ids=IDS)
def test_korean_code_is_the_english_code(notebook):
    target = translate.korean_path(notebook)
    if not target.exists():
        pytest.fail(f"{target.relative_to(ROOT)} is missing: run `make korean`")
    english = nbformat.read(notebook, as_version=4).cells
    korean = [c for c in nbformat.read(target, as_version=4).cells
              if c.id != translate.LANGUAGE_CELL_ID]
    assert [c.id for c in korean] == [c.id for c in english], "the cells differ"
    catalog = {e.msgid: e.msgstr for e in translate.load_catalog(translate.catalog_path(notebook))
               if e.msgctxt == "string"}
    for en, ko in zip(english, korean):
        assert en.cell_type == ko.cell_type
        if en.cell_type != "code":
            continue
        assert _code_shape(ko.source) == _code_shape(en.source), f"cell {en.id}: code differs"
        strings = [t.string for t in tokenize.generate_tokens(io.StringIO(en.source).readline)
                   if t.type == tokenize.STRING]
        korean_strings = [t.string for t in tokenize.generate_tokens(
            io.StringIO(ko.source).readline) if t.type == tokenize.STRING]
        for a, b in zip(strings, korean_strings):
            assert a == b or catalog.get(a) == b, f"cell {en.id}: {a} became {b} (no entry)"
    language = [c for c in nbformat.read(target, as_version=4).cells
                if c.id == translate.LANGUAGE_CELL_ID]
    assert [c.source for c in language] == [translate.LANGUAGE_CELL]


@pytest.mark.parametrize("notebook", SOURCES, ids=IDS)
def test_translated_strings_are_python_with_the_same_placeholders(notebook):
    for entry in _live(translate.load_catalog(translate.catalog_path(notebook))):
        if entry.msgctxt != "string" or not entry.msgstr:
            continue
        where = f"{translate.catalog_path(notebook).name}: {entry.msgid}"
        try:
            node = ast.parse(entry.msgstr, mode="eval").body
        except SyntaxError as error:
            pytest.fail(f"{where} -> {entry.msgstr} is not a Python literal ({error.msg})")
        assert isinstance(node, (ast.Constant, ast.JoinedStr)), f"{where}: not a literal"
        assert type(node) is type(ast.parse(entry.msgid, mode="eval").body), where
        assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(
            PLACEHOLDER.findall(entry.msgid)), f"{where}: the {{placeholders}} differ"


@pytest.mark.parametrize("notebook", SOURCES, ids=IDS)
def test_prose_is_translated_not_copied(notebook):
    """A markdown cell "kept as is" may hold formulas or code, never an English sentence."""
    for entry in _live(translate.load_catalog(translate.catalog_path(notebook))):
        if entry.msgctxt == "markdown" and entry.msgstr:
            prose = re.sub(r"`[^`]*`|\$[^$]*\$|<[^>]+>|\]\([^)]*\)", " ", entry.msgstr)
            assert HANGUL.search(entry.msgstr) or not ENGLISH_SENTENCE.search(prose), (
                f"{translate.catalog_path(notebook).name}, "
                f"{entry.comment}: English prose left untranslated")


@pytest.mark.parametrize("notebook", SOURCES, ids=IDS)
def test_links_in_the_korean_notebook_resolve(notebook):
    target = translate.korean_path(notebook)
    if not target.exists():
        pytest.fail(f"{target.relative_to(ROOT)} is missing: run `make korean`")
    for cell in nbformat.read(target, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", " ", cell.source, flags=re.S)
        for link in re.findall(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"", text):
            link = next(x for x in link if x)
            if re.match(r"[a-z]+:|#", link):
                continue
            path = (target.parent / link.split("#")[0]).resolve()
            assert path.exists(), f"{target.relative_to(ROOT)}, cell {cell.id}: {link}"


# --- the mechanism, on a small notebook made here ------------------------------------------

@pytest.fixture
def course(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name, value in {"ROOT": tmp_path, "NOTEBOOKS": notebooks,
                        "CATALOGS": tmp_path / "i18n" / "ko", "OUT": notebooks / "ko"}.items():
        monkeypatch.setattr(translate, name, value)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Padding\n\nZeros around the image.", id="title"),
                nbformat.v4.new_code_cell('n = 3  # the kernel size\n'
                                          'print(f"{n} weights per row", "n")\n'
                                          'ax_title = "x"\nset_title("padding")', id="code")]
    path = notebooks / "01_demo.ipynb"
    nbformat.write(nb, path)
    return path


def _translate_all(path, table):
    po = translate.extract(path)
    for entry in po:
        entry.msgstr = table[entry.msgid]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    translate.catalog_path(path).parent.mkdir(parents=True, exist_ok=True)
    po.save(str(translate.catalog_path(path)))


KOREAN = {"# Padding\n\nZeros around the image.": "# 패딩 (padding)\n\n이미지 둘레의 0입니다.",
          "# the kernel size": "# 커널 크기", 'f"{n} weights per row"': 'f"한 줄에 가중치 {n}개"',
          '"padding"': '"패딩"'}


def test_extract_finds_markdown_comments_and_reader_facing_strings(course):
    found = {(e.msgctxt, e.msgid) for e in translate.extract(course)}
    assert found == {("markdown", "# Padding\n\nZeros around the image."),
                     ("comment", "# the kernel size"), ("string", 'f"{n} weights per row"'),
                     ("string", '"padding"')}      # "n" and "x" are code, not prose


def test_labels_in_dicts_and_tables_are_extracted():
    """A dict whose keys are labels (one has a space) gives every key; a dict of names gives none;
    the headers of a table printed with cnnlib.text.table are labels."""
    source = ('patches = {"red stripe": 1, "background": 2}\n'
              'by_hand = {"conv1": 1, "fc6": 2}\n'
              'print(table([("layer", "size"), *rows]))\n'
              'rows = [("conv1", 3)]\n')
    found = [token.string for _, token in translate._translatable_tokens(source)]
    assert found == ['"red stripe"', '"background"', '"layer"', '"size"']


def test_korean_notebook_translates_text_and_keeps_code(course):
    _translate_all(course, KOREAN)
    ko = translate.korean_notebook(course)
    assert [c.id for c in ko.cells] == ["title", translate.LANGUAGE_CELL_ID, "code"]
    assert ko.cells[0].source.startswith("# 패딩")
    assert ko.cells[2].source == ('n = 3  # 커널 크기\nprint(f"한 줄에 가중치 {n}개", "n")\n'
                                  'ax_title = "x"\nset_title("패딩")')


def test_a_changed_english_cell_makes_its_translation_stale(course):
    _translate_all(course, KOREAN)
    nb = nbformat.read(course, as_version=4)
    nb.cells[0].source = "# Padding\n\nZeros all around the image."
    nbformat.write(nb, course)
    with pytest.raises(translate.MissingTranslation, match="cell title: markdown"):
        translate.korean_notebook(course)
    entry = next(e for e in translate.extract(course) if e.msgctxt == "markdown"
                 and not e.obsolete)
    assert "fuzzy" in entry.flags and entry.msgstr == KOREAN["# Padding\n\nZeros around the image."]
    assert entry.previous_msgid == "# Padding\n\nZeros around the image."


def test_build_writes_once_and_never_overwrites_a_hand_edited_notebook(course, monkeypatch):
    _translate_all(course, KOREAN)
    target = translate.korean_path(course)
    assert translate.build(run=False)[target] == "written"
    assert translate.build(run=False)[target] == "written", "not run yet: still to build"
    monkeypatch.setattr(translate, "execute", lambda nb, folder: nb)   # no kernel needed here
    assert translate.build()[target] == "written"
    assert translate.build()[target] == "unchanged"
    nb = nbformat.read(target, as_version=4)
    nb.cells[0].source += "\n\n손으로 고친 줄"
    nbformat.write(nb, target)
    assert translate.build()[target] == "edited"
    assert "손으로 고친 줄" in target.read_text(encoding="utf-8")
    assert translate.build(force=True)[target] == "written"
    assert "손으로 고친 줄" not in target.read_text(encoding="utf-8")


def test_catalogs_are_gettext_files_that_tools_read():
    for notebook in SOURCES:
        path = translate.catalog_path(notebook)
        po = polib.pofile(str(path))
        assert po.metadata.get("Language") == "ko", path
        assert "charset=UTF-8" in po.metadata.get("Content-Type", ""), path

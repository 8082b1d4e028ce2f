"""One Korean rendering per term: i18n/ko/terminology.tsv is the single source.

Every Korean text of the repository (each msgstr of ``i18n/ko/**/*.po`` and of cnnlib's own
catalog ``cnnlib/_locale/ko.po``, the Korean glosses in the English notebooks, and
``README.ko.md`` when it exists) is scanned for the
variants the terminology file rejects (보폭 for 스트라이드, 렐루 for ReLU, 완전연결층 for
완전 연결 계층, ...); a hit names the file, the entry and the right term. The English glossary's
Korean column must be the file's rendering of each of its terms.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
TERMINOLOGY = ROOT / "i18n" / "ko" / "terminology.tsv"
COLUMNS = ["english", "korean", "rejected", "definition"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def load_terms(path: Path = TERMINOLOGY) -> list[dict]:
    """The rows of the terminology file; ``rejected`` as a list (``"; "``-separated)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines[0].split("\t") == COLUMNS, f"{path.name}: the header must be {COLUMNS}"
    terms = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        assert len(cells) == 4, f"{path.name}, row {number}: 4 tab-separated cells, got {cells}"
        english, korean, rejected, definition = (c.strip() for c in cells)
        terms.append({"english": english, "korean": korean, "definition": definition,
                      "rejected": [v.strip() for v in rejected.split(";") if v.strip()]})
    return terms


def korean_texts() -> list[tuple[str, str, str]]:
    """``(file, entry, Korean text)`` for every Korean text of the repository."""
    texts = []
    for path in sorted([*(ROOT / "i18n" / "ko").rglob("*.po"),
                        ROOT / "cnnlib" / "_locale" / "ko.po"]):
        for entry in polib.pofile(str(path)):
            if entry.msgstr and not entry.obsolete:
                where = (entry.comment or "").strip() or f"line {entry.linenum}"
                first = entry.msgid.strip().splitlines()[0][:60] if entry.msgid.strip() else ""
                texts.append((path.relative_to(ROOT).as_posix(),
                              f"{where}, msgctxt {entry.msgctxt!r}, msgid {first!r}...",
                              entry.msgstr))
    english = [p for p in sorted((ROOT / "notebooks").rglob("*.ipynb"))
               if "ko" not in p.relative_to(ROOT / "notebooks").parts[:1]]
    for path in english:    # the Korean glosses of the English edition, e.g. "(스트라이드)"
        for cell in nbformat.read(path, as_version=4).cells:
            if HANGUL.search(cell.source):
                texts.append((path.relative_to(ROOT).as_posix(), f"cell {cell.id}", cell.source))
    readme = ROOT / "README.ko.md"
    if readme.exists():
        for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), 1):
            texts.append(("README.ko.md", f"line {number}", line))
    return texts


def rejected_uses(texts, terms) -> list[str]:
    """A line per rejected variant found: where, the variant, and the term to use instead."""
    problems = []
    for where, entry, text in texts:
        for term in terms:
            for variant in term["rejected"]:
                at = text.find(variant)
                if at >= 0:
                    context = text[max(0, at - 15):at + len(variant) + 15].replace("\n", " ")
                    problems.append(f"{where}: {entry}: uses {variant!r} (\"...{context}...\"); "
                                    f"the course's term for {term['english']!r} is "
                                    f"{term['korean']!r}")
    return problems


def test_the_terminology_file_is_consistent():
    terms = load_terms()
    english = [t["english"] for t in terms]
    assert len(set(english)) == len(english), "an English term is listed twice"
    accepted = " ".join(f"{t['korean']} {t['definition']}" for t in terms)
    for term in terms:
        assert term["korean"] and HANGUL.search(term["definition"]), term["english"]
        for variant in term["rejected"]:
            # a rejected variant inside an accepted text would make the scan refuse it
            assert variant not in accepted, (
                f"{variant!r} (rejected for {term['english']!r}) occurs in an accepted term or "
                "definition")


def test_issue_15_fixes_are_in_the_terminology():
    terms = {t["english"]: t for t in load_terms()}
    fixes = {"Gabor filter": ("가버 필터", "가보 필터"),
             "multiply-add (MAC)": ("곱셈-누산", "곱셈-덧셈"),
             "ReLU": ("ReLU", "렐루"),
             "overlapping pooling": ("중첩 풀링", "겹치는 풀링"),
             "fully connected layer (FC)": ("완전 연결 계층", "완전연결층"),
             "stride": ("스트라이드", "보폭")}
    for english, (korean, wrong) in fixes.items():
        assert terms[english]["korean"] == korean
        assert wrong in terms[english]["rejected"]
    assert "완전 연결 층" in terms["fully connected layer (FC)"]["rejected"]


def test_korean_texts_use_only_the_glossary_terms():
    texts = korean_texts()
    assert any(where == "cnnlib/_locale/ko.po" for where, _, _ in texts), "nothing scanned"
    problems = rejected_uses(texts, load_terms())
    assert not problems, ("Korean text uses a term the glossary rejects (i18n/ko/terminology.tsv"
                          "):\n" + "\n".join(problems))


def test_a_rejected_variant_is_reported_with_the_right_term(tmp_path):
    """The scan above finds a rejected variant and says where and what to write instead."""
    po = polib.POFile()
    po.append(polib.POEntry(msgctxt="markdown", msgid="The stride moves the kernel.",
                            msgstr="보폭은 커널이 움직이는 칸 수입니다.", comment="cell abc123"))
    po.save(str(tmp_path / "x.po"))
    texts = [("i18n/ko/x.po", "cell abc123", entry.msgstr)
             for entry in polib.pofile(str(tmp_path / "x.po"))]
    problems = rejected_uses(texts, load_terms())
    assert problems == ["i18n/ko/x.po: cell abc123: uses '보폭' "
                        "(\"...보폭은 커널이 움직이는 칸 수입...\"); "
                        "the course's term for 'stride' is '스트라이드'"]


def _glossary_rows() -> dict:
    """``{English term: Korean column}`` of notebooks/glossary.ipynb's table."""
    rows = {}
    for cell in nbformat.read(ROOT / "notebooks" / "glossary.ipynb", as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("| **"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                rows[re.fullmatch(r"\*\*(.+)\*\*", cells[0]).group(1)] = cells[1]
    return rows


def test_the_glossary_uses_the_terminology():
    terms = {t["english"]: t["korean"] for t in load_terms()}
    rows = _glossary_rows()
    assert len(rows) > 80
    wrong = [f"{english}: glossary {korean!r}, terminology "
             f"{terms.get(english, '(not listed)')!r}"
             for english, korean in rows.items() if terms.get(english) != korean]
    assert not wrong, ("notebooks/glossary.ipynb and i18n/ko/terminology.tsv disagree:\n"
                       + "\n".join(wrong))


@pytest.mark.parametrize("english", ["stride", "ReLU", "Gabor filter"])
def test_a_glossary_disagreement_is_seen(english):
    """The check above compares every row: one changed gloss is a difference."""
    terms = {t["english"]: t["korean"] for t in load_terms()}
    rows = dict(_glossary_rows(), **{english: "보폭"})
    assert [e for e, k in rows.items() if terms.get(e) != k] == [english]

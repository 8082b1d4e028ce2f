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
COLUMNS = ["english", "korean", "rejected", "definition", "also_seen"]
ALSO_SEEN = re.compile(r"다른 교재: [^.|]*\.")   # the Korean glossary's "also seen" clause
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def load_terms(path: Path = TERMINOLOGY) -> list[dict]:
    """The rows of the terminology file; ``rejected`` and ``also_seen`` as lists (``"; "``)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines[0].split("\t") == COLUMNS, f"{path.name}: the header must be {COLUMNS}"
    terms = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        assert len(cells) == 5, f"{path.name}, row {number}: 5 tab-separated cells, got {cells}"
        english, korean, rejected, definition, also = (c.strip() for c in cells)
        terms.append({"english": english, "korean": korean, "definition": definition,
                      "rejected": [v.strip() for v in rejected.split(";") if v.strip()],
                      "also_seen": [v.strip() for v in also.split(";") if v.strip()]})
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
                text = entry.msgstr
                if path.name == "glossary.po":     # "다른 교재: 매개변수." names what others say
                    text = ALSO_SEEN.sub("", text)
                texts.append((path.relative_to(ROOT).as_posix(),
                              f"{where}, msgctxt {entry.msgctxt!r}, msgid {first!r}...", text))
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
            for variant in term["rejected"] + term["also_seen"]:
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
        for variant in term["rejected"] + term["also_seen"]:
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


def _korean_glossary_rows() -> dict:
    """``{English term: the Korean glossary's meaning cell}``, from i18n/ko/glossary.po."""
    rows = {}
    for entry in polib.pofile(str(ROOT / "i18n" / "ko" / "glossary.po")):
        for line in entry.msgstr.splitlines():
            if line.startswith("| **") and not entry.obsolete:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                rows[cells[1]] = cells[2]
    return rows


def also_seen_missing(terms, rows) -> list[str]:
    """Terms whose "also seen" renderings the Korean glossary does not list in their row."""
    missing = []
    for term in terms:
        if not term["also_seen"]:
            continue
        clause = ALSO_SEEN.search(rows.get(term["english"], ""))
        listed = [] if clause is None else [
            v.strip() for v in clause.group(0).removeprefix("다른 교재:").rstrip(".").split(",")]
        if listed != term["also_seen"]:
            missing.append(f"{term['english']}: terminology.tsv also_seen {term['also_seen']}, "
                           f"Korean glossary lists {listed}")
    return missing


def test_the_korean_glossary_lists_what_other_textbooks_say():
    """매개변수 for 파라미터, 확장 합성곱 for 팽창 합성곱: not written in the course, but a student
    who meets them elsewhere finds them in the glossary (i18n/ko/glossary.po), as
    "다른 교재: ..."."""
    terms = load_terms()
    assert sum(bool(t["also_seen"]) for t in terms) >= 10
    by_english = {t["english"]: t for t in terms}
    assert "매개변수" in by_english["parameter"]["also_seen"]
    assert "확장 합성곱" in by_english["dilation / dilated convolution"]["also_seen"]
    problems = also_seen_missing(terms, _korean_glossary_rows())
    assert not problems, "\n".join(problems)


def test_an_also_seen_term_is_still_not_written_in_the_course():
    terms = load_terms()
    texts = [("i18n/ko/x.po", "cell abc", "합성곱 계층의 매개변수는 가중치와 편향입니다.")]
    assert [p for p in rejected_uses(texts, terms) if "'매개변수'" in p]
    rows = _korean_glossary_rows()
    rows["parameter"] = ALSO_SEEN.sub("", rows["parameter"])
    assert [p for p in also_seen_missing(terms, rows) if p.startswith("parameter:")]


def test_a_network_is_신경망_and_네트워크_is_seen():
    """Issue 24: "network" (a neural network, "the network") is 신경망, as Korean textbooks
    write it. 네트워크 is what some other texts say, so the glossary lists it and the scan above
    refuses it in the course's Korean text (homework and the checker's messages said
    여러분의 네트워크)."""
    terms = load_terms()
    network = {t["english"]: t for t in terms}["neural network (the network)"]
    assert network["korean"] == "신경망" and network["also_seen"] == ["네트워크"]
    texts = [("i18n/ko/homework/x.po", "cell abc",
              "# conv1: 여러분 네트워크의 표에서 이 행을 보세요")]
    assert [p for p in rejected_uses(texts, terms) if "'네트워크'" in p and "'신경망'" in p]

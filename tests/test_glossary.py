"""Every term is explained before, or where, a lecture first uses it.

The glossary (``notebooks/glossary.ipynb``) knows where each term is taught: its "introduced in"
column links one lecture. Read in course order (01, 02, ...), no lecture before that one may use
the term, in anything a student reads (markdown, code comments; not the instructor's notes),
unless the same paragraph points to where it is taught ("notebook 7", or a link to it): a
forward reference such as "dropout (notebook 7)" is honest, a bare "dropout" is not. And the
lecture the glossary names must itself use the term (it cannot teach what it never says).
Within one earlier lecture it is the first use that must point there: later uses in that lecture
come after the student has been told where to look.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LECTURES = sorted(p.name for p in NOTEBOOKS.glob("[01][0-9]_*.ipynb"))[1:]     # 00 is the map


def glossary_rows() -> list[tuple[str, str]]:
    """``[(term, notebook file it is taught in)]``, from the glossary's table."""
    cells = json.loads((NOTEBOOKS / "glossary.ipynb").read_text(encoding="utf-8"))["cells"]
    rows = [line for cell in cells if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("| **")]
    return [(re.match(r"\| \*\*(.+?)\*\*", row).group(1),
             re.search(r"\]\((\S+\.ipynb)\)", row).group(1)) for row in rows]


def paragraphs(notebook: str) -> list[str]:
    """What a student reads in a lecture, paragraph by paragraph, whitespace folded: markdown
    cells and code comments, without the instructor's notes (slide type 'notes')."""
    cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["metadata"].get("slideshow", {}).get("slide_type") == "notes":
            continue
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            source = "\n".join(line.split("#", 1)[1] for line in source.splitlines() if "#" in line)
        found += [" ".join(p.split()) for p in re.split(r"\n\s*\n", source) if p.strip()]
    return found


def term_pattern(term: str) -> re.Pattern:
    """The term as a word (plural allowed): its English words before any "(" or " / "."""
    key = re.split(r" \(| / ", term)[0].strip('"')
    return re.compile(rf"(?<![\w-]){re.escape(key)}(?:s|es)?(?![\w-])", re.IGNORECASE)


def first_unexplained_use(term: str, taught: str, texts: dict[str, list[str]]):
    """``(lecture, paragraph)`` of the first lecture before ``taught`` whose first use of ``term``
    does not point to ``taught``; ``None`` when each earlier lecture's first use points there."""
    pattern = term_pattern(term)
    number = int(taught[:2])
    pointer = re.compile(rf"notebooks? 0?{number}\b|{re.escape(taught)}", re.IGNORECASE)
    for lecture, paras in texts.items():
        if lecture >= taught:
            return None
        first = next((paragraph for paragraph in paras if pattern.search(paragraph)), None)
        if first is not None and not pointer.search(first):
            return lecture, first
    return None


TEXTS = {lecture: paragraphs(lecture) for lecture in LECTURES}
ROWS = glossary_rows()


@pytest.mark.parametrize(("term", "taught"), ROWS, ids=[term for term, _ in ROWS])
def test_no_lecture_uses_a_term_before_it_is_taught(term, taught):
    assert taught in LECTURES, f"{term}: the glossary links {taught}, not a lecture"
    assert any(term_pattern(term).search(p) for p in TEXTS[taught]), (
        f"{term}: {taught}, where the glossary says it is taught, never uses it")
    early = first_unexplained_use(term, taught, TEXTS)
    assert early is None, (f"{term!r} is taught in {taught} but {early[0]} uses it first "
                           f"without pointing there: {early[1][:200]!r}")


def test_the_check_tells_a_forward_reference_from_an_unexplained_use():
    texts = {"01_a.ipynb": ["Pooling shrinks a map."], "05_pooling.ipynb": ["Pooling ..."]}
    assert first_unexplained_use("pooling", "05_pooling.ipynb", texts)[0] == "01_a.ipynb"
    texts["01_a.ipynb"] = ["Pooling (notebook 5) shrinks a map.", "Pooling again."]
    assert first_unexplained_use("pooling", "05_pooling.ipynb", texts) is None
    texts["01_a.ipynb"] = ["Pooling again.", "Pooling (notebook 5) shrinks a map."]
    assert first_unexplained_use("pooling", "05_pooling.ipynb", texts)[0] == "01_a.ipynb"
    texts["01_a.ipynb"] = ["Max-pooling and unpooling are other words."]
    assert first_unexplained_use("pooling", "05_pooling.ipynb", texts) is None


@pytest.mark.parametrize("glossary", ["glossary.ipynb", "ko/glossary.ipynb"])
def test_the_stored_self_check_finds_every_term(glossary):
    """The glossary's own check (its last code cell: is each term in the notebook its row
    links?) reports nothing missing in the output a student first sees, in both editions
    (the Korean one listed 채널 순서 and same 패딩 as missing until its terms matched the
    lectures' own words: 레이아웃, "same" 패딩)."""
    cells = json.loads((NOTEBOOKS / glossary).read_text(encoding="utf-8"))["cells"]
    printed = "".join("".join(output.get("text", "")) for cell in cells
                      if cell["cell_type"] == "code" for output in cell.get("outputs", []))
    verdict = {"glossary.ipynb": "not found where the glossary points: none",
               "ko/glossary.ipynb": "용어집이 가리키는 노트북에 없는 용어: 없음"}[glossary]
    assert verdict in printed, printed

"""Every course notebook (00-10) is a slideshow that fits one lecture (issue 14, COMMON rules):

- every cell has ``metadata.slideshow.slide_type``, one of RISE's / nbconvert's six values;
- the first cell (the title) starts a slide;
- cells tagged ``reading`` (deep dives the lecture skips) are ``skip``;
- at most 25 slides + subslides.

Also checks ``lecture/slide_plan.py`` (``make slide-plan``) against a notebook built here with
known counts.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
VALID = {"slide", "subslide", "fragment", "-", "skip", "notes"}
MAX_SLIDES = 25                     # slides + subslides: about 2 minutes each in 50 minutes
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb")
                   if p.name[:2].isdigit() and int(p.name[:2]) <= 10)


def _slide_type(cell: dict):
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def _cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def test_the_course_is_eleven_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(11)]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_slide_structure(notebook):
    cells = _cells(notebook)
    problems = []
    for i, cell in enumerate(cells):
        kind = _slide_type(cell)
        first = "".join(cell["source"]).split("\n", 1)[0][:50]
        if kind not in VALID:
            problems.append(f"cell {i} ({first!r}): slide_type {kind!r} is not one of "
                            f"{sorted(VALID)}")
        if "reading" in cell.get("metadata", {}).get("tags", []) and kind != "skip":
            problems.append(f"cell {i} ({first!r}) is tagged reading, so its slide_type must "
                            f"be 'skip', not {kind!r}")
    if cells and _slide_type(cells[0]) != "slide":
        problems.append(f"the first cell starts the show: slide_type 'slide', not "
                        f"{_slide_type(cells[0])!r}")
    shown = sum(1 for c in cells if _slide_type(c) in ("slide", "subslide"))
    if shown > MAX_SLIDES:
        problems.append(f"{shown} slides + subslides, more than {MAX_SLIDES} for one lecture "
                        "(mark deep dives as reading: skip + tag 'reading')")
    assert not problems, f"{notebook.name}:\n  " + "\n  ".join(problems[:15]) + (
        f"\n  ... and {len(problems) - 15} more" if len(problems) > 15 else "")


def _slide_plan():
    spec = importlib.util.spec_from_file_location("slide_plan", ROOT / "lecture" / "slide_plan.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("slide_plan", module)    # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_slide_plan_counts_a_known_notebook(tmp_path):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell

    def cell(make, source, kind, tags=()):
        c = make(source)
        c.metadata["slideshow"] = {"slide_type": kind}
        if tags:
            c.metadata["tags"] = list(tags)
        return c

    nb = nbformat.v4.new_notebook(cells=[
        cell(md, "# Title", "slide"),
        cell(code, "import numpy as np", "skip"),
        cell(md, "## One", "slide"),
        cell(md, "Say this.", "notes"),
        cell(code, "output_size_explorer(height=7)", "-"),
        cell(md, "More", "subslide"),
        cell(md, "- a point", "fragment"),
        cell(md, "- another", "fragment"),
        cell(md, "*Reading (not in the slides).*", "skip", ["reading"]),
        cell(code, "pooling_explorer()", "skip", ["reading"]),      # not on a slide
        cell(md, "## Two", "slide"),
    ])
    path = tmp_path / "99_known.ipynb"
    nbformat.write(nb, path)
    plan = _slide_plan().plan(path)
    assert (plan.slides, plan.subslides, plan.fragments, plan.notes, plan.explorers,
            plan.reading, plan.unmarked) == (3, 1, 2, 1, 1, 2, 0)
    assert plan.minutes == 2 * 4 + 3 * 1
    text = _slide_plan().report([plan])
    assert "99_known" in text and " 11" in text

"""Lecture mode: the slide metadata of the course notebooks follows the course's conventions.

Every cell has a slide type; the title and each ``##`` section shown open a slide; the Colab set-up
and the imports are skipped; a lecture is at most ~22 slides and subslides (about 50 minutes);
reading passages are skipped, tagged ``reading`` and announced by their first markdown cell; the
tag ``hide-input-on-slides`` is only on code cells shown on a slide.
Also checks ``lecture/slide_plan.py`` (``make slide-plan``) on a notebook with known counts.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: The course notebooks 00-12: each presents as one lecture.
SLIDE_NOTEBOOKS = sorted(p.stem for p in NOTEBOOKS.glob("[01][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
MAX_SLIDES = 22
READING = "*Reading (not in the slides).*"
#: The first line of every speaker note: all that a student sees of it, collapsed.
NOTES = "*Instructor notes (for the lecturer).*"


def lecture_module(name: str):
    """``lecture/<name>.py`` as a module (the lecture scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "lecture" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)    # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


#: A code cell whose slide shows its output only (lecture/nbextension/slides.js).
HIDE_INPUT = lecture_module("export_slides").HIDE_INPUT_TAG


def slide_cells(name: str):
    cells = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    return [(c, "".join(c["source"]), c["metadata"].get("slideshow", {}).get("slide_type"),
             c["metadata"].get("tags", [])) for c in cells]


def check_slides(cells) -> list[str]:
    """Every way the cells break the conventions, as messages (empty: all is well)."""
    problems = []
    if not cells or cells[0][2] != "slide":
        problems.append("the title cell must be a 'slide'")
    shown = [kind for _, _, kind, _ in cells if kind in ("slide", "subslide")]
    if len(shown) > MAX_SLIDES:
        problems.append(f"{len(shown)} slides and subslides, more than {MAX_SLIDES}")
    previous_reading = False
    for cell, source, kind, tags in cells:
        where = f"cell {cell.get('id')}"
        if kind not in SLIDE_TYPES:
            problems.append(f"{where}: slide type {kind!r}")
        if cell.get("id") == "colab-setup" and kind != "skip":
            problems.append(f"{where}: the Colab set-up must be 'skip'")
        if cell["cell_type"] == "code" and source.lstrip().startswith("import ") and kind != "skip":
            problems.append(f"{where}: an import cell must be 'skip'")
        reading = "reading" in tags
        if reading and kind != "skip":
            problems.append(f"{where}: tagged reading but shown ({kind!r})")
        if reading and not previous_reading and cell["cell_type"] == "markdown" \
                and not source.startswith(READING):
            problems.append(f"{where}: a reading passage must begin with {READING!r}")
        if reading and not previous_reading and cell["cell_type"] != "markdown":
            problems.append(f"{where}: a reading passage must begin with a markdown cell")
        if kind not in ("notes", "skip", "slide") and source.startswith("## "):
            problems.append(f"{where}: a '##' section in the slides must open a 'slide'")
        if kind == "notes" and not cell["metadata"].get("jupyter", {}).get("source_hidden"):
            problems.append(f"{where}: instructor notes must be collapsed for students "
                            "(metadata jupyter.source_hidden)")
        if kind == "notes" and source.split("\n", 1)[0] != NOTES:
            problems.append(f"{where}: a speaker note's first line (all a student sees of it) "
                            f"must be {NOTES!r}")
        if HIDE_INPUT in tags and (cell["cell_type"] != "code" or kind in ("skip", "notes")):
            problems.append(f"{where}: tagged {HIDE_INPUT!r} but not a code cell on a slide")
        if kind != "notes":
            previous_reading = reading
    return problems


@pytest.mark.parametrize("name", SLIDE_NOTEBOOKS)
def test_slide_metadata_follows_the_conventions(name):
    assert check_slides(slide_cells(name)) == []


def test_the_check_finds_broken_metadata():
    cells = slide_cells("02_convolution")
    kinds = [kind for _, _, kind, _ in cells]
    section = next(i for i, (_, s, k, _) in enumerate(cells) if s[:3] == "## " and k == "slide")
    reading = next(i for i, (_, _, _, tags) in enumerate(cells) if "reading" in tags)
    kinds[section], kinds[reading] = "subslide", "-"
    notes = next(c for c, _, k, _ in cells if k == "notes")
    notes = {**notes, "metadata": {**notes["metadata"], "jupyter": {}}}
    cells = [(notes if c.get("id") == notes.get("id") else c, s, k, t) for c, s, k, t in cells]
    problems = check_slides([(c, s, k, t) for (c, s, _, t), k in zip(cells, kinds)])
    assert any("must open a 'slide'" in p for p in problems)
    assert any("tagged reading but shown" in p for p in problems)
    assert any("instructor notes must be collapsed" in p for p in problems)
    heading = {**cells[0][0], "metadata": {**cells[0][0]["metadata"], "tags": [HIDE_INPUT]}}
    assert any("not a code cell on a slide" in p
               for p in check_slides([(heading, cells[0][1], "slide", [HIDE_INPUT])]))
    too_long = cells[:1] + [(cells[1][0], "", "subslide", [])] * (MAX_SLIDES + 1)
    assert any("more than" in p for p in check_slides(too_long))


def _slide_plan():
    return lecture_module("slide_plan")


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


def test_the_course_map_states_each_lectures_planned_time():
    """00's "lecture" column is the slide plan's estimate (make slide-plan), not a promise."""
    import re

    # the map and its table (on two slides), cell by cell
    source = "\n".join(source for _, source, _, _ in slide_cells("00_index"))
    stated = {int(n): int(m) for n, m in re.findall(r"^\| (\d+) \| \[[^]]+\]\([^)]+\) \| (\d+) min",
                                                   source, re.M)}
    lectures = len(SLIDE_NOTEBOOKS) - 1          # 00 is the map, not a lecture
    assert sorted(stated) == list(range(1, lectures + 1)), f"the map lists notebooks 1-{lectures}"
    plan = _slide_plan()
    for number, minutes in stated.items():
        (path,) = NOTEBOOKS.glob(f"{number:02d}_*.ipynb")
        assert minutes == plan.plan(path).minutes, (
            f"00_index says {minutes} min for {path.name}; `make slide-plan` estimates "
            f"{plan.plan(path).minutes}")


@pytest.mark.parametrize("name", SLIDE_NOTEBOOKS[1:])
def test_every_lecture_fits_a_40_to_50_minute_slot(name):
    """A lecture is one class: by the slide plan's estimate, 40 to 50 minutes."""
    minutes = _slide_plan().plan(NOTEBOOKS / f"{name}.ipynb").minutes
    assert 40 <= minutes <= 50, f"{name}: the slide plan estimates {minutes} min"


def test_no_notebook_stores_widget_state():
    """Widget state saved by ``nbconvert --execute`` (metadata "widgets") makes every exported
    page load the widget manager from unpkg.com: run nbconvert with
    ``--ExecutePreprocessor.store_widget_state=False`` (i18n/translate.py does)."""
    stored = [p.relative_to(NOTEBOOKS).as_posix() for p in sorted(NOTEBOOKS.rglob("*.ipynb"))
              if "widgets" in json.loads(p.read_text(encoding="utf-8"))["metadata"]]
    assert stored == []

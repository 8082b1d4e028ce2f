"""Print the slideshow plan of each course notebook: ``make slide-plan``.

Per notebook (00-12), from the cells' ``slideshow`` metadata (RISE / nbconvert conventions):
slides, subslides, fragments, speaker notes, explorers on the slides, reading cells (tagged
``reading``, out of the slideshow) and an estimated lecture time.

Time model (an estimate to plan with, not a measurement): 2 minutes per slide or subslide, plus
3 more for each explorer on a slide (the class watches a few settings and answers a question).
A lecture is at most 50 minutes.

Usage: ``python lecture/slide_plan.py [NOTEBOOK ...]`` (default: notebooks/00-12).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = re.compile(r"^\d\d_.*\.ipynb$")       # notebooks 00-12
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
MINUTES_PER_SLIDE = 2
MINUTES_PER_EXPLORER = 3
LECTURE_MINUTES = 50
#: An explorer: a call of one of cnnlib.widgets' ``*_explorer`` functions.
EXPLORER_CALL = re.compile(r"\b\w+_explorer\(")


def course_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if COURSE.match(p.name))


def slide_type(cell: dict) -> str | None:
    """The cell's ``slideshow.slide_type``, or None when it has none."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


@dataclass
class Plan:
    name: str
    cells: int
    unmarked: int         # cells without a slide_type
    slides: int
    subslides: int
    fragments: int
    notes: int
    explorers: int        # explorer cells shown on a slide
    reading: int          # cells tagged "reading"

    @property
    def minutes(self) -> int:
        return (MINUTES_PER_SLIDE * (self.slides + self.subslides)
                + MINUTES_PER_EXPLORER * self.explorers)


def plan(notebook: Path) -> Plan:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    types = [slide_type(c) for c in cells]
    shown = [c for c, t in zip(cells, types) if t not in ("skip", "notes")]
    return Plan(
        name=notebook.stem, cells=len(cells), unmarked=types.count(None),
        slides=types.count("slide"), subslides=types.count("subslide"),
        fragments=types.count("fragment"), notes=types.count("notes"),
        explorers=sum(1 for c in shown if c["cell_type"] == "code"
                      and EXPLORER_CALL.search("".join(c["source"]))),
        reading=sum(1 for c in cells if "reading" in c.get("metadata", {}).get("tags", [])))


def report(plans: list[Plan]) -> str:
    header = (f"{'notebook':<34} {'slides':>6} {'sub':>4} {'frag':>4} {'notes':>5} "
              f"{'expl':>4} {'read':>4} {'min':>4}")
    lines = [header, "-" * len(header)]
    for p in plans:
        flags = []
        if p.unmarked:
            flags.append(f"{p.unmarked} of {p.cells} cells without slide_type")
        if p.minutes > LECTURE_MINUTES:
            flags.append(f"over {LECTURE_MINUTES} min")
        lines.append(f"{p.name:<34} {p.slides:>6} {p.subslides:>4} {p.fragments:>4} "
                     f"{p.notes:>5} {p.explorers:>4} {p.reading:>4} {p.minutes:>4}"
                     + (f"  ({'; '.join(flags)})" if flags else ""))
    total = sum(p.minutes for p in plans)
    lines.append("-" * len(header))
    lines.append(f"{'total':<34} {sum(p.slides for p in plans):>6} "
                 f"{sum(p.subslides for p in plans):>4} {sum(p.fragments for p in plans):>4} "
                 f"{sum(p.notes for p in plans):>5} {sum(p.explorers for p in plans):>4} "
                 f"{sum(p.reading for p in plans):>4} {total:>4}  ({total / 60:.1f} h)")
    lines.append(f"time = {MINUTES_PER_SLIDE} min per slide or subslide + "
                 f"{MINUTES_PER_EXPLORER} min per explorer on a slide (an estimate)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    notebooks = [Path(a) for a in args] or course_notebooks()
    print(report([plan(n) for n in notebooks]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

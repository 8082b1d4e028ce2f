"""Where the class stands: one self-contained HTML page from the grader's companion.

``write(grades, out)`` reads ``scores.grades.json`` (:func:`.grader.write_companion`) and writes
one page an instructor reads before the next lecture: first *what to revisit* (the three
exercises with the most wrong answers, the most common recognised mistakes), then per homework
the score distribution, per exercise how many students were right, wrong or did not attempt it,
the common mistakes the checkers recognised ranked by how many students made them, and the time
grading took per submission. Each plot is an inline PNG drawn in the course's style
(:data:`cnnlib.viz.style.MATPLOTLIB_RC`, Okabe-Ito colours) with a text alternative and the
table of its numbers beside it; the page loads nothing from the network. The counts are
computed by :func:`summary` (tests compare them with hand counts).
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path

from ...i18n import get_language, set_language, tr
from ..selfcheck import HOMEWORK, MISTAKES
from .feedback import OTHER_MISTAKES, load, short_name

#: The recognised mistakes in words, by their id in the grader's companion.
LABELS = {**MISTAKES, **OTHER_MISTAKES}

_CSS = """
body{font-family:system-ui,sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#111;
background:#fff;line-height:1.45;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #767676;padding:.2em .5em;text-align:left}thead th{background:#eee}
.pair{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}img{max-width:100%}
.scroll{overflow-x:auto;max-width:100%}.scroll:focus{outline:2px solid #0072B2}
"""


def summary(data: dict) -> dict:
    """``{homework: counts}`` of the companion ``data``: ``submissions``, ``totals`` (list),
    ``max``, ``exercises`` (``{exercise: Counter of statuses}``), ``mistakes``
    (``Counter`` of ``(exercise, mistake id)``), ``seconds`` (list)."""
    result = {}
    for entry in data["submissions"]:
        homework = entry.get("homework")
        if homework not in HOMEWORK:
            continue
        one = result.setdefault(homework, {
            "submissions": 0, "totals": [], "max": 0, "seconds": [],
            "exercises": {ex: Counter() for ex in HOMEWORK[homework]}, "mistakes": Counter()})
        one["submissions"] += 1
        one["totals"].append(int(entry.get("total", 0)))
        one["max"] = max(one["max"], int(entry.get("max", 0)))
        one["seconds"].append(float(entry.get("seconds", 0)))
        for exercise, item in (entry.get("exercises") or {}).items():
            if exercise in one["exercises"]:
                one["exercises"][exercise][item.get("status", "not run")] += 1
                if item.get("mistake"):
                    one["mistakes"][(exercise, item["mistake"])] += 1
    return result


def revisit(counts: dict, n: int = 3) -> tuple[list, list]:
    """``([(homework, exercise, wrong), ...], [(homework, exercise, mistake, students), ...])``:
    the ``n`` exercises with the most wrong answers and the ``n`` most common mistakes."""
    wrong = sorted(((hw, ex, c["wrong"]) for hw, one in counts.items()
                    for ex, c in one["exercises"].items() if c["wrong"]),
                   key=lambda t: (-t[2], t[0], HOMEWORK[t[0]].index(t[1])))
    mistakes = sorted(((hw, ex, m, k) for hw, one in counts.items()
                       for (ex, m), k in one["mistakes"].items()),
                      key=lambda t: (-t[3], t[0], t[1], t[2]))
    return wrong[:n], mistakes[:n]


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _table(head: list, rows: list, caption: str) -> str:
    # a narrow window scrolls the table in its own box, never the page (WCAG 1.4.10)
    return (f"<div class='scroll' role='region' tabindex='0' aria-label='{html.escape(caption)}'>"
            f"<table><caption>{html.escape(caption)}</caption><thead><tr>"
            + "".join(f"<th scope='col'>{html.escape(str(h))}</th>" for h in head)
            + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(
                (f"<th scope='row'>{html.escape(str(c))}</th>" if i == 0 else
                 f"<td>{html.escape(str(c))}</td>") for i, c in enumerate(row)) + "</tr>"
                for row in rows) + "</tbody></table></div>")


def _plots(homework: str, one: dict) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from ...viz.style import MATPLOTLIB_RC, OKABE_ITO

    short, parts = short_name(homework), []
    totals = Counter(one["totals"])
    points = list(range(one["max"] + 1))
    with plt.rc_context(MATPLOTLIB_RC):
        figure, axes = plt.subplots(figsize=(6, 2.6))
        axes.bar(points, [totals[p] for p in points], color=OKABE_ITO["blue"])
        axes.set_xlabel(tr("points from the grader"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(tr("submissions"))
        axes.set_title(tr("{homework}: score distribution", homework=short))
        image = _png(figure)
        plt.close(figure)
        alt = tr("Bar chart of {homework}'s scores: {counts} (of {max} points).",
                 homework=short, max=one["max"], counts=", ".join(
                     tr("{n} at {points}", n=totals[p], points=p) for p in sorted(totals)))
        rows = [[p, totals[p]] for p in sorted(totals, reverse=True)]
        parts.append(f"<div class='pair'><img alt='{html.escape(alt)}' "
                     f"src='data:image/png;base64,{image}'>"
                     + _table([tr("points"), tr("submissions")], rows,
                            tr("{homework}: scores", homework=short)) + "</div>")

        exercises = list(one["exercises"])
        statuses = [("correct", OKABE_ITO["bluish_green"], ""),
                    ("wrong", OKABE_ITO["vermillion"], "//"),
                    ("not attempted", OKABE_ITO["grey"] if "grey" in OKABE_ITO else "#999999",
                     ".."), ("not run", "#DDDDDD", "xx")]
        figure, axes = plt.subplots(figsize=(6, 0.35 * len(exercises) + 1.2))
        left = [0] * len(exercises)
        for status, colour, hatch in statuses:
            values = [one["exercises"][ex][status] for ex in exercises]
            axes.barh(exercises, values, left=left, color=colour, hatch=hatch, label=tr(status),
                      edgecolor="black", linewidth=0.5)
            left = [a + b for a, b in zip(left, values)]
        axes.invert_yaxis()
        axes.set_xlabel(tr("submissions"))
        axes.set_title(tr("{homework}: per exercise", homework=short))
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        image = _png(figure)
        plt.close(figure)
    rows = [[ex, *(one["exercises"][ex][s] for s, _, _ in statuses)] for ex in exercises]
    alt = tr("Stacked bars per exercise of {homework}: {counts}.", homework=short,
             counts="; ".join(tr("{exercise}: {correct} correct, {wrong} wrong, {blank} not "
                                 "attempted", exercise=r[0], correct=r[1], wrong=r[2],
                                 blank=r[3]) for r in rows))
    parts.append(f"<div class='pair'><img alt='{html.escape(alt)}' "
                 f"src='data:image/png;base64,{image}'>"
                 + _table([tr("exercise"), *(tr(s) for s, _, _ in statuses)], rows,
                          tr("{homework}: right, wrong and not attempted", homework=short))
                 + "</div>")
    return "".join(parts)


def render(data: dict, language: str = "en") -> str:
    """The page for the companion ``data``, in ``language`` ("en" or "ko")."""
    previous = get_language()
    set_language(language)
    try:
        return _render(data, language)
    finally:
        set_language(previous)


def _render(data: dict, language: str) -> str:
    counts = summary(data)
    wrong, mistakes = revisit(counts)
    items = [f"<li><b>{html.escape(short_name(hw))}.{html.escape(ex)}</b>: "
             f"{html.escape(tr('{n} wrong', n=k))}</li>" for hw, ex, k in wrong]
    items += [f"<li>{html.escape(_label(m))} ({html.escape(short_name(hw))}."
              f"{html.escape(ex)}): {html.escape(tr('{n} students', n=k))}</li>"
              for hw, ex, m, k in mistakes]
    title = tr("Where the class stands")
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<h2>{html.escape(tr('What to revisit before the next lecture'))}</h2>",
            "<ol>" + "".join(items) + "</ol>" if items else
            f"<p>{html.escape(tr('Nothing: no wrong answers.'))}</p>"]
    for homework, one in counts.items():
        short = short_name(homework)
        totals = sorted(one["totals"])
        median = totals[len(totals) // 2] if totals else 0
        body.append(f"<h2>{html.escape(homework)}</h2><p>" + html.escape(tr(
            "{n} submissions; median {median} of {max} points from the grader.",
            n=one["submissions"], median=median, max=one["max"])) + "</p>")
        body.append(_plots(homework, one))
        ranked = sorted(one["mistakes"].items(), key=lambda t: (-t[1], t[0]))
        body.append(f"<h3>{html.escape(tr('Common mistakes the checkers recognised'))}</h3>" + (
            _table([tr("mistake"), tr("exercise"), tr("students")],
                   [[_label(m), ex, k] for (ex, m), k in ranked],
                   tr("{homework}: recognised mistakes, most common first", homework=short))
            if ranked else f"<p>{html.escape(tr('None recognised.'))}</p>"))
        seconds = sorted(one["seconds"])
        if seconds:
            body.append(f"<h3>{html.escape(tr('Time'))}</h3>" + _table(
                [tr("grading seconds per submission"), tr("value")],
                [[tr("median"), f"{seconds[len(seconds) // 2]:.1f}"],
                 [tr("longest"), f"{seconds[-1]:.1f}"]],
                tr("{homework}: time", homework=short)))
    return (f"<!DOCTYPE html>\n<html lang='{language}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><main>{''.join(body)}</main></body></html>\n")


def _label(mistake: str) -> str:
    """A recognised mistake in words (its id if the page does not know it)."""
    return tr(LABELS[mistake]) if mistake in LABELS else mistake


def write(grades, out, language: str = "en") -> Path:
    """Write the class report of the companion ``grades`` to ``out`` in ``language``;
    return ``out``."""
    out = Path(out)
    out.write_text(render(load(grades), language), encoding="utf-8")
    return out

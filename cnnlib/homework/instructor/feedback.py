"""Feedback pages: one self-contained HTML page per graded submission, for its student.

``write_pages(grades, out)`` reads the companion the grader writes beside its CSV
(``scores.grades.json``, :func:`.grader.write_companion`) and writes ``OUT/<student id>/<hw>.html``
(``hw1.html``, ...: the name ``return`` copies). Each page says, per exercise, the points, the
status with its symbol and in words, what to reconsider (the checker's message, which never holds
the expected value) and the common mistake it looks like; where the notebook crashed or timed out
and why; which questions your instructor grades; the total. Nothing else of the submission is
shown, and every text from it is escaped and cut short. The page works offline (inline CSS, no
script, no image) and is English or Korean: ``--language``, or a ``language`` column of the
roster per student. The checker's messages are in the language the grader ran in; a page in the
other language shows the translated name of the mistake instead.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ...i18n import N_, get_language, set_language, tr
from ..selfcheck import BY_PERSON, MISTAKES
from .grader import MODEL_MISTAKES
from .variants import _SAFE_ID, DEFAULT_ID, roster_rows

#: What to reconsider for the recognised mistakes that are not :data:`MISTAKES` (homework 2's
#: model, homework 3's backward passes), by their id in the grader's companion.
OTHER_MISTAKES = {**MODEL_MISTAKES, "finite-differences": N_(
    "A backward pass by finite differences of the forward pass is too slow on a large input: "
    "derive it from the forward pass's formula.")}

#: Symbols and colours as :class:`cnnlib.checks.core.Feedback` (Okabe-Ito; the symbol and the
#: words carry the meaning, the colour only repeats it).
SYMBOL = {"correct": "✔", "wrong": "✘", "not attempted": "…", "not run": "–"}
COLOUR = {"correct": "#009E73", "wrong": "#D55E00", "not attempted": "#999999",
          "not run": "#999999"}
#: The most characters of one text from a submission shown on a page.
MAX_SHOWN = 400


class FeedbackError(ValueError):
    """Input that cannot be used; the message names the parameter and the fix."""


def load(path) -> dict:
    """The grader's companion (``scores.grades.json``), checked enough to be used."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data.get("submissions"), list):
            raise ValueError("no list of submissions")
    except (OSError, ValueError, AttributeError) as error:
        raise FeedbackError(f"GRADES {path} is not the .grades.json the grader writes beside its "
                            f"CSV ({error}); run `python -m cnnlib.homework grade` and pass "
                            f"its <out>.grades.json.") from None
    return data


def student_of(entry: dict) -> str | None:
    """The student id of a graded submission: the one it was graded as, else the first folder
    of its name (``collect`` writes ``<id>/<notebook>``); None when it is not a usable id."""
    student = entry.get("student") or ""
    if not student or student == DEFAULT_ID:
        name = str(entry.get("submission", ""))
        student = name.split("/")[0] if "/" in name else ""
    return student if _SAFE_ID.match(student) else None


def short_name(homework: str) -> str:
    """``hw1_zfnet_parameters`` -> ``hw1``."""
    return homework.split("_")[0]


def _cut(text) -> str:
    text = str(text)
    return html.escape(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…")


_STATUS_WORDS = {"correct": N_("correct"), "wrong": N_("wrong"),
                 "not attempted": N_("not attempted"), "not run": N_("not run")}

INTRO = N_("The hints say which idea to reconsider; they never give the answer.")
_CSS = """
body{font-family:system-ui,sans-serif;max-width:52em;margin:1em auto;padding:0 1em;
color:#111;background:#fff;line-height:1.5}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #767676;padding:.3em .5em;
text-align:left;vertical-align:top}thead th{background:#eee}
td.status{border-left-width:6px;white-space:nowrap}.note{border-left:6px solid #E69F00;
padding:.3em .8em;background:#fff8e6}code{background:#f3f3f3;padding:0 .2em}
.scroll{overflow-x:auto}.scroll:focus{outline:2px solid #0072B2}
"""


def _stopped(entry: dict) -> str:
    """Where the notebook stopped, and why, in the page's language ("" when it ran through)."""
    stopped = entry.get("stopped") or {}
    kind = stopped.get("kind")
    if kind == "crashed":
        return tr("Your notebook stopped with an error in code cell {cell}:",
                  cell=int(stopped.get("cell", 0))) + f" <code>{_cut(stopped.get('error'))}</code>"
    if kind == "timed out" and stopped.get("cell"):
        return html.escape(tr("Your notebook was stopped in code cell {cell}: it ran longer than "
                              "the {seconds} s it is allowed.", cell=int(stopped["cell"]),
                              seconds=f"{float(stopped.get('seconds', 0)):g}"))
    if kind == "timed out":
        return html.escape(tr("Your notebook was stopped: it ran longer than it is allowed."))
    if kind == "too slow":
        return html.escape(tr("Too slow on the large input of {functions}: derive the backward "
                              "pass from the forward pass's formula instead of finite "
                              "differences.", functions=stopped.get("functions", "")))
    if kind == "flooded":
        return html.escape(tr("Your notebook was stopped: it printed far too much."))
    if kind == "ended early":
        return html.escape(tr("Your notebook's process ended before its last cell."))
    if not entry.get("exercises") or all(
            e.get("status") in ("not attempted", "not run") for e in entry["exercises"].values()):
        return html.escape(tr("Nothing was graded: the notebook is empty or could not be read, "
                              "or no exercise was attempted."))
    return ""


def page(entry: dict, language: str, graded_in: str = "en") -> str:
    """The feedback page of one graded submission (``entry``: a record of the companion), in
    ``language``; the checker's messages, written in ``graded_in``, are shown when it matches."""
    previous = get_language()
    set_language(language)
    try:
        return _page(entry, language, language == graded_in)
    finally:
        set_language(previous)


def _page(entry: dict, language: str, same_language: bool) -> str:
    homework = entry.get("homework", "")
    title = tr("Feedback on {homework}", homework=short_name(homework) or "?")
    rows = []
    for exercise, item in (entry.get("exercises") or {}).items():
        status = item.get("status") if item.get("status") in SYMBOL else "not run"
        hints = []
        if item.get("mistake") in MISTAKES:
            hints.append(tr("It looks like a common mistake: {mistake}",
                            mistake=tr(MISTAKES[item["mistake"]])))
        if status != "correct":
            if same_language and item.get("message") and item.get("mistake") not in MISTAKES:
                hints.append(item["message"])
            elif item.get("mistake") in OTHER_MISTAKES:
                hints.append(tr(OTHER_MISTAKES[item["mistake"]]))
            elif status == "wrong" and not hints:
                hints.append(tr("Check it again with the self-check in your notebook."))
        rows.append(
            f"<tr><th scope='row'><code>{_cut(exercise)}</code></th>"
            f"<td>{int(item.get('points', 0))} / {int(item.get('max', 0))}</td>"
            f"<td class='status' style='border-left-color:{COLOUR[status]}'>"
            f"<span aria-hidden='true'>{SYMBOL[status]}</span> "
            f"{html.escape(tr(_STATUS_WORDS[status]))}"
            f"</td><td>{'<br>'.join(_cut(h) for h in hints)}</td></tr>")
    questions = BY_PERSON.get(homework, {})
    for name, points in (entry.get("by_person") or {}).items():
        what = tr(questions[name]) if name in questions else name
        rows.append(f"<tr><th scope='row'>{_cut(what)}</th><td>– / {int(points)}</td>"
                    f"<td class='status' style='border-left-color:#0072B2'>"
                    f"{html.escape(tr('graded by your instructor'))}</td><td></td></tr>")
    stopped = _stopped(entry)
    by_person = sum(int(p) for p in (entry.get("by_person") or {}).values())
    total = tr("Total from the grader: {total} of {max} points.",
               total=int(entry.get("total", 0)), max=int(entry.get("max", 0)))
    if by_person:
        total += " " + tr("Your instructor grades {n} more points.", n=by_person)
    head = [tr("Exercise"), tr("Points"), tr("Result"), tr("What to reconsider")]
    return (
        f"<!DOCTYPE html>\n<html lang='{language}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(tr(INTRO))}</p>"
        + (f"<p class='note' role='note'>{stopped}</p>" if stopped else "")
        + f"<h2>{html.escape(tr('Exercises'))}</h2>"
        # a narrow window scrolls the table in its own box, never the page (WCAG 1.4.10)
        f"<div class='scroll' role='region' tabindex='0' "
        f"aria-label='{html.escape(tr('Exercises'))}'><table><thead><tr>"
        + "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
        f"<h2>{html.escape(tr('Total'))}</h2><p>{html.escape(total)}</p>"
        "</main></body></html>\n")


def roster_languages(roster) -> dict:
    """``{student id: "en" or "ko"}`` from a roster's ``language`` column (empty without)."""
    if roster is None:
        return {}
    rows = roster_rows(roster)
    languages = {}
    for row in rows:
        language = row.get("language", "").lower()
        if language and language not in ("en", "ko"):
            raise FeedbackError(f"--roster {roster}: language {language!r} for "
                                f"{row['id']!r}; use en or ko.")
        if language:
            languages[row["id"]] = language
    return languages


def write_pages(grades, out, language: str | None = None, roster=None) -> list[str]:
    """Write ``out/<student id>/<hw>.html`` for every graded submission; one line each.

    ``language`` is every page's; without it, the roster's ``language`` column, else the
    language the grader wrote its messages in.
    """
    data = load(grades)
    graded_in = data.get("language", "en")
    languages = roster_languages(roster)
    lines = []
    for entry in data["submissions"]:
        student = student_of(entry)
        if student is None or not entry.get("homework"):
            lines.append(f"skipped {str(entry.get('submission'))[:80]!r}: no student id or "
                         f"homework")
            continue
        chosen = language or languages.get(student) or graded_in
        folder = Path(out) / student
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{short_name(entry['homework'])}.html"
        target.write_text(page(entry, chosen, graded_in), encoding="utf-8")
        lines.append(f"{student:<20} {target} ({chosen})")
    return lines

"""The whole class flow on a real JupyterHub (``make hub``'s demo hub) in headless Chromium.

The hub runs on 127.0.0.1 with its proxy from npm (``hub/package.json``) and three students:

1. each student logs in, follows the nbgitpuller link of notebook 03 (the student release is
   cloned into their home and the notebook opens in JupyterLab), runs it and moves a slider;
2. each opens homework 1 through its link and fills it in: one correctly, one partly, one not
   at all, and saves;
3. the instructor collects, grades (in the sandbox), writes feedback (one student reads Korean,
   from the roster's ``language`` column), returns it into the homes and exports the gradebook;
4. each student opens their own feedback page and sees their own total, and gets no classmate's
   page; the Canvas and Moodle CSVs hold one row per student with the expected points.

Timings of each step are printed (``-s`` shows them). Skipped locally when the proxy, chromium
or playwright is missing; under CI that is a failure (tests/servers.py).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers import CHROMIUM, free_port, missing, need_browser, serving
from test_browser import ARTIFACTS, CHROMIUM_ARGS, IDLE, _run_all_cells

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hub" / "demo"))
import run as demo  # noqa: E402  (hub/demo/run.py)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 90_000
HW1 = "notebooks/homework/student/hw1_zfnet_parameters.ipynb"
SOLUTION = ROOT / "notebooks" / "homework" / "hw1_zfnet_parameters.ipynb"
NOTEBOOK_03 = "notebooks/03_padding_and_stride.ipynb"
#: login -> (course id, language, how much of homework 1 they answer)
STUDENTS = {"kim": ("s001", "en", "all"), "lee": ("s002", "en", "part"),
            "park": ("s003", "ko", "none")}
PART = 4                    # the "part" student answers this many exercises


def _answers() -> list[tuple[str, str]]:
    """(the student cell's first line, the solution cell's source) per answer cell of hw1."""
    cells = json.loads(SOLUTION.read_text())["cells"]
    answers = []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "### BLANK" in source:
            answers.append((source.splitlines()[0],
                            "\n".join(line.split("  ### BLANK")[0]
                                      for line in source.splitlines())))
    return answers


def _run(*args: str, cwd: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "cnnlib.homework", *args], cwd=cwd,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{args[0]} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


@pytest.fixture
def hub(tmp_path):
    if not demo.PROXY.exists():
        missing(f"{demo.PROXY} not found (make hub, or npm ci --prefix hub)")
    need_browser()
    if not shutil.which("git"):
        missing("git not found")
    started = time.monotonic()
    settings = demo.prepare(tmp_path / "hub", free_port(), tuple(STUDENTS))
    with serving(demo.command(settings), demo.environment(settings), tmp_path / "hub.log",
                 f"{settings.url}/hub/health", "JupyterHub", 60):
        print(f"\nhub up in {time.monotonic() - started:.1f} s (release committed, proxy "
              f"and hub started)")
        yield settings


def _log_in(browser, hub, login: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{hub.url}/hub/login")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", hub.password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{hub.url}/**/lab**", timeout=TIMEOUT_MS)
    return context, page


def _open_link(page, hub, path: str) -> None:
    page.goto(hub.link(path))
    page.wait_for_url(f"**/lab/tree/cnn-basics/{path}*", timeout=TIMEOUT_MS)
    page.wait_for_selector(".jp-Notebook")


def _run_03_and_move_a_slider(page) -> None:
    _run_all_cells(page)
    explorer = page.locator(".cnnlib-explorer-widget").first
    explorer.wait_for()
    explorer.scroll_into_view_if_needed()
    view = explorer.locator(".cnnlib-view").first
    before = view.inner_html()
    explorer.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, old]) => el.innerHTML !== old",
                           arg=[view.element_handle(), before])
    page.wait_for_selector(IDLE)


def _fill_homework(page, answers) -> None:
    """Replace each given answer cell's text through the cell editor, then save."""
    for first_line, source in answers:
        cell = page.locator(".jp-CodeCell").filter(has_text=first_line).first
        cell.scroll_into_view_if_needed()
        editor = cell.locator(".cm-content").first
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(source)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    page.wait_for_function(
        "() => !document.querySelector('.jp-mod-current.jp-mod-dirty, "
        ".lm-TabBar-tab.jp-mod-current.jp-mod-dirty')")


def _saved_answers(hub, login: str) -> str:
    notebook = hub.home(login) / "cnn-basics" / HW1
    return "".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])


def test_a_class_on_the_hub(hub, tmp_path):
    from playwright.sync_api import expect, sync_playwright  # need_browser() in the fixture

    expect.set_options(timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    answers = _answers()
    assert len(answers) == 13, "hw1's answer cells changed: update this test"
    wrong_conv1 = (answers[0][0], answers[0][1].replace("(7 * 7 * 3 + 1) * 96", "7 * 7 * 3 * 96"))
    fill = {"all": answers, "part": [wrong_conv1, *answers[1:PART]], "none": []}
    timings = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # 1-2. every student: log in, notebook 03 + a slider, homework 1
            for login, (_, _, how) in STUDENTS.items():
                start = time.monotonic()
                context, page = _log_in(browser, hub, login)
                try:
                    timings[f"{login}: log in + server start"] = time.monotonic() - start
                    mark = time.monotonic()
                    _open_link(page, hub, NOTEBOOK_03)
                    timings[f"{login}: nbgitpuller link (clone) to notebook"] = \
                        time.monotonic() - mark
                    mark = time.monotonic()
                    _run_03_and_move_a_slider(page)
                    timings[f"{login}: run notebook 03 + move a slider"] = time.monotonic() - mark
                    mark = time.monotonic()
                    _open_link(page, hub, HW1)
                    _fill_homework(page, fill[how])
                    timings[f"{login}: open hw1 (pull) + fill in + save"] = \
                        time.monotonic() - mark
                except Exception:
                    page.screenshot(path=str(ARTIFACTS / f"hub-{login}-failure.png"))
                    raise
                finally:
                    context.close()
            saved = {login: _saved_answers(hub, login) for login in STUDENTS}
            assert answers[-1][1] in saved["kim"] and "7 * 7 * 3 * 96" in saved["lee"]
            assert answers[PART][1] not in saved["lee"] and answers[0][1] not in saved["park"]

            # 3. the instructor: collect, grade, feedback, return, gradebook
            work = tmp_path / "grading"
            work.mkdir()
            roster = work / "roster.csv"
            with open(roster, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["id", "login", "language", "name", "email", "canvas_id"])
                for n, (login, (sid, language, _)) in enumerate(STUDENTS.items()):
                    writer.writerow([sid, login, language, login.title(),
                                     f"{login}@example.edu", 1000 + n])
            homes = hub.state / "home"
            mark = time.monotonic()
            _run("collect", "hw1", "--homes", str(homes), "--out", "submissions",
                 "--roster", str(roster), cwd=work)
            _run("grade", "submissions", "--out", "scores.csv", "--jobs", "2", cwd=work)
            _run("feedback", "scores.grades.json", "--out", "feedback", "--roster", str(roster),
                 cwd=work)
            _run("return", "hw1", "--feedback", "feedback", "--homes", str(homes),
                 "--roster", str(roster), cwd=work)
            for fmt in ("canvas", "moodle"):
                _run("gradebook", "scores.grades.json", "--roster", str(roster),
                     "--format", fmt, "--out", f"{fmt}.csv", cwd=work)
            timings["instructor: collect + grade + feedback + return + 2 gradebooks"] = \
                time.monotonic() - mark
            grades = json.loads((work / "scores.grades.json").read_text())
            totals = {e["submission"].split("/")[0]: (e["total"], e["max"])
                      for e in grades["submissions"]}
            full = totals["s001"][1]
            assert totals["s001"] == (full, full), totals
            assert 0 < totals["s002"][0] < full and totals["s003"][0] == 0, totals

            # 4. every student reads their own feedback, and no classmate's
            for login, (sid, language, _) in STUDENTS.items():
                context, page = _log_in(browser, hub, login)
                try:
                    response = page.goto(f"{hub.url}/user/{login}/files/feedback/hw1.html")
                    assert response.status == 200
                    text = page.locator("main").inner_text()
                    total, most = totals[sid]
                    if language == "ko":
                        assert f"자동 채점 합계: {most}점 중 {total}점." in text, text[:300]
                    else:
                        assert f"Total from the grader: {total} of {most} points." in text
                    page.screenshot(path=str(ARTIFACTS / f"hub-feedback-{login}.png"))
                    other = next(o for o in STUDENTS if o != login)
                    response = page.goto(f"{hub.url}/user/{other}/files/feedback/hw1.html")
                    assert response.status in (403, 404), response.status
                    assert "Total from the grader" not in page.content()
                finally:
                    context.close()
        finally:
            browser.close()

    with open(work / "canvas.csv", newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0].strip() == "Points Possible"
    by_id = {row[1]: row for row in canvas[2:]}
    assert {k: float(by_id[str(1000 + n)][5]) for n, k in enumerate(STUDENTS)} == \
        {"kim": full, "lee": totals["s002"][0], "park": 0}
    with open(work / "moodle.csv", newline="") as f:
        moodle = list(csv.DictReader(f))
    assert [(r["ID number"], r["Email address"]) for r in moodle] == \
        [(sid, f"{login}@example.edu") for login, (sid, _, _) in STUDENTS.items()]
    points = {r["ID number"]: float(list(r.values())[2]) for r in moodle}
    assert points == {"s001": full, "s002": totals["s002"][0], "s003": 0}
    print("\n".join(f"{what}: {seconds:.1f} s" for what, seconds in timings.items()))

"""The course in the browser: the self-contained JupyterLite site, offline, in headless Chromium.

Uses ``_site-offline/`` (``make site-offline``; CI builds it in .ci/run before ``make test``),
building it first when it is missing. Serves it on 127.0.0.1, then for the course map and
notebooks 02, 03, 05, 10 and 11: opens the notebook (its stored outputs show), waits for the Pyodide
kernel, runs all cells and checks that none shows an error. In notebook 03 it moves a slider
and checks that the explorer's picture changes. Any request to a host other than 127.0.0.1
fails the test: the site must work with no network. Prints the page-open-to-kernel-ready time.

Skipped locally when chromium or playwright is missing or the site cannot be built; under CI
(``CI`` set) that is a failure instead. On failure a screenshot goes to ``test-artifacts/``.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from servers import CHROMIUM, CHROMIUM_ARGS, missing, need_browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_site-offline"
ARTIFACTS = ROOT / "test-artifacts"
KERNEL_TIMEOUT_MS = 180_000      # Pyodide starts in 10-50 s here; generous for a loaded box
RUN_TIMEOUT_MS = 240_000         # notebook 11 trains a small CNN
NOTEBOOKS = ["00_index.ipynb", "02_convolution.ipynb", "03_padding_and_stride.ipynb",
             "05_pooling.ipynb", "10_alexnet.ipynb", "11_training.ipynb",
             "ko/04_receptive_fields.ipynb"]     # Korean: Hangul on the page and in figures

pytestmark = pytest.mark.site


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript",
                      ".js": "text/javascript", ".json": "application/json"}

    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def site_url():
    """The offline site, served on a free port of 127.0.0.1 for this module's tests."""
    if not (SITE / "pyodide" / "pyodide-lock.json").exists():
        try:
            subprocess.run(["make", "site-offline"], cwd=ROOT, check=True,
                           capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as error:
            detail = getattr(error, "stderr", "") or ""
            missing(f"could not build {SITE.name}/ with `make site-offline`: {error}\n"
                     f"{detail[-2000:]}")
    handler = functools.partial(_Handler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context whose every request to another host is recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    foreign: list[str] = []

    def check(req):
        if urlsplit(req.url).hostname not in ("127.0.0.1", None):
            foreign.append(req.url)

    context.on("request", check)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.foreign = foreign
    try:
        yield page
    finally:
        context.close()


def _kernel_ready(page, url: str) -> float:
    """Open ``url``; return the seconds until the Pyodide kernel is idle."""
    start = time.monotonic()
    page.goto(url)
    page.wait_for_selector(".jp-Notebook")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=KERNEL_TIMEOUT_MS)
    return time.monotonic() - start


def _run_all(page) -> None:
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # Every code cell gets a number once run; "[*]" or "[ ]" means still queued or running.
    # An error stops Run All: then stop waiting once nothing runs, and let _errors report it.
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            const done = prompts.length > 0
                && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            const error = [...document.querySelectorAll(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
                .some(o => o.textContent.includes('Error'));
            return done || (error && !prompts.some(p => p.textContent.includes('*')));
        }""", timeout=RUN_TIMEOUT_MS)


def _errors(page) -> list[str]:
    """The text of every error output (a traceback) on the page."""
    texts = page.locator(".jp-OutputArea-output[data-mime-type="
                         "'application/vnd.jupyter.stderr']").all_inner_texts()
    return [t for t in texts if "Traceback" in t or "Error" in t]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_in_the_browser_offline(site_url, page, notebook):
    try:
        seconds = _kernel_ready(page, f"{site_url}/lab/index.html?path={notebook}")
        print(f"\n{notebook}: page open to kernel ready {seconds:.1f} s")
        try:       # rendered soon after the kernel is ready; later on a busy machine
            page.wait_for_selector(".jp-OutputArea-output", state="attached", timeout=15_000)
        except Exception:  # noqa: BLE001 - the assertion below says what is missing
            pass
        stored = page.locator(".jp-OutputArea-output").count()
        assert stored > 0, f"{notebook} opened without its stored outputs"
        if notebook == "00_index.ipynb":
            _instructor_notes_are_collapsed(page)
        _run_all(page)
        assert _errors(page) == [], f"{notebook} shows errors in the browser"
        if notebook.startswith("03_"):
            _move_slider_and_see_the_picture_change(page)
        if notebook.startswith("ko/"):
            _korean_on_the_page_and_in_figures(page, notebook)
    except BaseException as error:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"site-{notebook.replace('/', '-')}.png"),
                        full_page=True)
        if page.foreign:       # the likely cause: say so first
            raise AssertionError(f"requests left 127.0.0.1: {page.foreign[:5]}") from error
        raise
    assert page.foreign == [], f"requests left 127.0.0.1: {page.foreign[:5]}"


def _instructor_notes_are_collapsed(page) -> None:
    """The course map's speaker note is out of the student's way: collapsed (metadata
    jupyter.source_hidden) to a placeholder that shows only its first line, the label "Instructor
    notes", and opens on a click."""
    note = "walk through the table"
    assert note not in page.locator(".jp-Notebook").inner_text(), "the speaker note is shown"
    placeholder = page.locator(".jp-MarkdownCell .jp-InputPlaceholder").first
    assert "Instructor notes" in placeholder.inner_text()
    placeholder.click()
    page.wait_for_selector(f".jp-MarkdownCell:has-text('{note}')")


def _korean_on_the_page_and_in_figures(page, notebook: str) -> None:
    """Hangul in the text, figures drawn after Run All, and no "Glyph ... missing from font"
    warning: matplotlib drew their Korean titles and labels with the bundled NanumGothic."""
    import re

    text = page.locator(".jp-NotebookPanel").inner_text()
    assert len(re.findall(r"[\uac00-\ud7a3]", text)) > 500, f"{notebook}: little Hangul shown"
    stderr = page.locator(".jp-OutputArea-output[data-mime-type="
                          "'application/vnd.jupyter.stderr']").all_inner_texts()
    assert not [t for t in stderr if "Glyph" in t or "missing from" in t], stderr
    figure = page.locator(".jp-OutputArea-output img").first
    figure.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    figure.screenshot(path=str(ARTIFACTS / "site-korean-figure.png"))


def _move_slider_and_see_the_picture_change(page) -> None:
    """Notebook 03's output-size explorer: the arrow key on "input height" and then a drag
    redraw its picture (the explorers' companion keeps JupyterLite's shortcuts off the handle's
    arrow keys)."""
    from playwright.sync_api import expect

    explorer = page.locator(".jp-OutputArea-output:has(.widget-html-content .cnnlib-summary)")
    explorer = explorer.first
    summary = explorer.locator(".widget-html-content .cnnlib-summary")
    picture = explorer.locator(".widget-html-content svg")
    handle = explorer.locator(".noUi-handle").first         # "input height", 7 of 1..24
    handle.evaluate("node => node.scrollIntoView({block: 'center'})")
    expect(summary).to_contain_text("input 7 × 7")
    handle.focus()
    page.keyboard.press("ArrowRight")
    expect(summary).to_contain_text("input 8 × 7", timeout=60_000)
    before = picture.evaluate("node => node.outerHTML")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 30, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    expect(summary).not_to_contain_text("input 8 × 7", timeout=60_000)
    expect(summary).to_contain_text("× 7 → output")
    after = picture.evaluate("node => node.outerHTML")
    assert after != before, "the explorer's picture did not change with the slider"


# --- Colab (site/colab.py): links only once the course has a public address -----------------

def _colab():
    spec = importlib.util.spec_from_file_location("colab", ROOT / "site" / "colab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_setup_cell(source: str, monkeypatch, on_colab: bool) -> list[list[str]]:
    """Run a set-up cell, on "Colab" or not; return the commands it ran (none are run)."""
    import types

    commands: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: commands.append(command))
    if on_colab:   # google.colab loaded, cnnlib not installed
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "cnnlib" else real_find_spec(name, *a))
    exec(compile(source, "<set-up cell>", "exec"), {})
    return commands


COURSE_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Every notebook a student opens: the course, its Korean edition, the student homework.
STUDENT_NOTEBOOKS = sorted([*(ROOT / "notebooks").glob("*.ipynb"),
                            *(ROOT / "notebooks" / "ko").glob("*.ipynb"),
                            *(ROOT / "notebooks").glob("**/student/*.ipynb")])
PLACEHOLDER = re.compile(r"\bOWNER/|github\.com/(?:owner|user|username|your-?name)/", re.I)


@pytest.mark.parametrize("notebook", STUDENT_NOTEBOOKS,
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_student_sees_a_placeholder_or_dead_colab_link(notebook):
    """No cell (source or output) holds a placeholder address; while site/colab.py has no
    REPOSITORY, no cell links to Colab or installs from a repository that does not exist."""
    import nbformat

    repository = _colab().REPOSITORY
    for cell in nbformat.read(notebook, as_version=4).cells:
        text = cell.source + json.dumps(cell.get("outputs", []))
        assert not PLACEHOLDER.search(text), f"{notebook.name}, cell {cell.get('id')}"
        if repository is None:
            assert "colab.research.google.com" not in text, f"{notebook.name}, {cell.get('id')}"
            assert cell.get("id") != "colab-setup", f"{notebook.name}: a Colab set-up cell"
        else:
            assert "colab.research.google.com" not in text or repository in text


def test_colab_setup_cell_is_a_no_op_here_and_installs_cnnlib_on_colab(monkeypatch, tmp_path):
    """With a repository configured, every course notebook gets the set-up cell as its first
    code cell; it does nothing where cnnlib is importable, and on Colab pip-installs cnnlib."""
    import nbformat

    colab = _colab()
    copy = tmp_path / "01.ipynb"
    shutil.copy(COURSE_NOTEBOOKS[1], copy)
    assert colab.add_setup_cell(copy, "example/cnn-basics")
    cells = nbformat.read(copy, as_version=4).cells
    source = next(cell.source for cell in cells if cell.cell_type == "code")
    assert "google.colab" in source
    assert _run_setup_cell(source, monkeypatch, on_colab=False) == []
    commands = _run_setup_cell(source, monkeypatch, on_colab=True)
    assert len(commands) == 1 and commands[0][1:4] == ["-m", "pip", "install"]
    assert commands[0][-1] == "cnnlib[notebooks] @ git+https://github.com/example/cnn-basics@main"
    assert colab.remove_cells(copy, colab.CELL_ID)
    assert all(cell.get("id") != colab.CELL_ID for cell in nbformat.read(copy, 4).cells)

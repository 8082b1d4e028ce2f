"""A real browser test: JupyterLab on 127.0.0.1, headless Debian chromium via Playwright.

One JupyterLab, one browser, notebooks/explorers.ipynb:

1. opened *before* anything runs, trusted (as a notebook you saved yourself is): every
   explorer output shows its static picture (SVG or image), no Python repr and no "Error
   displaying widget: model not found"; notebook 11's training progress bar shows as a
   finished bar, not ``IntProgress(...)``;
2. Run All at 1366x768 with the file browser open, then at 1024x768 and 150 % zoom (a CSS
   viewport of 683x512 at device scale 1.5, which is what browser zoom does): every slider
   track has a width and every control lies inside the viewport;
3. each explorer's first slider moved with the keyboard: the picture changes at every press,
   and the time from key press to new picture, split into its parts, is printed (reported,
   never asserted; ``tests/latency.py``);
4. the layer-stack table's total equals ``cnnlib.summary`` of ``cnnlib.models.alexnet``;
5. saved (Ctrl+S) after the run, with the course's server settings (lab/): the file keeps every
   explorer's static picture and no widget view, so it opens again as in 1.

Skipped locally when chromium or playwright is missing; under CI (``CI`` set) that is a
failure instead, so a skipped test never passes as green there. Screenshots of both screen
sizes (and of a failure) go to ``test-artifacts/`` (ignored by git).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from latency import LAB_EXECUTE_JS, MESSAGES_JS, measure, table
from servers import CHROMIUM, CHROMIUM_ARGS, free_port, need_browser, serving

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explorers.ipynb"
TRAINING = ROOT / "notebooks" / "11_training.ipynb"      # the training progress bar
SERVER_CONFIG = ROOT / "lab" / "jupyter_server_config.json"    # what `make lab` installs
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 45_000

pytestmark = pytest.mark.browser


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a free loopback port with the course's server settings, serving
    trusted copies of the notebooks (trusted: JupyterLab then prefers a widget view to the
    static HTML beside it, as it does in a notebook the user saved)."""
    root = tmp_path / "root"
    root.mkdir()
    for notebook in (NOTEBOOK, TRAINING):
        shutil.copy(notebook, root / notebook.name)
    (tmp_path / "config").mkdir()
    shutil.copy(SERVER_CONFIG, tmp_path / "config" / SERVER_CONFIG.name)
    token, port = secrets.token_hex(16), free_port()
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)            # no "Jupyter news?" toast over the explorers
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"),          # the trust database
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    subprocess.run([sys.executable, "-m", "jupyter", "trust", *sorted(map(str, root.iterdir()))],
                   env=env, check=True, capture_output=True)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0",
               "--ServerApp.open_browser=False", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--allow-root",
               "--LabApp.expose_app_in_browser=True"]     # tests/latency.py runs code with it
    base = f"http://127.0.0.1:{port}"
    with serving(command, env, tmp_path / "jupyterlab.log", f"{base}/api/status?token={token}",
                 "JupyterLab", 40):
        yield base, token, root


def _accept_kernel_dialog(page, timeout_ms: int = 10_000) -> None:
    """Accept JupyterLab's "Select Kernel" dialog (the default, Python 3) if it shows up."""
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=timeout_ms)
    except Exception:  # no dialog: the kernel started by itself
        return
    accept.click()


IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"


def _new_page(browser, width: int = 1366, height: int = 768):
    """A page of ``width`` x ``height`` CSS pixels with the suite's timeouts."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


def _run_all_cells(page) -> None:
    """Once the kernel is idle (its dialog accepted if it asks), Run > Run All Cells."""
    _accept_kernel_dialog(page)
    page.wait_for_selector(IDLE)
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def _open_and_run_all(page, base: str, token: str, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab (no saved layout) and run all its cells."""
    page.goto(f"{base}/lab/tree/{notebook}?token={token}&reset")
    page.wait_for_selector(".jp-Notebook")
    _run_all_cells(page)


EXPLORERS = 8                     # explorer cells in explorers.ipynb, in this order
NAMES = ["output size", "receptive field", "stepper", "pooling", "activations", "batch norm",
         "layer stack", "trained network"]


def _explorers(page):
    return page.locator(".cnnlib-explorer-widget")


def _show(page, locator) -> None:
    """Scroll to ``locator`` and give JupyterLab a moment to paint what it skipped."""
    locator.scroll_into_view_if_needed()
    page.wait_for_timeout(300)


def _check_layout(page, label: str) -> None:
    """Every slider track has a width and every control is inside the viewport and the
    notebook's visible area (x axis); the explorers are scrolled into view one by one."""
    panel = page.locator(".jp-NotebookPanel-notebook").first.bounding_box()
    left = max(0, panel["x"])
    right = min(page.viewport_size["width"], panel["x"] + panel["width"])
    problems = []
    for i in range(EXPLORERS):
        explorer = _explorers(page).nth(i)
        explorer.scroll_into_view_if_needed()
        tracks = explorer.locator(".widget-hslider .slider-container")
        for j in range(tracks.count()):
            box = tracks.nth(j).bounding_box()
            if box is None or box["width"] < 40:
                problems.append(f"{NAMES[i]}: slider {j} track {box and box['width']} px")
        controls = explorer.locator(".widget-inline-hbox, .widget-button, .widget-play")
        for j in range(controls.count()):
            box = controls.nth(j).bounding_box()
            if box is None or box["width"] == 0:
                continue            # hidden (an explorer may hide a control)
            if box["x"] < left - 0.5 or box["x"] + box["width"] > right + 0.5:
                problems.append(f"{NAMES[i]}: control {j} spans x {box['x']:.0f}.."
                                f"{box['x'] + box['width']:.0f}, visible {left:.0f}..{right:.0f}")
    assert not problems, f"{label}: " + "; ".join(problems)


TEXT_BLOCKS = (".cnnlib-summary, .cnnlib-formula, .cnnlib-note, .cnnlib-total, "
               ".cnnlib-prediction")


def _text_overflow(page) -> dict:
    """The widest text block of every explorer and those that reach past the notebook's
    column (each explorer scrolled into view first: JupyterLab renders what is shown)."""
    panel = page.locator(".jp-NotebookPanel-notebook").first.bounding_box()
    right = min(page.viewport_size["width"], panel["x"] + panel["width"])
    widest, outside = 0.0, []
    for i in range(EXPLORERS):
        explorer = _explorers(page).nth(i)
        explorer.scroll_into_view_if_needed()
        blocks = explorer.locator(TEXT_BLOCKS)
        for j in range(blocks.count()):
            width = blocks.nth(j).evaluate("el => el.scrollWidth")
            box = blocks.nth(j).bounding_box()
            if box is None or box["width"] == 0:
                continue
            widest = max(widest, width)
            if box["x"] + max(width, box["width"]) > right + 1:
                outside.append(f"{NAMES[i]}: block {j} {width} px")
    return {"width": widest, "column": right - panel["x"], "outside": outside}


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _widget_outputs_once_saved(path: Path, written_before: int, timeout: float) -> list[dict]:
    """The ``data`` of every output in the notebook file ``path`` that shows a widget (a
    widget view, or an explorer's static picture), once a save has rewritten the file (its
    modification time is no longer ``written_before``, in ns)."""
    deadline = time.monotonic() + timeout
    while path.stat().st_mtime_ns == written_before:
        assert time.monotonic() < deadline, f"{path.name} was not saved within {timeout} s"
        time.sleep(0.2)
    while True:          # the server may still be writing it: read until it is whole JSON
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
            break
        except json.JSONDecodeError:
            assert time.monotonic() < deadline, f"{path.name} is not whole JSON after {timeout} s"
            time.sleep(0.2)
    return [o["data"] for c in notebook["cells"] for o in c.get("outputs", [])
            if WIDGET_VIEW in o.get("data", {})
            or "cnnlib-static" in "".join(o.get("data", {}).get("text/html", ""))]


def _shown_total(page) -> int:
    explorer = _explorers(page).nth(NAMES.index("layer stack"))
    _show(page, explorer)
    text = explorer.locator(".cnnlib-total").first.text_content()
    return int(re.sub(r"[^0-9]", "", text))


def test_explorers_in_jupyterlab(jupyterlab):
    need_browser()
    from playwright.sync_api import expect, sync_playwright

    from cnnlib.models import alexnet
    from cnnlib.summary import summary

    base, token, root = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser)
        page.add_init_script(MESSAGES_JS)        # message times, for the latency figures
        try:
            # 1. before anything runs: a picture in every explorer output, no Python repr
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}&reset")
            page.wait_for_selector(".jp-Notebook")
            outputs = page.locator(".jp-OutputArea-output")
            expect(outputs).to_have_count(EXPLORERS)
            for i in range(EXPLORERS):
                output = outputs.nth(i)
                output.scroll_into_view_if_needed()
                expect(output.locator("svg, img").first).to_be_visible()
                text = output.inner_text()
                assert "children=" not in text and "Explorer(" not in text, text[:200]
                assert "Error displaying widget" not in text and "model not found" not in text
            _show(page, outputs.first)
            page.screenshot(path=str(ARTIFACTS / "explorers-before-run-1366x768.png"))

            # 2. run everything at 1366x768 with the file browser open
            if not page.locator("#filebrowser").is_visible():
                page.click("li.lm-TabBar-tab[data-id='filebrowser']")
            _run_all_cells(page)
            expect(_explorers(page)).to_have_count(EXPLORERS)
            summary_line = page.locator(".cnnlib-summary").first
            summary_line.scroll_into_view_if_needed()
            expect(summary_line).to_contain_text("input 7 × 7 → output 5 × 5")
            page.wait_for_selector(IDLE)
            _check_layout(page, "1366x768, file browser open")
            _show(page, _explorers(page).nth(2))
            page.screenshot(path=str(ARTIFACTS / "explorers-1366x768-filebrowser.png"))

            # 3. key press -> picture, per explorer (printed, not asserted)
            handle = _explorers(page).first.locator(".noUi-handle").first
            handle.focus()
            page.keyboard.press("ArrowRight")                   # input height 7 -> 8
            expect(summary_line).to_contain_text("input 8 × 7 → output 6 × 5")
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            rows = [measure(page, _explorers(page).nth(i), name, LAB_EXECUTE_JS, cdp)
                    for i, name in enumerate(NAMES)]
            print(table("JupyterLab", rows))
            # a burst of moves (a fast drag): the kernel draws the latest only, so the
            # picture settles soon after the last key press
            ex = _explorers(page).first
            _show(page, ex)
            ex.locator(".noUi-handle").first.focus()
            start = page.evaluate("performance.now()")
            for _ in range(8):                                   # input height 8 -> 16
                page.keyboard.press("ArrowRight")
            pressed = page.evaluate("performance.now()")
            page.wait_for_function(     # checked every frame; the view's HTML is replaced
                "el => el.querySelector('.cnnlib-summary').textContent"
                "     .includes('input 16 × 7')",
                arg=ex.element_handle(), polling="raf")
            settled = page.evaluate("performance.now()")
            print(f"8 rapid presses on output size: sent in {pressed - start:.0f} ms, "
                  f"picture settled {settled - pressed:.0f} ms after the last")

            # 4. the layer stack's preset is torchvision's AlexNet, counted by cnnlib.summary
            model = alexnet()
            assert _shown_total(page) == summary(model, model.input_shape).total_params

            # 5. 1024x768 at 150 % zoom (the CSS viewport is 683x512), file browser closed
            page.click("li.lm-TabBar-tab[data-id='filebrowser']")
            page.set_viewport_size({"width": 683, "height": 512})
            page.wait_for_timeout(500)                          # JupyterLab re-lays out
            _check_layout(page, "1024x768 at 150 %")
            _show(page, _explorers(page).first)
            page.screenshot(path=str(ARTIFACTS / "explorers-1024x768-zoom150.png"))

            # 5b. 1280x720 at 200 % zoom (a CSS viewport of 640x360): controls still inside,
            # and every text block (summary, formula, notes) reflows within the notebook's
            # column; only pictures and wide tables scroll, in their own boxes
            page.set_viewport_size({"width": 640, "height": 360})
            page.wait_for_timeout(500)
            _check_layout(page, "1280x720 at 200 %")
            widest = _text_overflow(page)
            print(f"200 % zoom: widest explorer text block {widest['width']:.0f} px in a "
                  f"{widest['column']:.0f} px column")
            assert not widest["outside"], f"text wider than the column: {widest['outside']}"
            page.set_viewport_size({"width": 683, "height": 512})

            # 6. save: the file keeps the static pictures and no widget view
            written = (root / NOTEBOOK.name).stat().st_mtime_ns
            page.click("li.lm-MenuBar-item:has-text('File')")
            page.click("li.lm-Menu-item[data-command='docmanager:save']")
            saved = _widget_outputs_once_saved(root / NOTEBOOK.name, written, timeout=20)
            assert len(saved) == EXPLORERS and all(
                WIDGET_VIEW not in data and "cnnlib-static" in "".join(data["text/html"])
                for data in saved), [sorted(data) for data in saved]

            # 7. notebook 11 before anything runs: the finished training bar
            page.goto(f"{base}/lab/tree/{TRAINING.name}?token={token}&reset")
            page.wait_for_selector(".jp-Notebook")
            bar = page.locator(".jp-OutputArea-output .cnnlib-progress").first
            _show(page, bar)
            expect(bar).to_be_visible()
            line = bar.inner_text()
            assert re.fullmatch(r"\s*epoch (\d+)/\1, (\d+)/\2 steps\s*", line), line
            output = page.locator(".jp-OutputArea-output:has(.cnnlib-progress)").first
            assert "IntProgress(" not in output.inner_text()
            assert page.locator("text=model not found").count() == 0
            page.screenshot(path=str(ARTIFACTS / "training-before-run-1366x768.png"))
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "browser-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

"""Key press -> new picture for every explorer in the two other front ends of the course: the
lecture's classic Notebook with RISE (in the slideshow) and the JupyterLite site (Pyodide);
then, on the same run notebook, every explorer by keyboard alone (``tests/keyboard.py``: each
slider, drop-down and tick box operated with its key and said in the live region, the slide or
the active cell unchanged), as ``tests/test_accessibility.py`` does in JupyterLab.

JupyterLab's figures come from ``tests/test_browser.py``; all three use ``tests/latency.py``:
every explorer's first slider gets :data:`latency.PRESSES` arrow-key presses, each must change
the picture (asserted), and the time to the painted picture, its parts (page -> kernel message,
round trip, DOM update, paint), the draw time inside the kernel and Chromium's script / style /
layout time per press are printed with the machine's load, never asserted.

1. RISE: ``notebooks/explorers.ipynb`` with one slide per explorer (a copy with slide metadata,
   served by the lecture server of ``tests/test_slides.py``), Run All, then the slideshow at
   1024 x 768: per explorer, its slide, the presses; the slide must not change once (the arrow
   keys move the slider, not the slides: ``cnnlib/widgets/access.js`` keeps them from RISE).
2. JupyterLite: the offline site of ``tests/test_site.py`` (``_site-offline``), the same
   notebook; prints the seconds from opening the page to an idle kernel too.

Skipped locally when chromium, playwright, the lecture environment or the site is missing;
under CI (``CI`` set) that is a failure instead.
"""

from __future__ import annotations

import json
import time

import pytest
from keyboard import ACTIVE_CELL_JS, operate_every_control, summary
from latency import (
    CLASSIC_EXECUTE_JS,
    LAB_EXECUTE_JS,
    MESSAGES_JS,
    expose_lite_app,
    measure,
    table,
)
from servers import CHROMIUM, CHROMIUM_ARGS, need_browser, open_classic_notebook
from test_browser import NAMES, NOTEBOOK
from test_site import _errors, _run_all, browser, page, site_url  # noqa: F401 - fixtures
from test_slides import (  # noqa: F401 - lecture_server is a fixture
    ALL_RUN_JS,
    ERRORS_JS,
    EXPLORER_SLIDES_JS,
    PRESENT,
    lecture_server,
)

pytestmark = pytest.mark.browser
SLIDES_NOTEBOOK = "explorers-slides.ipynb"


def _one_slide_per_explorer(source, target) -> None:
    """Copy the explorers notebook with RISE metadata: a slide per section heading (the
    explorer below it on that slide), the "Try this" questions skipped."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        kind = ("slide" if cell["cell_type"] == "markdown" and text.startswith("#")
                else "skip" if cell["cell_type"] == "markdown" or "import" in text else "-")
        cell["metadata"]["slideshow"] = {"slide_type": kind}
    target.write_text(json.dumps(notebook), encoding="utf-8")


def test_explorer_latency_in_rise_slides(lecture_server, tmp_path):  # noqa: F811 - fixture
    need_browser()
    from playwright.sync_api import sync_playwright

    base, token = lecture_server
    _one_slide_per_explorer(NOTEBOOK, tmp_path / "root" / SLIDES_NOTEBOOK)   # the served root
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1024, "height": 768})
            page.set_default_timeout(60_000)
            page.add_init_script(MESSAGES_JS)
            open_classic_notebook(page, f"{base}/notebooks/{SLIDES_NOTEBOOK}?token={token}")
            page.evaluate("() => Jupyter.notebook.execute_all_cells()")
            page.wait_for_function(ALL_RUN_JS, timeout=180_000)
            assert page.evaluate(ERRORS_JS) == []
            page.evaluate("() => { Jupyter.notebook.select(0); "
                          "Jupyter.notebook.command_mode(); }")
            page.wait_for_function(f"() => document.querySelectorAll("
                                   f"'.cnnlib-explorer-widget').length === {len(NAMES)}")
            page.keyboard.press("Alt+r")
            page.wait_for_selector(PRESENT)
            places = page.evaluate(EXPLORER_SLIDES_JS)
            assert len(places) == len(NAMES) and None not in places, places
            explorers = page.locator(".reveal .slides .cnnlib-explorer-widget")
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.evaluate("() => { window.__moves = 0; "
                          "Reveal.addEventListener('slidechanged', () => window.__moves++); }")
            rows = []
            for k, (name, place) in enumerate(zip(NAMES, places)):
                page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", place)
                page.wait_for_timeout(300)                     # the transition
                moves = page.evaluate("window.__moves")
                rows.append(measure(page, explorers.nth(k), name, CLASSIC_EXECUTE_JS, cdp))
                moved = page.evaluate("window.__moves") - moves
                assert moved == 0, (f"{name}: the arrow keys on its slider also changed the "
                                    f"slide {moved} times")
            print(table("classic Notebook + RISE slideshow, 1024 x 768", rows))
            walks = []
            for k, place in enumerate(places):
                page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", place)
                page.wait_for_timeout(300)
                walks.append(operate_every_control(
                    page, explorers.nth(k), k, "RISE",
                    lambda: page.evaluate("() => Reveal.getIndices()")))
            print("RISE keyboard: " + summary(walks))
        finally:
            chromium.close()


@pytest.mark.site
def test_explorer_latency_in_jupyterlite(site_url, page):  # noqa: F811 - fixtures
    page.add_init_script(MESSAGES_JS)
    expose_lite_app(page)
    start = time.monotonic()
    page.goto(f"{site_url}/lab/index.html?path={NOTEBOOK.name}")
    page.wait_for_selector(".jp-Notebook")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=180_000)
    ready = time.monotonic() - start
    _run_all(page)
    ran = time.monotonic() - start
    assert _errors(page) == [], "the explorers notebook shows errors in JupyterLite"
    explorers = page.locator(".cnnlib-explorer-widget")
    assert explorers.count() == len(NAMES)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    rows = [measure(page, explorers.nth(k), name, LAB_EXECUTE_JS, cdp)
            for k, name in enumerate(NAMES)]
    print(f"\nJupyterLite, {NOTEBOOK.name}: page open to kernel ready {ready:.1f} s, "
          f"all cells run {ran:.1f} s")
    print(table("JupyterLite (Pyodide kernel)", rows))
    walks = []
    for k in range(len(NAMES)):
        explorers.nth(k).scroll_into_view_if_needed()
        explorers.nth(k).locator(".noUi-handle").first.click()    # its cell becomes active
        walks.append(operate_every_control(page, explorers.nth(k), k, "JupyterLite",
                                           lambda: page.evaluate(ACTIVE_CELL_JS)))
    print("JupyterLite keyboard: " + summary(walks))
    assert page.foreign == [], f"requests left 127.0.0.1: {page.foreign[:5]}"

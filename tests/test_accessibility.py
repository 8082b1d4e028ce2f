"""Accessibility of the explorers in JupyterLab: axe-core and a keyboard, in headless Chromium.

On notebooks/explorers.ipynb after Run All:

1. axe-core 4.12 (axe-playwright-python) with the WCAG 2.0/2.1 A and AA rules, on what the
   course puts on the page (cell outputs and rendered markdown): no critical or serious
   violation. What axe finds in JupyterLab's own interface is printed, not failed (it is not
   the course's to fix).
2. Keyboard only: Tab walks through every explorer; every stop has an accessible name that
   says what it sets, no disabled control is a stop, and Tab leaves each explorer (no trap);
   a slider moves with the arrow keys and the live region says the new state; a drop-down
   changes with ArrowDown and keeps the focus (JupyterLab's command mode does not take the
   key).

On notebooks 03 and 04 (course notebooks with figures and pictures) after Run All: axe-core on
the course's output, no critical or serious violation (before every figure had an alt, both
failed image-alt).

Lecture 03 live in the classic Notebook + RISE (``make lecture``): axe-core on the title slide
and the explorer's slide (course output fails, the rest is printed), then the explorer by
keyboard alone: a slider's arrow keys, a drop-down's ArrowDown, a tick box's Space change it
while the slideshow stays on its slide (before, reveal.js took the arrow keys).

The static slides of every lecture, English and Korean (``make slides-html``), at 1024 x 768:
axe-core on each title slide and every slide with course output, no critical or serious
violation.

Every other course notebook, English and Korean (26), opened untrusted in JupyterLab with its
stored outputs, as a student first sees it: axe-core on the course's output, no critical or
serious violation.

Skipped locally when chromium, playwright or axe-playwright-python is missing; a failure under
CI (tests/servers.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from keyboard import ACTIVE_CELL_JS, FOCUSED_JS, operate_every_control, summary
from servers import CHROMIUM, need_browser, open_classic_notebook
from test_browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    IDLE,
    ROOT,
    TIMEOUT_MS,
    _explorers,
    _new_page,
    _open_and_run_all,
)
from test_browser import jupyterlab as jupyterlab  # noqa: F401 (the fixture, used by name)
from test_class_report import hw1  # a graded homework 1, as the grader's companion has it
from test_site import site_url as site_url  # noqa: F401 (the fixture)
from test_slides import lecture_server as lecture_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: What the course puts on a JupyterLab page (the rest is JupyterLab's own interface).
COURSE = [[".jp-OutputArea-output"], [".jp-MarkdownOutput"]]
FAILING = ("critical", "serious")

def _axe(page, context=None):
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, context=context,
                       options={"runOnly": {"type": "tag", "values": WCAG}})
    return result.response["violations"]


def _assert_nothing_serious(violations) -> None:
    failing = [v for v in violations if v["impact"] in FAILING]
    assert not failing, "axe: " + "; ".join(
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in failing)


def _summary(violations) -> str:
    return ", ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes)"
                     for v in violations) or "none"


def test_explorers_with_axe_and_a_keyboard(jupyterlab):
    need_browser(axe=True)
    from playwright.sync_api import expect, sync_playwright

    base, token, _ = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser)
        try:
            _open_and_run_all(page, base, token, "explorers.ipynb")
            explorers = _explorers(page)
            expect(explorers.first).to_be_visible()
            page.wait_for_selector(IDLE)
            count = explorers.count()
            assert count >= 7
            for i in range(count):                 # JupyterLab renders what is scrolled to
                explorers.nth(i).scroll_into_view_if_needed()
                expect(explorers.nth(i).locator(".cnnlib-live")).to_have_count(1)
            page.wait_for_timeout(500)

            # 1. axe: the course's output fails on critical/serious; JupyterLab's is reported
            course = _axe(page, {"include": COURSE})
            whole = _axe(page)
            ours = {(v["id"]) for v in course}
            print(f"\naxe, course output: {_summary(course)}"
                  f"\naxe, JupyterLab's own interface: "
                  f"{_summary([v for v in whole if v['id'] not in ours])}")
            _assert_nothing_serious(course)

            # 2. keyboard only: Tab through each explorer from its first control, operating
            # every slider, drop-down and tick box on the way with its own key
            walks = []
            for i in range(count):
                explorers.nth(i).scroll_into_view_if_needed()
                walks.append(operate_every_control(page, explorers.nth(i), i, "JupyterLab"))
            print("JupyterLab keyboard: " + summary(walks))

            # a slider: ArrowRight moves it and the live region says the new state
            explorer = explorers.first
            explorer.scroll_into_view_if_needed()
            live = explorer.locator(".cnnlib-live")
            before = live.text_content()
            handle = explorer.locator(".noUi-handle").first
            handle.focus()
            if handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax"):
                page.keyboard.press("ArrowLeft")
                expect(live).not_to_have_text(before)
                before = live.text_content()
            height = round(float(handle.get_attribute("aria-valuenow"))) + 1
            page.keyboard.press("ArrowRight")
            expect(live).not_to_have_text(before)
            assert live.text_content().startswith(f"input height {height}: input {height} × "), \
                live.text_content()

            # a drop-down: ArrowDown changes the choice and the focus stays on it
            select = page.locator(".cnnlib-explorer-widget .widget-dropdown select").first
            select.scroll_into_view_if_needed()
            select.focus()
            old = select.input_value()
            page.keyboard.press("ArrowDown")
            expect(select).not_to_have_value(old)
            assert page.evaluate("document.activeElement.tagName") == "SELECT"
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "accessibility-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


@pytest.mark.parametrize("name", ["03_padding_and_stride.ipynb", "04_receptive_fields.ipynb"])
def test_course_notebook_with_axe(jupyterlab, name):
    """A course notebook after Run All: every figure and picture in the course's output has a
    text alternative, and axe finds no critical or serious violation there."""
    need_browser(axe=True)
    from playwright.sync_api import sync_playwright

    base, token, root = jupyterlab
    shutil.copy(ROOT / "notebooks" / name, root / name)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser)
        try:
            _open_and_run_all(page, base, token, name)
            page.wait_for_timeout(1000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   timeout=4 * TIMEOUT_MS)
            cells = page.locator(".jp-Notebook .jp-Cell")
            for i in range(cells.count()):          # JupyterLab renders what is scrolled to
                cells.nth(i).scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            pictures = page.evaluate("""() => [...document.querySelectorAll(
                '.jp-OutputArea-output img, .jp-OutputArea-output svg[role="img"]')]
                .map(e => e.getAttribute('alt') ?? e.getAttribute('aria-label') ?? '')""")
            assert pictures, f"{name}: no picture in the output after Run All"
            assert all(len(text.split()) >= 5 for text in pictures), pictures
            violations = _axe(page, {"include": COURSE})
            print(f"\n{name}: {len(pictures)} pictures with a text alternative; axe, course "
                  f"output: {_summary(violations)}")
            _assert_nothing_serious(violations)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"accessibility-{name}.png"), full_page=True)
            raise
        finally:
            browser.close()


# --- the pages an instructor hands out: feedback and the class report ----------------------


def test_feedback_pages_and_the_class_report_pass_axe(tmp_path):
    """Every part of these pages is the course's: no axe violation of any impact, in English
    and in Korean; and they reflow in a 320 px wide window (WCAG 1.4.10) without sideways
    scrolling of the page."""
    need_browser(axe=True)
    from playwright.sync_api import sync_playwright

    from cnnlib.homework.instructor import feedback, report

    entries = [hw1("a"),
               hw1("b", wrong=("conv2_params",), missing=("fc8_shape",),
                          mistakes={"conv2_params": "filter-bias"}),
               hw1("c", missing=("conv1_shape", "conv1_params"))]
    pages = {}
    for language in ("en", "ko"):
        pages[f"feedback-{language}.html"] = feedback.page(entries[1], language)
        pages[f"report-{language}.html"] = report.render({"submissions": entries}, language)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            found = {}
            for name, html in pages.items():
                path = tmp_path / name
                path.write_text(html, encoding="utf-8")
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(path.as_uri())
                found[name] = _axe(page)
                page.set_viewport_size({"width": 320, "height": 640})
                page.wait_for_timeout(100)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth")
                page.close()
                assert overflow <= 1, f"{name}: the page scrolls sideways at 320 px ({overflow} px)"
            print("\naxe on the handed-out pages: "
                  + "; ".join(f"{name}: {_summary(v)}" for name, v in found.items()))
            assert not any(found.values()), {n: _summary(v) for n, v in found.items() if v}
        finally:
            browser.close()


# --- the trained-network explorer's drawing pad: mouse and keyboard -------------------------


def test_the_drawing_pad_with_the_mouse_and_the_keyboard(jupyterlab):
    """In JupyterLab after Run All: clear the pad, draw a vertical stroke with the mouse, and
    the prediction changes; then paint with the arrow keys and Space only, and it changes
    again (the kernel's pad holds the painted cells)."""
    need_browser(axe=True)
    from playwright.sync_api import expect, sync_playwright

    base, token, _ = jupyterlab
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser, 1366, 900)
        try:
            _open_and_run_all(page, base, token, "explorers.ipynb")
            pad = page.locator(".cnnlib-explorer-widget canvas.cnnlib-pad").first
            pad.wait_for()
            explorer = page.locator(".cnnlib-explorer-widget:has(canvas.cnnlib-pad)").first
            prediction = explorer.locator(".cnnlib-prediction").first
            pad.scroll_into_view_if_needed()
            expect(prediction).to_contain_text("True label")     # a test digit, at first
            explorer.get_by_role("button", name="clear").click()
            expect(prediction).not_to_contain_text("True label")  # now the student's drawing
            cleared = prediction.inner_text()

            box = pad.bounding_box()                  # a vertical stroke down the middle
            x = box["x"] + box["width"] / 2
            page.mouse.move(x, box["y"] + box["height"] * 0.15)
            page.mouse.down()
            page.mouse.move(x, box["y"] + box["height"] * 0.85, steps=12)
            page.mouse.up()
            expect(prediction).not_to_have_text(cleared)
            stroked = prediction.inner_text()

            explorer.get_by_role("button", name="clear").click()
            expect(prediction).to_have_text(cleared)
            pad.focus()                               # keyboard only: a horizontal bar
            for _ in range(5):
                page.keyboard.press("ArrowLeft")
            for _ in range(10):
                page.keyboard.press("Space")
                page.keyboard.press("ArrowRight")
            expect(prediction).not_to_have_text(cleared)
            assert page.evaluate("document.activeElement.classList.contains('cnnlib-pad')"), \
                "the arrow keys moved the focus out of the pad"
            print(f"\npad: cleared {cleared!r}; mouse stroke {stroked!r}; "
                  f"keyboard bar {prediction.inner_text()!r}")
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "pad-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


# --- the static slides (make slides-html): what students get after class -------------------

#: Per slide of a static export: its "h.v" and whether the course's output on it is of a kind
#: axe should see (an explorer's still picture, a sideways-scrolling box, a figure).
STATIC_SLIDES_JS = """
() => Reveal.getSlides().map(s => {
  const i = Reveal.getIndices(s);
  return {h: i.h, v: i.v || 0,
          output: !!s.querySelector('.cnnlib-static, .cnnlib-scroll, .cnnlib-explorer, img')};
})
"""


def _axe_here(page):
    """axe on the page as it is now, injected once per page (faster than :func:`_axe` when a
    page is checked many times)."""
    from axe_playwright_python.sync_playwright import Axe

    if not page.evaluate("() => !!window.axe"):
        page.evaluate(Axe().axe_script)
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)",
                         {"runOnly": {"type": "tag", "values": WCAG},
                          "resultTypes": ["violations"]})


@pytest.mark.parametrize("language", ["en", "ko"])
def test_static_slides_of_every_lecture_with_axe(tmp_path, language):
    """``make slides-html``'s pages of every lecture (00-12) in one language, at 1024 x 768:
    axe on each title slide and on every slide with course output (explorer stills, tables,
    figures), all fragments shown: no critical or serious violation (the whole page is the
    course's). Before: the slide number at 2.84:1 on every slide, the explorer still's scroll
    box out of Tab's reach, and the code's faded prompts (2.16:1), comments (4.17:1) and
    numbers (4.26:1) under 4.5:1 on the slides with code."""
    need_browser(axe=True)
    from playwright.sync_api import sync_playwright
    from test_slides import export_every_lecture, open_static

    output = tmp_path / "slides"
    lectures = export_every_lecture(language, output)
    failing, report, keys = {}, [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser, 1024, 768)
        try:
            for lecture in lectures:
                open_static(page, output / f"{lecture.stem}.slides.html")
                slides = page.evaluate(STATIC_SLIDES_JS)
                checked = [s for k, s in enumerate(slides) if k == 0 or s["output"]]
                found = {}
                for slide in checked:
                    page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)",
                                  [slide["h"], slide["v"]])
                    for v in _axe_here(page):
                        found.setdefault((v["id"], v["impact"]), []).append(
                            f"{slide['h']}.{slide['v']} "
                            f"{[n['target'] for n in v['nodes'][:2]]}")
                report.append(f"{lecture.stem}: {len(checked)} of {len(slides)} slides: "
                              + (", ".join(f"{k[0]} ({k[1]}, {len(s)} slides)"
                                           for k, s in found.items()) or "none"))
                keys.append(_arrow_keys_in_first_box(page, lecture.stem))
                failing.update({(lecture.stem, *k): s for k, s in found.items()
                                if k[1] in FAILING})
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"accessibility-static-{language}.png"))
            raise
        finally:
            browser.close()
        narrow = _drawn_sizes_in_narrow_windows(playwright, output / f"{lectures[3].stem}"
                                                ".slides.html")
    print(f"\nstatic slides ({language}), axe on\n  " + "\n  ".join(report))
    print(f"{lectures[3].stem}, text and code drawn (px) by window: {narrow}")
    small = {size: drawn for size, drawn in narrow.items() if min(drawn.values()) < 16}
    assert not small, f"text drawn under 16 px in a narrow window: {small}"
    boxes = [k for k in keys if k]
    print(f"arrow keys in a scrolling box: {len(boxes)} lectures, the slide stayed in each; "
          f"{sum(k == 'scrolled' for k in boxes)} boxes scrolled (the others fit)")
    assert not failing, failing
    assert len(boxes) >= 8, keys


#: How high the smallest markdown text and code on the slide are drawn, in screen pixels: the
#: height of an "M" put at the end of each (its line box as drawn, after reveal.js's scaling and
#: rise.css's zoom; about 1.2 times the font size on screen).
DRAWN_JS = """
() => {
  const drawn = {};
  const kinds = {text: '.jp-RenderedMarkdown p, .text_cell_render p',
                 code: '.jp-InputArea-editor pre, .highlight pre, .CodeMirror-line'};
  for (const [kind, selector] of Object.entries(kinds)) {
    for (const el of Reveal.getCurrentSlide().querySelectorAll(selector)) {
      const probe = document.createElement('span');
      probe.textContent = 'M';
      el.appendChild(probe);
      const height = probe.getBoundingClientRect().height;
      probe.remove();
      if (height > 0) drawn[kind] = Math.min(drawn[kind] ?? Infinity, height);
    }
  }
  return drawn;
}
"""


def _drawn_sizes_in_narrow_windows(playwright, html: Path) -> dict:
    """The static slides of one lecture in a 640 x 480 window (a 1280 x 960 screen at 200 %
    zoom) and a 640 x 360 one (a 1280 x 720 laptop at 200 %): how high text and code are drawn
    on the first slides that have both, per window."""
    from test_slides import open_static

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    found = {}
    try:
        for width, height in ((1024, 768), (640, 480), (640, 360)):
            page = _new_page(browser, width, height)
            open_static(page, html)
            drawn = {}
            for slide in page.evaluate(STATIC_SLIDES_JS):
                page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", [slide["h"], slide["v"]])
                for kind, size in page.evaluate(DRAWN_JS).items():
                    drawn[kind] = round(min(drawn.get(kind, size), size), 1)
            found[f"{width}x{height}"] = drawn
            page.close()
    finally:
        browser.close()
    return found


#: The first sideways-scrolling box (wide table, explorer picture) on the slides: its slide,
#: and whether it is wider than it shows.
FIRST_BOX_JS = """
() => {
  const box = document.querySelector(
    '.reveal .slides .cnnlib-scroll, .reveal .slides .cnnlib-explorer');
  if (!box) return null;
  const i = Reveal.getIndices(box.closest('section'));
  return {h: i.h, v: i.v || 0, wide: box.scrollWidth > box.clientWidth + 1};
}
"""


def _arrow_keys_in_first_box(page, lecture: str) -> str | None:
    """On the static slides: ArrowRight, then ArrowDown, in the first sideways-scrolling box
    scroll the box (if it is wider than it shows) and never turn the slide (reveal.js took
    them before export_slides.py's key guard). ``None`` when there is no box."""
    box = page.evaluate(FIRST_BOX_JS)
    if box is None:
        return None
    page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", [box["h"], box["v"]])
    focused = page.locator(".reveal .slides section.present .cnnlib-scroll, "
                           ".reveal .slides section.present .cnnlib-explorer").first
    focused.focus()
    where = page.evaluate("() => Reveal.getIndices()")
    for key in ("ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
        page.wait_for_timeout(100)
        assert page.evaluate("() => Reveal.getIndices()") == where, \
            f"{lecture}: {key} in a scrolling box turned the slide"
    if box["wide"]:
        assert focused.evaluate("el => el.scrollLeft") > 0, f"{lecture}: the box did not scroll"
        return "scrolled"
    return "stayed"


# --- the lecture: classic Notebook + RISE (make lecture) -----------------------------------

#: What the course puts on a RISE slide (the rest is the Notebook's and reveal.js's).
RISE_COURSE = [[".reveal .slides .output_area"], [".reveal .slides .text_cell_render"]]


def _keys_in_explorer(page, explorer, on_slide, where: str) -> list[str]:
    """Keyboard only, in the first explorer on screen: ArrowRight on its first slider's handle
    changes the picture; Tab reaches the "padding" drop-down, ArrowDown changes it; Tab
    reaches the "transposed view" tick box, Space ticks it. The focus stays in the explorer and
    ``on_slide()`` (the slide, or the cell) stays the same. Returns the stops Tab passed."""
    from playwright.sync_api import expect

    view = explorer.locator(".cnnlib-view").first
    live = explorer.locator(".cnnlib-live")
    expect(live).to_have_count(1)
    where_before = on_slide()
    handle = explorer.locator(".noUi-handle").first
    handle.focus()
    before = view.inner_html()
    picture = view.element_handle()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)                   # a slide change would be done by now
    assert on_slide() == where_before, f"{where}: ArrowRight on a slider left the slide"
    page.wait_for_function("([el, old]) => el.innerHTML !== old", arg=[picture, before],
                           timeout=30_000)
    stops = []
    for kind, key in (("SELECT", "ArrowDown"), ("INPUT", "Space")):
        for _ in range(40):
            page.keyboard.press("Tab")
            info = page.evaluate(FOCUSED_JS)
            assert info["explorer"] >= 0, f"{where}: Tab left the explorer before a {kind}"
            assert info["name"].strip(), f"{where}: a stop without a name {info}"
            stops.append(info["name"])
            if info["tag"].upper() == kind:
                break
        else:
            raise AssertionError(f"{where}: Tab never reached a {kind}: {stops}")
        state = page.evaluate("() => [document.activeElement.value, "
                              "document.activeElement.checked]")
        before = live.text_content()
        page.keyboard.press(key)
        if kind == "SELECT":     # the tick box may change nothing said (a refusal stays)
            expect(live).not_to_have_text(before, timeout=30_000)
        assert page.evaluate("() => [document.activeElement.value, "
                             "document.activeElement.checked]") != state, f"{where}: {key}"
        assert page.evaluate("() => document.activeElement.tagName") == kind, \
            f"{where}: {key} moved the focus off the {kind}"
        assert on_slide() == where_before, f"{where}: {key} on a {kind} left the slide"
    return stops


def test_live_slides_with_axe_and_a_keyboard(lecture_server):
    """Lecture 03 in the classic Notebook + RISE (what ``make lecture`` serves), all cells run,
    in the slideshow at 1024 x 768: axe on the title slide and the explorer's slide finds no
    critical or serious violation in the course's output (the Notebook's and reveal.js's own
    are printed); then the explorer works by keyboard alone and the slideshow stays put."""
    need_browser(axe=True)
    from playwright.sync_api import sync_playwright
    from test_slides import ALL_RUN_JS, ERRORS_JS, EXPLORER_SLIDES_JS, PRESENT, _open_menu

    base, token = lecture_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser, 1024, 768)
        try:
            open_classic_notebook(page, f"{base}/notebooks/03_padding_and_stride.ipynb"
                                        f"?token={token}")
            _open_menu(page, "#celllink", "#run_all_cells")
            page.click("#run_all_cells")
            page.wait_for_function(ALL_RUN_JS, timeout=180_000)
            assert page.evaluate(ERRORS_JS) == []
            page.evaluate("() => { Jupyter.notebook.select(0); Jupyter.notebook.command_mode(); }")
            page.keyboard.press("Alt+r")
            page.wait_for_selector(PRESENT)
            found = {}
            h, v = page.evaluate(EXPLORER_SLIDES_JS)[0]
            for slide in ([0, 0], [h, v]):
                page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", slide)
                page.wait_for_timeout(300)
                course = _axe(page, {"include": RISE_COURSE})
                whole = _axe(page)
                ours = {x["id"] for x in course}
                found[f"{slide[0]}.{slide[1]}"] = (course,
                                                   [x for x in whole if x["id"] not in ours])
            print("\nRISE, lecture 03: " + "; ".join(
                f"slide {k}: course output {_summary(c)}, Notebook/reveal.js {_summary(o)}"
                for k, (c, o) in found.items()))
            for course, _ in found.values():
                _assert_nothing_serious(course)
            explorer = page.locator(f"{PRESENT} .cnnlib-explorer-widget").first
            stops = _keys_in_explorer(page, explorer,
                                      lambda: page.evaluate("() => Reveal.getIndices()"),
                                      "RISE")
            print(f"RISE keyboard: {len(stops)} Tab stops from the first slider to the tick box")
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "accessibility-rise-failure.png"))
            raise
        finally:
            browser.close()


# --- the JupyterLite site (make site-offline) ----------------------------------------------



def test_site_with_axe_and_a_keyboard(site_url):
    """The JupyterLite site offline: axe on the course map (00, stored outputs) and on
    notebook 03 after Run All finds no critical or serious violation in the course's output
    (JupyterLite's own is printed); then 03's explorer works by keyboard alone (slider,
    drop-down, tick box), the focus staying in it and the active cell unchanged."""
    need_browser(axe=True)
    from playwright.sync_api import sync_playwright
    from test_site import _kernel_ready, _run_all

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser, 1366, 900)
        try:
            found = {}
            for notebook in ("00_index.ipynb", "03_padding_and_stride.ipynb"):
                _kernel_ready(page, f"{site_url}/lab/index.html?path={notebook}")
                page.wait_for_selector(".jp-OutputArea-output", state="attached")
                if notebook.startswith("03"):
                    _run_all(page)
                    page.locator(".cnnlib-explorer-widget .cnnlib-live").first.wait_for(
                        state="attached")
                cells = page.locator(".jp-Notebook .jp-Cell")
                for i in range(cells.count()):
                    cells.nth(i).scroll_into_view_if_needed()
                course = _axe(page, {"include": COURSE})
                ours = {v["id"] for v in course}
                found[notebook] = (course, [v for v in _axe(page) if v["id"] not in ours])
            print("\nJupyterLite site: " + "; ".join(
                f"{k}: course output {_summary(c)}, JupyterLite {_summary(o)}"
                for k, (c, o) in found.items()))
            for course, _ in found.values():
                _assert_nothing_serious(course)
            explorer = page.locator(".cnnlib-explorer-widget").first
            explorer.scroll_into_view_if_needed()
            explorer.locator(".noUi-handle").first.click()      # the cell becomes active
            stops = _keys_in_explorer(page, explorer, lambda: page.evaluate(ACTIVE_CELL_JS),
                                      "JupyterLite")
            print(f"JupyterLite keyboard: {len(stops)} Tab stops from the first slider to the "
                  "tick box")
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "accessibility-site-failure.png"))
            raise
        finally:
            browser.close()


# --- every other course notebook, as a student first sees it (stored outputs) --------------

#: Every course notebook, English and Korean, but those run above (their outputs after Run
#: All are checked there), as paths under notebooks/.
STORED = [p.relative_to(ROOT / "notebooks").as_posix()
          for p in sorted([*(ROOT / "notebooks").glob("[01][0-9]_*.ipynb"),
                           *(ROOT / "notebooks" / "ko").glob("*.ipynb")])
          if p.name not in ("03_padding_and_stride.ipynb", "04_receptive_fields.ipynb")
          or p.parent.name == "ko"]


#: Scroll every cell of the notebook into view in turn, in the page (one call instead of one
#: per cell): JupyterLab renders what is scrolled to, so after each scroll wait two frames and
#: until the browser is idle (at most 0.5 s), which on a loaded machine is when the outputs are
#: drawn; two frames alone left most pictures undrawn under load.
SCROLL_THROUGH_JS = """
async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const idle = () => new Promise(r => requestIdleCallback(r, {timeout: 500}));
  for (const cell of document.querySelectorAll('.jp-Notebook .jp-Cell')) {
    cell.scrollIntoView();
    await frame();
    await idle();
  }
}
"""


def test_every_course_notebook_as_stored_with_axe(jupyterlab):
    """Each course notebook (English and Korean) opened in JupyterLab as a student first sees
    it, untrusted, with its stored outputs (explorer stills, figures, tables), scrolled through
    so that every cell renders: axe finds no critical or serious violation in the course's
    output. One page opens the notebooks in turn; each one's kernel is shut down after."""
    need_browser(axe=True)
    import json
    import urllib.request

    from playwright.sync_api import sync_playwright

    base, token, root = jupyterlab
    for name in STORED:
        (root / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / "notebooks" / name, root / name)
    found, shown = {}, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser)
        name = STORED[0]
        try:
            for name in STORED:
                page.goto(f"{base}/lab/tree/{name}?token={token}&reset")
                page.wait_for_selector(".jp-Notebook .jp-Cell")
                page.wait_for_selector(".jp-OutputArea-output", state="attached")
                page.evaluate(SCROLL_THROUGH_JS)
                found[name] = _axe(page, {"include": COURSE})
                shown[name] = page.locator(".jp-OutputArea-output img, "
                                           ".jp-OutputArea-output svg").count()
                with urllib.request.urlopen(f"{base}/api/sessions?token={token}") as answer:
                    sessions = json.load(answer)
                for session in sessions:
                    urllib.request.urlopen(urllib.request.Request(
                        f"{base}/api/sessions/{session['id']}?token={token}", method="DELETE"))
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"accessibility-{name.replace('/', '-')}.png"))
            raise
        finally:
            browser.close()
    print(f"\naxe on stored outputs ({sum(shown.values())} pictures rendered), course "
          "output: " + "; ".join(f"{n}: {_summary(v)}" for n, v in found.items()))
    assert sum(shown.values()) > 100, f"few stored pictures rendered: {shown}"
    failing = {n: _summary([x for x in v if x["impact"] in FAILING]) for n, v in found.items()
               if any(x["impact"] in FAILING for x in v)}
    assert not failing, failing

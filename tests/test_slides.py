"""Lecture mode: every course notebook (and the Korean 03) as RISE slides in a real browser,
offline, with a live slider where the lecture shows an explorer; and the static export
(``make slides-html``) fits the same window and loads nothing from another host.

Starts the lecture server exactly as ``make lecture`` does (classic Notebook + RISE from
``.venv-lecture/``, with that environment's RISE settings) on 127.0.0.1, opens each notebook in
headless Chromium at 1024x768 (a projector), runs all cells from the Cell menu, enters the
slideshow (Alt+R) and advances slide by slide. In a notebook whose slides show an explorer it
stops at the first such slide, drags that explorer's first slider with the mouse (what a
lecturer does) and checks that the picture changes while the slideshow stays on that slide,
then goes to every other explorer's slide and drags it too; in the others it goes on to the
last slide. Then every slide (all fragments shown) must fit 1024 x 768 without scrolling (a
long output may scroll in its own box: lecture/nbextension/fit.js); the Korean lectures are
checked the same way with their stored outputs, and for Hangul drawn without a glyph
(fonts-nanum). Every request the page makes is recorded; any that leaves 127.0.0.1 fails the
test (RISE's default theme, for one, fetches web fonts: the environment selects "white", whose
fonts are local).

Builds ``.venv-lecture/`` with ``make lecture-env`` when it is missing. Skipped locally when
chromium, playwright or the lecture environment is missing; under CI (``CI`` set) that is a
failure instead. Screenshots go to ``test-artifacts/`` (ignored by git).
"""

from __future__ import annotations

import contextlib
import html
import html.parser
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    missing,
    need_browser,
    open_classic_notebook,
    serving,
)
from test_slide_metadata import HIDE_INPUT, lecture_module

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOK = NOTEBOOKS_DIR / "03_padding_and_stride.ipynb"       # the static export's example
#: Every lecture, as a path under notebooks/, and one of the Korean edition.
LECTURES = [p.relative_to(NOTEBOOKS_DIR).as_posix()
            for p in sorted(NOTEBOOKS_DIR.glob("[01][0-9]_*.ipynb"))] + [
    "ko/03_padding_and_stride.ipynb"]
LECTURE_VENV = ROOT / ".venv-lecture"
CACHE = ROOT / "build" / "slides-cache"          # lecture/export_slides.py's npm tarballs
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 60_000
MAX_STEPS = 120                   # Space presses before giving up finding an explorer's slide
LOCAL_SCHEMES = {"data", "blob", "about"}   # never leave the page

pytestmark = pytest.mark.browser


def _lecture_jupyter() -> Path:
    """``.venv-lecture/bin/jupyter``, made with ``make lecture-env`` when missing."""
    jupyter = LECTURE_VENV / "bin" / "jupyter"
    if not (LECTURE_VENV / ".installed").exists():
        try:
            subprocess.run(["make", "lecture-env"], cwd=ROOT, check=True, capture_output=True,
                           text=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as error:
            detail = getattr(error, "stderr", "") or ""
            missing(f"could not build {LECTURE_VENV.name}/ with `make lecture-env`: {error}\n"
                     f"{detail[-2000:]}")
    return jupyter


@pytest.fixture
def lecture_server(tmp_path):
    """The lecture server (`make lecture`'s command) on a free loopback port, serving a copy
    of notebooks/; user-level Jupyter folders point into tmp_path, so only the lecture
    environment's own settings apply."""
    jupyter = _lecture_jupyter()
    root = tmp_path / "root"
    shutil.copytree(NOTEBOOKS_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "OPENBLAS_NUM_THREADS": "1"}
    env.pop("VIRTUAL_ENV", None)
    command = [str(jupyter), "notebook", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--NotebookApp.port_retries=0", f"--NotebookApp.token={token}",
               f"--NotebookApp.notebook_dir={root}", "--allow-root"]
    base = f"http://127.0.0.1:{port}"
    with serving(command, env, tmp_path / "notebook.log", f"{base}/api/status?token={token}",
                 "the lecture server", 60):
        yield base, token


#: True once every code cell has run (a number in its prompt, not "*").
ALL_RUN_JS = """
() => {
  const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code');
  return !Jupyter.notebook.kernel_busy &&
         cells.every(c => typeof c.input_prompt_number === 'number');
}
"""

#: The error outputs of the notebook, as "cell N: ename: evalue".
ERRORS_JS = """
() => Jupyter.notebook.get_cells().flatMap((c, i) =>
  (c.output_area ? c.output_area.outputs : [])
    .filter(o => o.output_type === 'error')
    .map(o => `cell ${i}: ${o.ename}: ${o.evalue}`))
"""

#: The slide on screen (the innermost present section: a vertical stack is present too).
PRESENT = ".reveal .slides section.present:not(.stack)"

#: Every slide (fragments all shown), one by one: the height of its contents and the room it has
#: on the screen (the 95vh box in which RISE's "scroll" setting draws a taller slide, scrolling).
#: A slide fits when its contents are within that room, and then nothing scrolls. (The
#: section's own height is no measure of the room: a slide that fits is as tall as its contents.)
FIT_JS = """
async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  // measure the slides as drawn at last: in their fonts, with every picture loaded and the
  // formulas typeset (before, a slide's height could differ by 40 px from one run to the next)
  await document.fonts.ready;
  await Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })));
  const typeset = () => window.MathJax && MathJax.Hub ? new Promise(r => MathJax.Hub.Queue(r))
                                                     : null;
  await typeset();
  const out = [];
  for (const slide of Reveal.getSlides()) {
    const i = Reveal.getIndices(slide);
    Reveal.slide(i.h, i.v, 1e6);
    await frame();
    await typeset();                 // the slideshow typesets a slide again when it shows it
    await frame();
    const section = document.querySelector('.reveal .slides section.present:not(.stack)');
    // RISE ("scroll": true) draws a slide taller than 95vh in a box that scrolls. How far the
    // slide reaches is its section's scrollHeight (its contents with their overflow, whatever
    // the section's own height: RISE draws a slide that fits in a section exactly as tall as
    // its contents, so comparing with the section's height could never fail). A DOM Range
    // over the contents would also count text clipped inside an output's own scroll box
    // (lecture/nbextension/fit.js) and the editors' hidden measuring nodes.
    const room = Math.floor(0.95 * window.innerHeight);
    const content = section.scrollHeight;
    // outputs given their own scroll box (lecture/nbextension/fit.js), and how far the
    // furthest of them scrolls
    const boxes = [...section.querySelectorAll('.cnnlib-fit-box')];
    // figures drawn smaller to fit (fit.js), with their drawn and their own heights
    const shrunk = [...section.querySelectorAll('.cnnlib-fit-shrunk')].map(f => ({
      drawn: f.getBoundingClientRect().height,
      own: f.naturalHeight || parseFloat(f.getAttribute('height'))}));
    out.push({slide: `${i.h}.${i.v}`, content: content, room: room, boxed: boxes.length,
              scrolls: Math.max(0, ...boxes.map(b => b.scrollHeight - b.clientHeight)),
              shrunk: shrunk});
  }
  Reveal.slide(0, 0);
  return out;
}
"""

#: The Hangul syllables on the slides that the slides' own fonts draw as the "missing glyph"
#: box: each is drawn on a canvas in the font of each kind of cell (text, code, output) and
#: compared pixel by pixel with an unassigned code point (U+0378), which no font has.
GLYPHS_JS = """
() => {
  const slides = document.querySelector('.reveal .slides');
  const chars = [...new Set(slides.textContent.match(/[\\uac00-\\ud7a3]/g) || [])];
  const fonts = new Set();
  for (const el of slides.querySelectorAll('.text_cell_render, .CodeMirror, .output_area')) {
    const style = getComputedStyle(el);
    fonts.add(`${style.fontStyle} ${style.fontWeight} 32px ${style.fontFamily}`);
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 48;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (font, ch) => {
    ctx.clearRect(0, 0, 48, 48);
    ctx.font = font;
    ctx.fillText(ch, 4, 38);
    return ctx.getImageData(0, 0, 48, 48).data;
  };
  const same = (a, b) => a.every((x, k) => x === b[k]);
  const missing = new Set();
  for (const font of fonts) {
    const box = draw(font, '\\u0378');
    for (const ch of chars) if (same(draw(font, ch), box)) missing.add(ch);
  }
  return {chars: chars.length, fonts: [...fonts], missing: [...missing].join('')};
}
"""

#: Font rendering may differ by a few pixels between machines.
TOLERANCE_PX = 8


def _foreign(urls: list[str]) -> list[str]:
    """The URLs that would reach another machine than this one's loopback address."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.scheme not in {"http", "https", "ws", "wss"} or parts.hostname != "127.0.0.1":
            bad.append(url)
    return bad


def test_foreign_request_filter():
    """The filter the browser test relies on: only 127.0.0.1 and in-page schemes pass."""
    assert _foreign(["http://127.0.0.1:8888/x", "ws://127.0.0.1:1/api", "data:font/woff,AA",
                     "about:blank", "blob:http://127.0.0.1:1/id"]) == []
    assert _foreign(["https://fonts.googleapis.com/css", "http://localhost:8888/",
                     "http://127.0.0.2/", "ftp://127.0.0.1/x"]) == [
        "https://fonts.googleapis.com/css", "http://localhost:8888/", "http://127.0.0.2/",
        "ftp://127.0.0.1/x"]


def _explorers_on_slides(notebook: Path) -> int:
    return lecture_module("slide_plan").plan(notebook).explorers


def _open_menu(page, menu: str, item: str, tries: int = 3) -> None:
    """Open a classic Notebook menu so that ``item`` shows. A click that lands while the page is
    still settling (the notebook just loaded) can open and at once close the Bootstrap
    drop-down; click again then, as a person would, a few times at most."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        page.click(menu)
        try:
            page.wait_for_selector(item, state="visible", timeout=5_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


#: Per explorer in the slideshow (document order): [h, v] of the slide it is on.
EXPLORER_SLIDES_JS = """
() => [...document.querySelectorAll('.reveal .slides .cnnlib-explorer-widget')].map(el => {
  const section = el.closest('section');
  if (!section) return null;
  const i = Reveal.getIndices(section);
  return [i.h, i.v || 0];
})
"""


def _drag_first_slider(page, explorer) -> None:
    """Drag the explorer's first slider with the mouse, 60 px towards its longer side (right
    unless the handle is in the right half): the picture changes within 20 s, on screen."""
    view = explorer.locator(".cnnlib-view").first
    handle = explorer.locator(".noUi-handle").first
    track = explorer.locator(".noUi-base, .noUi-target").first
    handle.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    before = view.inner_html()
    box, rail = handle.bounding_box(), track.bounding_box()
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= 1024, box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    step = -60 if rail and x > rail["x"] + rail["width"] / 2 else 60
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + step, y, steps=6)
    page.mouse.up()
    page.wait_for_function("([el, old]) => el.innerHTML !== old",
                           arg=[view.element_handle(), before], timeout=20_000)


@contextlib.contextmanager
def _projector_page():
    """A page of headless Chromium at 1024 x 768, a projector's size."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def _check_fit(page, lecture: str) -> str:
    """Every slide of the slideshow on ``page`` fits the window (within TOLERANCE_PX); returns
    a one-line account."""
    sizes = page.evaluate(FIT_JS)
    tall = [s for s in sizes if s["content"] > s["room"] + TOLERANCE_PX]
    assert not tall, "slides taller than 1024 x 768 (split them or shrink a picture): " + "; ".join(
        f"{lecture}: {s['slide']} is {s['content']} px, room {s['room']} px" for s in tall)
    boxed = [s["slide"] for s in sizes if s["boxed"]]
    if boxed:       # the box that scrolls furthest: the keys must move it
        _check_scroll_box(page, lecture, max(sizes, key=lambda s: s["scrolls"])["slide"])
    shrunk = {s["slide"]: s["shrunk"] for s in sizes if s["shrunk"]}
    # a figure drawn smaller to fit keeps at least half its own size (rise.css's floor)
    small = {k: f for k, figures in shrunk.items() for f in figures
             if not f["own"] or f["drawn"] < f["own"] / 2 - 1}
    assert not small, f"{lecture}: figures drawn below half their size: {small}"
    return (f"all {len(sizes)} slides fit 1024 x 768 "
            f"(with an output in its own scroll box: {' '.join(boxed) or 'none'}; "
            f"with a figure drawn smaller: {' '.join(shrunk) or 'none'})")


#: The present slide's scroll boxes (lecture/nbextension/fit.js) and how far the slide reaches.
SCROLL_BOX_JS = """
() => {
  const section = document.querySelector('.reveal .slides section.present:not(.stack)');
  return {reach: section.scrollHeight, room: Math.floor(0.95 * window.innerHeight),
          boxes: [...section.querySelectorAll('.cnnlib-fit-box')].map(el => ({
            tabindex: el.getAttribute('tabindex'), role: el.getAttribute('role'),
            label: el.getAttribute('aria-label'), height: el.clientHeight,
            scrolls: el.scrollHeight - el.clientHeight, top: el.scrollTop,
            focused: document.activeElement === el}))};
}
"""


#: Where each key leaves a scroll box ``b`` whose scrollTop was ``before``, as a JS condition.
SCROLL_KEYS = {"ArrowDown": "b.top > before", "Home": "b.top === 0",
               "End": "b.top >= b.scrolls - 1"}


def _check_scroll_box(page, lecture: str, slide: str) -> None:
    """On ``slide``, which fits thanks to an output's own scroll box: the box is a labelled
    region that takes the focus, the slide fits with it, and ArrowDown, Home and End scroll the
    box (not the slideshow, which stays on that slide)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    h, v = (int(n) for n in slide.split("."))
    page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", [h, v])
    page.wait_for_timeout(300)
    state = page.evaluate(SCROLL_BOX_JS)
    assert len(state["boxes"]) == 1, f"{lecture} {slide}: {state}"
    box = state["boxes"][0]
    assert state["reach"] <= state["room"] + 1, f"{lecture} {slide}: {state}"
    assert box["tabindex"] == "0" and box["role"] == "region" and box["label"], box
    assert box["height"] >= 200 and box["scrolls"] > 0, box
    page.locator(f"{PRESENT} .cnnlib-fit-box").focus()
    for key in ("ArrowDown", "Home", "End"):
        page.keyboard.press(key)
        # Chromium scrolls smoothly: a long jump (End) is an animation that a busy machine
        # takes longer than any fixed pause over, so wait for where the key should land
        try:
            page.wait_for_function(f"(before) => {{ const b = ({SCROLL_BOX_JS})().boxes[0]; "
                                   f"return {SCROLL_KEYS[key]}; }}", arg=box["top"],
                                   timeout=5_000)
        except PlaywrightTimeout:
            pytest.fail(f"{lecture} {slide}: {key} did not scroll the box to "
                        f"{SCROLL_KEYS[key]} (before = {box['top']}): "
                        f"{page.evaluate(SCROLL_BOX_JS)['boxes'][0]}")
        after = page.evaluate(SCROLL_BOX_JS)["boxes"][0]
        assert after["focused"], (key, after)
        indices = page.evaluate("() => Reveal.getIndices()")
        assert (indices["h"], indices["v"] or 0) == (h, v), (key, indices)
        box = after


def _hidden_inputs(notebook: Path) -> list[dict]:
    """The code cells of ``notebook`` whose input the slides hide."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if HIDE_INPUT in c.get("metadata", {}).get("tags", [])]


#: Per "Show the code" button on the slides (document order): [h, v] of its slide, whether its
#: cell's code is drawn, and the button's text and aria-expanded.
SHOW_CODE_JS = """
() => [...document.querySelectorAll('.reveal .slides .cnnlib-show-code')].map(button => {
  const i = Reveal.getIndices(button.closest('section'));
  const input = button.closest('.cell').querySelector('.input');
  return {slide: [i.h, i.v || 0], code: input.offsetHeight > 0, text: button.textContent,
          expanded: button.getAttribute('aria-expanded')};
})
"""


def _check_show_code(page, lecture: str, hidden: int) -> str:
    """Each cell tagged HIDE_INPUT shows its output without its code on its slide, and a
    button that says how many lines it hides; Enter on the first button shows the code and
    Enter again hides it, both on the same slide. Returns a one-line account."""
    buttons = page.evaluate(SHOW_CODE_JS)
    assert len(buttons) == hidden, (
        f"{lecture}: {hidden} cells tagged {HIDE_INPUT}, {len(buttons)} buttons: {buttons}")
    assert not any(b["code"] for b in buttons), f"{lecture}: code drawn on a slide: {buttons}"
    assert all(re.fullmatch(r"Show the code \(\d+ lines\)|코드 보기 \(\d+줄\)", b["text"])
               and b["expanded"] == "false" for b in buttons), buttons
    page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", buttons[0]["slide"])
    page.wait_for_timeout(300)
    button = page.locator(".reveal .slides .cnnlib-show-code").first
    button.focus()
    for expanded in (True, False):
        page.keyboard.press("Enter")
        state = page.evaluate(SHOW_CODE_JS)[0]
        assert state["code"] is expanded and state["expanded"] == str(expanded).lower(), state
        indices = page.evaluate("() => Reveal.getIndices()")
        assert [indices["h"], indices["v"]] == buttons[0]["slide"], (indices, state)
    return f"the code of {hidden} of the cells on a button press"


def _check_glyphs(page, lecture: str) -> None:
    """The Korean slides draw every Hangul syllable they use (a Hangul font is installed:
    fonts-nanum, .ci/run)."""
    glyphs = page.evaluate(GLYPHS_JS)
    assert glyphs["chars"] > 0, f"{lecture}: no Hangul on the slides"
    assert not glyphs["missing"], (
        f"{lecture}: {len(glyphs['missing'])} of {glyphs['chars']} Hangul syllables have no "
        f"glyph in {glyphs['fonts']}: {glyphs['missing'][:40]} (apt-get install fonts-nanum)")


@pytest.mark.parametrize("lecture", LECTURES)
def test_notebook_as_slides_with_a_live_slider(lecture_server, lecture):
    need_browser()
    from playwright.sync_api import sync_playwright


    notebook = NOTEBOOKS_DIR / lecture
    name = lecture.replace("/", "-").removesuffix(".ipynb")
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    if not any("slideshow" in c.get("metadata", {}) for c in cells):
        pytest.fail(f"{lecture} has no slide metadata (cell.metadata.slideshow, "
                    "issue 14): there is no slideshow to test")
    with_explorer = _explorers_on_slides(notebook) > 0
    base, token = lecture_server
    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.on("websocket", lambda ws: requests.append(ws.url))
        page.set_default_timeout(TIMEOUT_MS)
        try:
            # 1. open the notebook, run every cell from the Cell menu, as an instructor would
            start = time.monotonic()
            open_classic_notebook(page, f"{base}/notebooks/{lecture}?token={token}")
            kernel_ready = time.monotonic() - start
            _open_menu(page, "#celllink", "#run_all_cells")
            page.click("#run_all_cells")
            page.wait_for_function(ALL_RUN_JS, timeout=180_000)
            ran = time.monotonic() - start
            assert page.evaluate(ERRORS_JS) == []

            # 2. enter the slideshow at the first cell
            page.evaluate("() => { Jupyter.notebook.select(0); "
                          "Jupyter.notebook.command_mode(); }")
            page.keyboard.press("Alt+r")
            page.wait_for_selector(PRESENT)
            assert page.evaluate("() => Reveal.getIndices()")["h"] == 0
            # RISE's exit and help buttons fade out (show_buttons_on_startup: false, lecture/
            # nbconfig): left on screen, they covered a full slide's first heading and last line
            for button in ("#exit_b", "#help_b"):
                page.wait_for_selector(button, state="hidden", timeout=10_000)
            theme = page.get_attribute("link#theme", "href")
            assert theme and theme.split("?")[0].endswith("/white.css"), theme
            slides = page.locator(".reveal .slides section:not(.stack)").count()
            page.screenshot(path=str(ARTIFACTS / f"slides-{name}-first-1024x768.png"))
            if not with_explorer:       # no explorer in this lecture: show every slide
                seen = [page.evaluate("() => Reveal.getIndices()")]
                for _ in range(4 * MAX_STEPS):
                    page.keyboard.press("Space")
                    page.wait_for_timeout(150)
                    seen.append(page.evaluate("() => Reveal.getIndices()"))
                    if seen[-1] == seen[-2]:
                        break
                shown = len({(i["h"], i["v"]) for i in seen})
                assert shown >= slides * 0.9, f"only {shown} of {slides} slides reached"
                assert page.evaluate(ERRORS_JS) == []
                on_slide = seen[-1]

            if with_explorer:
                # 3. advance (Space: the next fragment or slide) to the first slide with an explorer
                explorer = page.locator(f"{PRESENT} .cnnlib-explorer-widget").first
                seen = [page.evaluate("() => Reveal.getIndices()")]
                for _ in range(MAX_STEPS):
                    if explorer.count() and explorer.is_visible():   # a fragment shows late
                        break
                    page.keyboard.press("Space")
                    page.wait_for_timeout(250)           # the transition
                    indices = page.evaluate("() => Reveal.getIndices()")
                    if indices == seen[-1]:
                        pytest.fail(f"the slideshow ended at {indices} after {len(seen) - 1} "
                                    "steps with no explorer on a slide (is the explorer cell "
                                    "skipped, or did its widget not render?)")
                    seen.append(indices)
                else:
                    pytest.fail(f"no explorer on any of the first {MAX_STEPS} steps of {slides} "
                                "slides (is the explorer cell on a slide, not skipped?)")
                on_slide = seen[-1]
                advanced = len({(i["h"], i["v"]) for i in seen}) - 1
                assert advanced >= 2, f"the explorer is on the first slides already: {seen}"

                # 4. drag the first slider of the explorer: the picture changes, the slide stays
                _drag_first_slider(page, explorer)
                assert page.evaluate("() => Reveal.getIndices()") == on_slide
                page.screenshot(path=str(ARTIFACTS / f"slides-{name}-explorer-1024x768.png"))

                # 4b. every other explorer on a slide: go to its slide, drag its first slider
                every = page.locator(".reveal .slides .cnnlib-explorer-widget")
                places = page.evaluate(EXPLORER_SLIDES_JS)
                first = page.evaluate("el => [...document.querySelectorAll("
                                      "'.reveal .slides .cnnlib-explorer-widget')].indexOf(el)",
                                      explorer.element_handle())
                dragged = 1
                for k, place in enumerate(places):
                    if k == first or place is None:
                        continue
                    page.evaluate("([h, v]) => Reveal.slide(h, v, 1e6)", place)
                    page.wait_for_timeout(300)
                    if not every.nth(k).is_visible():      # a skipped (reading) cell
                        continue
                    _drag_first_slider(page, every.nth(k))
                    assert page.evaluate("() => Reveal.getIndices()")["h"] == place[0]
                    dragged += 1
                assert dragged == _explorers_on_slides(notebook), (
                    f"dragged {dragged} explorers on slides, the slide plan counts "
                    f"{_explorers_on_slides(notebook)}")

            # 5. every slide fits the 1024 x 768 projector (the cells have run: live explorers)
            fit = _check_fit(page, lecture)
            hidden = len(_hidden_inputs(notebook))
            if hidden:
                fit += "; " + _check_show_code(page, lecture, hidden)
            if lecture.startswith("ko/"):
                _check_glyphs(page, lecture)

            # 6. leaving the slideshow (Alt+R again) undoes every scroll box and smaller figure
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            page.keyboard.press("Alt+r")
            page.wait_for_function("() => !document.body.classList.contains('rise-enabled')")
            left = page.evaluate("() => document.querySelectorAll("
                                 "'.cnnlib-fit-box, .cnnlib-fit-shrunk').length")
            assert left == 0, f"{left} boxes or smaller figures left in the notebook"
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"slides-{name}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    foreign = _foreign(requests)
    print(f"\nlecture slides: kernel ready {kernel_ready:.1f} s, all cells run {ran:.1f} s "
          f"after opening; {slides} slides; "
          f"{'explorer reached' if with_explorer else 'last slide reached'} after "
          f"{len(seen) - 1} steps at {on_slide}; "
          f"{f'{dragged} explorers dragged; ' if with_explorer else ''}{fit}; "
          f"{len(requests)} requests, {len(foreign)} to another host")
    assert not foreign, f"requests that left 127.0.0.1: {foreign}"


#: Every Korean lecture but the one run live above, as a path under notebooks/.
KOREAN_LECTURES = [p.relative_to(NOTEBOOKS_DIR).as_posix()
                   for p in sorted((NOTEBOOKS_DIR / "ko").glob("[01][0-9]_*.ipynb"))
                   if p.relative_to(NOTEBOOKS_DIR).as_posix() not in LECTURES]


def test_korean_slides_fit_with_every_glyph(lecture_server):
    """Every Korean lecture but ko/03 (run live above) as RISE slides with its stored outputs
    (no cell runs: the explorers show their still pictures): every slide fits 1024 x 768 and
    every Hangul syllable on it has a glyph. One browser page opens the lectures in turn."""
    need_browser()
    assert len(KOREAN_LECTURES) == len(LECTURES) - 2, KOREAN_LECTURES

    base, token = lecture_server
    ARTIFACTS.mkdir(exist_ok=True)
    report = []
    with _projector_page() as page:
        lecture = KOREAN_LECTURES[0]
        try:
            for lecture in KOREAN_LECTURES:
                open_classic_notebook(page, f"{base}/notebooks/{lecture}?token={token}")
                page.evaluate("() => { Jupyter.notebook.select(0); "
                              "Jupyter.notebook.command_mode(); }")
                page.keyboard.press("Alt+r")
                page.wait_for_selector(PRESENT)
                # stored figures decode after the slides appear: measure once they have
                page.wait_for_function("() => [...document.images].every(i => i.complete)")
                report.append(f"{lecture}: {_check_fit(page, lecture)}")
                assert len(page.evaluate(SHOW_CODE_JS)) == len(
                    _hidden_inputs(NOTEBOOKS_DIR / lecture)), lecture
                _check_glyphs(page, lecture)
                page.goto("about:blank")       # leave before the next (no "leave page?")
        except BaseException:
            name = lecture.replace("/", "-").removesuffix(".ipynb")
            page.screenshot(path=str(ARTIFACTS / f"slides-{name}-failure.png"))
            raise
    print("\nKorean slides (stored outputs):\n  " + "\n  ".join(report))


# --- the static export (make slides-html) -------------------------------------------------

class _References(html.parser.HTMLParser):
    """Collects what a page loads: script src, link href (style sheets, icons), inline styles."""

    def __init__(self):
        super().__init__()
        self.scripts, self.links, self.styles, self.inline = [], [], [], []
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])
        self._in = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.styles.append(data)
        elif self._in == "script":
            self.inline.append(data)


_CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')\s]+)""")


def _css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL.findall(css)]


def export_static(notebooks: list[Path], output: Path) -> None:
    """Write ``make slides-html``'s pages of ``notebooks`` (and their assets) into ``output``."""
    _lecture_jupyter()
    if not shutil.which("npm") and not any(CACHE.glob("reveal.js-*.tgz")):
        missing("npm not found (apt-get install npm): reveal.js comes from the npm registry")
    run = subprocess.run([str(LECTURE_VENV / "bin" / "python"), "lecture/export_slides.py",
                          "--output", str(output), *map(str, notebooks)], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]


def export_every_lecture(language: str, output: Path) -> list[Path]:
    """Export the 13 lectures (00-12) in ``language`` ("en" or "ko") into ``output`` as
    ``make slides-html`` does; returns their notebooks."""
    folder = NOTEBOOKS_DIR / ("ko" if language == "ko" else "")
    lectures = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    assert len(lectures) == 13, lectures
    export_static(lectures, output)
    return lectures


def open_static(page, html: Path) -> None:
    """Open an exported page; its reveal.js (a require.js module there) as ``window.Reveal``."""
    page.goto(html.as_uri())
    page.wait_for_selector(".reveal.ready")
    page.evaluate("() => new Promise(done => require(['assets/reveal.js/dist/reveal.js'],"
                  " R => { window.Reveal = R; done(); }))")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_static_slides_fit(tmp_path, language):
    """``make slides-html``'s pages of every lecture (stored outputs, no kernel) at 1024 x 768:
    every slide fits, by the live slideshow's rule and with its means (rise.css's sizes, on
    JupyterLab's class names there; lecture/nbextension/fit.js's scroll box for a tall table,
    printout or explorer picture, or a figure drawn smaller), and the box that scrolls furthest
    takes the focus and scrolls with the keys while the slide stays. Before: 86 of the 271
    English static slides were taller than the window."""
    need_browser()
    output = tmp_path / "slides"
    lectures = export_every_lecture(language, output)
    report = []
    with _projector_page() as page:
        lecture = lectures[0]
        try:
            for lecture in lectures:
                open_static(page, output / f"{lecture.stem}.slides.html")
                report.append(f"{lecture.stem}: {_check_fit(page, lecture.name)}")
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"slides-static-{language}-{lecture.stem}"
                                     "-failure.png"))
            raise
    print(f"\nstatic slides ({language}), 1024 x 768:\n  " + "\n  ".join(report))


def test_static_export_loads_nothing_from_another_host(tmp_path):
    """Export notebook 03 as `make slides-html` does: every script, style sheet, module import
    and CSS url() (fonts included, followed into the local style sheets) is a local file that
    exists; the explorer shows its still picture, not a widget that needs a kernel."""
    output = tmp_path / "slides"
    export_static([NOTEBOOK], output)
    page = output / f"{NOTEBOOK.stem}.slides.html"
    text = page.read_text(encoding="utf-8")

    parser = _References()
    parser.feed(text)
    # module imports and require([...]) lists in inline scripts: quoted .js / .mjs / data: URLs
    imported = [u for js in parser.inline
                for u in re.findall(r"""["']((?:data:|[^"'\s]+\.m?js\b)[^"']*)["']""", js)]
    loaded = parser.scripts + parser.links + imported
    loaded += [u for css in parser.styles for u in _css_urls(css)]
    assert any("reveal.js" in u for u in loaded), loaded
    remote, absent, checked = [], [], set()
    todo = [(u, page) for u in loaded]
    while todo:
        url, referrer = todo.pop()
        scheme = urlsplit(url).scheme
        if scheme in ("data", "about") or url.startswith("#"):
            continue
        if scheme or url.startswith("//"):
            remote.append(url)
            continue
        path = (referrer.parent / urlsplit(url).path).resolve()
        if path in checked:
            continue
        checked.add(path)
        if not path.is_file():
            absent.append(f"{url} (from {referrer.name})")
            continue
        for config in parse_qs(urlsplit(url).query).get("config", []):    # MathJax's
            todo += [(f"config/{name}.js", path) for name in config.split(",")]
        if path.suffix == ".css":           # a theme's @import of its fonts
            todo += [(u, path) for u in _css_urls(path.read_text(encoding="utf-8"))]
    assert not remote, f"the exported slides load from other hosts: {remote}"
    assert not absent, f"the exported slides reference missing files: {absent}"
    assert any(p.suffix in (".woff", ".woff2", ".ttf") for p in checked), \
        "the theme's fonts were not followed"
    assert 'class="cnnlib-static"' in text            # the explorer's still picture
    # a cell tagged HIDE_INPUT: its output is on the slides, its code is not (the
    # snake_case names that only its code uses are absent from the page)
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    hidden = _hidden_inputs(NOTEBOOK)
    assert hidden, f"{NOTEBOOK.name} has no cell tagged {HIDE_INPUT} to check"
    for cell in hidden:
        others = " ".join("".join(c["source"]) for c in cells if c["id"] != cell["id"])
        own = set(re.findall(r"\b[a-z]+_\w+\b", "".join(cell["source"])))   # snake_case
        names = sorted(n for n in own if n not in others)
        assert names and not [n for n in names if n in text], (cell["id"], names)
        for output in cell["outputs"]:
            if output["output_type"] == "stream":
                first = "".join(output["text"]).splitlines()[0]
                assert html.escape(first, quote=False) in text, first
    assert "application/vnd.jupyter.widget-view+json" not in text
    print(f"\nstatic export of {NOTEBOOK.name}: {page.stat().st_size / 1e6:.1f} MB page, "
          f"{len(checked)} local files referenced, none remote")


def test_korean_slides_use_the_same_type_sizes():
    """RISE loads rise.css from the notebook's own folder: notebooks/ko/ has the same file."""
    assert (NOTEBOOKS_DIR / "ko" / "rise.css").read_bytes() == \
        (NOTEBOOKS_DIR / "rise.css").read_bytes()

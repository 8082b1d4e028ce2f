"""Lecture mode: every course notebook (and the Korean 03) as RISE slides in a real browser,
offline, with a live slider where the lecture shows an explorer; and the static export
(``make slides-html``) loads nothing from another host.

Starts the lecture server exactly as ``make lecture`` does (classic Notebook + RISE from
``.venv-lecture/``, with that environment's RISE settings) on 127.0.0.1, opens each notebook in
headless Chromium at 1024x768 (a projector), runs all cells from the Cell menu, enters the
slideshow (Alt+R) and advances slide by slide. In a notebook whose slides show an explorer it
stops at the first such slide, drags that explorer's first slider with the mouse (what a
lecturer does) and checks that the picture changes while the slideshow stays on that slide;
in the others it goes on to the last slide. Every request
the page makes is recorded; any that leaves 127.0.0.1 fails the test (RISE's default theme, for
one, fetches web fonts: the environment selects "white", whose fonts are local).

Builds ``.venv-lecture/`` with ``make lecture-env`` when it is missing. Skipped locally when
chromium, playwright or the lecture environment is missing; under CI (``CI`` set) that is a
failure instead. Screenshots go to ``test-artifacts/`` (ignored by git).
"""

from __future__ import annotations

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
from servers import free_port, missing, serving

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
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
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
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("slide_plan", ROOT / "lecture" / "slide_plan.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("slide_plan", module)    # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.plan(notebook).explorers


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


@pytest.mark.parametrize("lecture", LECTURES)
def test_notebook_as_slides_with_a_live_slider(lecture_server, lecture):
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install playwright)")

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
            page.goto(f"{base}/notebooks/{lecture}?token={token}")
            page.wait_for_function("() => window.Jupyter && Jupyter.notebook && "
                                   "Jupyter.notebook.kernel && "
                                   "Jupyter.notebook.kernel.is_connected()")
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
                view = explorer.locator(".cnnlib-view").first
                handle = explorer.locator(".noUi-handle").first
                handle.scroll_into_view_if_needed()
                page.wait_for_timeout(300)
                before = view.inner_html()
                box = handle.bounding_box()
                assert box and 0 <= box["x"] and box["x"] + box["width"] <= 1024, box
                x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
                page.mouse.move(x, y)
                page.mouse.down()
                page.mouse.move(x + 60, y, steps=6)
                page.mouse.up()
                page.wait_for_function("([el, old]) => el.innerHTML !== old",
                                       arg=[view.element_handle(), before], timeout=20_000)
                assert page.evaluate("() => Reveal.getIndices()") == on_slide
                page.screenshot(path=str(ARTIFACTS / f"slides-{name}-explorer-1024x768.png"))
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"slides-{name}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    foreign = _foreign(requests)
    print(f"\nlecture slides: kernel ready {kernel_ready:.1f} s, all cells run {ran:.1f} s "
          f"after opening; {slides} slides; "
          f"{'explorer reached' if with_explorer else 'last slide reached'} after "
          f"{len(seen) - 1} steps at {on_slide}; {len(requests)} requests, {len(foreign)} to "
          "another host")
    assert not foreign, f"requests that left 127.0.0.1: {foreign}"


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


def test_static_export_loads_nothing_from_another_host(tmp_path):
    """Export notebook 03 as `make slides-html` does: every script, style sheet, module import
    and CSS url() (fonts included, followed into the local style sheets) is a local file that
    exists; the explorer shows its still picture, not a widget that needs a kernel."""
    _lecture_jupyter()
    if not shutil.which("npm") and not any(CACHE.glob("reveal.js-*.tgz")):
        missing("npm not found (apt-get install npm): reveal.js comes from the npm registry")
    output = tmp_path / "slides"
    run = subprocess.run([str(LECTURE_VENV / "bin" / "python"), "lecture/export_slides.py",
                          "--output", str(output), str(NOTEBOOK)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
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
    assert "application/vnd.jupyter.widget-view+json" not in text
    print(f"\nstatic export of {NOTEBOOK.name}: {page.stat().st_size / 1e6:.1f} MB page, "
          f"{len(checked)} local files referenced, none remote")

"""Export the course notebooks as static reveal.js slides to share: ``make slides-html``.

Writes ``_slides/NN_name.slides.html`` for each course notebook (00-12) with its stored outputs,
and ``_slides/assets/`` with everything those pages load, so the folder works from a USB stick
or any static host with no other host contacted:

- reveal.js 4.0.2 (the version nbconvert's reveal template is written for) from the npm
  registry, its tarball checked against the sha256 pinned below;
- jQuery, require.js and MathJax 2 from the PyPI package nbclassic (pinned in
  lecture/requirements.txt; the classic notebook ships them for itself);
- for mermaid, which nbconvert's template imports from a CDN, an empty module written into the
  page as a ``data:`` URL (no notebook here has a mermaid diagram);
- ``notebooks/rise.css``, the live slideshow's style sheet, written into each page: its
  slide-number and code colours pass WCAG's 4.5:1 contrast (reveal.js's default slide number
  is 2.84:1), as they do in the lecture;
- a key guard (:data:`KEEP_SCROLL_KEYS`): the arrow keys in a sideways-scrolling box scroll it
  instead of turning the slide;
- the live slideshow's fit (``lecture/nbextension/fit.js``, copied to ``assets/``): a slide
  taller than the window shows its tallest table, printout or explorer picture in a scroll box
  of its own, or else its tallest figure a little smaller, as in the lecture.

What the export loses: no kernel runs, so explorers show the static picture of their initial
setting (the ``text/html`` of their ``_repr_mimebundle_``) and their sliders are gone; code
cannot be run; a code cell tagged :data:`HIDE_INPUT_TAG` shows its output only (nbconvert's
TagRemovePreprocessor), as it does on the live slides until the lecturer shows its code.
Cells are laid out by their ``slideshow`` metadata, as in the live slideshow.

Run with the lecture environment's Python (``.venv-lecture/bin/python``, where nbclassic is);
``--check FILE`` lists the http(s) scripts, styles and fonts a page would fetch (none, or exit 1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "slides-cache"
REVEAL_VERSION = "4.0.2"
#: sha256 of the npm tarball reveal.js-4.0.2.tgz (npm also checks the registry's integrity).
REVEAL_NPM_SHA256 = "0c234d5bfe539606c1af4bcc031f0d21ed99e264d90b7859abad34f7e3a0c587"
#: MathJax 2's configuration that nbclassic ships (the notebook's own), "Safe" mode, and ours:
#: nbclassic's MathJax carries only the STIX-Web fonts, so select them (as the notebook does).
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe,local/cnn-basics"
MATHJAX_LOCAL = """MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], imageFont: null,
                                   preferredFont: null, webFont: "STIX-Web"}});
MathJax.Ajax.loadComplete("[MathJax]/config/local/cnn-basics.js");
"""
#: The slideshow's size and look: the same as the live one (lecture/nbconfig/notebook.d).
REVEAL = {"reveal_theme": "white", "reveal_width": "1024", "reveal_height": "768",
          "reveal_scroll": True, "reveal_number": "c/t", "reveal_transition": "none"}
#: The tag of a code cell whose slide shows its output only (a long cell: its code is a
#: button press away in the live slideshow, lecture/nbextension/slides.js, and in the notebook).
HIDE_INPUT_TAG = "hide-input-on-slides"
MERMAID_STUB = "data:text/javascript,export default { initialize() {} };"
#: The static slides' stand-in for the explorer companion's key guard (no kernel runs there):
#: an arrow key pressed in a sideways-scrolling box (a wide table, an explorer's picture:
#: cnnlib.viz.html) scrolls the box and goes no further, so reveal.js, which listens on the
#: document, does not also turn the slide. Capturing on the window runs before reveal.js.
KEEP_SCROLL_KEYS = """<script>
window.addEventListener("keydown", function (event) {
  var box = event.target.closest && event.target.closest(".cnnlib-scroll, .cnnlib-explorer");
  var arrow = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].indexOf(event.key) >= 0;
  if (box && arrow && !event.altKey && !event.ctrlKey && !event.metaKey) event.stopPropagation();
}, true);
</script>
"""
COURSE = re.compile(r"^\d\d_.*\.ipynb$")     # notebooks 00-12
#: The live slideshow's style sheet (RISE loads it from the notebook's folder).
RISE_CSS = ROOT / "notebooks" / "rise.css"
#: Fits a slide too tall for the window (the live slideshow's: slides.js starts it there).
FIT_JS = ROOT / "lecture" / "nbextension" / "fit.js"
#: Starts it on a static page, its boxes named in the notebook's language.
START_FIT = """<script>
require(["assets/cnnlib-fit"], function (fit) {{ fit.start({{ language: function () {{
  return {language}; }} }}); }});
</script>
"""


def course_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if COURSE.match(p.name))


def _reveal_tarball() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"reveal.js-{REVEAL_VERSION}.tgz"
    if not tarball.exists():
        subprocess.run(["npm", "pack", f"reveal.js@{REVEAL_VERSION}", "--pack-destination",
                        str(CACHE)], check=True, capture_output=True, text=True)
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != REVEAL_NPM_SHA256:
        raise RuntimeError(f"{tarball} has sha256 {digest}, expected {REVEAL_NPM_SHA256}: "
                           "delete it and run again, or check what npm served")
    return tarball


def install_assets(assets: Path) -> None:
    """Fill ``assets/`` with reveal.js, jQuery, require.js and MathJax."""
    import nbclassic

    assets.mkdir(parents=True, exist_ok=True)
    reveal = assets / "reveal.js"
    if not (reveal / "dist" / "reveal.js").exists():
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(_reveal_tarball()) as tar:
            members = [m for m in tar.getmembers()
                       if m.isfile() and m.name.startswith(("package/dist/",
                                                            "package/plugin/notes/",
                                                            "package/LICENSE"))]
            tar.extractall(tmp, members=members, filter="data")
            shutil.rmtree(reveal, ignore_errors=True)
            shutil.copytree(Path(tmp) / "package", reveal)
    components = Path(nbclassic.__file__).parent / "static" / "components"
    for source, name in [(components / "jquery" / "jquery.min.js", "jquery.min.js"),
                         (components / "requirejs" / "require.js", "require.js")]:
        shutil.copyfile(source, assets / name)
    if not (assets / "MathJax" / "MathJax.js").exists():
        shutil.copytree(components / "MathJax", assets / "MathJax", dirs_exist_ok=True)
    (assets / "MathJax" / "config" / "local").mkdir(parents=True, exist_ok=True)
    (assets / "MathJax" / "config" / "local" / "cnn-basics.js").write_text(MATHJAX_LOCAL)
    shutil.copyfile(FIT_JS, assets / "cnnlib-fit.js")


def export(notebook: Path, output: Path) -> Path:
    """Write ``output/<name>.slides.html`` (assets in ``output/assets``); return its path."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config({"SlidesExporter": {
        **REVEAL, "reveal_url_prefix": "assets/reveal.js",
        "jquery_url": "assets/jquery.min.js", "require_js_url": "assets/require.js",
        "mathjax_url": f"assets/MathJax/MathJax.js?config={MATHJAX_CONFIG}"},
        "TagRemovePreprocessor": {"enabled": True, "remove_input_tags": [HIDE_INPUT_TAG]},
        # one printout per cell, as the Notebook shows it, where a cell printed in several
        # stream outputs (each would be a block of its own, with its own padding)
        "CoalesceStreamsPreprocessor": {"enabled": True}})
    exporter = SlidesExporter(config=config)
    exporter.mermaid_js_url = MERMAID_STUB        # a plain attribute in nbconvert 7, not config
    body, _ = exporter.from_filename(str(notebook))
    # after the theme's style sheets, so that its rules win as RISE's do in the lecture
    style = f"<style>\n{RISE_CSS.read_text(encoding='utf-8')}</style>\n"
    metadata = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]
    language = metadata.get("cnnlib", {}).get("translation", {}).get("language", "en")
    start_fit = START_FIT.format(language=json.dumps(language))
    body = body.replace("</head>", style + KEEP_SCROLL_KEYS + start_fit + "</head>", 1)
    target = output / f"{notebook.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


#: src/href of scripts, style sheets and module imports, and CSS url()/@import targets.
_REFERENCE = re.compile(
    r"""<script[^>]*\bsrc\s*=\s*["']([^"']+)["']"""
    r"""|<link[^>]*\bhref\s*=\s*["']([^"']+)["']"""
    r"""|\bimport\b[^;'"]*?\bfrom\s*["']([^"']+)["']"""
    r"""|@import\s+(?:url\()?\s*["']?([^"')\s;]+)"""
    r"""|url\(\s*["']?([^"')\s]+)""", re.I)


def remote_references(html: str) -> list[str]:
    """The scripts, styles, fonts and imports in ``html`` that point at another host
    (http:, https: or protocol-relative //host)."""
    found = (next(g for g in match.groups() if g) for match in _REFERENCE.finditer(html))
    return sorted({u for u in found if re.match(r"^(https?:)?//", u.strip(), re.I)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to export (default: the course, 00-12)")
    parser.add_argument("--output", type=Path, default=ROOT / "_slides")
    parser.add_argument("--check", type=Path, metavar="FILE",
                        help="only list the remote references of an exported page")
    args = parser.parse_args(argv)
    if args.check:
        remote = remote_references(args.check.read_text(encoding="utf-8"))
        print("\n".join(remote) or f"{args.check}: no remote script, style or font")
        return 1 if remote else 0
    install_assets(args.output / "assets")
    for notebook in args.notebooks or course_notebooks():
        target = export(notebook, args.output)
        remote = remote_references(target.read_text(encoding="utf-8"))
        if remote:
            print(f"{target}: loads from other hosts: {remote}", file=sys.stderr)
            return 1
        print(target.relative_to(args.output.parent) if args.output.is_relative_to(ROOT)
              else target)
    return 0


if __name__ == "__main__":
    sys.exit(main())

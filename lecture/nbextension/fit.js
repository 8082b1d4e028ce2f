// Make the present slide fit the window: the live slideshow (RISE, in the classic Notebook:
// slides.js starts it) and the static slides to share (lecture/export_slides.py writes this
// file into their assets/ and starts it) both use it. The live slides are the classic
// Notebook's HTML, the static ones JupyterLab's: each selector names both.
//
// A slide taller than the window (RISE and nbconvert's static template both scroll the whole
// slide past 95 % of its height, and the heading and an explorer's controls leave the screen):
// its tallest output that is not a figure (an explorer's picture, live or still, a long table or
// printout) gets the room left on the slide and scrolls in its own box, if that leaves it at
// least MIN_BOX px; if the slide is still too tall, its tallest figure is drawn a little smaller
// (shrinkFigure). The box takes the keyboard focus (Tab, or a click) and then its own arrow,
// page and space keys until it reaches its end in that direction (there a key does what it
// does elsewhere on the slide), and it is a region named for screen readers. It is worked out
// again whenever the slide changes or one of its cells changes size (an explorer redrawn, a
// "Show the code" pressed, a picture decoded), and undone when the slideshow ends (stop).
define([], function () {
  "use strict";

  var BOX = "cnnlib-fit-box";
  var BOX_LABELS = { en: "Output, scrolls in its own box", ko: "출력 (이 상자 안에서 스크롤)" };
  var ROOM = 0.95;          // RISE's and nbconvert's threshold: a slide taller than 95vh scrolls
  var MIN_BOX = 200;        // px: a smaller box would hide too much; the slide scrolls instead
  // Where a slide's tall output is: an output the Notebook itself shows in a scroll box (it does
  // so for an output taller than 100 lines), an explorer's view (never the whole explorer: its
  // controls stay outside the box), a table or printed text. A figure is never cut by a box
  // (rise.css caps pictures instead): an output with a picture in it is not a candidate.
  var NOT_FIGURE = ":not(:has(svg, img, canvas, .jupyter-widgets, .widget-area))";
  var CANDIDATES = [
    ".output_scroll",                 // a long output the Notebook already scrolls
    ".cnnlib-view",
    ".cnnlib-static .cnnlib-explorer",  // an explorer's still picture (no kernel)
    ".output_subarea.output_html" + NOT_FIGURE,
    ".output_subarea.output_text" + NOT_FIGURE,
    ".jp-OutputArea-output.jp-RenderedHTML" + NOT_FIGURE,
    ".jp-OutputArea-output.jp-RenderedText" + NOT_FIGURE,
  ].join(", ");
  // A figure (a matplotlib picture, a drawing) on a slide still too tall is drawn smaller
  // instead, but never below MIN_SCALE of the size rise.css gives it, nor below half its own
  // size (rise.css's floor for drawings). Explorers' pictures are left to the box.
  var FIGURES = [".output_area img", ".output_area svg:not(svg svg)",
                 ".jp-OutputArea img", ".jp-OutputArea svg:not(svg svg)"].join(", ");
  var SHRUNK = "cnnlib-fit-shrunk";
  var MIN_SCALE = 0.8;
  var SCROLL_KEYS = ["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", " "];
  var CSS = [
    ".reveal ." + BOX + " { box-sizing: border-box; overflow-y: auto;",
    "  border-bottom: 1px solid #595959; }",
    // a box that lays its parts out in a flex column (a VBox) would squeeze them to fit
    ".reveal ." + BOX + " > * { flex-shrink: 0; }",
    // JupyterLab's outputs (the static slides) are table cells, which a max-height cannot cut
    ".reveal .jp-OutputArea-output." + BOX + " { display: block; }",
    ".reveal ." + BOX + ":focus-visible { outline: 3px solid #1a56db; outline-offset: 1px; }",
  ].join("\n");
  // How the slideshow scrolls a slide taller than 95vh (RISE's "scroll" setting and nbconvert's
  // reveal_scroll set the same three properties on the slide as it is shown): fit() measures
  // the slide without them, and puts them back only on a slide that is still too tall.
  var SLIDE_SCROLL = ["height", "overflow-y", "margin-top"];

  var options = { language: function () { return "en"; }, active: function () { return true; } };

  // A box is a focusable, named region: the attributes it lacks are added, and removed again
  // with the box (an explorer's still picture is such a region already and keeps its own).
  function unbox(element) {
    element.classList.remove(BOX);
    element.style.removeProperty("max-height");
    (element.dataset.cnnlibFitAdded || "").split(" ").forEach(function (name) {
      if (name) { element.removeAttribute(name); }
    });
    delete element.dataset.cnnlibFitAdded;
    element.removeEventListener("keydown", keepScrollKeys);
  }

  function canScroll(element, event) {
    var up = ["ArrowUp", "PageUp", "Home"].indexOf(event.key) >= 0
      || (event.key === " " && event.shiftKey);
    return up ? element.scrollTop > 0
      : element.scrollTop + element.clientHeight < element.scrollHeight - 1;
  }

  // A scroll key scrolls the box while the box can move that way; at its end the key goes on
  // as if there were no box.
  function keepScrollKeys(event) {
    if (SCROLL_KEYS.indexOf(event.key) >= 0 && canScroll(this, event)) {
      event.stopPropagation();
    }
  }

  function box(element, height) {
    var region = { tabindex: "0", role: "region", "aria-label": BOX_LABELS[options.language()] };
    var added = Object.keys(region).filter(function (name) {
      return !element.hasAttribute(name);
    });
    added.forEach(function (name) { element.setAttribute(name, region[name]); });
    element.dataset.cnnlibFitAdded = added.join(" ");
    element.classList.add(BOX);
    element.style.setProperty("max-height", Math.floor(height) + "px");
    element.addEventListener("keydown", keepScrollKeys);
  }

  // The element of `elements` drawn tallest, or null.
  function tallestOf(elements) {
    var height = function (element) { return element.getBoundingClientRect().height; };
    return elements.reduce(function (tallest, element) {
      return tallest && height(tallest) >= height(element) ? tallest : element;
    }, null);
  }

  // Give the slide's tallest output that is not a figure the room left on it, if that is enough.
  function boxOutput(section, over) {
    var outputs = Array.prototype.filter.call(section.querySelectorAll(CANDIDATES),
      function (output) { return !output.parentElement.closest(".output_scroll"); });
    var tallest = tallestOf(outputs);
    if (!tallest || tallest.offsetHeight - over - 2 < MIN_BOX) { return; }
    box(tallest, tallest.offsetHeight - over - 2);
    if (tallest.scrollHeight <= tallest.clientHeight + 1) {
      unbox(tallest);                   // the overflow was elsewhere: a box would not scroll
    }
  }

  // Draw the slide's tallest figure smaller by `over` px, if that keeps it large enough.
  function shrinkFigure(section, over) {
    var figures = Array.prototype.filter.call(section.querySelectorAll(FIGURES),
      function (figure) { return !figure.closest(".cnnlib-explorer-widget, .cnnlib-static"); });
    var tallest = tallestOf(figures);
    if (!tallest) { return; }
    var drawn = tallest.getBoundingClientRect().height;
    var own = tallest.naturalHeight || parseFloat(tallest.getAttribute("height")) || drawn;
    var target = Math.floor(drawn - over - 1);
    if (target >= MIN_SCALE * drawn && target >= own / 2) {
      tallest.classList.add(SHRUNK);
      tallest.style.setProperty("max-height", target + "px");
    }
  }

  // Every box and smaller figure under `root` back as it was.
  function undoFit(root) {
    root.querySelectorAll("." + BOX).forEach(unbox);
    root.querySelectorAll("." + SHRUNK).forEach(function (figure) {
      figure.classList.remove(SHRUNK);
      figure.style.removeProperty("max-height");
    });
  }

  function presentSlide() {
    return document.querySelector(".reveal .slides section.present:not(.stack)");
  }

  // Make the present slide fit the window: a box for its tallest output, else a smaller figure.
  function fit() {
    var section = presentSlide();
    if (!section || !options.active()) { return; }
    var scrolled = {};
    SLIDE_SCROLL.forEach(function (name) {
      scrolled[name] = section.style.getPropertyValue(name);
      section.style.removeProperty(name);
    });
    undoFit(section);
    var room = Math.floor(ROOM * window.innerHeight);
    if (section.scrollHeight > room) { boxOutput(section, section.scrollHeight - room); }
    if (section.scrollHeight > room) { shrinkFigure(section, section.scrollHeight - room); }
    if (section.scrollHeight > room) {
      SLIDE_SCROLL.forEach(function (name) {
        if (scrolled[name]) { section.style.setProperty(name, scrolled[name]); }
      });
    }
  }

  // Fit the present slide now and whenever one of its cells changes size, until the next slide.
  var watcher = window.ResizeObserver ? new ResizeObserver(function () {
    window.requestAnimationFrame(fit);
  }) : null;

  function watch() {
    fit();
    var section = presentSlide();
    if (watcher && section) {
      watcher.disconnect();
      section.querySelectorAll(".cell, .jp-Cell").forEach(function (cell) {
        watcher.observe(cell);
      });
    }
  }

  // Every box and smaller figure undone (the slideshow has ended), until the next slide change.
  function stop() {
    if (watcher) { watcher.disconnect(); }
    undoFit(document);
  }

  // Start fitting: `language()` names the boxes' language ("en" or "ko"), `active()` says
  // whether the page is a slideshow now (the live Notebook is one only while RISE runs).
  function start(settings) {
    Object.keys(settings || {}).forEach(function (name) { options[name] = settings[name]; });
    var style = document.createElement("style");
    style.id = "cnnlib-fit-style";
    style.textContent = CSS;
    document.head.appendChild(style);
    // reveal.js's events bubble up from the slideshow to the document
    document.addEventListener("ready", watch);
    document.addEventListener("slidechanged", watch);
    window.addEventListener("resize", function () { window.requestAnimationFrame(fit); });
    watch();                            // a slideshow already showing a slide
  }

  return { start: start, stop: stop };
});

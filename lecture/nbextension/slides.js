// The lecture's classic Notebook extension (installed into .venv-lecture/ by `make lecture-env`,
// enabled in lecture/nbconfig/notebook.d/cnn-basics-slides.json).
//
// A code cell tagged "hide-input-on-slides" shows only its output on the RISE slides, with a
// "Show the code (N lines)" button in place of the code: a slide then holds the picture or the
// printed result of a long cell (most draw a figure), where its 13-37 lines of code made the
// slide taller than a 1024 x 768 projector. The lecturer presses the button (or Tab to it, then Enter) to show the
// code on the slide, and again to hide it. Outside the slideshow (the notebook itself,
// JupyterLab, the browser site) nothing changes: the tag only affects the slides. The static
// export (lecture/export_slides.py) drops those inputs with nbconvert's TagRemovePreprocessor.
//
// A slide still taller than the window (RISE scrolls the whole slide past 95 % of its height,
// and the heading and an explorer's controls leave the screen): its tallest output that is not
// a figure (an explorer's picture, live or still, a long table or printout) gets the room left
// on the slide and scrolls in its own box, if that leaves it at least MIN_BOX px; if the slide is
// still too tall, its tallest figure is drawn a little smaller (shrinkFigure). The box takes
// the keyboard focus (Tab, or a click) and then its own arrow, page and space keys until it
// reaches its end in that direction (there a key does what it does elsewhere on the slide), and
// it is a region named for screen readers. It is worked out again whenever the slide changes or
// one of its cells changes size (an explorer redrawn, a "Show the code" pressed), and undone
// outside the slideshow.
define(["jquery", "base/js/namespace", "base/js/events"], function ($, Jupyter, events) {
  "use strict";

  var TAG = "hide-input-on-slides";
  var HIDDEN = "cnnlib-slide-input-hidden";
  var LABELS = {
    en: function (n) { return ["Show the code (" + n + " lines)", "Hide the code"]; },
    ko: function (n) { return ["코드 보기 (" + n + "줄)", "코드 숨기기"]; },
  };
  var BOX = "cnnlib-fit-box";
  var BOX_LABELS = { en: "Output, scrolls in its own box", ko: "출력 (이 상자 안에서 스크롤)" };
  var ROOM = 0.95;          // RISE's threshold: a slide taller than 95vh scrolls
  var MIN_BOX = 200;        // px: a smaller box would hide too much; the slide scrolls instead
  // Where a slide's tall output is: an output the Notebook itself shows in a scroll box (it does
  // so for an output taller than 100 lines), an explorer's view (never the whole explorer: its
  // controls stay outside the box), a table or printed text. A figure is never cut by a box
  // (rise.css caps pictures instead): an output with a picture in it is not a candidate.
  var NOT_FIGURE = ":not(:has(svg, img, canvas, .jupyter-widgets, .widget-area))";
  var CANDIDATES = [
    ".output_scroll",                 // a long output the Notebook already scrolls
    ".cnnlib-view",
    ".cnnlib-static .cnnlib-explorer",  // an explorer's still picture (no kernel yet)
    ".output_subarea.output_html" + NOT_FIGURE,
    ".output_subarea.output_text" + NOT_FIGURE,
  ].join(", ");
  // A figure (a matplotlib picture, a drawing) on a slide still too tall is drawn smaller
  // instead, but never below MIN_SCALE of the size rise.css gives it, nor below half its own
  // size (rise.css's floor for drawings). Explorers' pictures are left to the box.
  var FIGURES = ".output_area img, .output_area svg:not(svg svg)";
  var SHRUNK = "cnnlib-fit-shrunk";
  var MIN_SCALE = 0.8;
  var SCROLL_KEYS = ["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", " "];
  // Only inside the slideshow (.reveal): the button is hidden elsewhere, and so is the code of
  // a tagged cell until its button is pressed.
  var CSS = [
    ".cnnlib-show-code { display: none; }",
    ".reveal .cnnlib-show-code { display: inline-block; align-self: flex-start; margin: 2px 0 2px 8px;",
    "  padding: 2px 10px;",
    "  font-size: 16px; color: #1a1a1a; background: #f7f7f7; border: 1px solid #595959;",
    "  border-radius: 4px; cursor: pointer; }",
    ".reveal .cnnlib-show-code:focus-visible { outline: 3px solid #1a56db; outline-offset: 1px; }",
    ".reveal .cell." + HIDDEN + " > .input { display: none; }",
    ".reveal ." + BOX + " { box-sizing: border-box; overflow-y: auto;",
    "  border-bottom: 1px solid #595959; }",
    // a box that lays its parts out in a flex column (a VBox) would squeeze them to fit
    ".reveal ." + BOX + " > * { flex-shrink: 0; }",
    ".reveal ." + BOX + ":focus-visible { outline: 3px solid #1a56db; outline-offset: 1px; }",
  ].join("\n");

  function language() {
    var translation = ((Jupyter.notebook.metadata || {}).cnnlib || {}).translation || {};
    return LABELS[translation.language] ? translation.language : "en";
  }

  function hideOnSlides(cell) {
    var tags = (cell.metadata && cell.metadata.tags) || [];
    if (cell.cell_type !== "code" || tags.indexOf(TAG) < 0 || cell.element.data("cnnlibSlides")) {
      return;
    }
    cell.element.data("cnnlibSlides", true);
    var lines = cell.get_text().split("\n").length;
    var labels = LABELS[language()](lines);
    var button = $("<button type='button' class='cnnlib-show-code' aria-expanded='false'/>")
      .text(labels[0]);
    cell.element.addClass(HIDDEN);
    button.on("click", function (event) {
      event.stopPropagation();           // a click selects the cell, never turns the slide
      var hidden = cell.element.toggleClass(HIDDEN).hasClass(HIDDEN);
      button.text(labels[hidden ? 0 : 1]).attr("aria-expanded", hidden ? "false" : "true");
    });
    // Enter and Space on the button are the button's, not the Notebook's or the slideshow's.
    button.on("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.stopPropagation(); }
    });
    cell.element.prepend(button);
  }

  function hideAll() {
    Jupyter.notebook.get_cells().forEach(hideOnSlides);
  }

  // A box is a focusable, named region: the attributes it lacks are added, and removed again
  // with the box (an explorer's still picture is such a region already and keeps its own).
  function unbox(element) {
    $(element).removeClass(BOX).css("max-height", "").removeAttr(element.dataset.cnnlibFitAdded)
      .off(".cnnlibFit");
    delete element.dataset.cnnlibFitAdded;
  }

  function canScroll(element, event) {
    var up = ["ArrowUp", "PageUp", "Home"].indexOf(event.key) >= 0
      || (event.key === " " && event.shiftKey);
    return up ? element.scrollTop > 0
      : element.scrollTop + element.clientHeight < element.scrollHeight - 1;
  }

  function box(element, height) {
    var region = { tabindex: "0", role: "region", "aria-label": BOX_LABELS[language()] };
    var added = Object.keys(region).filter(function (name) {
      return !element.hasAttribute(name);
    });
    added.forEach(function (name) { element.setAttribute(name, region[name]); });
    element.dataset.cnnlibFitAdded = added.join(" ");
    $(element).addClass(BOX).css("max-height", Math.floor(height) + "px")
      .on("keydown.cnnlibFit", function (event) {
        // a scroll key scrolls the box while the box can move that way; at its end the key
        // goes on as if there were no box
        if (SCROLL_KEYS.indexOf(event.key) >= 0 && canScroll(this, event)) {
          event.stopPropagation();
        }
      });
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

  // RISE draws a slide taller than 95vh in a section of that height that scrolls (its "scroll"
  // setting, applied as the slide is shown). fit() measures the slide without it, and puts it
  // back only on a slide that is still too tall.
  var RISE_SCROLL = ["height", "overflow-y", "margin-top"];

  // Make the present slide fit the window: a box for its tallest output, else a smaller figure.
  function fit() {
    var section = document.querySelector(".reveal .slides section.present:not(.stack)");
    if (!section || !document.body.classList.contains("rise-enabled")) { return; }
    var riseScroll = {};
    RISE_SCROLL.forEach(function (name) {
      riseScroll[name] = section.style.getPropertyValue(name);
      section.style.removeProperty(name);
    });
    undoFit(section);
    var room = Math.floor(ROOM * window.innerHeight);
    if (section.scrollHeight > room) { boxOutput(section, section.scrollHeight - room); }
    if (section.scrollHeight > room) { shrinkFigure(section, section.scrollHeight - room); }
    if (section.scrollHeight > room) {
      RISE_SCROLL.forEach(function (name) {
        if (riseScroll[name]) { section.style.setProperty(name, riseScroll[name]); }
      });
    }
  }

  // Fit the present slide now and whenever one of its cells changes size, until the next slide.
  var watcher = window.ResizeObserver ? new ResizeObserver(function () {
    window.requestAnimationFrame(fit);
  }) : null;

  function watch() {
    fit();
    var section = document.querySelector(".reveal .slides section.present:not(.stack)");
    if (watcher && section) {
      watcher.disconnect();
      section.querySelectorAll(".cell").forEach(function (cell) { watcher.observe(cell); });
    }
  }

  function stopWatching() {
    if (watcher) { watcher.disconnect(); }
    undoFit(document);
  }

  function load_ipython_extension() {
    $("<style id='cnnlib-slides-style'/>").text(CSS).appendTo("head");
    if (Jupyter.notebook && Jupyter.notebook._fully_loaded) {
      hideAll();
    }
    events.on("notebook_loaded.Notebook", hideAll);
    // reveal.js's events bubble up from the slideshow to the document
    document.addEventListener("ready", watch);
    document.addEventListener("slidechanged", watch);
    window.addEventListener("resize", function () { window.requestAnimationFrame(fit); });
    new MutationObserver(function () {
      if (!document.body.classList.contains("rise-enabled")) { stopWatching(); }
    }).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  }

  return { load_ipython_extension: load_ipython_extension };
});

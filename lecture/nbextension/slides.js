// The lecture's classic Notebook extension (installed into .venv-lecture/ by `make lecture-env`,
// enabled in lecture/nbconfig/notebook.d/cnn-basics-slides.json).
//
// A code cell tagged "hide-input-on-slides" shows only its output on the RISE slides, with a
// "Show the code (N lines)" button in place of the code: a slide then holds the picture or the
// printed result of a long cell (most draw a figure), where its 13-37 lines of code made the
// slide taller than a 1024 x 768 projector. The lecturer presses the button (or Tab to it, then
// Enter) to show the code on the slide, and again to hide it. Outside the slideshow (the
// notebook itself, JupyterLab, the browser site) nothing changes: the tag only affects the
// slides. The static export (lecture/export_slides.py) drops those inputs with nbconvert's
// TagRemovePreprocessor.
//
// A slide still taller than the window is made to fit by fit.js (beside this file): an output
// in its own scroll box, or a figure drawn a little smaller, while the slideshow runs.
define(["jquery", "base/js/namespace", "base/js/events", "./fit"],
function ($, Jupyter, events, fit) {
  "use strict";

  var TAG = "hide-input-on-slides";
  var HIDDEN = "cnnlib-slide-input-hidden";
  var LABELS = {
    en: function (n) { return ["Show the code (" + n + " lines)", "Hide the code"]; },
    ko: function (n) { return ["코드 보기 (" + n + "줄)", "코드 숨기기"]; },
  };
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

  function inSlideshow() {
    return document.body.classList.contains("rise-enabled");
  }

  function load_ipython_extension() {
    $("<style id='cnnlib-slides-style'/>").text(CSS).appendTo("head");
    if (Jupyter.notebook && Jupyter.notebook._fully_loaded) {
      hideAll();
    }
    events.on("notebook_loaded.Notebook", hideAll);
    fit.start({ language: language, active: inSlideshow });
    new MutationObserver(function () {
      if (!inSlideshow()) { fit.stop(); }
    }).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  }

  return { load_ipython_extension: load_ipython_extension };
});

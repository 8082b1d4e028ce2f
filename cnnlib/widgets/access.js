// What ipywidgets leaves out for keyboard and screen-reader users, added to one explorer's
// controls in the browser (cnnlib/widgets/access.py explains why each is needed):
// names for slider handles, read-outs and Play buttons; a slider's value said as its read-out
// shows it; disabled sliders out of the Tab order;
// drop-downs whose arrow keys the notebook does not take; keys that RISE and the classic
// Notebook do not take from any control either; a polite live region that says the
// explorer's new state and its refusals.

const HIDDEN = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;" +
  "clip:rect(0 0 0 0);white-space:nowrap;border:0";

function labelOf(control) {
  const label = control.querySelector(":scope > .widget-label");
  return label ? label.textContent.trim() : "";
}

function setAttr(el, name, value) {
  // only when it changes: the observer below must not wake itself up for nothing
  if (el && el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function nameControls(root, words) {
  for (const slider of root.querySelectorAll(".widget-slider")) {
    const name = labelOf(slider);
    const target = slider.querySelector(".noUi-target");
    const disabled = !!target && target.hasAttribute("disabled");
    for (const handle of slider.querySelectorAll(".noUi-handle")) {
      setAttr(handle, "aria-label", name);
      setAttr(handle, "tabindex", disabled ? "-1" : "0");
      setAttr(handle, "aria-disabled", disabled ? "true" : "false");
      setAttr(handle, "data-lm-suppress-shortcuts", "true");   // arrows move the slider
    }
    const readout = slider.querySelector(".widget-readout");
    if (readout) {
      setAttr(readout, "aria-label", `${name}: ${words.readout}`);
      setAttr(readout, "tabindex", disabled ? "-1" : "0");
      // the value as the read-out shows it ("0.11"), not noUiSlider's "0.11000000000000001"
      for (const handle of slider.querySelectorAll(".noUi-handle")) {
        setAttr(handle, "aria-valuetext", readout.textContent.trim());
      }
    }
  }
  for (const select of root.querySelectorAll(".widget-dropdown select")) {
    setAttr(select, "data-lm-suppress-shortcuts", "true");   // JupyterLab's command mode
    setAttr(select, "aria-label", labelOf(select.closest(".widget-dropdown")));
  }
  for (const button of root.querySelectorAll(".widget-play button")) {
    const icon = button.querySelector("i");
    const kind = ["play", "pause", "stop", "repeat"].find(
      (k) => icon && icon.classList.contains(k === "repeat" ? "fa-retweet" : `fa-${k}`));
    if (kind) {
      setAttr(button, "aria-label", words[kind]);
      setAttr(button, "title", words[kind]);
    }
  }
}

// The keys a control uses itself: RISE (reveal.js) turns slides with them and the classic
// Notebook moves between cells, both listening on the document, so a key pressed in a control
// goes no further than the explorer (with a modifier it does: Shift+Enter, Alt+R still work).
// JupyterLab's shortcuts listen before (capture) and are kept off by the attribute above.
const OWN_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End",
                          "PageUp", "PageDown", " ", "Enter"]);
const keeping = new WeakSet();

function keepKeys(root) {
  if (keeping.has(root)) return;  // one listener per explorer, however many controls it has
  keeping.add(root);
  root.addEventListener("keydown", (event) => {
    const modified = event.altKey || event.ctrlKey || event.metaKey || event.shiftKey;
    if (OWN_KEYS.has(event.key) && !modified && event.target !== root) event.stopPropagation();
  });
}

function describeImages(root, text) {
  // a figure explorer's picture is an ipywidgets Image, which has no alt: it gets the
  // explorer's description (its caption's numbers)
  for (const image of root.querySelectorAll(".cnnlib-view img")) setAttr(image, "alt", text);
}

function render({ model, el }) {
  const live = document.createElement("div");
  live.className = "cnnlib-live";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  live.style.cssText = HIDDEN;
  el.appendChild(live);
  let root = null;
  const say = () => {
    live.textContent = model.get("announcement");
    if (root) describeImages(root, model.get("alt"));
  };
  model.on("change:announcement", say);
  model.on("change:alt", say);

  let observer = null;
  const fix = () => {
    if (!root) return;
    observer.disconnect();
    nameControls(root, model.get("words"));
    describeImages(root, model.get("alt"));
    observer.observe(root, { subtree: true, childList: true, attributes: true,
                             attributeFilter: ["disabled", "class"] });
  };
  observer = new MutationObserver(fix);
  model.on("change:words", fix);
  // the explorer's other parts are rendered beside this one, so wait until they are there
  let tries = 0;
  const attach = () => {
    root = el.closest(".cnnlib-explorer-widget");
    if (root) {
      keepKeys(root);
      fix();
      say();
    } else if (tries++ < 200) {
      requestAnimationFrame(attach);
    }
  };
  attach();
  return () => observer.disconnect();
}

export default { render };

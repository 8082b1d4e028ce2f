"""The drawing pad of the trained-network explorer: a 16 x 16 grid to draw a digit on.

Two front ends share one Python model (:class:`PadModel`: pixels, brush, undo):

- :class:`CanvasPad`, an ``anywidget`` component (a small ES module, no build step): mouse,
  pen or touch drawing on a canvas; keyboard: arrow keys move a cursor, Space paints (erases
  with the eraser on). anywidget ships its front-end extension for JupyterLab, the classic
  Notebook (RISE slides) and JupyterLite.
- :class:`KeyboardPad`, plain ipywidgets (used when anywidget is not installed): a cursor moved
  with two sliders (arrow keys on a focused slider) and a "paint" button (Space on it).

Either way the explorer reads ``pad.pixels`` and observes ``pad`` for changes.
"""

from __future__ import annotations

import numpy as np
import traitlets

from ..i18n import tr

SIZE = 16
#: Brush: the pixel under the pointer gets full ink, its four neighbours at least this much,
#: like the soft 2-3 pixel strokes of the enlarged digits (load_digits(size=16)).
SOFT = 0.5

_ESM = r"""
const N = 16;
function render({ model, el }) {
  const cell = model.get("cell");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = N * cell;
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "application");
  canvas.setAttribute("aria-label", model.get("label"));
  canvas.className = "cnnlib-pad";
  canvas.style.cssText = "touch-action:none;cursor:crosshair;border:2px solid #555;" +
    "outline-offset:3px";
  canvas.addEventListener("focus", () => { canvas.style.outline = "3px solid #E69F00"; draw(); });
  canvas.addEventListener("blur", () => { canvas.style.outline = "none"; draw(); });
  const ctx = canvas.getContext("2d");
  let pixels = model.get("pixels").slice();
  let cursor = [model.get("cursor_row"), model.get("cursor_col")];
  let drawing = false;
  let timer = null;

  function draw() {
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
      const v = Math.round(255 * (1 - pixels[r * N + c]));
      ctx.fillStyle = `rgb(${v},${v},${v})`;
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }
    ctx.strokeStyle = "#BBBBBB"; ctx.lineWidth = 0.5;
    for (let i = 1; i < N; i++) {
      ctx.beginPath(); ctx.moveTo(i * cell, 0); ctx.lineTo(i * cell, N * cell); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, i * cell); ctx.lineTo(N * cell, i * cell); ctx.stroke();
    }
    if (document.activeElement === canvas) {
      ctx.strokeStyle = "#E69F00"; ctx.lineWidth = 3;
      ctx.strokeRect(cursor[1] * cell + 1.5, cursor[0] * cell + 1.5, cell - 3, cell - 3);
    }
  }
  function send(now) {              // at most every 40 ms while drawing, at once at the end
    if (timer !== null) { clearTimeout(timer); timer = null; }
    const go = () => { model.set("pixels", pixels.slice()); model.save_changes(); timer = null; };
    if (now) go(); else timer = setTimeout(go, 40);
  }
  function paint(r, c) {
    if (r < 0 || c < 0 || r >= N || c >= N) return;
    const erase = model.get("eraser");
    const put = (rr, cc, v) => {
      if (rr < 0 || cc < 0 || rr >= N || cc >= N) return;
      const i = rr * N + cc;
      pixels[i] = erase ? Math.min(pixels[i], 1 - v) : Math.max(pixels[i], v);
    };
    put(r, c, 1);
    const soft = model.get("soft");
    put(r - 1, c, soft); put(r + 1, c, soft); put(r, c - 1, soft); put(r, c + 1, soft);
    cursor = [r, c];
    draw();
  }
  function startStroke() {
    model.set("stroke", model.get("stroke") + 1); model.save_changes();
  }
  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [Math.floor((event.clientY - box.top) / box.height * N),
            Math.floor((event.clientX - box.left) / box.width * N)];
  }
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true; canvas.setPointerCapture(e.pointerId); canvas.focus();
    startStroke(); paint(...at(e)); send(false);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return; paint(...at(e)); send(false);
  });
  const end = () => { if (drawing) { drawing = false; send(true); } };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("keydown", (e) => {
    const moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
    if (e.key in moves) {
      cursor = [Math.min(N - 1, Math.max(0, cursor[0] + moves[e.key][0])),
                Math.min(N - 1, Math.max(0, cursor[1] + moves[e.key][1]))];
      model.set("cursor_row", cursor[0]); model.set("cursor_col", cursor[1]);
      model.save_changes(); draw();
    } else if (e.key === " " || e.key === "Enter") {
      startStroke(); paint(cursor[0], cursor[1]); send(true);
    } else { return; }
    e.preventDefault(); e.stopPropagation();   // not the notebook's or the slide's shortcuts
  });
  model.on("change:label", () => canvas.setAttribute("aria-label", model.get("label")));
  model.on("change:pixels", () => { pixels = model.get("pixels").slice(); draw(); });
  model.on("change:cursor_row change:cursor_col", () => {
    cursor = [model.get("cursor_row"), model.get("cursor_col")]; draw();
  });
  draw();
  el.appendChild(canvas);
}
export default { render };
"""


class PadModel:
    """Pixels of a 16 x 16 drawing in [0, 1] (1 = ink), with a brush, an eraser and undo.

    Subclasses are widgets whose ``pixels`` trait (256 floats, row by row) is the drawing.
    """

    soft = SOFT

    def _setup_history(self) -> None:
        self.history: list[list[float]] = []
        self._stroke_seen = self.stroke
        self._previous = list(self.pixels)
        self.observe(self._record, names="pixels")

    def _record(self, change) -> None:
        """Keep the drawing as it was before each stroke (a stroke is one undo step)."""
        if self.stroke != self._stroke_seen:
            self._stroke_seen = self.stroke
            self.history.append(list(change["old"]))
        self._previous = list(change["new"])

    @property
    def image(self) -> np.ndarray:
        """The drawing as a (16, 16) float32 array."""
        return np.asarray(self.pixels, np.float32).reshape(SIZE, SIZE)

    def begin_stroke(self) -> None:
        self.stroke += 1

    def paint(self, row: int, col: int, erase: bool | None = None) -> None:
        """One dab of the brush at (row, col): what a pointer or Space does in the browser."""
        erase = self.eraser if erase is None else erase
        pixels = self.image.copy()
        for r, c, v in ((row, col, 1.0), (row - 1, col, self.soft), (row + 1, col, self.soft),
                        (row, col - 1, self.soft), (row, col + 1, self.soft)):
            if 0 <= r < SIZE and 0 <= c < SIZE:
                pixels[r, c] = min(pixels[r, c], 1 - v) if erase else max(pixels[r, c], v)
        self.pixels = [float(v) for v in pixels.ravel()]

    def draw_stroke(self, points, erase: bool | None = None) -> None:
        """A stroke through ``points`` [(row, col), ...], as the browser sends one."""
        self.begin_stroke()
        for row, col in points:
            self.paint(row, col, erase)

    def load(self, image) -> None:
        """Replace the drawing by ``image`` (16 x 16, e.g. a test digit); undoable."""
        self.begin_stroke()
        self.pixels = [float(v) for v in np.clip(np.asarray(image, float), 0, 1).ravel()]

    def clear(self) -> None:
        self.load(np.zeros((SIZE, SIZE)))

    def undo(self) -> None:
        """Back to the drawing before the last stroke (or clear, or load)."""
        if self.history:
            previous = self.history.pop()
            self._stroke_seen = self.stroke = self.stroke + 1   # not recorded as a stroke
            self.pixels = previous


_PAD_TRAITS = dict(
    pixels=traitlets.List(traitlets.Float(), default_value=[0.0] * SIZE * SIZE).tag(sync=True),
    stroke=traitlets.Int(0).tag(sync=True),
    cursor_row=traitlets.Int(SIZE // 2).tag(sync=True),
    cursor_col=traitlets.Int(SIZE // 2).tag(sync=True),
    eraser=traitlets.Bool(False).tag(sync=True),
)


def canvas_pad_class():
    """The anywidget pad class, or ``None`` when anywidget is not installed."""
    try:
        import anywidget
    except ImportError:
        return None

    class CanvasPad(PadModel, anywidget.AnyWidget):
        """Draw with mouse, pen or touch; arrow keys move the cursor, Space paints."""

        _esm = _ESM
        cell = traitlets.Int(18).tag(sync=True)
        soft = traitlets.Float(SOFT).tag(sync=True)
        label = traitlets.Unicode("").tag(sync=True)
        locals().update(_PAD_TRAITS)

        def __init__(self, **kwargs):
            # the name is in the widget's first state: a trait set after creation may reach
            # a busy front end only after the pad is drawn (and read by a screen reader)
            kwargs.setdefault("label", tr(
                "drawing pad, 16 × 16: draw with the mouse, or move the cursor "
                "with the arrow keys and paint with Space"))
            super().__init__(**kwargs)
            self._setup_history()

    return CanvasPad


def keyboard_pad_class():
    """A pad without a front-end component: the explorer adds cursor sliders and a paint
    button (see :func:`cnnlib.widgets.trained_net.trained_net_explorer`)."""
    class KeyboardPad(PadModel, traitlets.HasTraits):
        locals().update(_PAD_TRAITS)

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._setup_history()

    return KeyboardPad

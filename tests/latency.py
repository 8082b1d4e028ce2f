"""Key press -> new picture: how the browser tests time an explorer, in any front end.

One measurement, shared by JupyterLab (``tests/test_browser.py``), the lecture's classic
Notebook with RISE and the JupyterLite site (``tests/test_latency.py``):

1. :data:`MESSAGES_JS` goes into the page before it loads (``page.add_init_script``): it
   stamps every message the page sends to the kernel and every message it receives (a
   WebSocket for a Jupyter server; a Worker and its MessagePorts for JupyterLite's Pyodide
   kernel), with ``performance.now()``;
2. :func:`measure` focuses the explorer's first slider and presses ArrowRight / ArrowLeft
   :data:`PRESSES` times. Per press it records, in the page: the key press; the first message
   sent after it; the last message received before the picture changed; the picture's change
   (a DOM mutation under the explorer's view); the end of the next frame (the picture painted).
   After every press it checks that the picture differs from the one before;
3. :data:`KERNEL_TIMER` (run in the kernel through the front end's own ``execute``; the times
   come back in the reply, :data:`KERNEL_READ`) times every
   explorer draw inside the kernel (``Explorer._run``: the picture computed and its new value
   sent), so that kernel time, round trip and the page's own work can be told apart;
4. Chromium's own counters (``Performance.getMetrics`` over CDP: script, style, layout time)
   before and after the presses say where the page's time goes.

The figures are printed, never asserted (a loaded machine is slower): the machine's load is
printed with them.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass, field

PRESSES = 8                       # key presses per explorer for the latency figures

#: Runs before the page's own scripts: stamps messages to and from the kernel.
MESSAGES_JS = """
(() => {
  const m = window.__messages = {sent: [], received: []};
  const stamp = (list) => list.push(performance.now());
  const NativeSocket = window.WebSocket;
  if (NativeSocket) {
    const send = NativeSocket.prototype.send;
    NativeSocket.prototype.send = function (...args) {
      stamp(m.sent); return send.apply(this, args);
    };
    window.WebSocket = class extends NativeSocket {
      constructor(...args) {       // registered before the page's own onmessage: runs first
        super(...args);
        this.addEventListener('message', () => stamp(m.received));
      }
    };
  }
  // JupyterLite: the kernel is a Worker; its replies may come through MessagePorts
  const wrapped = new WeakMap();
  for (const Type of [window.Worker, window.MessagePort]) {
    if (!Type) continue;
    const post = Type.prototype.postMessage;
    Type.prototype.postMessage = function (...args) {
      stamp(m.sent); return post.apply(this, args);
    };
    const add = Type.prototype.addEventListener, remove = Type.prototype.removeEventListener;
    Type.prototype.addEventListener = function (type, listener, ...rest) {
      if (type !== 'message' || typeof listener !== 'function') {
        return add.call(this, type, listener, ...rest);
      }
      if (!wrapped.has(listener)) {
        wrapped.set(listener, function (event) {
          stamp(m.received); return listener.call(this, event);
        });
      }
      return add.call(this, type, wrapped.get(listener), ...rest);
    };
    Type.prototype.removeEventListener = function (type, listener, ...rest) {
      return remove.call(this, type, wrapped.get(listener) || listener, ...rest);
    };
  }
})();
"""

#: Installed on one explorer's view: per arrow-key press, when things happened.
LATENCY_JS = """
(view) => {
  const presses = [];
  let current = null;
  const onKey = (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    current = {key: performance.now()};
    presses.push(current);
  };
  document.addEventListener('keydown', onKey, true);
  const observer = new MutationObserver(() => {
    const press = current;
    if (press === null) return;
    current = null;
    press.dom = performance.now();
    const m = window.__messages;
    if (m) {
      press.sent = m.sent.find(t => t >= press.key);
      const got = m.received.filter(t => t >= (press.sent ?? press.key) && t <= press.dom);
      if (got.length) press.received = got[got.length - 1];
    }
    requestAnimationFrame(() => setTimeout(() => { press.painted = performance.now(); }, 0));
  });
  observer.observe(view, {subtree: true, childList: true, characterData: true,
                          attributes: true});
  window.__latency = {presses, stop: () => {
    observer.disconnect();
    document.removeEventListener('keydown', onKey, true);
    return presses;
  }};
}
"""

#: A short fingerprint of what a view shows (an image's data, or the markup).
PICTURE_JS = """
(el) => {
  const img = el.tagName === 'IMG' ? el : null;
  const text = img ? img.src : el.innerHTML;
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return `${text.length}:${hash}`;
}
"""

#: Python run in the kernel before the presses: times every explorer draw from now on.
KERNEL_TIMER = """
import json as _json
import time as _time
import cnnlib.widgets.base as _base
if not hasattr(_base, "_draw_ms"):
    _base._draw_ms, _untimed = [], _base.Explorer._run
    def _timed_run(self, action, _untimed=_untimed):
        start = _time.perf_counter()
        try:
            _untimed(self, action)
        finally:
            _base._draw_ms.append((_time.perf_counter() - start) * 1000)
    _base.Explorer._run = _timed_run
    def _take_draws():
        taken = _json.dumps(_base._draw_ms)
        _base._draw_ms.clear()
        return taken
    _base._take_draws = _take_draws
_base._draw_ms.clear()
"""
#: An expression whose value is the draw times since the last call, as JSON (they are
#: forgotten); it comes back in the reply itself (``user_expressions``), not as printed text.
KERNEL_READ = "__import__('cnnlib.widgets.base', fromlist=['_'])._take_draws()"

#: How a JupyterLab-based page (JupyterLab, JupyterLite) runs ``code`` in the notebook's kernel
#: and then evaluates ``expression``; returns the expression's ``text/plain`` (or the error).
LAB_EXECUTE_JS = """
async ([code, expression]) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false,
                                        user_expressions: {value: expression}});
  const reply = await future.done;
  if (reply.content.status !== 'ok') return `${reply.content.ename}: ${reply.content.evalue}`;
  const value = (reply.content.user_expressions || {}).value;
  if (value) {
    return value.status === 'ok' ? value.data['text/plain'] : `${value.ename}: ${value.evalue}`;
  }
  // JupyterLite's Pyodide kernel leaves user_expressions out: print the value instead (its
  // output comes before the reply there: one worker, in order)
  const printing = kernel.requestExecute({code: `print(repr(${expression}))`,
                                          store_history: false});
  let out = '';
  printing.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += `${msg.content.ename}: ${msg.content.evalue}`;
  };
  await printing.done;
  return out.trim();
}
"""
#: The same in the classic Notebook (RISE's page).
CLASSIC_EXECUTE_JS = """
([code, expression]) => new Promise((resolve) => {
  Jupyter.notebook.kernel.execute(code, {shell: {reply: (reply) => {
    if (reply.content.status !== 'ok') {
      resolve(`${reply.content.ename}: ${reply.content.evalue}`);
      return;
    }
    const value = reply.content.user_expressions.value;
    resolve(value.status === 'ok' ? value.data['text/plain'] : `${value.ename}: ${value.evalue}`);
  }}}, {silent: false, store_history: false, user_expressions: {value: expression}});
})
"""


def expose_lite_app(page) -> None:
    """Let :data:`LAB_EXECUTE_JS` reach JupyterLite's app: every ``jupyter-lite.json`` the
    ``page`` loads says ``exposeAppInBrowser`` (``window.jupyterapp``; JupyterLab's server
    option ``--LabApp.expose_app_in_browser``). Call it before the page opens the site."""

    def fulfil(route):
        response = route.fetch()
        config = response.json()
        config.setdefault("jupyter-config-data", {})["exposeAppInBrowser"] = "true"
        route.fulfill(response=response, json=config)

    page.route("**/jupyter-lite.json", fulfil)


#: Chromium's counters that :func:`measure` reads before and after the presses (seconds).
COUNTERS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "TaskDuration")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``: the nearest rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load() -> str:
    """The machine's load averages (1, 5, 15 min), as ``uptime`` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Latency:
    """One explorer's presses in one front end (ms). ``painted`` is what the audience sees;
    the parts split it: ``to_send`` (key -> message out), ``round_trip`` (message out -> last
    message in before the change), ``to_dom`` (that message -> DOM change), ``to_paint``
    (DOM change -> frame painted); ``kernel`` the draws timed in the kernel; ``page`` Chromium's
    script / style / layout / task time per press."""

    name: str
    painted: list[float]
    dom: list[float]
    to_send: list[float] = field(default_factory=list)
    round_trip: list[float] = field(default_factory=list)
    to_dom: list[float] = field(default_factory=list)
    to_paint: list[float] = field(default_factory=list)
    kernel: list[float] = field(default_factory=list)
    page: dict = field(default_factory=dict)
    load: str = ""

    def row(self) -> str:
        def p(values, q):
            return f"{percentile(values, q):5.0f}" if values else "    -"

        page = " ".join(f"{k.removesuffix('Duration').lower()} {v:.0f}"
                        for k, v in self.page.items())
        return (f"{self.name:16} {p(self.painted, .5)} {p(self.painted, .95)} "
                f"{p(self.dom, .95)} | {p(self.to_send, .5)} {p(self.round_trip, .5)} "
                f"{p(self.to_dom, .5)} {p(self.to_paint, .5)} | {p(self.kernel, .5)} "
                f"{p(self.kernel, .95)} | {page} | load {self.load}")


HEADER = ("explorer           p50   p95 dom95 | send  trip   dom paint | kern kern95 | "
          "page ms per press (Chromium)     | load 1/5/15 min\n"
          "                  painted          | medians of the parts  | draw in kernel")


def table(title: str, rows: list[Latency]) -> str:
    """The figures of one front end, one line per explorer, to print."""
    return "\n".join([f"\nkey press -> picture, {title} (ms, {PRESSES} presses each):",
                      HEADER, *(r.row() for r in rows)])


def _counters(cdp) -> dict:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {k: metrics[k] for k in COUNTERS}


def measure(page, explorer, name: str, execute_js: str | None = None, cdp=None,
            presses: int = PRESSES) -> Latency:
    """Press ArrowRight / ArrowLeft ``presses`` times on ``explorer``'s first slider (a
    Playwright locator of a ``.cnnlib-explorer-widget``) and time each press to the new
    picture; fail if a press does not change the picture.

    ``execute_js`` (:data:`LAB_EXECUTE_JS` or :data:`CLASSIC_EXECUTE_JS`): time the draws in
    the kernel too. ``cdp``: a CDP session of ``page`` with ``Performance`` enabled, for
    Chromium's counters. The page must have :data:`MESSAGES_JS` for the round trip.
    """
    explorer.scroll_into_view_if_needed()
    view = explorer.locator(".cnnlib-view").first
    if view.locator("img.widget-image").count():    # a matplotlib explorer: its image widget
        view = view.locator("img.widget-image").first
    view = view.element_handle()
    if execute_js:
        page.evaluate(execute_js, [KERNEL_TIMER, "None"])
    handle = explorer.locator(".noUi-handle").first
    page.evaluate(LATENCY_JS, view)
    handle.focus()
    before = page.evaluate(PICTURE_JS, view)
    counted = _counters(cdp) if cdp else None
    for n in range(presses):
        page.keyboard.press("ArrowRight" if n % 2 == 0 else "ArrowLeft")
        page.wait_for_function(
            "n => { const p = window.__latency.presses[n];"
            "       return p !== undefined && p.painted !== undefined; }",
            arg=n, timeout=30_000)
        page.wait_for_timeout(100)       # the rest of this update's messages, if any
        after = page.evaluate(PICTURE_JS, view)
        assert after != before, f"{name}: key press {n + 1} did not change the picture"
        before = after
    spent = {k: (v - counted[k]) * 1000 / presses
             for k, v in _counters(cdp).items()} if cdp else {}
    found = page.evaluate("window.__latency.stop()")
    kernel = []
    if execute_js:
        taken = page.evaluate(execute_js, ["", KERNEL_READ])
        try:
            kernel = json.loads(ast.literal_eval(taken))
        except (ValueError, SyntaxError) as error:
            raise AssertionError(f"{name}: the kernel's draw times could not be read: "
                                 f"{taken!r}") from error

    def parts(start, end):
        return [p[end] - p[start] for p in found if start in p and end in p]

    return Latency(name, painted=parts("key", "painted"), dom=parts("key", "dom"),
                   to_send=parts("key", "sent"), round_trip=parts("sent", "received"),
                   to_dom=parts("received", "dom"), to_paint=parts("dom", "painted"),
                   kernel=kernel, page=spent, load=load())





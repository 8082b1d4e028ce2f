"""Keyboard only, in an explorer: Tab from its first control to the last, operating every
slider, drop-down and tick box on the way with its own key (the same walk in JupyterLab,
the classic Notebook's RISE slideshow and JupyterLite; ``tests/test_accessibility.py`` and
``tests/test_latency.py`` call it).

At every stop: it is inside the explorer, enabled and named. Every slider (ArrowRight, or
ArrowLeft at its maximum), drop-down (ArrowDown, or ArrowUp at its last option) and tick box
(Space) then gets its key: the explorer's live region must say something new within 30 s, the
control's value must change (for a slider, as its read-out shows it: "0.11", never
"0.11000000000000001"), the focus must stay on it, and ``place()`` (the slide, or the active
cell) must stay the same. Tab must leave the explorer within 60 stops (no trap).
"""

from __future__ import annotations

import re

#: The accessible name of the focused element, as a screen reader would compute it for the
#: elements the explorers use (aria-label, aria-labelledby, <label>, a button's text, title).
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  const byId = (ids) => ids.split(/\\s+/).map(i => document.getElementById(i))
                           .filter(Boolean).map(e => e.textContent.trim()).join(' ');
  let name = el.getAttribute('aria-label') || '';
  if (!name && el.getAttribute('aria-labelledby')) name = byId(el.getAttribute('aria-labelledby'));
  if (!name && el.labels && el.labels.length) name = el.labels[0].textContent.trim();
  if (!name && ['BUTTON', 'SUMMARY', 'A'].includes(el.tagName)) name = el.textContent.trim();
  if (!name) name = el.getAttribute('title') || '';
  const explorer = el.closest('.cnnlib-explorer-widget');
  const all = [...document.querySelectorAll('.cnnlib-explorer-widget')];
  return {tag: el.tagName.toLowerCase(), role: el.getAttribute('role') || '', name,
          disabled: el.disabled === true || el.getAttribute('aria-disabled') === 'true'
                    || !!el.closest('[disabled]'),
          explorer: explorer ? all.indexOf(explorer) : -1,
          value: el.getAttribute('aria-valuetext') || el.getAttribute('aria-valuenow')
                 || el.value || ''};
}
"""

#: The key that operates the focused control, if it is a slider (ArrowRight, or ArrowLeft at
#: its maximum; none when it has one value), a drop-down (ArrowDown, or ArrowUp at its last
#: option) or a tick box (Space); ``null`` for anything else (buttons, read-outs, the drawing
#: pad, scroll boxes).
OPERATING_KEY_JS = """
() => {
  const el = document.activeElement;
  if (el.getAttribute('role') === 'slider') {
    const now = Number(el.getAttribute('aria-valuenow'));
    const low = Number(el.getAttribute('aria-valuemin'));
    const high = Number(el.getAttribute('aria-valuemax'));
    if (low >= high) return null;                      // one value: nothing to move
    return now >= high ? 'ArrowLeft' : 'ArrowRight';
  }
  if (el.tagName === 'SELECT') {
    return el.selectedIndex >= el.options.length - 1 ? 'ArrowUp' : 'ArrowDown';
  }
  if (el.tagName === 'INPUT' && el.type === 'checkbox') return 'Space';
  return null;
}
"""

#: The index of JupyterLab's active cell (a key the notebook took would move it).
ACTIVE_CELL_JS = """
() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
        .findIndex(c => c.classList.contains('jp-mod-active'))
"""

#: The focused control's value changed from ``old`` (a slider's as said, a drop-down's).
CHANGED_JS = """
old => { const el = document.activeElement;
         return (el.getAttribute('aria-valuetext') || el.value) !== old; }
"""


def operate_every_control(page, explorer, index: int, where: str, place=None) -> tuple:
    """Walk ``explorer`` (a Playwright locator of the ``index``-th ``.cnnlib-explorer-widget``
    on ``page``, on screen) by keyboard as the module says; ``place()`` returns where the page
    is (a slide's indices, the active cell), which no key may change. Returns (Tab stops,
    controls operated)."""
    from playwright.sync_api import expect

    live = explorer.locator(".cnnlib-live")
    expect(live).to_have_count(1)
    here = place() if place else None
    explorer.locator("[tabindex='0'], select, button, input").first.focus()
    stops, moved = [], 0
    while True:
        info = page.evaluate(FOCUSED_JS)
        if info["explorer"] != index:
            break                                               # Tab left the explorer
        what = f"{where}, explorer {index}, {info['name']!r}"
        assert not info["disabled"], f"{what}: a disabled stop {info}"
        assert info["name"].strip(), f"{where}, explorer {index}: a stop without a name {info}"
        stops.append(info)
        assert len(stops) < 60, f"{where}, explorer {index}: Tab does not leave it (a trap?)"
        key = page.evaluate(OPERATING_KEY_JS)
        if key:
            before = live.text_content()
            page.keyboard.press(key)
            try:
                expect(live).not_to_have_text(before, timeout=30_000)
            except AssertionError as error:
                raise AssertionError(f"{what}: {key} said nothing new: {before!r}") from error
            if key != "Space":                 # a tick box's value attribute stays "on"
                page.wait_for_function(CHANGED_JS, arg=info["value"], timeout=30_000)
            after = page.evaluate(FOCUSED_JS)
            assert (after["explorer"], after["name"]) == (index, info["name"]), \
                f"{what}: {key} moved the focus to {after}"
            assert not re.search(r"\d{7}", after["value"]), \
                f"{what}: its value is said as {after['value']!r}"
            if place:
                assert place() == here, f"{what}: {key} moved the page from {here}"
            moved += 1
        page.keyboard.press("Tab")
    assert stops, f"{where}, explorer {index}: nothing to reach with Tab"
    assert moved >= 2, f"{where}, explorer {index}: only {moved} controls operated by keyboard"
    return len(stops), moved


def summary(walks: list[tuple]) -> str:
    """One line: Tab stops and controls operated per explorer, and the totals."""
    return (f"{len(walks)} explorers, Tab stops " + ", ".join(str(s) for s, _ in walks)
            + "; controls operated by key and said " + ", ".join(str(m) for _, m in walks)
            + f" ({sum(m for _, m in walks)} in all)")

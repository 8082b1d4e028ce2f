"""Small HTML pieces around the SVG pictures: notes, formulas, tables."""

from __future__ import annotations

from html import escape

from ..i18n import N_, explain, get_language, tr
from .style import FONT_FAMILY, OKABE_ITO

_NOTE = {  # kind: (word shown before the text, border colour)
    "info": ("", OKABE_ITO["blue"]),
    "ok": (N_("OK:"), OKABE_ITO["bluish_green"]),
    "warning": (N_("Note:"), OKABE_ITO["orange"]),
    "error": (N_("Not possible:"), OKABE_ITO["vermillion"]),
}


def plural(n: int, word: str, words: str = "") -> str:
    """``"1 layer"``, ``"2 layers"``, ``"no zeros"``: a count with its noun.

    Korean has no plural: there the catalog's entry for ``word`` with msgctxt ``count`` gives
    the whole phrase (``"계층 {n}개"`` for ``layer``).
    """
    many = words or word + "s"
    if get_language() != "en":
        return tr(word, "count", n=n)
    return f"no {many}" if n == 0 else f"{n} {word if n == 1 else many}"


def number(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, never ``"-0.00"`` (a tiny negative rounds to 0)."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def note(message, kind: str = "info") -> str:
    """A boxed message; the kind is said in words as well as by the border colour.

    ``message`` may be a refused setting's exception: its text is then translated
    (:func:`cnnlib.i18n.explain`).
    """
    if isinstance(message, BaseException):
        message = explain(message)
    word, colour = _NOTE[kind]
    prefix = f"<b>{tr(word)}</b> " if word else ""
    return (f'<div class="cnnlib-note cnnlib-{kind}" style="border-left:6px solid {colour};'
            f'padding:4px 10px;margin:4px 0;font-size:16px">{prefix}{escape(message)}</div>')


def formula(lines) -> str:
    """Lines of arithmetic in a monospace block."""
    body = "<br>".join(escape(line) for line in lines)
    # long lines wrap (at 200 % zoom or in a narrow column) instead of scrolling sideways
    return (f'<div class="cnnlib-formula" style="font-family:monospace;font-size:17px;'
            f'margin:4px 0;overflow-wrap:anywhere">{body}</div>')


def table(header, rows, highlight: int | None = None) -> str:
    """A plain HTML table; the row ``highlight`` is bold and marked with an arrow."""
    head = "".join(f"<th style='padding:2px 8px'>{escape(str(h))}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        style = "font-weight:bold;background:#FFF6C2" if i == highlight else ""
        mark = "&#9654; " if i == highlight else ""
        cells = "".join(f"<td style='padding:2px 8px;text-align:right'>{escape(str(v))}</td>"
                        for v in row)
        body.append(f"<tr style='{style}'><td>{mark}</td>{cells}</tr>")
    return scroll_box(f"<table class='cnnlib-table' style='font-size:15px;"
                      f"border-collapse:collapse'><tr><th></th>{head}</tr>{''.join(body)}</table>")


#: The names of the boxes that scroll sideways, as assistive technology says them.
_REGIONS = {"cnnlib-scroll": N_("wide table"), "cnnlib-explorer": N_("explorer picture")}


def _scrolling(kind: str, style: str = "") -> str:
    """The opening tag of a box of class ``kind`` that scrolls sideways when its content is
    wider than the column: a named region that Tab reaches, so that a keyboard alone can
    scroll it with the arrow keys (WCAG 2.1.1; axe's scrollable-region-focusable), and whose
    keys JupyterLab's shortcuts leave alone (Lumino's ``data-lm-suppress-shortcuts``)."""
    return (f'<div class="{kind}" role="region" tabindex="0" '
            f'aria-label="{escape(tr(_REGIONS[kind]))}" data-lm-suppress-shortcuts="true" '
            f'style="{style}max-width:100%;overflow-x:auto">')


def scroll_box(markup: str) -> str:
    """A wide table in its own sideways-scrolling box, so that the text around it still
    reflows in a narrow column (WCAG 1.4.10 lets a data table scroll)."""
    return f'{_scrolling("cnnlib-scroll")}{markup}</div>'


def panel(*parts: str) -> str:
    """Stack HTML parts in one explorer panel; a picture wider than the notebook scrolls
    sideways inside it (at its own size: shrunk, its text would be too small to read)."""
    return (f'{_scrolling("cnnlib-explorer", f"font-family:{FONT_FAMILY};font-size:16px;")}'
            f'{"".join(parts)}</div>')

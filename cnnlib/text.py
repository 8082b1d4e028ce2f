"""Text that lines up in a monospace font, in English and in Korean: the one padding helper.

Python's ``f"{label:<10}"`` and ``str.ljust`` count *characters*, but a Hangul syllable (like
every East Asian wide or fullwidth character) takes *two* columns of a monospace font, so a
table whose labels are Korean comes out ragged. Every table cnnlib prints, and every table the
notebooks print, pads through this module instead::

    >>> display_width("계층 size")
    9
    >>> pad("계층", 6) + "|"
    '계층  |'
    >>> print(table([("계층", "크기"), ("conv1", 55)], align="<>"))
    계층   크기
    conv1    55

Widths follow Unicode's East Asian Width property (``unicodedata.east_asian_width``): ``W``
(wide) and ``F`` (fullwidth) characters take two columns, combining marks none, everything else
one, which is what terminals and Jupyter's monospace output do with Hangul.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

__all__ = ["display_width", "pad", "table"]

ALIGNMENTS = "<>^"


def display_width(text) -> int:
    """The number of columns ``text`` takes in a monospace font.

    Parameters
    ----------
    text : str
        Anything else is shown with ``str()`` first.

    Returns
    -------
    int
        Two per East Asian wide or fullwidth character (Hangul, CJK ideographs, fullwidth
        forms), none per combining mark, one per other character.
    """
    width = 0
    for ch in str(text):
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def pad(text, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` display columns, like ``f"{text:<{width}}"``.

    Parameters
    ----------
    text : str
        Anything else is shown with ``str()`` first.
    width : int
        Columns to fill; text already as wide or wider is returned as it is (never cut).
    align : {"<", ">", "^"}
        Left, right or centred (an odd leftover space goes to the right, as in ``str.center``
        for ``format``'s ``^``).

    Returns
    -------
    str
    """
    if align not in ALIGNMENTS:
        raise ValueError(f"align must be one of '<', '>', '^' (left, right, centre), got "
                         f"{align!r}.")
    text = str(text)
    gap = max(0, width - display_width(text))
    if align == "<":
        return text + " " * gap
    if align == ">":
        return " " * gap + text
    return " " * (gap // 2) + text + " " * (gap - gap // 2)


def table(rows: Iterable[Sequence], align: str = "", sep: str = "  ",
          widths: Sequence[int] | None = None) -> str:
    """Rows of cells as lines whose columns line up by display width.

    Parameters
    ----------
    rows : iterable of sequences
        The first row is usually the header. A cell that is not a string is shown with
        ``str()``, so format numbers first (``f"{count:,}"``) to choose how they look. Rows may
        be shorter than the longest (missing cells are empty).
    align : str
        One of ``<``, ``>``, ``^`` per column (``"<>>"``: first column left, the others right);
        columns beyond it are left-aligned.
    sep : str
        What separates two columns (``"  "``; ``" | "`` draws a rule).
    widths : sequence of int, optional
        The least width of each column; by default each column is as wide as its widest cell.

    Returns
    -------
    str
        The lines joined with newlines, trailing spaces removed.
    """
    rows = [[str(cell) for cell in row] for row in rows]
    columns = max((len(row) for row in rows), default=0)
    for ch in align:
        if ch not in ALIGNMENTS:
            raise ValueError(f"align must be a string of '<', '>' and '^', one per column, got "
                             f"{align!r}.")
    least = list(widths or []) + [0] * columns
    width = [max([least[i]] + [display_width(row[i]) for row in rows if i < len(row)])
             for i in range(columns)]
    sides = align.ljust(columns, "<")
    return "\n".join(
        sep.join(pad(row[i] if i < len(row) else "", width[i], sides[i])
                 for i in range(columns)).rstrip()
        for row in rows)

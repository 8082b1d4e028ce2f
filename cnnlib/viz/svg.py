"""The one SVG helper every grid picture is made of.

A picture is built from :class:`Piece` objects (an SVG fragment drawn at the origin, with its
width and height), placed with :func:`hstack` / :func:`vstack` and wrapped by
:func:`document`. :func:`grid` draws a grid of cells; each cell has a *kind* (a key of
:data:`cnnlib.viz.style.CELL_STYLES`) and optionally a label. Every cell ``<rect>`` carries
``data-role``, ``data-kind``, ``data-r`` and ``data-c`` so that tests (and curious students) can
read the picture back.
"""

from __future__ import annotations

import itertools
from html import escape
from typing import NamedTuple
from unicodedata import east_asian_width

import numpy as np

from ..i18n import tr, words
from .style import CELL, CELL_STYLES, FONT_FAMILY, FONT_SIZE, OKABE_ITO, TITLE_SIZE

#: Grids with more cells than this along an axis are drawn as blocks, without labels.
MAX_DRAWN_CELLS = 40
#: Unlabelled grids larger than this are drawn as blocks too (same look, far fewer elements).
MAX_PER_CELL = 16
BIG_GRID_SIDE = 240  # px, side of a grid drawn as blocks


class Piece(NamedTuple):
    """An SVG fragment drawn from (0, 0), and the size of its bounding box in px."""

    svg: str
    width: float
    height: float


#: Pattern ids in a piece's SVG end with this placeholder; :func:`document` replaces it by a
#: number unique to the picture, so two pictures on one page never share (or lose) patterns.
ID = "-cnnlib-id"
_documents = itertools.count(1)


def _rect(x, y, w, h, kind, extra=""):
    fill, stroke, width, pattern, _ = CELL_STYLES[kind]
    paint = f"url(#{pattern}{ID})" if pattern else fill
    under = f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"/>' if pattern else ""
    return (f'{under}<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{paint}" '
            f'stroke="{stroke}" stroke-width="{width}" data-kind="{kind}"{extra}/>')


def _label_width(characters: int, size: float) -> float:
    """Width in px of a label in the sans-serif font (digits are about 0.62 em wide)."""
    return 0.62 * size * characters


def columns(s: str) -> float:
    """The length of ``s`` in Latin letters' widths: a Hangul syllable (or another wide East
    Asian character) is about 1 em, some 1.65 Latin letters."""
    return sum(1.65 if east_asian_width(ch) in "WF" else 1 for ch in str(s))


def _text(x, y, s, size=FONT_SIZE, anchor="middle", weight="normal"):
    return (f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" dominant-baseline="central">{escape(str(s))}</text>')


def grid(kinds, labels=None, *, role: str, title: str = "", cell: int = CELL) -> Piece:
    """Draw a grid of cells.

    Parameters
    ----------
    kinds : array_like of str, shape (rows, cols)
        Kind of each cell, a key of ``CELL_STYLES`` (``"input"``, ``"pad"``, ``"window"``...).
    labels : array_like of str, shape (rows, cols), optional
        Text written in each cell (``""`` for none).
    role : str
        What the grid is (``"input"``, ``"output"``...), stored as ``data-role`` on each cell.
    title : str
        Caption above the grid.
    cell : int
        Side of a cell in px, widened (cells stay square) so the longest label fits inside.
        Grids larger than ``MAX_DRAWN_CELLS`` (or unlabelled ones larger
        than ``MAX_PER_CELL``) are drawn as blocks (one rectangle per run of equal cells, with
        the grid lines as one path), and without labels.
    """
    kinds = np.asarray(kinds, dtype=object)
    rows, cols = kinds.shape
    top = TITLE_SIZE + 10 if title else 0
    parts = [_text(0, TITLE_SIZE / 2, title, TITLE_SIZE, "start", "bold")] if title else []
    if max(rows, cols) > MAX_DRAWN_CELLS:
        cell = BIG_GRID_SIDE / max(rows, cols)
    elif labels is not None:
        longest = max((columns(v) for line in labels for v in line), default=0)
        cell = max(cell, _label_width(longest, FONT_SIZE) + 8)
    if labels is None and max(rows, cols) > MAX_PER_CELL or max(rows, cols) > MAX_DRAWN_CELLS:
        parts.append(f'<g transform="translate(0,{top})">{_blocks(kinds, cell, role)}</g>')
    else:
        parts.append(f'<g transform="translate(0,{top})">')
        for r in range(rows):
            for c in range(cols):
                parts.append(_rect(c * cell, r * cell, cell, cell, kinds[r, c],
                                   f' data-role="{role}" data-r="{r}" data-c="{c}"'))
                if labels is not None and labels[r][c] != "":
                    parts.append(_text((c + 0.5) * cell, (r + 0.5) * cell, labels[r][c],
                                       FONT_SIZE if cell >= 28 else FONT_SIZE - 4))
        parts.append("</g>")
    width = max(cols * cell, 0.62 * TITLE_SIZE * columns(title))
    return Piece("".join(parts), width, top + rows * cell)


def _blocks(kinds: np.ndarray, cell: float, role: str) -> str:
    """Draw a grid as one rectangle per run of equal kinds (equal rows merged) plus one path
    for the grid lines: a few elements instead of one per cell."""
    rows, cols = kinds.shape
    parts = [_rect(0, 0, cols * cell, rows * cell, "input", f' data-role="{role}-frame"')]
    changes = np.flatnonzero((kinds[1:] != kinds[:-1]).any(axis=1)) + 1
    for r, r_end in zip(np.r_[0, changes], np.r_[changes, rows]):
        line = kinds[r]
        bounds = np.r_[0, np.flatnonzero(line[1:] != line[:-1]) + 1, cols]
        for c, c_end in zip(bounds[:-1], bounds[1:]):
            if line[c] != "input":
                parts.append(_rect(c * cell, r * cell, (c_end - c) * cell, (r_end - r) * cell,
                                   line[c], f' data-role="{role}" data-r="{r}" data-c="{c}" '
                                   f'data-rows="{r_end - r}" data-cols="{c_end - c}"'))
    if cell >= 4:
        lines = [f"M{i * cell:.1f} 0V{rows * cell:.1f}" for i in range(1, cols)]
        lines += [f"M0 {i * cell:.1f}H{cols * cell:.1f}" for i in range(1, rows)]
        parts.append(f'<path d="{"".join(lines)}" stroke="#555555" stroke-width="0.5" '
                     f'fill="none"/>')
    return "".join(parts)


def text(lines, size: int = FONT_SIZE, weight: str = "normal") -> Piece:
    """A block of text lines."""
    lines = [lines] if isinstance(lines, str) else list(lines)
    step = size * 1.4
    svg = "".join(_text(0, step * (i + 0.5), line, size, "start", weight)
                  for i, line in enumerate(lines))
    return Piece(svg, max((0.6 * size * columns(s) for s in lines), default=0),
                 step * len(lines))


def legend(kinds) -> Piece:
    """Swatches with words for the given cell kinds (colour is never the only cue)."""
    parts, x = [], 0
    for kind in kinds:
        parts.append(_rect(x, 2, 20, 20, kind))
        label = words(CELL_STYLES[kind][4], "legend")
        parts.append(_text(x + 26, 12, label, FONT_SIZE - 1, "start"))
        x += 26 + 0.6 * (FONT_SIZE - 1) * columns(label) + 18
    return Piece("".join(parts), x, 24)


def legend_text(kinds) -> str:
    """What a :func:`legend` of these kinds says, as one sentence (its pictures' text
    alternative): ``"legend: padding, under the kernel, current output"``."""
    return tr("legend: {entries}", entries=", ".join(words(CELL_STYLES[kind][4], "legend")
                                                     for kind in kinds))


def span_text(cells) -> str:
    """Row or column indices as a text alternative says them: ``"2-4"`` for a run, ``"0, 2,
    4"`` otherwise (a dilated kernel), ``"2"`` for one."""
    cells = sorted(int(c) for c in cells)
    if len(cells) > 1 and cells == list(range(cells[0], cells[-1] + 1)):
        return f"{cells[0]}-{cells[-1]}"
    return ", ".join(map(str, cells))


def rows_text(labels) -> str:
    """The values of a grid row by row, as a text alternative reads them out: rows separated
    by ``" / "``, the values of a row by ``", "`` (``"1, 2 / 3, 4"``)."""
    return " / ".join(", ".join(str(v) for v in row) for row in labels)


def _place(piece: Piece, x: float, y: float) -> str:
    return f'<g transform="translate({x:g},{y:g})">{piece.svg}</g>'


def hstack(pieces, gap: float = 28) -> Piece:
    """Place pieces left to right, aligned at the top."""
    pieces = [p for p in pieces if p is not None]
    parts, x = [], 0.0
    for piece in pieces:
        parts.append(_place(piece, x, 0))
        x += piece.width + gap
    return Piece("".join(parts), max(x - gap, 0), max((p.height for p in pieces), default=0))


def vstack(pieces, gap: float = 18) -> Piece:
    """Place pieces top to bottom, aligned on the left."""
    pieces = [p for p in pieces if p is not None]
    parts, y = [], 0.0
    for piece in pieces:
        parts.append(_place(piece, 0, y))
        y += piece.height + gap
    return Piece("".join(parts), max((p.width for p in pieces), default=0), max(y - gap, 0))


_DEFS = (
    "<defs>"
    f'<pattern id="hatch{ID}" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#E6E6E6"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#AAAAAA" stroke-width="3"/></pattern>'
    f'<pattern id="cross{ID}" width="10" height="10" patternUnits="userSpaceOnUse">'
    '<rect width="10" height="10" fill="#F7C8A6"/>'
    f'<path d="M0 0L10 10M10 0L0 10" stroke="{OKABE_ITO["vermillion"]}" stroke-width="1.2"/>'
    "</pattern>"
    f'<pattern id="dots{ID}" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#FFFFFF"/><circle cx="4" cy="4" r="1.3" fill="#999"/>'
    "</pattern></defs>"
)


def document(piece: Piece, description: str, margin: float = 6) -> str:
    """Wrap a piece into a standalone ``<svg>`` element with an accessible description.

    Its pattern ids get a number unique to this picture (``hatch-3``...): every rendering is
    a new picture, and one page may hold several.
    """
    w, h = piece.width + 2 * margin, piece.height + 2 * margin
    body = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}" height="{h:g}" '
            f'viewBox="0 0 {w:g} {h:g}" role="img" aria-label="{escape(description)}" '
            f'font-family="{FONT_FAMILY}">{_DEFS}'
            f'<g transform="translate({margin},{margin})">{piece.svg}</g></svg>')
    return body.replace(ID, f"-{next(_documents)}")

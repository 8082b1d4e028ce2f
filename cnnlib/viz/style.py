"""Colours and sizes shared by every picture.

The palette is Okabe & Ito's colour-blind-safe set (https://jfly.uni-koeln.de/color/). Colour
is never the only cue: every highlighted kind of cell also gets a pattern, an outline or a glyph,
and a legend in words. Sizes are chosen to stay readable on a lecture projector.
"""

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"
FONT_SIZE = 15          # px, text inside cells and legends
TITLE_SIZE = 17         # px, captions above grids
CELL = 32               # px, side of one grid cell
#: Every matplotlib figure of the course (``plt.style.use(MATPLOTLIB_RC)`` in each notebook's
#: set-up cell; the explorers' figures use it too).
#:
#: Why ``figure.dpi`` is in it: Jupyter's inline backend draws a figure's PNG at ``figure.dpi``
#: (matplotlib's default, 100) and the page shows it at that pixel size, shrunk to fit when it
#: is wider than the column (``max-width: 100%``): in a RISE slide on a 1024x768 projector about
#: 1000 px, in the classic notebook about 940 px. A shrunk figure shrinks its text with it, so
#: text size on the screen depended on the figure's width: at 100 dpi a 15 pt label is 21 px in a
#: 9 in figure but 14 px in a 15 in one. At 80 dpi a figure up to :data:`MAX_FIGURE_WIDTH`
#: inches is shown unshrunk, and 15 pt is 15 * 80 / 72 = 16.7 px, a little larger than the
#: notebook's body text (14-15 px), legible from the back of a room. Keep figures at most
#: ``MAX_FIGURE_WIDTH`` wide: text in a wider one ends up smaller by the ratio.
#: Only sizes are set here; colours come from :data:`OKABE_ITO` where a figure picks them.
MATPLOTLIB_RC = {
    "figure.dpi": 80,
    "font.size": 15,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "xtick.labelsize": 15,
    "ytick.labelsize": 15,
    "legend.fontsize": 15,
    "figure.titlesize": 17,
}
#: Widest figure (inches) that a 1024x768 slide shows without shrinking it, at 80 dpi.
MAX_FIGURE_WIDTH = 12.5

#: How each kind of cell is drawn: fill, outline colour, outline width, pattern, legend text.
CELL_STYLES = {
    "input": ("#FFFFFF", "#555555", 1, None, "input cell"),
    "pad": ("#E6E6E6", "#888888", 1, "hatch", "padding"),
    "window": (OKABE_ITO["sky_blue"], OKABE_ITO["blue"], 3, None, "under the kernel"),
    "uncovered": ("#F7C8A6", OKABE_ITO["vermillion"], 2, "cross", "never covered (x)"),
    "output": ("#BFE6DA", "#555555", 1, None, "output cell"),
    "current": (OKABE_ITO["orange"], OKABE_ITO["black"], 3, None, "current output"),
    "seen": (OKABE_ITO["sky_blue"], OKABE_ITO["blue"], 1, None, "seen by the chosen cell"),
    "winner": (OKABE_ITO["yellow"], OKABE_ITO["black"], 3, None, "won the max (*)"),
    "zero": ("#FFFFFF", "#7F7F7F", 1, "dots", "inserted zero"),
    "kernel": ("#E4D1F0", "#555555", 1, None, "kernel weight"),
    "product": ("#FFF6C2", "#555555", 1, None, "product"),
}


# --- contrast (WCAG 2.1): text needs 4.5:1, outlines and other graphics 3:1 ------------------


def _channels(colour) -> tuple[float, float, float]:
    """``colour`` ("#RRGGBB", an (r, g, b) tuple of 0-255, or one 0-255 grey value) as three
    fractions of 1."""
    if isinstance(colour, str):
        text = colour.lstrip("#")
        if len(text) != 6:
            raise ValueError(f"colour={colour!r} is not #RRGGBB: write it with six hex digits.")
        return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))
    if isinstance(colour, (int, float)):
        return (colour / 255,) * 3
    return tuple(c / 255 for c in colour)


def relative_luminance(colour) -> float:
    """WCAG 2.1's relative luminance of ``colour``: 0 (black) to 1 (white)."""
    def linear(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a, b) -> float:
    """WCAG 2.1's contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_on(background) -> str:
    """"black" or "white": the text colour that contrasts more with ``background`` (e.g. a
    pixel's grey value written on the pixel). Black from grey 118 up, not from 129: white on grey
    118-128 would fall below 4.5:1."""
    on_black = contrast_ratio("#000000", background)
    return "black" if on_black >= contrast_ratio("#FFFFFF", background) else "white"

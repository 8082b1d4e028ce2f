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
MATPLOTLIB_RC = {       # every matplotlib figure: at 80 dpi 15 pt is 17 px, the body text's size
    "font.size": 15,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "xtick.labelsize": 15,
    "ytick.labelsize": 15,
    "legend.fontsize": 15,
}

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
    "zero": ("#FFFFFF", "#AAAAAA", 1, "dots", "inserted zero"),
    "kernel": ("#E4D1F0", "#555555", 1, None, "kernel weight"),
    "product": ("#FFF6C2", "#555555", 1, None, "product"),
}

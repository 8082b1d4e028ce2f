"""A model summary table in the style of ``torchinfo.summary`` (and Keras ``model.summary()``).

``summary(model, input_shape)`` lists every layer of a model (nested containers indented as a
tree) with its output shape, parameter count and multiply-adds, then the totals. It works from
shapes alone: no array is allocated and nothing runs, so summarising VGG-16 is instant.

Conventions (those of torchinfo, so that the numbers can be compared):

- Parameters are weights and biases. Batch norm's running mean and variance are *buffers*,
  not parameters: they are not counted (Keras lists them as "non-trainable params"; torchinfo
  and ``sum(p.numel() for p in model.parameters())`` do not). Non-trainable parameters are
  those of layers frozen with ``requires_grad_(False)``.
- Output shapes include the batch axis: ``[1, 64, 55, 55]``.
- Sizes are in MB of 10**6 bytes, at the model's own itemsize (4 bytes per float32 value, 8
  per float64). "Forward/backward pass size" is
  torchinfo's estimate of the activations kept for training: twice (value and gradient) the
  outputs of the layers that have parameters.
- Mult-adds count the weights' multiply-adds of convolutions and fully connected layers for
  the whole batch (:meth:`cnnlib.layers.Module.macs`). torchinfo also counts one per bias
  value and two per batch-norm channel, so its totals are slightly larger (AlexNet: 714.68M
  in torchinfo, 714.19M here).

A model whose shapes do not fit is summarised up to the layer where the problem starts; that
row is marked and the error message is printed under the table (and kept in ``.error``).

The full text table is torchinfo's (115 characters wide for AlexNet). For a slide or a narrow
window, ``summary(..., width=72)`` or ``table.compact()`` renders the same rows and totals in at
most ``width`` characters where it can: tree indent of 2 instead of 5, columns only as wide as
their contents, numbers right-aligned, and mult-adds in K / M / G units (as in torchinfo's
total); if that is still too wide, the Mult-Adds column is left out. ``table.to_text()`` is
always the full table.

Headers, totals and the shape error are shown in the language of :func:`cnnlib.set_language`
(torchinfo's English by default; Korean after ``set_language("ko")``, with the English header
kept where the glossary keeps it). Columns are padded by display width
(:mod:`cnnlib.text`), so Korean headers line up too.
"""

from __future__ import annotations

import copy
import html
import math
import textwrap
from dataclasses import dataclass

from ._validate import SettingError, SettingTypeError, check_int
from .i18n import N_, explain, tr, words
from .layers import Container, Module, ShapeError
from .text import display_width, table

__all__ = ["Row", "Summary", "summary"]

_NAME_WIDTH, _COLUMN_WIDTH = 40, 25  # torchinfo's defaults
_FIRST_COLUMN = N_("Layer (type:depth-idx)")
_COLUMNS = (N_("Output Shape"), N_("Param #"), N_("Mult-Adds"))
COMPACT_WIDTH = 72  # characters: a slide at 1024x768 with the notebook's body text size


@dataclass(frozen=True)
class Row:
    """One layer of a summary.

    Attributes
    ----------
    name : str
        Dotted path in the model (``"features.0"``); ``""`` for the model itself.
    type : str
        Class name (``"Conv2d"``).
    depth : int
        Nesting depth (0 for the model).
    index : int
        Position among the rows of the same depth, counted from 1 through the whole model
        (torchinfo's ``depth-idx``).
    output_shape : tuple of int or None
        With the batch axis; ``None`` when the shapes broke at or before this layer.
    params : int
        The layer's own parameters (0 for containers: their children hold them).
    trainable : bool
    macs : int
        Multiply-adds for the whole batch (0 for containers).
    kernel_size : tuple of int or None
    is_leaf : bool
        True for layers that are not containers.
    error : str or None
        The shape error that starts at this layer.
    """

    name: str
    type: str
    depth: int
    index: int
    output_shape: tuple | None
    params: int
    trainable: bool
    macs: int
    kernel_size: tuple | None
    is_leaf: bool
    error: str | None = None

    @property
    def label(self) -> str:
        """``"Conv2d: 2-1"`` as in torchinfo's first column (the model row: its type)."""
        return f"{self.type}: {self.depth}-{self.index}" if self.depth else self.type


class Summary:
    """The result of :func:`summary`: rows as data, totals, and text / HTML renderings.

    When the shapes break, the rows (and the totals) stop at the layer where they break.

    Attributes
    ----------
    rows : list of Row
    input_shape : tuple
        With the batch axis.
    error : str or None
        The shape error that stopped the summary, if any.
    width : int or None
        ``None``: ``str()`` and the notebook show the full torchinfo table; a number: the
        compact rendering for that many characters (see :meth:`compact`).
    """

    def __init__(self, rows: list[Row], input_shape: tuple, error: str | None,
                 itemsize: int = 4, width: int | None = None):
        self.rows = rows
        self.input_shape = input_shape
        self.error = error
        self.itemsize = itemsize     # bytes per value: the model's dtype
        self.width = None if width is None else check_int(width, "width", 40)

    # --- totals ---------------------------------------------------------------------------
    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def trainable_params(self) -> int:
        return sum(row.params for row in self.rows if row.trainable)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def total_mult_adds(self) -> int:
        return sum(row.macs for row in self.rows)

    @property
    def input_size_mb(self) -> float:
        return math.prod(self.input_shape) * self.itemsize / 1e6

    @property
    def forward_backward_size_mb(self) -> float:
        """Outputs of the layers with parameters, twice (values and gradients), as torchinfo."""
        values = sum(math.prod(row.output_shape) for row in self.rows
                     if row.is_leaf and row.params and row.output_shape)
        return 2 * values * self.itemsize / 1e6

    @property
    def params_size_mb(self) -> float:
        return self.total_params * self.itemsize / 1e6

    @property
    def total_size_mb(self) -> float:
        return self.input_size_mb + self.forward_backward_size_mb + self.params_size_mb

    def params_by_layer(self) -> dict[str, int]:
        """Parameters of each layer that has some, by name: ready for a bar chart."""
        return {row.name: row.params for row in self.rows if row.params}

    # --- rendering --------------------------------------------------------------------------
    def compact(self, width: int = COMPACT_WIDTH) -> Summary:
        """The same summary, shown in at most ``width`` characters where possible (slides).

        ``print(table.compact())`` prints the compact text; in a notebook the compact HTML
        table (mult-adds in units). The rows and totals are the same; ``table`` itself still
        shows the full table.
        """
        narrow = copy.copy(self)
        narrow.width = check_int(width, "width", 40)
        return narrow

    def _cells(self, row: Row, compact: bool = False) -> tuple[str, str, str]:
        shape = "--" if row.output_shape is None else str(list(row.output_shape))
        if row.error:
            shape = words("shape error (below)")
        macs = _with_unit(row.macs) if compact else f"{row.macs:,}"
        return (shape, f"{row.params:,}" if row.params else "--", macs if row.macs else "--")

    def _footer(self) -> list[tuple[str, str]]:
        macs = self.total_mult_adds
        unit, scale = next(((u, s) for u, s in (("G", 1e9), ("M", 1e6), ("K", 1e3))
                            if macs >= s), ("", 1))
        return [
            (words("Total params"), f"{self.total_params:,}"),
            (words("Trainable params"), f"{self.trainable_params:,}"),
            (words("Non-trainable params"), f"{self.non_trainable_params:,}"),
            (words("Total mult-adds") + (f" ({unit})" if unit else ""),
             f"{macs / scale:.2f}" if unit else f"{macs:,}"),
            (words("Input size (MB)"), f"{self.input_size_mb:.2f}"),
            (words("Forward/backward pass size (MB)"), f"{self.forward_backward_size_mb:.2f}"),
            (words("Params size (MB)"), f"{self.params_size_mb:.2f}"),
            (words("Estimated Total Size (MB)"), f"{self.total_size_mb:.2f}"),
        ]

    def __str__(self) -> str:
        return self.to_text(self.width)

    def to_text(self, width: int | None = None) -> str:
        """The text table: torchinfo's full layout, or compact within ``width`` characters.

        Parameters
        ----------
        width : int or None
            ``None`` (default): the full table. A number (at least 40): the compact table,
            with the Mult-Adds column left out if it does not fit otherwise. If even that is
            too wide, the compact table is returned as narrow as it gets.
        """
        if width is None:
            return self._full_text()
        width = check_int(width, "width", 40)
        for columns in (3, 2):
            text = self._compact_text(columns, width)
            if max(map(display_width, text.splitlines())) <= width:
                return text
        return text

    def _compact_text(self, columns: int, width: int) -> str:
        """Compact layout: indent 2, columns as wide as their contents, numbers right-aligned."""
        names = [("│ " * (row.depth - 1) + "└─" if row.depth > 1 else
                  "├─" if row.depth == 1 else "") + row.label for row in self.rows]
        cells = [(words(_FIRST_COLUMN), *map(words, _COLUMNS[:columns])),
                 *((name, *self._cells(row, compact=True)[:columns])
                   for name, row in zip(names, self.rows))]
        head, *body = table(cells, align="<<>>").splitlines()
        divider = "=" * max(map(display_width, [head, *body]))
        footer = [f"{key}: {value}" for key, value in self._footer()]
        lines = [divider, head, divider, *body, divider]
        if self.error:
            lines += [*_wrap(self._error_line(), max(width, len(divider))), divider]
        lines += [*footer[:4], divider, *footer[4:], divider]
        return "\n".join(lines)

    def _error_line(self) -> str:
        """The shape error as shown under a compact or HTML table (in the chosen language)."""
        return tr("Shape error: {error}", error=explain(self.error))

    def _full_text(self) -> str:
        names = [("│    " * (row.depth - 1) + "└─" if row.depth > 1 else
                  "├─" if row.depth == 1 else "") + row.label for row in self.rows]
        width = max([_NAME_WIDTH] + [math.ceil((display_width(row.label) + 5 * row.depth + 1)
                                               / 5) * 5 for row in self.rows])
        divider = "=" * (width + _COLUMN_WIDTH * len(_COLUMNS))

        def line(first, cells):
            return table([(first, *cells)], sep=" ",
                         widths=[width, *[_COLUMN_WIDTH] * len(cells)])

        footer = [f"{key}: {value}" for key, value in self._footer()]
        lines = [divider, line(words(_FIRST_COLUMN), [words(c) for c in _COLUMNS]), divider,
                 *(line(name, self._cells(row)) for name, row in zip(names, self.rows)),
                 divider]
        if self.error:
            lines += [self._error_line(), divider]
        lines += [*footer[:4], divider, *footer[4:], divider]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """An HTML table for notebooks: large type, numbers right-aligned, tree indented.

        A compact summary (:meth:`compact`) shows mult-adds in units, as its text does.
        """
        cell = "padding:4px 12px;border-bottom:1px solid #ddd;"
        head = "".join(f'<th style="{cell}text-align:{"left" if i < 2 else "right"}">{title}</th>'
                       for i, title in enumerate((words("Layer"), *map(words, _COLUMNS))))
        body = []
        for row in self.rows:
            shape, params, macs = (html.escape(c) for c in
                                   self._cells(row, compact=self.width is not None))
            style = cell + ("background:#fde2e1;" if row.error else "")
            name = html.escape(row.type + (f" ({row.name})" if row.name else ""))
            body.append(
                f'<tr><td style="{style}padding-left:{12 + 24 * row.depth}px">{name}</td>'
                f'<td style="{style}font-family:monospace">{shape}</td>'
                f'<td style="{style}text-align:right;font-family:monospace">{params}</td>'
                f'<td style="{style}text-align:right;font-family:monospace">{macs}</td></tr>')
        if self.error:
            body.append(f'<tr><td colspan="4" style="{cell}color:#b00020">'
                        f'{html.escape(self._error_line())}</td></tr>')
        for key, value in self._footer():
            body.append(f'<tr><td colspan="3" style="{cell}font-weight:bold">{key}</td>'
                        f'<td style="{cell}text-align:right;font-family:monospace">{value}</td>'
                        f'</tr>')
        return (f'<table style="border-collapse:collapse;font-size:1.15em">'
                f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


class _Walk:
    """Depth-first walk of a model that builds the rows and stops at the first shape error."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.rows: list[Row] = []
        self.counters: dict[int, int] = {}
        self.model_problem: str | None = None  # the model's own message names the full path
        self.error: str | None = None

    def visit(self, module: Module, name: str, input_shape: tuple, depth: int) -> None:
        self.counters[depth] = self.counters.get(depth, 0) + 1
        try:
            output, problem = module.output_shape(input_shape), None
        except ShapeError as error:
            output, problem = None, error
        if depth == 0 and problem is not None:
            self.model_problem = problem.args[0]   # English: shown translated
        is_leaf = not isinstance(module, Container)
        position = len(self.rows)
        self.rows.append(self._row(module, name, depth, input_shape, output, is_leaf))
        if not is_leaf:
            for child_name, child, child_input in module.children_with_inputs(input_shape):
                self.visit(child, f"{name}.{child_name}" if name else child_name, child_input,
                           depth + 1)
                if self.error:
                    return
        if problem is not None:  # no child reported it: the problem starts here
            self.error = self.model_problem
            self.rows[position] = self._row(module, name, depth, input_shape, None, is_leaf,
                                            self.error)

    def _row(self, module, name, depth, input_shape, output, is_leaf, error=None) -> Row:
        params = module.num_parameters if is_leaf else 0
        macs = module.macs(input_shape) if is_leaf and output is not None else 0
        return Row(
            name=name, type=type(module).__name__, depth=depth, index=self.counters[depth],
            output_shape=None if output is None else (self.batch_size, *output),
            params=params, trainable=module.trainable, macs=macs * self.batch_size,
            kernel_size=getattr(module, "kernel_size", None), is_leaf=is_leaf, error=error)


def _wrap(text: str, width: int) -> list[str]:
    """``textwrap.wrap(text, width)``, counting a wide character as two columns."""
    if display_width(text) == len(text):
        return textwrap.wrap(text, width)
    lines, line = [], ""
    for word in text.split():
        longer = f"{line} {word}" if line else word
        if line and display_width(longer) > width:
            lines.append(line)
            longer = word
        line = longer
    return [*lines, line] if line else lines


def _with_unit(count: int) -> str:
    """``70276800`` -> ``"70.28M"``: two decimals in K / M / G, as torchinfo's total; small
    counts as they are."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            return f"{count / scale:.2f}{unit}"
    return str(count)


def summary(model: Module, input_shape=None, batch_size: int = 1,
            width: int | None = None) -> Summary:
    """Summarise ``model`` for inputs of shape ``input_shape`` (batch axis left out).

    Parameters
    ----------
    model : cnnlib.layers.Module
    input_shape : tuple of int, optional
        E.g. ``(3, 224, 224)``. Defaults to ``model.input_shape`` (set by
        :mod:`cnnlib.models`).
    batch_size : int
        Leading axis of the shapes shown; mult-adds and sizes scale with it.
    width : int, optional
        Render compactly in at most this many characters (``72`` fits a slide); by default
        the full torchinfo table. Same as ``summary(...).compact(width)``.

    Returns
    -------
    Summary
        ``print(summary(...))`` shows the text table; a notebook shows the HTML table.

    Examples
    --------
    >>> from cnnlib.models import alexnet
    >>> s = summary(alexnet(), (3, 224, 224))
    >>> s.total_params
    61100840
    >>> max(len(line) for line in str(s).splitlines())
    115
    >>> max(len(line) for line in s.to_text(width=72).splitlines())
    65
    """
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise SettingError("input_shape is needed (e.g. (3, 224, 224)): this model does not "
                               "say which input size it was defined for.")
    try:
        sizes = tuple(input_shape)
    except TypeError:
        raise SettingTypeError(f"input_shape must be a tuple of sizes without the batch axis, such "
                               f"as (3, 224, 224), got {input_shape!r}. For one axis write (size,)."
                               ) from None
    input_shape = tuple(check_int(size, "input_shape entry", 1) for size in sizes)
    batch_size = check_int(batch_size, "batch_size", 1)
    walk = _Walk(batch_size)
    walk.visit(model, "", input_shape, 0)
    return Summary(walk.rows, (batch_size, *input_shape), walk.error, _itemsize(model), width)


def _itemsize(model: Module) -> int:
    """Bytes per value of the model: its layers' dtype (the widest, if they differ)."""
    if isinstance(model, Container):
        return max((_itemsize(child) for child in model), default=model.dtype.itemsize)
    return model.dtype.itemsize

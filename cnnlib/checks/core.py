"""The checking engine and the course's concept checkers.

A checker never shows the expected answer. It says whether the answer is right, and when it
is not, which idea to reconsider (and, for common mistakes, which mistake it looks like).
An answer left as ``...`` (or ``None``, or a function that raises ``NotImplementedError``)
reports "not attempted" instead of failing, so a half-done notebook still runs to the end.

Every checker returns a :class:`Feedback`, which shows as a coloured box with a symbol in a
notebook (the symbol and the words carry the meaning, not only the colour) and as a line of
text elsewhere. ``bool(feedback)`` is ``True`` only for a correct answer.

Examples
--------
>>> output_size(5, input_size=7, kernel_size=3)
Feedback('output size of a 7-wide input, 3-wide kernel', 'correct', ...)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from .. import shapes
from ..i18n import N_, tr

__all__ = [
    "Feedback",
    "is_missing",
    "check_value",
    "check_function",
    "check_choice",
    "output_size",
    "conv_params",
    "receptive_field",
]

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "wrong", "not attempted"
#: How each status is said (translated where shown).
_SAID = {CORRECT: N_("correct"), WRONG: N_("wrong"), NOT_ATTEMPTED: N_("not attempted")}
_SYMBOL = {CORRECT: "✔", WRONG: "✘", NOT_ATTEMPTED: "…"}
# Okabe-Ito colours (safe for colour-blind readers); the symbol repeats the meaning.
_COLOUR = {CORRECT: "#009E73", WRONG: "#D55E00", NOT_ATTEMPTED: "#999999"}


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer.

    Attributes
    ----------
    question : str
        What was checked, in words (in the language chosen with ``cnnlib.set_language``
        when the answer was checked).
    status : {"correct", "wrong", "not attempted"}
        Always these English words, whatever the language (shown translated).
    message : str
        What to reconsider (never the expected answer).
    """

    question: str
    status: str
    message: str = ""

    def __bool__(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        text = f"{_SYMBOL[self.status]} {self.question}: {tr(_SAID[self.status])}"
        return f"{text}. {self.message}" if self.message else text

    def __repr__(self) -> str:
        return f"Feedback({self.question!r}, {self.status!r}, ...)"

    def _repr_html_(self) -> str:
        colour = _COLOUR[self.status]
        return (
            f'<div style="border-left:6px solid {colour};padding:4px 10px;margin:4px 0;'
            f'font-size:1.05em"><b>{_SYMBOL[self.status]} {html.escape(self.question)}: '
            f"{html.escape(tr(_SAID[self.status]))}</b>"
            + (f"<br>{html.escape(self.message)}" if self.message else "")
            + "</div>"
        )


def is_missing(answer) -> bool:
    """Whether an answer is still the blank a student was given (``...`` or ``None``)."""
    return answer is Ellipsis or answer is None


def _shape(value) -> tuple | None:
    """``np.shape(value)``, or ``None`` for lists of different lengths (they have no shape)."""
    try:
        return np.shape(value)
    except ValueError:  # numpy refuses ragged nestings such as [1, [2, 3]]
        return None


def _same(answer, expected, rtol: float, atol: float) -> bool:
    """Compare numbers, tuples/lists and arrays; shapes must match exactly.

    Only numbers count: ``"5"`` or ``True`` is not the answer 5 or 1.
    """
    try:
        a = np.asarray(answer)
    except (TypeError, ValueError):    # e.g. rows of different lengths
        return False
    if a.dtype.kind not in "iuf":
        return False
    a = a.astype(float)
    e = np.asarray(expected, dtype=float)
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol))


def check_value(question: str, answer, expected, hint: str, *, rtol: float = 0.0,
                atol: float = 0.0, mistakes: dict | None = None) -> Feedback:
    """Compare an answer with the expected value and explain what to reconsider.

    Parameters
    ----------
    question : str
        What is being asked, shown in the feedback.
    answer : number, tuple, list or ndarray
        The student's answer (``...`` means not attempted).
    expected : number, tuple, list or ndarray
        The right answer; it is never shown.
    hint : str
        What to reconsider when the answer is wrong.
    rtol, atol : float
        Tolerances for floating-point answers (exact by default).
    mistakes : dict, optional
        ``{wrong_value: explanation}`` for common mistakes, checked before the generic hint.
    """
    if is_missing(answer):
        return Feedback(question, NOT_ATTEMPTED,
                        tr("Replace the ... with your answer and run the cell."))
    if _same(answer, expected, rtol, atol):
        return Feedback(question, CORRECT, tr("Well done."))
    for wrong, explanation in (mistakes or {}).items():
        if _same(answer, wrong, rtol, atol):
            return Feedback(question, WRONG, explanation)
    if isinstance(answer, str):
        return Feedback(question, WRONG,
                        tr("Write the answer as a number, without quotes.") + " " + hint)
    shape_a, shape_e = _shape(answer), np.shape(expected)
    if shape_a != shape_e:
        what = (tr("a single number") if shape_e == () else
                tr("{n}-axis shape {shape}", n=len(shape_e), shape=shape_e))
        return Feedback(question, WRONG, tr("The answer should be {what}.", what=what)
                        + " " + hint)
    if isinstance(answer, float) and not answer.is_integer() and isinstance(expected, int):
        return Feedback(question, WRONG, tr("Sizes and counts are whole numbers.") + " " + hint)
    return Feedback(question, WRONG, hint)


def check_function(question: str, function, reference, cases, hint: str, *,
                   rtol: float = 1e-5, atol: float = 1e-8) -> Feedback:
    """Call a student's function on test cases and compare with a reference implementation.

    Parameters
    ----------
    function : callable
        The student's function. Raising ``NotImplementedError`` means not attempted.
    reference : callable
        The trusted implementation, called with the same arguments.
    cases : sequence of (args, kwargs)
        Arguments for both functions; they are copied, so neither can modify them.
    hint : str
        What to reconsider when a case gives a wrong result.
    """
    for number, (args, kwargs) in enumerate(cases, start=1):
        try:
            got = function(*_copy(args), **_copy(kwargs))
        except NotImplementedError:
            return Feedback(question, NOT_ATTEMPTED,
                            tr("Write the function body and run the cell."))
        except Exception as error:  # a student's bug must not stop the notebook
            return Feedback(question, WRONG,
                            tr("Case {number} raised {error_type}: {error}", number=number,
                               error_type=type(error).__name__, error=error))
        want = reference(*_copy(args), **_copy(kwargs))
        shape = _shape(got)
        if shape != np.shape(want):
            what = (tr("rows of different lengths") if shape is None else
                    tr("shape {shape}", shape=shape))
            return Feedback(question, WRONG,
                            tr("Case {number}: the result has {what}, expected {expected}.",
                               number=number, what=what, expected=np.shape(want))
                            + " " + hint)
        if not _same(got, want, rtol, atol):
            return Feedback(question, WRONG,
                            tr("Case {number} gives different values.", number=number)
                            + " " + hint)
    return Feedback(question, CORRECT, tr("All {n} cases agree.", n=len(cases)))


def check_choice(question: str, answer, correct: str, explanation: str,
                 misconceptions: dict[str, str]) -> Feedback:
    """Check a *why* question: a choice among explanations, one of them right.

    Parameters
    ----------
    question : str
        What is being asked, shown in the feedback.
    answer : str
        The letter the student chose (``"b"`` or ``"B"``; ``...`` means not attempted).
    correct : str
        The letter of the right explanation (never shown unless chosen).
    explanation : str
        Why the right explanation is right, shown once it is chosen.
    misconceptions : dict
        ``{letter: what choosing it reveals}`` for every wrong explanation: each wrong choice is
        answered with the misconception behind it, not only "wrong".
    """
    letters = sorted({correct, *misconceptions})
    if is_missing(answer):
        return Feedback(question, NOT_ATTEMPTED,
                        tr("Replace the ... with the letter of your choice and run the cell."))
    choice = answer.strip().lower().strip("().") if isinstance(answer, str) else None
    if choice == correct:
        return Feedback(question, CORRECT, explanation)
    if choice in misconceptions:
        return Feedback(question, WRONG, misconceptions[choice])
    return Feedback(question, WRONG,
                    tr("Answer with one of the letters {letters}, in quotes (answer = \"a\").",
                       letters=", ".join(repr(letter) for letter in letters)))


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def output_size(answer, input_size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                dilation: int = 1) -> Feedback:
    """Check an output size ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1``."""
    question = tr("output size of a {i}-wide input, {k}-wide kernel", i=input_size,
                  k=kernel_size) + "".join(
        tr(name, n=value) for name, value, default in
        ((N_(", stride {n}"), stride, 1), (N_(", padding {n}"), padding, 0),
         (N_(", dilation {n}"), dilation, 1)) if value != default)
    expected = shapes.conv_output_size(input_size, kernel_size, stride, padding, dilation)
    k_eff = shapes.effective_kernel_size(kernel_size, dilation)
    mistakes = {
        (input_size + padding - k_eff) // stride + 1:
            tr("Padding is added on both sides: the padded input is i + 2p wide."),
        (input_size + 2 * padding - k_eff) / (stride + 1):
            tr("The +1 goes after the division: o = (i + 2p - k) / s + 1, not "
               "(i + 2p - k) / (s + 1)."),
        (input_size + 2 * padding - k_eff) / stride + 1:
            tr("When the stride does not divide evenly, round down: a window that would run "
               "past the edge is not used."),
    }
    if dilation != 1:
        mistakes[(input_size + 2 * padding - kernel_size) // stride + 1] = (
            tr("A dilated kernel spans d(k - 1) + 1 cells, not k."))
    mistakes.pop(expected, None)
    return check_value(question, answer, expected,
                       tr("Count how many window positions fit in the padded input."),
                       mistakes=mistakes)


def conv_params(answer, in_channels: int, out_channels: int, kernel_size, groups: int = 1,
                bias: bool = True) -> Feedback:
    """Check a parameter count ``(k_h k_w C_in / groups + bias) C_out``."""
    question = (tr("parameters of a conv layer {c_in} -> {c_out} channels, kernel {k}",
                   c_in=in_channels, c_out=out_channels, k=kernel_size)
                + (tr(", groups {n}", n=groups) if groups != 1 else ""))
    expected = shapes.conv_params(in_channels, out_channels, kernel_size, groups, bias)
    ks = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
    area = math.prod(ks)
    mistakes = {
        shapes.conv_params(in_channels, out_channels, kernel_size, groups, bias=False):
            tr("Each filter also has one bias."),
        (area + bias) * out_channels:
            tr("A filter is as deep as its input: it has k x k x C_in weights."),
        area * in_channels // groups + bias:
            tr("There is one filter per output channel."),
    }
    if groups != 1:
        mistakes[shapes.conv_params(in_channels, out_channels, kernel_size, 1, bias)] = (
            tr("With groups, each filter sees only C_in / groups input channels."))
    mistakes.pop(expected, None)
    return check_value(question, answer, expected,
                       tr("Count the weights of one filter, add its bias, then multiply by the "
                          "number of filters."), mistakes=mistakes)


def receptive_field(answer, layers) -> Feedback:
    """Check the receptive field of the last layer of a stack of :class:`shapes.Window`."""
    layers = list(layers)
    question = tr("receptive field of {layers}", layers=" -> ".join(
        f"k{w.kernel_size}s{w.stride}" for w in layers))
    expected = shapes.receptive_fields(layers)[-1].rf
    naive_sum = 1 + sum(w.kernel_size - 1 for w in layers)
    mistakes = {}
    if naive_sum != expected:
        mistakes[naive_sum] = tr("Strides multiply: a layer after a stride-s layer steps s "
                                 "input pixels per output, so its kernel adds (k - 1) times "
                                 "the jump.")
    return check_value(question, answer, expected,
                       tr("Use r_out = r_in + (k - 1) * jump, with the jump the product of the "
                          "earlier strides."), mistakes=mistakes)

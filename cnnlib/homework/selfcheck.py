"""Self-checks of the homework notebooks: right or wrong, and what to reconsider, never the answer.

A homework notebook imports them as ``from cnnlib.checks import homework as check``. Like the
course's checkers (:mod:`cnnlib.checks.core`), each says which item is wrong and what to
reconsider; a blank (``...``) or a function that still raises ``NotImplementedError`` reports
"not attempted".

Every student may get a *variant* of homework 1 and 2: their own ZFNet-like network, written
into their notebook as a :class:`Network` cell by the instructor's generator. That cell also
carries the *answer key*: salted fingerprints (short hashes) of the variant's right answers and
of its common mistakes, never the answers themselves. A check fingerprints the student's
answer the same way and compares: equal means right, the fingerprint of a known mistake means
that mistake's hint. Nothing installed with cnnlib holds a reference network or its numbers;
the references live on the instructor's side (``cnnlib.homework.instructor``), and a grade is
decided there, from the answers a sandbox hands back, with these same judgements.

Homework 3's functions are checked against cnnlib's own convolution and pooling (forward) and
by finite differences of them (backward): the course's library is not a secret.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import numbers
import signal
import threading
import time
import zlib

import numpy as np

from ..checks.core import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    Feedback,
    _same,
    _shape,
    is_missing,
)
from ..data import lecture_example
from ..i18n import N_, tr
from .runner import describe_model

__all__ = [
    "HOMEWORK",
    "POINTS",
    "BY_PERSON",
    "maximum_points",
    "Network",
    "AnswerKey",
    "Report",
    "zfnet_layer",
    "zfnet_total",
    "zfnet_model",
    "fc_share",
    "conv2d_forward",
    "max_pool2d_forward",
    "conv2d_backward",
    "max_pool2d_backward",
]

HW1, HW2, HW3 = ("hw1_zfnet_parameters", "hw2_build_zfnet", "hw3_conv_and_pool_from_scratch")
# The rows of homework 1's table, named as in the lecture (conv1..conv5, fc6..fc8).
ROWS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5", "flatten",
        "fc6", "fc7", "fc8")

#: Homework name -> its exercises, in notebook order.
HOMEWORK = {
    HW1: tuple(f"{row}_{what}" for row in ROWS for what in ("shape", "params"))
    + ("total_params",),
    HW2: ("model", "fc_share"),
    HW3: ("conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward"),
}
#: Homework name -> the questions a person grades (the grader cannot judge prose): their name
#: (the CSV's column) and what is read. Their points are in :data:`POINTS` with the others.
BY_PERSON = {
    HW1: {"looking_back": N_("Looking back: your answer in words")},
    HW2: {"comments": N_("The comments that explain the blocks of `build_zfnet`"),
          "mult_adds": N_("Mult-Adds against parameters: your answer in words")},
    HW3: {},
}
#: Points of each question, the one place the grader and the notebooks read them (the
#: generator writes every notebook's table of points from here): code that must work on
#: inputs drawn at grading time is worth more than one arithmetic blank (homework 1: 25 blanks
#: of 1 point; homework 3: 40 points). The grader gives the points of :data:`HOMEWORK`'s
#: exercises; those of :data:`BY_PERSON`'s questions are the instructor's to give.
POINTS = {
    HW1: {**dict.fromkeys(HOMEWORK[HW1], 1), "looking_back": 3},
    HW2: {"model": 10, "fc_share": 2, "comments": 3, "mult_adds": 3},
    HW3: {"conv2d_forward": 10, "conv2d_backward": 15, "max_pool2d_forward": 5,
          "max_pool2d_backward": 10},
}


def maximum_points(homework: str) -> tuple[int, int]:
    """``(automatic, by_person)``: the points the grader gives and those a person gives."""
    automatic = sum(POINTS[homework][name] for name in HOMEWORK[homework])
    return automatic, sum(POINTS[homework].values()) - automatic

#: The function a homework 2 notebook must define.
HW2_BUILD = "build_zfnet"


class Report:
    """Several feedbacks shown together; ``bool(report)`` is ``True`` when all are correct."""

    def __init__(self, *feedbacks: Feedback):
        self.feedbacks = feedbacks

    def __iter__(self):
        return iter(self.feedbacks)

    def __bool__(self) -> bool:
        return all(self.feedbacks)

    def __str__(self) -> str:
        return "\n".join(map(str, self.feedbacks))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return "".join(f._repr_html_() for f in self.feedbacks)


# --------------------------------------------------------------------------------------------
# Fingerprints: an answer key that holds no answer
# --------------------------------------------------------------------------------------------

def canonical(kind: str, value) -> str | None:
    """The text an answer is fingerprinted as, or None when it is not of the ``kind`` asked.

    ``kind`` is ``"count"`` (a whole number), ``"shape1"`` / ``"shape3"`` (a shape of 1 or 3
    whole numbers; a single number counts as a 1-axis shape), or ``"text"`` (any JSON value,
    for the settings of a layer). ``True``/``False`` and strings are not numbers.
    """
    if kind == "text":
        return json.dumps(value, sort_keys=True)
    if kind == "count":
        return _whole(value)
    size = int(kind[-1])
    if size == 1 and _whole(value) is not None:
        value = (value,)
    if not isinstance(value, (tuple, list, np.ndarray)) or len(value) != size:
        return None
    parts = [_whole(v) for v in value]
    return None if None in parts else ",".join(parts)


def _whole(value) -> str | None:
    """``"12"`` for 12, 12.0 or numpy's 12; None for anything else (bools and strings too)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return str(int(value)) if np.isfinite(value) and float(value).is_integer() else None


def fingerprint(salt: str, item: str, text: str) -> str:
    """A salted 40-bit fingerprint (BLAKE2b) of one answer's canonical ``text``."""
    digest = hashlib.blake2b(f"{item}={text}".encode(), key=salt.encode()[:64], digest_size=5)
    return digest.hexdigest()


class AnswerKey:
    """Fingerprints of one variant's answers (``ok``: item -> fingerprint) and of its common
    mistakes (``hints``: fingerprint -> hint id), salted with ``salt``; ``layers`` is the number
    of layers of the variant's model (public: the network's table shows them)."""

    def __init__(self, salt: str, ok: dict, hints: dict, layers: int = 0):
        self.salt, self.ok, self.hints, self.layers = salt, dict(ok), dict(hints), layers

    def encode(self) -> str:
        """The key as one line of text for a notebook cell."""
        data = {"salt": self.salt, "ok": self.ok, "hints": self.hints, "layers": self.layers}
        packed = zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 9)
        return base64.b64encode(packed).decode()

    @classmethod
    def decode(cls, text: str) -> AnswerKey:
        """The key :meth:`encode` wrote (raises ``ValueError`` for anything else)."""
        try:
            data = json.loads(zlib.decompress(base64.b64decode(text.encode(), validate=True)))
            return cls(data["salt"], data["ok"], data["hints"], int(data["layers"]))
        except (ValueError, TypeError, KeyError, zlib.error) as error:
            raise ValueError("key must be the answer key the course's generator wrote into "
                             "this notebook; it was changed or cut. Take the cell again from "
                             "the notebook you were given.") from error

    def judge(self, item: str, text: str | None) -> str | None:
        """``"correct"``, the id of a known mistake, or None (wrong, no known mistake)."""
        if text is None:
            return None
        mark = fingerprint(self.salt, item, text)
        return CORRECT if self.ok.get(item) == mark else self.hints.get(mark)


# --------------------------------------------------------------------------------------------
# The student's network: homework 1 and 2 are about it
# --------------------------------------------------------------------------------------------

#: The settings of each kind of row in a network's description (``Network.spec``).
_ROW_SETTINGS = {"conv": ("filters", "kernel", "stride", "padding"), "pool": ("kernel", "stride"),
                 "flatten": (), "fc": ("outputs",)}
_current = {}


def _row_kind(row: str) -> str:
    return row.rstrip("0123456789")


class Network:
    """Your variant of ZFNet, and the fingerprints of its answers (not the answers).

    Parameters
    ----------
    spec : dict
        ``{"input": [C, H, W], "conv1": {"filters", "kernel", "stride", "padding"},
        "pool1": {"kernel", "stride"}, ..., "fc6": {"outputs"}, ...}``: every row of
        :data:`ROWS` except ``flatten``. Convolutions are followed by ReLU; every pool rounds
        up (``ceil_mode=True``); fc6 and fc7 have a ReLU after them and a Dropout(p=0.5)
        before them.
    key : str
        The answer key the course's generator wrote with it (:class:`AnswerKey`).

    Creating it makes it the network the checks of this notebook use; it shows as a table.
    """

    def __init__(self, spec: dict, key: str):
        self.spec = _valid_spec(spec)
        self.key = AnswerKey.decode(key)
        _current["network"] = self

    @property
    def input_shape(self) -> tuple:
        """``(C, H, W)`` of one input image."""
        return tuple(self.spec["input"])

    def rows(self) -> list:
        """``[(row, what it is, its settings in words), ...]`` in the order of the network."""
        words = {
            "conv": N_("{filters} filters of {kernel} x {kernel}, stride {stride}, "
                       "padding {padding}, then ReLU"),
            "pool": N_("max pooling, {kernel} x {kernel} windows, stride {stride}, rounding up "
                       "(ceil_mode=True)"),
            "flatten": N_("flatten: one axis of C x H x W values"),
            "fc": N_("fully connected, {outputs} outputs"),
            "hidden": N_("Dropout(p=0.5), then fully connected, {outputs} outputs, then ReLU"),
        }
        c, h, w = self.input_shape
        rows = [("input", tr("{c} x {h} x {w} image", c=c, h=h, w=w))]
        for row in ROWS:
            kind = "hidden" if row in ("fc6", "fc7") else _row_kind(row)
            rows.append((row, tr(words[kind], **self.spec.get(row, {}))))
        return rows

    def __str__(self) -> str:
        width = max(len(row) for row, _ in self.rows())
        return "\n".join(f"{row:<{width}}  {text}" for row, text in self.rows())

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th scope='row'>{html.escape(row)}</th><td>{html.escape(text)}"
                       "</td></tr>" for row, text in self.rows())
        caption = html.escape(tr("Your network"))
        return (f"<table><caption style='text-align:left;font-weight:bold'>{caption}</caption>"
                f"<thead><tr><th scope='col'>{html.escape(tr('layer'))}</th>"
                f"<th scope='col'>{html.escape(tr('settings'))}</th></tr></thead>"
                f"<tbody>{body}</tbody></table>")


def _valid_spec(spec) -> dict:
    """``spec`` when it describes a network as :class:`Network` says, else ``ValueError``."""
    def refuse(what):
        raise ValueError(f"spec must describe your network as the course's generator wrote it "
                         f"({what}); take the cell again from the notebook you were given.")

    if not isinstance(spec, dict):
        refuse(f"a dict, got {type(spec).__name__}")
    shape = spec.get("input")
    if not (isinstance(shape, (list, tuple)) and len(shape) == 3
            and all(isinstance(v, int) and v > 0 for v in shape)):
        refuse("input must be [C, H, W]")
    for row in ROWS:
        settings = spec.get(row, {})
        names = _ROW_SETTINGS[_row_kind(row)]
        if set(settings) != set(names) or not all(
                isinstance(settings[n], int) and settings[n] >= 0 for n in names):
            refuse(f"{row} must have {', '.join(names) or 'no settings'}")
    return spec


_NO_NETWORK = N_("Run the cell with your network (network = check.Network(...)) first: the "
                 "checks compare your answers with its fingerprints.")


# --------------------------------------------------------------------------------------------
# Homework 1: the table of output shapes and parameter counts
# --------------------------------------------------------------------------------------------

#: What each known mistake shows (the answer key names them by these ids).
MISTAKES = {
    "batch": N_("Leave out the batch axis: give the shape of one sample."),
    "unchanged": N_("The layer changes the shape of its input."),
    "channels-last": N_("cnnlib (like PyTorch) puts channels first: (C, H, W)."),
    "no-padding": N_("Padding adds p cells on both sides: use i + 2p in the formula."),
    "pool-floor": N_("Your network's pools round UP (ceil_mode=True, as ZFNet's did): a last "
                     "window that runs past the edge still counts."),
    "conv-ceil": N_("When the stride does not divide evenly, round down: a window that would "
                    "run past the edge is not used."),
    "filter-bias": N_("Each filter also has one bias."),
    "filter-depth": N_("A filter is as deep as its input: it has k x k x C_in weights."),
    "one-filter": N_("There is one filter per output channel."),
    "fc-bias": N_("Each output neuron also has a bias."),
    "fc-one": N_("Every output neuron has its own weights and bias."),
    "fc-one-bias": N_("There is one bias per output neuron."),
    "no-biases": N_("Did you leave out the biases?"),
    "conv-only": N_("That is the convolutional layers only; add the fully connected ones."),
    "fc-only": N_("That is the fully connected layers only; add the convolutional ones."),
    "conv-share": N_("That is the convolutional layers' share."),
}
_SHAPE_HINTS = {
    "conv": N_("Use o = floor((i + 2p - k) / s) + 1 on the height and the width; the number "
               "of channels is the number of filters."),
    "pool": N_("Max pooling keeps the channels; with ceil_mode, o = ceil((i + 2p - k) / s) + 1 "
               "with the pool's kernel and stride."),
    "flatten": N_("Flatten lines up C x H x W values of a sample along one axis: (features,)."),
    "fc": N_("A fully connected layer outputs one value per output neuron: (out_features,)."),
}
_PARAMS_HINTS = {
    "conv": N_("Count the weights of one filter, add its bias, then multiply by the number of "
               "filters."),
    "fc": N_("A fully connected layer has (in_features + 1) x out_features parameters: the "
             "weights plus one bias per output."),
    "pool": N_("Does this layer learn anything? Pooling, flattening and reshaping only move or "
               "pick values (the lecture: pooling has no parameters)."),
}
_PARAMS_HINTS["flatten"] = _PARAMS_HINTS["pool"]


def shape_kind(row: str) -> str:
    """``"shape1"`` for the rows after flattening, ``"shape3"`` (C, H, W) before."""
    return "shape1" if _row_kind(row) in ("flatten", "fc") else "shape3"


def judge_value(question: str, item: str, kind: str, answer, hint: str, key) -> Feedback:
    """Judge one value answer of homework 1 or 2 with an :class:`AnswerKey`."""
    if is_missing(answer):
        return Feedback(question, NOT_ATTEMPTED,
                        tr("Replace the ... with your answer and run the cell."))
    if key is None:
        return Feedback(question, NOT_ATTEMPTED, tr(_NO_NETWORK))
    if kind == "share":
        return _judge_share(question, item, answer, hint, key)
    verdict = key.judge(item, canonical(kind, answer))
    if verdict == CORRECT:
        return Feedback(question, CORRECT, tr("Well done."))
    if verdict in MISTAKES:
        return Feedback(question, WRONG, tr(MISTAKES[verdict]))
    if isinstance(answer, str):
        return Feedback(question, WRONG,
                        tr("Write the answer as a number, without quotes.") + " " + hint)
    if kind == "count" and canonical(kind, answer) is None:
        return Feedback(question, WRONG, tr("Sizes and counts are whole numbers.") + " " + hint)
    if kind.startswith("shape") and canonical(kind, answer) is None:
        size = int(kind[-1])
        if len(_shape(answer) or ()) == 1 and _shape(answer)[0] == size:
            return Feedback(question, WRONG, tr("Sizes are whole numbers.") + " " + hint)
        if _shape(answer) == (size + 1,) and canonical(kind, list(answer)[1:]) is not None \
                and key.judge(item, canonical(kind, list(answer)[1:])) == CORRECT:
            return Feedback(question, WRONG, tr(MISTAKES["batch"]))
        what = tr("{n}-axis shape {shape}", n=1, shape=(size,))
        return Feedback(question, WRONG, tr("The answer should be {what}.", what=what)
                        + " " + hint)
    return Feedback(question, WRONG, hint)


def _judge_share(question: str, item: str, answer, hint: str, key) -> Feedback:
    """A fraction, fingerprinted in whole percent: right within about one percent."""
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real) \
            or not np.isfinite(answer):
        return Feedback(question, WRONG,
                        tr("Write the answer as a number, without quotes.") + " " + hint)
    if 1 < answer <= 100:
        return Feedback(question, WRONG, tr("Give a fraction between 0 and 1, not a percentage."))
    percents = {int(np.floor(answer * 100)), int(np.ceil(answer * 100))}
    verdicts = [key.judge(item, str(p)) for p in sorted(percents)]
    if CORRECT in verdicts:
        return Feedback(question, CORRECT, tr("Well done."))
    known = [v for v in verdicts if v in MISTAKES]
    return Feedback(question, WRONG, tr(MISTAKES[known[0]]) if known else hint)


def _key():
    """The answer key of this notebook's network (None before its cell has run)."""
    network = _current.get("network")
    return network.key if network else None


def check_shape(row: str, answer, key) -> Feedback:
    """Judge a row's output shape with ``key``."""
    return judge_value(tr("{row} output shape", row=row), f"{row}_shape", shape_kind(row),
                       answer, tr(_SHAPE_HINTS[_row_kind(row)]), key)


def check_params(row: str, answer, key) -> Feedback:
    """Judge a row's number of parameters with ``key``."""
    return judge_value(tr("{row} parameters", row=row), f"{row}_params", "count", answer,
                       tr(_PARAMS_HINTS[_row_kind(row)]), key)


def check_total(answer, key) -> Feedback:
    """Judge the network's total number of parameters with ``key``."""
    return judge_value(tr("ZFNet's total number of parameters"), "total_params", "count",
                       answer, tr("Add up the parameters of every row of the table."), key)


def check_share(answer, key) -> Feedback:
    """Judge the share of the parameters in the fully connected layers with ``key``."""
    return judge_value(
        tr("share of the parameters in the fully connected layers"), "fc_share", "share",
        answer, tr("Add the parameters of the Linear layers in the summary and divide by the "
                   "total."), key)


def zfnet_layer(row: str, output_shape, params) -> Report:
    """Check one row of your network's table: its output shape and its number of parameters.

    Parameters
    ----------
    row : str
        ``"conv1"``, ``"pool1"``, ..., ``"pool5"``, ``"flatten"``, ``"fc6"``, ..., ``"fc8"``.
    output_shape : tuple
        Shape of one sample (no batch axis): ``(C, H, W)``, or ``(features,)`` after Flatten.
    params : int
        Weights plus biases of the layer (0 for a layer without parameters).
    """
    if row not in ROWS:
        raise ValueError(f"row must be one of {', '.join(ROWS)}; got {row!r}.")
    key = _key()
    return Report(check_shape(row, output_shape, key), check_params(row, params, key))


def zfnet_total(answer) -> Feedback:
    """Check the total number of parameters of your network (a whole number)."""
    return check_total(answer, _key())


def fc_share(answer) -> Feedback:
    """Check the share of your network's parameters in its fully connected layers (0 to 1)."""
    return check_share(answer, _key())


# --------------------------------------------------------------------------------------------
# Homework 2: build it
# --------------------------------------------------------------------------------------------

_TYPE_HINT = N_("ZFNet's features repeat Conv2d -> ReLU, with a MaxPool2d after the 1st, "
                "2nd and 5th convolution; then Flatten, and a classifier of "
                "(Dropout -> Linear -> ReLU) twice and a last Linear.")
_SETTING_HINTS = {
    "Conv2d": N_("Compare with your network's table: input and output channels, kernel size, "
                 "stride and padding of each convolution (the input channels are the output "
                 "channels of the convolution before)."),
    "MaxPool2d": N_("Your network pools with the table's window and stride and rounds up "
                    "(ceil_mode=True): check kernel_size, stride and ceil_mode."),
    "Linear": N_("in_features must be what the layer before outputs; out_features is the next "
                 "layer's width (the last one: the number of classes)."),
    "Dropout": N_("Check the drop probability p."),
}


def layer_items(number: int, layer: dict) -> dict:
    """``{item: canonical text}`` of one described layer (``number`` counts from 1)."""
    items = {f"model.{number}.type": canonical("text", layer.get("type"))}
    for name, value in (layer.get("settings") or {}).items():
        items[f"model.{number}.{name}"] = canonical("text", value)
    items[f"model.{number}.parameters"] = canonical("text", layer.get("parameters"))
    return items


def _first_difference(mine: list, key: AnswerKey) -> str:
    """Describe the first place where a model differs from the key's ("" when it agrees)."""
    for number, layer in enumerate(mine[: key.layers], start=1):
        kind = str(layer.get("type"))
        where = tr("Layer {number} of your model ({kind})", number=number, kind=kind)
        items = layer_items(number, layer)
        if key.judge(f"model.{number}.type", items[f"model.{number}.type"]) != CORRECT:
            return tr("{where}: your network has a different kind of layer here.",
                      where=where) + " " + tr(_TYPE_HINT)
        if not str(layer.get("module", "")).startswith("cnnlib.layers"):
            return tr("{where} is a class of your own; build the model from "
                      "cnnlib.layers.{type}.", where=where, type=kind)
        hint = tr(_SETTING_HINTS[kind]) if kind in _SETTING_HINTS else ""
        prefix = f"model.{number}."
        expected = [item[len(prefix):] for item in key.ok if item.startswith(prefix)
                    and item[len(prefix):] not in ("type", "parameters")]
        differing = [name for name in expected
                     if key.judge(prefix + name, canonical("text", (layer.get("settings") or {})
                                                           .get(name))) != CORRECT]
        if differing:
            message = (tr("{where}: its {setting} differs from your network's.", where=where,
                          setting=differing[0]) if len(differing) == 1 else
                       tr("{where}: its {settings} differ from your network's.", where=where,
                          settings=tr(" and ").join(differing)))
            return f"{message} {hint}".strip()
        if key.judge(prefix + "parameters", items[prefix + "parameters"]) != CORRECT:
            return tr("{where}: its number of parameters differs (a missing bias?).",
                      where=where) + f" {hint}"
    if len(mine) < key.layers:
        return tr("Your model stops after layer {n}; your network has more layers after it.",
                  n=len(mine)) + " " + tr(_TYPE_HINT)
    if len(mine) > key.layers:
        return tr("Your model has more layers than your network after layer {n}.",
                  n=key.layers)
    return ""


def judge_model(record: dict, key) -> Feedback:
    """Judge a description of a model (``{"layers": [...]}`` / ``{"missing"}`` /
    ``{"error"}``, as :func:`cnnlib.homework.runner.describe_model` makes it) with ``key``."""
    question = tr("your ZFNet")
    if record.get("missing"):
        return Feedback(question, NOT_ATTEMPTED, tr("Write build_zfnet and run the cell."))
    if key is None:
        return Feedback(question, NOT_ATTEMPTED, tr(_NO_NETWORK))
    if "error" in record:
        return Feedback(question, WRONG, tr("Building it raised {error}",
                                            error=record["error"]))
    layers = record.get("layers")
    if not isinstance(layers, list) or not all(isinstance(a, dict) for a in layers):
        return Feedback(question, WRONG, tr("build_zfnet should return a cnnlib layer such as "
                                            "a Sequential."))
    if len(layers) == 1 and not str(layers[0].get("module", "")).startswith("cnnlib.layers"):
        return Feedback(question, WRONG, tr("build_zfnet should return a cnnlib layer such as "
                                            "a Sequential, not a {type}.",
                                            type=layers[0].get("type")))
    difference = _first_difference(layers, key)
    if difference:
        return Feedback(question, WRONG, difference)
    return Feedback(question, CORRECT, tr("Every layer matches your network."))


def zfnet_model(build) -> Feedback:
    """Check your ZFNet layer by layer against your network's table.

    Parameters
    ----------
    build : callable returning a cnnlib layer, or the layer itself
        Raising ``NotImplementedError`` (or returning ``...``) means not attempted.

    The feedback names the first layer that differs and which of its settings, with a hint;
    it never shows the expected value.
    """
    from ..layers import Module

    model = build
    if callable(build) and not isinstance(build, Module):
        try:
            model = build()
        except NotImplementedError:
            model = ...
        except Exception as error:  # a student's bug must not stop the notebook
            return judge_model({"error": f"{type(error).__name__}: {error}"}, _key())
    if is_missing(model):
        return judge_model({"missing": True}, _key())
    return judge_model({"layers": describe_model(model)}, _key())

# --------------------------------------------------------------------------------------------
# Homework 3: convolution (forward and backward) and max pooling from scratch
# --------------------------------------------------------------------------------------------

# The lecture's padding example (cnnlib.data.lecture_example): a 5x5 image, a 3x3 filter, padding 1.
LECTURE_IMAGE, LECTURE_FILTER, _ = lecture_example()
# (description, x shape, w shape, stride, padding, hint) of the convolution cases.
_CONV_SHAPES = [
    (N_("3 input channels, 2 filters"), (1, 3, 6, 6), (2, 3, 3, 3), 1, 0,
     N_("Each output cell is the sum of window * filter over all input channels, plus the "
        "filter's bias.")),
    (N_("a batch of 2, padding 1, stride 2"), (2, 3, 7, 7), (4, 3, 3, 3), 2, 1,
     N_("Output cell (i, j) starts at input cell (i * stride, j * stride) of the padded "
        "input; the output is floor((H + 2p - k) / s) + 1 tall.")),
    (N_("a non-square input and kernel"), (1, 2, 6, 9), (3, 2, 2, 3), 1, 0,
     N_("Use the kernel's height for rows and its width for columns.")),
    (N_("non-square, stride 2, padding 2"), (2, 1, 8, 5), (2, 1, 3, 2), 2, 2,
     N_("Compute the output height and width separately, each with its own kernel size.")),
]
_BACKWARD_HINT = N_("Each output cell got window * filter: send dout[n, f, i, j] * w[f] back "
                    "to the window (adding where windows overlap, then cut the padding off), "
                    "dout * window to dw[f], and dout to db[f].")
# (description, x shape, kernel_size, stride, hint) of the pooling cases.
_POOL_SHAPES = [
    (N_("2x2 windows, stride 2"), (1, 1, 4, 4), 2, 2,
     N_("Each output is the largest value of its window.")),
    (N_("a batch of 2 with 3 channels"), (2, 3, 6, 6), 2, 2,
     N_("Pool every image and every channel on its own.")),
    (N_("overlapping 3x3 windows, stride 2 (as in AlexNet)"), (1, 2, 7, 7), 3, 2,
     N_("Windows overlap: one input cell can be the maximum of several windows.")),
    (N_("a non-square input, stride 1"), (1, 1, 5, 8), 2, 1,
     N_("The output is floor((H - k) / s) + 1 tall and floor((W - k) / s) + 1 wide.")),
]
_POOL_BACKWARD_HINT = N_("The gradient of a window goes to the cell that won its max; every "
                         "other cell of the window gets 0.")


#: The large case of each backward exercise: an analytic backward pass (loops as in the
#: solution) takes about 0.15 s on it; finite differences of a forward pass need two forward
#: passes per input value (~67,000 for the convolution, ~102,000 for the pooling: minutes even
#: with a vectorised forward). The grader stops such a call after LARGE_SECONDS.
LARGE = {"conv2d_backward": ((4, 8, 32, 32), (8, 8, 3, 3), 1, 1),
         "max_pool2d_backward": ((4, 8, 40, 40), 3, 2)}
LARGE_SECONDS = 5.0
_LARGE_VALUES = 10_000   # an input of this many values or more is a large case


def is_large(args) -> bool:
    """Whether a case's arguments are a large case (see :data:`LARGE`)."""
    return any(isinstance(a, np.ndarray) and a.size >= _LARGE_VALUES for a in args)


def _large_case(exercise: str, rng) -> tuple:
    """``(description, args, kwargs, hint)`` of the large case of a backward exercise."""
    from ..conv import conv2d
    from ..pool import max_pool2d

    if exercise == "conv2d_backward":
        x_shape, w_shape, stride, padding = LARGE[exercise]
        args = (rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                rng.standard_normal(w_shape[0]))
        kwargs = {"stride": stride, "padding": padding}
        args = (rng.standard_normal(conv2d(*args, **kwargs).shape), *args)
    else:
        x_shape, k, s = LARGE[exercise]
        x = _pool_input(x_shape, rng)
        args, kwargs = (rng.standard_normal(max_pool2d(x, k, s).shape), x, k, s), {}
    shape = " x ".join(map(str, x_shape))
    return (tr("a large input, {shape}: only a derived backward pass is fast enough",
               shape=shape), args, kwargs,
            tr("Derive the backward pass from the forward pass's formula: finite differences "
               "of your forward pass need two forward passes per input value, too slow here "
               "(the grader stops a call after {seconds:g} s).", seconds=LARGE_SECONDS))


def _pool_input(shape, rng):
    """Distinct, well-separated values (no ties, so the maximum is clear and differentiable)."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size / 2) / size


def _cases(exercise: str, rng) -> list:
    """``(description, args, kwargs, hint)`` of one homework 3 exercise, drawn from ``rng``."""
    if exercise in ("conv2d_forward", "conv2d_backward"):
        cases = [] if exercise == "conv2d_backward" else [
            (tr("the lecture's 5x5 example, padding 1"),
             (LECTURE_IMAGE[None, None], LECTURE_FILTER[None, None], np.zeros(1)),
             {"stride": 1, "padding": 1},
             tr("Pad the input with p zeros on every side first, then slide the filter."))]
        for description, x_shape, w_shape, stride, padding, hint in _CONV_SHAPES:
            hint = tr(hint)
            args = (rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                    rng.standard_normal(w_shape[0]))
            kwargs = {"stride": stride, "padding": padding}
            if exercise == "conv2d_backward":
                from ..conv import conv2d

                dout = rng.standard_normal(conv2d(*args, **kwargs).shape)
                args, hint = (dout, *args), f"{hint} {tr(_BACKWARD_HINT)}"
            cases.append((tr(description), args, kwargs, hint))
        if exercise == "conv2d_backward":
            cases.append(_large_case(exercise, rng))
        return cases
    from ..pool import max_pool2d

    cases = []
    for description, shape, k, s, hint in _POOL_SHAPES:
        x = _pool_input(shape, rng)
        if exercise == "max_pool2d_backward":
            dout = rng.standard_normal(max_pool2d(x, k, s).shape)
            cases.append((tr(description), (dout, x, k, s), {},
                          f"{tr(hint)} {tr(_POOL_BACKWARD_HINT)}"))
        else:
            cases.append((tr(description), (x, k, s), {}, tr(hint)))
    if exercise == "max_pool2d_backward":
        cases.append(_large_case(exercise, rng))
    return cases


def _reference(exercise: str, args, kwargs):
    """What a case must give: cnnlib's forward, or (for backward passes) the gradients that
    finite differences of cnnlib's forward measure (a gradient check, not cnnlib's backward);
    on a large case, cnnlib's backward (itself checked against finite differences in cnnlib's
    tests), since finite differences would take minutes there."""
    from ..conv import conv2d, conv2d_backward, conv2d_forward
    from ..gradcheck import numerical_gradient
    from ..pool import max_pool2d, max_pool2d_backward, max_pool2d_forward

    if is_large(args) and exercise == "conv2d_backward":
        dout, *inputs = args
        return conv2d_backward(dout, conv2d_forward(*inputs, **kwargs)[1])
    if is_large(args) and exercise == "max_pool2d_backward":
        dout, x, k, s = args
        return max_pool2d_backward(dout, max_pool2d_forward(x, k, s)[1])

    if exercise == "conv2d_forward":
        return conv2d(*args, **kwargs)
    if exercise == "max_pool2d_forward":
        return max_pool2d(*args)
    if exercise == "conv2d_backward":
        dout, *inputs = [a.copy() for a in args]
        loss = lambda: float(np.sum(conv2d(*inputs, **kwargs) * dout))  # noqa: E731
        return tuple(numerical_gradient(loss, x) for x in inputs)
    dout, x, k, s = args
    x = x.copy()
    return numerical_gradient(lambda: float(np.sum(max_pool2d(x, k, s) * dout)), x)


_MISSING_CALL = {"missing": True}


def _judge_case(number: int, description: str, hint: str, outcome: dict, want) -> Feedback:
    """One case of a function exercise: ``outcome`` is the sandbox's record of the call."""
    where = tr("Case {number} ({description})", number=number, description=description)
    if outcome.get("error") == "timed out":
        return Feedback("", WRONG, tr("{where} took too long.", where=where) + " " + hint)
    if "error" in outcome:
        return Feedback("", WRONG, tr("{where} raised {error}", where=where,
                                      error=outcome["error"]))
    got = outcome.get("result")
    if isinstance(want, tuple):
        if not outcome.get("tuple") or not isinstance(got, list) or len(got) != len(want):
            return Feedback("", WRONG, tr("{where}: return a tuple of {n} arrays (one gradient "
                                          "per input).", where=where, n=len(want)) + " " + hint)
        pairs = list(zip(got, want))
    else:
        pairs = [(got, want)]
    for g, w in pairs:
        shape = _shape(g)
        if shape != np.shape(w):
            what = (tr("rows of different lengths") if shape is None else
                    tr("shape {shape}", shape=shape))
            return Feedback("", WRONG, tr("{where}: the result has {what}, expected "
                                          "{expected}.", where=where, what=what,
                                          expected=np.shape(w)) + " " + hint)
        if not _same(g, w, 1e-5, 1e-7):
            return Feedback("", WRONG, tr("{where} gives different values.", where=where)
                            + " " + hint)
    return Feedback("", CORRECT)


def _judge_function(exercise: str, cases: list, outcomes: list) -> Feedback:
    """Judge every case of a function exercise from the records of its calls."""
    if any(o.get("missing") for o in outcomes) or not outcomes:
        return Feedback(exercise, NOT_ATTEMPTED, tr("Write the function and run the cell."))
    for number, ((description, args, kwargs, hint), outcome) in enumerate(
            zip(cases, outcomes), start=1):
        feedback = _judge_case(number, description, hint, outcome,
                               _reference(exercise, args, kwargs))
        if not feedback:
            return Feedback(exercise, WRONG, feedback.message)
    if exercise.endswith("backward"):
        return Feedback(exercise, CORRECT, tr(
            "All {n} cases agree: the small ones with finite differences of cnnlib's forward "
            "pass, the large one with cnnlib's backward pass, in time.", n=len(cases)))
    return Feedback(exercise, CORRECT, tr("All {n} cases agree with cnnlib.", n=len(cases)))


class _TookTooLong(Exception):
    """A large case ran past :data:`LARGE_SECONDS` (raised by the alarm of :func:`_within`)."""


def _within(seconds, function, args, kwargs):
    """``function(*args, **kwargs)``, stopped after ``seconds`` where an alarm signal can stop
    it (the main thread on Linux and macOS, as in a notebook); elsewhere it runs to the end."""
    if seconds is None or not hasattr(signal, "setitimer") or (
            threading.current_thread() is not threading.main_thread()):
        return function(*args, **kwargs)

    def alarm(signum, frame):
        raise _TookTooLong()

    try:
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    except (OSError, ValueError, AttributeError):  # e.g. in the browser (Pyodide): no alarm
        return function(*args, **kwargs)
    try:
        return function(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _call_locally(function, args, kwargs) -> dict:
    """The record the sandbox would make of one call (for the feedback in a notebook): a large
    case that takes longer than the grader allows counts as timed out."""
    if is_missing(function):
        return _MISSING_CALL
    start = time.perf_counter()
    try:
        arguments = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        result = _within(LARGE_SECONDS if is_large(args) else None, function, arguments,
                         kwargs)
    except _TookTooLong:
        return {"error": "timed out"}
    except NotImplementedError:
        return _MISSING_CALL
    except Exception as error:  # a student's bug must not stop the notebook
        return {"error": f"{type(error).__name__}: {error}"}
    if is_large(args) and time.perf_counter() - start > LARGE_SECONDS:
        return {"error": "timed out"}
    if isinstance(result, tuple):
        return {"result": list(result), "tuple": True}
    return {"result": result}


def _check_locally(exercise: str, function) -> Feedback:
    cases = _cases(exercise, np.random.default_rng(0))
    return _judge_function(exercise, cases,
                           [_call_locally(function, a, k) for _, a, k, _ in cases])


def conv2d_forward(function) -> Feedback:
    """Check ``function(x, w, b, stride=1, padding=0)`` against :func:`cnnlib.conv.conv2d`."""
    return _check_locally("conv2d_forward", function)


def conv2d_backward(function) -> Feedback:
    """Check ``function(dout, x, w, b, stride=1, padding=0) -> (dx, dw, db)`` by a gradient
    check: finite differences of :func:`cnnlib.conv.conv2d` on every case."""
    return _check_locally("conv2d_backward", function)


def max_pool2d_forward(function) -> Feedback:
    """Check ``function(x, kernel_size, stride)`` against :func:`cnnlib.pool.max_pool2d`."""
    return _check_locally("max_pool2d_forward", function)


def max_pool2d_backward(function) -> Feedback:
    """Check ``function(dout, x, kernel_size, stride) -> dx`` by a gradient check:
    finite differences of :func:`cnnlib.pool.max_pool2d` on every case."""
    return _check_locally("max_pool2d_backward", function)



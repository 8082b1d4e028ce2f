"""Checkers of the homework notebooks (``notebooks/homework/``).

Like the course's checkers (:mod:`cnnlib.checks.core`, whose engine they use), they say which
item is wrong and what to reconsider, never the expected value, and a blank (``...``) or a
function that still raises ``NotImplementedError`` reports "not attempted".

Each check also has a place in :data:`HOMEWORK` (homework -> its exercises) and its points in
:data:`POINTS`. The checks a student runs only give feedback; a grade is decided elsewhere:
the grader (:mod:`cnnlib.homework`) runs the notebook in a sandbox that only hands back the
student's *answers* (:func:`grading_task` says which: variables, the layers a function builds,
the outputs of the student's functions on inputs drawn at grading time), and :func:`score`
compares them here, outside the sandbox, with the same judgements the feedback uses.

Homework 1 and 2 are about ZFNet (Zeiler & Fergus 2013), not the lecture's AlexNet, so that the
lecture (notebook 09 works out AlexNet's whole table) does not solve them: :func:`zfnet` is the
reference, the layout of the paper's figure 3 for a 3 x 224 x 224 input without its contrast
normalisation, its pools rounding up as Caffe's did (62,357,608 parameters). It lives here,
not in :mod:`cnnlib.models`, and the grading sandbox has neither.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from ..data import lecture_example
from ..i18n import N_, tr
from .core import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    Feedback,
    _same,
    _shape,
    check_value,
    conv_params,
    is_missing,
)

__all__ = [
    "zfnet",
    "HOMEWORK",
    "POINTS",
    "grading_task",
    "score",
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

INPUT = (3, 224, 224)
HW1, HW2, HW3 = ("hw1_zfnet_parameters", "hw2_build_zfnet", "hw3_conv_and_pool_from_scratch")
# The rows of homework 1's table, named as in the lecture (conv1..conv5, fc6..fc8).
ROWS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5", "flatten",
        "fc6", "fc7", "fc8")
_ROW_TYPES = {"conv": "Conv2d", "pool": "MaxPool2d", "flatten": "Flatten", "fc": "Linear"}

#: Homework name -> its exercises, in notebook order.
HOMEWORK = {
    HW1: tuple(f"{row}_{what}" for row in ROWS for what in ("shape", "params"))
    + ("total_params",),
    HW2: ("model", "fc_share"),
    HW3: ("conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward"),
}
#: Points of each exercise: code that must work on inputs drawn at grading time is worth more
#: than one arithmetic blank (homework 1: 25 blanks of 1 point; homework 3: 40 points).
POINTS = {
    HW1: dict.fromkeys(HOMEWORK[HW1], 1),
    HW2: {"model": 10, "fc_share": 2},
    HW3: {"conv2d_forward": 10, "conv2d_backward": 15, "max_pool2d_forward": 5,
          "max_pool2d_backward": 10},
}
#: The function a homework 2 notebook must define, and the names its answers are read from.
HW2_BUILD = "build_zfnet"




def _renamed(feedback: Feedback, question: str) -> Feedback:
    return Feedback(question, feedback.status, feedback.message)


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
# Homework 1: ZFNet's table of output shapes and parameter counts
# --------------------------------------------------------------------------------------------

def zfnet(num_classes: int = 1000):
    """ZFNet (Zeiler & Fergus 2013, figure 3) for 3 x 224 x 224 images, as a cnnlib Sequential.

    224 -> conv1 7x7/2, padding 1 -> 110 -> pool 3x3/2 -> 55 -> conv2 5x5/2 -> 26 -> pool ->
    13 -> conv3..conv5 3x3, padding 1 -> 13 -> pool -> 6; then 256 x 6 x 6 = 9216 -> 4096 ->
    4096 -> ``num_classes``. The pools round up (``ceil_mode=True``, as Caffe did), which gives
    the paper's 55 and 13. The paper's contrast normalisation is left out. 62,357,608
    parameters for 1000 classes.
    """
    from ..layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential

    def pool():
        return MaxPool2d(3, stride=2, ceil_mode=True)

    return Sequential(
        Sequential(Conv2d(3, 96, 7, stride=2, padding=1), ReLU(), pool(),
                   Conv2d(96, 256, 5, stride=2), ReLU(), pool(),
                   Conv2d(256, 384, 3, padding=1), ReLU(),
                   Conv2d(384, 384, 3, padding=1), ReLU(),
                   Conv2d(384, 256, 3, padding=1), ReLU(), pool()),
        Flatten(),
        Sequential(Dropout(0.5), Linear(256 * 6 * 6, 4096), ReLU(),
                   Dropout(0.5), Linear(4096, 4096), ReLU(),
                   Linear(4096, num_classes)))


def _leaves(model):
    """The leaf layers of a (possibly nested) container, in order."""
    from ..layers import Container

    if isinstance(model, Container):
        for child in model:
            yield from _leaves(child)
    else:
        yield model


def _table_row_names(layers) -> list:
    """Name each leaf as the lecture does: conv1, pool1, ..., fc8 (ReLU/Dropout: None).

    A pooling layer takes the number of the convolution it follows (pool5 after conv5, as
    AlexNet's pool5), so that names do not shift when a convolution has no pooling after it.
    """
    counts, names = {}, []
    for layer in layers:
        kind = next((k for k, t in _ROW_TYPES.items() if type(layer).__name__ == t), None)
        if kind is None:
            names.append(None)
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "pool":
            names.append(f"pool{counts.get('conv', 0)}")
            continue
        first = {"conv": 1, "fc": 6}.get(kind)
        names.append(kind if first is None else f"{kind}{first + counts[kind] - 1}")
    return names


@functools.lru_cache(maxsize=1)
def _table():
    """``{row: (layer, input_shape, output_shape, parameters)}`` of the reference ZFNet."""
    layers = list(_leaves(zfnet()))
    table, shape = {}, INPUT
    for name, layer in zip(_table_row_names(layers), layers):
        out = layer.output_shape(shape)
        if name is not None:
            table[name] = (layer, shape, out, layer.num_parameters)
        shape = out
    missing = set(ROWS) - set(table)
    if missing:
        raise RuntimeError(f"zfnet() has no layer for rows {sorted(missing)}.")
    return table


def _shape_mistakes(row: str, layer, in_shape, expected) -> dict:
    """Common wrong output shapes of a row, with what each one shows."""
    mistakes = {(1, *expected): tr("Leave out the batch axis: give the shape of one sample."),
                tuple(in_shape): tr("The layer changes the shape of its input.")}
    if len(expected) == 3:
        c, h, w = expected
        mistakes[(h, w, c)] = tr("cnnlib (like PyTorch) puts channels first: (C, H, W).")
    kernel = getattr(layer, "kernel_size", None)
    if kernel is not None:
        k, s, p = kernel[0], layer.stride[0], layer.padding[0]
        i = in_shape[1]
        if p:
            mistakes[(expected[0],) + ((i - k) // s + 1,) * 2] = (
                tr("Padding adds p cells on both sides: use i + 2p in the formula."))
        if (i + 2 * p - k) % s:
            size = (i + 2 * p - k) / s + 1
            if getattr(layer, "ceil_mode", False):
                mistakes[(expected[0],) + (math.floor(size),) * 2] = tr(
                    "ZFNet's pools round UP (ceil_mode=True, as Caffe did): a last window "
                    "that runs past the edge still counts.")
            else:
                mistakes[(expected[0],) + (math.ceil(size),) * 2] = tr(
                    "When the stride does not divide evenly, round down: a window that would "
                    "run past the edge is not used.")
            mistakes[(expected[0], size, size)] = tr("Sizes are whole numbers.")
    mistakes.pop(tuple(expected), None)
    return mistakes


_SHAPE_HINTS = {
    "conv": N_("Use o = floor((i + 2p - k) / s) + 1 on the height and the width; the number "
               "of channels is the number of filters."),
    "pool": N_("Max pooling keeps the channels; with ceil_mode, o = ceil((i + 2p - k) / s) + 1 "
               "with the pool's kernel and stride."),
    "flatten": N_("Flatten lines up C x H x W values of a sample along one axis: (features,)."),
    "fc": N_("A fully connected layer outputs one value per output neuron: (out_features,)."),
}


def _row_kind(row: str) -> str:
    return row.rstrip("0123456789")


def _check_shape(row: str, answer) -> Feedback:
    layer, in_shape, expected, _ = _table()[row]
    if isinstance(answer, numbers.Integral) and len(expected) == 1:
        answer = (answer,)  # 9216 for (9216,)
    return check_value(tr("{row} output shape", row=row), answer, expected,
                       tr(_SHAPE_HINTS[_row_kind(row)]),
                       mistakes=_shape_mistakes(row, layer, in_shape, expected))


def _check_params(row: str, answer) -> Feedback:
    layer, in_shape, _, expected = _table()[row]
    question, kind = tr("{row} parameters", row=row), _row_kind(row)
    if kind == "conv":
        feedback = conv_params(answer, layer.in_channels, layer.out_channels,
                               layer.kernel_size, layer.groups)
        return _renamed(feedback, question)
    if kind == "fc":
        n_in, n_out = layer.in_features, layer.out_features
        mistakes = {n_in * n_out: tr("Each output neuron also has a bias."),
                    n_in + 1: tr("Every output neuron has its own weights and bias."),
                    (n_in + 1) * n_out - n_out + 1: tr("There is one bias per output neuron.")}
        return check_value(question, answer, expected,
                           tr("A fully connected layer has (in_features + 1) x out_features "
                              "parameters: the weights plus one bias per output."),
                           mistakes=mistakes)
    return check_value(question, answer, expected,
                       tr("Does this layer learn anything? Pooling, flattening and reshaping "
                          "only move or pick values (the lecture: pooling has no parameters)."))


def zfnet_layer(row: str, output_shape, params) -> Report:
    """Check one row of ZFNet's table: its output shape and its number of parameters.

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
    return Report(_check_shape(row, output_shape), _check_params(row, params))


def zfnet_total(answer) -> Feedback:
    """Check the total number of parameters of ZFNet (:func:`zfnet`)."""
    table = _table()
    expected = sum(row[3] for row in table.values())
    biases = sum(getattr(row[0], "out_channels", getattr(row[0], "out_features", 0))
                 for row in table.values())
    conv = sum(row[3] for name, row in table.items() if name.startswith("conv"))
    mistakes = {expected - biases: tr("Did you leave out the biases?"),
                conv: tr("That is the convolutional layers only; add the fully connected "
                         "ones."),
                expected - conv: tr("That is the fully connected layers only; add the "
                                    "convolutional ones.")}
    return check_value(tr("ZFNet's total number of parameters"), answer, expected,
                       tr("Add up the parameters of every row of the table."), mistakes=mistakes)


# --------------------------------------------------------------------------------------------
# Homework 2: build ZFNet
# --------------------------------------------------------------------------------------------

_TYPE_HINT = N_("ZFNet's features repeat Conv2d -> ReLU, with a MaxPool2d after the 1st, "
                "2nd and 5th convolution; then Flatten, and a classifier of "
                "(Dropout -> Linear -> ReLU) twice and a last Linear.")
_SETTING_HINTS = {
    "Conv2d": N_("Compare with the lecture's table: input and output channels, kernel size, "
                 "stride and padding of each convolution (the input channels are the output "
                 "channels of the convolution before)."),
    "MaxPool2d": N_("ZFNet pools overlapping 3 x 3 windows with stride 2 and rounds up "
                    "(ceil_mode=True): check kernel_size, stride and ceil_mode."),
    "Linear": N_("in_features must be what the layer before outputs; out_features is the next "
                 "layer's width (the last one: the number of classes)."),
    "Dropout": N_("Check the drop probability p."),
}


def _describe(model) -> list:
    """The leaf layers of a model as the grading sandbox describes them (type, settings)."""
    from ..homework.runner import describe_model

    return describe_model(model)


@functools.lru_cache(maxsize=1)
def _reference_layers() -> tuple:
    """ZFNet's leaf layers described, each with its ``"shape"``: its output for one input."""
    from .rebuild import output_shapes

    shapes = output_shapes(list(_leaves(zfnet())), INPUT)
    return tuple({**described, "shape": shape}
                 for described, shape in zip(_describe(zfnet()), shapes))


def _first_difference(mine: list, reference) -> str:
    """Describe the first place where two layer descriptions differ ("" when they agree)."""
    for number, (a, b) in enumerate(zip(mine, reference), start=1):
        kind = str(a.get("type"))
        where = tr("Layer {number} of your model ({kind})", number=number, kind=kind)
        if kind != b["type"]:
            return tr("{where}: ZFNet has a different kind of layer here.", where=where) + (
                " " + tr(_TYPE_HINT))
        if a.get("module") != b["module"]:
            return tr("{where} is a class of your own; build the model from "
                      "cnnlib.layers.{type}.", where=where, type=b["type"])
        hint = tr(_SETTING_HINTS[kind]) if kind in _SETTING_HINTS else ""
        sa, sb = a.get("settings") or {}, b["settings"]
        differing = [k for k in sb if sa.get(k) != sb[k]]
        if differing:
            message = (tr("{where}: its {setting} differs from ZFNet's.", where=where,
                          setting=differing[0]) if len(differing) == 1 else
                       tr("{where}: its {settings} differ from ZFNet's.", where=where,
                          settings=tr(" and ").join(differing)))
            return f"{message} {hint}"
        if a.get("parameters") != b["parameters"]:
            return tr("{where}: its number of parameters differs (a missing bias?).",
                      where=where) + f" {hint}"
    if len(mine) < len(reference):
        return tr("Your model stops after layer {n}; ZFNet has more layers after it.",
                  n=len(mine)) + " " + tr(_TYPE_HINT)
    if len(mine) > len(reference):
        return tr("Your model has more layers than ZFNet after layer {n}.", n=len(reference))
    return ""


def _judge_model(record: dict) -> Feedback:
    """Judge a sandbox record ``{"layers": [...]}`` / ``{"missing"}`` / ``{"error"}``.

    The described layers are rebuilt here with cnnlib.layers (:mod:`cnnlib.checks.rebuild`),
    and what is compared with ZFNet is what the rebuilt layers have: settings, parameters and
    output shapes, never the numbers the record claims. A description that cannot be rebuilt
    is wrong.
    """
    from .rebuild import RebuildError, output_shapes, rebuild_layer

    question = tr("your ZFNet")
    if record.get("missing"):
        return Feedback(question, NOT_ATTEMPTED, tr("Write build_zfnet and run the cell."))
    if "error" in record:
        return Feedback(question, WRONG, tr("Building it raised {error}",
                                            error=record["error"]))
    layers = record.get("layers")
    if not isinstance(layers, list) or not all(isinstance(a, dict) for a in layers):
        return Feedback(question, WRONG, tr("build_zfnet should return a cnnlib layer such as "
                                            "a Sequential."))
    if len(layers) == 1 and layers[0].get("module") != "cnnlib.layers":
        return Feedback(question, WRONG, tr("build_zfnet should return a cnnlib layer such as "
                                            "a Sequential, not a {type}.",
                                            type=layers[0].get("type")))
    reference = _reference_layers()
    rebuilt, built = [], []
    for number, described in enumerate(layers, start=1):
        if number > len(reference) or any(described.get(key) != reference[number - 1][key]
                                          for key in ("type", "module")):
            rebuilt.append(described)  # another kind of layer: the comparison names it
            continue
        try:
            layer = rebuild_layer(described)
        except RebuildError as error:
            difference = _first_difference(rebuilt, reference[:len(rebuilt)])
            return Feedback(question, WRONG, difference or tr(
                "Layer {number} of your model ({kind}) cannot be rebuilt from its "
                "description: {why}", number=number, kind=described["type"], why=error))
        built.append(layer)
        rebuilt.append({**_describe(layer)[0], "module": described["module"]})
    difference = _first_difference(rebuilt, reference)
    if difference:
        return Feedback(question, WRONG, difference)
    try:
        shapes = output_shapes(built, INPUT)
    except RebuildError as error:
        return Feedback(question, WRONG, tr("Your model cannot run: {why}", why=error))
    for number, (shape, expected) in enumerate(zip(shapes, reference), start=1):
        if shape != expected["shape"]:
            return Feedback(question, WRONG, tr(
                "Layer {number} of your model ({kind}): its output shape differs from ZFNet's.",
                number=number, kind=expected["type"]))
    return Feedback(question, CORRECT, tr("Every layer matches ZFNet."))


def zfnet_model(build) -> Feedback:
    """Check a student's ZFNet layer by layer against :func:`zfnet`.

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
            return _judge_model({"error": f"{type(error).__name__}: {error}"})
    if is_missing(model):
        return _judge_model({"missing": True})
    return _judge_model({"layers": _describe(model)})


def fc_share(answer) -> Feedback:
    """Check the share of ZFNet's parameters in its fully connected layers (0 to 1)."""
    question = tr("share of the parameters in the fully connected layers")
    if isinstance(answer, numbers.Real) and 1 < answer <= 100:
        return Feedback(question, WRONG,
                        tr("Give a fraction between 0 and 1, not a percentage."))
    table = _table()
    total = sum(row[3] for row in table.values())
    fc = sum(row[3] for name, row in table.items() if name.startswith("fc"))
    return check_value(
        question, answer, fc / total,
        tr("Add the parameters of the Linear layers in the summary and divide by the total."),
        atol=0.005, mistakes={1 - fc / total: tr("That is the convolutional layers' share.")})


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
    return cases


def _reference(exercise: str, args, kwargs):
    """What a case must give: cnnlib's forward, or (for backward passes) the gradients that
    finite differences of cnnlib's forward measure (a gradient check, not cnnlib's backward)."""
    from ..conv import conv2d
    from ..gradcheck import numerical_gradient
    from ..pool import max_pool2d

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
        return Feedback(exercise, CORRECT, tr("All {n} cases agree with finite differences of "
                                              "cnnlib's forward pass.", n=len(cases)))
    return Feedback(exercise, CORRECT, tr("All {n} cases agree with cnnlib.", n=len(cases)))


def _call_locally(function, args, kwargs) -> dict:
    """The record the sandbox would make of one call (for the feedback in a notebook)."""
    if is_missing(function):
        return _MISSING_CALL
    try:
        result = function(*[a.copy() if isinstance(a, np.ndarray) else a for a in args],
                          **kwargs)
    except NotImplementedError:
        return _MISSING_CALL
    except Exception as error:  # a student's bug must not stop the notebook
        return {"error": f"{type(error).__name__}: {error}"}
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


# --------------------------------------------------------------------------------------------
# Grading: what the sandbox must hand back, and the score of what it handed back
# --------------------------------------------------------------------------------------------

def _as_json(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def grading_task(homework: str, seed: int) -> tuple[dict, object]:
    """What the sandbox must collect from a notebook, and what :func:`score` needs to judge it.

    Returns ``(task, private)``: ``task`` is sent to the sandbox's runner (names of the
    answers; for homework 3 the calls to make, on inputs drawn from ``seed``); ``private``
    stays with the grader.
    """
    if homework == HW1:
        return {"values": list(HOMEWORK[HW1])}, None
    if homework == HW2:
        return {"models": {"model": HW2_BUILD}, "values": ["fc_share"]}, None
    if homework != HW3:
        raise ValueError(f"homework must be one of {', '.join(HOMEWORK)}; got {homework!r}.")
    rng = np.random.default_rng(seed)
    cases = {exercise: _cases(exercise, rng) for exercise in HOMEWORK[HW3]}
    calls = [{"id": f"{exercise}/{number}", "function": exercise,
              "args": [_as_json(a) for a in args], "kwargs": kwargs}
             for exercise, its_cases in cases.items()
             for number, (_, args, kwargs, _) in enumerate(its_cases)]
    return {"calls": calls}, cases


class Unsupported:
    """An answer the sandbox could not hand back as a number (an object of another type)."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


def decode(value):
    """The answer :mod:`cnnlib.homework.runner` encoded (``{"missing": true}`` is ``...``)."""
    if isinstance(value, dict):
        if value.get("missing") is True:
            return ...
        if isinstance(value.get("number"), str) and value["number"] in ("nan", "inf", "-inf"):
            return float(value["number"])
        return Unsupported(str(value.get("object", "object"))[:60])
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def score(homework: str, answers: dict, private) -> dict:
    """``{exercise: Feedback}`` for a notebook's answers (as :mod:`cnnlib.homework` reads them).

    ``answers`` has ``"values"`` (name -> encoded value), ``"models"`` (name -> record) and
    ``"calls"`` (call id -> record); anything absent is "not attempted".
    """
    values, models, calls = (answers.get(k, {}) for k in ("values", "models", "calls"))

    def value(name):
        return decode(values.get(name, {"missing": True}))

    def safely(judge, *args):
        try:
            return judge(*args)
        except Exception as error:  # a hostile answer must not stop the grader
            return Feedback("", WRONG, tr("The answer could not be compared ({error_type}).",
                                          error_type=type(error).__name__))

    result = {}
    if homework == HW1:
        for row in ROWS:
            result[f"{row}_shape"] = safely(_check_shape, row, value(f"{row}_shape"))
            result[f"{row}_params"] = safely(_check_params, row, value(f"{row}_params"))
        result["total_params"] = safely(zfnet_total, value("total_params"))
    elif homework == HW2:
        result["model"] = safely(_judge_model, models.get("model", {"missing": True}))
        result["fc_share"] = safely(fc_share, value("fc_share"))
    elif homework == HW3:
        for exercise, cases in private.items():
            outcomes = []
            for number in range(len(cases)):
                record = calls.get(f"{exercise}/{number}", _MISSING_CALL)
                outcomes.append({**record, "result": decode(record.get("result"))}
                                if "result" in record else record)
            result[exercise] = safely(_judge_function, exercise, cases, outcomes)
    return result

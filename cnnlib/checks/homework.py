"""Checkers of the homework notebooks (``notebooks/homework/``).

Like the course's checkers (:mod:`cnnlib.checks.core`, whose engine they use), they say which
item is wrong and what to reconsider, never the expected value, and a blank (``...``) or a
function that still raises ``NotImplementedError`` reports "not attempted".

Each check also has a place in :data:`HOMEWORK` (homework -> its exercises, one point each).
When the environment variable ``CNNLIB_GRADING_LOG`` names a file (the grader of
:mod:`cnnlib.homework` sets it), every check appends one JSON line to it::

    {"homework": "hw1_alexnet_parameters", "exercise": "conv1_params", "status": "correct"}

Nothing is written otherwise, so a student's notebook looks the same with or without grading.

The AlexNet of the homework is torchvision's single-GPU layout, :func:`cnnlib.models.alexnet`
(61,100,840 parameters for a 3 x 224 x 224 input).
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import os

import numpy as np

from .core import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    Feedback,
    check_function,
    check_value,
    conv_params,
    is_missing,
)

__all__ = [
    "GRADING_LOG_ENV",
    "HOMEWORK",
    "Report",
    "alexnet_layer",
    "alexnet_total",
    "alexnet_model",
    "fc_share",
    "conv2d_forward",
    "max_pool2d_forward",
    "max_pool2d_backward",
]

GRADING_LOG_ENV = "CNNLIB_GRADING_LOG"
ALEXNET_INPUT = (3, 224, 224)
HW1, HW2, HW3 = ("hw1_alexnet_parameters", "hw2_build_alexnet",
                 "hw3_conv_and_pool_from_scratch")
# The rows of homework 1's table, named as in the lecture (conv1..conv5, fc6..fc8).
ALEXNET_ROWS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool3",
                "avgpool", "flatten", "fc6", "fc7", "fc8")
_ROW_TYPES = {"conv": "Conv2d", "pool": "MaxPool2d", "avgpool": "AdaptiveAvgPool2d",
              "flatten": "Flatten", "fc": "Linear"}

#: Homework name -> its exercises, in notebook order (one point each).
HOMEWORK = {
    HW1: tuple(f"{row}_{what}" for row in ALEXNET_ROWS for what in ("shape", "params"))
    + ("total_params",),
    HW2: ("model", "fc_share"),
    HW3: ("conv2d_forward", "max_pool2d_forward", "max_pool2d_backward"),
}


def _log(homework: str, exercise: str, feedback: Feedback) -> Feedback:
    """Append the result to the grading log when grading; return the feedback unchanged."""
    path = os.environ.get(GRADING_LOG_ENV)
    if path:
        record = {"homework": homework, "exercise": exercise, "status": feedback.status}
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")
    return feedback


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
# Homework 1: AlexNet's table of output shapes and parameter counts
# --------------------------------------------------------------------------------------------

def _leaves(model):
    """The leaf layers of a (possibly nested) container, in order."""
    from ..layers import Container

    if isinstance(model, Container):
        for child in model:
            yield from _leaves(child)
    else:
        yield model


def _table_row_names(layers) -> list:
    """Name each leaf as the lecture does: conv1, pool1, ..., fc8 (ReLU/Dropout: None)."""
    counts, names = {}, []
    for layer in layers:
        kind = next((k for k, t in _ROW_TYPES.items() if type(layer).__name__ == t), None)
        if kind is None:
            names.append(None)
            continue
        counts[kind] = counts.get(kind, 0) + 1
        first = {"conv": 1, "pool": 1, "fc": 6}.get(kind)
        names.append(kind if first is None else f"{kind}{first + counts[kind] - 1}")
    return names


@functools.lru_cache(maxsize=1)
def _alexnet_table():
    """``{row: (layer, input_shape, output_shape, parameters)}`` of the reference AlexNet."""
    from ..models import alexnet

    layers = list(_leaves(alexnet()))
    table, shape = {}, ALEXNET_INPUT
    for name, layer in zip(_table_row_names(layers), layers):
        out = layer.output_shape(shape)
        if name is not None:
            table[name] = (layer, shape, out, layer.num_parameters)
        shape = out
    missing = set(ALEXNET_ROWS) - set(table)
    if missing:
        raise RuntimeError(f"cnnlib.models.alexnet() has no layer for rows {sorted(missing)}.")
    return table


def _shape_mistakes(row: str, layer, in_shape, expected) -> dict:
    """Common wrong output shapes of a row, with what each one shows."""
    mistakes = {(1, *expected): "Leave out the batch axis: give the shape of one sample.",
                tuple(in_shape): "The layer changes the shape of its input."}
    if len(expected) == 3:
        c, h, w = expected
        mistakes[(h, w, c)] = "cnnlib (like PyTorch) puts channels first: (C, H, W)."
    kernel = getattr(layer, "kernel_size", None)
    if kernel is not None:
        k, s, p = kernel[0], layer.stride[0], layer.padding[0]
        i = in_shape[1]
        if p:
            mistakes[(expected[0],) + ((i - k) // s + 1,) * 2] = (
                "Padding adds p cells on both sides: use i + 2p in the formula.")
        if (i + 2 * p - k) % s:
            size = (i + 2 * p - k) / s + 1
            mistakes[(expected[0],) + (math.ceil(size),) * 2] = (
                "When the stride does not divide evenly, round down: a window that would run "
                "past the edge is not used.")
            mistakes[(expected[0], size, size)] = "Sizes are whole numbers: round down."
    mistakes.pop(tuple(expected), None)
    return mistakes


_SHAPE_HINTS = {
    "conv": "Use o = floor((i + 2p - k) / s) + 1 on the height and the width; the number "
            "of channels is the number of filters.",
    "pool": "Max pooling keeps the channels; o = floor((i + 2p - k) / s) + 1 with the pool's "
            "kernel and stride.",
    "avgpool": "Adaptive average pooling outputs the size it was built with, whatever the "
               "size of its input.",
    "flatten": "Flatten lines up C x H x W values of a sample along one axis: (features,).",
    "fc": "A fully connected layer outputs one value per output neuron: (out_features,).",
}


def _row_kind(row: str) -> str:
    return row.rstrip("0123456789")


def _check_shape(row: str, answer) -> Feedback:
    layer, in_shape, expected, _ = _alexnet_table()[row]
    if isinstance(answer, numbers.Integral) and len(expected) == 1:
        answer = (answer,)  # 9216 for (9216,)
    return check_value(f"{row} output shape", answer, expected, _SHAPE_HINTS[_row_kind(row)],
                       mistakes=_shape_mistakes(row, layer, in_shape, expected))


def _check_params(row: str, answer) -> Feedback:
    layer, in_shape, _, expected = _alexnet_table()[row]
    question, kind = f"{row} parameters", _row_kind(row)
    if kind == "conv":
        feedback = conv_params(answer, layer.in_channels, layer.out_channels,
                               layer.kernel_size, layer.groups)
        return _renamed(feedback, question)
    if kind == "fc":
        n_in, n_out = layer.in_features, layer.out_features
        mistakes = {n_in * n_out: "Each output neuron also has a bias.",
                    n_in + 1: "Every output neuron has its own weights and bias.",
                    (n_in + 1) * n_out - n_out + 1: "There is one bias per output neuron."}
        return check_value(question, answer, expected,
                           "A fully connected layer has (in_features + 1) x out_features "
                           "parameters: the weights plus one bias per output.",
                           mistakes=mistakes)
    return check_value(question, answer, expected,
                       "Does this layer learn anything? Pooling, flattening and reshaping "
                       "only move or pick values (the lecture: pooling has no parameters).")


def alexnet_layer(row: str, output_shape, params) -> Report:
    """Check one row of AlexNet's table: its output shape and its number of parameters.

    Parameters
    ----------
    row : str
        ``"conv1"``, ``"pool1"``, ..., ``"avgpool"``, ``"flatten"``, ``"fc6"``, ..., ``"fc8"``.
    output_shape : tuple
        Shape of one sample (no batch axis): ``(C, H, W)``, or ``(features,)`` after Flatten.
    params : int
        Weights plus biases of the layer (0 for a layer without parameters).
    """
    if row not in ALEXNET_ROWS:
        raise ValueError(f"row must be one of {', '.join(ALEXNET_ROWS)}; got {row!r}.")
    return Report(_log(HW1, f"{row}_shape", _check_shape(row, output_shape)),
                  _log(HW1, f"{row}_params", _check_params(row, params)))


def alexnet_total(answer) -> Feedback:
    """Check the total number of parameters of AlexNet (torchvision's layout)."""
    table = _alexnet_table()
    expected = sum(row[3] for row in table.values())
    biases = sum(getattr(row[0], "out_channels", getattr(row[0], "out_features", 0))
                 for row in table.values())
    conv = sum(row[3] for name, row in table.items() if name.startswith("conv"))
    mistakes = {expected - biases: "Did you leave out the biases?",
                conv: "That is the convolutional layers only; add the fully connected ones.",
                expected - conv: "That is the fully connected layers only; add the "
                                 "convolutional ones."}
    return _log(HW1, "total_params", check_value(
        "AlexNet's total number of parameters", answer, expected,
        "Add up the parameters of every row of the table.", mistakes=mistakes))


# --------------------------------------------------------------------------------------------
# Homework 2: build AlexNet
# --------------------------------------------------------------------------------------------

_NOT_SETTINGS = {"training", "trainable", "dtype", "rng"}
_TYPE_HINT = ("AlexNet's features repeat Conv2d -> ReLU, with a MaxPool2d after the 1st, "
              "2nd and 5th convolution; then AdaptiveAvgPool2d, Flatten, and a classifier "
              "of (Dropout -> Linear -> ReLU) twice and a last Linear.")
_SETTING_HINTS = {
    "Conv2d": "Compare with the lecture's table: input and output channels, kernel size, "
              "stride and padding of each convolution (the input channels are the output "
              "channels of the convolution before).",
    "MaxPool2d": "AlexNet pools with overlapping windows: check kernel_size and stride.",
    "AdaptiveAvgPool2d": "The average pool fixes the height and width the classifier sees.",
    "Linear": "in_features must be what the layer before outputs; out_features is the next "
              "layer's width (the last one: the number of classes).",
    "Dropout": "Check the drop probability p.",
}


def _settings(layer) -> dict:
    """A layer's hyperparameters: its public int/float/bool/str/tuple attributes."""
    return {k: v for k, v in vars(layer).items()
            if not k.startswith("_") and k not in _NOT_SETTINGS
            and isinstance(v, (numbers.Number, str, tuple))}


def _first_difference(mine: list, reference: list) -> str:
    """Describe the first place where two leaf lists differ ("" when they agree)."""
    shape_mine = shape_ref = ALEXNET_INPUT
    for number, (a, b) in enumerate(zip(mine, reference), start=1):
        kind = type(a).__name__
        where = f"Layer {number} of your model ({kind})"
        if kind != type(b).__name__:
            return f"{where}: AlexNet has a different kind of layer here. {_TYPE_HINT}"
        hint = _SETTING_HINTS.get(kind, "")
        sa, sb = _settings(a), _settings(b)
        differing = [k for k in sb if sa.get(k) != sb[k]]
        if differing:
            verb = "differs" if len(differing) == 1 else "differ"
            return f"{where}: its {' and '.join(differing)} {verb} from AlexNet's. {hint}"
        if a.num_parameters != b.num_parameters:
            return f"{where}: its number of parameters differs (a missing bias?). {hint}"
        try:
            shape_mine = a.output_shape(shape_mine)
        except ValueError as error:
            return f"{where} cannot take its input: {error}"
        shape_ref = b.output_shape(shape_ref)
        if shape_mine != shape_ref:
            return f"{where}: its output shape differs from AlexNet's. {hint}"
    if len(mine) < len(reference):
        return (f"Your model stops after layer {len(mine)}; AlexNet has more layers after "
                f"it. {_TYPE_HINT}")
    if len(mine) > len(reference):
        return f"Your model has more layers than AlexNet after layer {len(reference)}."
    return ""


def alexnet_model(build) -> Feedback:
    """Check a student's AlexNet layer by layer against :func:`cnnlib.models.alexnet`.

    Parameters
    ----------
    build : callable returning a cnnlib layer, or the layer itself
        Raising ``NotImplementedError`` (or returning ``...``) means not attempted.

    The feedback names the first layer that differs and which of its settings, with a hint;
    it never shows the expected value.
    """
    from ..layers import Module
    from ..models import alexnet

    question = "your AlexNet"
    model = build
    if callable(build) and not isinstance(build, Module):
        try:
            model = build()
        except NotImplementedError:
            model = ...
        except Exception as error:  # a student's bug must not stop the notebook
            return _log(HW2, "model", Feedback(
                question, WRONG, f"Building it raised {type(error).__name__}: {error}"))
    if is_missing(model):
        return _log(HW2, "model", Feedback(question, NOT_ATTEMPTED,
                                           "Write build_alexnet and run the cell."))
    if not isinstance(model, Module):
        return _log(HW2, "model", Feedback(
            question, WRONG, f"build_alexnet should return a cnnlib layer such as a "
                             f"Sequential, not a {type(model).__name__}."))
    difference = _first_difference(list(_leaves(model)), list(_leaves(alexnet())))
    if difference:
        return _log(HW2, "model", Feedback(question, WRONG, difference))
    return _log(HW2, "model", Feedback(question, CORRECT,
                                       "Every layer matches AlexNet (torchvision's layout)."))


def fc_share(answer) -> Feedback:
    """Check the share of AlexNet's parameters in its fully connected layers (0 to 1)."""
    question = "share of the parameters in the fully connected layers"
    if isinstance(answer, numbers.Real) and 1 < answer <= 100:
        return _log(HW2, "fc_share", Feedback(
            question, WRONG, "Give a fraction between 0 and 1, not a percentage."))
    table = _alexnet_table()
    total = sum(row[3] for row in table.values())
    fc = sum(row[3] for name, row in table.items() if name.startswith("fc"))
    return _log(HW2, "fc_share", check_value(
        question, answer, fc / total,
        "Add the parameters of the Linear layers in the summary and divide by the total.",
        atol=0.005, mistakes={1 - fc / total: "That is the convolutional layers' share."}))


# --------------------------------------------------------------------------------------------
# Homework 3: convolution and max pooling from scratch
# --------------------------------------------------------------------------------------------

# The lecture's padding example: a 5x5 image, a 3x3 filter, padding 1.
LECTURE_IMAGE = np.array([[2, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2],
                          [7, 3, 5, 1, 3], [2, 3, 4, 8, 5]], dtype=float)
LECTURE_FILTER = np.array([[1, 2, 3], [-4, 7, 4], [2, -5, 1]], dtype=float)


def _conv_cases():
    """``(description, args, kwargs, hint)`` for conv2d_forward(x, w, b, stride, padding)."""
    rng = np.random.default_rng(0)

    def arrays(x_shape, w_shape):
        return (rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                rng.standard_normal(w_shape[0]))

    windows = "Each output cell is the sum of window * filter over all input channels, plus "
    return [
        ("the lecture's 5x5 example, padding 1",
         (LECTURE_IMAGE[None, None], LECTURE_FILTER[None, None], np.zeros(1)),
         {"stride": 1, "padding": 1},
         "Pad the input with p zeros on every side first, then slide the filter."),
        ("3 input channels, 2 filters", arrays((1, 3, 6, 6), (2, 3, 3, 3)), {},
         windows + "the filter's bias."),
        ("a batch of 2, padding 1, stride 2", arrays((2, 3, 7, 7), (4, 3, 3, 3)),
         {"stride": 2, "padding": 1},
         "Output cell (i, j) starts at input cell (i * stride, j * stride) of the padded "
         "input; the output is floor((H + 2p - k) / s) + 1 tall."),
        ("a non-square input and kernel", arrays((1, 2, 6, 9), (3, 2, 2, 3)),
         {"stride": 1, "padding": 0},
         "Use the kernel's height for rows and its width for columns."),
        ("non-square, stride 2, padding 2", arrays((2, 1, 8, 5), (2, 1, 3, 2)),
         {"stride": 2, "padding": 2},
         "Compute the output height and width separately, each with its own kernel size."),
    ]


def _pool_input(shape, rng):
    """Distinct, well-separated values (no ties, so the maximum is clear and differentiable)."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size / 2) / size


def _pool_cases():
    """``(description, x, kernel_size, stride, hint)`` for the max pooling exercises."""
    rng = np.random.default_rng(1)
    return [
        ("2x2 windows, stride 2", _pool_input((1, 1, 4, 4), rng), 2, 2,
         "Each output is the largest value of its window."),
        ("a batch of 2 with 3 channels", _pool_input((2, 3, 6, 6), rng), 2, 2,
         "Pool every image and every channel on its own."),
        ("overlapping 3x3 windows, stride 2 (as in AlexNet)", _pool_input((1, 2, 7, 7), rng),
         3, 2, "Windows overlap: one input cell can be the maximum of several windows."),
        ("a non-square input, stride 1", _pool_input((1, 1, 5, 8), rng), 2, 1,
         "The output is floor((H - k) / s) + 1 tall and floor((W - k) / s) + 1 wide."),
    ]


def _per_case(question: str, function, reference, cases) -> Feedback:
    """``check_function`` case by case, so that the feedback can describe the failing case."""
    if is_missing(function):
        return Feedback(question, NOT_ATTEMPTED, "Write the function and run the cell.")
    for number, (description, args, kwargs, hint) in enumerate(cases, start=1):
        feedback = check_function(question, function, reference, [(args, kwargs)], hint)
        if not feedback:
            return Feedback(question, feedback.status, feedback.message.replace(
                "Case 1", f"Case {number} ({description})", 1))
    return Feedback(question, CORRECT, f"All {len(cases)} cases agree with cnnlib.")


def conv2d_forward(function) -> Feedback:
    """Check ``function(x, w, b, stride=1, padding=0)`` against :func:`cnnlib.conv.conv2d`."""
    from ..conv import conv2d

    def reference(x, w, b, stride=1, padding=0):
        return conv2d(x, w, b, stride=stride, padding=padding)

    return _log(HW3, "conv2d_forward",
                _per_case("conv2d_forward", function, reference, _conv_cases()))


def max_pool2d_forward(function) -> Feedback:
    """Check ``function(x, kernel_size, stride)`` against :func:`cnnlib.pool.max_pool2d`."""
    from ..pool import max_pool2d

    cases = [(d, (x, k, s), {}, hint) for d, x, k, s, hint in _pool_cases()]
    return _log(HW3, "max_pool2d_forward",
                _per_case("max_pool2d_forward", function, max_pool2d, cases))


def max_pool2d_backward(function) -> Feedback:
    """Check ``function(dout, x, kernel_size, stride) -> dx``.

    First against :func:`cnnlib.pool.max_pool2d_backward` on every case, then with a
    finite-difference gradient check (:func:`cnnlib.gradcheck.gradient_errors`) of the
    student's gradient of :func:`cnnlib.pool.max_pool2d`.
    """
    from ..gradcheck import gradient_errors
    from ..pool import max_pool2d
    from ..pool import max_pool2d_naive_backward as reference  # the homework's signature

    question = "max_pool2d_backward"
    rng = np.random.default_rng(2)
    cases = []
    for description, x, k, s, hint in _pool_cases():
        dout = rng.standard_normal(max_pool2d(x, k, s).shape)
        cases.append((description, (dout, x, k, s), {},
                      hint + " The gradient of a window goes to the cell that won its max; "
                             "every other cell of the window gets 0."))
    feedback = _per_case(question, function, reference, cases)
    if feedback:
        description, (_, x, k, s), _, _ = cases[2]
        (error,) = gradient_errors(lambda x_: max_pool2d(x_, k, s),
                                   lambda dout_, x_: function(dout_, x_, k, s), [x.copy()])
        if not error <= 1e-6:
            feedback = Feedback(question, WRONG, f"The finite-difference check on the case "
                                                 f"'{description}' is off (relative error "
                                                 f"{error:.1e}).")
        else:
            feedback = Feedback(question, CORRECT, f"All {len(cases)} cases agree with cnnlib, "
                                                   f"and the finite-difference check passes.")
    return _log(HW3, "max_pool2d_backward", feedback)

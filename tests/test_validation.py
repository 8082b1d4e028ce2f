"""Every refusal of cnnlib's numeric core is a SettingError (or SettingTypeError); nothing else is.

Widgets show a ``SettingError`` in place as "a setting the lecture refuses" and treat any other
exception as a bug, so (1) each public function's checks must raise these types, with a message
that names the argument, and (2) numpy's own errors must never be relabelled as settings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import cnnlib
from cnnlib import _validate
from cnnlib._validate import SettingError, SettingTypeError
from cnnlib.activations import log_softmax, relu, relu_backward, softmax
from cnnlib.conv import (
    col2im,
    conv2d,
    conv2d_backward,
    conv2d_forward,
    conv2d_naive,
    im2col,
    pad,
)
from cnnlib.layers import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
)
from cnnlib.linear import flatten, linear
from cnnlib.loss import cross_entropy
from cnnlib.norm import batch_norm, local_response_norm
from cnnlib.optim import SGD
from cnnlib.pool import adaptive_avg_pool2d, avg_pool2d, global_avg_pool2d, max_pool2d
from cnnlib.shapes import Window, conv_output_size, receptive_fields
from cnnlib.summary import summary
from cnnlib.train import evaluate

CORE = ["activations", "conv", "gradcheck", "linear", "loss", "models", "norm", "optim", "pool",
        "shapes", "summary", "train", "_validate"] + [
    f"layers/{name}" for name in ("base", "activations", "containers", "conv", "linear",
                                  "normalization", "pooling")]
# Raised on purpose and not a setting: a failed gradient check, an abstract method, backward
# called before forward (a bug in the calling code).
NOT_SETTINGS = {"AssertionError", "NotImplementedError", "RuntimeError"}
SETTINGS = {"SettingError", "SettingTypeError", "ShapeError"}


def raised_names(module: str):
    source = (Path(cnnlib.__file__).parent / f"{module}.py").read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            yield node.lineno, getattr(call, "id", getattr(call, "attr", ast.dump(call)))


@pytest.mark.parametrize("module", CORE)
def test_every_raise_in_the_core_is_a_setting_error_or_not_a_setting(module):
    wrong = [(line, name) for line, name in raised_names(module)
             if name not in SETTINGS | NOT_SETTINGS | {"error"}]   # `raise error` re-raises
    assert wrong == [], f"cnnlib/{module}.py raises other types: {wrong}"


X = np.zeros((1, 2, 6, 6))
W = np.zeros((3, 2, 3, 3))


def read_only(v):
    v = v.copy()
    v.flags.writeable = False
    return v


def tiny_model():
    return Sequential(Flatten(), Linear(4, 2, rng=0, dtype=np.float64))


# (call, expected type, words the message must contain)
REFUSALS = [
    # types
    (lambda: conv2d([[1.0]], W), SettingTypeError, "x must be a numpy array"),
    (lambda: conv2d(X, W, stride="2"), SettingTypeError, "stride must be an int"),
    (lambda: conv2d(X.astype(int), W), SettingTypeError, "x must hold floating"),
    (lambda: conv2d(X, W.astype(np.float32)), SettingTypeError, "weight has dtype float32"),
    (lambda: pad(X, ((1, 1), (1, 1))), SettingTypeError, "torch.nn.functional.pad"),
    (lambda: col2im(np.zeros((18, 16)), 8, 3), SettingTypeError, "input_shape must be"),
    (lambda: receptive_fields([3, 3]), SettingTypeError, "Window(3)"),
    (lambda: max_pool2d(X, 2, ceil_mode="False"), SettingTypeError, "ceil_mode must be True"),
    (lambda: MaxPool2d(2, ceil_mode="False"), SettingTypeError, "ceil_mode must be True"),
    (lambda: AvgPool2d(2, count_include_pad="no"), SettingTypeError, "count_include_pad"),
    (lambda: BatchNorm2d(3, affine="yes"), SettingTypeError, "affine must be True"),
    (lambda: Conv2d(2, 3, 3, bias="no"), SettingTypeError, "bias must be True"),
    (lambda: Linear(2, 3, dtype=np.int32), SettingTypeError, "floating-point dtype"),
    (lambda: Dropout(p="0.5"), SettingTypeError, "p (the drop probability) must be a number"),
    (lambda: cross_entropy(np.zeros((2, 3)), np.zeros(2)), SettingTypeError, "integer class"),
    (lambda: summary(tiny_model(), 4), SettingTypeError, "input_shape must be a tuple"),
    (lambda: SGD([np.zeros(3)], lr=0.1), SettingTypeError, "(param, grad) pair"),
    # values
    (lambda: conv2d(X, W, stride=0), SettingError, "stride must be >= 1"),
    (lambda: conv2d(X, np.zeros((3, 2, 9, 9))), SettingError, "weight.shape[2:]"),
    (lambda: conv2d(X, np.zeros((2, 3, 3))), SettingError, "weight must have 4 axes"),
    (lambda: conv2d(np.zeros((1, 2, 0, 6)), W), SettingError, "empty spatial axis"),
    (lambda: conv2d_naive(X, W, groups=2), SettingError, "groups=2 must divide"),
    (lambda: conv2d_backward(np.zeros((1, 3, 5, 5)), conv2d_forward(X, W)[1]), SettingError,
     "dout must have"),
    (lambda: conv2d_backward(np.zeros((1, 3, 4, 4)), X), SettingTypeError, "ConvCache"),
    (lambda: im2col(np.zeros((1, 1, 0, 3)), 1), SettingError, "empty spatial axis"),
    (lambda: pad(X, (1, 2, 3)), SettingError, "padding must have 2 or 4 values"),
    (lambda: conv_output_size(5, 7), SettingError, "kernel_size=7 is larger"),
    (lambda: max_pool2d(X, 2, padding=2), SettingError, "more than half"),
    (lambda: global_avg_pool2d(np.zeros((1, 2, 0, 3))), SettingError, "nothing to pool"),
    (lambda: adaptive_avg_pool2d(np.zeros((1, 2, 3, 0)), 2), SettingError, "nothing to pool"),
    (lambda: avg_pool2d(X, 7), SettingError, "larger than the padded input"),
    (lambda: softmax(np.zeros((2, 0))), SettingError, "axis dim=-1 is empty"),
    (lambda: log_softmax(np.zeros((0, 3)), dim=0), SettingError, "axis dim=0 is empty"),
    (lambda: softmax(np.zeros(())), SettingError, "single number"),
    (lambda: softmax(X, dim=4), SettingError, "dim=4 is out of range"),
    (lambda: cross_entropy(np.zeros((2, 0)), np.zeros(2, int)), SettingError, "one class"),
    (lambda: cross_entropy(np.zeros((0, 3)), np.zeros(0, int)), SettingError, "one sample"),
    (lambda: cross_entropy(np.zeros((2, 3)), np.array([0, 3])), SettingError, "class 3"),
    (lambda: local_response_norm(np.zeros((1, 0, 3, 3)), 5), SettingError, "0 channels"),
    (lambda: batch_norm(X, read_only(np.zeros(2)), np.ones(2), training=True), SettingError,
     "running_mean is read-only"),
    (lambda: batch_norm(X, np.zeros(2), read_only(np.ones(2)), training=True), SettingError,
     "running_var is read-only"),
    (lambda: batch_norm(X, None, None), SettingError, "running_mean is None"),
    (lambda: relu_backward(np.zeros(3), np.zeros(4)), SettingError, "dout must have"),
    (lambda: linear(np.zeros((2, 3)), np.zeros((4, 5))), SettingError, "x has 3 features"),
    (lambda: flatten(X, 3, 1), SettingError, "start_dim=3 comes after end_dim=1"),
    (lambda: evaluate(tiny_model(), np.zeros((0, 1, 2, 2)), np.zeros(0, int)), SettingError,
     "the data set is empty"),
    (lambda: Conv2d(2, 3, 3)(np.zeros((2, 6, 6), np.float32)), SettingError, "x[None]"),
    (lambda: Linear(4, 2).set_parameter("kernel", np.zeros(2)), SettingError, "no parameter"),
    (lambda: relu(np.zeros(3, dtype=int)), SettingTypeError, "x must hold floating"),
    (lambda: Linear(10**6, 10**6), SettingError, "in_features * out_features"),
]


@pytest.mark.parametrize("call, error_type, words", REFUSALS)
def test_each_refusal_is_a_setting_error_naming_the_argument(call, error_type, words):
    with pytest.raises(SettingError) as info:
        call()
    assert isinstance(info.value, error_type), type(info.value)
    assert isinstance(info.value, ValueError)          # `except ValueError` still catches it
    assert words in str(info.value)


def test_a_weight_of_the_wrong_rank_is_not_told_to_add_a_batch_axis():
    with pytest.raises(SettingError) as info:
        conv2d(X, np.zeros((2, 3, 3)))
    assert "[None]" not in str(info.value)


def test_conv_messages_name_only_its_own_parameters():
    for call in (lambda: conv2d(np.zeros((1, 2, 0, 6)), W),
                 lambda: conv2d(X, np.zeros((3, 2, 9, 9)))):
        with pytest.raises(SettingError) as info:
            call()
        assert "input_size" not in str(info.value) and "kernel_size" not in str(info.value)


# --- the memory budget ------------------------------------------------------------------------

@pytest.fixture
def small_budget(monkeypatch):
    """A 10 kB budget: every call below would allocate more than that."""
    monkeypatch.setattr(_validate, "MEMORY_BUDGET", 10_000)


@pytest.mark.parametrize("call, argument", [
    (lambda: conv2d(np.zeros((1, 2, 40, 40)), W), "the output of x and weight"),
    (lambda: conv2d_naive(np.zeros((1, 2, 40, 40)), W), "the output of x and weight"),
    (lambda: pad(np.zeros((1, 1, 3, 3)), 30), "padding"),
    (lambda: im2col(np.zeros((1, 2, 12, 12)), 3, padding=1), "im2col"),
    (lambda: col2im(np.zeros((1, 1)), (1, 1, 40, 40), 40), "input_shape"),
    (lambda: max_pool2d(np.zeros((1, 1, 3, 3)), 60, padding=30, stride=100), "padding"),
    (lambda: avg_pool2d(np.zeros((1, 1, 3, 3)), 60, padding=30, stride=100), "padding"),
    (lambda: adaptive_avg_pool2d(np.zeros((1, 1, 3, 3)), 40), "output_size"),
    (lambda: Linear(100, 100), "in_features * out_features"),
    (lambda: Conv2d(32, 32, 3), "in_channels * out_channels * kernel_size"),
    (lambda: linear(np.zeros((2000, 1)), np.zeros((2, 1))), "the output of x and weight"),
])
def test_large_allocations_are_refused_before_numpy_tries(small_budget, call, argument):
    with pytest.raises(SettingError, match="memory budget") as info:
        call()
    assert argument in str(info.value) and "MEMORY_BUDGET" in str(info.value)


def test_linear_too_large_for_any_budget_fails_at_construction_not_at_forward():
    with pytest.raises(SettingError, match=r"shape \(1000000, 1000000\) \(3725\.3 GiB"):
        Linear(10**6, 10**6)


def test_the_default_budget_allows_alexnet():
    assert Linear(9216, 4096).num_parameters == 9217 * 4096
    assert _validate.MEMORY_BUDGET >= 2**31


# --- numpy's own errors stay what they are ------------------------------------------------------

def test_a_numpy_error_inside_a_layer_is_not_relabelled_as_a_setting(monkeypatch):
    def broken(*args, **kwargs):
        return np.zeros(3) + np.zeros(4)        # a broadcasting bug, ValueError from numpy

    monkeypatch.setattr("cnnlib.layers.conv.conv_output_shape", broken)
    with pytest.raises(ValueError) as info:
        Conv2d(2, 3, 3).output_shape((2, 8, 8))
    assert not isinstance(info.value, SettingError)


def test_a_numpy_error_inside_receptive_fields_is_not_relabelled(monkeypatch):
    def broken(*args, **kwargs):
        return int(np.zeros(3) + np.zeros(4))

    monkeypatch.setattr("cnnlib.shapes.conv_output_size", broken)
    with pytest.raises(ValueError) as info:
        receptive_fields([Window(3)], input_size=8)
    assert not isinstance(info.value, SettingError)

"""Tests of cnnlib.layers: counts and shapes by hand, forward = the functional core,
backward = finite differences, and shape errors that name the layer."""

import tracemalloc
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib.activations import relu, sigmoid, tanh
from cnnlib.conv import conv2d
from cnnlib.gradcheck import gradcheck
from cnnlib.layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Concat,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    LocalResponseNorm,
    MaxPool2d,
    ReLU,
    Residual,
    Sequential,
    ShapeError,
    Sigmoid,
    Tanh,
    run_with_shapes,
)
from cnnlib.linear import linear
from cnnlib.norm import batch_norm, local_response_norm
from cnnlib.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d


def randn(*shape, seed=42, dtype=np.float64):
    # Not seed 0: gradcheck draws its upstream gradient with seed 0, and dout == x would make
    # batch norm's input gradient cancel to almost nothing.
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# --- parameter counts: ((k_h * k_w * C_in / groups) + 1) * C_out, written out --------------

@pytest.mark.parametrize("layer, expected", [
    (Conv2d(3, 64, 11, stride=4, padding=2), (11 * 11 * 3 + 1) * 64),           # 23,296
    (Conv2d(192, 32, 5), (5 * 5 * 192 + 1) * 32),                               # lecture: 153,632
    (Conv2d(96, 256, 5, padding=2, groups=2), (5 * 5 * 96 // 2 + 1) * 256),     # 307,456
    (Conv2d(3, 8, (3, 5)), (3 * 5 * 3 + 1) * 8),
    (Conv2d(64, 64, 3, bias=False), 3 * 3 * 64 * 64),
    (Conv2d(32, 32, 3, groups=32, bias=False), 3 * 3 * 1 * 32),                 # depthwise
    (Conv2d(256, 128, 1), (1 * 1 * 256 + 1) * 128),
    (Linear(9216, 4096), (9216 + 1) * 4096),
    (Linear(84, 10, bias=False), 84 * 10),
    (BatchNorm2d(64), 64 + 64),                                                 # gamma, beta
    (BatchNorm2d(64, affine=False), 0),
    (MaxPool2d(3, 2), 0), (AvgPool2d(2), 0), (AdaptiveAvgPool2d(6), 0), (ReLU(), 0),
    (LocalResponseNorm(5), 0), (Dropout(), 0), (Flatten(), 0),
])
def test_parameter_count_by_hand(layer, expected):
    assert layer.num_parameters == expected
    assert sum(p.size for p in layer.parameters().values()) == expected


def test_lecture_1x1_convolution_counts():
    # The lecture: 3x3x256x128 = 294,912 weights versus 1x1x256x128 = 32,768.
    assert Conv2d(256, 128, 3, padding=1, bias=False).num_parameters == 294_912
    assert Conv2d(256, 128, 1, bias=False).num_parameters == 32_768


def test_batch_norm_running_stats_are_buffers_not_parameters():
    bn = BatchNorm2d(16)
    assert set(bn.parameters()) == {"weight", "bias"}
    assert set(bn.buffers()) == {"running_mean", "running_var"}
    assert bn.num_parameters == 32
    np.testing.assert_array_equal(bn.weight, np.ones(16))
    np.testing.assert_array_equal(bn.bias, np.zeros(16))
    np.testing.assert_array_equal(bn.buffers()["running_var"], np.ones(16))


def test_container_parameters_are_named_paths_of_the_layers_own_arrays():
    model = Sequential(OrderedDict(conv=Conv2d(1, 2, 3), relu=ReLU(), fc=Linear(2, 3)))
    params = model.parameters()
    assert list(params) == ["conv.weight", "conv.bias", "fc.weight", "fc.bias"]
    assert params["conv.weight"] is model["conv"].weight
    assert model.num_parameters == (9 + 1) * 2 + (2 + 1) * 3


# --- initialisation -----------------------------------------------------------------------

def test_init_is_seeded_float32_and_within_torch_bound():
    a, b = Conv2d(3, 8, 3, rng=1), Conv2d(3, 8, 3, rng=1)
    np.testing.assert_array_equal(a.weight, b.weight)
    assert a.weight.dtype == np.float32 and a.bias.dtype == np.float32
    bound = 1 / np.sqrt(3 * 3 * 3)                            # 1 / sqrt(fan_in)
    assert np.abs(a.weight).max() <= bound and np.abs(a.bias).max() <= bound
    assert np.abs(a.weight).max() > 0.8 * bound               # spread over the interval
    assert not np.array_equal(a.weight, Conv2d(3, 8, 3, rng=2).weight)


def test_linear_init_is_within_torch_bound():
    layer = Linear(16, 300, rng=0)
    bound = 1 / np.sqrt(16)                                   # fan_in = in_features
    assert np.abs(layer.weight).max() <= bound and np.abs(layer.bias).max() <= bound
    assert np.abs(layer.weight).max() > 0.99 * bound


def test_layers_built_from_one_generator_differ():
    rng = np.random.default_rng(0)
    first, second = Linear(4, 4, rng=rng), Linear(4, 4, rng=rng)
    assert not np.array_equal(first.weight, second.weight)


def test_parameters_are_drawn_lazily(monkeypatch):
    # A spy on the method that draws a layer's initial weights: counting, shapes, cost and repr
    # of VGG's largest layer (103 M values) draw nothing; the first use of a weight draws once.
    draws = []
    real = Linear._initial_parameters
    monkeypatch.setattr(Linear, "_initial_parameters",
                        lambda layer, rng: draws.append(layer._param_shapes) or real(layer, rng))
    tracemalloc.start()
    big = Linear(25088, 4096)
    assert big.num_parameters == 25089 * 4096
    assert big.output_shape((25088,)) == (4096,) and big.macs((25088,)) == 25088 * 4096
    repr(big)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert draws == [] and big._params is None and peak < 100_000   # the weight: 411 MB
    small = Linear(3, 2)
    assert small.weight.shape == (2, 3) and small.bias.shape == (2,)
    assert small.parameters() is small.parameters()                  # used again: no redraw
    assert draws == [{"weight": (2, 3), "bias": (2,)}]               # drawn once, when used


def test_set_parameter_checks_the_shape():
    layer = Linear(3, 2)
    layer.weight = np.ones((2, 3))
    np.testing.assert_array_equal(layer.weight, np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"weight must have shape \(2, 3\)"):
        layer.weight = np.ones((3, 2))


# --- output shapes by hand ------------------------------------------------------------------

@pytest.mark.parametrize("layer, input_shape, expected", [
    (Conv2d(3, 64, 11, stride=4, padding=2), (3, 224, 224), (64, 55, 55)),  # (224+4-11)//4+1
    (Conv2d(3, 96, 11, stride=4), (3, 227, 227), (96, 55, 55)),             # (227-11)/4+1
    (Conv2d(1, 1, 3, padding=1), (1, 5, 5), (1, 5, 5)),                     # the lecture's 5x5
    (Conv2d(1, 4, 3, padding="same", dilation=2), (1, 7, 9), (4, 7, 9)),
    (Conv2d(1, 4, 3, dilation=2), (1, 7, 9), (4, 3, 5)),                    # kernel spans 5
    (Conv2d(2, 4, (3, 1), stride=(2, 1)), (2, 7, 4), (4, 3, 4)),
    (MaxPool2d(3, 2), (64, 55, 55), (64, 27, 27)),                          # (55-3)//2+1
    (MaxPool2d(2), (64, 224, 224), (64, 112, 112)),
    (MaxPool2d(3, 2, ceil_mode=True), (1, 6, 6), (1, 3, 3)),                # ceil(3/2)+1
    (MaxPool2d(3, 1, padding=1), (192, 28, 28), (192, 28, 28)),
    (AvgPool2d(2), (6, 28, 28), (6, 14, 14)),
    (AdaptiveAvgPool2d(6), (256, 13, 13), (256, 6, 6)),
    (AdaptiveAvgPool2d((2, 3)), (5, 7, 7), (5, 2, 3)),
    (BatchNorm2d(8), (8, 5, 5), (8, 5, 5)),
    (LocalResponseNorm(5), (96, 55, 55), (96, 55, 55)),
    (ReLU(), (4, 3, 3), (4, 3, 3)),
    (Flatten(), (256, 6, 6), (9216,)),
    (Flatten(start_dim=2), (4, 5, 6), (4, 30)),
    (Flatten(1, 2), (4, 5, 6), (20, 6)),
    (Linear(9216, 4096), (9216,), (4096,)),
])
def test_output_shape_by_hand(layer, input_shape, expected):
    assert layer.output_shape(input_shape) == expected


@pytest.mark.parametrize("layer, input_shape, expected", [
    (Conv2d(3, 64, 11, stride=4, padding=2), (3, 224, 224), 11 * 11 * 3 * 64 * 55 * 55),
    (Conv2d(96, 256, 5, padding=2, groups=2), (96, 27, 27), 5 * 5 * 48 * 256 * 27 * 27),
    (Linear(9216, 4096), (9216,), 9216 * 4096),
    (MaxPool2d(2), (4, 8, 8), 0),
])
def test_macs_by_hand(layer, input_shape, expected):
    assert layer.macs(input_shape) == expected


# --- forward = the functional core ------------------------------------------------------------

def test_conv2d_forward_is_the_functional_call():
    layer = Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2).to(np.float64)
    x = randn(2, 4, 7, 7)
    expected = conv2d(x, layer.weight, layer.bias, stride=2, padding=1, groups=2)
    np.testing.assert_array_equal(layer(x), expected)


@pytest.mark.parametrize("layer, function", [
    (MaxPool2d(3, 2, padding=1), lambda x: max_pool2d(x, 3, 2, 1)),
    (AvgPool2d(2, 1, ceil_mode=True), lambda x: avg_pool2d(x, 2, 1, ceil_mode=True)),
    (AdaptiveAvgPool2d(3), lambda x: adaptive_avg_pool2d(x, 3)),
    (LocalResponseNorm(3, 1e-2, 0.5, 2.0), lambda x: local_response_norm(x, 3, 1e-2, 0.5, 2.0)),
    (ReLU(), relu), (Sigmoid(), sigmoid), (Tanh(), tanh),
    (Flatten(), lambda x: x.reshape(len(x), -1)),
])
def test_forward_is_the_functional_call(layer, function):
    x = randn(2, 4, 7, 7)
    np.testing.assert_array_equal(layer(x), function(x))


def test_linear_forward_is_x_times_weight_transposed_plus_bias():
    layer = Linear(5, 3).to(np.float64)
    x = randn(4, 5)
    np.testing.assert_array_equal(layer(x), linear(x, layer.weight, layer.bias))
    np.testing.assert_allclose(layer(x), x @ layer.weight.T + layer.bias)


def test_batch_norm_train_and_eval():
    bn = BatchNorm2d(3).to(np.float64)
    x = randn(4, 3, 5, 5) * 2 + 1
    out = bn(x)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out, (x - mean[:, None, None]) / np.sqrt(var[:, None, None]
                                                                        + 1e-5))
    m = 4 * 5 * 5
    np.testing.assert_allclose(bn.buffers()["running_mean"], 0.1 * mean)
    np.testing.assert_allclose(bn.buffers()["running_var"], 0.9 + 0.1 * var * m / (m - 1))
    bn.eval()
    running = {k: v.copy() for k, v in bn.buffers().items()}
    out = bn(x)
    np.testing.assert_array_equal(out, batch_norm(x, running["running_mean"],
                                                  running["running_var"], bn.weight, bn.bias))
    np.testing.assert_array_equal(bn.buffers()["running_mean"], running["running_mean"])


def test_dropout_training_zeroes_and_rescales_eval_is_identity():
    layer = Dropout(0.25, rng=0)
    x = np.ones((1000, 10))
    out = layer(x)
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.02
    dout = randn(1000, 10)
    np.testing.assert_array_equal(layer.backward(dout), dout * out)   # x = 1: out is the mask
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(dout), dout)


def test_dropout_backward_keeps_the_input_dtype_and_checks_dout():
    for layer in (Dropout(0.5, rng=0), Dropout(0.5).eval()):
        layer(np.ones((3, 4), np.float32))
        assert layer.backward(np.ones((3, 4), np.float64)).dtype == np.float32
        with pytest.raises(ValueError, match=r"dout must have the shape of the forward output "
                                             r"\(3, 4\), got \(4,\)"):
            layer.backward(np.ones(4, np.float32))        # would broadcast silently


def test_dropout_is_seeded():
    x = np.ones((4, 50))
    np.testing.assert_array_equal(Dropout(rng=3)(x), Dropout(rng=3)(x))


# --- backward = finite differences ------------------------------------------------------------

def check_layer_gradients(layer, x):
    """Finite differences for dx and every parameter gradient (float64)."""
    layer.to(np.float64)
    params = layer.parameters()
    names = list(params)

    def forward(x, *weights):
        return layer.forward(x)

    def backward(dout, x, *weights):
        dx = layer.backward(dout)
        return (dx, *(layer.grads[name] for name in names))

    gradcheck(forward, backward, [x, *params.values()])


@pytest.mark.parametrize("layer, shape", [
    (Conv2d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 5, 5)),
    (Conv2d(2, 3, (2, 3), dilation=(2, 1), bias=False), (2, 2, 5, 5)),
    (MaxPool2d(3, 2, padding=1), (2, 3, 5, 5)),
    (AvgPool2d(3, 2, padding=1, count_include_pad=False), (2, 3, 5, 5)),
    (AdaptiveAvgPool2d(2), (2, 3, 5, 5)),
    (BatchNorm2d(3), (4, 3, 3, 3)),
    (BatchNorm2d(3).eval(), (4, 3, 3, 3)),
    (LocalResponseNorm(3, alpha=0.1, k=2.0), (2, 5, 3, 3)),
    (ReLU(), (2, 3, 4, 4)), (Sigmoid(), (2, 3, 4, 4)), (Tanh(), (2, 3, 4, 4)),
    (Flatten(), (2, 3, 2, 2)),
    (Linear(6, 4), (3, 6)),
    (Dropout().eval(), (2, 6)),
])
def test_layer_backward_matches_finite_differences(layer, shape):
    check_layer_gradients(layer, randn(*shape))


def test_sequential_backward_matches_finite_differences():
    # No bias before batch norm: batch norm cancels it, its gradient is exactly 0.
    model = Sequential(Conv2d(2, 3, 3, padding=1, bias=False), BatchNorm2d(3), ReLU(),
                       MaxPool2d(2), Flatten(), Linear(12, 4), Tanh())
    check_layer_gradients(model, randn(2, 2, 4, 4))


def test_concat_backward_matches_finite_differences():
    block = Concat(Conv2d(3, 2, 1), Sequential(Conv2d(3, 2, 3, padding=1), ReLU()),
                   MaxPool2d(3, stride=1, padding=1))
    check_layer_gradients(block, randn(2, 3, 4, 4))


@pytest.mark.parametrize("shortcut", [None, "projection"])
def test_residual_backward_matches_finite_differences(shortcut):
    stride, c_out = (1, 3) if shortcut is None else (2, 4)
    body = Sequential(Conv2d(3, c_out, 3, stride, padding=1, bias=False), BatchNorm2d(c_out),
                      ReLU(), Conv2d(c_out, c_out, 3, padding=1))
    projection = None if shortcut is None else Sequential(
        Conv2d(3, c_out, 1, stride, bias=False), BatchNorm2d(c_out))
    check_layer_gradients(Residual(body, projection), randn(2, 3, 4, 4))


def test_residual_and_concat_forward_by_hand():
    x = randn(2, 3, 4, 4)
    conv = Conv2d(3, 3, 3, padding=1).to(np.float64)
    np.testing.assert_allclose(Residual(conv)(x), conv(x) + x)
    a, b = Conv2d(3, 2, 1).to(np.float64), Conv2d(3, 5, 1).to(np.float64)
    out = Concat(a, b)(x)
    assert out.shape == (2, 7, 4, 4)
    np.testing.assert_array_equal(out[:, :2], a(x))
    np.testing.assert_array_equal(out[:, 2:], b(x))


# --- output_shape agrees with forward -----------------------------------------------------------

def small_models():
    return [
        Sequential(Conv2d(3, 4, 3, stride=2, padding=1), BatchNorm2d(4), ReLU(),
                   MaxPool2d(2, ceil_mode=True), LocalResponseNorm(3), AvgPool2d(2, 1),
                   AdaptiveAvgPool2d((2, 1)), Flatten(), Dropout(), Linear(8, 5), Sigmoid()),
        Concat(Conv2d(3, 2, 1), Sequential(Conv2d(3, 1, 5, padding=2), Tanh()),
               MaxPool2d(3, stride=1, padding=1)),
        Residual(Sequential(Conv2d(3, 4, 3, stride=2, padding=1), ReLU()),
                 Conv2d(3, 4, 1, stride=2)),
    ]


@pytest.mark.parametrize("model", small_models(), ids=["sequential", "concat", "residual"])
def test_output_shape_equals_forward_shape_for_every_layer(model):
    x = randn(2, 3, 9, 11, dtype=np.float32)
    out, shapes = run_with_shapes(model, x)
    assert out.shape == (2, *model.output_shape((3, 9, 11)))
    if isinstance(model, Sequential):
        shape = (3, 9, 11)
        for (name, _, actual), layer in zip(shapes, model):
            shape = layer.output_shape(shape)
            assert actual == (2, *shape), name


@settings(max_examples=40, deadline=None)
@given(size=st.integers(3, 12), c_in=st.sampled_from([2, 4]), c_out=st.sampled_from([2, 4]),
       k=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), groups=st.sampled_from([1, 2]),
       pool=st.integers(1, 3), ceil_mode=st.booleans())
def test_conv_pool_output_shape_equals_forward_shape(size, c_in, c_out, k, stride, padding,
                                                      dilation, groups, pool, ceil_mode):
    conv = Conv2d(c_in, c_out, k, stride, padding, dilation, groups)
    try:
        expected = conv.output_shape((c_in, size, size + 1))
    except ShapeError:
        return  # the kernel does not fit: checked in the error tests
    x = randn(1, c_in, size, size + 1, dtype=np.float32)
    out = conv(x)
    assert out.shape[1:] == expected
    pooling = MaxPool2d(pool, padding=pool // 2, ceil_mode=ceil_mode)
    try:
        expected = pooling.output_shape(expected)
    except ShapeError:
        return
    assert pooling(out).shape[1:] == expected


# --- bad input: errors name the layer, the shape received and the shape expected -------------

def lenet_like():
    return Sequential(Conv2d(1, 6, 5), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), ReLU(),
                      MaxPool2d(2), Flatten(), Linear(16 * 5 * 5, 120))


@pytest.mark.parametrize("input_shape, pattern", [
    ((3, 32, 32), r"layer 0 \(Conv2d\) of Sequential received an input of shape \(3, 32, 32\)"
                  r".*expected \(1, H, W\).*built for 1 input channels but the input has 3"),
    ((1, 12, 12), r"layer 3 \(Conv2d\) of Sequential received an input of shape \(6, 4, 4\)"
                  r".*expected \(C, H, W\) with H >= 5 and W >= 5"),
    # 28 -conv5-> 24 -pool-> 12 -conv5-> 8 -pool-> 4: 16 * 4 * 4 = 256 features, not 400
    ((1, 28, 28), r"layer 7 \(Linear\) of Sequential received an input of shape \(256,\)"
                  r".*expected \(400,\).*in_features=400 but each sample has 256 values"),
    ((1, 32, 32, 2), r"layer 0 \(Conv2d\) of Sequential received an input of shape "
                     r"\(1, 32, 32, 2\).*expected \(1, H, W\)"),
])
def test_shape_errors_name_the_layer_in_output_shape_and_forward(input_shape, pattern):
    model = lenet_like()
    with pytest.raises(ShapeError, match=pattern):
        model.output_shape(input_shape)
    with pytest.raises(ShapeError, match=pattern):
        model.forward(np.zeros((1, *input_shape), np.float32))
    with pytest.raises(ValueError, match=pattern):     # a ShapeError is a ValueError
        model.macs(input_shape)


def test_shape_error_in_a_nested_container_gives_the_dotted_path():
    model = Sequential(OrderedDict(
        features=Sequential(Conv2d(3, 8, 3), ReLU()),
        head=Sequential(Flatten(), Linear(10, 2)),
    ))
    with pytest.raises(ShapeError, match=r"layer head\.1 \(Linear\) of Sequential received an "
                                         r"input of shape \(392,\)") as info:
        model.output_shape((3, 9, 9))
    assert info.value.path == ["head", "1"] and info.value.expected == "(10,)"


def test_linear_after_a_missing_flatten_says_so():
    with pytest.raises(ShapeError, match="add a Flatten before this Linear"):
        Sequential(Conv2d(1, 2, 3), Linear(18, 2)).output_shape((1, 5, 5))


def test_concat_and_residual_mismatches_are_reported_at_the_block():
    with pytest.raises(ShapeError, match=r"layer 1 \(Concat\) of Sequential.*\(4, 3, 3\), "
                                         r"\(4, 5, 5\)"):
        Sequential(ReLU(), Concat(Conv2d(3, 4, 3), Conv2d(3, 4, 1))).output_shape((3, 5, 5))
    with pytest.raises(ShapeError, match=r"Residual.*body gives \(8, 3, 3\) but the shortcut "
                                         r"gives \(3, 5, 5\)"):
        Residual(Conv2d(3, 8, 3, stride=2, padding=1)).forward(np.zeros((1, 3, 5, 5)))


def test_a_single_image_without_batch_axis_is_told_to_add_one():
    with pytest.raises(ValueError, match=r"Add a batch axis with x\[None\]"):
        Conv2d(3, 4, 3)(np.zeros((3, 8, 8), np.float32))
    # one feature vector: not "each sample has 1 values"
    with pytest.raises(ValueError, match=r"x must have 2 axes \(N, in_features\), got shape "
                                         r"\(9,\).*Add a batch axis with x\[None\]"):
        Linear(9, 2)(np.zeros(9, np.float32))


@pytest.mark.parametrize("block", [Concat(ReLU(), Tanh()), Residual(ReLU())])
def test_blocks_refuse_a_list_like_every_layer(block):
    with pytest.raises(TypeError, match="x must be a numpy array, got list"):
        block([[1.0, 2.0]])


def test_pooling_too_large_for_the_input_gives_the_smallest_input():
    # window 5 with padding 1 on each side needs H, W >= 5 - 2 = 3
    with pytest.raises(ShapeError, match=r"expected \(C, H, W\) with H >= 3 and W >= 3"):
        MaxPool2d(5, padding=1).output_shape((1, 2, 4))
    with pytest.raises(ShapeError, match=r"expected \(C, H, W\) with H >= 3 and W >= 4"):
        Conv2d(1, 1, (5, 4), padding=(1, 0)).output_shape((1, 2, 2))


@pytest.mark.parametrize("make, pattern", [
    (lambda: Conv2d(3, 4, 3, groups=2), "groups=2 must divide"),
    (lambda: Conv2d(3, 4, 0), "kernel_size"),
    (lambda: Conv2d(3, 4, 3, stride=2, padding="same"), "padding='same' needs stride=1"),
    (lambda: MaxPool2d(2, padding=2), "more than half of the pooling window"),
    (lambda: Dropout(1.5), r"p \(the drop probability\) must be >= 0.0 and <= 1.0, got 1.5"),
    (lambda: Dropout("0.5"), r"p \(the drop probability\) must be a number, got '0.5'"),
    (lambda: BatchNorm2d(4, eps=0), r"eps must be > 0.0, got 0"),
    (lambda: BatchNorm2d(4, momentum=1.5), r"momentum must be >= 0.0 and <= 1.0, got 1.5"),
    (lambda: LocalResponseNorm(5, k=-1.0), r"k must be > 0.0, got -1.0"),
    (lambda: LocalResponseNorm(5, beta=-0.75), r"beta must be >= 0.0, got -0.75"),
    (lambda: Flatten(end_dim="-1"), r"end_dim must be a whole number, got '-1'"),
    (lambda: Sequential(Conv2d(1, 2, 3), np.zeros(3)), "Sequential takes cnnlib layers"),
])
def test_bad_arguments_are_refused_at_construction(make, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        make()


def test_backward_before_forward_is_explained():
    with pytest.raises(RuntimeError, match="needs a forward call first"):
        ReLU().backward(np.zeros((1, 2)))


# --- display and modes --------------------------------------------------------------------------

@pytest.mark.parametrize("layer, text", [
    (Conv2d(3, 64, 11, stride=4, padding=2),
     "Conv2d(3, 64, kernel_size=(11, 11), stride=(4, 4), padding=(2, 2))"),
    (Conv2d(96, 256, 5, padding=2, groups=2, bias=False),
     "Conv2d(96, 256, kernel_size=(5, 5), padding=(2, 2), groups=2, bias=False)"),
    (MaxPool2d(3, 2), "MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (AdaptiveAvgPool2d(6), "AdaptiveAvgPool2d(output_size=(6, 6))"),
    (BatchNorm2d(64), "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, "
                      "track_running_stats=True)"),
    (Linear(9216, 4096), "Linear(in_features=9216, out_features=4096, bias=True)"),
    (LocalResponseNorm(5, k=2.0), "LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)"),
    (ReLU(), "ReLU()"), (Dropout(), "Dropout(p=0.5)"),
    (Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
])
def test_repr_reads_like_torch(layer, text):
    assert repr(layer) == text


def test_sequential_repr_nests():
    model = Sequential(OrderedDict(block=Sequential(ReLU()), fc=Linear(2, 1)))
    assert repr(model) == ("Sequential(\n"
                           "  (block): Sequential(\n"
                           "    (0): ReLU()\n"
                           "  )\n"
                           "  (fc): Linear(in_features=2, out_features=1, bias=True)\n"
                           ")")


def test_train_eval_and_freeze_reach_every_layer():
    model = Sequential(Conv2d(1, 2, 3), Sequential(Dropout(), BatchNorm2d(2)))
    model.eval()
    assert not model[1][0].training and not model[1][1].training
    model.train()
    assert model[1][1].training
    model.requires_grad_(False)
    assert not model[0].trainable and not model[1][1].trainable


def test_to_float64_casts_parameters_and_buffers():
    model = Sequential(Conv2d(1, 2, 3), BatchNorm2d(2)).to(np.float64)
    assert all(p.dtype == np.float64 for p in model.parameters().values())
    assert all(b.dtype == np.float64 for b in model.buffers().values())


@pytest.mark.parametrize("layer, shape", [(Conv2d(3, 4, 3), (1, 3, 8, 8)),
                                          (Linear(5, 2), (2, 5))])
def test_input_of_another_dtype_says_how_to_cast(layer, shape):
    with pytest.raises(TypeError, match=r"has float32 parameters but x is float64.*"
                                        r"model\.to\(np\.float64\)"):
        layer(np.zeros(shape))
    assert layer.to(np.float64)(np.zeros(shape)).dtype == np.float64


def test_backward_reuses_what_forward_computed(monkeypatch):
    # The columns of a convolution and the winners of a max pooling are computed once per
    # forward + backward: backward takes them from the cache.
    import cnnlib.conv
    import cnnlib.pool

    calls = {"im2col": 0, "winners": 0}

    def spy(module, name, key):
        real = getattr(module, name)

        def counted(*args):
            calls[key] += 1
            return real(*args)
        monkeypatch.setattr(module, name, counted)

    spy(cnnlib.conv, "_im2col", "im2col")
    spy(cnnlib.pool, "_max_winners", "winners")
    model = Sequential(Conv2d(2, 3, 3, rng=0), MaxPool2d(2), BatchNorm2d(3))
    out = model(np.random.default_rng(0).standard_normal((2, 2, 6, 6)).astype(np.float32))
    model.backward(np.ones_like(out))
    assert calls == {"im2col": 1, "winners": 1}

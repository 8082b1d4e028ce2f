"""cnnlib.shapes against hand-worked values and brute-force enumeration of window positions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import shapes
from cnnlib.shapes import Window


def window_starts(i, k, s, p, d):
    """Brute force: every start (in padded coordinates) of a window that fits the padded input."""
    span = d * (k - 1) + 1
    return [t for t in range(0, i + 2 * p) if t % s == 0 and t + span <= i + 2 * p]


def pool_window_starts(i, k, s, p, d, ceil_mode):
    """Brute force of PyTorch's pooling rule: with ceil_mode a window may run past the padded
    input, but it must start inside the input or the left padding."""
    span = d * (k - 1) + 1
    if not ceil_mode:
        return window_starts(i, k, s, p, d)
    return [t for t in range(0, i + p) if t % s == 0 and t + span < i + 2 * p + s]


@pytest.mark.parametrize(
    "i, k, s, p, d, o",
    [
        (5, 3, 1, 1, 1, 5),  # the lecture's worked example: 5x5, 3x3 kernel, padding 1
        (7, 3, 1, 0, 1, 5),  # CS231n: 7x7 input, 3x3 filter -> 5x5
        (7, 3, 2, 0, 1, 3),  # stride 2 -> 3x3
        (32, 5, 1, 2, 1, 32),  # "same" padding for a 5x5 kernel
        (227, 11, 4, 0, 1, 55),  # AlexNet (paper) conv1
        (224, 11, 4, 2, 1, 55),  # AlexNet (torchvision) conv1
        (224, 7, 2, 3, 1, 112),  # ResNet stem
        (7, 3, 1, 0, 2, 3),  # dilation 2: the kernel spans 5
        (5, 4, 1, 2, 1, 6),  # the lecture's 4x4 filter with padding 2
        (5, 3, 2, 1, 1, 3),  # the lecture's 3x3 filter, padding 1, stride 2
    ],
)
def test_conv_output_size_hand_values(i, k, s, p, d, o):
    assert shapes.conv_output_size(i, k, s, p, d) == o


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 40), k=st.integers(1, 9), s=st.integers(1, 6), p=st.integers(0, 5),
       d=st.integers(1, 4))
def test_conv_output_size_counts_windows(i, k, s, p, d):
    starts = window_starts(i, k, s, p, d)
    if not starts:
        with pytest.raises(ValueError, match="kernel_size"):
            shapes.conv_output_size(i, k, s, p, d)
        return
    assert shapes.conv_output_size(i, k, s, p, d) == len(starts)
    last_end = starts[-1] + d * (k - 1) + 1
    assert shapes.uncovered_cells(i, k, s, p, d) == i + 2 * p - last_end
    assert shapes.stride_fits(i, k, s, p, d) == (last_end == i + 2 * p)


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 3),
       d=st.integers(1, 3), ceil_mode=st.booleans())
def test_pool_output_size_counts_windows(i, k, s, p, d, ceil_mode):
    span = d * (k - 1) + 1
    starts = pool_window_starts(i, k, s, p, d, ceil_mode)
    if 2 * p > span:
        with pytest.raises(ValueError, match="padding"):
            shapes.pool_output_size(i, k, s, p, d, ceil_mode)
    elif span > i + 2 * p:
        with pytest.raises(ValueError, match="kernel_size"):
            shapes.pool_output_size(i, k, s, p, d, ceil_mode)
    else:
        assert shapes.pool_output_size(i, k, s, p, d, ceil_mode) == len(starts)


def test_pool_output_size_hand_values():
    assert shapes.pool_output_size(224, 2) == 112  # 224x224x64 -> 112x112x64
    assert shapes.pool_output_size(55, 3, 2) == 27  # AlexNet's overlapping pooling
    assert shapes.pool_output_size(13, 3, 2) == 6
    assert shapes.pool_output_size(5, 2) == 2
    assert shapes.pool_output_size(5, 2, ceil_mode=True) == 3  # the last window hangs over
    assert shapes.pool_output_size(6, 3, 2, ceil_mode=False) == 2
    assert shapes.pool_output_size(6, 3, 2, ceil_mode=True) == 3
    # PyTorch drops a window that would start in the right padding: 4 + 1 pad, k2 s2
    assert shapes.pool_output_size(4, 2, 2, padding=1, ceil_mode=True) == 3
    assert shapes.pool_output_shape((7, 8), 2) == (3, 4)


def test_same_and_valid_padding():
    assert shapes.resolve_padding("valid", 3) == (0, 0)
    assert shapes.resolve_padding("same", 3) == (1, 1)
    assert shapes.resolve_padding("same", 4) == (1, 2)  # PyTorch: the extra cell goes last
    assert shapes.resolve_padding("same", 3, dilation=2) == (2, 2)
    for i in range(1, 12):
        for k in range(1, 6):
            assert shapes.conv_output_size(i + 10, k, padding="same") == i + 10
    with pytest.raises(ValueError, match="stride=1"):
        shapes.resolve_padding("same", 3, stride=2)
    with pytest.raises(ValueError, match="'same' or 'valid'"):
        shapes.resolve_padding("full", 3)


def test_conv_output_shape_per_axis():
    assert shapes.conv_output_shape((224, 224), 11, 4, 2) == (55, 55)
    assert shapes.conv_output_shape((5, 7), (3, 5), (1, 2), (1, 0)) == (5, 2)
    assert shapes.conv_output_shape((8,), 3) == (6,)
    assert shapes.conv_output_shape((4, 4, 4), 3, padding="same") == (4, 4, 4)
    with pytest.raises(ValueError, match="kernel_size must have 2 values"):
        shapes.conv_output_shape((5, 5), (3, 3, 3))


@settings(max_examples=200, deadline=None)
@given(i=st.integers(1, 30), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_transposed_convolution_inverts_the_size(i, k, s, p, d):
    """A transposed convolution maps o back to some i' with conv(i') == o (relationship 14)."""
    try:
        o = shapes.conv_output_size(i, k, s, p, d)
    except ValueError:
        return
    a = (i + 2 * p - (d * (k - 1) + 1)) % s
    if a >= max(s, d):
        return
    assert shapes.transposed_conv_output_size(o, k, s, p, output_padding=a, dilation=d) == i


def test_transposed_convolution_hand_values():
    assert shapes.transposed_conv_output_size(2, 3, stride=2) == 5
    assert shapes.transposed_conv_output_size(3, 3, stride=2, padding=1, output_padding=1) == 6
    assert shapes.transposed_conv_output_size(5, 3, padding=1) == 5
    with pytest.raises(ValueError, match="output_padding"):
        shapes.transposed_conv_output_size(2, 3, stride=2, output_padding=2)


def test_nearest_fits_the_lecture_example():
    # 7x7 input, 3x3 kernel, stride 3 leaves one column: padding 1 or stride 2 / 4 fit.
    assert not shapes.stride_fits(7, 3, stride=3)
    assert shapes.uncovered_cells(7, 3, stride=3) == 1
    fits = shapes.nearest_fits(7, 3, stride=3)
    assert fits.paddings == (1,) and fits.strides == (2, 4)
    for p in fits.paddings:
        assert shapes.stride_fits(7, 3, 3, p)
    for s in fits.strides:
        assert shapes.stride_fits(7, 3, s)
    assert shapes.nearest_fits(7, 3, stride=2) == ((0,), (2,))


def receptive_interval(layers):
    """Brute force: which input cells (padded coordinates allowed) can reach output 0.

    Walk down from the last layer: output cell j of a layer reads its input cells
    j*s - p + m*d for m = 0..k-1.
    """
    lo, hi = 0, 0
    for w in reversed(layers):
        lo, hi = lo * w.stride - w.padding, hi * w.stride - w.padding + w.dilation * (
            w.kernel_size - 1)
    return lo, hi


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(0, 3),
                          st.integers(1, 2)), min_size=1, max_size=5))
def test_receptive_field_matches_brute_force(params):
    layers = [Window(k, s, p, d) for k, s, p, d in params]
    lo, hi = receptive_interval(layers)
    last = shapes.receptive_fields(layers)[-1]
    assert last.rf == hi - lo + 1
    assert last.start == (lo + hi + 1) / 2  # centre; pixel x spans [x, x + 1)
    jump = 1
    for w in layers:
        jump *= w.stride
    assert last.jump == jump


def test_receptive_field_lecture_stacks():
    two_3x3 = shapes.receptive_fields([Window(3), Window(3)])
    assert [r.rf for r in two_3x3] == [1, 3, 5]
    assert shapes.receptive_fields([Window(3)] * 3)[-1].rf == 7
    # Two 3x3 convolutions (C channels in and out) use 18 C^2 weights; one 5x5 uses 25 C^2.
    c = 64
    assert 2 * shapes.conv_params(c, c, 3, bias=False) == 18 * c * c
    assert shapes.conv_params(c, c, 5, bias=False) == 25 * c * c


def test_receptive_field_alexnet_table():
    # AlexNet (torchvision), hand-computed with r_out = r_in + (k - 1) j_in, j_out = j_in s.
    alexnet = [Window(11, 4, 2, name="conv1"), Window(3, 2, name="pool1"),
               Window(5, 1, 2, name="conv2"), Window(3, 2, name="pool2"),
               Window(3, 1, 1, name="conv3"), Window(3, 1, 1, name="conv4"),
               Window(3, 1, 1, name="conv5"), Window(3, 2, name="pool5")]
    rows = shapes.receptive_fields(alexnet, input_size=224)
    assert [r.size for r in rows] == [224, 55, 27, 27, 13, 13, 13, 13, 6]
    assert [r.jump for r in rows] == [1, 4, 8, 8, 16, 16, 16, 16, 32]
    assert [r.rf for r in rows] == [1, 11, 19, 51, 67, 99, 131, 163, 195]
    assert rows[1].start == 0.5 + (5 - 2) * 1  # 3.5


def test_receptive_fields_names_the_layer_that_breaks():
    with pytest.raises(ValueError, match="conv2 .input size 3.*kernel_size=5"):
        shapes.receptive_fields([Window(3, name="conv1"), Window(5, name="conv2")],
                                input_size=5)


def test_parameter_and_multiply_add_counts():
    assert shapes.conv_params(192, 32, 5) == (5 * 5 * 192 + 1) * 32 == 153_632
    assert shapes.conv_params(3, 64, 11) == 23_296
    assert shapes.conv_params(48, 128, 5, bias=False) == 153_600
    assert shapes.conv_params(96, 256, 5, groups=2) == (5 * 5 * 48 + 1) * 256
    assert shapes.conv_params(32, 32, 3, groups=32) == (9 + 1) * 32  # depthwise
    assert shapes.conv_params(4, 8, (3,)) == (3 * 4 + 1) * 8  # 1-D
    assert shapes.conv_params(4, 8, (3, 3, 3)) == (27 * 4 + 1) * 8  # 3-D
    assert shapes.conv_macs(3, 64, 11, (55, 55)) == 11 * 11 * 3 * 64 * 55 * 55
    assert shapes.linear_params(9216, 4096) == 9216 * 4096 + 4096
    assert shapes.linear_params(4096, 1000, bias=False) == 4_096_000
    assert shapes.linear_macs(4096, 1000) == 4_096_000
    with pytest.raises(ValueError, match="groups=3 must divide"):
        shapes.conv_params(4, 6, 3, groups=3)


def test_counts_accept_numpy_integers():
    # e.g. a kernel size taken from an array; tuple(np.int64(5)) used to raise numpy's
    # "'numpy.int64' object is not iterable".
    assert shapes.conv_params(192, 32, np.int64(5)) == 153_632
    assert shapes.conv_macs(3, 64, np.int64(11), np.int64(55)) == 11 * 11 * 3 * 64 * 55
    assert shapes.conv_macs(3, 64, 11, np.array([55, 55])) == 11 * 11 * 3 * 64 * 55 * 55


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: shapes.conv_output_size(5, 3, stride=0), ValueError, "stride must be >= 1, got 0"),
        (lambda: shapes.conv_output_size(5, 3, padding=-1), ValueError, "padding must be >= 0"),
        (lambda: shapes.conv_output_size(5, 0), ValueError, "kernel_size must be >= 1"),
        (lambda: shapes.conv_output_size(5, 3, dilation=0), ValueError, "dilation must be >= 1"),
        (lambda: shapes.conv_output_size(0, 3), ValueError, "input_size must be >= 1"),
        (lambda: shapes.conv_output_size(5, 2.5), TypeError, "kernel_size must be a whole number"),
        (lambda: shapes.conv_output_size(5, True), TypeError, "kernel_size must be a whole"),
        (lambda: shapes.conv_output_size(4, 7), ValueError, "larger than the padded input"),
        (lambda: shapes.conv_output_size(5, 3, dilation=3), ValueError, "dilation 3 stretches"),
        (lambda: shapes.pool_output_size(5, 2, padding=2), ValueError, "more than half"),
        (lambda: shapes.conv_output_shape((5, 5), "3"), TypeError, "kernel_size"),
        (lambda: shapes.pool_output_size(6, 3, 2, ceil_mode="no"), TypeError,
         "ceil_mode must be True or False"),
        (lambda: shapes.receptive_fields([Window(3, stride=0)]), ValueError,
         "stride must be >= 1, got 0"),
        (lambda: shapes.conv_params(3, 4, 2.5), TypeError, "kernel_size must be an int"),
    ],
)
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


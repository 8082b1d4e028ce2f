"""Tests of cnnlib.conv against independent oracles.

Oracles: scipy.signal.correlate on np.pad-ed inputs (with strides taken by slicing the full
correlation and dilation by a kernel with zeros inserted), the lecture's worked example,
hand-written padding cases, finite differences (cnnlib.gradcheck) and hypothesis properties.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate

from cnnlib import conv as conv_module
from cnnlib.conv import (
    col2im,
    conv,
    conv1d,
    conv2d,
    conv2d_backward,
    conv2d_forward,
    conv2d_naive,
    conv2d_naive_backward,
    conv3d,
    conv_backward,
    conv_forward,
    im2col,
    pad,
)
from cnnlib.data import lecture_example
from cnnlib.gradcheck import gradcheck
from cnnlib.shapes import conv_output_shape

# ---------------------------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------------------------


def _per_axis(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def oracle(x, w, b=None, stride=1, pads=0, dilation=1, groups=1):
    """Convolution by scipy.signal.correlate, written from the definition.

    ``pads``: int, one int per axis or one (before, after) pair per axis (zero padding).
    """
    n = x.ndim - 2
    stride, dilation = _per_axis(stride, n), _per_axis(dilation, n)
    pairs = [(p, p) if isinstance(p, int) else tuple(p) for p in _per_axis(pads, n)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pairs)
    kernel = w.shape[2:]
    dilated = np.zeros(w.shape[:2] + tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation)))
    dilated[(slice(None), slice(None)) + tuple(slice(None, None, d) for d in dilation)] = w
    out_channels, depth = w.shape[:2]
    per_group = out_channels // groups
    result = []
    for image in xp:
        maps = []
        for o in range(out_channels):
            g = o // per_group
            full = sum(correlate(image[g * depth + c], dilated[o, c], mode="valid")
                       for c in range(depth))
            maps.append(full[tuple(slice(None, None, s) for s in stride)]
                        + (0 if b is None else b[o]))
        result.append(maps)
    return np.array(result)


def rand(rng, *shape):
    return rng.standard_normal(shape)


# ---------------------------------------------------------------------------------------------
# The lecture's worked example (seed 004): 5x5 image, 3x3 kernel, padding 1 -> 5x5 map
# ---------------------------------------------------------------------------------------------

LECTURE_IMAGE, LECTURE_KERNEL, LECTURE_FEATURE_MAP = lecture_example()


@pytest.mark.parametrize("function", [conv2d, conv2d_naive])
def test_lecture_worked_example(function):
    # Two oracles: the feature map printed in the lecture, and scipy's correlation.
    out = function(LECTURE_IMAGE[None, None], LECTURE_KERNEL[None, None], padding=1)
    np.testing.assert_array_equal(out[0, 0], LECTURE_FEATURE_MAP)
    np.testing.assert_array_equal(
        out[0, 0], correlate(np.pad(LECTURE_IMAGE, 1), LECTURE_KERNEL, mode="valid"))


# ---------------------------------------------------------------------------------------------
# Forward against scipy
# ---------------------------------------------------------------------------------------------

CASES_2D = [  # (N, C, H, W), (O, kH, kW), stride, padding, dilation, groups
    ((2, 3, 7, 6), (4, 3, 3), 1, 0, 1, 1),
    ((1, 3, 7, 7), (2, 3, 3), 2, 1, 1, 1),
    ((2, 2, 9, 8), (3, 2, 3), (2, 3), (1, 2), 1, 1),
    ((1, 4, 10, 9), (6, 3, 3), 1, 2, 2, 2),
    ((2, 4, 11, 10), (4, 3, 2), (3, 2), (0, 1), (2, 3), 4),  # depthwise
    ((1, 3, 8, 8), (6, 3, 3), 1, 1, 1, 3),  # depthwise, channel multiplier 2
    ((1, 1, 5, 5), (1, 5, 5), 1, 0, 1, 1),  # kernel as large as the input
    ((3, 2, 6, 5), (2, 1, 1), 2, 0, 1, 1),  # 1x1 convolution
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", CASES_2D)
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv2d_and_naive_match_scipy(x_shape, w_shape, stride, padding, dilation, groups,
                                      with_bias):
    rng = np.random.default_rng(0)
    x = rand(rng, *x_shape)
    w = rand(rng, w_shape[0], x_shape[1] // groups, *w_shape[1:])
    b = rand(rng, w_shape[0]) if with_bias else None
    expected = oracle(x, w, b, stride, padding, dilation, groups)
    for function in (conv2d, conv2d_naive, conv):
        out = function(x, w, b, stride=stride, padding=padding, dilation=dilation,
                       groups=groups)
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 1), (3, 1, 2, 2), (1, 1, 1, 4),
])
def test_conv1d_matches_scipy(stride, padding, dilation, groups):
    rng = np.random.default_rng(1)
    x, w, b = rand(rng, 2, 4, 13), rand(rng, 8, 4 // groups, 3), rand(rng, 8)
    out = conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(out, oracle(x, w, b, stride, padding, dilation, groups),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), ((1, 2, 1), (0, 1, 2), (2, 1, 1), 2), (1, 1, 1, 2),
])
def test_conv3d_matches_scipy(stride, padding, dilation, groups):
    rng = np.random.default_rng(2)
    x, w, b = rand(rng, 2, 2, 6, 7, 5), rand(rng, 4, 2 // groups, 3, 2, 3), rand(rng, 4)
    out = conv3d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(out, oracle(x, w, b, stride, padding, dilation, groups),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (2, 1), (3, 2), (4, 3)])
def test_same_padding_keeps_size_and_puts_the_extra_cell_after(kernel, dilation):
    rng = np.random.default_rng(3)
    x, w = rand(rng, 1, 2, 9, 8), rand(rng, 3, 2, kernel, kernel)
    total = dilation * (kernel - 1)
    pairs = [(total // 2, total - total // 2)] * 2  # PyTorch: the odd cell goes at the end
    for function in (conv2d, conv2d_naive):
        out = function(x, w, padding="same", dilation=dilation)
        assert out.shape == (1, 3, 9, 8)
        np.testing.assert_allclose(out, oracle(x, w, pads=pairs, dilation=dilation),
                                   rtol=1e-10, atol=1e-10)


def test_valid_padding_is_no_padding():
    rng = np.random.default_rng(4)
    x, w = rand(rng, 1, 2, 7, 6), rand(rng, 3, 2, 3, 2)
    np.testing.assert_allclose(conv2d(x, w, padding="valid"), oracle(x, w), rtol=1e-10)


def test_same_padding_1d_and_3d():
    rng = np.random.default_rng(5)
    x1, w1 = rand(rng, 1, 2, 10), rand(rng, 3, 2, 4)
    np.testing.assert_allclose(conv1d(x1, w1, padding="same"),
                               oracle(x1, w1, pads=[(1, 2)]), rtol=1e-10)
    x3, w3 = rand(rng, 1, 1, 4, 5, 6), rand(rng, 2, 1, 3, 2, 3)
    np.testing.assert_allclose(conv3d(x3, w3, padding="same"),
                               oracle(x3, w3, pads=[(1, 1), (0, 1), (1, 1)]), rtol=1e-10)


def test_large_batches_are_lowered_in_chunks(monkeypatch):
    rng = np.random.default_rng(6)
    x, w, b = rand(rng, 5, 4, 9, 8), rand(rng, 6, 2, 3, 2), rand(rng, 6)
    dout = rand(rng, 5, 6, 5, 10)
    settings_ = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    _, whole = conv2d_forward(x, w, b, **settings_)
    assert whole.cols is not None                          # lowered at once, columns kept
    full_dx, full_dw, full_db = conv2d_backward(dout, whole)
    monkeypatch.setattr(conv_module, "COLUMN_BUDGET", 1)  # one image per chunk
    assert len(conv_module._image_chunks(x, conv_module._check_conv(
        x, w, b, groups=2, **{k: settings_[k] for k in ("stride", "padding", "dilation")}))) == 5
    out, chunked = conv2d_forward(x, w, b, **settings_)
    assert chunked.cols is None                            # backward lowers x again
    np.testing.assert_allclose(out, oracle(x, w, b, (2, 1), (1, 2), (1, 2), 2), rtol=1e-10)
    dx, dw, db = conv2d_backward(dout, chunked)
    np.testing.assert_allclose(dx, full_dx, rtol=1e-12)
    np.testing.assert_allclose(dw, full_dw, rtol=1e-12)
    np.testing.assert_allclose(db, full_db, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Properties over random shapes and hyperparameters
# ---------------------------------------------------------------------------------------------

@st.composite
def conv_settings(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.one_of(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                             st.just("valid"),
                             st.just("same").filter(lambda _: stride == (1, 1))))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = tuple(draw(st.integers(max(1, span - 2 * (p if isinstance(p, int) else 0)),
                                  span + 6))
                 for span, p in zip(spans, padding if isinstance(padding, tuple) else (0, 0)))
    batch = draw(st.integers(1, 3))
    return dict(x_shape=(batch, channels) + size, w_shape=(out_channels, channels // groups)
                + kernel, stride=stride, padding=padding, dilation=dilation, groups=groups)


@settings(max_examples=60, deadline=None)
@given(conv_settings(), st.integers(0, 2**31 - 1))
def test_fast_equals_naive_and_shape_is_predicted(case, seed):
    rng = np.random.default_rng(seed)
    x, w = rand(rng, *case["x_shape"]), rand(rng, *case["w_shape"])
    b = rand(rng, case["w_shape"][0])
    kwargs = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    fast, naive = conv2d(x, w, b, **kwargs), conv2d_naive(x, w, b, **kwargs)
    predicted = conv_output_shape(case["x_shape"][2:], case["w_shape"][2:], case["stride"],
                                  case["padding"], case["dilation"])
    assert fast.shape == case["x_shape"][:1] + case["w_shape"][:1] + predicted
    np.testing.assert_allclose(fast, naive, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(conv_settings(), st.integers(0, 2**31 - 1))
def test_backward_is_the_adjoint_of_forward(case, seed):
    # <conv(x, w), dout> is bilinear: its gradients are <dx, x> + <dw, w> = 2 <out, dout>.
    rng = np.random.default_rng(seed)
    x, w = rand(rng, *case["x_shape"]), rand(rng, *case["w_shape"])
    kwargs = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    out, cache = conv2d_forward(x, w, **kwargs)
    dout = rand(rng, *out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert db is None
    np.testing.assert_allclose(np.vdot(dx, x), np.vdot(out, dout), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.vdot(dw, w), np.vdot(out, dout), rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Gradients against finite differences
# ---------------------------------------------------------------------------------------------

GRAD_CASES = [  # x shape, weight shape, stride, padding, dilation, groups
    ((2, 2, 9), (3, 2, 3), 2, 1, 2, 1),
    ((1, 4, 8), (4, 1, 2), 1, "same", 1, 4),
    ((2, 2, 6, 5), (3, 2, 3, 2), (2, 1), (1, 0), (1, 2), 1),
    ((1, 4, 7, 7), (4, 2, 3, 3), 2, 1, 1, 2),
    ((1, 3, 6, 6), (3, 1, 2, 2), 1, "same", 2, 3),
    ((1, 2, 5, 4, 4), (2, 2, 2, 3, 2), (2, 1, 1), (1, 1, 0), (1, 1, 2), 1),
    ((1, 2, 4, 5, 4), (4, 1, 3, 2, 2), 1, 1, 1, 2),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", GRAD_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_gradients_match_finite_differences(x_shape, w_shape, stride, padding, dilation, groups,
                                            with_bias):
    rng = np.random.default_rng(7)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    forward = {3: conv1d, 4: conv2d, 5: conv3d}[len(x_shape)]

    def backward(dout, *arrays):
        return conv_backward(dout, conv_forward(*arrays, **kwargs)[1])

    x, w, b = rand(rng, *x_shape), rand(rng, *w_shape), rand(rng, w_shape[0])
    if with_bias:
        gradcheck(lambda x, w, b: forward(x, w, b, **kwargs), backward, [x, w, b])
    else:
        gradcheck(lambda x, w: forward(x, w, **kwargs), lambda d, x, w: backward(d, x, w)[:2],
                  [x, w])
        out = forward(x, w, **kwargs)
        assert backward(np.ones_like(out), x, w)[2] is None


def test_bias_gradient_sums_batch_and_positions():
    rng = np.random.default_rng(8)
    x, w, b = rand(rng, 2, 1, 4, 4), rand(rng, 3, 1, 2, 2), rand(rng, 3)
    dout = rand(rng, 2, 3, 3, 3)
    np.testing.assert_allclose(conv_backward(dout, conv_forward(x, w, b)[1])[2],
                               dout.sum(axis=(0, 2, 3)))


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", CASES_2D)
def test_naive_backward_equals_the_fast_backward(x_shape, w_shape, stride, padding, dilation,
                                                 groups):
    rng = np.random.default_rng(14)
    o, kh, kw = w_shape
    x = rand(rng, *x_shape)
    w, b = rand(rng, o, x_shape[1] // groups, kh, kw), rand(rng, o)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    out, cache = conv2d_forward(x, w, b, **kwargs)
    dout = rand(rng, *out.shape)
    for fast, naive in zip(conv2d_backward(dout, cache),
                           conv2d_naive_backward(dout, x, w, **kwargs)):
        np.testing.assert_allclose(naive, fast, rtol=1e-10, atol=1e-12)


def test_naive_backward_matches_finite_differences():
    rng = np.random.default_rng(15)
    x, w, b = rand(rng, 2, 2, 5, 4), rand(rng, 2, 1, 3, 2), rand(rng, 2)
    kwargs = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    gradcheck(lambda x, w, b: conv2d_naive(x, w, b, **kwargs),
              lambda d, x, w, b: conv2d_naive_backward(d, x, w, **kwargs), [x, w, b])


# ---------------------------------------------------------------------------------------------
# im2col / col2im
# ---------------------------------------------------------------------------------------------

def test_im2col_columns_are_flattened_windows():
    rng = np.random.default_rng(9)
    x = rand(rng, 2, 3, 7, 6)
    cols = im2col(x, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    out_h, out_w = 4, 6  # floor((9 - 3) / 2) + 1, floor((8 - 3) / 1) + 1
    assert cols.shape == (3 * 3 * 2, 2 * out_h * out_w)
    column = 0
    for n in range(2):
        for y in range(out_h):
            for x_ in range(out_w):
                window = xp[n, :, 2 * y:2 * y + 3, x_:x_ + 3:2]
                np.testing.assert_array_equal(cols[:, column], window.ravel())
                column += 1


@pytest.mark.parametrize("x_shape, kernel, stride, padding, dilation", [
    ((2, 1, 11), 4, 3, 2, 2),
    ((1, 2, 9, 8), (3, 2), (2, 3), ((1, 2), (0, 1)), (1, 2)),
    ((1, 2, 5, 6, 4), (2, 3, 2), (1, 2, 1), 1, (2, 1, 1)),
])
def test_im2col_columns_are_the_windows_on_1_2_and_3_axes(x_shape, kernel, stride, padding,
                                                          dilation):
    x = rand(np.random.default_rng(13), *x_shape)
    n = x.ndim - 2
    kernel, stride, dilation = ((v,) * n if isinstance(v, int) else v
                                for v in (kernel, stride, dilation))
    pads = [(padding, padding)] * n if isinstance(padding, int) else list(padding)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    out_shape = [(size - d * (k - 1) - 1) // s + 1
                 for size, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)]
    cols = im2col(x, kernel, stride, padding, dilation)
    expected = [xp[(image, slice(None)) + tuple(slice(p * s, p * s + d * (k - 1) + 1, d)
                                                 for p, k, s, d in zip(at, kernel, stride,
                                                                       dilation))].ravel()
                for image in range(len(x)) for at in np.ndindex(*out_shape)]
    np.testing.assert_array_equal(cols, np.array(expected).T)     # copies: exactly equal


def test_weight_times_columns_is_the_convolution():
    rng = np.random.default_rng(10)
    x, w = rand(rng, 2, 3, 8, 7), rand(rng, 4, 3, 3, 3)
    cols = im2col(x, 3, stride=2, padding=1)
    out = (w.reshape(4, -1) @ cols).reshape(4, 2, 4, 4).transpose(1, 0, 2, 3)
    np.testing.assert_allclose(out, oracle(x, w, stride=2, pads=1), rtol=1e-10)


@pytest.mark.parametrize("x_shape, kernel, stride, padding, dilation", [
    ((2, 3, 7, 6), 3, 1, 1, 1),
    ((1, 2, 9, 8), (3, 2), (2, 3), ((1, 2), (0, 1)), (1, 2)),
    ((2, 1, 11), 4, 3, 2, 2),
    ((1, 2, 5, 6, 4), (2, 3, 2), (1, 2, 1), 1, (2, 1, 1)),
])
def test_col2im_is_the_adjoint_of_im2col(x_shape, kernel, stride, padding, dilation):
    rng = np.random.default_rng(11)
    x = rand(rng, *x_shape)
    cols = im2col(x, kernel, stride, padding, dilation)
    c = rand(rng, *cols.shape)
    back = col2im(c, x.shape, kernel, stride, padding, dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, back), rtol=1e-10)


def test_col2im_counts_overlapping_windows():
    # 1x1x3x3 ones, 2x2 windows, stride 1: the centre is covered by 4 windows, corners by 1.
    x = np.ones((1, 1, 3, 3))
    np.testing.assert_array_equal(col2im(im2col(x, 2), x.shape, 2)[0, 0],
                                  [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# ---------------------------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------------------------

ROW = np.array([[[1.0, 2.0, 3.0]]])


@pytest.mark.parametrize("mode, expected", [
    ("zeros", [0, 0, 1, 2, 3, 0, 0]),
    ("constant", [0, 0, 1, 2, 3, 0, 0]),
    ("reflect", [3, 2, 1, 2, 3, 2, 1]),
    ("replicate", [1, 1, 1, 2, 3, 3, 3]),
    ("circular", [2, 3, 1, 2, 3, 1, 2]),
])
def test_pad_modes_on_a_row(mode, expected):
    np.testing.assert_array_equal(pad(ROW, 2, mode)[0, 0], expected)


def test_pad_2d_modes_by_hand():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(pad(x, 1, "replicate")[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    np.testing.assert_array_equal(pad(x, 1, "circular")[0, 0],
                                  [[4, 3, 4, 3], [2, 1, 2, 1], [4, 3, 4, 3], [2, 1, 2, 1]])
    np.testing.assert_array_equal(pad(x, 1, "reflect")[0, 0],
                                  [[4, 3, 4, 3], [2, 1, 2, 1], [4, 3, 4, 3], [2, 1, 2, 1]])
    np.testing.assert_array_equal(pad(x, (1, 0, 0, 1))[0, 0],      # left, right, top, bottom
                                  [[0, 1, 2], [0, 3, 4], [0, 0, 0]])
    y = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(pad(y, (0, 0, 1, 1), "reflect")[0, 0],
                                  [[4, 5, 6], [1, 2, 3], [4, 5, 6], [7, 8, 9], [4, 5, 6]])


def test_pad_tuple_lists_the_last_axis_first_as_torch_pad():
    # torch.nn.functional.pad(x, (1, 2)) pads the last axis: 1 on the left, 2 on the right.
    x = np.arange(2 * 3 * 4 * 5 * 6, dtype=np.float32).reshape(2, 3, 4, 5, 6)
    np.testing.assert_array_equal(pad(x, (1, 2)), np.pad(x, [(0, 0)] * 4 + [(1, 2)]))
    np.testing.assert_array_equal(pad(x, (1, 2, 3, 0)),
                                  np.pad(x, [(0, 0)] * 3 + [(3, 0), (1, 2)]))
    assert pad(x, (1, 0, 0, 2, 3, 1)).shape == (2, 3, 8, 7, 7)
    assert pad(x, 1).dtype == np.float32


# ---------------------------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    rng = np.random.default_rng(12)
    x, w, b = (rand(rng, 2, 2, 6, 6).astype(dtype), rand(rng, 4, 1, 3, 3).astype(dtype),
               rand(rng, 4).astype(dtype))
    out, cache = conv2d_forward(x, w, b, stride=2, padding=1, groups=2)
    assert out.dtype == dtype
    assert conv2d_naive(x, w, b, stride=2, padding=1, groups=2).dtype == dtype
    grads = conv2d_backward(np.ones_like(out), cache)
    assert [g.dtype for g in grads] == [dtype] * 3
    cols = im2col(x, 3, padding=1)
    assert cols.dtype == dtype and col2im(cols, x.shape, 3, padding=1).dtype == dtype
    assert conv1d(x[:, :, 0], w[:, :, 0], groups=2).dtype == dtype
    exact = oracle(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), 2, 1, 1, 2)
    np.testing.assert_allclose(out, exact, rtol=1e-4 if dtype == np.float32 else 1e-10,
                               atol=1e-4 if dtype == np.float32 else 1e-10)


# ---------------------------------------------------------------------------------------------
# Bad input: the right error type, and a message that names the parameter
# ---------------------------------------------------------------------------------------------

X = np.zeros((1, 4, 6, 6))
W = np.zeros((2, 4, 3, 3))

BAD_CONV = [
    (dict(x=np.zeros((1, 4, 6, 6), dtype=int)), TypeError, "x must hold floating-point"),
    (dict(x=[[[[1.0]]]]), TypeError, "x must be a numpy array"),
    (dict(weight=np.zeros((2, 4, 3))), ValueError, "weight must have 4 axes"),
    (dict(weight=np.zeros((2, 4, 3, 3), dtype=np.float32)), TypeError,
     r"weight has dtype float32 but x has dtype float64.*astype"),
    (dict(weight=np.zeros((2, 3, 3, 3))), ValueError,
     r"channel mismatch.*filter depth must\s+equal the input depth"),
    (dict(weight=np.zeros((3, 2, 3, 3)), groups=2), ValueError, "groups=2 must divide"),
    (dict(groups=3), ValueError, "groups=3 must divide"),
    (dict(groups=0), ValueError, "groups must be >= 1"),
    (dict(groups=1.5), TypeError, "groups must be a whole number"),
    (dict(bias=np.zeros(3)), ValueError, r"bias must have shape \(2,\)"),
    (dict(bias=np.zeros(2, dtype=np.float32)), TypeError, "bias has dtype float32"),
    (dict(stride=0), ValueError, "stride must be >= 1"),
    (dict(stride=(1, 0)), ValueError, r"stride\[1\] must be >= 1"),
    (dict(stride=(1, 1, 1)), ValueError, "stride must have 2 values"),
    (dict(dilation=0), ValueError, "dilation must be >= 1"),
    (dict(padding=-1), ValueError, "padding must be >= 0"),
    (dict(padding="full"), ValueError, "padding must be an int, 'same' or 'valid'"),
    (dict(padding="same", stride=2), ValueError, "padding='same' needs stride=1"),
    (dict(weight=np.zeros((2, 4, 9, 3))), ValueError,
     r"the kernel \(9, 3\) \(weight.shape\[2:\]\) is larger than the padded input"),
    (dict(weight=np.zeros((2, 4, 3, 3)), dilation=4), ValueError,
     r"the kernel \(3, 3\) \(weight.shape\[2:\]\) \(dilation \(4, 4\) stretches it to "
     r"\(9, 9\)\) is larger than the padded input"),
]


@pytest.mark.parametrize("function", [conv2d, conv2d_naive, conv])
@pytest.mark.parametrize("change, error, message", BAD_CONV)
def test_bad_conv_input(function, change, error, message):
    kwargs = dict(x=X, weight=W) | change
    with pytest.raises(error, match=message):
        function(**kwargs)


@pytest.mark.parametrize("function, x, w", [
    (conv1d, np.zeros((1, 2, 5, 5)), np.zeros((1, 2, 3, 3))),
    (conv3d, np.zeros((1, 2, 5, 5)), np.zeros((1, 2, 3, 3))),
    (conv2d, np.zeros((1, 2, 5)), np.zeros((1, 2, 3))),
    (conv2d_forward, np.zeros((1, 2, 5)), np.zeros((1, 2, 3))),
])
def test_wrong_ndim_for_the_dimension(function, x, w):
    with pytest.raises(ValueError, match="x must have"):
        function(x, w)


@pytest.mark.parametrize("function", [conv2d, conv2d_naive])
def test_missing_batch_axis_suggests_adding_it(function):
    with pytest.raises(ValueError, match=r"x must have 4 axes.*x\[None\]"):
        function(np.zeros((4, 6, 6)), W)


def test_conv_rejects_four_spatial_axes():
    with pytest.raises(ValueError, match=r"x must have .*\(6 axes\)"):
        conv(np.zeros((1, 1, 3, 3, 3, 3)), np.zeros((1, 1, 1, 1, 1, 1)))


@pytest.mark.parametrize("x_shape, w_shape", [
    ((0, 4, 6, 6), (2, 4, 3, 3)),     # an empty batch
    ((1, 0, 6, 6), (2, 0, 3, 3)),     # no channels
    ((1, 4, 6, 6), (0, 4, 3, 3)),     # no filters
])
def test_empty_batch_channels_or_filters_are_explained(x_shape, w_shape):
    with pytest.raises(ValueError, match="nothing to convolve"):
        conv2d(np.zeros(x_shape), np.zeros(w_shape))


def test_bad_dout():
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output "
                                         r"\(1, 2, 4, 4\)"):
        conv2d_backward(np.zeros((1, 2, 5, 5)), conv2d_forward(X, W)[1])


def test_dout_of_another_float_dtype_is_cast_to_the_input_dtype():
    # like every other backward in cnnlib: the gradients keep the dtype of x
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(X.shape), rng.standard_normal(W.shape)
    dout = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    _, cache = conv2d_forward(x, w)
    dx, dweight, _ = conv2d_backward(dout, cache)
    expected_dx, expected_dweight, _ = conv2d_backward(dout.astype(np.float64), cache)
    assert dx.dtype == dweight.dtype == np.float64
    np.testing.assert_array_equal(dx, expected_dx)
    np.testing.assert_array_equal(dweight, expected_dweight)


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((X, -1), {}, ValueError, "padding must be >= 0"),
    ((X, (1, -2)), {}, ValueError, r"padding\[1\] must be >= 0"),
    ((X, (1, 1, 1)), {}, ValueError, "padding must have 2 or 4 values"),
    ((X, (1, 1, 1, 1, 1, 1)), {}, ValueError, "padding must have 2 or 4 values"),
    ((X, ((1, 1), (0, 0))), {}, TypeError, "flat tuple of ints as in torch.nn.functional.pad"),
    ((X, 1), dict(mode="mirror"), ValueError, "mode must be one of"),
    ((X, 6), dict(mode="reflect"), ValueError, "reflect padding must be smaller than the input"),
    ((X, 7), dict(mode="circular"), ValueError, "circular padding can wrap at most once"),
    ((np.zeros((6, 6)), 1), {}, ValueError, "x must have"),
    ((np.zeros((1, 1, 3, 3), dtype=np.int64), 1), {}, TypeError, "x must hold floating"),
])
def test_bad_pad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        pad(*args, **kwargs)


def test_reflect_padding_just_below_the_size_works():
    assert pad(X, 5, "reflect").shape == (1, 4, 16, 16)
    assert pad(X, 6, "circular").shape == (1, 4, 18, 18)


def test_bad_im2col_col2im_input():
    with pytest.raises(ValueError, match="kernel_size=7 is larger than the padded input"):
        im2col(X, 7)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        im2col(X, 0)
    with pytest.raises(ValueError, match=r"cols must have shape \(36, 16\)"):
        col2im(np.zeros((36, 15)), X.shape, 3)
    with pytest.raises(ValueError, match="cols must have 2 axes"):
        col2im(np.zeros((36, 16, 1)), X.shape, 3)
    with pytest.raises(ValueError, match=r"input_shape must be \(N, C, \*spatial\)"):
        col2im(np.zeros((9, 16)), (6, 6), 3)

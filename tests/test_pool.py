"""Pooling against hand-worked examples, a loop oracle written here, and finite differences."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlib import shapes
from cnnlib.gradcheck import gradcheck
from cnnlib.pool import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_naive,
    avg_pool2d_naive_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
    max_pool2d_indices,
    max_pool2d_naive,
    max_pool2d_naive_backward,
)


def max_backward(dout, x, *args, **kwargs):
    """The gradient of max_pool2d(x, *args, **kwargs): backward with the forward's cache."""
    return max_pool2d_backward(dout, max_pool2d_forward(x, *args, **kwargs)[1])


# --- an independent oracle: PyTorch's CPU loops, one output cell at a time -------------------


def oracle_size(i, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape, written out."""
    span = i + 2 * p - d * (k - 1) - 1
    o = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= i + p:
        o -= 1
    return o


def oracle_pool(x, k, s, p, d=1, ceil_mode=False, mode="max", count_include_pad=True):
    """Loop over every output cell and every cell of its window (real cells only).

    Returns (values, flat indices of the first maximum) for mode="max", values for "avg".
    """
    n, c, h, w = x.shape
    oh, ow = oracle_size(h, k, s, p, d, ceil_mode), oracle_size(w, k, s, p, d, ceil_mode)
    out = np.zeros((n, c, oh, ow))
    index = np.zeros((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    r0, c0 = i * s - p, j * s - p
                    rows = [r for r in range(r0, r0 + d * (k - 1) + 1, d) if 0 <= r < h]
                    cols = [q for q in range(c0, c0 + d * (k - 1) + 1, d) if 0 <= q < w]
                    if mode == "max":
                        first_r, first_c = r0, c0       # PyTorch: the first cell >= 0
                        while first_r < 0:
                            first_r += d
                        while first_c < 0:
                            first_c += d
                        best, where = -np.inf, first_r * w + first_c
                        for r in rows:
                            for q in cols:
                                if x[b, ch, r, q] > best:
                                    best, where = x[b, ch, r, q], r * w + q
                        out[b, ch, i, j], index[b, ch, i, j] = best, where
                    else:
                        total = sum(x[b, ch, r, q] for r in rows for q in cols)
                        if count_include_pad:   # window clipped to the padded input
                            count = ((min(r0 + k, h + p) - r0) * (min(c0 + k, w + p) - c0))
                        else:
                            count = len(rows) * len(cols)
                        out[b, ch, i, j] = total / count
    return (out, index) if mode == "max" else out


# --- hand-worked examples -------------------------------------------------------------------

GRID = np.array([[1, 1, 2, 4],
                 [5, 6, 7, 8],
                 [3, 2, 1, 0],
                 [1, 2, 3, 4]], dtype=np.float64)[None, None]   # CS231n's max-pool figure


def test_max_pool_2x2_on_4x4_grid():
    np.testing.assert_array_equal(max_pool2d(GRID, 2)[0, 0], [[6, 8], [3, 4]])


def test_max_pool_indices_on_4x4_grid():
    # 6 sits at (1, 1) -> 5, 8 at (1, 3) -> 7, 3 at (2, 0) -> 8, 4 at (3, 3) -> 15
    np.testing.assert_array_equal(max_pool2d_indices(GRID, 2)[0, 0], [[5, 7], [8, 15]])


def test_max_pool_backward_routes_to_winners():
    dx = max_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), GRID, 2)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[2, 0], expected[3, 3] = 1, 2, 3, 4
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_avg_pool_2x2_on_4x4_grid():
    np.testing.assert_array_equal(avg_pool2d(GRID, 2)[0, 0], [[13 / 4, 21 / 4], [2, 2]])


def test_224x224x64_halves_to_112x112x64():
    x = np.zeros((1, 64, 224, 224), dtype=np.float32)
    assert max_pool2d(x, 2).shape == (1, 64, 112, 112)
    assert avg_pool2d(x, 2, stride=2).shape == (1, 64, 112, 112)


def test_alexnet_overlapping_pool_55_to_27():
    assert max_pool2d(np.zeros((1, 1, 55, 55)), 3, stride=2).shape == (1, 1, 27, 27)


ROW = np.arange(1.0, 7.0).reshape(1, 1, 1, 6)   # [1 2 3 4 5 6]


def test_ceil_mode_keeps_a_last_partial_window():
    # width 6, kernel 3, stride 2, padding 1: floor((6 + 2 - 3) / 2) + 1 = 3 windows, ceil
    # gives 4; the 4th starts at 6 - 1 = 5 < 6 + 1 (inside the input), so it is kept.
    # Windows (cells -1..1, 1..3, 3..5, 5..7): max of [pad 1 2], [2 3 4], [4 5 6], [6 pad -]
    args = dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1))
    np.testing.assert_array_equal(max_pool2d(ROW, **args)[0, 0, 0], [2, 4, 6])
    np.testing.assert_array_equal(max_pool2d(ROW, **args, ceil_mode=True)[0, 0, 0], [2, 4, 6, 6])


def test_ceil_mode_avg_divisors_follow_pytorch():
    # Sums 3, 9, 15, 6. count_include_pad divides by the window clipped to the padded input
    # (3, 3, 3, and 2 for cells 5..6), otherwise by the real cells (2, 3, 3, 1).
    args = dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1), ceil_mode=True)
    np.testing.assert_allclose(avg_pool2d(ROW, **args)[0, 0, 0], [1, 3, 5, 3])
    np.testing.assert_allclose(avg_pool2d(ROW, **args, count_include_pad=False)[0, 0, 0],
                               [1.5, 3, 5, 6])


def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    # width 5, kernel 2, stride 2, padding 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th
    # window would start at 3 * 2 = 6 >= 5 + 1 (in the right padding): 3 windows.
    x = np.arange(1.0, 6.0).reshape(1, 1, 1, 5)
    out = max_pool2d(x, (1, 2), stride=(1, 2), padding=(0, 1), ceil_mode=True)
    np.testing.assert_array_equal(out[0, 0, 0], [1, 3, 5])


def test_ceil_mode_5x5_by_2x2():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    assert max_pool2d(x, 2).shape == (1, 1, 2, 2)
    out = avg_pool2d(x, 2, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3)
    assert out[0, 0, 2, 2] == 24          # the last window holds one cell, divided by 1
    assert out[0, 0, 0, 2] == (4 + 9) / 2


def test_max_pool_pads_with_minus_infinity():
    x = -np.arange(1.0, 5.0).reshape(1, 1, 2, 2)     # all negative: zero padding would win
    out = max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(out[0, 0], [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])
    assert max_pool2d_indices(x, 2, stride=1, padding=1)[0, 0, 0, 0] == 0


def test_avg_pool_count_include_pad():
    x = np.ones((1, 1, 2, 2))
    np.testing.assert_allclose(avg_pool2d(x, 2, stride=1, padding=1)[0, 0],
                               [[1 / 4, 2 / 4, 1 / 4], [2 / 4, 1, 2 / 4], [1 / 4, 2 / 4, 1 / 4]])
    np.testing.assert_allclose(
        avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False), np.ones((1, 1, 3, 3)))


def test_dilated_max_pool():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    # 2x2 kernel, dilation 2: window of output (0, 0) is cells (0,0),(0,2),(2,0),(2,2)
    out = max_pool2d(x, 2, stride=1, dilation=2)
    np.testing.assert_array_equal(out[0, 0], [[12, 13, 14], [17, 18, 19], [22, 23, 24]])


def test_ties_go_to_the_first_maximum():
    x = np.ones((1, 1, 2, 2))
    assert max_pool2d_indices(x, 2)[0, 0, 0, 0] == 0
    np.testing.assert_array_equal(max_backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0],
                                  [[1, 0], [0, 0]])


def test_nan_wins_like_pytorch():
    x = np.array([[1.0, np.nan], [np.nan, 0.0]])[None, None]
    assert np.isnan(max_pool2d(x, 2)[0, 0, 0, 0])
    assert max_pool2d_indices(x, 2)[0, 0, 0, 0] == 2     # PyTorch keeps the last NaN


def test_all_minus_infinity_window_picks_first_real_cell():
    x = np.full((1, 1, 3, 3), -np.inf)
    idx = max_pool2d_indices(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(idx[0, 0], [[0, 1], [3, 4]])


def test_dilated_window_may_miss_every_real_cell():
    # kernel 4, dilation 2 spans 7 cells -3, -1, 1, 3 around a 1x1 input: none is real.
    # PyTorch gives -inf and the index of the first cell at or after 0 (cell (1, 1)).
    x = np.ones((1, 1, 1, 1))
    assert max_pool2d(x, 4, stride=1, padding=3, dilation=2)[0, 0, 0, 0] == -np.inf
    assert max_pool2d_indices(x, 4, stride=1, padding=3, dilation=2)[0, 0, 0, 0] == 2
    assert not max_backward(np.ones((1, 1, 1, 1)), x, 4, 1, 3, 2).any()


def test_adaptive_avg_pool_bins():
    # 5 -> 3 bins: [floor(0), ceil(5/3)) = [0, 2), [1, 4), [3, 5)
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    np.testing.assert_allclose(adaptive_avg_pool2d(x, (1, 3))[0, 0, 0], [0.5, 2.0, 3.5])
    # upsampling 2 -> 3: bins [0, 1), [0, 2), [1, 2)
    y = np.array([[[[2.0, 4.0]]]])
    np.testing.assert_allclose(adaptive_avg_pool2d(y, (1, 3))[0, 0, 0], [2, 3, 4])


def test_adaptive_avg_pool_alexnet_and_none():
    x = np.random.default_rng(0).standard_normal((2, 3, 13, 13))
    assert adaptive_avg_pool2d(x, 6).shape == (2, 3, 6, 6)
    assert adaptive_avg_pool2d(x, (None, 4)).shape == (2, 3, 13, 4)
    np.testing.assert_allclose(adaptive_avg_pool2d(x, 1), x.mean(axis=(2, 3), keepdims=True))
    # when the size divides, adaptive pooling is plain average pooling
    z = x[:, :, :12, :12]
    np.testing.assert_allclose(adaptive_avg_pool2d(z, 4), avg_pool2d(z, 3))


def test_global_avg_pool():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    out = global_avg_pool2d(x)
    assert out.shape == (2, 3, 1, 1) and out.dtype == np.float32
    assert out[0, 0, 0, 0] == np.float32(9.5)


# --- the loop oracle over random settings ---------------------------------------------------


@st.composite
def pool_settings(draw, dilation=True):
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 2)) if dilation else 1
    k_eff = d * (k - 1) + 1
    p = draw(st.integers(0, k_eff // 2))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    assume(k_eff <= min(h, w) + 2 * p)
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w),
                k=k, s=s, p=p, d=d, ceil_mode=draw(st.booleans()), seed=draw(st.integers(0, 99)))


@settings(max_examples=60, deadline=None)
@given(pool_settings())
def test_max_pool_matches_loop_oracle(c):
    x = np.random.default_rng(c["seed"]).standard_normal(c["shape"])
    args = (c["k"], c["s"], c["p"], c["d"], c["ceil_mode"])
    expected, expected_index = oracle_pool(x, *args)
    out = max_pool2d(x, *args)
    assert out.shape[2:] == shapes.pool_output_shape(c["shape"][2:], *args)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(max_pool2d_indices(x, *args), expected_index)


@settings(max_examples=60, deadline=None)
@given(pool_settings(dilation=False), st.booleans())
def test_avg_pool_matches_loop_oracle(c, count_include_pad):
    x = np.random.default_rng(c["seed"]).standard_normal(c["shape"])
    expected = oracle_pool(x, c["k"], c["s"], c["p"], 1, c["ceil_mode"], "avg", count_include_pad)
    out = avg_pool2d(x, c["k"], c["s"], c["p"], c["ceil_mode"], count_include_pad)
    assert out.shape[2:] == shapes.pool_output_shape(c["shape"][2:], c["k"], c["s"], c["p"],
                                                     ceil_mode=c["ceil_mode"])
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5))
def test_adaptive_bins_cover_input(h, w, oh, ow):
    """Each output is the mean of its bin, found by a loop over PyTorch's bin formula."""
    x = np.random.default_rng(h * w).standard_normal((1, 1, h, w))
    out = adaptive_avg_pool2d(x, (oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * h // oh, math.ceil((i + 1) * h / oh))
            cols = slice(j * w // ow, math.ceil((j + 1) * w / ow))
            np.testing.assert_allclose(out[0, 0, i, j], x[0, 0, rows, cols].mean())


# --- finite differences ---------------------------------------------------------------------

MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),                  # overlapping windows
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", MAX_CASES)
def test_max_pool_gradcheck(kwargs):
    # distinct values spaced far apart compared with eps: no ties, no winner changes
    x = np.random.default_rng(0).permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) * 0.1
    gradcheck(lambda x: max_pool2d(x, **kwargs),
              lambda d, x: max_backward(d, x, **kwargs), [x])


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=2, padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
]


@pytest.mark.parametrize("kwargs", AVG_CASES)
def test_avg_pool_gradcheck(kwargs):
    x = np.random.default_rng(1).standard_normal((2, 2, 7, 6))
    gradcheck(lambda x: avg_pool2d(x, **kwargs),
              lambda d, x: avg_pool2d_backward(d, x, **kwargs), [x])


@pytest.mark.parametrize("output_size", [3, (2, 4), (None, 2), (9, 8)])
def test_adaptive_avg_pool_gradcheck(output_size):
    x = np.random.default_rng(2).standard_normal((2, 2, 7, 6))
    gradcheck(lambda x: adaptive_avg_pool2d(x, output_size),
              lambda d, x: adaptive_avg_pool2d_backward(d, x, output_size), [x])


def test_global_avg_pool_gradcheck():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    gradcheck(global_avg_pool2d, global_avg_pool2d_backward, [x])


# --- dtypes and speed -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    x = np.random.default_rng(4).standard_normal((1, 2, 6, 6)).astype(dtype)
    d = np.ones((1, 2, 3, 3), dtype=np.float64)
    for out in (max_pool2d(x, 2), avg_pool2d(x, 2), adaptive_avg_pool2d(x, 3),
                global_avg_pool2d(x), max_backward(d, x, 2),
                avg_pool2d_backward(d, x, 2), adaptive_avg_pool2d_backward(d, x, 3),
                global_avg_pool2d_backward(d[:, :, :1, :1], x)):
        assert out.dtype == dtype


def test_backward_leaves_no_gradient_outside_windows():
    # width 5 with kernel 2 (no ceil_mode): column 4 is never pooled, so it gets no gradient
    x = np.random.default_rng(5).standard_normal((1, 1, 5, 5))
    d = np.ones((1, 1, 2, 2))
    for dx in (max_backward(d, x, 2), avg_pool2d_backward(d, x, 2)):
        assert not dx[0, 0, 4].any() and not dx[0, 0, :, 4].any()
    np.testing.assert_allclose(avg_pool2d_backward(d, x, 2)[0, 0, :4, :4], 0.25)


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: max_pool2d(np.zeros((3, 4, 4)), 2), ValueError, r"x must have 4 axes.*x\[None\]"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4), dtype=int), 2), TypeError, "x must hold floating"),
    (lambda: max_pool2d([[1.0]], 2), TypeError, "x must be a numpy array"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 0), ValueError, "kernel_size must be >= 1"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2, stride=0), ValueError, "stride must be >= 1"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=-1), ValueError,
     "padding must be >= 0"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2), ValueError,
     "padding=2 is more than half"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 5), ValueError,
     "kernel_size=5 is larger than the padded input"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2, dilation=0), ValueError,
     "dilation must be >= 1"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), (2, 2, 2)), ValueError,
     "kernel_size must have 2 values"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2.5), TypeError, "kernel_size must be an int"),
    (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2, ceil_mode="yes"), TypeError, "ceil_mode"),
    (lambda: avg_pool2d(np.zeros((1, 1, 4, 4)), 2, count_include_pad=1), TypeError,
     "count_include_pad"),
    (lambda: max_backward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 4, 4)), 2), ValueError,
     r"dout must have the shape of the forward output \(1, 1, 2, 2\)"),
    (lambda: avg_pool2d_backward(np.zeros((1, 1, 2, 2), dtype=int), np.zeros((1, 1, 4, 4)), 2),
     TypeError, "dout must hold floating"),
    (lambda: adaptive_avg_pool2d(np.zeros((1, 1, 4, 4)), 0), ValueError,
     "output_size must be >= 1"),
    (lambda: adaptive_avg_pool2d(np.zeros((1, 1, 4, 4)), (1, 2, 3)), ValueError,
     "output_size must be an int or a pair"),
    (lambda: global_avg_pool2d(np.zeros((4, 4))), ValueError, "x must have 4 axes"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- the readable references against the fast path -----------------------------------------

NAIVE_CASES = [  # x shape, kernel_size, stride, padding
    ((2, 3, 6, 6), 2, None, 0),
    ((1, 2, 7, 6), 3, 2, 1),
    ((2, 1, 9, 8), (3, 2), (2, 3), (1, 0)),
    ((1, 2, 5, 5), 3, 1, 0),            # overlapping windows
]


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding", NAIVE_CASES)
def test_naive_max_pooling_equals_the_fast_path(x_shape, kernel_size, stride, padding):
    rng = np.random.default_rng(20)
    x = rng.integers(0, 4, x_shape).astype(float)      # small integers: many ties
    out, cache = max_pool2d_forward(x, kernel_size, stride, padding)
    np.testing.assert_array_equal(max_pool2d_naive(x, kernel_size, stride, padding), out)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(max_pool2d_naive_backward(dout, x, kernel_size, stride, padding),
                               max_pool2d_backward(dout, cache), rtol=1e-12)


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding", NAIVE_CASES)
def test_naive_avg_pooling_equals_the_fast_path(x_shape, kernel_size, stride, padding):
    rng = np.random.default_rng(21)
    x = rng.standard_normal(x_shape)
    out = avg_pool2d(x, kernel_size, stride, padding)
    np.testing.assert_allclose(avg_pool2d_naive(x, kernel_size, stride, padding), out,
                               rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(avg_pool2d_naive_backward(dout, x, kernel_size, stride, padding),
                               avg_pool2d_backward(dout, x, kernel_size, stride, padding),
                               rtol=1e-12)


def test_max_pool_backward_refuses_anything_but_its_cache():
    with pytest.raises(TypeError, match="MaxPoolCache"):
        max_pool2d_backward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 4, 4)))

"""Activations against scipy.special, closed-form derivatives and finite differences."""

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from cnnlib.activations import (
    log_softmax,
    log_softmax_backward,
    relu,
    relu_backward,
    relu_derivative,
    sigmoid,
    sigmoid_backward,
    sigmoid_derivative,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
    tanh_derivative,
)
from cnnlib.gradcheck import gradcheck

WIDE = np.array([-1000.0, -750.0, -40.0, -1.0, 0.0, 1e-8, 1.0, 40.0, 750.0, 1000.0])


def test_relu_by_hand():
    x = np.array([-2.0, -0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(relu(x), [0, 0, 0, 0.5, 3])
    np.testing.assert_array_equal(relu_derivative(x), [0, 0, 0, 1, 1])   # slope 0 at 0


def test_sigmoid_matches_expit_without_overflow():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = sigmoid(WIDE)
    np.testing.assert_allclose(out, scipy.special.expit(WIDE), rtol=1e-15)
    assert out[0] == 0.0 and out[-1] == 1.0 and out[4] == 0.5


def test_sigmoid_float32_extremes():
    x = WIDE.astype(np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = sigmoid(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, scipy.special.expit(x), rtol=1e-6)


def test_tanh_matches_numpy_and_sigmoid_identity():
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(tanh(x), 2 * scipy.special.expit(2 * x) - 1, atol=1e-15)


def test_derivatives_closed_forms():
    x = np.linspace(-8, 8, 33)
    s = scipy.special.expit(x)
    np.testing.assert_allclose(sigmoid_derivative(x), s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(tanh_derivative(x), 1 / np.cosh(x) ** 2, rtol=1e-12, atol=1e-15)
    assert sigmoid_derivative(np.array([0.0]))[0] == 0.25        # the largest slope
    assert tanh_derivative(np.array([0.0]))[0] == 1.0
    assert sigmoid_derivative(x).max() == 0.25


def test_vanishing_gradient_through_ten_sigmoids():
    # each sigmoid multiplies the gradient by at most 1/4: ten layers give <= 4**-10
    assert sigmoid_derivative(np.zeros(1))[0] ** 10 == pytest.approx(4.0 ** -10)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_match_scipy(dim):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)) * 10
    np.testing.assert_allclose(softmax(x, dim), scipy.special.softmax(x, axis=dim), rtol=1e-12)
    np.testing.assert_allclose(log_softmax(x, dim), scipy.special.log_softmax(x, axis=dim),
                               rtol=1e-12, atol=1e-12)


def test_softmax_stable_at_plus_minus_1000():
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0], [-1000.0, -1000.0, -999.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s, ls = softmax(x), log_softmax(x)
    np.testing.assert_allclose(s, scipy.special.softmax(x, axis=1), rtol=1e-12)
    np.testing.assert_allclose(s[1], 1 / 3)
    np.testing.assert_allclose(ls[0], [0.0, -1000.0, -2000.0])            # finite, not -inf
    np.testing.assert_allclose(ls, scipy.special.log_softmax(x, axis=1), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5),
              elements=st.floats(-50, 50)))
def test_softmax_is_a_distribution(x):
    s = softmax(x, dim=-1)
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=-1), 1, rtol=1e-12)
    np.testing.assert_allclose(softmax(x + 7.5), s, rtol=1e-9, atol=1e-300)   # shift invariance


# --- finite differences ---------------------------------------------------------------------

ELEMENTWISE = [(relu, relu_backward), (sigmoid, sigmoid_backward), (tanh, tanh_backward)]


@pytest.mark.parametrize("forward, backward", ELEMENTWISE)
def test_elementwise_gradcheck(forward, backward):
    x = np.random.default_rng(1).standard_normal((3, 4, 2)) * 3
    x[np.abs(x) < 1e-3] = 0.5          # keep ReLU away from its kink
    gradcheck(forward, backward, [x])


@pytest.mark.parametrize("forward, backward", [(softmax, softmax_backward),
                                               (log_softmax, log_softmax_backward)])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_gradcheck(forward, backward, dim):
    x = np.random.default_rng(2).standard_normal((3, 4, 2))
    gradcheck(lambda x: forward(x, dim), lambda d, x: backward(d, x, dim), [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    x = np.linspace(-3, 3, 12).reshape(3, 4).astype(dtype)
    d = np.ones((3, 4))                          # float64 upstream gradient
    for f, b in ELEMENTWISE + [(softmax, softmax_backward), (log_softmax, log_softmax_backward)]:
        assert f(x).dtype == dtype and b(d, x).dtype == dtype
    for derivative in (relu_derivative, sigmoid_derivative, tanh_derivative):
        assert derivative(x).dtype == dtype


@pytest.mark.parametrize("call, error, match", [
    (lambda: relu([1.0, -1.0]), TypeError, "x must be a numpy array"),
    (lambda: sigmoid(np.arange(3)), TypeError, "x must hold floating"),
    (lambda: tanh_derivative(np.array([True])), TypeError, "x must hold floating"),
    (lambda: softmax(np.zeros((2, 3)), dim=2), ValueError, r"dim=2 is out of range.*-2 to 1"),
    (lambda: log_softmax(np.zeros((2, 3)), dim=1.0), TypeError, "dim must be a whole number"),
    (lambda: relu_backward(np.zeros(3), np.zeros(4)), ValueError,
     r"dout must have the shape of the forward output \(4,\)"),
    (lambda: softmax_backward(np.zeros((2, 3), dtype=int), np.zeros((2, 3))), TypeError,
     "dout must hold floating"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()

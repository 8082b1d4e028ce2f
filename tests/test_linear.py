"""Linear and flatten against hand-computed products, einsum loops and finite differences."""

import numpy as np
import pytest

from cnnlib.gradcheck import gradcheck
from cnnlib.linear import flatten, flatten_backward, linear, linear_backward


def test_linear_by_hand():
    x = np.array([[1.0, 2.0, 3.0]])
    weight = np.array([[1.0, 0.0, -1.0],
                       [0.5, 0.5, 0.5]])             # (out=2, in=3)
    bias = np.array([10.0, -1.0])
    # row 0: 1 - 3 + 10 = 8;  row 1: 0.5 * 6 - 1 = 2
    np.testing.assert_array_equal(linear(x, weight, bias), [[8.0, 2.0]])
    np.testing.assert_array_equal(linear(x, weight), [[-2.0, 3.0]])


def test_linear_any_leading_axes_matches_loop():
    rng = np.random.default_rng(0)
    x, weight, bias = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), np.arange(5.)
    out = linear(x, weight, bias)
    assert out.shape == (2, 3, 5)
    for i in range(2):
        for j in range(3):
            for o in range(5):
                assert out[i, j, o] == pytest.approx(sum(x[i, j] * weight[o]) + bias[o])


def test_flatten_alexnet_feature_map():
    x = np.arange(2 * 256 * 6 * 6, dtype=np.float32).reshape(2, 256, 6, 6)
    flat = flatten(x)
    assert flat.shape == (2, 9216) and flat.dtype == np.float32
    assert flat[1, 6 * 6 + 7] == x[1, 1, 1, 1]                  # C, H, W order
    assert flatten(x, 0).shape == (2 * 9216,)
    assert flatten(x, 1, 2).shape == (2, 256 * 6, 6)
    assert flatten(x, -2, -1).shape == (2, 256, 36)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3), (3,)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_gradcheck(shape, with_bias):
    rng = np.random.default_rng(1)
    x, weight = rng.standard_normal(shape), rng.standard_normal((2, 3))
    if with_bias:
        inputs = [x, weight, rng.standard_normal(2)]
        gradcheck(linear, linear_backward, inputs)
    else:
        gradcheck(linear, lambda d, x, w: linear_backward(d, x, w)[:2], [x, weight])
        assert linear_backward(np.ones(shape[:-1] + (2,)), x, weight)[2] is None


def test_flatten_gradcheck():
    x = np.random.default_rng(2).standard_normal((2, 3, 2, 2))
    gradcheck(lambda x: flatten(x, 1, 2), lambda d, x: flatten_backward(d, x, 1, 2), [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((4, 3), (2, 3), (2,)))
    assert linear(x, w, b).dtype == dtype
    assert all(g.dtype == dtype for g in linear_backward(np.ones((4, 2)), x, w, b))
    assert flatten_backward(np.ones((4, 3)), x).dtype == dtype


X = np.zeros((2, 256, 6, 6))


@pytest.mark.parametrize("call, error, match", [
    (lambda: linear(flatten(X), np.zeros((4096, 9000))), ValueError,
     r"the Linear layer expects in_features=9000, flatten gave 9216"),
    (lambda: linear(np.zeros((2, 3)), np.zeros(3)), ValueError, r"weight must have 2 axes"),
    (lambda: linear(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(5)), ValueError,
     r"bias has 5 values but weight has out_features=4"),
    (lambda: linear(np.zeros((2, 3)), np.zeros((4, 3), dtype=np.float32)), TypeError,
     "weight has dtype float32 but x has dtype float64"),
    (lambda: linear(np.zeros((2, 3), dtype=int), np.zeros((4, 3))), TypeError,
     "x must hold floating"),
    (lambda: linear(np.float64(1.0), np.zeros((4, 3))), TypeError, "x must be a numpy array"),
    (lambda: linear_backward(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((4, 3))), ValueError,
     r"dout must have the shape of the forward output \(2, 4\)"),
    (lambda: flatten(X, 4), ValueError, r"start_dim=4 is out of range"),
    (lambda: flatten(X, 2, 1), ValueError, "start_dim=2 comes after end_dim=1"),
    (lambda: flatten(X, end_dim=None), TypeError, "end_dim must be a whole number"),
    (lambda: flatten_backward(np.zeros((2, 9215)), X), ValueError, "dout must have the shape"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()

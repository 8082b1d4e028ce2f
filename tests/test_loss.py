"""Cross-entropy against hand-computed values, scipy's log-softmax and finite differences."""

import math

import numpy as np
import pytest
import scipy.special

from cnnlib.gradcheck import gradcheck
from cnnlib.loss import cross_entropy, cross_entropy_backward


@pytest.mark.parametrize("k", [2, 10, 1000])
def test_uniform_logits_give_log_k(k):
    logits = np.full((3, k), 0.7)
    assert cross_entropy(logits, np.array([0, 1, k - 1])) == pytest.approx(math.log(k))


def test_hand_example():
    # logits (2, 1, 0), target 0: -log(e^2 / (e^2 + e + 1)) = log(1 + e^-1 + e^-2) = 0.4076
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 5.0]])
    target = np.array([0, 2])
    first = math.log(1 + math.exp(-1) + math.exp(-2))
    second = math.log(1 + 2 * math.exp(-5))
    np.testing.assert_allclose(cross_entropy(logits, target, "none"), [first, second])
    assert cross_entropy(logits, target) == pytest.approx((first + second) / 2)
    assert cross_entropy(logits, target, "sum") == pytest.approx(first + second)
    assert first == pytest.approx(0.40760596, rel=1e-7)


def test_matches_scipy_and_stays_finite_for_huge_logits():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4)) * 400
    target = rng.integers(0, 4, 6)
    expected = -scipy.special.log_softmax(logits, axis=1)[np.arange(6), target]
    np.testing.assert_allclose(cross_entropy(logits, target, "none"), expected, rtol=1e-12)
    wrong = np.array([[1000.0, -1000.0]])
    assert cross_entropy(wrong, np.array([1])) == pytest.approx(2000.0)


def test_gradient_is_softmax_minus_onehot():
    logits = np.array([[2.0, 1.0, 0.0]])
    expected = scipy.special.softmax(logits, axis=1) - np.array([[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(cross_entropy_backward(1.0, logits, np.array([0])), expected)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck(reduction):
    rng = np.random.default_rng(1)
    logits, target = rng.standard_normal((5, 4)), np.array([0, 3, 3, 1, 2])
    gradcheck(lambda z: cross_entropy(z, target, reduction),
              lambda d, z: cross_entropy_backward(d, z, target, reduction), [logits])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    logits, target = np.zeros((2, 3), dtype=dtype), np.array([0, 1])
    assert cross_entropy(logits, target).dtype == dtype
    assert cross_entropy(logits, target, "none").dtype == dtype
    assert cross_entropy_backward(1.0, logits, target).dtype == dtype


LOGITS = np.zeros((2, 3))


@pytest.mark.parametrize("call, error, match", [
    (lambda: cross_entropy(LOGITS, np.array([0, 3])), ValueError,
     r"target holds class 3, but logits has K=3 classes.*0 to 2"),
    (lambda: cross_entropy(LOGITS, np.array([-1, 0])), ValueError, "target holds class -1"),
    (lambda: cross_entropy(LOGITS, np.array([0.0, 1.0])), TypeError,
     "target must hold integer class indices"),
    (lambda: cross_entropy(LOGITS, np.array([True, False])), TypeError, "target must hold integer"),
    (lambda: cross_entropy(LOGITS, [0, 1]), TypeError, "target must be a numpy array"),
    (lambda: cross_entropy(LOGITS, np.array([0, 1, 2])), ValueError,
     r"target must have shape \(N,\) = \(2,\)"),
    (lambda: cross_entropy(np.zeros(3), np.array([0])), ValueError, "logits must have 2 axes"),
    (lambda: cross_entropy(LOGITS.astype(int), np.array([0, 1])), TypeError,
     "logits must hold floating"),
    (lambda: cross_entropy(LOGITS, np.array([0, 1]), "average"), ValueError,
     "reduction must be one of"),
    (lambda: cross_entropy_backward(np.ones(2), LOGITS, np.array([0, 1])), ValueError,
     r"dout must have the loss's shape \(\)"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()

"""cnnlib.gradcheck, the oracle of every backward test, against hand-computed gradients."""

import numpy as np
import pytest

from cnnlib.gradcheck import gradient_errors, numerical_gradient


@pytest.mark.parametrize("view", [lambda a: a.T, lambda a: a[:, ::2], np.asfortranarray])
def test_numerical_gradient_nudges_strided_views(view):
    # d/dx sum(x^2) = 2x, by hand. A transposed or sliced x used to be nudged through a
    # flattened copy, so f never saw the nudge and the gradient came out 0.
    x = view(np.arange(1.0, 13.0).reshape(3, 4))
    grad = numerical_gradient(lambda: float(np.sum(x ** 2)), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-6)
    np.testing.assert_array_equal(x, view(np.arange(1.0, 13.0).reshape(3, 4)))   # restored


def test_gradient_errors_refuses_a_gradient_of_the_wrong_shape():
    # sum(x) has gradient ones(3); a backward returning ones(1) broadcast against it and
    # "passed" with relative error 0.
    x = np.arange(3.0)
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(1,\).*input 0 has shape \(3,\)"):
        gradient_errors(lambda x: x.sum(keepdims=True), lambda d, x: d.copy(), [x], np.ones(1))
    with pytest.raises(ValueError, match=r"dout must have the shape.*\(1,\), got \(3,\)"):
        gradient_errors(lambda x: x.sum(keepdims=True), lambda d, x: np.ones(3), [x], np.ones(3))


def test_numerical_gradient_needs_a_float64_array():
    with pytest.raises(TypeError, match="x must be float64.*got float32"):
        numerical_gradient(lambda: 0.0, np.zeros(2, np.float32))
    with pytest.raises(TypeError, match="x must be float64.*got list"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])

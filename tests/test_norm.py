"""Batch norm against hand-computed statistics, LRN against a loop, and finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib.gradcheck import gradcheck
from cnnlib.norm import (
    batch_norm,
    batch_norm_backward,
    batch_norm_forward,
    local_response_norm,
    local_response_norm_backward,
)


def bn_backward(dout, x, *args, **kwargs):
    """The gradients of batch_norm(x, *args, **kwargs): backward with the forward's cache."""
    return batch_norm_backward(dout, batch_norm_forward(x, *args, **kwargs)[1])

# A tiny batch of 4 samples and 2 features.
# channel 0: 1 2 3 4 -> mean 2.5, biased var (2.25 + .25 + .25 + 2.25) / 4 = 1.25, unbiased 5/3
# channel 1: 2 2 2 6 -> mean 3,   biased var (1 + 1 + 1 + 9) / 4 = 3,           unbiased 4
BATCH = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 2.0], [4.0, 6.0]])
# second batch: channel 0: 0 0 4 4 -> mean 2, unbiased var 16/3; channel 1: all 1 -> mean 1, var 0
BATCH2 = np.array([[0.0, 1.0], [0.0, 1.0], [4.0, 1.0], [4.0, 1.0]])
EPS = 1e-5


def test_training_normalises_with_the_biased_batch_variance():
    out = batch_norm(BATCH, None, None, training=True)
    expected = np.column_stack([(BATCH[:, 0] - 2.5) / np.sqrt(1.25 + EPS),
                                (BATCH[:, 1] - 3.0) / np.sqrt(3.0 + EPS)])
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_weight_and_bias_scale_and_shift():
    weight, bias = np.array([2.0, -1.0]), np.array([0.5, 10.0])
    out = batch_norm(BATCH, None, None, weight, bias, training=True)
    np.testing.assert_allclose(out[:, 0], 2 * (BATCH[:, 0] - 2.5) / np.sqrt(1.25 + EPS) + 0.5)
    np.testing.assert_allclose(out[:, 1], -(BATCH[:, 1] - 3.0) / np.sqrt(3.0 + EPS) + 10)


def test_running_statistics_after_two_steps():
    mean, var = np.zeros(2), np.ones(2)     # PyTorch's initial running statistics
    batch_norm(BATCH, mean, var, training=True, momentum=0.1)
    # mean: 0.9 * 0 + 0.1 * (2.5, 3);  var: 0.9 * 1 + 0.1 * (5/3, 4)
    np.testing.assert_allclose(mean, [0.25, 0.3])
    np.testing.assert_allclose(var, [0.9 + 1 / 6, 1.3])
    batch_norm(BATCH2, mean, var, training=True, momentum=0.1)
    # mean: 0.9 * (0.25, 0.3) + 0.1 * (2, 1);  var: 0.9 * (1.0667, 1.3) + 0.1 * (16/3, 0)
    np.testing.assert_allclose(mean, [0.425, 0.37])
    np.testing.assert_allclose(var, [0.96 + 1.6 / 3, 1.17])


def test_evaluation_uses_running_statistics_and_updates_nothing():
    mean, var = np.array([0.425, 0.37]), np.array([1.5, 1.17])
    weight, bias = np.array([2.0, 1.0]), np.array([0.0, -1.0])
    out = batch_norm(BATCH, mean, var, weight, bias, training=False)
    np.testing.assert_allclose(out[:, 0], 2 * (BATCH[:, 0] - 0.425) / np.sqrt(1.5 + EPS))
    np.testing.assert_allclose(out[:, 1], (BATCH[:, 1] - 0.37) / np.sqrt(1.17 + EPS) - 1)
    np.testing.assert_array_equal(mean, [0.425, 0.37])
    np.testing.assert_array_equal(var, [1.5, 1.17])


def test_images_normalise_each_channel_over_batch_and_positions():
    # channel 0 holds 1 3 / 5 7 over two images of 1x2: mean 4, biased var (9+1+1+9)/4 = 5;
    # channel 1 is constant 2: it becomes 0 (eps keeps it finite)
    x = np.array([[[[1.0, 3.0]], [[2.0, 2.0]]],
                  [[[5.0, 7.0]], [[2.0, 2.0]]]])          # (N=2, C=2, H=1, W=2)
    mean, var = np.zeros(2), np.ones(2)
    out = batch_norm(x, mean, var, training=True, momentum=1.0)
    np.testing.assert_allclose(out[:, 0].ravel(), (np.array([1, 3, 5, 7]) - 4) / np.sqrt(5 + EPS))
    np.testing.assert_array_equal(out[:, 1], 0)
    np.testing.assert_allclose(mean, [4, 2])
    np.testing.assert_allclose(var, [20 / 3, 0])            # unbiased: 20 / (4 - 1)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (3, 2, 4, 5), (2, 3, 2, 2, 3)])
def test_training_output_has_zero_mean_unit_variance_per_channel(shape):
    x = np.random.default_rng(0).normal(3.0, 2.0, shape)
    out = batch_norm(x, None, None, training=True, eps=1e-12)
    per_channel = np.moveaxis(out, 1, 0).reshape(shape[1], -1)
    np.testing.assert_allclose(per_channel.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(per_channel.var(axis=1), 1, rtol=1e-9)


# --- finite differences ---------------------------------------------------------------------

@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 3, 4)])
def test_batch_norm_gradcheck(training, shape):
    rng = np.random.default_rng(1)
    x = rng.normal(1.0, 2.0, shape)
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    mean, var = rng.standard_normal(shape[1]), rng.uniform(0.5, 2.0, shape[1])
    running = (None, None) if training else (mean, var)

    def forward(x, weight, bias):
        return batch_norm(x, *running, weight, bias, training=training)

    def backward(dout, x, weight, bias):
        return bn_backward(dout, x, *running, weight, bias, training=training)

    gradcheck(forward, backward, [x, weight, bias])


def test_batch_norm_gradcheck_without_affine():
    x = np.random.default_rng(2).standard_normal((4, 3, 2, 2))
    gradcheck(lambda x: batch_norm(x, None, None, training=True),
              lambda d, x: bn_backward(d, x, None, None, training=True)[0], [x])
    _, dweight, dbias = bn_backward(np.ones_like(x), x, None, None, training=True)
    assert dweight is None and dbias is None


def test_forward_with_cache_is_batch_norm_and_backward_takes_only_the_cache():
    x = np.random.default_rng(3).standard_normal((4, 2))
    stats = [np.zeros(2), np.ones(2)], [np.zeros(2), np.ones(2)]
    y, cache = batch_norm_forward(x, *stats[0], training=True)
    np.testing.assert_array_equal(y, batch_norm(x, *stats[1], training=True))
    np.testing.assert_array_equal(stats[0], stats[1])          # running statistics updated alike
    with pytest.raises(TypeError, match="BatchNormCache"):
        batch_norm_backward(np.ones_like(x), x)


def test_training_with_no_channels_gives_an_empty_output():
    # m = N * H * W = 2 * 4 * 4 values per channel, even when there are 0 channels
    # (this used to divide x.size = 0 by C = 0).
    x = np.zeros((2, 0, 4, 4))
    assert batch_norm(x, np.zeros(0), np.ones(0), training=True).shape == (2, 0, 4, 4)
    assert bn_backward(x, x, None, None, training=True)[0].shape == (2, 0, 4, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_dtype(dtype):
    x = np.random.default_rng(4).standard_normal((4, 2, 3, 3)).astype(dtype)
    mean, var = np.zeros(2, dtype=np.float32), np.ones(2, dtype=np.float32)
    weight, bias = np.ones(2, dtype=dtype), np.zeros(2, dtype=dtype)
    for training in (True, False):
        assert batch_norm(x, mean, var, weight, bias, training=training).dtype == dtype
        grads = bn_backward(np.ones_like(x), x, mean, var, weight, bias, training)
        assert all(g.dtype == dtype for g in grads)
    assert mean.dtype == var.dtype == np.float32


# --- local response normalisation -----------------------------------------------------------

def lrn_loop(x, size, alpha, beta, k):
    """b_c = a_c / (k + alpha / size * sum of a^2 over channels c - size//2 .. c + (size-1)//2)."""
    out = np.empty_like(x)
    channels = x.shape[1]
    for c in range(channels):
        lo, hi = max(0, c - size // 2), min(channels - 1, c + (size - 1) // 2)
        energy = sum(x[:, j] ** 2 for j in range(lo, hi + 1))
        out[:, c] = x[:, c] / (k + alpha / size * energy) ** beta
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7), st.integers(1, 8), st.sampled_from([(5,), (2, 3), (3, 2, 2)]),
       st.floats(0.0, 2.0), st.floats(0.0, 1.5), st.floats(0.5, 3.0))
def test_lrn_matches_loop(channels, size, spatial, alpha, beta, k):
    x = np.random.default_rng(channels * size).standard_normal((2, channels) + spatial)
    np.testing.assert_allclose(local_response_norm(x, size, alpha, beta, k),
                               lrn_loop(x, size, alpha, beta, k), rtol=1e-12)


def test_lrn_alexnet_single_channel_by_hand():
    # one channel of value 2, size 5: b = 2 / (2 + 1e-4 / 5 * 4) ** 0.75
    x = np.full((1, 1, 1, 1), 2.0)
    out = local_response_norm(x, 5, alpha=1e-4, beta=0.75, k=2.0)
    assert out[0, 0, 0, 0] == pytest.approx(2 / (2 + 0.8e-4) ** 0.75, rel=1e-14)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_lrn_gradcheck(size):
    x = np.random.default_rng(size).standard_normal((2, 6, 3, 2))
    gradcheck(lambda x: local_response_norm(x, size, 0.5, 0.75, 2.0),
              lambda d, x: local_response_norm_backward(d, x, size, 0.5, 0.75, 2.0), [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lrn_dtype(dtype):
    x = np.random.default_rng(5).standard_normal((1, 4, 2, 2)).astype(dtype)
    assert local_response_norm(x, 3).dtype == dtype
    assert local_response_norm_backward(np.ones(x.shape), x, 3).dtype == dtype


# --- bad input ------------------------------------------------------------------------------

X = np.zeros((4, 3, 2, 2))
C3 = np.zeros(3)


@pytest.mark.parametrize("call, error, match", [
    (lambda: batch_norm(np.zeros(3), C3, C3), ValueError, "x must have 2 to 5 axes"),
    (lambda: batch_norm(X.astype(int), C3, C3), TypeError, "x must hold floating"),
    (lambda: batch_norm(X, np.zeros(2), C3), ValueError,
     r"running_mean has 2 values but x has 3 channels"),
    (lambda: batch_norm(X, C3, np.zeros(4)), ValueError, "running_var has 4 values"),
    (lambda: batch_norm(X, C3, C3, weight=np.ones(2)), ValueError, "weight has 2 values"),
    (lambda: batch_norm(X, C3, C3, bias=np.ones((3, 1))), ValueError, r"bias must have 1 axes"),
    (lambda: batch_norm(X, None, C3), ValueError, "running_mean is None, but evaluation"),
    (lambda: batch_norm(np.zeros((1, 3)), C3, C3, training=True), ValueError,
     "more than 1 value per channel"),
    (lambda: batch_norm(X, C3, C3, training=True, momentum=1.5), ValueError,
     "momentum must be >= 0.0 and <= 1.0"),
    (lambda: batch_norm(X, C3, C3, eps=0), ValueError, "eps must be > 0"),
    (lambda: batch_norm(X, C3, C3, eps="1e-5"), TypeError, "eps must be a number"),
    (lambda: batch_norm(X, C3, C3, training=1), TypeError, "training must be True or False"),
    (lambda: bn_backward(np.zeros((4, 3)), X, C3, C3), ValueError,
     "dout must have the shape"),
    (lambda: local_response_norm(np.zeros((4, 3)), 2), ValueError, "x must have 3 to 5 axes"),
    (lambda: local_response_norm(X, 0), ValueError, "size must be >= 1"),
    (lambda: local_response_norm(X, 2, k=0), ValueError, "k must be > 0"),
    (lambda: local_response_norm(X, 2, alpha=-1), ValueError, "alpha must be >= 0"),
    (lambda: local_response_norm_backward(np.zeros((1,)), X, 2), ValueError,
     "dout must have the shape"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()

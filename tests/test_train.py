"""Tests for cnnlib.optim and cnnlib.train.

Optimiser steps are checked against updates worked out by hand from the formulas in the
PyTorch documentation of torch.optim.SGD / torch.optim.Adam; the network's gradients against
finite differences; training by overfitting a tiny batch and by repeating a seeded run.
"""

import io
import math

import numpy as np
import pytest

from cnnlib.data import load_digits, train_test_split
from cnnlib.gradcheck import numerical_gradient, relative_error
from cnnlib.layers import BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid
from cnnlib.loss import cross_entropy, cross_entropy_backward
from cnnlib.optim import SGD, Adam
from cnnlib.train import accuracy, evaluate, text_progress, train, train_step

# --- optimisers: one and two steps by hand ---------------------------------------------------


def _pair(param, grad):
    return np.array(param, dtype=np.float64), np.array(grad, dtype=np.float64)


def test_sgd_plain_step():
    p, g = _pair([1.0, -2.0], [0.5, 0.25])
    SGD([(p, g)], lr=0.1).step()
    np.testing.assert_allclose(p, [0.95, -2.025], rtol=0, atol=1e-15)


def test_sgd_momentum_and_weight_decay_two_steps():
    p, g = _pair([1.0, -2.0], [0.5, 0.25])
    opt = SGD([(p, g)], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()
    # g' = g + 0.01 p = [0.51, 0.23]; first step: b = g'; p -= 0.1 b
    np.testing.assert_allclose(p, [0.949, -2.023], rtol=0, atol=1e-15)
    opt.step()
    # g' = [0.5 + 0.00949, 0.25 - 0.02023]; b = 0.9 [0.51, 0.23] + g' = [0.96849, 0.43677]
    np.testing.assert_allclose(p, [0.949 - 0.096849, -2.023 - 0.043677], rtol=0, atol=1e-14)


def test_adam_two_steps():
    p, g = _pair([1.0, -2.0], [0.5, -0.25])
    opt = Adam([(p, g)], lr=0.1)
    opt.step()
    # t = 1: m_hat = g, v_hat = g**2, so the step is lr * g / (|g| + eps)
    np.testing.assert_allclose(p, [1 - 0.05 / (0.5 + 1e-8), -2 + 0.025 / (0.25 + 1e-8)],
                               rtol=0, atol=1e-15)
    first = p.copy()
    g[...] = [0.1, 0.3]
    opt.step()
    m = np.array([0.9 * 0.05 + 0.01, 0.9 * -0.025 + 0.03])           # [0.055, 0.0075]
    v = np.array([0.999 * 0.00025 + 0.00001, 0.999 * 0.0000625 + 0.00009])
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    np.testing.assert_allclose(p, first - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8),
                               rtol=0, atol=1e-14)


def test_adam_weight_decay_adds_to_the_gradient():
    p, g = _pair([2.0], [0.0])
    Adam([(p, g)], lr=0.1, weight_decay=0.5).step()
    # g' = 0 + 0.5 * 2 = 1 > 0, so the first step moves p down by lr * 1 / (1 + eps)
    np.testing.assert_allclose(p, [2 - 0.1 / (1 + 1e-8)], rtol=0, atol=1e-15)


def test_optimizer_on_a_model_updates_the_layers_in_place():
    model = Sequential(Linear(3, 2, rng=0), ReLU(), Linear(2, 2, rng=1)).to(np.float64)
    before = {k: v.copy() for k, v in model.parameters().items()}
    x, y = np.ones((4, 3)), np.array([0, 1, 1, 0])
    opt = SGD(model, lr=0.5)
    logits = model(x)
    model.backward(cross_entropy_backward(np.asarray(1.0), logits, y))
    grads = {k: v.copy() for k, v in model.grads.items()}
    opt.step()
    assert set(grads) == set(before) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for name, param in model.parameters().items():
        np.testing.assert_allclose(param, before[name] - 0.5 * grads[name], rtol=0, atol=1e-15)
    opt.zero_grad()
    assert all(np.all(g == 0) for g in model.grads.values())


def test_frozen_layers_are_not_updated():
    model = Sequential(Linear(3, 2, rng=0), ReLU(), Linear(2, 2, rng=1))
    model[0].requires_grad_(False)
    frozen = model[0].weight.copy()
    opt = Adam(model, lr=0.1)
    logits = model(np.ones((2, 3), np.float32))
    model.backward(cross_entropy_backward(np.asarray(1.0), logits, np.array([0, 1])))
    opt.step()
    np.testing.assert_array_equal(model[0].weight, frozen)
    assert sorted(key for key, _, _ in opt.named_pairs()) == ["2.bias", "2.weight"]


@pytest.mark.parametrize("make, match", [
    (lambda pairs: SGD(pairs, lr=0), "lr"),
    (lambda pairs: SGD(pairs, lr=0.1, momentum=1.0), "momentum"),
    (lambda pairs: SGD(pairs, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda pairs: Adam(pairs, betas=(0.9, 1.0)), r"betas\[1\]"),
    (lambda pairs: Adam(pairs, eps=0), "eps"),
    (lambda pairs: SGD([], lr=0.1), "empty"),
    (lambda pairs: SGD([(np.zeros(2), np.zeros(3))], lr=0.1), "shape"),
])
def test_optimizer_argument_errors(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make([_pair([1.0], [1.0])])


# --- the training loop ------------------------------------------------------------------------


def _small_net(dtype=np.float32, batch_norm=True, act=ReLU, seed=0):
    """conv -> (batch norm) -> act -> max pool -> linear, for 1 x 4 x 4 inputs, 3 classes.

    No conv bias before batch norm: subtracting the batch mean cancels it (zero gradient).
    """
    layers = [Conv2d(1, 2, 3, padding=1, bias=not batch_norm, rng=seed)]
    layers += [BatchNorm2d(2)] if batch_norm else []
    layers += [act(), MaxPool2d(2), Flatten(), Linear(8, 3, rng=seed + 1)]
    return Sequential(*layers).to(dtype)


def test_accuracy_by_hand():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.1, 0.2]])
    assert accuracy(logits, np.array([0, 1, 1, 0])) == 0.5


def test_accuracy_refuses_labels_of_another_shape():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.1, 0.2]])
    # (N, 1) labels would broadcast against (N,) predictions into an (N, N) table
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) = \(4,\).*got shape "
                                         r"\(4, 1\)"):
        accuracy(logits, np.array([[0], [1], [1], [0]]))


def test_whole_network_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 1, 4, 4))
    y = np.array([0, 1, 2, 1, 0])
    model = _small_net(np.float64)

    def loss():
        return float(cross_entropy(model(x), y))

    logits = model(x)
    dx = model.backward(cross_entropy_backward(np.asarray(1.0), logits, y))
    grads = {k: v.copy() for k, v in model.grads.items()}
    params = model.parameters()
    assert set(grads) == set(params) and len(params) == 5
    for name, param in params.items():
        error = relative_error(grads[name], numerical_gradient(loss, param))
        assert error <= 1e-6, f"{name}: relative error {error:.1e}"
    assert relative_error(dx, numerical_gradient(loss, x)) <= 1e-6


def test_overfits_a_tiny_batch():
    images, labels = load_digits()
    x, y = images[:20], labels[:20]
    model = Sequential(Conv2d(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2d(2), Flatten(),
                       Linear(128, 10, rng=1))
    opt = Adam(model, lr=0.01)
    first_loss, _ = train_step(model, opt, x, y)
    for _ in range(150):
        train_step(model, opt, x, y)
    loss, acc = evaluate(model, x, y)
    assert acc == 1.0
    assert first_loss > 2.0 and loss < 0.05  # log(10) = 2.30 at the start


def _short_run(seed=0, callback=None):
    images, labels = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(images, labels, seed=0)
    model = Sequential(Conv2d(1, 4, 3, padding=1, rng=seed), BatchNorm2d(4), ReLU(),
                       MaxPool2d(2), Flatten(), Linear(64, 10, rng=seed + 1))
    opt = SGD(model, lr=0.1, momentum=0.9)
    history = train(model, opt, x_train[:300], y_train[:300], epochs=2, batch_size=64,
                    seed=seed, test_data=(x_test[:200], y_test[:200]), callback=callback)
    return history


def test_seeded_run_is_reproducible_and_learns():
    first, second = _short_run(), _short_run()
    assert first == second
    assert len(first["loss"]) == 2 * math.ceil(300 / 64) == len(first["accuracy"])
    assert all(len(first[k]) == 2 for k in ("train_loss", "train_accuracy", "test_loss",
                                            "test_accuracy"))
    assert first["test_accuracy"][-1] > 0.5  # chance is 0.1
    assert _short_run(seed=1)["loss"] != first["loss"]


def test_epoch_averages_weight_the_last_smaller_batch():
    history = _short_run()
    steps = math.ceil(300 / 64)
    sizes = [64] * (steps - 1) + [300 - 64 * (steps - 1)]
    expected = sum(s * loss for s, loss in zip(sizes, history["loss"][:steps])) / 300
    assert history["train_loss"][0] == pytest.approx(expected, rel=1e-12)


def test_callback_sees_every_step_and_the_epoch_records():
    calls = []

    def record(epoch, step, history):
        calls.append((epoch, step, len(history["loss"]), len(history["train_loss"])))

    _short_run(callback=record)
    steps = math.ceil(300 / 64)
    assert [c[1] for c in calls] == list(range(1, 2 * steps + 1))
    assert all(step == n_loss for _, step, n_loss, _ in calls)
    assert calls[steps - 1][::3] == (0, 1) and calls[steps][::3] == (1, 1)
    assert calls[-1][::3] == (1, 2)


def test_text_progress_draws_one_line():
    out = io.StringIO()
    show = text_progress(4, width=8, file=out)
    history = {"loss": [1.23456], "accuracy": [0.5]}
    show(0, 1, history)
    assert out.getvalue() == "\repoch 1  [##------]  1/4  loss 1.235  accuracy 0.500"
    show(1, 4, history)
    assert out.getvalue().endswith("[########]  4/4  loss 1.235  accuracy 0.500\n")


def test_evaluate_restores_the_mode_and_uses_running_statistics():
    model = _small_net(np.float64)
    x = np.random.default_rng(1).standard_normal((6, 1, 4, 4))
    y = np.array([0, 1, 2, 0, 1, 2])
    loss, _ = evaluate(model, x, y)
    assert model.training
    model.eval()
    # fresh running statistics (mean 0, variance 1): eval batch norm is x / sqrt(1 + eps)
    expected = float(cross_entropy(model(x), y))
    assert loss == pytest.approx(expected, rel=1e-12)
    assert not model.training


def test_sigmoid_network_trains_too():
    model = _small_net(batch_norm=False, act=Sigmoid)
    x = np.random.default_rng(2).standard_normal((6, 1, 4, 4)).astype(np.float32)
    history = train(model, Adam(model, lr=0.05), x, np.array([0, 1, 2, 0, 1, 2]), epochs=40,
                    batch_size=6)
    assert history["loss"][-1] < history["loss"][0] / 4


@pytest.mark.parametrize("kwargs, match", [({"epochs": 0}, "epochs"),
                                           ({"batch_size": 0}, "batch_size"),
                                           ({"seed": -1}, "seed")])
def test_train_argument_errors(kwargs, match):
    model = _small_net()
    x, y = np.zeros((2, 1, 4, 4), np.float32), np.array([0, 1])
    with pytest.raises(ValueError, match=match):
        train(model, SGD(model, lr=0.1), x, y, **kwargs)

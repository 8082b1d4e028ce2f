"""Tests for cnnlib.trained: the shipped trained network and how it is reproduced."""

import io
import re
from pathlib import Path

import numpy as np
import pytest

from cnnlib._validate import SettingError
from cnnlib.layers import BatchNorm2d, Conv2d, Linear
from cnnlib.trained import (
    SHIPPED_EPOCHS,
    digits_lenet,
    digits_split,
    load_digits_lenet,
    load_weights,
    save_weights,
    train_digits_lenet,
)

ROOT = Path(__file__).resolve().parents[1]
#: A retrained network's test accuracy may differ from the shipped one by this much (7 of 450
#: digits): float32 rounding differs between BLAS kernels and training amplifies it.
RETRAIN_TOLERANCE = 0.015
#: The shipped network is only evaluated (no training): the same digits up to one or two.
SHIPPED_TOLERANCE = 0.005


def stated_accuracy() -> float:
    """The shipped test accuracy as data/README.md states it (independent of the code)."""
    readme = (ROOT / "data" / "README.md").read_text()
    return float(re.search(r"shipped test accuracy ([\d.]+)%", readme).group(1)) / 100


def test_accuracy(model, images, labels) -> float:
    model.eval()
    return float(np.mean(np.argmax(model(images), axis=1) == labels))


test_accuracy.__test__ = False   # a helper, not a test


def test_shipped_weights_give_the_documented_test_accuracy():
    _, x_test, _, y_test = digits_split()
    assert abs(test_accuracy(load_digits_lenet(), x_test, y_test) - stated_accuracy()) \
        <= SHIPPED_TOLERANCE


def test_shipped_network_is_trained_not_random():
    _, x_test, _, y_test = digits_split()
    assert test_accuracy(digits_lenet(), x_test, y_test) < 0.3          # untrained: guessing
    model = load_digits_lenet()
    assert not model.training
    bn = model[1]
    assert isinstance(bn, BatchNorm2d) and not np.allclose(bn.buffers()["running_var"], 1)


def test_retraining_reproduces_the_shipped_accuracy():
    """Retrain exactly as the file was made (about 10 s); compare test accuracy."""
    _, x_test, _, y_test = digits_split()
    model, history = train_digits_lenet(SHIPPED_EPOCHS)
    assert len(history["test_accuracy"]) == SHIPPED_EPOCHS
    assert abs(test_accuracy(model, x_test, y_test) - stated_accuracy()) <= RETRAIN_TOLERANCE


def test_network_is_notebook_11s():
    """The table of notebook 11: shapes of every layer's output for a 16 x 16 digit."""
    model = digits_lenet()
    shapes = []
    model.eval().forward(np.zeros((1, 1, 16, 16), np.float32),
                         trace=lambda name, layer, out: shapes.append(out.shape[1:]))
    assert shapes == [(8, 16, 16)] * 3 + [(8, 8, 8)] + [(16, 8, 8)] * 3 + [(16, 4, 4), (256,),
                                                                         (10,)]
    assert isinstance(model[0], Conv2d) and "bias" not in model[0].parameters()
    assert isinstance(model[9], Linear)


def test_save_and_load_round_trip():
    model, _ = train_digits_lenet(1)
    buffer = io.BytesIO()
    save_weights(model, buffer)
    buffer.seek(0)
    copy = load_weights(digits_lenet(seed=5), buffer)
    x = digits_split()[1][:20]
    np.testing.assert_array_equal(copy.eval()(x), model.eval()(x))


def test_weights_of_another_network_are_refused():
    buffer = io.BytesIO()
    save_weights(digits_lenet(batch_norm=False), buffer)
    buffer.seek(0)
    with pytest.raises(SettingError, match="does not fit this network: missing"):
        load_weights(digits_lenet(), buffer)

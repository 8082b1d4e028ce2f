"""The course's trained network: notebook 11's LeNet-style CNN on the bundled digits.

Trained once with a fixed seed and shipped small (``cnnlib/_data/digits_lenet.npz``, about
20 KB), so that the explorers notebook and the lecture slides open a trained network at once
instead of retraining it. :func:`train_digits_lenet` is the training of notebook 11 (the same
network, data split, optimiser and seed); :func:`load_digits_lenet` reads the shipped weights.

Reproduce the file (about 10 s on one core)::

    python -m cnnlib.trained cnnlib/_data/digits_lenet.npz

Float32 sums taken in another order (another BLAS kernel or thread count) round differently and
training amplifies that, so a retrained network is not bit-identical to the shipped one on
every machine: ``tests/test_trained.py`` compares its test accuracy within a tolerance, and the
shipped network's test accuracy with the value stated in ``data/README.md``.
"""

from __future__ import annotations

import io
import sys
from functools import lru_cache

import numpy as np

from ._validate import SettingError, check_int
from .data import data_file, load_digits, train_test_split
from .layers import BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from .optim import SGD
from .train import train

__all__ = ["WEIGHTS_FILE", "SHIPPED_EPOCHS", "digits_lenet", "digits_split",
           "train_digits_lenet", "load_digits_lenet", "save_weights", "load_weights"]

#: Where the trained weights ship, in ``cnnlib/_data/``.
WEIGHTS_FILE = "digits_lenet.npz"
#: How long the shipped network was trained (notebook 11's ``FULL_RUN``).
SHIPPED_EPOCHS = 15
#: Input resolution of the network: the digits enlarged to 16 x 16 (``load_digits(size=16)``).
INPUT_SIZE = 16


def digits_lenet(batch_norm: bool = True, activation=ReLU, first_scale: float = 1.0,
                 seed: int = 0) -> Sequential:
    """The LeNet-style network of notebook 11, for 1 x 16 x 16 digits, seeded.

    Block 1: 5x5 convolution, 8 filters, padding 2 -> (batch norm) -> activation -> 2x2 max
    pool (8 x 8 x 8). Block 2: 3x3 convolution, 16 filters, padding 1 -> (batch norm) ->
    activation -> 2x2 max pool (16 x 4 x 4). Head: flatten -> linear 256 -> 10.

    A convolution followed by batch norm has no bias (batch norm would cancel it).
    ``first_scale`` multiplies the first layer's random filters (notebook 11 starts them at a
    tenth, so that what they show after training was put there by training).
    """
    rng = np.random.default_rng(seed)

    def block(c_in, c_out, k):
        conv = Conv2d(c_in, c_out, k, padding=k // 2, bias=not batch_norm, rng=rng)
        return [conv] + ([BatchNorm2d(c_out)] if batch_norm else []) + [activation(),
                                                                         MaxPool2d(2)]

    model = Sequential(*block(1, 8, 5), *block(8, 16, 3), Flatten(),
                       Linear(16 * 4 * 4, 10, rng=rng))
    model[0].weight = first_scale * model[0].weight
    return model


@lru_cache(maxsize=1)
def _split():
    images, labels = load_digits(size=INPUT_SIZE)
    return train_test_split(images, labels, test_size=0.25, seed=0)


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Notebook 11's data: the digits at 16 x 16, a quarter of each class held out (seed 0).

    Returns ``x_train, x_test, y_train, y_test`` (copies: changing them changes nothing here).
    """
    return tuple(a.copy() for a in _split())


def train_digits_lenet(epochs: int = SHIPPED_EPOCHS, lr: float = 0.02, momentum: float = 0.9,
                       batch_size: int = 32, seed: int = 0, first_scale: float = 0.1,
                       callback=None) -> tuple[Sequential, dict]:
    """Train :func:`digits_lenet` as notebook 11 does; return the network and its history.

    SGD with momentum on :func:`digits_split`'s training set, mini-batches of ``batch_size`` in
    a seeded order, the test set evaluated after every epoch (``history["test_accuracy"]``).
    ``callback`` is passed to :func:`cnnlib.train.train`. The network is left in training mode.
    """
    epochs = check_int(epochs, "epochs", 1)
    x_train, x_test, y_train, y_test = digits_split()
    model = digits_lenet(first_scale=first_scale, seed=seed)
    history = train(model, SGD(model, lr=lr, momentum=momentum), x_train, y_train,
                    epochs=epochs, batch_size=batch_size, seed=seed,
                    test_data=(x_test, y_test), callback=callback)
    return model, history


def _leaf(model, name: str):
    layer = model
    for part in name.split("."):
        layer = layer[int(part)] if part.isdigit() else layer[part]
    return layer


def save_weights(model, file) -> None:
    """Write a network's parameters and buffers (batch norm statistics) as float32 ``.npz``."""
    arrays = {f"param:{k}": v for k, v in model.parameters().items()}
    arrays.update({f"buffer:{k}": v for k, v in model.buffers().items()})
    np.savez_compressed(file, **{k: np.asarray(v, np.float32) for k, v in arrays.items()})


def load_weights(model, file) -> Sequential:
    """Put the arrays of :func:`save_weights` into ``model`` (same architecture); return it.

    Raises :class:`SettingError` naming the arrays that are missing or left over.
    """
    with np.load(file) as stored:
        arrays = dict(stored)
    expected = {f"param:{k}" for k in model.parameters()} | {f"buffer:{k}"
                                                             for k in model.buffers()}
    if set(arrays) != expected:
        raise SettingError(f"the weights file does not fit this network: missing "
                           f"{sorted(expected - set(arrays))}, unexpected "
                           f"{sorted(set(arrays) - expected)}.")
    for key, value in arrays.items():
        kind, name = key.split(":", 1)
        if kind == "param":
            model.set_parameter(name, value)
        else:
            path, _, buffer = name.rpartition(".")
            layer = _leaf(model, path)
            if layer.buffers()[buffer].shape != value.shape:
                raise SettingError(f"buffer {name} must have shape "
                                   f"{layer.buffers()[buffer].shape}, got {value.shape}.")
            layer.buffers()[buffer] = value.astype(layer.dtype)
    return model


@lru_cache(maxsize=1)
def _shipped_bytes() -> bytes:
    return data_file(WEIGHTS_FILE).read_bytes()


def load_digits_lenet() -> Sequential:
    """The shipped trained network (:data:`SHIPPED_EPOCHS` epochs), in evaluation mode.

    A new network each call (changing it changes no other copy); reading takes a millisecond.
    """
    model = load_weights(digits_lenet(), io.BytesIO(_shipped_bytes()))
    return model.eval()


def main(argv=None) -> int:
    """``python -m cnnlib.trained PATH``: train for :data:`SHIPPED_EPOCHS` epochs, save to PATH."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m cnnlib.trained PATH.npz", file=sys.stderr)
        return 2
    from .train import evaluate

    model, history = train_digits_lenet()
    save_weights(model, argv[0])
    _, x_test, _, y_test = digits_split()
    reloaded = load_weights(digits_lenet(), argv[0]).eval()
    _, accuracy = evaluate(reloaded, x_test, y_test)
    print(f"{argv[0]}: trained {SHIPPED_EPOCHS} epochs; test accuracy {accuracy:.4f} "
          f"({round(accuracy * len(y_test))} of {len(y_test)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

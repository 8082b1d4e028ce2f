"""The course's bundled data (digits and a photograph), split and served in mini-batches.

Nothing is downloaded: the files ship inside the package, in ``cnnlib/_data/``, and are read
through :mod:`importlib.resources`, so they work wherever ``cnnlib`` is installed (a checkout, a
wheel, a zip, the browser). Their sources and licences are in the repository's ``data/README.md``.

``digits.csv.gz`` holds 1,797 handwritten digits (0-9) as 8 x 8 grey images: the test set of the
UCI "Optical Recognition of Handwritten Digits" data set (Alpaydin & Kaynak, 1998; CC BY 4.0),
as scikit-learn ships it. Each 8 x 8 pixel counts the inked pixels of a 4 x 4 block of a 32 x 32
bitmap, so values run from 0 to 16. Each row of the file is 64 pixel values (row by row)
followed by the label. ``grace_hopper.jpg`` is a 600 x 512 RGB portrait (public domain).

    x_train, x_test, y_train, y_test = train_test_split(*load_digits())
    for x, y in batches(x_train, y_train, batch_size=32, rng=0):
        ...  # x: (32, 1, 8, 8) float32 in [0, 1], y: (32,) int64
    photo = load_photo()   # (600, 512, 3) uint8, as plt.imread gives it
"""

from __future__ import annotations

import gzip
import numbers
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._validate import (
    SettingError,
    SettingTypeError,
    as_generator,
    check_array,
    check_int,
)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["DATA_FILES", "data_file", "load_digits", "load_photo", "resize_bilinear",
           "train_test_split", "batches", "lecture_example"]

#: The files that ship inside the package (sources and licences: the repository's data/README.md).
DATA_FILES = ("digits.csv.gz", "grace_hopper.jpg", "NanumGothic.ttf", "NanumGothic-OFL.txt",
              "digits_lenet.npz")


def data_file(name: str) -> Traversable:
    """One of the bundled files (``DATA_FILES``), wherever cnnlib is installed.

    Returns an :mod:`importlib.resources` Traversable: read it with ``.open("rb")`` or
    ``.read_bytes()`` (it is a plain ``pathlib.Path`` unless cnnlib was installed as a zip).
    """
    if name not in DATA_FILES:
        raise SettingError(f"name must be one of the bundled files {DATA_FILES}, got {name!r}.")
    return resources.files(__package__).joinpath("_data", name)


def load_digits(size: int = 8, path=None, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Load the 1,797 bundled 8 x 8 handwritten digits, optionally enlarged.

    Parameters
    ----------
    size : int, multiple of 8
        Height and width of the returned images. Above 8 the digits are enlarged by bilinear
        interpolation (:func:`resize_bilinear`): no new detail, but strokes several pixels
        wide with soft edges, which a 5 x 5 filter can find edges on.
    path : str or Path, optional
        A ``digits.csv.gz`` file of the same layout; defaults to the copy bundled with cnnlib
        (``data_file("digits.csv.gz")``).
    dtype : floating dtype
        dtype of the images (``np.float64`` for gradient checks).

    Returns
    -------
    images : ndarray, shape (1797, 1, size, size)
        Grey values scaled from 0..16 to [0, 1] (ink = 1), NCHW with one channel.
    labels : ndarray, shape (1797,), int64
        The digit shown, 0 to 9.
    """
    size = check_int(size, "size", 8)
    if size % 8:
        raise SettingError(f"size must be a multiple of 8 (the stored digits are 8 x 8), got "
                           f"{size}: e.g. 16 doubles the height and width.")
    if path is None:
        source = data_file("digits.csv.gz")
    else:
        source = Path(path)
        if not source.is_file():
            raise FileNotFoundError(
                f"path: no digits file at {source}. Leave path out to use the copy that ships "
                f"with cnnlib, or pass the path of a digits.csv.gz file."
            )
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise SettingTypeError(f"dtype must be a floating-point dtype, got {np.dtype(dtype)}: "
                               f"use np.float32 or np.float64.")
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    images = (table[:, :64] / 16).reshape(-1, 1, 8, 8)
    if size != 8:
        images = resize_bilinear(images, size)
    return images.astype(dtype), table[:, 64]


def load_photo() -> np.ndarray:
    """The bundled photograph: Rear Admiral Grace Hopper, a U.S. Navy portrait (public domain).

    Needs Pillow (installed with the ``notebooks`` extra); ``import cnnlib`` does not import it.

    Returns
    -------
    ndarray, shape (600, 512, 3), uint8
        HWC RGB values 0..255, exactly what ``matplotlib.pyplot.imread`` gives for the file.
    """
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("load_photo needs Pillow, which the notebooks extra installs: "
                          "pip install 'cnnlib[notebooks]'.") from error

    with data_file("grace_hopper.jpg").open("rb") as raw, Image.open(raw) as image:
        return np.array(image.convert("RGB"))


def _bilinear_weights(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` matrix that interpolates a row of ``n_in`` pixels to ``n_out``.

    Output pixel ``j`` samples the input at ``x = (j + 0.5) * n_in / n_out - 0.5`` (pixel
    centres line up, clamped at the border) and mixes its two neighbours ``floor(x)`` and
    ``floor(x) + 1`` with weights ``1 - frac(x)`` and ``frac(x)``.
    """
    x = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    left = np.floor(x).astype(np.int64)
    right = np.minimum(left + 1, n_in - 1)
    weights = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(weights, (rows, left), 1 - (x - left))
    np.add.at(weights, (rows, right), x - left)
    return weights


def resize_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """Resize square images to ``size x size`` by bilinear interpolation.

    Same result as ``torch.nn.functional.interpolate(images, size, mode="bilinear",
    align_corners=False)``: rows and columns are interpolated one after the other,
    ``out = A @ image @ A.T`` with ``A`` the 1-D interpolation matrix.

    Parameters
    ----------
    images : ndarray, shape (..., H, H), float
    size : int >= 1

    Returns
    -------
    ndarray, shape (..., size, size), dtype of ``images``
    """
    check_array(images, "images", range(2, 6), "(..., H, W)")
    if images.shape[-1] != images.shape[-2]:
        raise SettingError(f"images must be square (H == W), got shape {images.shape}.")
    weights = _bilinear_weights(images.shape[-1], check_int(size, "size", 1))
    return (weights @ images @ weights.T).astype(images.dtype, copy=False)


def train_test_split(images: np.ndarray, labels: np.ndarray, test_size: float = 0.25,
                     seed: int = 0):
    """Split into a training and a test set, the same way every time (stratified, seeded).

    Within each class, ``round(test_size * count)`` samples chosen by a seeded shuffle go to
    the test set, so both sets keep the class proportions. Samples keep their original order.
    Same return order as ``sklearn.model_selection.train_test_split``.

    Parameters
    ----------
    images : ndarray, shape (N, ...)
    labels : ndarray, shape (N,), integer
    test_size : float in (0, 1)
        Fraction of each class held out for testing.
    seed : int

    Returns
    -------
    x_train, x_test, y_train, y_test : ndarray
    """
    _check_pair(images, labels)
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) \
            or not 0 < test_size < 1:
        raise SettingError(f"test_size must be a fraction between 0 and 1, got {test_size!r}: "
                           f"e.g. 0.25 keeps a quarter of each class for testing.")
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    is_test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        is_test[members[:round(test_size * len(members))]] = True
    return images[~is_test], images[is_test], labels[~is_test], labels[is_test]


def batches(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool = True,
            rng=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x, y)`` mini-batches that cover the data once (one epoch).

    With ``shuffle`` the order is a fresh permutation drawn from ``rng`` (an int seed or a
    ``numpy.random.Generator``; pass the same Generator every epoch to get a new, reproducible
    order each time). The last batch is smaller when ``batch_size`` does not divide N.

    Parameters
    ----------
    images : ndarray, shape (N, ...)
    labels : ndarray, shape (N,)
    batch_size : int >= 1
    shuffle : bool
    rng : int, Generator or None
        Seed or generator for the shuffle (``None``: seed 0).
    """
    _check_pair(images, labels)
    batch_size = check_int(batch_size, "batch_size", 1)
    order = np.arange(len(labels))
    if shuffle:
        rng = as_generator(0 if rng is None else rng)
        order = rng.permutation(order)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        yield images[chosen], labels[chosen]


def _check_pair(images, labels) -> None:
    """``images`` and ``labels`` must be arrays with one label per image."""
    for name, value in (("images", images), ("labels", labels)):
        if not isinstance(value, np.ndarray):
            raise SettingTypeError(f"{name} must be a numpy array, got {type(value).__name__}.")
    if labels.ndim != 1 or len(labels) != len(images):
        raise SettingError(f"labels must have shape (N,) with N = len(images) = {len(images)}, "
                           f"got shape {labels.shape}: one label per image.")


def lecture_example() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lecture's worked example: a 5x5 image, a 3x3 kernel and the 5x5 feature map that the
    lecture prints for them (padding 1, stride 1); checked by hand and against scipy.

    Returns
    -------
    image : ndarray, shape (5, 5), float64
    kernel : ndarray, shape (3, 3), float64
    feature_map : ndarray, shape (5, 5), float64
        ``conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]``; the top-left 21 is
        ``7*2 + 4*4 + (-5)*2 + 1*1`` (the window there is ``[[0,0,0],[0,2,4],[0,2,1]]``).
    """
    image = np.array([[2, 4, 9, 1, 4],
                      [2, 1, 4, 4, 6],
                      [1, 1, 2, 9, 2],
                      [7, 3, 5, 1, 3],
                      [2, 3, 4, 8, 5]], dtype=float)
    kernel = np.array([[1, 2, 3],
                       [-4, 7, 4],
                       [2, -5, 1]], dtype=float)
    feature_map = np.array([[21, 59, 37, -19, 2],
                            [30, 51, 66, 20, 43],
                            [-14, 31, 49, 101, -19],
                            [59, 15, 53, -2, 21],
                            [49, 57, 64, 76, 10]], dtype=float)
    return image, kernel, feature_map

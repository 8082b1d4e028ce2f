"""Tests for cnnlib.data: the bundled digits and photo, the seeded split and the mini-batches."""

import csv
import gzip
import hashlib
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import zoom

from cnnlib.data import (
    DATA_FILES,
    batches,
    data_file,
    load_digits,
    load_photo,
    resize_bilinear,
    train_test_split,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shape_range_and_labels(digits):
    images, labels = digits
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 1
    # The UCI description of optdigits.tes: 1,797 test digits, about 180 of each class.
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_match_the_csv_read_independently(digits):
    images, labels = digits
    with gzip.open(io.BytesIO(data_file("digits.csv.gz").read_bytes()), "rt") as f:
        rows = [list(map(int, row)) for row in csv.reader(f)]
    assert len(rows) == 1797 and all(len(row) == 65 for row in rows)
    first = np.array(rows[0][:64]).reshape(8, 8)
    np.testing.assert_array_equal(images[0, 0] * 16, first)
    assert labels[0] == rows[0][64] == 0
    # The first digit is a zero: ink on the ring, a hole in the middle.
    assert first[3, 3:5].sum() == 0 and first[1].max() > 10


def test_photo_is_matplotlibs_grace_hopper():
    from matplotlib import cbook, image

    photo = load_photo()
    assert photo.shape == (600, 512, 3) and photo.dtype == np.uint8 and photo.flags.writeable
    # The same portrait as matplotlib's own sample-data copy, decoded by matplotlib.
    expected = image.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    np.testing.assert_array_equal(photo, expected)


def test_photo_without_pillow_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    with pytest.raises(ImportError, match=r"cnnlib\[notebooks\]"):
        load_photo()


def test_bundled_files_are_the_documented_ones():
    """Every file in cnnlib/_data/ is listed in data/README.md with its sha256, and only those."""
    readme = (ROOT / "data" / "README.md").read_text()
    bundled = sorted(p.name for p in (ROOT / "cnnlib" / "_data").iterdir())
    assert bundled == sorted(DATA_FILES)
    for name in DATA_FILES:
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        documented = re.search(r"sha256 `([0-9a-f]{64})`", row).group(1)
        assert hashlib.sha256(data_file(name).read_bytes()).hexdigest() == documented, name
    assert not [p.name for p in (ROOT / "data").iterdir() if p.name != "README.md"], \
        "data/ documents the files; the files themselves live in cnnlib/_data/"
    with pytest.raises(ValueError, match="name must be one of"):
        data_file("../pyproject.toml")


#: "../data/...", a "data" path component, or a bundled file's name used as a path.
#: Not the key "data" of a notebook output (output.get("data"), output["data"]).
PATH_INTO_CHECKOUT = (r"\.\./data|(?<!\.get\()(?<!\[)[\"'/]data[\"'/]"
                      r"|/\s*[\"']?(grace_hopper\.jpg|digits\.csv\.gz)")


def test_notebooks_read_data_only_through_cnnlib():
    """No notebook (nor cnnlib) opens a path into the checkout's data/ folder: that breaks
    in an installed cnnlib, on Colab and in the browser."""
    offenders = []
    for notebook in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and re.search(PATH_INTO_CHECKOUT, source):
                offenders.append(notebook.relative_to(ROOT).as_posix())
    for module in sorted((ROOT / "cnnlib").rglob("*.py")):
        if re.search(PATH_INTO_CHECKOUT, module.read_text()):
            offenders.append(module.relative_to(ROOT).as_posix())
    assert offenders == []


def test_resize_bilinear_by_hand():
    # Pixel centres line up: a 2-pixel ramp [0, 1] doubled samples at -0.25 (clamped),
    # 0.25, 0.75 and 1.25 (clamped).
    row = np.array([[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(resize_bilinear(row, 4), [[0, 0.25, 0.75, 1]] * 4)
    np.testing.assert_array_equal(resize_bilinear(np.full((3, 3), 0.5), 9), np.full((9, 9), 0.5))


@pytest.mark.parametrize("size", [4, 16, 24])
def test_resize_bilinear_matches_scipy(size):
    x = np.random.default_rng(size).random((2, 1, 8, 8))
    expected = zoom(x, (1, 1, size / 8, size / 8), order=1, grid_mode=True, mode="nearest")
    np.testing.assert_allclose(resize_bilinear(x, size), expected, rtol=0, atol=1e-12)


def test_enlarged_digits(digits):
    images, labels = load_digits(size=16)
    assert images.shape == (1797, 1, 16, 16) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, digits[1])
    expected = zoom(digits[0].astype(np.float64), (1, 1, 2, 2), order=1, grid_mode=True,
                    mode="nearest")
    np.testing.assert_allclose(images, expected, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="multiple of 8"):
        load_digits(size=12)
    with pytest.raises(ValueError, match="square"):
        resize_bilinear(np.zeros((1, 4, 5)), 8)


def test_float64_and_bad_arguments(tmp_path):
    images, _ = load_digits(dtype=np.float64)
    assert images.dtype == np.float64
    with pytest.raises(FileNotFoundError, match="path"):
        load_digits(path=tmp_path / "missing.csv.gz")
    with pytest.raises(TypeError, match="dtype"):
        load_digits(dtype=np.int32)


def test_split_is_stratified_disjoint_complete_and_seeded(digits):
    _, labels = digits
    index = np.arange(len(labels))  # split the sample numbers to see where each one goes
    i_train, i_test, y_train, y_test = train_test_split(index, labels, test_size=0.25, seed=0)
    assert sorted(np.concatenate([i_train, i_test]).tolist()) == index.tolist()
    assert not set(i_train.tolist()) & set(i_test.tolist())
    np.testing.assert_array_equal(y_train, labels[i_train])
    np.testing.assert_array_equal(y_test, labels[i_test])
    np.testing.assert_array_equal(np.bincount(y_test), np.round(np.bincount(labels) * 0.25))
    assert np.all(np.diff(i_train) > 0) and np.all(np.diff(i_test) > 0)  # original order kept
    again = train_test_split(index, labels, test_size=0.25, seed=0)
    np.testing.assert_array_equal(again[1], i_test)
    other = train_test_split(index, labels, test_size=0.25, seed=1)
    assert not np.array_equal(other[1], i_test)


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1, "0.2", True])
def test_split_rejects_bad_test_size(digits, test_size):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(*digits, test_size=test_size)


def test_split_rejects_mismatched_labels(digits):
    with pytest.raises(ValueError, match="labels"):
        train_test_split(digits[0], digits[1][:-1])
    with pytest.raises(TypeError, match="labels"):
        train_test_split(digits[0], list(digits[1]))


def test_batches_cover_every_sample_once():
    x = np.arange(10, dtype=np.float64).reshape(10, 1)
    y = np.arange(10)
    got = list(batches(x, y, batch_size=4, rng=0))
    assert [len(b[1]) for b in got] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in got])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], yb)  # images stay paired with their labels


def test_batches_seeded_and_unshuffled():
    x, y = np.zeros((7, 2)), np.arange(7)
    first = [b[1].tolist() for b in batches(x, y, 3, rng=5)]
    assert first == [b[1].tolist() for b in batches(x, y, 3, rng=5)]
    gen = np.random.default_rng(5)
    epoch1 = [b[1].tolist() for b in batches(x, y, 3, rng=gen)]
    epoch2 = [b[1].tolist() for b in batches(x, y, 3, rng=gen)]
    assert epoch1 == first and epoch2 != epoch1  # one Generator: a new order every epoch
    assert [b[1].tolist() for b in batches(x, y, 3, shuffle=False)] == [[0, 1, 2], [3, 4, 5],
                                                                         [6]]
    with pytest.raises(ValueError, match="batch_size"):
        next(batches(x, y, 0))

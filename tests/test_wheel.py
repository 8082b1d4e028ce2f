"""cnnlib is a real package: its wheel, installed into a fresh venv outside the repository,
loads the bundled digits and photo without the checkout.

Offline and fast: the wheel is built with the setuptools already installed
(``--no-build-isolation``) and installed with ``--no-index --no-deps``. The fresh venv borrows
numpy, Pillow and matplotlib from the current environment through a ``.pth`` line naming its
site-packages, placed after the venv's own: ``.pth`` files are not read from a folder added that
way, so the editable install (a finder hook in such a file) stays out and ``import cnnlib`` finds
the wheel's copy, which the check asserts.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Runs inside the fresh venv, with the temporary folder as working directory.
CHECK = """
import sys
from pathlib import Path

import numpy as np
import cnnlib
from cnnlib.data import load_digits, load_photo
from cnnlib.viz.pooling import photo

checkout = sys.argv[1]
assert not cnnlib.__file__.startswith(checkout), cnnlib.__file__
copies = [p for p in sys.path if (Path(p or ".") / "cnnlib" / "__init__.py").exists()]
assert copies == [str(Path(cnnlib.__file__).parents[1])], copies   # the wheel's copy only
images, labels = load_digits(size=16)
grey = photo()
print(cnnlib.__file__.startswith(sys.prefix), images.shape, np.bincount(labels).tolist(),
      load_photo().shape, grey.shape, cnnlib.linear.__name__)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of what it is made of (the checkout stays untouched)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "cnnlib", source / "cnnlib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "--quiet", "--wheel-dir", str(out), str(source)],
                   check=True, cwd=out)
    (built,) = out.glob("cnnlib-*.whl")
    return built


def test_wheel_holds_the_package_its_data_and_licence(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("cnnlib/__init__.py", "cnnlib/_data/digits.csv.gz",
                     "cnnlib/_data/grace_hopper.jpg", "cnnlib/viz/pooling.py",
                     "cnnlib/_data/NanumGothic.ttf", "cnnlib/_data/NanumGothic-OFL.txt",
                     "cnnlib/_data/digits_lenet.npz",
                     "cnnlib/_locale/ko.po"):
        assert required in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    assert all(n.startswith(("cnnlib/", "cnnlib-")) for n in names), "only cnnlib ships"


def test_installed_wheel_loads_digits_and_photo_without_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-index", "--no-deps", "--find-links", str(wheel.parent), "cnnlib"],
                   check=True, cwd=tmp_path)
    borrowed = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "borrowed.pth").write_text("".join(f"{path}\n" for path in borrowed))

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    out = subprocess.run([str(python), "-I", "-c", CHECK, str(ROOT)], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == (
        "True (1797, 1, 16, 16) [178, 182, 177, 183, 181, 182, 181, 179, 174, 180] "
        "(600, 512, 3) (96, 96) cnnlib.linear").split()

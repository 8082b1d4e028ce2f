"""Every test process gets its own HOME and config folders (pytest, and each xdist worker).

A fresh machine and a developer's machine must behave the same, and nothing that one worker
starts (a notebook kernel writes ``~/.ipython``, matplotlib its font cache, Jupyter its runtime
files) may change what a test in another worker observes. So before any test runs, each process
points HOME, IPython's, Jupyter's and matplotlib's folders and the XDG folders at a new empty
folder of its own; notebook kernels, Jupyter servers and subprocesses inherit them.
"""

from __future__ import annotations

import os
import shutil
import tempfile

#: Variables pointed into the private folder (name -> sub-folder; "" is the folder itself).
PRIVATE = {
    "HOME": "",
    "IPYTHONDIR": ".ipython",
    "JUPYTER_CONFIG_DIR": ".jupyter",
    "JUPYTER_DATA_DIR": ".local/share/jupyter",
    "JUPYTER_RUNTIME_DIR": ".local/share/jupyter/runtime",
    "MPLCONFIGDIR": ".config/matplotlib",
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
}
_folder = None


def pytest_configure(config):
    global _folder
    _folder = tempfile.mkdtemp(prefix="cnn-basics-test-home-")
    for name, sub in PRIVATE.items():
        path = os.path.join(_folder, sub)
        os.makedirs(path, exist_ok=True)
        os.environ[name] = path


def pytest_unconfigure(config):
    if _folder is not None:
        shutil.rmtree(_folder, ignore_errors=True)

"""What the browser tests share: a missing tool skips locally but fails under CI, a free port
on 127.0.0.1, and waiting for a local server to answer."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def missing(reason: str) -> None:
    """Skip: ``reason`` names what is missing. Under CI (``CI`` set) fail instead: the browser
    tests must run there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: this test must run there)")
    pytest.skip(reason)


#: Debian's chromium, and how every browser test starts it (no sandbox as root in CI; no
#: background requests, which this machine's closed network refuses).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


#: The classic Notebook (the lecture's front end) has loaded the notebook, connected to its
#: kernel and had the kernel's info: the widget manager exists and has started loading the
#: kernel's widgets.
CLASSIC_LOADED_JS = ("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded"
                     " && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()"
                     " && Jupyter.notebook.kernel.info_reply.status === 'ok'"
                     " && Jupyter.notebook.kernel.widget_manager")
#: Resolves once the widget manager's own first load from the kernel is done (a second load
#: asks after it, and the kernel answers in order). Cells run before that race it: the manager
#: asks the kernel which widgets exist, the kernel answers after the queued cells, and every
#: widget whose creation the page has not handled yet gets a second model, so that its view
#: vanishes or stops updating (ipywidgets 8.1, seen on a loaded machine in the RISE tests).
CLASSIC_WIDGETS_LOADED_JS = ("async () => { "
                             "await Jupyter.notebook.kernel.widget_manager._loadFromKernel(); }")


def open_classic_notebook(page, url: str) -> None:
    """Open ``url`` (a notebook in the classic Notebook) and wait until cells can be run."""
    page.goto(url)
    page.wait_for_function(CLASSIC_LOADED_JS)
    page.evaluate(CLASSIC_WIDGETS_LOADED_JS)


def need_browser(axe: bool = False) -> None:
    """Skip (fail under CI) unless Debian's chromium and Playwright-Python are here, and, with
    ``axe``, axe-playwright-python too."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} not found (apt-get install chromium)")
    packages = {"playwright": "playwright"}                 # module: what pip installs
    if axe:
        packages["axe_playwright_python"] = "axe-playwright-python"
    for module, package in packages.items():
        try:
            __import__(module)
        except ImportError:
            missing(f"{module} is not installed (pip install {package})")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    """Return once ``url`` answers 200; raise if ``process`` (the server) exits or the time is
    up, naming the server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{name} did not answer {url} within {timeout} s")


@contextlib.contextmanager
def serving(command: list[str], env: dict, log_path: Path, status_url: str, name: str,
            timeout: float = 60):
    """Run a Jupyter server ``command`` (output in ``log_path``) until ``status_url`` answers;
    yield, then stop it: two ^C (the second confirms), then kill its process group (kernels
    too). A server that never answers raises with the end of its log."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            try:
                wait_for_server(status_url, process, name, timeout)
            except (RuntimeError, TimeoutError) as error:
                log.flush()
                raise RuntimeError(f"{error}; log:\n{log_path.read_text()[-2000:]}") from None
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)   # our process group only
            except ProcessLookupError:
                pass
            process.wait(timeout=5)

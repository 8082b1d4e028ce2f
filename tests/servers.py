"""What the browser tests share: a missing tool skips locally but fails under CI, a free port
on 127.0.0.1, and waiting for a local server to answer."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

import pytest


def missing(reason: str) -> None:
    """Skip: ``reason`` names what is missing. Under CI (``CI`` set) fail instead: the browser
    tests must run there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: this test must run there)")
    pytest.skip(reason)


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

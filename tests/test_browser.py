"""A real browser test: JupyterLab on 127.0.0.1, headless Debian chromium via Playwright.

Opens notebooks/explorers.ipynb, runs all cells, moves the output-size explorer's first
slider (input height 7 -> 8) with the keyboard and checks that the page shows the new output
size. Skipped locally when chromium or playwright is missing; under CI (``CI`` set) that is a
failure instead, so a skipped test never passes as green there. On failure a screenshot goes
to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explorers.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
TIMEOUT_MS = 45_000

pytestmark = pytest.mark.browser


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser test must run there)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, process: subprocess.Popen, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout} s")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a free loopback port, serving a copy of the notebook."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0",
               "--ServerApp.open_browser=False", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--allow-root"]
    log = open(tmp_path / "jupyterlab.log", "w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_for_server(f"{base}/api/status?token={token}", process)
        except (RuntimeError, TimeoutError) as error:
            log.flush()
            tail = (tmp_path / "jupyterlab.log").read_text()[-2000:]
            raise RuntimeError(f"{error}; log:\n{tail}") from None
        yield base, token
    finally:
        process.send_signal(signal.SIGINT)      # the server shuts its kernels down
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # our process group only
        except ProcessLookupError:
            pass
        process.wait(timeout=5)
        log.close()


def _accept_kernel_dialog(page, timeout_ms: int = 10_000) -> None:
    """Accept JupyterLab's "Select Kernel" dialog (the default, Python 3) if it shows up."""
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=timeout_ms)
    except Exception:  # no dialog: the kernel started by itself
        return
    accept.click()


def test_slider_changes_output_size_in_jupyterlab(jupyterlab):
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    base, token = jupyterlab
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}&reset")
            page.wait_for_selector(".jp-Notebook")
            _accept_kernel_dialog(page)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            page.click("li.lm-MenuBar-item:has-text('Run')")
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            # Run All scrolls to the last cell, and JupyterLab skips rendering cells out of
            # view (CSS content-visibility), so bring the explorer back before reading it.
            summary = page.locator(".cnnlib-summary").first
            summary.scroll_into_view_if_needed()
            expect(summary).to_contain_text("input 7 × 7 → output 5 × 5")
            handle = page.locator(".noUi-handle").first        # "input height"
            handle.focus()
            page.keyboard.press("ArrowRight")
            expect(summary).to_contain_text("input 8 × 7 → output 6 × 5")
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

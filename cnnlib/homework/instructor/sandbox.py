"""Run a submission where it can harm nothing: bubblewrap, limits, and a capped answer channel.

:func:`run` starts :mod:`cnnlib.homework.runner` on one notebook's code cells and returns the
lines it printed. With bubblewrap (``bwrap``, Linux) the runner sees:

* a read-only system (``/usr`` and the Python interpreter), no ``/home``, no ``/root`` except
  the interpreter, no checkout, no other submission, no solution notebook: a minimal root;
* a private writable scratch folder (a size-limited tmpfs, gone afterwards) as HOME and
  working directory, and a private ``/tmp``;
* ``/grader/lib``: the only importable packages (numpy; for homework 1 and 2 also the parts of
  cnnlib they need, never ``cnnlib.checks.homework``'s reference nor ``cnnlib.homework``);
  ``cnnlib.checks.homework`` there is a stub whose checks do nothing;
* no network, its own pid/ipc/uts namespaces, no capabilities, a cleared environment;
* limits: wall time (killed from outside), CPU seconds, address space, processes, open files
  and file size (``prlimit``), and at most ``output_limit`` bytes of answers.

Everything it started dies with it (``--die-with-parent`` and the pid namespace).
Without bubblewrap :func:`run` refuses unless ``sandbox=False`` (``--no-sandbox``): then the
runner is only a separate, limited process that sees the whole machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

GRADER_DIR = "/grader"
SCRATCH = "/scratch"
BINDS = "binds.json"
STUB = '''"""Inside the grading sandbox the checks do nothing: the grader checks your answers."""


class Network:
    """The student's network cell: its table is kept; its answer key is not used here."""

    def __init__(self, spec, key=""):
        self.spec = spec

    @property
    def input_shape(self):
        return tuple(self.spec["input"])


def __getattr__(name):
    def check(*args, **kwargs):
        return None
    return check
'''
#: cnnlib modules homework 2 may import in the sandbox (layers and their summary).
CNNLIB_FOR_MODELS = ("_validate", "activations", "conv", "linear", "norm", "pool", "shapes",
                     "layers", "summary", "i18n")
#: The sandbox's ``cnnlib/__init__.py``. The Korean edition's notebooks start with
#: ``cnnlib.set_language("ko")``; in the sandbox it does nothing (the grader, outside, writes
#: the feedback, in the language of ``grade --language``).
STUB_PACKAGE = '''"""cnnlib as the grading sandbox provides it."""


def set_language(language):
    """Accepted and ignored here: the grader gives the feedback."""
'''


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or does not work here."""


@dataclass
class Limits:
    """Resource limits of one run."""

    seconds: float = 60.0            # wall time
    memory_mb: int = 2048            # address space of each process
    processes: int = 64              # RLIMIT_NPROC (not enforced for root: see DESIGN.md)
    output_bytes: int = 4_000_000    # answers read at most
    scratch_mb: int = 64             # size of the writable scratch folder
    file_mb: int = 16                # largest file it may write


@dataclass
class Run:
    """What came out of one run: its answer lines and how it ended."""

    lines: list
    timed_out: bool = False
    flooded: bool = False
    returncode: int | None = None
    seconds: float = 0.0


def bwrap_path() -> str | None:
    """The bwrap executable when it works here, else None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--unshare-user",
                                "--die-with-parent", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if probe.returncode == 0 else None


def stage_libraries(folder: Path, with_cnnlib_layers: bool, links: bool = False) -> Path:
    """Build ``folder/lib``: numpy, and the stub cnnlib (plus layers for homework 2).

    numpy is a symbolic link to the installed one when ``links`` (no sandbox), else an empty
    folder that the sandbox binds the installed one onto (:data:`BINDS` file lists them).
    """
    import numpy

    lib = folder / "lib"
    lib.mkdir(parents=True)
    numpy_dir = Path(numpy.__file__).resolve().parent
    binds = {}
    for real in (numpy_dir, numpy_dir.parent / "numpy.libs"):
        if real.is_dir():
            if links:
                (lib / real.name).symlink_to(real)
            else:
                (lib / real.name).mkdir()
                binds[real.name] = str(real)
    (folder / BINDS).write_text(json.dumps(binds))
    package = lib / "cnnlib"
    (package / "checks").mkdir(parents=True)
    (package / "__init__.py").write_text(STUB_PACKAGE)
    (package / "checks" / "__init__.py").write_text("")
    (package / "checks" / "homework.py").write_text(STUB)
    if with_cnnlib_layers:  # read from the installed package, wherever it is
        for name in CNNLIB_FOR_MODELS:
            _copy_module(resources.files("cnnlib"), name, package)
    runner = resources.files("cnnlib.homework").joinpath("runner.py")
    (folder / "runner.py").write_bytes(runner.read_bytes())
    return lib


def _copy_module(source, name: str, target: Path) -> None:
    """Copy module ``name`` (``name.py``, or the ``.py`` files of package ``name/``) from the
    installed cnnlib (a ``Traversable``) into ``target``."""
    single = source.joinpath(f"{name}.py")
    if single.is_file():
        (target / f"{name}.py").write_bytes(single.read_bytes())
        return
    (target / name).mkdir()
    for item in source.joinpath(name).iterdir():
        if item.name.endswith(".py"):
            (target / name / item.name).write_bytes(item.read_bytes())


def _hidden_packages(prefixes: list[str]) -> list[str]:
    """The interpreter's own site-packages and Debian's dist-packages: the sandbox covers them
    with empty folders, so that ``sys.path.append`` cannot reach scipy, torch or an installed
    cnnlib (homework 3 allows numpy only)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [os.path.join(prefix, "lib", version, "site-packages") for prefix in prefixes]
    candidates += ["/usr/lib/python3/dist-packages", f"/usr/lib/{version}/site-packages",
                   f"/usr/lib/{version}/dist-packages", f"/usr/local/lib/{version}/site-packages",
                   f"/usr/local/lib/{version}/dist-packages"]
    return sorted({path for path in candidates if os.path.isdir(path)})


def _interpreter() -> tuple[str, list[str]]:
    """The real Python executable and the folders it needs (its prefix), not the venv."""
    executable = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    return executable, sorted(prefixes)


def bwrap_command(bwrap: str, staged: Path, limits: Limits) -> list[str]:
    """The bwrap command line that runs the runner in a minimal, read-only root."""
    python, prefixes = _interpreter()
    cmd = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
           "--new-session", "--cap-drop", "ALL", "--clearenv", "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
           "--tmpfs", "/tmp", "--size", str(limits.scratch_mb * 2**20), "--tmpfs", SCRATCH]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    for name in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"):
        if os.path.exists(name):
            cmd += ["--ro-bind", name, name]
    for prefix in prefixes:
        if not prefix.startswith("/usr/"):
            cmd += ["--ro-bind", prefix, prefix]
    for path in _hidden_packages(prefixes):
        cmd += ["--tmpfs", path, "--remount-ro", path]
    cmd += ["--ro-bind", str(staged), GRADER_DIR]
    for name, real in json.loads((staged / BINDS).read_text()).items():  # numpy
        cmd += ["--ro-bind", real, f"{GRADER_DIR}/lib/{name}"]
    cmd += ["--chdir", SCRATCH]
    for key, value in _environment(SCRATCH).items():
        cmd += ["--setenv", key, value]
    return cmd + ["--"] + _limited(python, f"{GRADER_DIR}/runner.py", f"{GRADER_DIR}/lib",
                                   limits)


def _environment(home: str) -> dict:
    return {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": ""}


def _limited(python: str, runner: str, lib: str, limits: Limits) -> list[str]:
    """``prlimit ... python -I -S -c <start the runner with lib on the path>``."""
    start = (f"import sys; sys.path.insert(0, {lib!r}); sys.argv = [{runner!r}]; "
             f"import runpy; runpy.run_path({runner!r}, run_name='__main__')")
    command = [python, "-I", "-S", "-c", start]
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return command
    cpu = int(limits.seconds) + 5
    return [prlimit, f"--as={limits.memory_mb * 2**20}", f"--cpu={cpu}",
            f"--nproc={limits.processes}", f"--fsize={limits.file_mb * 2**20}",
            "--nofile=256", "--core=0", "--"] + command


def run(cells: list, task: dict, staged: Path, limits: Limits, sandbox: bool = True,
        bwrap: str | None = None) -> Run:
    """Run the runner on ``cells`` with ``task``; return its answer lines (capped)."""
    request = json.dumps({"cells": cells, "task": task, "budget": limits.seconds * 0.85})
    if sandbox:
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not available")
        cmd, env, cwd = bwrap_command(bwrap, staged, limits), {}, None
        return _capped(cmd, request, limits, env, cwd)
    with tempfile.TemporaryDirectory(prefix="cnnlib-nosandbox-") as home:
        python, _ = _interpreter()
        cmd = _limited(python, str(staged / "runner.py"), str(staged / "lib"), limits)
        return _capped(cmd, request, limits, _environment(home), home)


def _capped(cmd, request: str, limits: Limits, env, cwd) -> Run:
    """Run ``cmd``, feed it ``request``, read at most ``output_bytes``; kill at the deadline."""
    start = time.monotonic()
    process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                               start_new_session=True)
    chunks, size, flooded = [], 0, threading.Event()

    def read():
        nonlocal size
        while True:
            chunk = process.stdout.read1(65536)
            if not chunk:
                return
            if size + len(chunk) > limits.output_bytes:
                flooded.set()
                _kill(process)
                return
            chunks.append(chunk)
            size += len(chunk)

    def write():
        try:
            process.stdin.write(request.encode())
            process.stdin.close()
        except OSError:
            pass

    readers = [threading.Thread(target=read, daemon=True),
               threading.Thread(target=write, daemon=True)]
    for thread in readers:
        thread.start()
    timed_out = False
    try:
        process.wait(timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(process)
        process.wait()
    readers[0].join(timeout=5)
    _kill(process)  # whatever is left of its session
    text = b"".join(chunks).decode("utf-8", errors="replace")
    return Run(text.splitlines(), timed_out=timed_out and not flooded.is_set(),
               flooded=flooded.is_set(), returncode=process.returncode,
               seconds=time.monotonic() - start)


def _kill(process) -> None:
    try:
        os.killpg(process.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.kill()
    except ProcessLookupError:
        pass

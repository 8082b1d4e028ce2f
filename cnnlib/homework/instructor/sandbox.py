"""Run a submission where it can harm nothing: bubblewrap, limits per submission, and a
supervised answer channel.

:func:`run` starts :mod:`cnnlib.homework.runner` on one notebook's code cells and returns the
answer lines its supervisor printed. With bubblewrap (``bwrap``, Linux) the runner sees:

* a read-only minimal root: the Python executable, its libpython, its standard library (without
  ``site-packages``/``dist-packages``), the shared-library folders the loader needs
  (``/usr/lib/<multiarch>``, ``/lib64``, ``ld.so.cache``): never all of ``/usr``, no
  ``/usr/local/src``, no ``/usr/share``, no other folder of the interpreter's prefix (a
  pyenv's other versions, a conda's ``envs/``), no ``/home``, no checkout, no other submission,
  no solution notebook;
* a private writable scratch folder as HOME and working directory, a private ``/tmp`` and
  ``/dev/shm``: each a tmpfs of :attr:`Limits.scratch_mb`, gone afterwards;
* ``/grader/lib``: the only importable packages (numpy; for homework 1 and 2 also the parts of
  cnnlib they need, never ``cnnlib.checks.homework``'s reference nor ``cnnlib.homework``);
  ``cnnlib.checks.homework`` there is a stub whose checks do nothing;
* no network, its own pid/ipc/uts namespaces, no capabilities, a cleared environment, a seccomp
  filter, a new session keyring, an unprivileged uid (:mod:`cnnlib.homework.instructor.isolation`);
* limits: wall time (killed from outside); per submission (a cgroup, where the machine allows)
  memory, processes and one core of CPU; per process CPU seconds, address space, processes, open
  files and file size (``prlimit``); and at most ``output_limit`` bytes of answers.

Everything it started dies with it (the cgroup is emptied, ``--die-with-parent``, the pid
namespace). :func:`describe` says which of these the machine gives (the CSV's sandbox column).
Without bubblewrap :func:`run` refuses unless ``sandbox=False`` (``--no-sandbox``): then the
runner is only a separate, limited process that sees the whole machine.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from . import isolation as iso

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
                     "layers", "summary", "text", "i18n")
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
    memory_mb: int = 2048            # memory of the submission (cgroup) and of each process
    processes: int = 64              # processes of the submission (cgroup) and of its uid
    output_bytes: int = 4_000_000    # answers read at most
    scratch_mb: int = 64             # size of each writable tmpfs: scratch, /tmp, /dev/shm
    file_mb: int = 16                # largest file it may write


@dataclass
class Run:
    """What came out of one run: its answer lines and how it ended."""

    lines: list
    timed_out: bool = False
    flooded: bool = False
    returncode: int | None = None
    seconds: float = 0.0
    isolation: str = ""                      # what confined it (:func:`describe`)
    memory_peak: int | None = None           # bytes its cgroup held at most, when known


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


def _interpreter() -> tuple[str, list[str]]:
    """The real Python executable and the folders it needs (its prefix), not the venv."""
    executable = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    return executable, sorted(prefixes)


def elf_interpreter(path: str) -> str | None:
    """The program interpreter (``PT_INTERP``, the dynamic loader) of a 64-bit ELF file."""
    try:
        with open(path, "rb") as file:
            head = file.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:
                return None
            order = "<" if head[5] == 1 else ">"
            offset, = struct.unpack_from(order + "Q", head, 32)
            size, count = struct.unpack_from(order + "HH", head, 54)
            for index in range(min(count, 64)):
                file.seek(offset + index * size)
                header = file.read(56)
                if struct.unpack_from(order + "I", header, 0)[0] == 3:  # PT_INTERP
                    where, = struct.unpack_from(order + "Q", header, 8)
                    length, = struct.unpack_from(order + "Q", header, 32)
                    file.seek(where)
                    return file.read(min(length, 4096)).rstrip(b"\0").decode()
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    return None


TOP_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


@dataclass
class System:
    """What of this machine the sandbox shows: ``binds`` (source, destination), ``masks``
    (folders covered by an empty read-only one) and ``links`` (target, link)."""

    binds: list = field(default_factory=list)
    masks: list = field(default_factory=list)
    links: list = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def system() -> System:
    """The interpreter, its libpython and standard library, the loader's library folders and
    ``prlimit``.

    Not the interpreter's whole prefix (other pyenv versions, conda ``envs/``, ``share``,
    ``include``) and not all of ``/usr``.
    """
    found = System()
    executable, _ = _interpreter()
    found.binds.append((executable, executable))
    for name in TOP_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            found.links.append((os.readlink(path), str(path)))
    multiarch = getattr(sys.implementation, "_multiarch", "") or ""
    folders = [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"] if multiarch else []
    folders = [os.path.realpath(f) for f in folders + ["/lib64", "/usr/lib64"]
               if os.path.isdir(f)]
    folders = sorted(set(folders))
    found.binds += [(f, f) for f in folders]
    loader = elf_interpreter(executable)
    if loader:
        where = os.path.join(os.path.realpath(os.path.dirname(loader)), os.path.basename(loader))
        if os.path.exists(where) and not any(where.startswith(f + "/") for f in folders):
            found.binds.append((where, where))
    prlimit = shutil.which("prlimit")  # sets the per-process limits (:func:`_limited`)
    if prlimit:
        found.binds.append((os.path.realpath(prlimit), prlimit))
    if os.path.exists("/etc/ld.so.cache"):
        found.binds.append(("/etc/ld.so.cache", "/etc/ld.so.cache"))
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and os.path.isdir(libdir) and os.path.realpath(libdir) not in folders:
        for library in sorted(glob.glob(os.path.join(libdir, "lib*.so*"))):
            if os.path.isfile(library):
                found.binds.append((library, library))
    base = {"base": sys.base_prefix, "installed_base": sys.base_prefix,
            "platbase": sys.base_exec_prefix, "installed_platbase": sys.base_exec_prefix}
    stdlibs = {os.path.realpath(os.path.dirname(os.__file__)),
               os.path.realpath(sysconfig.get_path("platstdlib", vars=base))}
    for stdlib in sorted(stdlibs):
        if os.path.isdir(stdlib) and not any(stdlib.startswith(f + "/") for f in folders):
            found.binds.append((stdlib, stdlib))
        for packages in ("site-packages", "dist-packages"):
            if os.path.isdir(os.path.join(stdlib, packages)):
                found.masks.append(os.path.join(stdlib, packages))
    return found


def seccomp() -> tuple[bytes | None, str]:
    """``(BPF program, what the sandbox column says)``: none on an unknown architecture."""
    try:
        return iso.seccomp_filter(), "seccomp"
    except iso.UnsupportedArchitecture:
        return None, f"no seccomp (unknown architecture {iso.machine()})"


class Isolation:
    """What confines a submission on this machine (found once by :func:`isolation`)."""

    def __init__(self, bwrap: str):
        self.bwrap = bwrap
        self.seccomp, self.seccomp_note = seccomp()
        self.keyctl = iso.syscall_number("keyctl")
        self.cgroups, self.cgroup_note = iso.usable_cgroups()
        self.uids = iso.UidPool() if os.geteuid() == 0 else None
        self.uid_note = "own uid per job" if self.uids else "the grader's own uid"
        if self.uids and not self._works():
            self.uids, self.uid_note = None, "root (could not drop to an unprivileged uid)"

    def _works(self) -> bool:
        """Whether a trivial program runs in the sandbox as an unprivileged uid here."""
        with tempfile.TemporaryDirectory(prefix="cnnlib-probe-") as folder:
            staged = Path(folder) / "staged"
            staged.mkdir()
            (staged / BINDS).write_text("{}")
            python, _ = _interpreter()
            uid, fds = self.uids.acquire(), []
            try:
                cmd, fds = self.command(staged, Limits(), uid, [python, "-I", "-S", "-c", ""])
                probe = subprocess.run(cmd, pass_fds=fds, capture_output=True, timeout=30)
                return probe.returncode == 0
            except (OSError, subprocess.SubprocessError):
                return False
            finally:
                self.uids.release(uid)
                for fd in fds:
                    os.close(fd)

    def describe(self) -> str:
        """E.g. ``"bwrap, seccomp, cgroup v1 (memory, pids, cpu), own uid per job"``."""
        limits = self.cgroups.describe() if self.cgroups else "rlimits only"
        return f"bwrap, {self.seccomp_note}, {limits}, {self.uid_note}"

    def command(self, staged: Path, limits: Limits, uid: int | None, inner: list,
                cgroup_procs: tuple = ()) -> tuple[list, list]:
        """``(launcher command, fds to pass)`` that runs ``inner`` in the sandbox."""
        binds, view = [], []
        wanted = [(s, d) for s, d in system().binds]
        wanted.append((str(staged), GRADER_DIR))
        for name, real in json.loads((staged / BINDS).read_text()).items():  # numpy
            wanted.append((real, f"{GRADER_DIR}/lib/{name}"))
        if uid is not None:
            hidden = [s for s, _ in wanted if not iso.reachable(s)]
            if hidden:
                hidden += [s for s, _ in wanted if (s + "/").startswith(iso.VIEW + "/")]
            for source, dest in wanted:
                if source in hidden:
                    name = str(len(view))
                    view.append((source, name))
                    source = f"{iso.VIEW}/{name}"
                binds.append((source, dest))
        else:
            binds = wanted
        fds = []
        cmd = [self.bwrap, "--unshare-all", "--unshare-user", "--disable-userns",
               "--die-with-parent", "--new-session", "--as-pid-1", "--cap-drop", "ALL",
               "--clearenv", "--hostname", "sandbox"]
        for target, link in system().links:
            cmd += ["--symlink", target, link]
        for source, dest in binds:
            cmd += ["--ro-bind", source, dest]
        for mask in system().masks:
            cmd += ["--tmpfs", mask, "--remount-ro", mask]
        size = str(limits.scratch_mb * 2**20)
        cmd += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
                "--remount-ro", "/dev", "--size", size, "--tmpfs", "/tmp",
                "--size", size, "--tmpfs", SCRATCH, "--remount-ro", "/", "--chdir", SCRATCH]
        for key, value in _environment(SCRATCH).items():
            cmd += ["--setenv", key, value]
        if self.seccomp is not None:
            fd = os.memfd_create("cnnlib-seccomp", 0)
            os.write(fd, self.seccomp)
            os.lseek(fd, 0, os.SEEK_SET)
            fds.append(fd)
            cmd += ["--seccomp", str(fd)]
        python, _ = _interpreter()
        launcher = iso.launcher_command(python, cmd + ["--"] + inner, list(cgroup_procs), uid,
                                        view, self.keyctl)
        return launcher, fds


@functools.lru_cache(maxsize=4)
def isolation(bwrap: str) -> Isolation:
    """What confines submissions here (probed once per bwrap and process)."""
    return Isolation(bwrap)


def describe(sandbox: bool, bwrap: str | None) -> str:
    """The sandbox column of the CSV: what confines each submission on this machine."""
    if not sandbox:
        return "none (--no-sandbox)"
    return isolation(bwrap).describe() if bwrap else "bwrap"


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


#: The runner's supervisor exits with this status when the student's side wrote more than
#: the answers' limit (see :mod:`cnnlib.homework.runner`).
FLOODED = 3


def request_bytes(cells: list, task: dict, limits: Limits) -> bytes:
    """What the runner reads on stdin: the cells part (its length first), then the task.

    The supervisor reads exactly the cells part before it starts the student's process, and the
    task (with the call inputs) only afterwards, so the student's process never holds the task.
    """
    first = json.dumps({"cells": cells, "budget": limits.seconds * 0.85,
                        "output_bytes": limits.output_bytes}).encode()
    return f"{len(first)}\n".encode() + first + json.dumps(task).encode()


def run(cells: list, task: dict, staged: Path, limits: Limits, sandbox: bool = True,
        bwrap: str | None = None) -> Run:
    """Run the runner on ``cells`` with ``task``; return its answer lines (capped)."""
    request = request_bytes(cells, task, limits)
    if not sandbox:
        with tempfile.TemporaryDirectory(prefix="cnnlib-nosandbox-") as home:
            python, _ = _interpreter()
            cmd = _limited(python, str(staged / "runner.py"), str(staged / "lib"), limits)
            result = _capped(cmd, request, limits, _environment(home), home, ())
        result.isolation = describe(False, None)
        return result
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not available")
    confine = isolation(bwrap)
    python, _ = _interpreter()
    inner = _limited(python, f"{GRADER_DIR}/runner.py", f"{GRADER_DIR}/lib", limits)
    leaf, note = None, confine.describe()
    if confine.cgroups is not None:
        try:
            leaf = confine.cgroups.leaf(limits.memory_mb * 2**20, limits.processes)
        except OSError as error:  # should not happen after the probe: say so in the row
            note = note.replace(confine.cgroups.describe(), f"rlimits only ({error.strerror})")
    uid = confine.uids.acquire() if confine.uids else None
    fds, peak = [], None
    try:
        cmd, fds = confine.command(staged, limits, uid, inner,
                                   leaf.procs_files if leaf else ())
        result = _capped(cmd, request, limits, {}, None, fds)
    finally:
        for fd in fds:
            os.close(fd)
        if leaf is not None:
            peak = leaf.peak_memory()
            leaf.kill_and_remove()  # everything the submission started, setsid() or not
        if uid is not None:
            confine.uids.release(uid)
    result.isolation, result.memory_peak = note, peak
    return result


def _capped(cmd, request: bytes, limits: Limits, env, cwd, fds) -> Run:
    """Run ``cmd``, feed it ``request``, read at most ``output_bytes``; kill at the deadline."""
    start = time.monotonic()
    process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                               start_new_session=True, pass_fds=fds)
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
            process.stdin.write(request)
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
    if process.returncode == FLOODED and not timed_out:
        flooded.set()
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

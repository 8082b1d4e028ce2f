"""Confinement of a submission beyond bubblewrap: limits per submission, seccomp, uid, keyring.

:mod:`cnnlib.homework.instructor.sandbox` runs each submission through a small *launcher* (a Python
process started with ``-I -S``, code in :data:`LAUNCHER`) which, before it executes ``bwrap``:

1. puts itself into the submission's own **cgroup** leaf (:class:`Cgroups`, :class:`Leaf`):
   cgroup v2 when our cgroup can delegate memory, pids and cpu to a child, else cgroup v1
   (memory, pids, cpu hierarchies), else nothing (then only the per-process rlimits the sandbox
   sets with ``prlimit`` apply). The leaf caps the whole submission, every process it starts
   (even after ``setsid()``) included: memory (``--memory``, tmpfs pages included), processes
   (:attr:`Limits.processes`) and CPU (one core). Everything in it is killed and the leaf removed
   after the run;
2. when the grader runs as root, drops to an **unprivileged uid**, one per job slot
   (:data:`UID_BASE` + pid x 64 + slot, no passwd entry; :class:`UidPool`), so RLIMIT_NPROC also
   counts per submission. Files the sandbox binds that this uid cannot reach (a pyenv under
   ``/root``, the grader's private temporary folder) are first bound, as root, into a private
   mount namespace of the launcher (``view``) where it can;
3. joins a new, empty **session keyring**, so that the instructor's keys are not reachable;

and bubblewrap loads a **seccomp** filter (:func:`seccomp_filter`, a classic-BPF program built
here with :mod:`struct`; no dependency: the few dozen instructions are easy to read and test, and
``pyseccomp``, a ctypes wrapper of libseccomp last released in 2021, would add a C library and
an unmaintained binding for them) that makes :data:`DENIED` syscalls fail with EPERM.

:func:`describe` says in a few words what a machine gives, e.g.
``"bwrap, seccomp, cgroup v1 (memory, pids, cpu), own uid"``: it goes into the CSV's sandbox
column.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import pwd
import stat
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------
# seccomp
# --------------------------------------------------------------------------------------------

#: Syscalls a submission never needs and an attacker would like: keyrings, tracing other
#: processes, kernel modules and images, mounts and namespaces, BPF, io_uring, swap, clocks.
DENIED = (
    "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "process_vm_writev",
    "pidfd_getfd", "kcmp", "perf_event_open", "userfaultfd", "bpf", "mount", "umount2",
    "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "setns", "unshare", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "lookup_dcookie", "name_to_handle_at",
    "open_by_handle_at", "syslog", "vhangup", "settimeofday", "clock_settime", "adjtimex",
    "clock_adjtime", "iopl", "ioperm",
)
#: ``machine -> (AUDIT_ARCH_*, {syscall: number})``: numbers of <asm/unistd_64.h> (x86_64)
#: and <asm-generic/unistd.h> (aarch64). A syscall an architecture lacks is simply absent.
ARCHITECTURES = {
    "x86_64": (0xC000003E, {
        "keyctl": 250, "add_key": 248, "request_key": 249, "ptrace": 101,
        "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438, "kcmp": 312,
        "perf_event_open": 298, "userfaultfd": 323, "bpf": 321, "mount": 165, "umount2": 166,
        "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429, "fsopen": 430,
        "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "setns": 308,
        "unshare": 272, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
        "finit_module": 313, "delete_module": 176, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "swapon": 167, "swapoff": 168, "reboot": 169, "acct": 163,
        "quotactl": 179, "lookup_dcookie": 212, "name_to_handle_at": 303,
        "open_by_handle_at": 304, "syslog": 103, "vhangup": 153, "settimeofday": 164,
        "clock_settime": 227, "adjtimex": 159, "clock_adjtime": 305, "iopl": 172, "ioperm": 173,
    }),
    "aarch64": (0xC00000B7, {
        "keyctl": 219, "add_key": 217, "request_key": 218, "ptrace": 117,
        "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438, "kcmp": 272,
        "perf_event_open": 241, "userfaultfd": 282, "bpf": 280, "mount": 40, "umount2": 39,
        "pivot_root": 41, "chroot": 51, "open_tree": 428, "move_mount": 429, "fsopen": 430,
        "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "setns": 268,
        "unshare": 97, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105,
        "finit_module": 273, "delete_module": 106, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "swapon": 224, "swapoff": 225, "reboot": 142, "acct": 89,
        "quotactl": 60, "lookup_dcookie": 18, "name_to_handle_at": 264,
        "open_by_handle_at": 265, "syslog": 116, "vhangup": 58, "settimeofday": 170,
        "clock_settime": 112, "adjtimex": 171, "clock_adjtime": 266,
    }),
}
ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}
#: x86_64's x32 ABI sets this bit in the syscall number: refused as a whole.
X32_BIT = 0x40000000

# classic BPF (linux/filter.h, linux/seccomp.h)
_LD_W_ABS = 0x20            # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15               # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35               # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06               # BPF_RET | BPF_K
_RET_ALLOW = 0x7FFF0000     # SECCOMP_RET_ALLOW
_RET_ERRNO = 0x00050000     # SECCOMP_RET_ERRNO | errno
_NR, _ARCH = 0, 4           # offsets in struct seccomp_data


class UnsupportedArchitecture(RuntimeError):
    """No syscall table here for this machine's architecture."""


def machine() -> str:
    """This machine's architecture as :data:`ARCHITECTURES` names it."""
    name = platform.machine().lower()
    return ALIASES.get(name, name)


def seccomp_filter(arch: str | None = None) -> bytes:
    """The classic-BPF program (``struct sock_filter[]``) that bwrap's ``--seccomp`` loads.

    It returns EPERM for every :data:`DENIED` syscall, for a syscall of another architecture
    (e.g. 32-bit calls on x86_64) and for x86_64's x32 calls, and allows everything else.

    Raises
    ------
    UnsupportedArchitecture
        When ``arch`` (default: this machine's) has no table in :data:`ARCHITECTURES`.
    """
    arch = arch or machine()
    if arch not in ARCHITECTURES:
        raise UnsupportedArchitecture(
            f"no seccomp syscall table for architecture {arch!r}; known: "
            f"{', '.join(sorted(ARCHITECTURES))}")
    audit_arch, numbers = ARCHITECTURES[arch]
    denied = sorted({numbers[name] for name in DENIED if name in numbers})
    deny = (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM)
    program = [(_LD_W_ABS, 0, 0, _ARCH), (_JEQ_K, 1, 0, audit_arch), deny,
               (_LD_W_ABS, 0, 0, _NR)]
    checks = [(_JGE_K, 0, 0, X32_BIT)] if arch == "x86_64" else []
    checks += [(_JEQ_K, 0, 0, number) for number in denied]
    for index, (code, _, jf, k) in enumerate(checks):  # true: jump over the rest to "deny"
        program.append((code, len(checks) - index, jf, k))
    program += [(_RET_K, 0, 0, _RET_ALLOW), deny]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


def syscall_number(name: str, arch: str | None = None) -> int | None:
    """The number of syscall ``name`` here (None on an unknown architecture)."""
    table = ARCHITECTURES.get(arch or machine())
    return table[1].get(name) if table else None


# --------------------------------------------------------------------------------------------
# cgroups
# --------------------------------------------------------------------------------------------

CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000   # with a quota of one period: one core per submission


@dataclass
class Leaf:
    """One submission's cgroup: one folder (v2) or one per controller (v1)."""

    version: int
    folders: dict  # controller (v1) or "" (v2) -> Path

    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a process writes its pid into to join the leaf."""
        return [str(folder / "cgroup.procs") for folder in self.folders.values()]

    def peak_memory(self) -> int | None:
        """The most memory the leaf held at once, in bytes (None when the kernel does not say)."""
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        folder = self.folders.get("" if self.version == 2 else "memory")
        try:
            return int((folder / name).read_text().split()[0]) if folder else None
        except (OSError, ValueError, IndexError):
            return None

    def pids(self) -> set:
        found = set()
        for path in self.procs_files:
            try:
                found |= {int(p) for p in Path(path).read_text().split()}
            except (OSError, ValueError):
                pass
        return found

    def kill_and_remove(self, seconds: float = 5.0) -> None:
        """SIGKILL everything in the leaf (until it stays empty), then remove its folders."""
        kill = self.folders.get("", Path("/nonexistent")) / "cgroup.kill"
        if self.version == 2 and kill.exists():
            _write(kill, "1")
        deadline = time.monotonic() + seconds
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)
        for folder in self.folders.values():
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)


@dataclass
class Cgroups:
    """Where this process can make submission leaves: ``parents`` as in :class:`Leaf`."""

    version: int
    parents: dict
    _count: list = field(default_factory=lambda: [0])
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def controllers(self) -> list[str]:
        return list(CONTROLLERS) if self.version == 2 else [c for c in CONTROLLERS
                                                            if c in self.parents]

    def describe(self) -> str:
        return f"cgroup v{self.version} ({', '.join(self.controllers)})"

    def leaf(self, memory_bytes: int, processes: int) -> Leaf:
        """A new leaf with the limits set (memory total, pids total, one core of CPU).

        Raises OSError when the kernel refuses (the caller then runs without a leaf).
        """
        with self._lock:
            self._count[0] += 1
            name = f"cnnlib-sandbox-{os.getpid()}-{self._count[0]}"
        folders = {key: parent / name for key, parent in self.parents.items()}
        leaf = Leaf(self.version, {})
        try:
            for key, folder in folders.items():
                folder.mkdir()
                leaf.folders[key] = folder
            if self.version == 2:
                folder = folders[""]
                _write(folder / "memory.max", str(memory_bytes))
                _write(folder / "memory.swap.max", "0", optional=True)
                _write(folder / "pids.max", str(processes))
                _write(folder / "cpu.max", f"{CPU_PERIOD_US} {CPU_PERIOD_US}")
            else:
                if "memory" in folders:
                    _write(folders["memory"] / "memory.limit_in_bytes", str(memory_bytes))
                    _write(folders["memory"] / "memory.memsw.limit_in_bytes", str(memory_bytes),
                           optional=True)
                if "pids" in folders:
                    _write(folders["pids"] / "pids.max", str(processes))
                if "cpu" in folders:
                    _write(folders["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
                    _write(folders["cpu"] / "cpu.cfs_quota_us", str(CPU_PERIOD_US))
        except OSError:
            leaf.kill_and_remove(seconds=1)
            raise
        return leaf


def _write(path: Path, text: str, optional: bool = False) -> None:
    try:
        with open(path, "w") as file:
            file.write(text)
    except OSError:
        if not optional:
            raise


def _mounts(mountinfo: str) -> list[tuple[str, str, str, set]]:
    """``(root, mount point, fstype, super options)`` of each line of /proc/self/mountinfo."""
    mounts = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3:
            unescape = fields[4].replace("\\040", " ")
            mounts.append((fields[3], unescape, tail[0], set(tail[2].split(","))))
    return mounts


def _inside(mount_root: str, mount_point: str, path: str) -> Path | None:
    """The folder of cgroup ``path`` under a mount of cgroup ``mount_root``, if it shows it."""
    if mount_root == "/":
        return Path(mount_point + path)
    if path == mount_root or path.startswith(mount_root.rstrip("/") + "/"):
        return Path(mount_point + path[len(mount_root):])
    return None


def find_cgroups(proc_cgroup: str | None = None, mountinfo: str | None = None) -> tuple:
    """``(Cgroups or None, why not)``: where submission leaves can be made.

    cgroup v2 first: our own cgroup must offer memory, pids and cpu, and either already
    delegate them (``cgroup.subtree_control``) or accept that we enable them there (the kernel
    refuses while the cgroup itself holds processes: run the grader in a cgroup of its own whose
    children may have them, e.g. a delegated systemd scope). Then cgroup v1: a writable
    hierarchy for memory, pids and/or cpu. Leaves are made under the cgroup this process is in.
    """
    if proc_cgroup is None:
        proc_cgroup = _read("/proc/self/cgroup")
    if mountinfo is None:
        mountinfo = _read("/proc/self/mountinfo")
    ours = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                ours[controller] = parts[2]
    mounts = _mounts(mountinfo)
    reasons = []
    if "" in ours:
        for root, point, fstype, _ in mounts:
            if fstype == "cgroup2" and (folder := _inside(root, point, ours[""])) is not None:
                usable, reason = _v2_usable(folder)
                if usable:
                    return Cgroups(2, {"": folder}), ""
                reasons.append(f"cgroup v2 at {folder}: {reason}")
                break
    parents = {}
    for controller in CONTROLLERS:
        for root, point, fstype, options in mounts:
            if fstype == "cgroup" and controller in options and controller in ours:
                folder = _inside(root, point, ours[controller])
                if folder is not None and os.access(folder, os.W_OK | os.X_OK):
                    parents[controller] = folder
                    break
    if parents:
        return Cgroups(1, parents), ""
    reasons.append("no writable cgroup v1 hierarchy for memory, pids or cpu")
    return None, "; ".join(reasons)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _v2_usable(folder: Path) -> tuple[bool, str]:
    available = set(_read(str(folder / "cgroup.controllers")).split())
    missing = [c for c in CONTROLLERS if c not in available]
    if missing:
        return False, f"controllers {', '.join(missing)} not available"
    if set(CONTROLLERS) <= set(_read(str(folder / "cgroup.subtree_control")).split()):
        return True, ""
    try:
        _write(folder / "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS))
    except OSError as error:
        return False, f"cannot delegate {', '.join(CONTROLLERS)} ({error.strerror})"
    return True, ""


def usable_cgroups(memory_bytes: int = 2**28, processes: int = 8) -> tuple:
    """:func:`find_cgroups`, then proof that a leaf can be made and removed here."""
    cgroups, reason = find_cgroups()
    if cgroups is None:
        return None, reason
    try:
        cgroups.leaf(memory_bytes, processes).kill_and_remove(seconds=1)
    except OSError as error:
        return None, f"cannot make a cgroup under {list(cgroups.parents.values())[0]}: {error}"
    return cgroups, ""


# --------------------------------------------------------------------------------------------
# uids
# --------------------------------------------------------------------------------------------

#: First uid of the sandboxes (one per job slot): above the ranges that Debian, systemd
#: (dynamic users 61184-65519, containers 524288-1879048191) and useradd hand out.
UID_BASE = 1_900_000_000
#: Uids of one grading process: one per job slot (``--jobs`` is at most 64).
SLOTS = 64


class UidPool:
    """Unprivileged uids (and gids), one per concurrently running submission.

    A uid without a passwd entry owns nothing on this machine; one per job slot keeps
    RLIMIT_NPROC (counted per uid) a limit per submission. Slots whose uid has a passwd entry
    are skipped.
    """

    def __init__(self, base: int | None = None):
        # each grading process its own range of uids (by its pid: at most 4,194,304 * 64 above
        # UID_BASE, below 2**32), so that two graders running at once (two courses, pytest's
        # workers) never share a uid, and so never an RLIMIT_NPROC count
        self.base = UID_BASE + os.getpid() * SLOTS if base is None else base
        self.busy: set = set()
        self.lock = threading.Lock()

    def acquire(self) -> int:
        with self.lock:
            uid = self.base
            while uid in self.busy or _has_user(uid):
                uid += 1
            self.busy.add(uid)
            return uid

    def release(self, uid: int) -> None:
        with self.lock:
            self.busy.discard(uid)


def _has_user(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def reachable(path: str) -> bool:
    """Whether a uid that is neither owner nor group can reach and read ``path``."""
    real = os.path.realpath(path)
    parts = Path(real).parents
    try:
        if not all(os.stat(p).st_mode & stat.S_IXOTH for p in parts):
            return False
        mode = os.stat(real).st_mode
    except OSError:
        return False
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & need == need


# --------------------------------------------------------------------------------------------
# the launcher
# --------------------------------------------------------------------------------------------

#: Where the launcher mounts its view (in its own, private mount namespace: no one else sees it).
VIEW = "/tmp"

#: Run as ``python -I -S -c LAUNCHER SPEC``: joins the cgroups, builds the view (root only),
#: drops to the uid, joins a new session keyring, executes ``argv``. Fails with status 126.
LAUNCHER = r'''
import ctypes, json, os, sys
spec = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
libc.unshare.argtypes = [ctypes.c_int]
def fail(what, number=None):
    number = ctypes.get_errno() if number is None else number
    os.write(2, f"cnnlib sandbox launcher: {what}: {os.strerror(number)}\n".encode())
    os._exit(126)
def check(result, what):
    if result < 0:
        fail(what)
try:
    for path in spec["cgroups"]:
        with open(path, "w") as file:
            file.write(str(os.getpid()))
    view = spec.get("view")
    if view:
        check(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
        check(libc.mount(None, b"/", None, 0x4000 | 0x40000, None), "make mounts private")
        fds = [os.open(source, os.O_PATH | os.O_CLOEXEC) for source, _ in view["binds"]]
        check(libc.mount(b"tmpfs", view["at"].encode(), b"tmpfs", 0x2 | 0x4,
                         b"mode=0755,size=1m"), "mount the view")
        for fd, (source, name) in zip(fds, view["binds"]):
            target = os.path.join(view["at"], name)
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(target)
            else:
                open(target, "x").close()
            check(libc.mount(f"/proc/self/fd/{fd}".encode(), target.encode(), None, 0x1000,
                             None), f"bind {source}")
            os.close(fd)
    if spec["uid"] is not None:
        os.setgroups([])
        os.setresgid(spec["uid"], spec["uid"], spec["uid"])
        os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    if spec["keyctl"] is not None:
        check(libc.syscall(ctypes.c_long(spec["keyctl"]), ctypes.c_long(1), ctypes.c_void_p(None)),
              "join a new session keyring")
    os.execv(spec["argv"][0], spec["argv"])
except OSError as error:
    fail(str(error.filename or "setup"), error.errno or 0)
'''


def launcher_command(python: str, argv: list, cgroups: list, uid: int | None,
                     view_binds: list, keyctl: int | None) -> list[str]:
    """``python -I -S -c LAUNCHER spec``: see :data:`LAUNCHER`.

    ``view_binds`` are ``(source, name)``: each ``source`` appears at ``VIEW/name`` for the
    command (``name`` a simple file name).
    """
    spec = {"cgroups": cgroups, "uid": uid, "keyctl": keyctl, "argv": argv,
            "view": {"at": VIEW, "binds": view_binds} if view_binds else None}
    return [python, "-I", "-S", "-c", LAUNCHER, json.dumps(spec)]

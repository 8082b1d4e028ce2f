"""The grading sandbox: limits per submission, sized tmpfs, seccomp, keyring, uid, what it shows,
and the answers' channel (:mod:`cnnlib.homework.instructor.sandbox`,
:mod:`cnnlib.homework.instructor.isolation`, :mod:`cnnlib.homework.runner`).

Oracles: the syscall numbers of the kernel's own headers and a classic-BPF interpreter written
here (the seccomp program); fake cgroup trees (what is written where); and, for the hostile
submissions of ``tests/hostile_submissions/sandbox/``, what ``/proc`` shows of their processes
while they run (the sum of their proportional set sizes, how many there are), what they report
about themselves (the reason column: our own notebooks), and the rows of honest classmates
graded beside them.
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import shutil
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest
from test_homework import (
    BWRAP,
    HOSTILE_DIR,
    SAMPLES_DIR,
    needs_bwrap,
    read_csv,
    runners_alive,
    sandbox_turn,
)

from cnnlib.homework import runner
from cnnlib.homework.instructor import grader, isolation, sandbox
from cnnlib.homework.instructor import reference as ref

SANDBOX_HOSTILE = HOSTILE_DIR / "sandbox"
TIMEOUT = 15
CONFINED = sandbox.isolation(BWRAP) if BWRAP else None
needs_cgroups = pytest.mark.skipif(
    CONFINED is None or CONFINED.cgroups is None,
    reason="no usable cgroup here: " + (CONFINED.cgroup_note if CONFINED else "no bwrap"))


# --------------------------------------------------------------------------------------------
# seccomp
# --------------------------------------------------------------------------------------------

HEADERS = {"x86_64": ["/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
                      "/usr/include/asm/unistd_64.h"],
           "aarch64": ["/usr/include/asm-generic/unistd.h"]}


@pytest.mark.parametrize("arch", sorted(isolation.ARCHITECTURES))
def test_syscall_numbers_are_the_kernel_headers(arch):
    header = next((Path(h) for h in HEADERS[arch] if Path(h).exists()), None)
    if header is None:
        pytest.skip(f"no kernel header for {arch} here")
    text = header.read_text()
    table = isolation.ARCHITECTURES[arch][1]
    for name, number in table.items():
        defined = [line.split()[2] for line in text.splitlines()
                   if line.split()[:2] in (["#define", f"__NR_{name}"],
                                           ["#define", f"__NR3264_{name}"])]
        assert defined == [str(number)], (arch, name)
    assert set(table) <= set(isolation.DENIED)


def run_bpf(program: bytes, number: int, arch: int) -> int:
    """What a classic-BPF seccomp program returns for one syscall (an interpreter for the
    four instructions a filter needs: load a word, jump if equal / greater or equal, return)."""
    data = struct.pack("=iI", number, arch) + bytes(56)   # struct seccomp_data
    code = [struct.unpack_from("=HBBI", program, i) for i in range(0, len(program), 8)]
    pc, accumulator = 0, 0
    while True:
        op, jt, jf, k = code[pc]
        if op == 0x20:
            accumulator = struct.unpack_from("=I", data, k)[0]
            pc += 1
        elif op in (0x15, 0x35):
            taken = accumulator == k if op == 0x15 else accumulator >= k
            pc += 1 + (jt if taken else jf)
        elif op == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected instruction {op:#x}")


@pytest.mark.parametrize("arch", sorted(isolation.ARCHITECTURES))
def test_seccomp_filter_denies_the_list_and_other_architectures(arch):
    program = isolation.seccomp_filter(arch)
    audit, table = isolation.ARCHITECTURES[arch]
    eperm, allow = 0x00050000 | 1, 0x7FFF0000
    for name in ("keyctl", "add_key", "request_key", "ptrace", "perf_event_open",
                 "userfaultfd", "mount", "umount2", "pivot_root", "bpf", "setns", "unshare",
                 "kexec_load", "init_module"):
        assert run_bpf(program, table[name], audit) == eperm, name
    allowed = set(range(460)) - set(table.values())
    assert {run_bpf(program, n, audit) for n in allowed} == {allow}
    other = next(a for a, _ in isolation.ARCHITECTURES.values() if a != audit)
    assert run_bpf(program, 0, other) == eperm            # a call of another architecture
    assert run_bpf(program, 0, 0x40000003) == eperm       # i386 on x86_64
    if arch == "x86_64":
        assert run_bpf(program, 0x40000000 | 39, audit) == eperm   # x32 getpid


def test_seccomp_refuses_an_unknown_architecture_and_says_so(monkeypatch):
    with pytest.raises(isolation.UnsupportedArchitecture, match="sparc64.*aarch64, x86_64"):
        isolation.seccomp_filter("sparc64")
    monkeypatch.setattr(isolation, "machine", lambda: "sparc64")
    assert sandbox.seccomp() == (None, "no seccomp (unknown architecture sparc64)")


# --------------------------------------------------------------------------------------------
# cgroups, uids, what is bound
# --------------------------------------------------------------------------------------------

def fake_files(folder: Path, files: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def test_cgroup_v2_leaf_under_our_own_cgroup(tmp_path):
    ours = tmp_path / "unified" / "grader.scope"
    fake_files(ours, {"cgroup.controllers": "cpuset cpu io memory pids",
                      "cgroup.subtree_control": ""})
    mountinfo = f"30 25 0:26 / {tmp_path}/unified rw,nosuid - cgroup2 cgroup2 rw\n"
    cgroups, reason = isolation.find_cgroups("0::/grader.scope\n", mountinfo)
    assert (cgroups.version, cgroups.parents, reason) == (2, {"": ours}, "")
    assert set((ours / "cgroup.subtree_control").read_text().split()) == {
        "+memory", "+pids", "+cpu"}
    leaf = cgroups.leaf(256 * 2**20, 64)
    (folder,) = leaf.folders.values()
    assert folder.parent == ours
    assert [(folder / n).read_text() for n in ("memory.max", "pids.max", "cpu.max")] == [
        str(256 * 2**20), "64", "100000 100000"]
    assert leaf.procs_files == [str(folder / "cgroup.procs")]
    assert cgroups.describe() == "cgroup v2 (memory, pids, cpu)"


def test_cgroup_v1_when_v2_has_no_controllers(tmp_path):
    fake_files(tmp_path / "unified", {"cgroup.controllers": ""})
    for name in ("memory", "pids", "cpu"):
        fake_files(tmp_path / name / "session", {})
    proc = "4:memory:/session\n8:pids:/session\n1:cpu,cpuacct:/session\n0::/\n"
    mountinfo = "".join(f"3{i} 25 0:2{i} / {tmp_path}/{name} rw - cgroup cgroup rw,{opts}\n"
                        for i, (name, opts) in enumerate([("memory", "memory"), ("pids", "pids"),
                                                          ("cpu", "cpu,cpuacct")]))
    mountinfo += f"40 25 0:40 / {tmp_path}/unified rw - cgroup2 cgroup2 rw\n"
    cgroups, _ = isolation.find_cgroups(proc, mountinfo)
    assert cgroups.version == 1 and cgroups.describe() == "cgroup v1 (memory, pids, cpu)"
    leaf = cgroups.leaf(300 * 2**20, 32)
    read = {key: {f.name: f.read_text() for f in folder.iterdir()}
            for key, folder in leaf.folders.items()}
    assert read == {"memory": {"memory.limit_in_bytes": str(300 * 2**20),
                               "memory.memsw.limit_in_bytes": str(300 * 2**20)},
                    "pids": {"pids.max": "32"},
                    "cpu": {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "100000"}}
    assert {Path(p).parent.parent for p in leaf.procs_files} == {
        tmp_path / n / "session" for n in ("memory", "pids", "cpu")}


def test_no_cgroup_says_why(tmp_path):
    fake_files(tmp_path / "unified", {"cgroup.controllers": "memory"})
    cgroups, reason = isolation.find_cgroups(
        "0::/\n", f"40 25 0:40 / {tmp_path}/unified rw - cgroup2 cgroup2 rw\n")
    assert cgroups is None
    assert "controllers pids, cpu not available" in reason and "no writable cgroup v1" in reason


def test_uid_pool_gives_each_running_job_its_own_uid(monkeypatch):
    monkeypatch.setattr(isolation, "_has_user", lambda uid: uid == isolation.UID_BASE + 1)
    assert isolation.UidPool().base == isolation.UID_BASE + os.getpid() * isolation.SLOTS
    pool = isolation.UidPool(isolation.UID_BASE)
    first, second = pool.acquire(), pool.acquire()
    assert (first, second) == (isolation.UID_BASE, isolation.UID_BASE + 2)
    pool.release(first)
    assert pool.acquire() == first


def test_only_what_runs_is_bound():
    shown = sandbox.system()
    sources = {source for source, _ in shown.binds}
    prefix = os.path.realpath(sys.base_prefix)
    for whole in ("/", "/usr", "/usr/local", "/usr/share", "/usr/local/src", prefix,
                  os.path.dirname(prefix), "/usr/lib", "/home", "/root"):
        assert whole not in sources, whole
    executable = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    assert executable in sources
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    assert stdlib in sources or any(stdlib.startswith(s + "/") for s in sources)
    assert all(not s.startswith(prefix + "/") or s == executable or s.startswith(stdlib)
               or "/lib/lib" in s for s in sources), "only the interpreter's runtime"
    if os.path.isdir(os.path.join(stdlib, "site-packages")):
        assert os.path.join(stdlib, "site-packages") in shown.masks


# --------------------------------------------------------------------------------------------
# The answers' channel (without bubblewrap: the supervisor works the same)
# --------------------------------------------------------------------------------------------

def answers_of(cells: list, homework: str, tmp_path: Path, use_sandbox: bool,
               limits: sandbox.Limits | None = None):
    staged = tmp_path / "staged"
    sandbox.stage_libraries(staged, homework == ref.HW2, links=not use_sandbox)
    task, _ = ref.grading_task(homework, 7)
    run = sandbox.run(cells, task, staged, limits or sandbox.Limits(seconds=TIMEOUT),
                      sandbox=use_sandbox, bwrap=BWRAP)
    return run, grader.read_answers(run.lines)


FORGE = '''
import json, os
forged = [{"kind": "value", "name": "conv1_shape", "value": [96, 110, 110]},
          {"kind": "value", "name": "conv1_params", "value": 14208}]
for fd in range(64):
    for record in forged + ([{"kind": "ready"}] if READY else []) + forged + [{"kind": "done"}]:
        try:
            os.write(fd, (json.dumps(record) + "\\n").encode())
        except OSError:
            pass
'''


@pytest.mark.parametrize("ready", [False, True], ids=["records", "fake ready and records"])
def test_records_written_by_a_cell_are_never_answers(tmp_path, ready):
    run, (answers, errors, done, _) = answers_of([f"READY = {ready}", FORGE, "pool1_params = 0"],
                                                 ref.HW1, tmp_path, use_sandbox=False)
    assert answers["values"].get("conv1_shape") in (None, {"missing": True})
    assert answers["values"].get("conv1_params") in (None, {"missing": True})
    assert errors == []
    if not ready:
        assert done and answers["values"]["pool1_params"] == 0
    # after a fake "ready" the task may already be in the collector's pipe when it discards
    # what cells wrote there: then the submission gets no answers at all, never forged ones
    assert answers["values"].get("pool1_params") in (0, None)


def test_a_record_out_of_order_ends_the_answers(tmp_path):
    sneaky = '''
import gc, json, os
def conv2d_forward(x, w, b, stride=1, padding=0):
    runner = next(o for o in gc.get_objects() if type(o).__name__ == "Runner")
    os.write(runner.out, (json.dumps({"kind": "call", "id": "max_pool2d_forward/0",
                                      "result": 1, "nonce": runner.nonce}) + "\\n").encode())
    raise NotImplementedError
'''
    run, (answers, _, done, _) = answers_of([sneaky], ref.HW3, tmp_path, use_sandbox=False)
    assert run.returncode == runner.OUT_OF_ORDER and not done
    assert answers["calls"] == {}


# --------------------------------------------------------------------------------------------
# Hostile submissions, graded in the sandbox
# --------------------------------------------------------------------------------------------

class Watch:
    """Samples, every 0.1 s, the processes of each sandbox this process started: their number
    and the sum of their proportional set sizes (PSS, so shared pages count once)."""

    def __init__(self):
        self.peak_kb, self.most, self.stop = {}, {}, threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def sample(self):
        me = str(os.getpid())
        while not self.stop.is_set():
            parents, totals, counts = {}, {}, {}
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/stat") as file:
                        parents[pid] = file.read().rsplit(")", 1)[1].split()[1]
                except (OSError, IndexError):
                    pass
            for pid in parents:
                ancestor, depth = parents.get(pid), 0
                while ancestor not in (None, "0", "1", me) and depth < 50:
                    ancestor, depth = parents.get(ancestor), depth + 1
                if ancestor != me:
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as file:
                        if b"/grader/runner.py" not in file.read():
                            continue
                    namespace = os.readlink(f"/proc/{pid}/ns/pid")
                    with open(f"/proc/{pid}/smaps_rollup") as file:
                        pss = next(int(line.split()[1]) for line in file
                                   if line.startswith("Pss:"))
                except (OSError, StopIteration, ValueError):
                    continue
                totals[namespace] = totals.get(namespace, 0) + pss
                counts[namespace] = counts.get(namespace, 0) + 1
            for namespace, kb in totals.items():
                self.peak_kb[namespace] = max(self.peak_kb.get(namespace, 0), kb)
                self.most[namespace] = max(self.most.get(namespace, 0), counts[namespace])
            time.sleep(0.1)


def keyctl(*args) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    number = isolation.syscall_number("keyctl")
    return libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) if isinstance(a, int) else a
                                                 for a in args])


def add_session_key(description: bytes, payload: bytes) -> int | None:
    """A key in this process's session keyring (None when keyrings do not work here)."""
    number = isolation.syscall_number("add_key")
    if number is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    key = libc.syscall(ctypes.c_long(number), b"user", description, payload,
                       ctypes.c_long(len(payload)), ctypes.c_long(-3))
    return key if key > 0 else None


def read_key(key: int) -> bytes | None:
    buffer = ctypes.create_string_buffer(4096)
    size = keyctl(11, key, buffer, 4096)
    return buffer.raw[:size] if size > 0 else None


def plant_markers() -> list[Path]:
    """A stand-in course checkout in the places a container often holds one or that the
    interpreter's prefix shares (another environment): each a folder with a solution-named
    notebook. Only where this process may write."""
    places = ["/usr/local/src", "/usr/share", "/opt",
              os.path.dirname(os.path.realpath(sys.base_prefix))]
    planted = []
    for place in places:
        try:
            folder = Path(tempfile.mkdtemp(prefix="cnnlib-marker-", dir=place))
        except OSError:
            continue
        (folder / "notebooks" / "homework").mkdir(parents=True)
        (folder / "notebooks" / "homework" / "hw2_build_zfnet.ipynb").write_text("{}")
        planted.append(folder)
    return planted


CLASSMATES = {"correct_hw3.ipynb": ("40", "40", ""),
              "partly_wrong_hw1.ipynb": ("19", "25", "wrong: conv2_params, pool5_shape, "
                                         "fc6_params, total_params; not attempted: fc8_shape, "
                                         "fc8_params")}
#: The most each attack's honest work earns.
HONEST = {"fill_tmpfs_hw1.ipynb": 1, "many_processes_hw1.ipynb": 1, "keyring_hw1.ipynb": 1,
          "forged_model_hw2.ipynb": 0, "uid_hw1.ipynb": 0, "list_root_hw2.ipynb": 0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name in HONEST:
        shutil.copy(SANDBOX_HOSTILE / name, folder / name)
    for name in CLASSMATES:
        shutil.copy(SAMPLES_DIR / name, folder / name)
    payload = f"s3cr3t-{secrets.token_hex(8)}".encode()
    key = add_session_key(b"cnnlib-test-instructor-key", payload)
    markers = plant_markers()
    out = folder.parent / "scores.csv"
    try:
        with sandbox_turn(), Watch() as watch:
            grader.grade(folder, out, timeout=TIMEOUT, jobs=2)
            alive = runners_alive()
        rows = {row["submission"]: row for row in read_csv(out)}
        yield {"rows": rows, "text": out.read_text(encoding="utf-8"), "watch": watch,
               "alive": alive,
               "key": key, "payload": payload, "key_after": read_key(key) if key else None,
               "markers": markers}
    finally:
        for marker in markers:
            shutil.rmtree(marker, ignore_errors=True)
        if key:
            keyctl(3, key)


@needs_bwrap
def test_each_attack_gets_one_row_and_the_classmates_rows_are_untouched(graded):
    rows = graded["rows"]
    assert sorted(rows) == sorted([*HONEST, *CLASSMATES])
    for name, most in HONEST.items():
        assert int(rows[name]["total"]) <= most, rows[name]
        assert rows[name]["sandbox"] == CONFINED.describe()
    for name, (total, maximum, reason) in CLASSMATES.items():
        assert (rows[name]["total"], rows[name]["max"], rows[name]["reason"]) == (
            total, maximum, reason)
    assert graded["alive"] == [], "a process of a submission outlived grading"


@needs_bwrap
def test_every_tmpfs_is_full_at_its_size(graded):
    reason = graded["rows"]["fill_tmpfs_hw1.ipynb"]["reason"]
    size = sandbox.Limits().scratch_mb
    assert re.fullmatch(r"crashed in cell \d+: RuntimeError: written " + re.escape(
        f"/tmp={size}MB /dev/shm={size}MB /scratch={size}MB /=0MB /dev=0MB"), reason), reason


@needs_bwrap
def test_processes_are_counted_per_submission(graded):
    reason = graded["rows"]["many_processes_hw1.ipynb"]["reason"]
    started = int(reason.rsplit("started ", 1)[1].split()[0])
    assert 0 < started < sandbox.Limits().processes, reason
    assert max(graded["watch"].most.values()) <= sandbox.Limits().processes


@needs_bwrap
def test_the_instructors_keys_are_out_of_reach(graded):
    if graded["key"] is None:
        pytest.skip("keyrings do not work in this process")
    assert graded["payload"] not in graded["text"].encode()
    assert graded["key_after"] == graded["payload"], "the key was revoked or changed"
    # not one key read; every keyring call refused (EPERM: seccomp)
    assert graded["rows"]["keyring_hw1.ipynb"]["reason"].endswith(
        "keys: | -3:1 -4:1 -5:1 -2:1 -1:1")


@needs_bwrap
def test_a_forged_model_record_earns_nothing(graded):
    from test_homework import zfnet_by_hand

    # the forged description is right: accepted as an answer, it would earn the model's points
    layers = runner.describe_model(zfnet_by_hand())
    _, private = ref.grading_task(ref.HW2, 7)
    assert ref.score(ref.HW2, {"models": {"model": {"layers": layers}}, "values": {}},
                     private)["model"].status == "correct"
    row = graded["rows"]["forged_model_hw2.ipynb"]
    assert (row["hw2.model"], row["total"]) == ("0", "0")


@needs_bwrap
def test_the_sandbox_shows_no_checkout_and_no_notebook(graded):
    reason = graded["rows"]["list_root_hw2.ipynb"]["reason"]
    assert re.match(r"crashed in cell \d+: RuntimeError: found 0 of \d+ files", reason), reason
    assert "cnnlib-marker" not in graded["text"]


@needs_bwrap
def test_the_submission_runs_as_an_unprivileged_uid(tmp_path):
    cells = [c.source for c in nbformat.read(SANDBOX_HOSTILE / "uid_hw1.ipynb", 4).cells
             if c.cell_type == "code"]
    run, (answers, _, done, _) = answers_of(cells, ref.HW1, tmp_path, use_sandbox=True)
    uid, euid, gid, *groups = answers["values"]["conv1_shape"]
    assert done and answers["values"]["conv1_params"] == uid
    assert 0 not in (uid, euid, gid, *groups)
    if os.geteuid() == 0:
        assert uid >= isolation.UID_BASE and "own uid per job" in run.isolation


@needs_bwrap
@needs_cgroups
def test_memory_is_counted_per_submission(tmp_path):
    shutil.copy(SANDBOX_HOSTILE / "memory_total_hw1.ipynb", tmp_path)
    shutil.copy(SAMPLES_DIR / "correct_hw3.ipynb", tmp_path)
    with Watch() as watch:
        grader.grade(tmp_path, tmp_path.parent / "memory.csv", timeout=TIMEOUT, jobs=2,
                     memory_mb=256)
    rows = {row["submission"]: row for row in read_csv(tmp_path.parent / "memory.csv")}
    assert (rows["correct_hw3.ipynb"]["total"], rows["correct_hw3.ipynb"]["reason"]) == ("40", "")
    held = int(rows["memory_total_hw1.ipynb"]["reason"].split(": ")[-1].split()[0])
    assert held <= 2, rows["memory_total_hw1.ipynb"]["reason"]   # 2 x 120 MB fit in 256 MB
    assert max(watch.peak_kb.values()) <= 256 * 1024 * 1.05


@needs_bwrap
@needs_cgroups
def test_a_cpu_hog_leaves_a_classmate_their_core(tmp_path):
    """The hog's children leave its session and spin, its parent ignores the alarm; the
    classmate beside it (--jobs 2) runs 1.5 s of its own CPU work after a correct homework 3:
    alone it needs a fraction of the timeout, beside an unlimited hog it would not finish."""
    shutil.copy(SANDBOX_HOSTILE / "cpu_hog_hw3.ipynb", tmp_path)
    classmate = nbformat.read(SAMPLES_DIR / "correct_hw3.ipynb", as_version=4)
    classmate.cells.append(nbformat.v4.new_code_cell(
        "# my own experiment: time my pooling for 1.5 s of CPU\n"
        "import time\nstart = time.process_time()\n"
        "while time.process_time() - start < 1.5:\n"
        "    max_pool2d_forward(np.ones((2, 3, 8, 8)), 2, 2)"))
    nbformat.write(classmate, tmp_path / "zz_classmate_hw3.ipynb")
    with sandbox_turn():
        grader.grade(tmp_path, tmp_path.parent / "cpu.csv", timeout=10, jobs=2)
        alive = runners_alive()
    rows = {row["submission"]: row for row in read_csv(tmp_path.parent / "cpu.csv")}
    assert (rows["zz_classmate_hw3.ipynb"]["total"], rows["zz_classmate_hw3.ipynb"]["reason"]
            ) == ("40", "")
    assert rows["cpu_hog_hw3.ipynb"]["total"] == "0"
    assert rows["cpu_hog_hw3.ipynb"]["reason"].startswith("timed out after")
    assert alive == []

"""Run one submitted notebook and hand the grader the student's ANSWERS (never a verdict).

This file runs INSIDE the grading sandbox (:mod:`cnnlib.homework.sandbox`), as three
processes, and uses the standard library only (numpy when a task calls functions), because
homework 3 runs without cnnlib:

* the **supervisor** never runs student code. It is the sandbox's pid 1 (signals from inside
  the sandbox do not reach it; when it ends, everything in the sandbox ends), makes itself
  non-dumpable (no process of the sandbox can open its file descriptors through
  ``/proc/1/fd``; ptrace is denied by seccomp) and alone holds stdout, the channel to the grader.
  It reads the cells, starts the student's process, and only then reads the task (the names to
  collect, the calls' inputs drawn from the grader's secret seed).
* the **student's process** runs the cells with stdin, stdout and stderr on /dev/null. It holds
  two pipes to the supervisor, requests (read) and replies (write), and nothing else.
* the **collector**: after the last cell the student's process forks a copy of itself (with
  one thread: threads a cell left running do not exist in the copy) and exits. The collector
  kills every other process of the sandbox (``kill(-1)``: whatever the cells forked, detached or
  not), resets signal handlers, trace and profile functions and the garbage collector, and says
  "ready".

Hand-over: on "ready" the supervisor draws a random nonce and sends it with the task; the
collector writes the records the task asks for, each carrying the nonce. The supervisor forwards
a record only when it carries the nonce, is the next one expected (cell reports, then values,
models and calls in the task's order, then done; each once) and is well-formed; it re-encodes
it without the nonce. So what a cell writes, to any file descriptor, is never an answer: the
grader's channel is out of its reach, and on the replies pipe nothing it wrote can carry a nonce
that does not exist yet (bytes before "ready" are discarded; more than ``output_bytes`` of them
stop the run as a flood, exit status :data:`FLOODED`).

What student code can still do: the functions the grader calls during collection
(``build_zfnet``, ``conv2d_forward``, ...) run in the collector, and so does anything a cell
left in the interpreter (a monkeypatched module, an object whose methods run when it is
encoded, an audit hook). Such code can write a record with the nonce itself instead of returning
a value, or a cell can speak this protocol itself (fake "ready", read the nonce). That is no
more than answering: the record is the student's answer either way, the supervisor takes only
the records asked for, each once, in order, and the grader validates every record outside the
sandbox, computes every call's reference itself on the inputs it drew, and judges a model by
rebuilding it from the described layers. It cannot turn an answer into a verdict, reach another
submission, or write a record for a name the task did not ask for.

Protocol. Stdin: ``<n>\\n``, then ``n`` bytes of ``{"cells": [source, ...], "budget": s,
"output_bytes": n}``, then the task ``{"values": [...], "models": {...}, "calls": [...]}`` up
to the end. Stdout: one JSON line per answer, as soon as it is known::

    {"kind": "cell_error", "cell": 3, "error": "NameError: ..."}
    {"kind": "value", "name": "conv1_shape", "value": [64, 224, 224]}
    {"kind": "model", "name": "model", "layers": [{"type": "Conv2d", ...}, ...]}
    {"kind": "call", "id": "conv2d_forward/2", "result": {"array": [...]}}
    {"kind": "done"}

The cells get half of ``budget`` seconds (an alarm stops a cell that runs longer); the answers
are collected after them, each model or call with its own alarm, until ``budget`` is spent.
"""

from __future__ import annotations

import ast
import gc
import json
import math
import os
import secrets
import select
import signal
import sys
import threading
import time

MISSING = {"missing": True}


class CellTimeout(BaseException):
    """Raised by the alarm in a cell or call that runs past its time."""


def _alarm(signum, frame):
    raise CellTimeout()


def encode(value, depth=0):
    """A JSON-able copy of an answer: numbers, strings, lists; ``...`` and None as missing."""
    if value is Ellipsis or value is None:
        return MISSING
    if isinstance(value, bool) or isinstance(value, str):
        return value if not isinstance(value, str) else value[:200]
    if isinstance(value, int):
        return value if abs(value) < 10**30 else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"number": repr(value)}
    if depth > 6:
        return {"object": "too deeply nested"}
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy arrays and scalars
        if getattr(value, "size", 1) > 100_000:
            return {"object": "array too large"}
        value = value.tolist()
        return encode(value, depth + 1) if not isinstance(value, (list, tuple)) else [
            encode(v, depth + 1) for v in value]
    if isinstance(value, (list, tuple)):
        if len(value) > 100_000:
            return {"object": "sequence too long"}
        return [encode(v, depth + 1) for v in value]
    return {"object": type(value).__name__[:60]}


# Layer settings: the public attributes a layer was built with (hyperparameters).
_NOT_SETTINGS = {"training", "trainable", "dtype", "rng"}


def describe_layer(layer) -> dict:
    """``{"type", "module", "settings", "parameters"}`` of one leaf layer."""
    settings = {}
    for key, value in sorted(getattr(layer, "__dict__", {}).items()):
        if key.startswith("_") or key in _NOT_SETTINGS:
            continue
        if isinstance(value, (bool, int, float, str)) or (
                isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value)):
            settings[key] = list(value) if isinstance(value, tuple) else value
    shapes = getattr(layer, "_param_shapes", None)
    if isinstance(shapes, dict) and "weight" in shapes:  # a layer with weights: has it a bias?
        settings["bias"] = "bias" in shapes
    try:
        parameters = int(layer.num_parameters)
    except Exception:
        parameters = -1
    return {"type": type(layer).__name__, "module": type(layer).__module__,
            "settings": settings, "parameters": parameters}


def leaves(model, depth=0):
    """The leaf layers of a model, containers (anything iterable with children) opened."""
    children = getattr(model, "_children", None)
    if depth < 20 and isinstance(children, dict):
        children = list(children.values())
    if depth < 20 and isinstance(children, (list, tuple)) and children:
        for child in children:
            yield from leaves(child, depth + 1)
    else:
        yield model


def describe_model(model) -> list:
    return [describe_layer(layer) for _, layer in zip(range(500), leaves(model))]


def _cell_code(source: str) -> str:
    """IPython magics and shell lines (``%time``, ``!ls``) become comments."""
    lines = source.split("\n")
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line
                     for line in lines)


def _error_text(error: BaseException) -> str:
    if isinstance(error, CellTimeout):
        return "timed out"
    return f"{type(error).__name__}: {error}"[:300]


class Runner:
    """The student's side: runs the cells, then (in the collector) writes the answers."""

    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        self.reports = []   # cell errors and timeouts, sent after the cells
        self.out = None     # the replies pipe, once the collector has the nonce
        self.nonce = None
        self.pid = os.getpid()

    def stray(self) -> None:
        """End a process the student's code forked that came back into the runner's code."""
        if os.getpid() != self.pid:
            os._exit(0)

    def emit(self, **record):
        self.stray()
        record["nonce"] = self.nonce
        try:
            line = json.dumps(record, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            line = json.dumps({"kind": record.get("kind"), "name": record.get("name"),
                               "id": record.get("id"), "error": "answer not encodable",
                               "nonce": self.nonce})
        _write_all(self.out, (line + "\n").encode())

    def run_cells(self, cells, budget: float) -> None:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, max(budget, 0.5))
        try:
            for number, source in enumerate(cells, start=1):
                try:
                    tree = ast.parse(_cell_code(source))
                    last = None
                    if tree.body and isinstance(tree.body[-1], ast.Expr):
                        last = tree.body.pop()
                    exec(compile(tree, f"<cell {number}>", "exec"), self.namespace)
                    if last is not None:
                        eval(compile(ast.Expression(last.value), f"<cell {number}>", "eval"),
                             self.namespace)
                except CellTimeout:
                    self.reports.append({"kind": "cell_timeout", "cell": number})
                    return
                except BaseException as error:  # noqa: BLE001 - the student's error, reported
                    self.reports.append({"kind": "cell_error", "cell": number,
                                         "error": _error_text(error)})
                self.stray()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _timed(self, seconds, function, *args, **kwargs):
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.1))
        try:
            return function(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def collect(self, task: dict, deadline: float) -> None:
        """Emit the answers; each model or call gets an equal share of the time left."""
        for report in self.reports:
            self.emit(**report)
        jobs = len(task.get("models", {})) + len(task.get("calls", []))

        def share():
            nonlocal jobs
            jobs -= 1
            return max((deadline - time.monotonic()) / (jobs + 1), 0.1)

        for name in task.get("values", []):
            self.emit(kind="value", name=name, value=encode(self.namespace.get(name)))
        for name, function in task.get("models", {}).items():
            record = {"kind": "model", "name": name}
            build = self.namespace.get(function)
            try:
                if build is None:
                    record["missing"] = True
                else:
                    record["layers"] = self._timed(share(),
                                                   lambda build=build: describe_model(build()))
            except NotImplementedError:
                record["missing"] = True
            except BaseException as error:  # noqa: BLE001
                record["error"] = _error_text(error)
            self.emit(**record)
        for call in task.get("calls", []):
            seconds = share()   # a large case gets its own limit, within the deadline
            if isinstance(call.get("seconds"), (int, float)):
                seconds = max(min(call["seconds"], deadline - time.monotonic()), 0.1)
            self.emit(**self.call(call, seconds))
        self.emit(kind="done")

    def call(self, call: dict, seconds: float) -> dict:
        import numpy as np

        record = {"kind": "call", "id": call["id"]}
        function = self.namespace.get(call["function"])
        if not callable(function):
            record["missing"] = True
            return record
        args = [np.array(a, dtype=float) if isinstance(a, list) else a for a in call["args"]]
        try:
            result = self._timed(seconds, function, *args, **call.get("kwargs", {}))
        except NotImplementedError:
            record["missing"] = True
            return record
        except BaseException as error:  # noqa: BLE001
            record["error"] = _error_text(error)
            return record
        if isinstance(result, tuple):
            record["result"] = [encode(r) for r in result]
            record["tuple"] = True
        else:
            record["result"] = encode(result)
        return record


# --------------------------------------------------------------------------------------------
# Processes: supervisor, student's process, collector
# --------------------------------------------------------------------------------------------

#: The supervisor's exit status when the student's side wrote more than ``output_bytes``.
FLOODED = 3
#: ... when a record with the nonce was not the one expected (nothing after it counts).
OUT_OF_ORDER = 4
READY = {"kind": "ready"}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the request ended early")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_to_end(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _read_request_head(fd: int) -> dict:
    """The cells part of the request, read to its last byte and not one byte further."""
    digits = b""
    while not digits.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte or len(digits) > 20:
            raise EOFError("no request")
        digits += byte
    return json.loads(_read_exactly(fd, int(digits)))


def _nondumpable() -> bool:
    """PR_SET_DUMPABLE 0: /proc/<pid>/fd and ptrace closed to processes of the same uid."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(4, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def main() -> None:
    """The supervisor (see the module's docstring)."""
    isolated = os.getpid() == 1   # pid 1 of the sandbox's own pid namespace
    if not _nondumpable() and isolated:
        os._exit(1)
    head = _read_request_head(0)
    cells, budget = head["cells"], float(head.get("budget", 60))
    start = time.monotonic()
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(requests_w)
            os.close(replies_r)
            _student(cells, budget, start, requests_r, replies_w, isolated)
        finally:
            os._exit(1)
    del cells
    os.close(requests_r)
    os.close(replies_w)
    task = json.loads(_read_to_end(0))
    os.close(0)
    supervisor = Supervisor(child, isolated, replies_r, int(head.get("output_bytes", 4_000_000)),
                            len(head["cells"]))
    os._exit(supervisor.run(task, requests_w))


def _student(cells, budget, start, requests, replies, isolated) -> None:
    """The student's process: the cells, then a single-threaded collector forked from it."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    _close_all_but({0, 1, 2, requests, replies})
    sys.stdin = open(os.devnull)
    try:  # the kernel's out-of-memory killer takes the student's processes first
        with open("/proc/self/oom_score_adj", "w") as file:
            file.write("1000")
    except OSError:
        pass
    runner = Runner()
    runner.run_cells(cells, budget * 0.5)
    runner.stray()
    _close_all_but({0, 1, 2, requests, replies})  # e.g. the pipes reopened through /proc
    _kill_others(isolated)  # frees the process slots the cells' processes held
    # until the killed processes are reaped (by the supervisor, or by this process for its own
    # children), which took over 2 s for 63 processes on a loaded machine: wait as long as the
    # budget allows, not a fixed number of tries, so that the cells' results are not lost
    while True:
        try:
            collector = os.fork()
            break
        except BlockingIOError:
            if time.monotonic() > start + budget:
                os._exit(1)
            _reap_children()  # the killed children of this process hold their slots till then
            time.sleep(0.02)
    if collector != 0:
        os._exit(0)
    _collect(runner, start + budget, requests, replies, isolated)
    os._exit(0)


def _close_all_but(keep: set) -> None:
    try:
        open_fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc (--no-sandbox on macOS)
        open_fds = range(3, 1024)
    for fd in open_fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _drain(fd: int) -> None:
    """Discard what is in a pipe now (bytes a cell wrote into it)."""
    os.set_blocking(fd, False)
    try:
        while os.read(fd, 1 << 16):
            pass
    except BlockingIOError:
        pass
    finally:
        os.set_blocking(fd, True)


def _reap_children() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _kill_others(isolated: bool) -> None:
    """In the sandbox: SIGKILL every process but this one and the supervisor (pid 1)."""
    if isolated:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass


def _collect(runner: Runner, deadline: float, requests: int, replies: int,
             isolated: bool) -> None:
    """The collector: clean up after the cells, say ready, answer the task with the nonce."""
    _kill_others(isolated)  # the student's process, and what its threads forked meanwhile
    for number in signal.valid_signals():
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError, RuntimeError):
            pass
    sys.settrace(None)
    sys.setprofile(None)
    threading.settrace(None)
    threading.setprofile(None)
    gc.callbacks.clear()
    gc.disable()
    signal.signal(signal.SIGALRM, _alarm)
    _drain(requests)  # the supervisor writes only after "ready": the rest came from a cell
    _write_all(replies, (json.dumps(READY) + "\n").encode())
    message = _read_request_head(requests)
    runner.out, runner.nonce, runner.pid = replies, message["nonce"], os.getpid()
    runner.collect(message["task"], deadline)


class Supervisor:
    """Forwards the collector's records to stdout: only those asked for, each once, in order."""

    def __init__(self, child: int, isolated: bool, replies: int, limit: int, cells: int):
        self.child, self.isolated, self.replies = child, isolated, replies
        self.limit, self.cells = limit, cells
        self.received = 0
        self.buffer = b""
        self.child_status = None

    def run(self, task: dict, requests: int) -> int:
        """Hand the task over once the collector is ready; forward its records; exit status."""
        while True:
            line = self.next_line(before_ready=True)
            if isinstance(line, int):
                return line
            if _parse(line) == READY:
                break
        nonce = secrets.token_hex(16)
        message = json.dumps({"nonce": nonce, "task": task}).encode()
        message = f"{len(message)}\n".encode() + message

        def send():
            try:
                _write_all(requests, message)
            except OSError:
                pass
            finally:
                os.close(requests)

        threading.Thread(target=send, daemon=True).start()
        expected = [("value", name) for name in task.get("values", [])]
        expected += [("model", name) for name in task.get("models", {})]
        expected += [("call", call["id"]) for call in task.get("calls", [])]
        position, last_cell, timed_out = 0, 0, False
        while True:
            line = self.next_line(before_ready=False)
            if isinstance(line, int):
                return line
            record = _parse(line)
            if not isinstance(record, dict) or record.get("nonce") != nonce:
                continue  # not an answer: only the collector knows the nonce
            kind = record.get("kind")
            cell = record.get("cell")
            if kind in ("cell_error", "cell_timeout") and position == 0 and not timed_out \
                    and type(cell) is int and last_cell < cell <= self.cells:
                clean = {"kind": kind, "cell": cell}
                if kind == "cell_error":
                    clean["error"] = str(record.get("error", ""))[:300]
                last_cell, timed_out = cell, kind == "cell_timeout"
            elif kind == "done" and position == len(expected):
                self.forward({"kind": "done"})
                return 0
            elif position < len(expected) and (kind, record.get(
                    "id" if kind == "call" else "name")) == expected[position]:
                clean = _clean(kind, record)
                position += 1
            else:
                return OUT_OF_ORDER
            self.forward(clean)

    def forward(self, record: dict) -> None:
        _write_all(1, (json.dumps(record, allow_nan=False) + "\n").encode())

    def next_line(self, before_ready: bool):
        """The next complete line from the replies pipe, or an exit status to end with."""
        while b"\n" not in self.buffer:
            if before_ready and len(self.buffer) > 4096:
                self.buffer = b""   # not "ready": nothing of it is kept
            readable, _, _ = select.select([self.replies], [], [], 0.05)
            if not readable:
                status = self.reap()
                if status is not None and before_ready:
                    return status   # the student's process died in the cells
                continue
            chunk = os.read(self.replies, 1 << 16)
            if not chunk:
                return self.exit_status()
            self.received += len(chunk)
            if self.received > self.limit:
                return FLOODED
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def reap(self):
        """Reap ended processes; the student's process's exit status if it died abnormally."""
        while True:
            try:
                pid, status = os.waitpid(-1 if self.isolated else self.child, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == self.child:
                self.child_status = os.waitstatus_to_exitcode(status)
        code = self.child_status
        if code is not None and code != 0:
            return 128 - code if code < 0 else code
        return None

    def exit_status(self) -> int:
        self.reap()
        code = self.child_status or 0
        return 128 - code if code < 0 else code


def _parse(line: bytes):
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _clean(kind: str, record: dict) -> dict:
    """The fields of a value, model or call record the grader reads, re-encoded."""
    key = "id" if kind == "call" else "name"
    clean = {"kind": kind, key: record[key]}
    if kind == "value":
        clean["value"] = record.get("value")
        return clean
    if record.get("missing") is True:
        clean["missing"] = True
    elif isinstance(record.get("error"), str):
        clean["error"] = record["error"][:300]
    elif kind == "model" and isinstance(record.get("layers"), list):
        clean["layers"] = record["layers"]
    elif kind == "call" and "result" in record:
        clean["result"] = record["result"]
        if record.get("tuple") is True:
            clean["tuple"] = True
    else:
        clean["error"] = "malformed answer"
    return clean


if __name__ == "__main__":
    main()

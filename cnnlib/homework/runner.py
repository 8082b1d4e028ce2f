"""Run one submitted notebook and print the student's ANSWERS (never a verdict).

This file runs INSIDE the grading sandbox (:mod:`cnnlib.homework.sandbox`), in the same
process as the student's code, so nothing it prints is trusted: the grader outside only reads
answers from it (values, layer descriptions, the outputs of the student's functions on inputs
the grader drew) and compares them with its own reference. It uses the standard library only
(numpy when a task calls functions), because homework 3 runs without cnnlib.

Protocol: one JSON object on stdin ``{"cells": [source, ...], "task": {...}, "budget": s}``;
one JSON line per answer on stdout, written as soon as it is known::

    {"kind": "cell_error", "cell": 3, "error": "NameError: ..."}
    {"kind": "value", "name": "conv1_shape", "value": [64, 224, 224]}
    {"kind": "model", "name": "model", "layers": [{"type": "Conv2d", ...}, ...]}
    {"kind": "call", "id": "conv2d_forward/2", "result": {"array": [...]}}
    {"kind": "done"}

The student's own prints go to /dev/null. The cells get ``budget`` seconds (an alarm stops a
cell that runs longer); the answers are collected after them, each call with its own alarm.
"""

from __future__ import annotations

import ast
import json
import math
import os
import signal
import sys
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
    def __init__(self, out):
        self.out = out
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__}

    def emit(self, **record):
        try:
            line = json.dumps(record, allow_nan=False)
        except (TypeError, ValueError):
            line = json.dumps({"kind": record.get("kind"), "name": record.get("name"),
                               "id": record.get("id"), "error": "answer not encodable"})
        os.write(self.out, (line + "\n").encode())

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
                    self.emit(kind="cell_timeout", cell=number)
                    return
                except BaseException as error:  # noqa: BLE001 - the student's error, reported
                    self.emit(kind="cell_error", cell=number, error=_error_text(error))
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


def main() -> None:
    request = json.loads(sys.stdin.read())
    out = os.dup(1)  # the answers' channel; the student's prints go to /dev/null
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdin = open(os.devnull)
    runner = Runner(out)
    start, budget = time.monotonic(), float(request.get("budget", 60))
    runner.run_cells(request["cells"], budget * 0.5)
    runner.collect(request["task"], start + budget)
    runner.emit(kind="done")


if __name__ == "__main__":
    main()

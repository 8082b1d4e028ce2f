"""One variant of homework 1 and 2 per student, drawn from a course seed and the student's id.

A variant is a ZFNet-like network (a ``spec``, as :class:`cnnlib.homework.selfcheck.Network`
describes it): the same kinds of layers as ZFNet, with other input sizes, filter counts, kernel
sizes, strides, paddings, pool windows and widths, all within the lecture's material (every
convolution and pool fits its input; every pool rounds up). :func:`draw` is deterministic:
the same seed and id always give the same variant, so the grader recomputes the reference of a
student's variant from the seed and the id, outside the sandbox, and never trusts the
network a submission describes. A published solution of one variant earns little on another.

Rosters are CSV files with a column ``id`` (or ``student_id``, ``login``, ``username``, ``email``,
the first of these that is there); :func:`read_roster` reads them.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import random
import re
from pathlib import Path

from ...shapes import conv_output_size, pool_output_size
from ..selfcheck import ROWS
from .reference import PAPER

__all__ = ["draw", "salt", "read_roster", "roster_rows", "RosterError", "ID_COLUMNS",
           "DEFAULT_ID"]

#: Roster columns that may hold the student's id, in order of preference.
ID_COLUMNS = ("id", "student_id", "login", "username", "email")
#: The id of the paper's network (the notebooks in the repository and the site).
DEFAULT_ID = "default"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._@+-]{1,64}$")


def _rng(seed: int, student_id: str) -> random.Random:
    digest = hashlib.sha256(f"cnn-basics variant|{seed}|{student_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def salt(seed: int, student_id: str) -> str:
    """The salt of a student's answer key (public in their notebook; differs per student)."""
    return hmac.new(str(seed).encode(), student_id.encode(), hashlib.sha256).hexdigest()[:16]


def _fits(spec: dict) -> bool:
    """Whether every layer of ``spec`` fits its input and the last maps are 2 to 8 wide."""
    size = spec["input"][1]
    for row in ROWS[:8]:
        s = spec[row]
        padding = s.get("padding", 0)
        if size + 2 * padding < s["kernel"]:
            return False
        if row.startswith("pool"):
            size = pool_output_size(size, s["kernel"], s["stride"], ceil_mode=True)
        else:
            size = conv_output_size(size, s["kernel"], s["stride"], padding)
    return 2 <= size <= 8


def draw(seed: int, student_id: str) -> dict:
    """The network ``spec`` of one student's variant (the paper's for :data:`DEFAULT_ID`)."""
    if student_id == DEFAULT_ID:
        return PAPER
    rng = _rng(seed, student_id)
    while True:
        size = rng.choice((192, 208, 224, 240, 256))
        pool = {"kernel": rng.choice((2, 3)), "stride": 2}
        spec = {
            "input": [3, size, size],
            "conv1": {"filters": rng.choice((64, 80, 96, 112)), "kernel": rng.choice((5, 7, 9)),
                      "stride": 2, "padding": rng.choice((0, 1, 2, 3))},
            "pool1": dict(pool),
            "conv2": {"filters": rng.choice((192, 224, 256)), "kernel": rng.choice((3, 5)),
                      "stride": rng.choice((1, 2)), "padding": rng.choice((0, 1, 2))},
            "pool2": dict(pool),
            "conv3": {"filters": rng.choice((256, 320, 384)), "kernel": 3, "stride": 1,
                      "padding": 1},
            "conv4": {"filters": rng.choice((256, 320, 384)), "kernel": 3, "stride": 1,
                      "padding": 1},
            "conv5": {"filters": rng.choice((192, 256)), "kernel": 3, "stride": 1, "padding": 1},
            "pool5": dict(pool),
        }
        width = rng.choice((1024, 2048, 4096))
        spec.update({"fc6": {"outputs": width}, "fc7": {"outputs": width},
                     "fc8": {"outputs": rng.choice((10, 100, 200, 1000))}})
        if _fits(spec) and spec != PAPER:
            return spec


class RosterError(ValueError):
    """A roster that cannot be used; the message names the file and the fix."""


def roster_rows(path) -> list[dict]:
    """The rows of a roster CSV file, each value stripped and the student's id under ``"id"``
    (from the first of :data:`ID_COLUMNS` the file has). Every command that takes
    ``--roster`` reads it here; :class:`RosterError` names the file and the fix."""
    where = f"--roster {path}"
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.DictReader(file))
    except OSError as error:
        raise RosterError(f"{where}: cannot read the roster ({error.strerror}).") from None
    if not rows:
        raise RosterError(f"{where}: the roster has no students; it needs a header line with a "
                          f"column {' or '.join(ID_COLUMNS)} and one line per student.")
    column = next((c for c in ID_COLUMNS if c in rows[0]), None)
    if column is None:
        raise RosterError(f"{where}: no column named {', '.join(ID_COLUMNS)}; found "
                          f"{', '.join(rows[0])}. Rename the column with the student ids.")
    students = [{**{k: (v or "").strip() for k, v in row.items() if k},
                 "id": (row[column] or "").strip()} for row in rows]
    bad = [s["id"] for s in students if not _SAFE_ID.match(s["id"])]
    if bad:
        raise RosterError(f"{where}: ids must be 1-64 letters, digits or . _ @ + -; "
                          f"fix {bad[:3]}.")
    return students


def read_roster(path: Path) -> list[str]:
    """The student ids of a roster CSV file, in its order (:class:`RosterError` names the fix)."""
    ids = [row["id"] for row in roster_rows(path)]
    if DEFAULT_ID in ids:
        raise RosterError(f"--roster {path}: the id {DEFAULT_ID!r} is the course's own "
                          f"notebook's; give that student another id.")
    if len(set(ids)) != len(ids):
        raise RosterError(f"--roster {path}: some ids appear twice; each student needs their "
                          f"own line.")
    return ids

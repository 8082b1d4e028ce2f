"""Collect one homework from every student, and hand feedback back: homes and LMS downloads.

``collect`` gathers one assignment into ``OUT/<student id>/<homework>.ipynb``, the layout the
grader reads (it takes the student from the first folder), from either

* **the students' homes on a JupyterHub** (``--homes /home``): ``<home>/<login>/<path>``, where
  ``path`` is where nbgitpuller put the student release (:data:`RELEASE_FOLDER`, then the
  notebook's path in the release, :data:`STUDENT_PATH`); or
* **an LMS bulk download** (``--lms``, a zip file or the folder it was unpacked into): Canvas
  ("Download Submissions") names every file ``<name>_<user id>_<submission id>_<file name>``,
  with ``_LATE`` after the name for a late one; Moodle ("Download all submissions") names a
  folder (or, without folders, a file prefix)
  ``<Full name>_<participant id>_assignsubmission_file_``.

Student ids: the login (home folder name) or the LMS's number, unless a roster maps them to the
course's ids: its id column (as for ``generate --roster``) plus ``login`` (the hub user name)
and/or ``lms_id`` (Canvas user id or Moodle participant id).

Everything a student controls is hostile. A home is read one path component at a time with
``O_NOFOLLOW`` relative to the folder before it (``dir_fd``), so no symbolic link is followed,
whatever is swapped in meanwhile; only a regular file of at most :data:`MAX_BYTES` is copied.
A zip entry with an absolute path, ``..``, a link mode or more than :data:`MAX_BYTES` is
refused. One bad home or entry costs its own report line, never the run: every student gets
exactly one line (collected, no submission, refused: why).

``return_feedback`` copies ``FEEDBACK/<id>/<name>.html`` into ``<home>/<login>/feedback/`` (the
folder made if missing, never through a link; only that one file is replaced, atomically, and
owned by the student when run as root), or into ``OUT/<id>/`` for an upload to the LMS.
"""

from __future__ import annotations

import csv
import errno
import os
import re
import secrets
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .grader import MAX_BYTES, safe_cell, safe_text
from .reference import HOMEWORK
from .variants import _SAFE_ID, roster_rows

#: The folder in each home that nbgitpuller clones the student release into (its
#: ``targetpath``; ``hub/links.py`` writes the links with it).
RELEASE_FOLDER = "cnn-basics"
#: Where a homework notebook is inside the student release (``site/release.py``).
STUDENT_PATH = "notebooks/homework/student/{notebook}"
#: The largest feedback page copied back (bytes).
MAX_FEEDBACK = 5_000_000
#: The most entries read from one LMS download (zip entries or folder entries).
MAX_ENTRIES = 20_000
OUTSIDE = "refused: a path outside the download"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_CANVAS = re.compile(r"^(?P<name>[^_/]*?)(?:_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>[^_/]*)_(?P<uid>\d+)_assignsubmission_file_?(?P<file>.*)$")


class CollectError(ValueError):
    """Input that cannot be used as given; the message names the parameter and the fix."""


@dataclass
class Line:
    """One student's line of a report: their id, what happened, and from where."""

    student: str
    status: str
    source: str = ""

    def __str__(self) -> str:
        where = f"  ({safe_text(self.source, 120)})" if self.source else ""
        return f"{safe_text(self.student, 64):<20} {self.status}{where}"


def notebook_name(homework: str) -> str:
    """``hw1`` or ``hw1_zfnet_parameters`` -> ``hw1_zfnet_parameters.ipynb``."""
    stem = homework.removesuffix(".ipynb")
    for known in HOMEWORK:
        if stem in (known, known.split("_")[0]):
            return known + ".ipynb"
    raise CollectError(f"homework {homework!r} is not one of the course's; use one of "
                       f"{', '.join(h.split('_')[0] for h in HOMEWORK)} (or the full names "
                       f"{', '.join(HOMEWORK)}).")


def default_path(homework: str) -> str:
    """The notebook's path inside a home: ``cnn-basics/notebooks/homework/student/hw1_...``."""
    return f"{RELEASE_FOLDER}/{STUDENT_PATH.format(notebook=notebook_name(homework))}"


def read_mapping(roster: Path | None, column: str) -> dict[str, str] | None:
    """``{value of column: student id}`` of a roster, or None without one.

    The id column is the first of :data:`.variants.ID_COLUMNS`; rows without ``column``'s
    value map the id to itself (a hub whose logins are the ids).
    """
    if roster is None:
        return None
    rows = roster_rows(roster)
    mapping = {}
    for row in rows:
        student = row["id"]
        key = row.get(column) or student
        if key in mapping:
            raise CollectError(f"--roster {roster}: {column} {key!r} appears twice; each "
                               f"student needs their own.")
        mapping[key] = student
    return mapping


# ---------------------------------------------------------------------------- reading safely
def _open_under(top_fd: int, parts: list[str]) -> int:
    """Open ``parts`` below the folder ``top_fd``, never following a link (``OSError``)."""
    fd = os.dup(top_fd)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, _DIR, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    finally:
        os.close(fd)


def _read_fd(fd: int, limit: int) -> bytes:
    """The bytes of the regular file ``fd`` (at most ``limit``; ``OSError`` otherwise)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file")
    if info.st_size > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // 1_000_000} MB")
    with os.fdopen(os.dup(fd), "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // 1_000_000} MB")
    return data


def _why(error: OSError) -> str:
    if error.errno == errno.ENOENT:
        return "no submission"
    if error.errno in (errno.ELOOP, errno.ENOTDIR):
        return "refused: a symbolic link or not a folder on the way (links are never followed)"
    return f"refused: {error.strerror or error}"


def read_from_home(home_fd: int, relative: str, limit: int = MAX_BYTES) -> bytes:
    """The file ``relative`` under an open home folder, without following any link."""
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("..", "/", ".") for p in parts):
        raise CollectError(f"--path {relative!r}: give a relative path inside the home, "
                           f"without '..', e.g. {default_path('hw1')}.")
    fd = _open_under(home_fd, list(parts))
    try:
        return _read_fd(fd, limit)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- writing safely
def write_file(folder: Path, student: str, name: str, data: bytes) -> None:
    """Write ``folder/<student>/<name>`` (made if missing), never through a link."""
    top = os.open(folder, _DIR)
    try:
        _mkdir(top, student)
        fd = os.open(student, _DIR, dir_fd=top)
        try:
            _replace(fd, name, data)
        finally:
            os.close(fd)
    finally:
        os.close(top)


def _mkdir(dir_fd: int, name: str, owner: tuple | None = None) -> None:
    try:
        os.mkdir(name, 0o755, dir_fd=dir_fd)
    except FileExistsError:
        return
    if owner is not None:
        os.chown(name, *owner, dir_fd=dir_fd, follow_symlinks=False)


def _replace(dir_fd: int, name: str, data: bytes, owner: tuple | None = None) -> None:
    """Put ``data`` at ``name`` in ``dir_fd`` atomically; only ``name`` itself is replaced."""
    try:
        existing = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISDIR(existing.st_mode):
            raise OSError(errno.EISDIR, f"{name} is a folder; not replaced")
    except FileNotFoundError:
        pass
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                 dir_fd=dir_fd)
    try:
        with os.fdopen(os.dup(fd), "wb") as file:
            file.write(data)
        if owner is not None:
            os.fchown(fd, *owner)
    except BaseException:
        os.unlink(temporary, dir_fd=dir_fd)
        raise
    finally:
        os.close(fd)
    os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


# ---------------------------------------------------------------------------- collect
def collect_homes(homework: str, homes: Path, out: Path, path: str | None = None,
                  roster: Path | None = None) -> list[Line]:
    """Copy ``<homes>/<login>/<path>`` of every home into ``out/<id>/<notebook>``.

    With a roster, every student of it gets a line (``no home`` if there is none) and homes
    of people not on it are skipped with a line of their own.
    """
    name = notebook_name(homework)
    relative = path or default_path(homework)
    logins = read_mapping(roster, "login")
    out.mkdir(parents=True, exist_ok=True)
    try:
        top = os.open(homes, _DIR)
    except OSError as error:
        raise CollectError(f"--homes {homes}: cannot open it ({error.strerror}); give the "
                           f"folder that holds the students' homes, e.g. /home.") from None
    lines, seen = [], set()
    try:
        for login in sorted(os.listdir(top)):
            if login.startswith(".") or login == "lost+found":
                continue
            student = logins.get(login) if logins is not None else login
            if student is None:
                lines.append(Line(login, "skipped: not on the roster"))
                continue
            if not _SAFE_ID.match(student):
                lines.append(Line(login, "skipped: not a usable student id (1-64 letters, "
                                         "digits or . _ @ + -); map it with a roster"))
                continue
            seen.add(student)
            lines.append(_collect_one(top, login, student, relative, out, name))
    finally:
        os.close(top)
    for login, student in (logins or {}).items():
        if student not in seen:
            lines.append(Line(student, "no home", login))
    return sorted(lines, key=lambda line: line.student)


def _collect_one(top: int, login: str, student: str, relative: str, out: Path,
                 name: str) -> Line:
    where = f"{login}/{relative}"
    try:
        home = os.open(login, _DIR, dir_fd=top)
    except OSError as error:
        return Line(student, "refused: the home is a symbolic link or not a folder"
                    if error.errno in (errno.ELOOP, errno.ENOTDIR)
                    else f"refused: cannot open the home ({error.strerror})", login)
    try:
        data = read_from_home(home, relative, MAX_BYTES)
    except OSError as error:
        return Line(student, _why(error), where)
    finally:
        os.close(home)
    try:
        write_file(out, student, name, data)
    except OSError as error:
        return Line(student, f"not written: {error.strerror or error}", where)
    return Line(student, "collected", where)


def lms_entries(source: Path) -> list[tuple[str, bytes | None, str]]:
    """``(name, bytes or None, refusal)`` of every file of an LMS download (zip or folder).

    A name is the path inside the download ("/"-separated); only ``.ipynb`` files are read.
    """
    if source.is_dir():
        return _folder_entries(source)
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as error:
        raise CollectError(f"--lms {source}: not a zip file or a folder ({error}); give the "
                           f"LMS's bulk download as it was saved, or the folder it was "
                           f"unpacked into.") from None
    found = []
    with archive:
        for info in archive.infolist()[:MAX_ENTRIES]:
            name = info.filename
            if info.is_dir() or not name.lower().endswith(".ipynb"):
                continue
            parts = PurePosixPath(name).parts
            if name.startswith(("/", "\\")) or "\\" in name or ".." in parts or ":" in name:
                found.append((name, None, OUTSIDE))
            elif stat.S_ISLNK(info.external_attr >> 16):
                found.append((name, None, "refused: a symbolic link"))
            elif info.file_size > MAX_BYTES:
                found.append((name, None, f"refused: larger than {MAX_BYTES // 1_000_000} MB"))
            else:
                with archive.open(info) as file:
                    data = file.read(MAX_BYTES + 1)
                found.append((name, None, "refused: larger than its header says")
                             if len(data) > MAX_BYTES else (name, data, ""))
    return found


def _folder_entries(source: Path) -> list:
    found = []
    top = os.open(source, _DIR)
    try:
        for first in sorted(os.listdir(top))[:MAX_ENTRIES]:
            mode = os.stat(first, dir_fd=top, follow_symlinks=False).st_mode
            inner = []
            if stat.S_ISDIR(mode):  # Moodle: one folder per student, one level deep
                fd = os.open(first, _DIR, dir_fd=top)
                try:
                    inner = [[first, name] for name in sorted(os.listdir(fd))[:MAX_ENTRIES]]
                finally:
                    os.close(fd)
            else:
                inner = [[first]]
            for parts in inner:
                name = "/".join(parts)
                if not name.lower().endswith(".ipynb"):
                    continue
                try:
                    fd = _open_under(top, parts)
                    try:
                        found.append((name, _read_fd(fd, MAX_BYTES), ""))
                    finally:
                        os.close(fd)
                except OSError as error:
                    found.append((name, None, _why(error)))
    finally:
        os.close(top)
    return found


def lms_owner(name: str) -> str | None:
    """The LMS's number for a downloaded file's owner (Canvas user id, Moodle participant id)."""
    first = name.split("/", 1)[0]
    match = _MOODLE.match(first) or _CANVAS.match(first)
    return match["uid"] if match else None


def collect_lms(homework: str, source: Path, out: Path,
                roster: Path | None = None) -> list[Line]:
    """Copy each student's notebook of a Canvas or Moodle bulk download into ``out/<id>/``.

    A student with several notebooks gets the one whose name names the homework (else the
    first by name); the report names the others.
    """
    name = notebook_name(homework)
    short = name.split("_")[0]
    ids = read_mapping(roster, "lms_id")
    by_student: dict[str, list] = {}
    lines = []
    for entry, data, refusal in lms_entries(source):
        if refusal == OUTSIDE:  # its owner is whoever the last part names, never trusted
            lines.append(Line(lms_owner(PurePosixPath(entry).name) or "?", refusal, entry))
            continue
        owner = lms_owner(entry)
        student = owner if ids is None or owner is None else ids.get(owner)
        if owner is None:
            lines.append(Line("?", "skipped: not named as Canvas or Moodle name files", entry))
        elif student is None:
            lines.append(Line(owner, "skipped: LMS id not on the roster (column lms_id)", entry))
        else:
            by_student.setdefault(student, []).append((entry, data, refusal))
    out.mkdir(parents=True, exist_ok=True)
    for student, files in sorted(by_student.items()):
        usable = [f for f in files if not f[2]]
        if not usable:
            lines.append(Line(student, files[0][2], files[0][0]))
            continue
        usable.sort(key=lambda f: (short not in f[0].lower(), f[0]))
        entry, data, _ = usable[0]
        status = "collected"
        if len(files) > 1:
            status += f" (also in the download, not used: {len(files) - 1} other notebook(s))"
        try:
            write_file(out, student, name, data)
        except OSError as error:
            status = f"not written: {error.strerror or error}"
        lines.append(Line(student, status, entry))
    for student in sorted(set((ids or {}).values()) - set(by_student)):
        lines.append(Line(student, "no submission"))
    return sorted(lines, key=lambda line: line.student)


# ---------------------------------------------------------------------------- return
def return_feedback(feedback: Path, name: str, homes: Path | None = None,
                    out: Path | None = None, roster: Path | None = None) -> list[Line]:
    """Copy ``feedback/<id>/<name>.html`` to each student's ``feedback/`` folder or ``out/<id>/``.

    Only the folders of ``feedback`` named by a usable id are read (never through a link);
    with ``homes``, the id is mapped back to the login through the roster's ``login`` column.
    """
    if (homes is None) == (out is None):
        raise CollectError("give exactly one of --homes (put each page into the student's "
                           "home) or --out (one folder per student, for an LMS upload).")
    page = Path(name).name.removesuffix(".html") + ".html"
    logins = {s: login for login, s in (read_mapping(roster, "login") or {}).items()}
    try:
        top = os.open(feedback, _DIR)
    except OSError as error:
        raise CollectError(f"--feedback {feedback}: cannot open it ({error.strerror}); give "
                           f"the folder with one sub-folder of pages per student.") from None
    lines = []
    try:
        for student in sorted(os.listdir(top)):
            if not _SAFE_ID.match(student):
                continue
            try:
                fd = _open_under(top, [student, page])
                try:
                    data = _read_fd(fd, MAX_FEEDBACK)
                finally:
                    os.close(fd)
            except OSError as error:
                lines.append(Line(student, "no feedback page" if error.errno == errno.ENOENT
                                  else _why(error), f"{student}/{page}"))
                continue
            lines.append(_deliver(student, page, data, homes, out, logins.get(student, student)))
    finally:
        os.close(top)
    return lines


def _deliver(student, page, data, homes, out, login) -> Line:
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            write_file(out, student, page, data)
        except OSError as error:
            return Line(student, f"not written: {error.strerror or error}")
        return Line(student, "returned", f"{student}/{page}")
    try:
        top = os.open(homes, _DIR)
    except OSError as error:
        raise CollectError(f"--homes {homes}: cannot open it ({error.strerror}).") from None
    try:
        home = os.open(login, _DIR, dir_fd=top)
    except OSError as error:
        os.close(top)
        return Line(student, "no home" if error.errno == errno.ENOENT else _why(error), login)
    try:
        info = os.fstat(home)
        owner = (info.st_uid, info.st_gid) if os.geteuid() == 0 else None
        _mkdir(home, "feedback", owner)
        folder = os.open("feedback", _DIR, dir_fd=home)
        try:
            _replace(folder, page, data, owner)
        finally:
            os.close(folder)
    except OSError as error:
        return Line(student, _why(error) if error.errno != errno.ENOENT
                    else f"refused: {error.strerror}", f"{login}/feedback/{page}")
    finally:
        os.close(home)
        os.close(top)
    return Line(student, "returned", f"{login}/feedback/{page}")


def write_report(lines: list[Line], path: Path) -> None:
    """The report as CSV (student, status, source), every cell made safe."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "status", "source"])
        for line in lines:
            writer.writerow([safe_cell(safe_text(line.student, 64)),
                             safe_cell(safe_text(line.status)), safe_cell(safe_text(line.source))])

"""Write the student release: ``make release`` (``python3 site/release.py``).

The student release is what Binder, Colab links and nbgitpuller links point at, never at the
instructor's repository (which holds the solutions, the grader and its tests). It holds one
commit's (default ``HEAD``) README files, licence, environment files (``environment.yml``,
``postBuild``, ``pyproject.toml``, ``Makefile``, ``lab/`` and the lock, so ``make lab`` works in a
clone of it), ``data/``, the ``cnnlib`` package without :data:`INSTRUCTOR_ONLY`, and the
notebooks that :func:`student_notebooks` chooses (each edition's course notebooks and student
homework), at the paths they have here, so the course map's links work unchanged. It never holds
the solution notebooks, the sample submissions, ``tests/``, ``i18n/``, ``lecture/``, ``site/``
or ``.ci/``.

Files come from git (committed content only, read with ``git ls-tree`` / ``git cat-file``), so
nothing untracked or uncommitted can slip in. Outputs:

- a folder (default ``_release/``, git-ignored), replaced on each run;
- with ``--branch NAME``, also a commit on branch ``NAME`` whose tree is the folder's files (all
  but the marker file), made with git plumbing (a private index file, ``write-tree``,
  ``commit-tree``, ``update-ref``): the working tree, the index and the current branch are
  never touched. Push it to where students clone from (``git push origin NAME``).

The site (``site/build.py``) publishes the same notebooks, chosen by the same function.
Standard library only: no cnnlib, no virtual environment needed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = "notebooks"
#: The files and folders of the release besides the notebooks (folders minus INSTRUCTOR_ONLY).
RELEASE = ("README.md", "README.ko.md", "LICENSE", ".gitignore", "environment.yml", "postBuild",
           "pyproject.toml", "Makefile", "lab", "requirements", "data", "cnnlib")
#: Instructor-only code inside RELEASE's folders: never in anything students receive. The one
#: list: the release leaves these out (a folder ends with "/").
INSTRUCTOR_ONLY = ("cnnlib/homework/instructor/",)
#: A file in the release folder that marks it as one (so a re-run may replace the folder).
MARKER = ".student-release"
#: The line in a release commit's message that marks its branch as a release branch.
TRAILER = "Student-release-of:"


class ReleaseError(Exception):
    """A release that cannot be written as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Entry:
    """One file of the release: git mode ("100644" or "100755"), blob id, path (posix)."""

    mode: str
    blob: str
    path: str


def student_notebooks(paths) -> list[str]:
    """The notebooks students get, out of ``paths`` (posix paths relative to ``notebooks/``).

    An edition is ``notebooks/`` itself or a folder in it holding a course map
    (``ko/00_index.ipynb``). Each edition gives its course notebooks (``*.ipynb`` directly in
    it: lectures, explorers, glossary) and its student homework (``homework/student/*.ipynb``).
    Nothing else: solution notebooks (``homework/hw*.ipynb``), sample submissions, conftest.py
    files and anything new stay out until this function names them.
    """
    paths = sorted(set(paths))
    editions = [""] + [p.removesuffix("00_index.ipynb") for p in paths
                       if re.fullmatch(r"[^/]+/00_index\.ipynb", p)]
    wanted = [re.compile(re.escape(edition) + r"([^/]+|homework/student/[^/]+)\.ipynb")
              for edition in editions]
    return [path for path in paths if any(w.fullmatch(path) for w in wanted)]


def instructor_only(path: str) -> bool:
    """Whether ``path`` (posix, relative to the checkout) is in :data:`INSTRUCTOR_ONLY`."""
    return any(path.startswith(p) if p.endswith("/") else path == p for p in INSTRUCTOR_ONLY)


def git(*args: str, root: Path = ROOT, **kwargs) -> str:
    """Run ``git -C root args``; return its output; raise :class:`ReleaseError` on failure."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                              text=True, **kwargs)
    except FileNotFoundError as error:
        raise ReleaseError("git is not installed; the release is read from git") from error
    except subprocess.CalledProcessError as error:
        raise ReleaseError(f"git {' '.join(args)} failed: {error.stderr.strip()}") from error
    return done.stdout


def release_entries(ref: str = "HEAD", root: Path = ROOT) -> list[Entry]:
    """The files of the release, read from commit ``ref`` of the repository at ``root``."""
    listing = git("ls-tree", "-r", "-z", "--full-tree", ref, root=root)
    folders = tuple(f"{name}/" for name in RELEASE)
    notebooks, entries = {}, []
    for record in filter(None, listing.split("\0")):
        meta, path = record.split("\t", 1)
        mode, kind, blob = meta.split()
        if path.startswith(f"{NOTEBOOKS}/"):
            notebooks[path[len(NOTEBOOKS) + 1:]] = (mode, kind, blob, path)
            continue
        if not (path in RELEASE or path.startswith(folders)) or instructor_only(path):
            continue
        entries.append(_entry(mode, kind, blob, path))
    for name in student_notebooks(notebooks):
        entries.append(_entry(*notebooks[name]))
    return sorted(entries, key=lambda e: e.path)


def _entry(mode: str, kind: str, blob: str, path: str) -> Entry:
    if kind != "blob" or mode not in ("100644", "100755"):
        raise ReleaseError(f"{path}: a {'symbolic link' if mode == '120000' else kind} "
                           f"(mode {mode}); the release copies regular files only: "
                           f"replace it by a file or leave it out of RELEASE")
    return Entry(mode, blob, path)


def write_folder(entries: list[Entry], output: Path, source: str, root: Path = ROOT) -> None:
    """Write ``entries`` (blobs of the repository at ``root``) into ``output``, replacing a
    previous release there; ``source`` (the commit) goes into the :data:`MARKER` file."""
    output = output.resolve()
    if output == root.resolve() or output in root.resolve().parents:
        raise ReleaseError(f"--output {output} is the repository or a folder above it; "
                           f"give a new folder such as {root / '_release'}")
    if output.exists():
        if not (output / MARKER).is_file() and any(output.iterdir()):
            raise ReleaseError(f"--output {output} exists and is not a student release (no "
                               f"{MARKER} in it); give a new or empty folder")
        shutil.rmtree(output)
    output.mkdir(parents=True)
    contents = _blobs([e.blob for e in entries], root)
    for entry in entries:
        target = output / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents[entry.blob])
        target.chmod(0o755 if entry.mode == "100755" else 0o644)
    (output / MARKER).write_text(f"Student release of commit {source}, written by "
                                 f"site/release.py. Publish this folder, not the instructor's "
                                 f"repository.\n")


def _blobs(ids: list[str], root: Path) -> dict[str, bytes]:
    """The contents of git blobs ``ids``, read in one ``git cat-file --batch``."""
    unique = list(dict.fromkeys(ids))
    done = subprocess.run(["git", "-C", str(root), "cat-file", "--batch"], check=True,
                          capture_output=True, input="".join(f"{i}\n" for i in unique).encode())
    out, at, contents = done.stdout, 0, {}
    for blob in unique:
        header_end = out.index(b"\n", at)
        name, kind, size = out[at:header_end].decode().split()
        if name != blob or kind != "blob":
            raise ReleaseError(f"git cat-file gave {name} ({kind}) for blob {blob}")
        start = header_end + 1
        contents[blob] = out[start:start + int(size)]
        at = start + int(size) + 1
    return contents


def check_branch(name: str, root: Path = ROOT) -> str:
    """Refuse a branch the release must not be written to; return its commit ("" if new).

    A branch that exists must have been made by :func:`write_branch` (its last commit has the
    :data:`TRAILER` line), and it must not be checked out in any worktree.
    """
    git("check-ref-format", "--branch", name, root=root)
    ref = f"refs/heads/{name}"
    checked_out = [line.split(" ", 1)[1] for line in git("worktree", "list", "--porcelain",
                                                        root=root).splitlines()
                   if line.startswith("branch ")]
    if ref in checked_out:
        raise ReleaseError(f"--branch {name} is checked out in a worktree; the release branch "
                           f"must be one nobody works on (e.g. --branch student)")
    parent = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "-q",
                             f"{ref}^{{commit}}"], capture_output=True, text=True).stdout.strip()
    if parent and TRAILER not in git("log", "-1", "--format=%B", parent, root=root):
        raise ReleaseError(f"branch {name} exists and was not made by site/release.py (no "
                           f"'{TRAILER}' line in its last commit); give another --branch name")
    return parent


def write_branch(entries: list[Entry], name: str, source: str, root: Path = ROOT) -> str:
    """Commit ``entries`` as the whole tree of branch ``name``; return the commit id.

    Only refs/heads/``name`` changes (see :func:`check_branch`); an unchanged tree makes no new
    commit.
    """
    parent = check_branch(name, root)
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        index_info = "".join(f"{e.mode} {e.blob}\t{e.path}\0" for e in entries)
        git("update-index", "--add", "-z", "--index-info", root=root, env=env, input=index_info)
        tree = git("write-tree", root=root, env=env).strip()
    if parent and git("rev-parse", f"{parent}^{{tree}}", root=root).strip() == tree:
        return parent
    message = f"Student release of {source}\n\n{TRAILER} {source}\n"
    commit = git("commit-tree", tree, *(["-p", parent] if parent else []), "-F", "-",
                 root=root, input=message).strip()
    git("update-ref", "-m", f"site/release.py: release of {source}", f"refs/heads/{name}", commit,
        parent or "0" * 40, root=root)
    return commit


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "_release",
                        help="folder to write (default: %(default)s); replaced if it holds a "
                             "previous release")
    parser.add_argument("--branch", help="also commit the release as the whole tree of this "
                                         "branch (never the one checked out)")
    parser.add_argument("--ref", default="HEAD",
                        help="the commit to release (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        source = git("rev-parse", "--verify", f"{args.ref}^{{commit}}").strip()
        entries = release_entries(source)
        if args.branch:
            check_branch(args.branch)
        write_folder(entries, args.output, source)
        if args.branch:
            commit = write_branch(entries, args.branch, source)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    size = sum((args.output / e.path).stat().st_size for e in entries)
    print(f"wrote {args.output}: {len(entries)} files, {size / 1e6:.1f} MB, from {source[:12]}")
    if args.ref == "HEAD" and git("status", "--porcelain", "--untracked-files=no").strip():
        print("note: uncommitted changes are not in the release (it holds the commit)")
    if args.branch:
        print(f"branch {args.branch} is at {commit[:12]}: git push origin {args.branch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A demo JupyterHub for the course on this machine: ``make hub`` (``python hub/demo/run.py``).

Try what a class does, on 127.0.0.1 only: students log in, open a notebook through its
nbgitpuller link (the student release is cloned into their home), work, and hand in homework;
the instructor then collects, grades and returns feedback with ``python -m cnnlib.homework``
(the commands are printed at start). Everything lives in one state folder (default
``hub/.demo/``, git-ignored): the hub's database, one home per student under ``home/``, and the
student release as a git repository (``release.git``, written from the last commit by
``site/release.py``, so students never see the solutions). Stop with Ctrl+C; a second run keeps
the homes and commits a new release if the course changed, which the next click on a link
merges into each home without overwriting a student's edits (nbgitpuller).

The hub is JupyterHub with its proxy (configurable-http-proxy from npm, ``hub/package.json``:
``make hub`` installs it) and ``hub/demo/jupyterhub_config.py``: one shared password for the
students, another for the instructor (an admin), both printed at start. See that file for why
this is a demo only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
import links  # noqa: E402  (hub/links.py: the nbgitpuller links)

CONFIG = HERE / "jupyterhub_config.py"
PROXY = HERE.parent / "node_modules" / ".bin" / "configurable-http-proxy"
DEFAULT_STATE = HERE.parent / ".demo"
STUDENTS = ("student1", "student2", "student3")
INSTRUCTOR = "instructor"
#: The notebooks whose links are printed at start (any release notebook has one).
SHOWN = ("notebooks/00_index.ipynb", "notebooks/03_padding_and_stride.ipynb",
         "notebooks/homework/student/hw1_zfnet_parameters.ipynb")


@dataclass(frozen=True)
class Hub:
    """One demo hub's settings: where it keeps its state, its address, who may log in."""

    state: Path
    port: int
    students: tuple[str, ...]
    instructor: str
    password: str
    admin_password: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def repository(self) -> str:
        """The student release's git address, as nbgitpuller clones it."""
        return (self.state / "release.git").as_uri()

    def home(self, login: str) -> Path:
        return self.state / "home" / login

    def link(self, path: str) -> str:
        """The nbgitpuller link that opens ``path`` (``notebooks/...``) for a student."""
        return links.link(self.url, self.repository, path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _git(*args: str, **kwargs) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True,
                          **kwargs).stdout


def publish_release(state: Path) -> str:
    """Write the student release of this checkout's last commit and commit it to the bare
    repository ``state/release.git`` (branch ``main``) if it changed; return the commit id."""
    files, repository = state / "release", state / "release.git"
    subprocess.run([sys.executable, str(ROOT / "site" / "release.py"), "--output", str(files)],
                   check=True, capture_output=True, text=True)
    if not repository.exists():
        _git("init", "--quiet", "--bare", "--initial-branch", links.BRANCH, str(repository))
    tree = ["--git-dir", str(repository), "--work-tree", str(files)]
    _git(*tree, "add", "--all", "--", ".", f":!{links.MARKER}")   # not the folder's marker
    if _git(*tree, "status", "--porcelain").strip():
        source = _git("-C", str(ROOT), "rev-parse", "--short=12", "HEAD").strip()
        _git(*tree, "-c", "user.name=cnn-basics demo hub", "-c", "user.email=hub@localhost",
             "commit", "--quiet", "-m", f"Student release of {source}")
    return _git(*tree, "rev-parse", "HEAD").strip()


def _password(state: Path, name: str, length: int) -> str:
    """A password kept in ``state/name`` (made on the first run, readable by its owner only)."""
    path = state / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(length), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def prepare(state: Path = DEFAULT_STATE, port: int = 8000, students=STUDENTS,
            instructor: str = INSTRUCTOR) -> Hub:
    """Create the state folder, its passwords and the student release; the hub to start."""
    if not PROXY.exists():
        raise SystemExit(f"{PROXY} is missing: run `npm ci --prefix hub` (or `make hub`), "
                         f"which installs JupyterHub's proxy from hub/package.json")
    state = state.resolve()
    (state / "home").mkdir(parents=True, exist_ok=True)
    state.chmod(0o700)
    publish_release(state)
    return Hub(state, port, tuple(students), instructor,
               _password(state, "student-password", 9), _password(state, "admin-password", 24))


def environment(hub: Hub) -> dict[str, str]:
    """The environment ``jupyterhub -f hub/demo/jupyterhub_config.py`` reads its settings from."""
    return {**os.environ, "CNN_HUB_STATE": str(hub.state), "CNN_HUB_PORT": str(hub.port),
            "CNN_HUB_HUB_PORT": str(free_port()), "CNN_HUB_API_PORT": str(free_port()),
            "CNN_HUB_USERS": ",".join((*hub.students, hub.instructor)),
            "CNN_HUB_ADMIN": hub.instructor, "CNN_HUB_PASSWORD": hub.password,
            "CNN_HUB_ADMIN_PASSWORD": hub.admin_password}


def command(hub: Hub) -> list[str]:
    return [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG),
            "--JupyterHub.log_level=WARN"]


def instructions(hub: Hub) -> str:
    """What to open and type: log-ins, a few links, and the homework commands."""
    homes, work = hub.state / "home", hub.state / "grading"
    lines = [f"The course hub is at {hub.url} (Ctrl+C stops it).", "",
             f"Students {', '.join(hub.students)}: password {hub.password}",
             f"Instructor {hub.instructor} (admin): password {hub.admin_password}", "",
             "nbgitpuller links (log in first; `python hub/links.py --hub ... --repository ...` "
             "writes one per notebook):"]
    lines += [f"  {path.removeprefix('notebooks/')}: {hub.link(path)}" for path in SHOWN]
    lines += ["", "Homework 1, once students saved it (from this checkout, another terminal):",
              f"  .venv/bin/python -m cnnlib.homework collect hw1 --homes {homes} "
              f"--out {work}/submissions",
              f"  .venv/bin/python -m cnnlib.homework grade {work}/submissions "
              f"--out {work}/scores.csv",
              f"  .venv/bin/python -m cnnlib.homework feedback {work}/scores.grades.json "
              f"--out {work}/feedback",
              f"  .venv/bin/python -m cnnlib.homework return hw1 --feedback {work}/feedback "
              f"--homes {homes}",
              "Each student then opens feedback/hw1.html in their home."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE,
                        help="folder for the hub's state and the homes (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000,
                        help="the port students open on 127.0.0.1 (default: %(default)s)")
    parser.add_argument("--students", default=",".join(STUDENTS),
                        help="comma-separated student logins (default: %(default)s)")
    args = parser.parse_args(argv)
    students = tuple(s.strip() for s in args.students.split(",") if s.strip())
    hub = prepare(args.state, args.port, students)
    print(instructions(hub), flush=True)
    process = subprocess.Popen(command(hub), env=environment(hub))
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return process.wait()


if __name__ == "__main__":
    sys.exit(main())

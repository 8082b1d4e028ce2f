"""Re-pulling the student release never overwrites a student's work (nbgitpuller's merge).

What a student's home goes through on the hub, with nbgitpuller's own puller (the code behind
every link) and real git: the first click clones the release; the student edits a notebook,
deletes another and adds a file; the instructor publishes a new release that changes the same
notebook elsewhere, another notebook, and adds one; the next click pulls. The student's edits
stay, the instructor's other changes arrive, and the deleted notebook comes back.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

pytest.importorskip("nbgitpuller")
from nbgitpuller.pull import GitPuller  # noqa: E402

if not shutil.which("git"):
    pytest.skip("git not found", allow_module_level=True)


def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=instructor", "-c", "user.email=i@example.edu",
                    *args], cwd=cwd, check=True, capture_output=True)


def _notebook(*sources: str) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
              "outputs": [], "source": source} for i, source in enumerate(sources)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
                      indent=1) + "\n"


def _sources(path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


def _pull(release, home):
    # what a link does: clone the first time, fetch and merge afterwards
    for _ in GitPuller(release.as_uri(), str(home), branch="main", depth=1).pull():
        pass


def test_a_second_pull_keeps_the_students_edits(tmp_path):
    release, home = tmp_path / "release", tmp_path / "home" / "cnn-basics"
    release.mkdir()
    _git("init", "--quiet", "--initial-branch", "main", cwd=release)
    (release / "hw1.ipynb").write_text(_notebook("conv1_params = ...", "# notes", "total = ..."))
    (release / "03.ipynb").write_text(_notebook("explore()"))
    (release / "04.ipynb").write_text(_notebook("fields()"))
    _git("add", "-A", cwd=release)
    _git("commit", "--quiet", "-m", "release 1", cwd=release)

    _pull(release, home)
    assert _sources(home / "hw1.ipynb")[0] == "conv1_params = ..."
    # the student works: answers the first cell, deletes 04, keeps scratch notes
    (home / "hw1.ipynb").write_text(_notebook("conv1_params = 14208", "# notes", "total = ..."))
    (home / "04.ipynb").unlink()
    (home / "scratch.py").write_text("x = 1\n")

    # the instructor fixes hw1's last cell, changes 03, adds 05 (and the student's first cell)
    (release / "hw1.ipynb").write_text(
        _notebook("conv1_params = ...  # (7 * 7 * 3 + 1) * 96?", "# notes", "total_params = ..."))
    (release / "03.ipynb").write_text(_notebook("explore(stride=2)"))
    (release / "05.ipynb").write_text(_notebook("pool()"))
    _git("add", "-A", cwd=release)
    _git("commit", "--quiet", "-m", "release 2", cwd=release)

    _pull(release, home)
    hw1 = _sources(home / "hw1.ipynb")
    assert hw1[0] == "conv1_params = 14208", "the student's answer was overwritten"
    assert hw1[2] == "total_params = ...", "the release's change elsewhere did not arrive"
    assert _sources(home / "03.ipynb") == ["explore(stride=2)"]
    assert _sources(home / "05.ipynb") == ["pool()"]
    assert _sources(home / "04.ipynb") == ["fields()"], "a deleted notebook is restored"
    assert (home / "scratch.py").read_text() == "x = 1\n"

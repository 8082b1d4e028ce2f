"""environment.yml (conda, Binder) and pyproject.toml (pip) must list the same packages."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_packages():
    """Package names pyproject.toml asks for (backports for Pythons before 3.11 excepted:
    environment.yml pins python=3.11)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return {_name(r) for r in requirements if "python_version < '3.11'" not in r}


def _conda_packages():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    return names - {"python", "pip"}, env


def test_environment_and_pyproject_agree():
    conda, _ = _conda_packages()
    pip = _pyproject_packages()
    assert conda - pip == set(), f"in environment.yml only: {sorted(conda - pip)}"
    assert pip - conda == set(), f"in pyproject.toml only: {sorted(pip - conda)}"


def test_environment_is_binder_ready():
    _, env = _conda_packages()
    assert env["channels"] == ["conda-forge"]
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python"]
    assert pythons and re.fullmatch(r"python=3\.\d+", pythons[0]), pythons
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section
    post_build = (ROOT / "postBuild").read_text()
    assert "pip install" in post_build and (ROOT / "postBuild").stat().st_mode & 0o111


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, cnnlib; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

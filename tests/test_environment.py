"""environment.yml (conda, Binder), pyproject.toml (pip) and the CI lock must agree; the package
exposes its modules."""

import importlib
import importlib.metadata
import json
import pkgutil
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import cnnlib

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "ci-constraints.txt"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return [Requirement(r) for r in requirements]


def _pyproject_packages():
    """Package names pyproject.toml asks for (backports for Pythons before 3.11 excepted:
    environment.yml pins python=3.11)."""
    return {_name(str(r)) for r in _pyproject_requirements()
            if not r.marker or r.marker.evaluate({"python_version": "3.11"})}


def _conda_packages():
    """Package names environment.yml installs: from conda-forge, and by name in its pip section
    (for packages conda-forge does not have; ``-e .`` is cnnlib itself)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    for section in env["dependencies"]:
        if isinstance(section, dict):
            names |= {_name(d) for d in section.get("pip", []) if not d.startswith("-")}
    return names - {"python", "pip"}, env


def _locked_versions():
    """{canonical name: version} from the lock; every line must be an exact pin."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version.strip(), f"not an exact pin in {LOCK.name}: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_lock_pins_every_dependency_within_pyproject_bounds():
    pins = _locked_versions()
    assert "cnnlib" not in pins, "the lock holds dependencies only (pip freeze --exclude-editable)"
    header = LOCK.read_text().splitlines()[:3]
    assert any("make lock" in line for line in header), header
    for requirement in _pyproject_requirements():
        if requirement.marker and not requirement.marker.evaluate({"python_version": "3.11"}):
            continue  # a backport the locked Python (3.11) does not install
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in {LOCK.name}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"{LOCK.name} pins {name}=={pins[name]}, outside pyproject's {requirement}"


def _installed_with(requirements) -> set[str]:
    """Canonical names of the distributions that installing ``requirements`` brings in
    (followed through the installed packages' metadata, extras included)."""
    seen, todo = set(), list(requirements)
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        for line in importlib.metadata.requires(requirement.name) or []:
            dependency = Requirement(line)
            extras = requirement.extras or {""}
            if not dependency.marker or any(dependency.marker.evaluate({"extra": e})
                                            for e in extras):
                todo.append(dependency)
    return {name for name, _ in seen}


def test_notebook_imports_come_with_the_notebooks_extra():
    """``pip install "cnnlib[notebooks]"`` is all a notebook needs (Colab, the browser)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["notebooks"]
    installed = _installed_with(Requirement(r) for r in wanted)
    providers = importlib.metadata.packages_distributions()
    missing = set()
    for notebook in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for module in re.findall(r"^\s*(?:from|import)\s+(\w+)", "".join(cell["source"]), re.M):
                if module in sys.stdlib_module_names or module == "cnnlib":
                    continue
                if not {canonicalize_name(d) for d in providers.get(module, [])} & installed:
                    missing.add(f"{module} ({notebook.name})")
    assert not missing, f"imported by notebooks, not installed by the notebooks extra: {missing}"


def test_every_module_is_reachable_as_an_attribute():
    """``cnnlib.linear`` is the module ``cnnlib.linear`` (no function of the same name hides it);
    the functions named like their module are imported from it."""
    for info in pkgutil.iter_modules(cnnlib.__path__):
        module = importlib.import_module(f"cnnlib.{info.name}")
        assert getattr(cnnlib, info.name) is module, info.name
    from cnnlib.gradcheck import gradcheck
    from cnnlib.linear import linear
    from cnnlib.summary import summary

    assert all(callable(f) for f in (gradcheck, linear, summary))
    assert cnnlib.linear.flatten is cnnlib.flatten


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


def test_lecture_environment_is_pinned_like_ci():
    """lecture/requirements.txt (``make lecture``) pins every package exactly, and the packages
    it shares with the CI lock (numpy, matplotlib, ipywidgets, ...) at the lock's versions, so the
    lecture draws what CI tested."""
    lecture = {}
    for line in (ROOT / "lecture" / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version.strip(), f"not an exact pin in {line!r}"
            lecture[canonicalize_name(name)] = version.strip()
    assert {"notebook", "rise", "ipywidgets", "nbclassic"} <= set(lecture)
    locked = _locked_versions()
    cnnlib_needs = {canonicalize_name(r.name) for r in _pyproject_requirements()} & set(lecture)
    differ = {n: (lecture[n], locked[n]) for n in cnnlib_needs
              if n in locked and lecture[n] != locked[n]}
    assert {"numpy", "matplotlib", "ipywidgets", "scipy", "pillow"} <= cnnlib_needs
    assert not differ, f"lecture vs CI lock versions: {differ}"
    # cnnlib is installed there with --no-deps: its own runtime dependencies must be listed
    runtime = {canonicalize_name(Requirement(r).name)
               for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
                   "dependencies"]}
    assert runtime <= set(lecture), f"not in lecture/requirements.txt: {runtime - set(lecture)}"

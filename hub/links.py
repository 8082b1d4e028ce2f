"""nbgitpuller links for the course's hub, one per notebook: ``python hub/links.py``.

HUB (the hub's address, set here) and REPOSITORY (the *student release*, see ``make release``;
never this instructor repository) are where these links come from. REPOSITORY is not written
here: it is ``site/colab.py``'s, the one place the course's published repository is named, so
that Colab links, the Colab set-up cell and these links can never disagree. While either is
``None`` (no hub yet) the script writes nothing and says what to set: no student ever sees a
link with a placeholder in it. ``--hub`` / ``--repository`` override them
for one run, e.g. to try a demo hub.

A link opens ``HUB/hub/user-redirect/git-pull`` with nbgitpuller's query parameters: ``repo``,
``branch``, ``targetpath`` (the folder in the home, :data:`RELEASE_FOLDER`, where
``python -m cnnlib.homework collect`` looks) and ``urlpath`` (the notebook in JupyterLab,
``lab/tree/<targetpath>/<path>``). The first click clones the release into the student's home;
later clicks pull new commits and merge them, never overwriting a file the student changed
(nbgitpuller's automatic merging). The notebooks are the release's (``site/release.py``'s
:func:`student_notebooks`): each edition's course notebooks and its student homework.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from cnnlib.homework.instructor.collect import RELEASE_FOLDER  # noqa: E402

#: The hub students log in to, e.g. "https://hub.example.edu"; None until there is one.
HUB: str | None = None
BRANCH = "main"


def _load(name: str):
    """``site/<name>.py`` as a module (site/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "site" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


#: The student release's git address, from site/colab.py's REPOSITORY ("owner/name" on
#: GitHub); None until it is published.
REPOSITORY: str | None = (f"https://github.com/{_load('colab').REPOSITORY}"
                          if _load("colab").REPOSITORY else None)


def _release():
    return _load("release")


#: The file that marks a folder as a student release (site/release.py's); not committed.
MARKER: str = _release().MARKER


def notebooks() -> list[str]:
    """The release's notebooks, as paths relative to the checkout (``notebooks/...``)."""
    here = [p.relative_to(ROOT / "notebooks").as_posix()
            for p in (ROOT / "notebooks").rglob("*.ipynb")]
    return [f"notebooks/{p}" for p in _release().student_notebooks(here)]


def link(hub: str, repository: str, path: str, branch: str = BRANCH) -> str:
    """The nbgitpuller link that pulls ``repository`` and opens ``path`` in JupyterLab."""
    query = urlencode({"repo": repository, "branch": branch, "targetpath": RELEASE_FOLDER,
                       "urlpath": f"lab/tree/{RELEASE_FOLDER}/{path}"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def check(hub: str, repository: str) -> None:
    """``ValueError`` naming the setting unless both are absolute http(s) addresses."""
    for name, value in (("HUB (--hub)", hub), ("REPOSITORY (--repository)", repository)):
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc or "<" in value:
            raise ValueError(f"{name} = {value!r} is not an address; set it to the hub's "
                             f"https://... address or the student release's git address.")


def markdown(hub: str, repository: str, paths: list[str], branch: str = BRANCH) -> str:
    """A markdown list: one line per notebook, its name linked."""
    lines = ["## Open on the course hub", ""]
    for path in paths:
        name = path.removeprefix("notebooks/").removesuffix(".ipynb")
        lines.append(f"- [{name}]({link(hub, repository, path, branch)})")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hub", default=HUB, help="the hub's address (default: HUB)")
    parser.add_argument("--repository", default=REPOSITORY,
                        help="the student release's git address (default: REPOSITORY)")
    parser.add_argument("--branch", default=BRANCH, help="its branch (default: %(default)s)")
    parser.add_argument("--out", type=Path, help="write the list here instead of printing it")
    args = parser.parse_args(argv)
    if args.hub is None or args.repository is None:
        print("no links written: set HUB in hub/links.py and REPOSITORY in site/colab.py (or "
              "pass --hub and --repository) once the hub and the student release exist.",
              file=sys.stderr)
        return 2
    try:
        check(args.hub, args.repository)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = markdown(args.hub, args.repository, notebooks(), args.branch)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

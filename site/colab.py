"""Colab for the course, once it has a public address: ``python site/colab.py``.

REPOSITORY is the one place the published course repository's address lives ("owner/name" on
GitHub): the *student release* (``make release``), never the instructor's repository, which holds
the solutions. ``hub/links.py`` makes the hub's nbgitpuller links from it too.
While it is ``None`` (the course is not published yet) no student sees a link that cannot
work: this script *removes* every Colab set-up cell and the course map's "Open in Colab" list,
and the course map says how to open the course on one's own machine or in the browser site.
Once it is set, the script puts a set-up cell first in every course notebook (it does nothing
where cnnlib is importable, a checkout or JupyterLite; on Google Colab it pip-installs cnnlib,
with its data and the notebooks' extras, from the repository) and the "Open in Colab" list at
the end of the course map; run ``make korean`` and re-execute afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
#: The student release's public GitHub repository ("owner/name"); None until it is published.
REPOSITORY: str | None = None
BRANCH = "main"
CELL_ID = "colab-setup"


def setup_source(repository: str) -> str:
    """The set-up cell that installs cnnlib from ``repository`` on Colab (and nowhere else)."""
    return f"""\
# Set-up for Google Colab; does nothing anywhere cnnlib is already installed.
import importlib.util
import subprocess
import sys

COURSE = "cnnlib[notebooks] @ git+https://github.com/{repository}@{BRANCH}"
if "google.colab" in sys.modules and importlib.util.find_spec("cnnlib") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)"""


def colab_url(notebook: Path, repository: str) -> str:
    """The address that opens ``notebook`` (a path under notebooks/) in Colab."""
    path = notebook.relative_to(ROOT).as_posix()
    return f"https://colab.research.google.com/github/{repository}/blob/{BRANCH}/{path}"


def remove_cells(path: Path, cell_id: str) -> bool:
    """Remove the cell ``cell_id`` from ``path``; True if the file changed."""
    notebook = nbformat.read(path, as_version=4)
    kept = [cell for cell in notebook.cells if cell.get("id") != cell_id]
    if len(kept) == len(notebook.cells):
        return False
    notebook.cells = kept
    nbformat.write(notebook, path)
    return True


def add_setup_cell(path: Path, repository: str) -> bool:
    """Make the set-up cell the first code cell of ``path``; True if the file changed."""
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    source = setup_source(repository)
    existing = [cell for cell in cells if cell.get("id") == CELL_ID]
    if existing:
        if existing[0].source == source:
            return False
        existing[0].source = source
    else:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = CELL_ID
        first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
        cells.insert(first_code, cell)
    nbformat.write(notebook, path)
    return True


LINKS_ID = "colab-links"


def links_source(notebooks: list[Path], repository: str) -> str:
    """The course map's "Open in Colab" list."""
    lines = ["## Open in Colab", "",
             "No Python on your machine? Each notebook opens in Google Colab (a Google account "
             "is needed); its first cell installs cnnlib there.", ""]
    lines += [f"- [{path.stem}]({colab_url(path, repository)})" for path in notebooks]
    return "\n".join(lines)


def add_links(index: Path, notebooks: list[Path], repository: str) -> bool:
    """Put (or update) the "Open in Colab" list as the course map's last cell."""
    notebook = nbformat.read(index, as_version=4)
    source = links_source(notebooks, repository)
    existing = [cell for cell in notebook.cells if cell.get("id") == LINKS_ID]
    if existing and existing[0].source == source:
        return False
    if existing:
        existing[0].source = source
    else:
        cell = nbformat.v4.new_markdown_cell(source)
        cell.id = LINKS_ID
        notebook.cells.append(cell)
    nbformat.write(notebook, index)
    return True


def main(repository: str | None = REPOSITORY) -> None:
    paths = [ROOT / arg for arg in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    index = ROOT / "notebooks" / "00_index.ipynb"
    for path in paths:
        changed = (add_setup_cell(path, repository) if repository
                   else remove_cells(path, CELL_ID))
        if changed:
            print(f"updated {path.relative_to(ROOT)}")
    changed = (add_links(index, sorted((ROOT / "notebooks").glob("*.ipynb")), repository)
               if repository else remove_cells(index, LINKS_ID))
    if changed:
        print(f"updated {index.relative_to(ROOT)} (Open in Colab links)")


if __name__ == "__main__":
    main()

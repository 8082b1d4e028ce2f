"""Put the Colab set-up cell first in every course notebook: ``python site/colab.py``.

The cell does nothing where cnnlib is importable (a checkout, JupyterLite); on Google Colab it
pip-installs cnnlib, with its data and the notebooks' extras, from the course's repository.
REPOSITORY is the one place the repository's address lives: the cell and the course map's
"Open in Colab" links are made from it. THE PUBLIC ADDRESS IS NOT KNOWN YET: replace the
placeholder, run this script again (it updates the cells in place) and re-execute.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
#: The course's public GitHub repository ("owner/name"), a placeholder until it is published.
REPOSITORY = "OWNER/cnn-basics"
BRANCH = "main"
CELL_ID = "colab-setup"
SOURCE = f"""\
# Set-up for Google Colab; does nothing anywhere cnnlib is already installed.
import importlib.util
import subprocess
import sys

COURSE = "cnnlib[notebooks] @ git+https://github.com/{REPOSITORY}@{BRANCH}"
if "google.colab" in sys.modules and importlib.util.find_spec("cnnlib") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)"""


def colab_url(notebook: Path) -> str:
    """The address that opens ``notebook`` (a path under notebooks/) in Colab."""
    path = notebook.relative_to(ROOT).as_posix()
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def add_setup_cell(path: Path) -> bool:
    """Make the set-up cell the first code cell of ``path``; True if the file changed."""
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    existing = [cell for cell in cells if cell.get("id") == CELL_ID]
    if existing:
        if existing[0].source == SOURCE:
            return False
        existing[0].source = SOURCE
    else:
        cell = nbformat.v4.new_code_cell(SOURCE)
        cell.id = CELL_ID
        first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
        cells.insert(first_code, cell)
    nbformat.write(notebook, path)
    return True


LINKS_ID = "colab-links"


def links_source(notebooks: list[Path]) -> str:
    """The course map's "Open in Colab" list."""
    lines = ["## Open in Colab", "",
             "No Python on your machine? Each notebook opens in Google Colab (a Google account "
             "is needed); its first cell installs cnnlib there.", ""]
    lines += [f"- [{path.stem}]({colab_url(path)})" for path in notebooks]
    return "\n".join(lines)


def add_links(index: Path, notebooks: list[Path]) -> bool:
    """Put (or update) the "Open in Colab" list as the course map's last cell."""
    notebook = nbformat.read(index, as_version=4)
    source = links_source(notebooks)
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


def main() -> None:
    paths = [ROOT / arg for arg in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        if add_setup_cell(path):
            print(f"updated {path.relative_to(ROOT)}")
    index = ROOT / "notebooks" / "00_index.ipynb"
    if add_links(index, sorted((ROOT / "notebooks").glob("*.ipynb"))):
        print(f"updated {index.relative_to(ROOT)} (Open in Colab links)")


if __name__ == "__main__":
    main()

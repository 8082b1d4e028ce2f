"""Saved notebooks show a picture, never "Error displaying widget: model not found".

A widget's output holds a *view* of it (``application/vnd.jupyter.widget-view+json``: only the
id of a model that lives in the kernel) beside its other forms (``text/html``, ``text/plain``).
A trusted notebook in JupyterLab renders the view first; when the notebook is opened again
(no kernel, or a fresh one) the model is gone, and unless the notebook stores the widget state
(``metadata.widgets``, which the course's notebooks never do: see ``tests/test_slide_metadata``)
JupyterLab shows "Error displaying widget: model not found" instead of the picture. The view
can never render again, so it is dropped when the notebook is saved; what is left is the static
form every cnnlib widget carries (an explorer's still picture, the finished progress bar).

- :func:`drop_widget_views` does it to a notebook (a dict, or an ``nbformat`` node);
- :func:`pre_save_hook` does it on every save of the Jupyter server it is configured in
  (``ContentsManager.pre_save_hook``; ``make lab`` installs ``lab/jupyter_server_config.json``);
- ``python -m cnnlib.notebook_outputs FILE.ipynb ...`` does it to notebook files, e.g. after
  ``jupyter nbconvert --execute --inplace``.
"""

from __future__ import annotations

import sys

__all__ = ["WIDGET_VIEW", "WIDGET_STATE", "drop_widget_views", "pre_save_hook"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def drop_widget_views(notebook) -> int:
    """Remove the widget views from ``notebook``'s outputs unless it stores widget state.

    Parameters
    ----------
    notebook : dict
        A notebook (nbformat 4) as a dict or ``nbformat.NotebookNode``; changed in place.

    Returns
    -------
    int
        How many outputs lost their widget view (0 when the notebook stores widget state,
        whose views render from it).
    """
    if notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE):
        return 0
    dropped = 0
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data")
            if data and WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                dropped += 1
    return dropped


def pre_save_hook(model, **kwargs) -> None:
    """A Jupyter server ``ContentsManager.pre_save_hook``: :func:`drop_widget_views` on every
    notebook saved (the notebook open in the browser keeps its live widgets)."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        drop_widget_views(model["content"])


def main(argv: list[str] | None = None) -> int:
    """Rewrite each notebook file named in ``argv`` without its widget views."""
    import nbformat

    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m cnnlib.notebook_outputs NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        dropped = drop_widget_views(notebook)
        if dropped:
            nbformat.write(notebook, path)
        print(f"{path}: {dropped} widget view(s) dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

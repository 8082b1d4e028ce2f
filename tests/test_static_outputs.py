"""Every stored output that shows a widget has a meaningful static form (issue 25, part 4).

Where no kernel runs (GitHub, nbviewer, JupyterLab before Run All, the static slides) a widget's
output shows whatever else it carries: an explorer its still picture, the training progress bar
a finished bar, never the widget's Python repr (``IntProgress(value=0, ...)``). A widget view
(``application/vnd.jupyter.widget-view+json``) in a notebook without widget state could only
render as "Error displaying widget: model not found" (trusted notebooks in JupyterLab), so none
is stored; :mod:`cnnlib.notebook_outputs` drops them (and ``tests/test_browser.py`` opens a
trusted notebook in JupyterLab and saves one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import ipywidgets
import pytest

from cnnlib.notebook_outputs import (
    WIDGET_STATE,
    WIDGET_VIEW,
    drop_widget_views,
    main,
    pre_save_hook,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "notebooks" / "ko").glob("*.ipynb"))
#: The repr of any ipywidgets widget starts with its class name and "(".
WIDGET_NAMES = sorted(name for name, value in vars(ipywidgets).items()
                      if isinstance(value, type) and issubclass(value, ipywidgets.Widget))
WIDGET_REPR = re.compile(r"^\s*(?:" + "|".join(WIDGET_NAMES) + r")\(")
STATIC = ("text/html", "image/png", "image/svg+xml", "image/jpeg")


def _outputs(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for number, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            yield notebook, number, output.get("data", {})


def test_the_widget_repr_pattern():
    """The oracle below: it knows ipywidgets' reprs and leaves other text alone."""
    for text in ("IntProgress(value=0, description='epoch 1', max=86)", "VBox(children=(...))",
                 "HTML(value='<b>x</b>')", "Layout()"):
        assert WIDGET_REPR.match(text), text
    for text in ("Sequential(Conv2d(1, 6, 5))", "epoch 2/2, 86/86 steps",
                 "OutputSizeExplorer: run the cell to use its sliders", "<Figure size 10x3>"):
        assert not WIDGET_REPR.match(text), text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_widget_output_has_a_static_form(path):
    problems = []
    for notebook, number, data in _outputs(path):
        plain = "".join(data.get("text/plain", ""))
        if WIDGET_VIEW not in data and not WIDGET_REPR.match(plain):
            continue
        if not any(kind in data for kind in STATIC):
            problems.append(f"cell {number}: no static form (text/html or image) beside the "
                            f"widget, only {sorted(data)}")
        if WIDGET_REPR.match(plain):
            problems.append(f"cell {number}: text/plain is a widget's repr: {plain[:80]!r}")
        if WIDGET_VIEW in data and not notebook["metadata"].get("widgets", {}).get(WIDGET_STATE):
            problems.append(f"cell {number}: a widget view without widget state (it shows "
                            "'model not found' in a trusted notebook): run "
                            f"`python -m cnnlib.notebook_outputs {path.relative_to(ROOT)}`")
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_the_training_bar_is_stored_finished():
    """Notebook 11 (English and Korean) stores the bar at the end of training."""
    for path in (ROOT / "notebooks" / "11_training.ipynb",
                 ROOT / "notebooks" / "ko" / "11_training.ipynb"):
        bars = [data for _, _, data in _outputs(path)
                if "cnnlib-progress" in "".join(data.get("text/html", ""))]
        assert len(bars) == 1, f"{path.name}: {len(bars)} progress bars stored"
        html = "".join(bars[0]["text/html"])
        value, top = re.search(r'<progress value="(\d+)" max="(\d+)"', html).groups()
        assert value == top != "0", html


def _notebook(state: bool) -> dict:
    view = {WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
            "text/html": "<b>still</b>", "text/plain": "Explorer: run the cell"}
    notebook = {"metadata": {}, "cells": [
        {"cell_type": "markdown", "source": "x"},
        {"cell_type": "code", "outputs": [{"output_type": "execute_result", "data": view},
                                          {"output_type": "stream", "text": "2\n"}]}]}
    if state:
        notebook["metadata"]["widgets"] = {WIDGET_STATE: {"state": {"abc": {}}}}
    return notebook


def test_drop_widget_views_keeps_the_static_forms():
    notebook = _notebook(state=False)
    assert drop_widget_views(notebook) == 1
    assert notebook["cells"][1]["outputs"][0]["data"] == {
        "text/html": "<b>still</b>", "text/plain": "Explorer: run the cell"}
    assert drop_widget_views(notebook) == 0


def test_drop_widget_views_keeps_views_that_stored_state_renders():
    notebook = _notebook(state=True)
    assert drop_widget_views(notebook) == 0
    assert WIDGET_VIEW in notebook["cells"][1]["outputs"][0]["data"]


def test_pre_save_hook_drops_views_of_notebooks_only():
    model = {"type": "notebook", "content": _notebook(state=False)}
    pre_save_hook(model=model, path="a.ipynb", contents_manager=None)
    assert WIDGET_VIEW not in model["content"]["cells"][1]["outputs"][0]["data"]
    text = {"type": "file", "content": WIDGET_VIEW, "format": "text"}
    pre_save_hook(model=text, path="a.txt", contents_manager=None)
    assert text["content"] == WIDGET_VIEW


def test_command_line_rewrites_files(tmp_path, capsys):
    import nbformat

    path = tmp_path / "n.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", data=_notebook(False)["cells"][1]["outputs"][0]["data"])]))
    nbformat.write(notebook, path)
    assert main([str(path)]) == 0
    assert WIDGET_VIEW not in path.read_text(encoding="utf-8")
    assert "1 widget view(s) dropped" in capsys.readouterr().out
    assert main([]) == 2


def test_the_course_server_settings_name_the_hook():
    """lab/jupyter_server_config.json (installed by `make lab`) points at a callable."""
    import importlib

    config = json.loads((ROOT / "lab" / "jupyter_server_config.json").read_text())
    module, _, name = config["ContentsManager"]["pre_save_hook"].rpartition(".")
    assert getattr(importlib.import_module(module), name) is pre_save_hook


def test_training_progress_static_form():
    from cnnlib import set_language
    from cnnlib._validate import SettingError, SettingTypeError
    from cnnlib.widgets import TrainingProgress

    bar = TrainingProgress(steps=86, epochs=2)
    bundle = bar._repr_mimebundle_()
    assert bundle["text/plain"] == "epoch 1/2, 0/86 steps"
    assert WIDGET_VIEW in bundle and '<progress value="0" max="86"' in bundle["text/html"]
    bar.update(epoch=1, step=86)
    assert (bar.value, bar.description) == (86, "epoch 2")
    assert bar._repr_mimebundle_()["text/plain"] == "epoch 2/2, 86/86 steps"
    try:
        set_language("ko")
        assert bar.summary() == "에폭 2/2, 단계 86/86"
    finally:
        set_language("en")
    with pytest.raises(SettingError, match="steps must be at least 1, got 0"):
        TrainingProgress(steps=0, epochs=2)
    with pytest.raises(SettingTypeError, match=r"epochs must be a whole number, got 2\.0"):
        TrainingProgress(steps=86, epochs=2.0)


def test_training_progress_updates_its_stored_output_when_finished(monkeypatch):
    """At the last step the bar re-sends its display (update_display_data), so the stored
    output is the finished bar; before it, it sends nothing."""
    from cnnlib.widgets import TrainingProgress

    sent = []

    class Handle:
        def update(self, obj):
            sent.append(obj._repr_mimebundle_()["text/plain"])

    bar = TrainingProgress(steps=4, epochs=2)
    bar._handle = Handle()
    for step in range(1, 5):
        bar.update(epoch=(step - 1) // 2, step=step)
    assert sent == ["epoch 2/2, 4/4 steps"]

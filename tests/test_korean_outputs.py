"""What a Korean student reads below the cells is Korean.

Two checks, each with its own oracle:

- No catalog entry (``i18n/ko/**/*.po`` for the notebooks, ``cnnlib/_locale/ko.po`` for cnnlib)
  is "translated" by a copy of its English text, unless every English word in it is a name that
  stays English (``STAYS_ENGLISH`` below: Python and API names, models, data sets, units).
- The stored outputs of the Korean edition (``notebooks/ko/*.ipynb``: printed text, HTML tables
  without their tags, plain-text results, errors) hold few English words, once Python names,
  API values and glossed terms are set aside; ``ENGLISH_WORDS_CEILING`` is the most allowed per
  notebook.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = sorted([*(ROOT / "i18n" / "ko").rglob("*.po"), ROOT / "cnnlib" / "_locale" / "ko.po"])
KOREAN_NOTEBOOKS = sorted((ROOT / "notebooks" / "ko").glob("*.ipynb"))

#: Names that stay English in Korean text (a copied entry may consist of these and symbols only).
STAYS_ENGLISH = {
    # Python, numpy and cnnlib names a student types: they are code, not prose
    "cnnlib", "conv", "conv1d", "conv2d", "relu", "sigmoid", "tanh", "sqrt", "floor", "ceil",
    "mode", "max", "avg", "pool", "log", "dtype", "uint", "im", "col", "cols", "fan", "in", "out",
    "lr",
    "dL", "dp", "dw", "dx", "stds", "features", "Var", "TypeError", "ValueError", "x", "shift",
    "weight", "bias", "groups", "gamma", "beta", "pi", "rf", "Fits", "input",
    "scipy", "correlate", "convolve", "maxpool", "avgpool", "classifier",
    # matplotlib and numpy values passed to a call (positions, colours, padding modes)
    "center", "upper", "lower", "left", "right", "black", "white", "constant", "arrowstyle",
    "same", "valid", "zeros", "reflect", "replicate", "circular",
    # models, data sets, people, hardware and layouts, as Korean textbooks write them
    "AlexNet", "LeNet", "VGG", "ResNet", "ImageNet", "CIFAR", "torchvision", "ReLU", "Xavier",
    "He", "CNN", "FC", "GPU", "HD", "RMS", "ms", "Hz", "vs", "HWC", "CHW", "NCHW", "ZFNet",
    # Python values printed as they are
    "True", "False", "None",
}
#: Copies kept on purpose: the text is also a value the code passes on or looks up (a preset's
#: name given to cnnlib, which shows it translated; a key of a model), so translating it would
#: break the code. Each is listed, so that it stays a decision. A key of a notebook's own dict of
#: labels is translated instead (notebook 11's variant names): every use of the same literal is
#: the same catalog entry, and a use inside an f-string is translated in that f-string's entry.
KEPT_AS_CODE = {
    ("04_receptive_fields.po", '"two 3x3 vs one 5x5"'),      # presets of cnnlib's explorers
    ("04_receptive_fields.po", '"three 3x3 vs one 7x7"'),
    ("09_counting_parameters.po", '"small CNN"'),
    ("12_uses_and_limits.po", '"AlexNet (2012) first layers"'),
    ("05_pooling.po", '"residual"'), ("05_pooling.po", '"body"'),   # keys of the ResNet
}

_NOT_WORDS = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$|```.*?```|`[^`]*`|<[^>]+>|\]\([^)]*\)"
                        r"|https?://\S+|(?<!\{)\{[^{}]*\}", re.DOTALL)
_ENGLISH_WORD = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9_'-]*")


def english_words(text: str) -> list[str]:
    """The English words of ``text``: maths, code spans, tags, links and {fields} left out."""
    return [w.strip("'-") for w in _ENGLISH_WORD.findall(_NOT_WORDS.sub(" ", text))
            if len(w.strip("'-")) >= 2 or w == "x"]


def copied_entries(path: Path) -> list[str]:
    """Entries of a catalog whose msgstr is a copy of an English msgid that has words to
    translate."""
    found = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete or not entry.msgstr or entry.msgstr != entry.msgid:
            continue
        if (path.name, entry.msgid) in KEPT_AS_CODE:
            continue
        text = entry.msgid
        if entry.msgctxt == "string":                       # a Python literal: its contents
            text = text[text.find(text[-1]):][1:-1]
        english = [w for w in english_words(text) if not _is_name(w, STAYS_ENGLISH)]
        if english:
            found.append(f"{path.name}: {entry.msgid[:80]!r} (English: {english})")
    return found


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_translation_is_a_copy_of_the_english(catalog):
    copies = copied_entries(catalog)
    assert not copies, "translated as a copy of the English:\n" + "\n".join(copies)


def test_a_copied_translation_is_found(tmp_path):
    po = polib.POFile()
    po.append(polib.POEntry(msgctxt="string", msgid='"yes"', msgstr='"yes"'))
    po.append(polib.POEntry(msgctxt="string", msgid='"conv2d"', msgstr='"conv2d"'))
    po.append(polib.POEntry(msgctxt="string", msgid='"layer"', msgstr='"계층"'))
    po.append(polib.POEntry(msgid="Output Shape", msgstr="Output Shape"))
    path = tmp_path / "sample.po"
    po.save(str(path))
    found = copied_entries(path)
    assert len(found) == 2 and "yes" in found[0] and "Output Shape" in found[1], found


# --- English words in the Korean edition's stored outputs ------------------------------------

#: The most distinct English words (names and allowed terms set aside) one Korean notebook's
#: outputs may show. Before issue 24 they showed up to 32 (184 in all); after it, none.
ENGLISH_WORDS_CEILING = 0


def shown_texts(nb) -> list[tuple[str, str]]:
    """(cell id, text) of what a student sees below each code cell: streams, HTML without tags
    (or plain text when there is no HTML and no image), and errors."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.output_type
            if kind == "stream" and not re.match(r"(def|class) \w+", output.text):  # not source
                texts.append((cell.id, output.text))
            elif kind == "error":
                texts.append((cell.id, f"{output.ename}: {output.evalue}"))
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                if "text/html" in data:
                    page = re.sub(r"<(style|script)\b.*?</\1>", " ", data["text/html"], flags=re.S)
                    texts.append((cell.id, html.unescape(re.sub(r"<[^>]+>", " ", page))))
                elif "text/plain" in data and not any(k.startswith("image/") for k in data):
                    texts.append((cell.id, data["text/plain"]))
    return texts


#: Code shown in an output: dotted names (``features.0``), ``name=value``, quoted strings,
#: ``[...]`` shapes and lists, file names.
_CODE = re.compile(r"\b\w+(\.\w+)+\b|\w+=\S+|'[^'\n]*'|\w*\[[^\]\n]*\]|\S+\.ipynb")
#: The English term glossed after a Korean one, as the glossary asks at its first use:
#: "합성곱 (Convolution)".
_GLOSS = re.compile(r"(?<=[\uac00-\ud7a3]) ?\([A-Za-z][^()\n\uac00-\ud7a3]*\)")
#: Words that are Python identifiers, not English: with an underscore or a digit (``conv1``,
#: ``fan_in``), in CamelCase (``MaxPool2d``) or all capitals (acronyms such as ``NCHW``).
_IDENTIFIER = re.compile(r"\w*[_\d]\w*|[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}")


def _is_name(word: str, names: set[str]) -> bool:
    """A word that is not English prose: a listed name, or an identifier; a hyphenated word
    when each of its parts is (``VGG-16``, ``CIFAR-10``)."""
    parts = [p for p in word.split("-") if len(p) >= 2 and not p.isdigit()]
    return all(p in names or _IDENTIFIER.fullmatch(p) for p in parts)


def english_in_outputs(path: Path) -> dict[str, set[str]]:
    """{English word: cell ids} shown in a Korean notebook's outputs, names and terms set aside."""
    nb = nbformat.read(path, as_version=4)
    names = STAYS_ENGLISH | {name for module in _cnnlib_names() for name in module}
    found: dict[str, set[str]] = {}
    for cell, text in shown_texts(nb):
        text = _CODE.sub(" ", _GLOSS.sub(" ", text))
        for word in english_words(text):
            if _is_name(word, names):
                continue
            found.setdefault(word, set()).add(cell)
    return found


def _cnnlib_names() -> list[set[str]]:
    """Public names of cnnlib (layer class names and functions a summary or repr prints)."""
    import cnnlib
    from cnnlib import layers

    return [set(dir(cnnlib)), set(dir(layers))]


@pytest.mark.parametrize("notebook", KOREAN_NOTEBOOKS, ids=lambda p: p.stem)
def test_korean_outputs_hold_few_english_words(notebook):
    found = english_in_outputs(notebook)
    assert len(found) <= ENGLISH_WORDS_CEILING, (
        f"{len(found)} English words in the outputs of {notebook.name} (ceiling "
        f"{ENGLISH_WORDS_CEILING}): " + ", ".join(f"{w} (cell {', '.join(sorted(c))})"
                                                for w, c in sorted(found.items())))


def test_english_words_in_outputs_are_found(tmp_path):
    """The count above sees English in printed text, HTML and errors, and sets aside names,
    glossed terms and code."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("...")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout",
                               text="3x3, stride 1:  합계 153,632\n"
                                    "Conv2d(3, 8) 합성곱 (convolution)\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<td>total</td><td>값</td>"}),
        nbformat.v4.new_output("error", ename="ValueError",
                               evalue="채널이 맞지 않습니다: mismatch", traceback=[]),
    ]
    nb.cells = [cell]
    path = tmp_path / "planted.ipynb"
    nbformat.write(nb, path)
    assert set(english_in_outputs(path)) == {"stride", "total", "mismatch"}

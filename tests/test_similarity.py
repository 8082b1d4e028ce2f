"""Copy detection (cnnlib.homework.instructor.similarity): copies are flagged, honest work is not.

The two honest solutions below were written independently of each other and of the
instructor's solution (one slides a window and contracts with einsum, the other adds up one
kernel tap at a time over all outputs); the first test checks that both are correct.
"""

from __future__ import annotations

import inspect
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import copydetect  # noqa: F401 - the grading extra, which make setup installs: never skipped
import numpy as np
import pytest

from cnnlib import conv, pool
from cnnlib.homework.instructor import similarity

HOMEWORK = Path(__file__).resolve().parent.parent / "notebooks" / "homework"
NOTEBOOK = "hw3_conv_and_pool_from_scratch.ipynb"
STARTER = similarity.notebook_code(HOMEWORK / "student" / NOTEBOOK)

IMPORTS = "import numpy as np\n\nfrom cnnlib.checks import homework as check"

HONEST_A = [
    IMPORTS,
    '''def conv2d_forward(x, w, b, stride=1, padding=0):
    """Convolution (cross-correlation, as in CNNs) of x (N, C, H, W) with w (F, C, HH, WW)."""
    # pad once, then visit every output position and take all filters at once
    p = padding
    xp = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)])
    N, C, H, W = xp.shape
    F, _, kh, kw = w.shape
    Ho = 1 + (H - kh) // stride
    Wo = 1 + (W - kw) // stride
    result = np.empty((N, F, Ho, Wo), dtype=x.dtype)
    for r in range(Ho):
        for c in range(Wo):
            patch = xp[:, :, r * stride:r * stride + kh, c * stride:c * stride + kw]
            # (N, C, kh, kw) against (F, C, kh, kw) -> (N, F)
            result[:, :, r, c] = np.einsum("nchw,fchw->nf", patch, w)
    return result + b.reshape(1, F, 1, 1)
''',
    "check.conv2d_forward(conv2d_forward)",
    '''def max_pool2d_forward(x, kernel_size, stride):
    """Max pooling of x (N, C, H, W) with square windows, no padding."""
    N, C, H, W = x.shape
    k = kernel_size
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    pooled = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for r in range(Ho):
        for c in range(Wo):
            block = x[:, :, r * stride:r * stride + k, c * stride:c * stride + k]
            pooled[:, :, r, c] = block.reshape(N, C, -1).max(axis=2)
    return pooled
''',
    "check.max_pool2d_forward(max_pool2d_forward)",
    '''def max_pool2d_backward(dout, x, kernel_size, stride):
    """Gradient of max_pool2d_forward with respect to x, given dout (N, C, H_out, W_out)."""
    N, C, Ho, Wo = dout.shape
    k = kernel_size
    dx = np.zeros_like(x)
    for r in range(Ho):
        for c in range(Wo):
            block = x[:, :, r * stride:r * stride + k, c * stride:c * stride + k]
            flat = block.reshape(N, C, -1)
            winner = flat.argmax(axis=2)              # first maximum of each window
            dr, dc = np.divmod(winner, k)
            n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
            np.add.at(dx, (n_idx, c_idx, r * stride + dr, c * stride + dc), dout[:, :, r, c])
    return dx
''',
    "check.max_pool2d_backward(max_pool2d_backward)",
]

HONEST_B = [
    IMPORTS,
    '''def conv2d_forward(x, w, b, stride=1, padding=0):
    """Convolution (cross-correlation, as in CNNs) of x (N, C, H, W) with w (F, C, HH, WW)."""
    batch, channels, height, width = x.shape
    filters, _, fh, fw = w.shape
    padded = np.zeros((batch, channels, height + 2 * padding, width + 2 * padding), x.dtype)
    padded[:, :, padding:padding + height, padding:padding + width] = x
    out_height = (height + 2 * padding - fh) // stride + 1
    out_width = (width + 2 * padding - fw) // stride + 1
    total = np.zeros((batch, filters, out_height, out_width), dtype=x.dtype)
    # shift and add: one kernel tap at a time, over all output cells together
    for dy in range(fh):
        for dx in range(fw):
            shifted = padded[:, :, dy:dy + stride * out_height:stride,
                             dx:dx + stride * out_width:stride]
            total += np.tensordot(shifted, w[:, :, dy, dx], axes=([1], [1])).transpose(0, 3, 1, 2)
    for f in range(filters):
        total[:, f] += b[f]
    return total
''',
    "check.conv2d_forward(conv2d_forward)",
    '''def max_pool2d_forward(x, kernel_size, stride):
    """Max pooling of x (N, C, H, W) with square windows, no padding."""
    height, width = x.shape[2:]
    out_height = (height - kernel_size) // stride + 1
    out_width = (width - kernel_size) // stride + 1
    best = None
    for dy in range(kernel_size):          # the maximum over the taps of every window
        for dx in range(kernel_size):
            tap = x[:, :, dy:dy + stride * out_height:stride, dx:dx + stride * out_width:stride]
            best = tap.copy() if best is None else np.maximum(best, tap)
    return best
''',
    "check.max_pool2d_forward(max_pool2d_forward)",
    '''def max_pool2d_backward(dout, x, kernel_size, stride):
    """Gradient of max_pool2d_forward with respect to x, given dout (N, C, H_out, W_out)."""
    out_height, out_width = dout.shape[2:]
    best = max_pool2d_forward(x, kernel_size, stride)
    grad = np.zeros_like(x)
    taken = np.zeros(best.shape, dtype=bool)   # a window's gradient goes to its first maximum
    for dy in range(kernel_size):
        for dx in range(kernel_size):
            rows = slice(dy, dy + stride * out_height, stride)
            cols = slice(dx, dx + stride * out_width, stride)
            first = (x[:, :, rows, cols] == best) & ~taken
            grad[:, :, rows, cols] += np.where(first, dout, 0)
            taken |= first
    return grad
''',
    "check.max_pool2d_backward(max_pool2d_backward)",
]

# HONEST_A as a copier hands it in: every name changed, comments changed, blank lines added,
# lines reordered (and the functions too).
COPY_OF_A = [
    IMPORTS,
    '''def max_pool2d_forward(x, kernel_size, stride):
    """Max pooling of x (N, C, H, W) with square windows, no padding."""
    size = kernel_size
    batch, chans, height, width = x.shape
    outh, outw = (height - size) // stride + 1, (width - size) // stride + 1

    y = np.empty((batch, chans, outh, outw), dtype=x.dtype)
    for row in range(outh):
        for col in range(outw):
            win = x[:, :, row * stride:row * stride + size, col * stride:col * stride + size]
            y[:, :, row, col] = win.reshape(batch, chans, -1).max(axis=2)  # the biggest
    return y
''',
    "check.max_pool2d_forward(max_pool2d_forward)",
    '''def conv2d_forward(x, w, b, stride=1, padding=0):
    """Convolution (cross-correlation, as in CNNs) of x (N, C, H, W) with w (F, C, HH, WW)."""
    pad = padding

    xpadded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    batch, chans, height, width = xpadded.shape

    nf, _, fh, fw = w.shape
    outw = 1 + (width - fw) // stride
    outh = 1 + (height - fh) // stride
    y = np.empty((batch, nf, outh, outw), dtype=x.dtype)
    for row in range(outh):
        for col in range(outw):
            # my window

            win = xpadded[:, :, row * stride:row * stride + fh, col * stride:col * stride + fw]
            y[:, :, row, col] = np.einsum("nchw,fchw->nf", win, w)
    return y + b.reshape(1, nf, 1, 1)
''',
    "check.conv2d_forward(conv2d_forward)",
    '''def max_pool2d_backward(dout, x, kernel_size, stride):
    """Gradient of max_pool2d_forward with respect to x, given dout (N, C, H_out, W_out)."""
    size = kernel_size
    batch, chans, outh, outw = dout.shape
    grad_x = np.zeros_like(x)
    for row in range(outh):
        for col in range(outw):
            win = x[:, :, row * stride:row * stride + size, col * stride:col * stride + size]
            flat = win.reshape(batch, chans, -1)

            best = flat.argmax(axis=2)
            drow, dcol = np.divmod(best, size)
            nn, cc = np.meshgrid(np.arange(batch), np.arange(chans), indexing="ij")
            np.add.at(grad_x, (nn, cc, row * stride + drow, col * stride + dcol),
                      dout[:, :, row, col])
    return grad_x
''',
    "check.max_pool2d_backward(max_pool2d_backward)",
]

# cnnlib's own conv2d_naive pasted as a string and exec'ed ("numpy only" blocks imports).
PASTED_LIBRARY = list(HONEST_B)
PASTED_LIBRARY[1] = (
    f"SOURCE = {inspect.getsource(conv.conv2d_naive)!r}\n"
    "exec(SOURCE)\n\n\n"
    "def conv2d_forward(x, w, b, stride=1, padding=0):\n"
    "    return conv2d_naive(x, w, b, stride=stride, padding=padding)\n")


@pytest.fixture(scope="module")
def published():
    return {**similarity.library_code(), **similarity.solution_code(HOMEWORK / NOTEBOOK)}


def run_cells(cells, namespace=None):
    namespace = {"np": np} if namespace is None else namespace
    for cell in cells:
        if not cell.startswith("check.") and "cnnlib.checks" not in cell:  # no self-checks
            exec(cell, namespace)
    return namespace


@pytest.mark.parametrize("cells", [HONEST_A, HONEST_B, COPY_OF_A, PASTED_LIBRARY],
                         ids=["honest A", "honest B", "copy of A", "pasted library"])
def test_the_test_submissions_are_correct_solutions(cells):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 7, 8)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    code = run_cells(cells, dict(vars(conv)) if cells is PASTED_LIBRARY else None)
    for stride, padding in [(1, 0), (2, 1), (1, 2)]:
        np.testing.assert_allclose(code["conv2d_forward"](x, w, b, stride, padding),
                                   conv.conv2d_naive(x, w, b, stride, padding))
    for kernel, stride in [(2, 2), (3, 1), (2, 1)]:
        expected = pool.max_pool2d_naive(x, kernel, stride)
        np.testing.assert_allclose(code["max_pool2d_forward"](x, kernel, stride), expected)
        dout = rng.normal(size=expected.shape)
        np.testing.assert_allclose(code["max_pool2d_backward"](dout, x, kernel, stride),
                                   pool.max_pool2d_naive_backward(dout, x, kernel, stride))


def test_two_honest_solutions_are_not_flagged(published):
    found = similarity.compare({"a.ipynb": HONEST_A, "b.ipynb": HONEST_B}, STARTER, published)
    assert found.matches == []
    assert found.flags("a.ipynb") == found.flags("b.ipynb") == []
    assert found.flag_text("a.ipynb") == ""


def test_a_disguised_copy_is_flagged_on_both_sides(published):
    found = similarity.compare(
        {"a.ipynb": HONEST_A, "b.ipynb": HONEST_B, "copy.ipynb": COPY_OF_A}, STARTER, published)
    pairs = {(m.submission, m.other) for m in found.matches}
    assert pairs == {("a.ipynb", "copy.ipynb")}
    match = found.matches[0]
    assert match.similarity >= similarity.DEFAULT_THRESHOLD and not match.published
    percent = f"{math.floor(match.similarity * 100)}%"
    assert found.flags("copy.ipynb") == [f"similar to a.ipynb ({percent})"]
    assert found.flags("a.ipynb") == [f"similar to copy.ipynb ({percent})"]
    assert found.flags("b.ipynb") == []
    assert all(spans for spans in match.spans)   # the report can show what matched


def test_library_source_pasted_as_a_string_and_execed_is_flagged(published):
    found = similarity.compare({"pasted.ipynb": PASTED_LIBRARY, "a.ipynb": HONEST_A},
                               STARTER, published)
    flags = found.flags("pasted.ipynb")
    assert any(f.startswith("similar to cnnlib's conv.py: conv2d_naive (") for f in flags), flags
    assert [m.published for m in found.matches] == [True] * len(found.matches)
    assert found.flags("a.ipynb") == []


def test_the_solution_handed_in_is_flagged_as_the_solution(published):
    solution = similarity.notebook_code(HOMEWORK / NOTEBOOK)
    found = similarity.compare({"leaked.ipynb": solution, "a.ipynb": HONEST_A}, STARTER,
                               published)
    flags = found.flags("leaked.ipynb")
    assert len(flags) == 4, flags
    assert all(f.startswith("similar to the hw3 solution, code cell ") for f in flags), flags
    assert found.flag_text("leaked.ipynb", limit=2).endswith(
        "; and 2 more (see the similarity report)")
    assert found.flags("a.ipynb") == []


def test_the_starter_code_alone_is_never_flagged(published):
    # Each student touched the starter a little (so no cell is exactly the one handed out).
    touched = {f"student{i}.ipynb": [cell + "\n" + "# " + "not yet" * i for cell in STARTER]
               for i in range(1, 4)}
    found = similarity.compare(touched, STARTER, published, threshold=0.3)
    assert found.matches == []
    # The same notebooks, had nobody been handed the starter, are all alike.
    assert len(similarity.compare(touched, [], threshold=0.3).matches) == 3


class Structure(HTMLParser):
    """Records the tags of a page and checks that they nest."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.tags, self.text, self.errors = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"</{tag}> does not close the open element")

    def handle_data(self, data):
        self.text.append(data)


HOSTILE = ('# </code></pre><script>alert("owned")</script>\n'
           'NOTE = "<script src=//evil.example/x.js></script> \u202eevil\u202c \ud800"\n')


def test_report_is_valid_html_with_the_pairs_and_escapes_hostile_code(published, tmp_path):
    hostile = [HOSTILE + cell for cell in HONEST_A]
    name = '<script>alert("name")</script>_hw3.ipynb'
    copy = [HOSTILE + cell for cell in COPY_OF_A]   # the hostile text inside marked passages
    found = similarity.compare({name: hostile, "copy.ipynb": copy,
                                "pasted.ipynb": PASTED_LIBRARY}, STARTER, published)
    assert {(m.submission, m.other) for m in found.matches if not m.published} == {
        (name, "copy.ipynb")}
    path = similarity.write_report(found, tmp_path / "scores.similarity.html")
    page = path.read_bytes().decode("utf-8")   # a lone surrogate in the code did not stop it
    assert "<script" not in page.lower() and "\u202e" not in page
    assert page.startswith("<!DOCTYPE html>") and "Flags never change points" in page
    parsed = Structure()
    parsed.feed(page)
    parsed.close()
    assert parsed.errors == [] and parsed.open == []
    tags = [tag for tag, _ in parsed.tags]
    attributes = dict(parsed.tags)
    assert attributes["html"] == {"lang": "en"} and "title" in tags
    assert tags.count("script") == tags.count("link") == tags.count("img") == 0
    headers = [attrs for tag, attrs in parsed.tags if tag == "th"]
    assert headers and all(attrs.get("scope") in ("col", "row") for attrs in headers)
    text = "".join(parsed.text)
    for match in found.matches:
        assert f"{match.submission} and {match.other}: " in text
    assert "<script>alert(\"owned\")</script>" in text       # shown as text, for a person
    assert re.search(r"<mark>[^<]*&lt;script", page)         # also where it is marked
    assert "\\u202eevil" in text and "\\ud800" in text       # invisible characters made visible
    assert tags.count("mark") > 0


def test_report_without_pairs_says_so(tmp_path):
    found = similarity.compare({"a.ipynb": HONEST_A}, STARTER)
    page = similarity.write_report(found, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No pair reached the threshold." in page


def test_giant_cells_are_left_out_and_long_submissions_cut(monkeypatch):
    monkeypatch.setattr(similarity, "MAX_CELL_CHARS", 2_000)
    monkeypatch.setattr(similarity, "MAX_CODE_CHARS", 3_000)
    giant = ["x = 1\n" * 1_000] + HONEST_A
    found = similarity.compare({"giant.ipynb": giant, "long.ipynb": HONEST_A * 5}, STARTER)
    assert found.notes["giant.ipynb"] == ["code cell 1 not compared (6,000 characters)"]
    assert found.notes["long.ipynb"] == ["only the first 3,000 characters compared"]
    assert len(found.codes["long.ipynb"].split(similarity.STRINGS_HEADING)[0]) <= 3_100


@pytest.mark.parametrize("threshold", [0, -0.5, 1.01, math.nan, True, "0.8", None])
def test_a_bad_threshold_is_refused_with_the_fix(threshold):
    with pytest.raises(ValueError, match="threshold must be a share of code above 0"):
        similarity.compare({}, threshold=threshold)


def test_bad_inputs_are_refused_with_the_fix():
    with pytest.raises(TypeError, match="submissions must map"):
        similarity.compare([HONEST_A])
    with pytest.raises(TypeError, match="starter must be a list of code cells"):
        similarity.compare({}, starter="import numpy")
    with pytest.raises(ValueError, match="'a' is both"):
        similarity.compare({"a": HONEST_A}, published={"a": "x = 1"})


def test_strings_as_code_reads_strings_even_from_code_that_does_not_parse():
    code = '%timeit f()\nS = "def f(x):\\n    return x * 2 + 1  # long enough"\n'
    assert similarity.strings_as_code(code) == "def f(x):\n    return x * 2 + 1  # long enough"
    assert similarity.strings_as_code('short = "x"') == ""
    assert similarity.strings_as_code('s = "alpha_beta_gamma * delta_epsilon_zeta"') == ""
    prose = '"""Convolution (cross-correlation, as in CNNs) of x (N, C, H, W) with w."""'
    assert similarity.strings_as_code(f"def f():\n    {prose}\n    return 1\n") == ""


def test_available_says_whether_copydetect_is_installed(monkeypatch):
    assert similarity.available()
    monkeypatch.setattr(similarity.importlib.util, "find_spec", lambda name: None)
    assert not similarity.available()


def test_library_units_are_functions_and_methods():
    units = similarity.library_code()
    assert "cnnlib's conv.py: conv2d_naive" in units
    assert any(label.startswith("cnnlib's layers/conv.py: Conv2d.") for label in units)
    assert not any("homework/" in label for label in units)
    assert units["cnnlib's conv.py: conv2d_naive"] == inspect.getsource(conv.conv2d_naive)


def test_the_grader_flags_copies_in_its_csv_and_report_without_changing_points(tmp_path,
                                                                              monkeypatch):
    """A whole (unsandboxed, these are the test's own notebooks) grading run: the copy pair,
    the pasted library and the handed-in solution are flagged in the CSV's flags column and
    listed in the report next to it; the honest one is not; points are the same as without
    copy detection."""
    import csv

    import nbformat

    from cnnlib.homework.instructor import grader

    def graded(out):
        with open(out, newline="", encoding="utf-8") as file:
            return {row["submission"]: row for row in csv.DictReader(file)}

    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, cells in {"ann_hw3.ipynb": HONEST_A, "bob_hw3.ipynb": HONEST_B,
                        "cho_hw3.ipynb": COPY_OF_A, "dan_hw3.ipynb": PASTED_LIBRARY}.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        nbformat.write(nb, folder / name)
    (folder / "eve_hw3.ipynb").write_bytes((HOMEWORK / NOTEBOOK).read_bytes())
    lines = []
    grader.grade(folder, tmp_path / "scores.csv", timeout=60, jobs=2, sandbox=False,
                 progress=lines.append)
    rows = graded(tmp_path / "scores.csv")
    with monkeypatch.context() as patch:
        patch.setattr(similarity, "available", lambda: False)
        grader.grade(folder, tmp_path / "plain.csv", timeout=60, jobs=2, sandbox=False)
    plain = graded(tmp_path / "plain.csv")
    assert {n: r["total"] for n, r in rows.items()} == {n: r["total"] for n, r in plain.items()}
    assert rows["eve_hw3.ipynb"]["total"] == "40" and set(plain) == set(rows)
    assert {row["flags"] for row in plain.values()} == {""}
    assert rows["bob_hw3.ipynb"]["flags"] == ""
    assert "similar to cho_hw3.ipynb" in rows["ann_hw3.ipynb"]["flags"]
    assert "similar to ann_hw3.ipynb" in rows["cho_hw3.ipynb"]["flags"]
    assert "cnnlib's" in rows["dan_hw3.ipynb"]["flags"]
    assert "solution" in rows["eve_hw3.ipynb"]["flags"]
    report = (tmp_path / "scores.similarity.html").read_text(encoding="utf-8")
    assert "cho_hw3.ipynb" in report and "never change points" in report
    assert any(line.startswith("copy detection: 4 submissions flagged") for line in lines)

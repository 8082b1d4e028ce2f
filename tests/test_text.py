"""Padding by display width (cnnlib.text), checked against widths counted by hand and against
``wcwidth`` (a terminal-width library written apart from cnnlib), and the tables the Korean
edition prints, checked column by column against the English edition's."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from cnnlib.text import display_width, pad, table

ROOT = Path(__file__).resolve().parents[1]

# (text, columns counted by hand: 2 per Hangul syllable or fullwidth form, 1 per other character)
HAND_COUNTED = [
    ("", 0),
    ("conv1", 5),
    ("계층", 4),                       # two syllables
    ("계층 size", 4 + 1 + 4),
    ("파라미터 336개", 8 + 1 + 3 + 2),
    ("(3, 32, 32)", 11),
    ("ＡＢ", 4),                        # fullwidth Latin
    ("합성곱: i=7, k=3", 6 + 10),
    ("e\u0301", 1),                    # e + combining acute accent: one column
]


@pytest.mark.parametrize("text, columns", HAND_COUNTED)
def test_display_width_counts_hangul_as_two_columns(text, columns):
    assert display_width(text) == columns


@pytest.mark.parametrize("text", ["계층", "수용 영역 11 x 11", "ReLU 신경망, 가중치 std", "pool5",
                                  "モデル", "模型参数"])
def test_display_width_agrees_with_wcwidth(text):
    wcwidth = pytest.importorskip("wcwidth")
    assert display_width(text) == wcwidth.wcswidth(text)


@pytest.mark.parametrize("text, width, align, expected", [
    ("계층", 6, "<", "계층  "),
    ("계층", 6, ">", "  계층"),
    ("계층", 7, "^", " 계층  "),
    ("layer", 6, "<", "layer "),
    ("파라미터", 4, "<", "파라미터"),     # wider than width: never cut
])
def test_pad_fills_display_columns(text, width, align, expected):
    assert pad(text, width, align) == expected


def test_pad_is_format_for_ascii():
    for text in ("a", "conv1", "features.10"):
        for width in (0, 3, 12):
            assert pad(text, width, "<") == f"{text:<{width}}"
            assert pad(text, width, ">") == f"{text:>{width}}"
            assert pad(text, width, "^") == f"{text:^{width}}"


def test_pad_refuses_an_unknown_alignment():
    with pytest.raises(ValueError, match="align"):
        pad("x", 3, "left")


def test_table_lines_up_mixed_hangul_and_ascii():
    text = table([("계층", "크기", "수용 영역"), ("conv1", 55, 11), ("최대 풀링", "27", 19)],
                 align="<>>")
    lines = text.splitlines()
    assert lines == ["계층       크기  수용 영역",
                     "conv1        55         11",
                     "최대 풀링    27         19"]
    ends = {display_width(line) for line in lines}
    assert ends == {9 + 2 + 4 + 2 + 9}     # right-aligned last column: one right edge


# --- the Korean edition's printed tables ------------------------------------------------------

_GAP = re.compile(r" {2,}| ?\| ?")


def _fields(line: str) -> list[tuple[int, int]]:
    """(first column, column after the end) of each field of ``line``, in display columns
    counted by this test's own rule; fields are separated by two spaces or more or by ``|``."""
    def columns(text):
        return sum(2 if "\uac00" <= ch <= "\ud7a3" else 1 for ch in text)

    spans, start = [], 0
    line = line.rstrip()
    for gap in _GAP.finditer(line):
        if gap.start() > start:
            spans.append((columns(line[:start]), columns(line[:gap.start()])))
        start = gap.end()
    if start < len(line):
        spans.append((columns(line[:start]), columns(line)))
    return spans


def _aligned_columns(lines: list[str]):
    """Yield (first line, end line, column, sides) for each column that lines up in a run of
    three or more consecutive lines with the same number of fields; ``sides`` are the sides it
    lines up on: 0 (starts), 1 (ends) or both (a column whose cells are all as wide)."""
    fields = [_fields(line) for line in lines]
    i = 0
    while i < len(fields):
        j = i
        while j < len(fields) and len(fields[j]) == len(fields[i]):
            j += 1
        if len(fields[i]) >= 2 and j - i >= 2:
            for column in range(1, len(fields[i])):
                sides = tuple(side for side in (0, 1)
                              if len({f[column][side] for f in fields[i:j]}) == 1)
                if sides:
                    yield i, j, column, sides
        i = j


def ragged_columns(english: str, korean: str) -> list[str]:
    """Columns that line up in the English output and not, by display width, in the Korean one.

    The English edition is the oracle of which columns are meant to line up (with ASCII text,
    characters and columns are the same); the Korean lines must line up the same way.
    """
    english, korean = english.splitlines(), korean.splitlines()
    if len(english) != len(korean):
        return []
    problems = []
    for i, j, column, sides in _aligned_columns(english):
        rows = [_fields(line) for line in korean[i:j]]
        if len({len(r) for r in rows}) != 1:
            continue
        how = " and ".join(("start", "end")[side] for side in sides)
        if len(rows[0]) == len(_fields(english[i])):       # the same columns: align the same way
            # on one of the sides English lines up on ("He std" over "0.0742" lines up on both;
            # the wider "He 표준편차" over right-aligned numbers, on their ends only)
            ragged = all(len({r[column][side] for r in rows}) > 1 for side in sides)
        else:          # a Korean cell split in two: each column must still start or end together
            ragged = any(len({r[c][0] for r in rows}) > 1 and len({r[c][1] for r in rows}) > 1
                         for c in range(1, len(rows[0])))
        if ragged:
            problems.append(f"lines {i + 1}-{j}, column {column + 1} (aligned {how}s in English):\n"
                            + "\n".join(korean[i:j]))
    return problems


def _printed(path: Path) -> dict[str, str]:
    """What each code cell printed, by cell id."""
    return {cell.id: "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream")
            for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"}


KOREAN = sorted((ROOT / "notebooks" / "ko").glob("*.ipynb"))


@pytest.mark.parametrize("korean", KOREAN, ids=lambda p: p.stem)
def test_korean_tables_line_up_by_display_width(korean):
    english = _printed(ROOT / "notebooks" / korean.name)
    problems = [f"cell {cell}, {problem}" for cell, text in _printed(korean).items()
                if cell in english for problem in ragged_columns(english[cell], text)]
    assert not problems, "\n\n".join(problems)


def test_a_ragged_korean_table_is_seen():
    english = "layer  size\nconv1    55\npool1    27\n"
    ragged = f"{'계층':<6} {'크기':>4}\n{'conv1':<6} {55:>4}\n{'pool1':<6} {27:>4}\n"
    assert ragged_columns(english, ragged)
    aligned = table([("계층", "크기"), ("conv1", 55), ("pool1", 27)], align="<>", sep=" ")
    assert not ragged_columns(english, aligned)


def test_a_wider_korean_header_over_right_aligned_numbers_lines_up():
    """In English "He std" is as wide as its numbers (starts and ends line up); in Korean the
    header is wider and the numbers line up on its right edge: that is aligned, and numbers
    that line up on neither side are not."""
    english = table([("layer", "He std"), ("conv1", "0.0742"), ("fc6", "0.0147")], align="<>")
    aligned = table([("계층", "He 표준편차"), ("conv1", "0.0742"), ("fc6", "0.0147")],
                    align="<>")
    assert not ragged_columns(english, aligned)
    ragged = "계층    He 표준편차\nconv1     0.0742\nfc6        0.0147"
    assert ragged_columns(english, ragged)

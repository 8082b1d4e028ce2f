"""Copy detection for a class: seconds to compare N homework 3 submissions with each other,
with cnnlib's source and with the solution, and to write the report.

The class is made up here: every submission is the student starter notebook with its four
functions filled by randomly generated loop code (about 150 lines of code in all); a share of
the class are copies of a classmate's with every name changed, comments added and blank lines
moved. Prints the time of each step, how many copies were flagged and how many honest pairs
were (should be none), and the similarities seen. One core: set OPENBLAS_NUM_THREADS=1.

CPU seconds (time.process_time), so that other work on the machine does not count.

Run: .venv/bin/python benchmarks/similarity.py [--students 200] [--copies 0.1]
"""

from __future__ import annotations

import argparse
import keyword
import random
import re
import tempfile
import time
from pathlib import Path

from cnnlib.homework.instructor import similarity

HOMEWORK = Path(__file__).resolve().parent.parent / "notebooks" / "homework"
NOTEBOOK = "hw3_conv_and_pool_from_scratch.ipynb"
FUNCTIONS = ["conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward"]
KEEP = set(keyword.kwlist) | {"np", "range", "len", "x", "w", "b", "dout", "stride", "padding",
                              "kernel_size", "shape", "zeros", "sum", "max", "argmax", "pad",
                              "zeros_like", "reshape", "axis", "dtype", "self"} | set(FUNCTIONS)


def random_body(rng: random.Random, lines: int) -> list[str]:
    """``lines`` lines of plausible numpy loop code with random names and structure."""
    names = [f"{rng.choice('abcdefghkmnpqrst')}{rng.choice(['', '_h', '_w', 'o', '2', 's'])}"
             for _ in range(8)]
    ops = ["+", "-", "*", "//"]

    def expr():
        kind = rng.randrange(5)
        a, c = rng.choice(names), rng.choice(names)
        if kind == 0:
            return f"{a} {rng.choice(ops)} {rng.randrange(1, 9)}"
        if kind == 1:
            return f"x[{a}:{a} + {c}, {rng.randrange(4)}]"
        if kind == 2:
            return f"np.{rng.choice(['sum', 'max', 'zeros', 'argmax'])}({a})"
        if kind == 3:
            return f"({a} {rng.choice(ops)} {c}) {rng.choice(ops)} stride"
        return f"{a}.shape[{rng.randrange(4)}]"

    out, depth = [], 1
    for _ in range(lines - 1):
        pad = "    " * depth
        if depth < 4 and rng.random() < 0.2:
            out.append(f"{pad}for {rng.choice(names)} in range({expr()}):")
            depth += 1
            out.append(f"{'    ' * depth}{rng.choice(names)} = {expr()}")
        else:
            out.append(f"{pad}{rng.choice(names)} = {expr()}")
            if depth > 1 and rng.random() < 0.2:
                depth -= 1
    out.append(f"    return {rng.choice(names)}")
    return out


def honest(rng: random.Random, starter: list[str]) -> list[str]:
    """The starter's cells with each exercise's ``raise NotImplementedError`` replaced."""
    cells = []
    for cell in starter:
        if "raise NotImplementedError" in cell:
            body = "\n".join(random_body(rng, rng.randrange(28, 40)))
            cell = cell.replace("    # YOUR CODE HERE\n    raise NotImplementedError", body)
        cells.append(cell)
    return cells


def disguised(rng: random.Random, cells: list[str]) -> list[str]:
    """A copy: every name changed, a comment on some lines, blank lines added."""
    renames = {}

    def rename(found):
        name = found.group()
        if name in KEEP:
            return name
        return renames.setdefault(name, f"my_{rng.choice('uvyz')}{len(renames)}")

    copied = []
    for cell in cells:
        lines = []
        for line in re.sub(r"\b[A-Za-z_]\w*\b", rename, cell).split("\n"):
            if line.strip() and not line.lstrip().startswith(("def ", '"""')) and (
                    rng.random() < 0.2):
                line += "  # my step"
            lines.append(line)
            if rng.random() < 0.15:
                lines.append("")
        copied.append("\n".join(lines))
    return copied


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--copies", type=float, default=0.1, help="share of copiers")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    starter = similarity.notebook_code(HOMEWORK / "student" / NOTEBOOK)
    submissions, copied_from = {}, {}
    for number in range(args.students):
        name = f"student{number:03d}_hw3.ipynb"
        if submissions and rng.random() < args.copies:
            source = rng.choice(sorted(n for n in submissions if n not in copied_from))
            submissions[name] = disguised(rng, submissions[source])
            copied_from[name] = source
        else:
            submissions[name] = honest(rng, starter)
    lines = [sum(c.count("\n") + 1 for c in cells) for cells in submissions.values()]
    print(f"{len(submissions)} submissions, {sum(lines) / len(lines):.0f} lines of code each "
          f"on average, {len(copied_from)} of them disguised copies")

    start = time.process_time()
    import copydetect  # noqa: F401  (timed on its own: it imports matplotlib)
    imported = time.process_time()
    published = {**similarity.library_code(), **similarity.solution_code(HOMEWORK / NOTEBOOK)}
    read = time.process_time()
    found = similarity.compare(submissions, starter, published)
    compared = time.process_time()
    with tempfile.TemporaryDirectory() as folder:
        report = similarity.write_report(found, Path(folder) / "scores.similarity.html")
        size = report.stat().st_size
    written = time.process_time()
    print(f"import copydetect {imported - start:.2f} s, read cnnlib and the solution "
          f"({len(published)} units) {read - imported:.2f} s, compare {compared - read:.2f} s, "
          f"report ({size / 1e3:.0f} kB) {written - compared:.2f} s; "
          f"total {written - start:.2f} s")

    pairs = {(m.submission, m.other) for m in found.matches if not m.published}
    caught = sum((c, s) in pairs or (s, c) in pairs for c, s in copied_from.items())
    wrong = [p for p in pairs if copied_from.get(p[0]) != p[1] and copied_from.get(p[1]) != p[0]
             and copied_from.get(p[0], p[0]) != copied_from.get(p[1], p[1])]
    print(f"copies flagged: {caught} of {len(copied_from)}; other pairs flagged: {len(wrong)}; "
          f"flagged with published code: {sum(m.published for m in found.matches)}")
    low = sorted(m.similarity for m in found.matches if not m.published)
    if low:
        print(f"similarity of flagged classmate pairs: min {low[0]:.2f}, max {low[-1]:.2f}")


if __name__ == "__main__":
    main()

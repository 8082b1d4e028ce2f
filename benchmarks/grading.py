"""Grading throughput: a class of generated variant submissions, sandboxed, as a rate.

    .venv/bin/python benchmarks/grading.py --students 200 --jobs 2

Writes a roster, generates every student's homework 1 (their own variant), answers each one
right for its variant (from the instructor's reference), grades the folder with the sandbox
and ``--variants``, and prints submissions per minute. A report, never a test.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import nbformat

from cnnlib.homework.instructor import HOMEWORK_DIR, generator, grader, reference, variants

HW1 = "hw1_zfnet_parameters"


def answered(path: Path, spec: dict) -> nbformat.NotebookNode:
    """The student's notebook with every blank answered for their network."""
    nb = nbformat.read(path, as_version=4)
    rows = reference.table(spec)
    answers = {f"{row}_shape": out for row, (_, _, out, _) in rows.items()}
    answers |= {f"{row}_params": params for row, (_, _, _, params) in rows.items()}
    answers["total_params"] = sum(params for _, _, _, params in rows.values())
    for cell in nb.cells:
        cell.source = re.sub(r"^(\w+) = \.\.\.$",
                             lambda m: f"{m[1]} = {answers.get(m[1], '...')}",
                             cell.source, flags=re.M)
    return nb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cnnlib-bench-") as tmp:
        tmp = Path(tmp)
        ids = [f"s{i:04d}" for i in range(args.students)]
        (tmp / "roster.csv").write_text("id\n" + "\n".join(ids) + "\n")
        generator.generate_class([HOMEWORK_DIR / f"{HW1}.ipynb"], tmp / "roster.csv", 2026,
                                 tmp / "class")
        submissions = tmp / "submissions"
        submissions.mkdir()
        for student in ids:
            nb = answered(tmp / "class" / student / f"{HW1}.ipynb", variants.draw(2026, student))
            nbformat.write(nb, submissions / f"{student}_{HW1}.ipynb")
        start = time.perf_counter()
        results = grader.grade(submissions, tmp / "scores.csv", timeout=60, jobs=args.jobs,
                               sandbox=not args.no_sandbox,
                               variants=tmp / "class" / "variants.json")
        seconds = time.perf_counter() - start
    full = sum(r.total == r.maximum for r in results)
    print(f"{len(results)} submissions ({full} with full marks) graded in {seconds:.1f} s with "
          f"--jobs {args.jobs}: {60 * len(results) / seconds:.0f} submissions per minute "
          f"({results[0].sandbox})")


if __name__ == "__main__":
    main()

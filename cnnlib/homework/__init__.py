"""Hand out and grade the homework: ``python -m cnnlib.homework generate | grade``.

One home for the homework, in two parts:

* :mod:`cnnlib.homework.selfcheck`: the checks a student runs in a homework notebook
  (``from cnnlib.checks import homework as check``). They hold no answer: each notebook
  carries fingerprints of its own variant's answers, and the checks compare fingerprints.
* :mod:`cnnlib.homework.instructor`: the references, the generator of student notebooks (one
  variant per student), the sandboxed grader and its reports. It is the instructor's side,
  left out of the wheel students install; it runs from a checkout of the course repository.

Examples
--------
::

    python -m cnnlib.homework generate            # solutions -> notebooks/homework/student/
    python -m cnnlib.homework generate --check    # exit 1 if a student notebook is stale
    python -m cnnlib.homework grade submissions/ --out scores.csv --timeout 120 --jobs 2
"""

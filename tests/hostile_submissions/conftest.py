"""Hostile sample submissions: NEVER run them outside the grader's sandbox.

They try to forge grades and to harm the machine (``write_outside_hw1`` appends to every file
it can reach). ``tests/test_homework.py`` grades them in the sandbox; nbval and pytest must not
collect them.
"""

collect_ignore_glob = ["*.ipynb", "*.py"]

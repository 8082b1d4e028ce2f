"""pytest settings for the homework folder.

The solution notebooks (``hw*.ipynb``) run under strict nbval like every course notebook. The
student notebooks (``student/``) are stored without outputs and the sample submissions
(``samples/``) crash or loop forever on purpose, so nbval must not collect them:
``tests/test_homework.py`` runs both through the grader instead.
"""

collect_ignore_glob = ["student/*.ipynb", "samples/*.ipynb"]

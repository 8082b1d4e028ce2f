"""``python -m cnnlib.homework``: the instructor's commands (see :mod:`cnnlib.homework`)."""

import sys

try:
    from .instructor import main
except ImportError:  # the wheel students install has no instructor side
    sys.exit("python -m cnnlib.homework: the generator and the grader are the instructor's "
             "tools and are not in this installation; run them from a checkout of the course "
             "repository (pip install -e .).")

sys.exit(main())

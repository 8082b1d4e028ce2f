"""``python -m cnnlib.homework``: see :mod:`cnnlib.homework`."""

import sys

from . import main

sys.exit(main())

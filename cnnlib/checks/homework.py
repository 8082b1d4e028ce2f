"""The homework's self-checks, as the notebooks import them (``from cnnlib.checks import
homework as check``): they live in :mod:`cnnlib.homework.selfcheck`."""

from ..homework.selfcheck import *  # noqa: F403
from ..homework.selfcheck import __all__  # noqa: F401

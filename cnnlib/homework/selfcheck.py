"""Interim: the self-checks still use the instructor's reference (replaced in the next commit)."""

from .instructor.reference import *  # noqa: F403
from .instructor.reference import __all__  # noqa: F401

"""Exercise checkers: friendly, actionable feedback on a student's answer.

``cnnlib.checks.core`` holds the engine (:class:`Feedback`, :func:`check_value`,
:func:`check_function`) and the concept checkers; ``cnnlib.checks.exercises`` knows the
course's exercises by id (:func:`check_exercise`), so that their expected values never stand
in a notebook; ``cnnlib.checks.homework`` holds the homework's. A checker never reveals the
expected answer.
"""

from . import core
from .core import *  # noqa: F403
from .exercises import check_exercise

# The package's public names: core's, plus the exercise checker.
__all__ = [*core.__all__, "check_exercise"]

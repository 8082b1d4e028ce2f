"""Exercise checkers: friendly, actionable feedback on a student's answer.

``cnnlib.checks.core`` holds the engine (:class:`Feedback`, :func:`check_value`,
:func:`check_function`) and the checkers the lecture notebooks use; ``cnnlib.checks.homework``
holds the homework's. A checker never reveals the expected answer.
"""

# The package's public names are exactly core's: one list, core.__all__.
from .core import *  # noqa: F403
from .core import __all__  # noqa: F401

"""Exercise checkers: friendly, actionable feedback on a student's answer.

``cnnlib.checks.core`` holds the engine (:class:`Feedback`, :func:`check_value`,
:func:`check_function`) and the checkers the lecture notebooks use; ``cnnlib.checks.homework``
holds the homework's. A checker never reveals the expected answer.
"""

from .core import (
    Feedback,
    check_function,
    check_value,
    conv_params,
    is_missing,
    output_size,
    receptive_field,
)

__all__ = [
    "Feedback",
    "is_missing",
    "check_value",
    "check_function",
    "output_size",
    "conv_params",
    "receptive_field",
]

"""The vocabulary test cases are written in: `case` metadata, named `step`s, and checks."""

from conformance.testing.checks import check, check_equal, check_in
from conformance.testing.configuration import Setting, configured, preserved, read_variable, setting
from conformance.testing.metadata import case
from conformance.testing.steps import step

__all__ = [
    "Setting",
    "case",
    "check",
    "check_equal",
    "check_in",
    "configured",
    "preserved",
    "read_variable",
    "setting",
    "step",
]

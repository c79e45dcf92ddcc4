"""The vocabulary test cases are written in: `case` metadata, named `step`s, and checks."""

from conformance.testing.checks import check, check_equal, check_in
from conformance.testing.metadata import case
from conformance.testing.steps import step

__all__ = ["case", "check", "check_equal", "check_in", "step"]

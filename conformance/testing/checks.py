"""Tool validations: each failed check names what the SUT did and what the spec requires."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from conformance.errors import ConformanceFailure


def check(condition: object, message: str) -> None:
    """Fail the case with `message` (a SUT non-conformance) unless `condition` holds."""
    if not condition:
        raise ConformanceFailure(f"[conformance] {message}")


def check_equal(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise ConformanceFailure(f"[conformance] {what}: expected {expected!r}, got {actual!r}")


def check_in(actual: Any, allowed: Container[Any], what: str) -> None:
    if actual not in allowed:
        raise ConformanceFailure(f"[conformance] {what}: expected one of {allowed!r}, got {actual!r}")

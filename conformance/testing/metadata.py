"""`@case(...)`: a test case's id and what Part 6 says it checks, as a pytest marker."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])


def case(
    case_id: str,
    *,
    requirements: Sequence[str] = (),
    catches: Mapping[str, str] | None = None,
    actions: Sequence[str] = (),
) -> Callable[[F], F]:
    """Mark a test as Part 6 test case `case_id`.

    requirements: the requirement ids Part 6 lists for it (B01.FR.01 ...).
    catches: reference-SUT mutants this case must fail against, each with a regular expression its
        failure message must match (it names the broken rule); proved by tests/test_meta_mutants.py.
    actions: the driver actions it needs (documentation; a missing one skips the case when used).
    """
    marker = pytest.mark.ocpp_case(
        case_id, requirements=tuple(requirements), catches=dict(catches or {}), actions=tuple(actions)
    )

    def decorate(function: F) -> F:
        expected = f"test_{case_id}"
        if function.__name__ != expected:
            raise TypeError(f"test case {case_id} must be named {expected}, not {function.__name__}")
        return marker(function)  # type: ignore[no-any-return]

    return decorate

"""Date-time strategy and the strict RFC 3339 checker."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from conformance.fuzz import is_ocpp_datetime, is_rfc3339_datetime, ocpp_datetimes
from conformance.fuzz.invalid import BAD_DATETIMES


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(ocpp_datetimes())
def test_generated_datetimes_are_strict_ocpp_datetimes(value: str) -> None:
    assert is_ocpp_datetime(value)
    assert value.endswith("Z")
    fraction = value[19:-1]
    assert fraction == "" or (fraction[0] == "." and 1 <= len(fraction) - 1 <= 3)


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-15T10:00:00Z",
        "2024-02-29T23:59:59.123Z",
        "2024-01-15T10:00:00.5+01:00",
        "2024-01-15t10:00:00z",
    ],
)
def test_rfc3339_accepts(value: str) -> None:
    assert is_rfc3339_datetime(value)


@pytest.mark.parametrize(
    "value", [*BAD_DATETIMES, "2023-02-29T10:00:00Z", "2024-01-15T10:00:00+24:00", "٢٠٢٤-01-15T10:00:00Z"]
)
def test_rfc3339_rejects(value: str) -> None:
    assert not is_rfc3339_datetime(value)


@pytest.mark.parametrize(
    "value", ["2024-01-15T10:00:00+01:00", "2024-01-15T10:00:00.1234Z", "2024-01-15t10:00:00Z"]
)
def test_valid_rfc3339_but_not_ocpp_form(value: str) -> None:
    assert is_rfc3339_datetime(value)
    assert not is_ocpp_datetime(value)

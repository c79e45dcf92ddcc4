"""Valid payloads validate against their schema, for all 128 schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import find, given, settings

from conformance.fuzz import valid_payloads
from conformance.fuzz.schemas import Kind
from conformance.fuzz.valid import node_strategy
from tests.fuzz.helpers import SCHEMAS, reference_validator

EXAMPLES = 25


@pytest.mark.parametrize(("action", "kind"), SCHEMAS)
def test_valid_examples_validate(action: str, kind: Kind) -> None:
    validator = reference_validator(action, kind)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
    @given(valid_payloads(action, kind))
    def check(payload: dict[str, Any]) -> None:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(payload)]
        assert errors == []
        json.dumps(payload, allow_nan=False)  # sendable as JSON text

    check()


def test_strategies_are_cached_per_action_and_kind() -> None:
    assert valid_payloads("Authorize", "request") is valid_payloads("Authorize", "request")
    assert valid_payloads("Authorize", "request") is not valid_payloads("Authorize", "response")


def test_unknown_action_is_rejected() -> None:
    with pytest.raises(KeyError):
        valid_payloads("NoSuchAction", "request")


def test_optional_fields_custom_data_and_bounded_arrays_appear() -> None:
    """Over a sample: optional fields both present and absent, customData with and without vendor
    extras, arrays within the cap."""
    seen: dict[str, set[Any]] = {"idToken.additionalInfo": set(), "customData": set(), "extras": set()}
    sizes: list[int] = []

    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @given(valid_payloads("Authorize", "request"))
    def sample(payload: dict[str, Any]) -> None:
        info = payload["idToken"].get("additionalInfo")
        seen["idToken.additionalInfo"].add(info is not None)
        if info is not None:
            sizes.append(len(info))
        seen["customData"].add("customData" in payload)
        if "customData" in payload:
            seen["extras"].add(len(payload["customData"]) > 1)

    sample()
    assert all(values == {True, False} for values in seen.values()), seen
    assert sizes and max(sizes) <= 5 and min(sizes) >= 1


def test_array_minimum_beyond_the_cap_is_respected() -> None:
    """A schema asking for more items than the cap still gets them (the cap yields to minItems)."""
    schema = {"type": "array", "items": {"type": "integer"}, "minItems": 7, "maxItems": 20}
    lengths: set[int] = set()

    @settings(max_examples=30, deadline=None, derandomize=True, database=None)
    @given(node_strategy(schema, schema))
    def sample(value: list[int]) -> None:
        lengths.add(len(value))

    sample()
    assert lengths == {7}


def test_shrinking_reaches_the_minimal_payload() -> None:
    """Simple choices come first: required fields only, empty strings, first enum value, earliest
    date-time, arrays at minItems."""
    quick = settings(max_examples=300, deadline=None, derandomize=True, database=None)
    assert find(valid_payloads("BootNotification", "request"), lambda _: True, settings=quick) == {
        "chargingStation": {"model": "", "vendorName": ""},
        "reason": "ApplicationReset",
    }
    with_custom = find(
        valid_payloads("BootNotification", "request"), lambda p: "customData" in p, settings=quick
    )
    assert with_custom["customData"] == {"vendorId": ""}
    ended = find(valid_payloads("TransactionEvent", "request"), lambda p: "meterValue" in p, settings=quick)
    assert ended["timestamp"] == "2000-01-01T00:00:00Z"
    assert ended["meterValue"] == [{"sampledValue": [{"value": 0}], "timestamp": "2000-01-01T00:00:00Z"}]

"""Each invalid payload breaks exactly the rule it names, at exactly the path it names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from conformance.fuzz import RULES, InvalidPayload, invalid_payloads, json_path
from conformance.fuzz.codes import (
    FRAMING_FAULT_CODES,
    OCCURRENCE,
    OCCURRENCE_MISSPELT,
    PAYLOAD_RULE_CODES,
    REPLY_REQUIRED_RULES,
)
from conformance.fuzz.schemas import Kind
from tests.fuzz.helpers import SCHEMAS, reference_validator

EXAMPLES = 25
ERROR_CODES = {
    "FormatViolation",
    "GenericError",
    "InternalError",
    "MessageTypeNotSupported",
    "NotImplemented",
    "NotSupported",
    OCCURRENCE,
    OCCURRENCE_MISSPELT,
    "PropertyConstraintViolation",
    "ProtocolError",
    "RpcFrameworkError",
    "SecurityError",
    "TypeConstraintViolation",
}


def assert_breaks_exactly(action: str, kind: Kind, example: InvalidPayload) -> None:
    errors = list(reference_validator(action, kind).iter_errors(example.payload))
    where = {(json_path(e.absolute_path), e.validator) for e in errors}
    assert errors, f"still valid after {example.mutation}"
    assert {path for path, _ in where} == {example.path}, (example.mutation, where)
    keywords = {keyword for _, keyword in where}
    # A wrong type may also trip enum at the same spot; every other mutation trips only its rule.
    assert example.rule in keywords if example.rule == "type" else keywords == {example.rule}, where
    assert example.exact_code in example.allowed_codes <= ERROR_CODES


@pytest.mark.parametrize(("action", "kind"), SCHEMAS)
def test_invalid_examples_break_exactly_the_named_rule(action: str, kind: Kind) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
    @given(invalid_payloads(action, kind))
    def check(example: InvalidPayload) -> None:
        assert_breaks_exactly(action, kind, example)

    check()


# Every rule forced at least once (some only reach deep inside optional fields).
FORCED = [
    ("BootNotification", "request", "required"),
    ("TransactionEvent", "request", "type"),
    ("SetVariables", "response", "additionalProperties"),
    ("BootNotification", "request", "enum"),
    ("DataTransfer", "request", "maxLength"),
    ("NotifyEVChargingNeeds", "request", "minimum"),
    ("NotifyEVChargingNeeds", "request", "maximum"),
    ("SetChargingProfile", "request", "minimum"),
    ("BootNotification", "response", "format"),
]


def test_every_rule_is_forced_somewhere() -> None:
    assert {rule for _, _, rule in FORCED} == set(RULES)


@pytest.mark.parametrize(("action", "kind", "rule"), FORCED)
def test_each_rule_can_be_forced(action: str, kind: Kind, rule: str) -> None:
    @settings(max_examples=15, deadline=None, derandomize=True, database=None)
    @given(invalid_payloads(action, kind, rules=[rule]))
    def check(example: InvalidPayload) -> None:
        assert example.rule == rule
        assert_breaks_exactly(action, kind, example)

    check()


def test_rules_table_is_complete_and_unknown_rules_are_refused() -> None:
    assert set(PAYLOAD_RULE_CODES) == set(RULES)
    with pytest.raises(ValueError):
        invalid_payloads("Authorize", "request", rules=["pattern"])
    with pytest.raises(KeyError):
        invalid_payloads("NoSuchAction", "request")


def test_missing_required_field_codes() -> None:
    allowed, exact = PAYLOAD_RULE_CODES["required"]
    assert exact == OCCURRENCE
    assert {OCCURRENCE, OCCURRENCE_MISSPELT} <= allowed
    assert "GenericError" not in allowed and "FormatViolation" not in allowed


def test_code_decisions_hold() -> None:
    """GenericError is never acceptable (Table 8: only when no specific code applies); a type
    mismatch has exactly one answer; only 4.1.7's faults demand a reply."""
    tables = [*PAYLOAD_RULE_CODES.values(), *((a, e) for a, e, _ in FRAMING_FAULT_CODES.values())]
    assert all("GenericError" not in allowed and exact in allowed for allowed, exact in tables)
    assert PAYLOAD_RULE_CODES["type"] == (frozenset({"TypeConstraintViolation"}), "TypeConstraintViolation")
    assert set(REPLY_REQUIRED_RULES) == {"required", "type"}
    forced = InvalidPayload({}, "m", "$", "enum", frozenset({"PropertyConstraintViolation"}), "x")
    assert not forced.reply_required

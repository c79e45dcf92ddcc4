"""Schema rules of `check_payload`: rule id `schema.<keyword>` / `format.date-time` and a JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.ocppj.validation import FrameValidator, Violation, is_ocpp_datetime, json_path

NEEDS = {
    "evseId": 1,
    "chargingNeeds": {
        "requestedEnergyTransfer": "DC",
        "dcChargingParameters": {"evMaxCurrent": 1, "evMaxVoltage": 1},
    },
}


@pytest.fixture(scope="module")
def fv() -> FrameValidator:
    return FrameValidator()


def found(violations: tuple[Violation, ...]) -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in violations]


def tx_event(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "eventType": "Updated",
        "timestamp": "2024-05-01T10:00:00Z",
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 3,
        "transactionInfo": {"transactionId": "tx-1"},
        "meterValue": [
            {
                "timestamp": "2024-05-01T10:00:00Z",
                "sampledValue": [{"value": 1.0}, {"value": 2}, {"value": 3}],
            }
        ],
    }
    payload.update(overrides)
    return payload


def test_valid_payload_has_no_violations(fv: FrameValidator) -> None:
    assert fv.check_payload("TransactionEvent", "request", tx_event()) == ()
    assert fv.check_payload("NotifyEVChargingNeeds", "request", NEEDS) == ()


def test_deep_path_in_arrays(fv: FrameValidator) -> None:
    payload = tx_event()
    payload["meterValue"][0]["sampledValue"][2]["value"] = "12.5"
    v = fv.check_payload("TransactionEvent", "request", payload)
    assert found(v) == [("schema.type", "$.meterValue[0].sampledValue[2].value")]
    assert "'12.5'" in v[0].message  # names the offending value


def test_required_points_at_the_missing_property(fv: FrameValidator) -> None:
    v = fv.check_payload(
        "StatusNotification",
        "request",
        {"timestamp": "2024-05-01T10:00:00Z", "connectorStatus": "Available", "evseId": 1},
    )
    assert found(v) == [("schema.required", "$.connectorId")]
    assert "connectorId" in v[0].message


def test_several_missing_properties_each_reported(fv: FrameValidator) -> None:
    v = fv.check_payload("StatusNotification", "request", {"evseId": 1})
    assert sorted(found(v)) == [
        ("schema.required", "$.connectorId"),
        ("schema.required", "$.connectorStatus"),
        ("schema.required", "$.timestamp"),
    ]


def test_enum(fv: FrameValidator) -> None:
    v = fv.check_payload("TransactionEvent", "request", tx_event(eventType="Paused"))
    assert found(v) == [("schema.enum", "$.eventType")]
    assert "'Paused'" in v[0].message


def test_max_length(fv: FrameValidator) -> None:
    v = fv.check_payload("TransactionEvent", "request", tx_event(transactionInfo={"transactionId": "t" * 37}))
    assert found(v) == [("schema.maxLength", "$.transactionInfo.transactionId")]


def test_minimum_and_maximum(fv: FrameValidator) -> None:
    payload = {
        **NEEDS,
        "chargingNeeds": {
            **NEEDS["chargingNeeds"],
            "dcChargingParameters": {
                "evMaxCurrent": 1,
                "evMaxVoltage": 1,
                "stateOfCharge": 101,
                "fullSoC": -1,
            },
        },
    }
    v = fv.check_payload("NotifyEVChargingNeeds", "request", payload)
    assert sorted(found(v)) == [
        ("schema.maximum", "$.chargingNeeds.dcChargingParameters.stateOfCharge"),
        ("schema.minimum", "$.chargingNeeds.dcChargingParameters.fullSoC"),
    ]


def test_min_items_and_max_items(fv: FrameValidator) -> None:
    v = fv.check_payload("GetReport", "request", {"requestId": 1, "componentCriteria": []})
    assert found(v) == [("schema.minItems", "$.componentCriteria")]
    v = fv.check_payload("GetReport", "request", {"requestId": 1, "componentCriteria": ["Active"] * 5})
    assert found(v) == [("schema.maxItems", "$.componentCriteria")]


def test_additional_properties_points_at_the_extra_key(fv: FrameValidator) -> None:
    v = fv.check_payload("Heartbeat", "request", {"hello": 1, "odd key": 2})
    assert sorted(found(v)) == [
        ("schema.additionalProperties", "$.hello"),
        ("schema.additionalProperties", '$["odd key"]'),
    ]


def test_custom_data_allows_extra_keys_but_needs_vendor_id(fv: FrameValidator) -> None:
    assert fv.check_payload("Heartbeat", "request", {"customData": {"vendorId": "V", "x": 1}}) == ()
    v = fv.check_payload("Heartbeat", "request", {"customData": {"x": 1}})
    assert found(v) == [("schema.required", "$.customData.vendorId")]


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2024-05-01T10:00:00",
        "2024-05-01 10:00:00Z",
        "2024-02-30T00:00:00Z",
        "2024-05-01T10:00:00+0200",
        "1714557600",
    ],
)
def test_bad_date_time_is_caught(fv: FrameValidator, value: str) -> None:
    v = fv.check_payload("Heartbeat", "response", {"currentTime": value})
    assert found(v) == [("format.date-time", "$.currentTime")]
    assert value in v[0].message


def test_date_time_of_wrong_type_is_a_type_error_only(fv: FrameValidator) -> None:
    v = fv.check_payload("Heartbeat", "response", {"currentTime": 1714557600})
    assert found(v) == [("schema.type", "$.currentTime")]


def test_unknown_action_and_non_object_payload(fv: FrameValidator) -> None:
    assert found(fv.check_payload("Nope", "request", {})) == [("rpc.unknown-action", "$")]
    assert found(fv.check_payload("Heartbeat", "request", [])) == [("rpc.payload-type", "$")]


def test_long_values_are_clipped_in_messages(fv: FrameValidator) -> None:
    v = fv.check_payload(
        "Authorize", "request", {"idToken": {"idToken": "A", "type": "Central"}, "certificate": "C" * 6000}
    )
    assert found(v) == [("schema.maxLength", "$.certificate")]
    assert len(v[0].message) <= 300


def test_violation_str_names_rule_path_and_message() -> None:
    assert str(Violation("schema.type", "$.a", "bad")) == "schema.type at $.a: bad"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2024-05-01T10:00:00Z", True),
        ("2024-05-01T10:00:00.123Z", True),
        ("2024-05-01T10:00:00.123456+02:00", True),
        ("2024-05-01t10:00:00z", True),
        ("2024-02-29T00:00:00Z", True),
        ("2000-02-29T00:00:00Z", True),
        ("1900-02-29T00:00:00Z", False),
        ("2024-12-31T23:59:60Z", True),
        ("2025-01-01T00:59:60+01:00", True),
        ("2024-12-31T22:59:60Z", False),
        ("2024-05-01T10:00:00", False),
        ("2024-05-01", False),
        ("2024-04-31T00:00:00Z", False),
        ("2024-05-01T10:00:00+24:00", False),
        ("2024-05-01T10:00:00.Z", False),
        ("２０24-05-01T10:00:00Z", False),
        ("2024-05-01T10:00:00Z\n", False),
    ],
)
def test_is_ocpp_datetime(value: str, ok: bool) -> None:
    assert is_ocpp_datetime(value) is ok


def test_json_path() -> None:
    assert json_path([]) == "$"
    assert json_path(["meterValue", 0, "sampledValue", 2, "value"]) == "$.meterValue[0].sampledValue[2].value"
    assert json_path(["a b", 'q"']) == '$["a b"]["q\\""]'

"""Frames and their wire form (Part 4, 4.2/4.3)."""

from __future__ import annotations

import orjson

from conformance.ocppj.frames import (
    ERROR_CODES,
    MISSPELLED_ERROR_CODES,
    Call,
    CallError,
    CallResult,
    MessageType,
    new_message_id,
    serialize,
)


def test_message_types_are_part4_numbers() -> None:
    assert (MessageType.CALL, MessageType.CALLRESULT, MessageType.CALLERROR) == (2, 3, 4)


def test_serialize_is_compact_json_array() -> None:
    call = Call("19223201", "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "m"}})
    text = serialize(call)
    assert " " not in text
    assert orjson.loads(text) == [2, "19223201", "BootNotification", call.payload]
    assert serialize(CallResult("1", {"status": "Accepted"})) == '[3,"1",{"status":"Accepted"}]'
    assert serialize(CallError("1", "NotSupported", "no", {})) == '[4,"1","NotSupported","no",{}]'


def test_non_ascii_text_is_sent_as_utf8_not_escaped() -> None:
    text = serialize(Call("1", "DataTransfer", {"vendorId": "Größe"}))
    assert "Größe" in text


def test_error_codes_are_the_twelve_of_part4() -> None:
    assert len(ERROR_CODES) == 12
    assert {"FormatViolation", "RpcFrameworkError", "OccurrenceConstraintViolation"} <= ERROR_CODES
    assert "OccurenceConstraintViolation" not in ERROR_CODES
    assert {"OccurenceConstraintViolation"} == MISSPELLED_ERROR_CODES


def test_message_ids_are_unique_and_at_most_36_chars() -> None:
    ids = {new_message_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(isinstance(i, str) and 0 < len(i) <= 36 for i in ids)


def test_frames_are_frozen_and_slotted() -> None:
    call = Call("1", "Heartbeat", {})
    assert not hasattr(call, "__dict__")
    try:
        call.action = "x"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("Call must be immutable")


def test_serialize_falls_back_for_what_orjson_refuses() -> None:
    text = serialize(CallResult("1", {"big": 2**70, "s": "\ud800"}))
    assert text == '[3,"1",{"big":1180591620717411303424,"s":"\\ud800"}]'
    # orjson writes NaN as null (JSON has no NaN); the harness never builds NaN payloads on purpose.
    assert serialize(CallResult("1", {"x": float("nan")})) == '[3,"1",{"x":null}]'

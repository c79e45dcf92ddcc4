"""Framing faults are what they claim to be."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings

from conformance.fuzz import FAULTS, FramingFault, actions, framing_faults
from tests.fuzz.helpers import reference_validator

ACTIONS = ["Heartbeat", "BootNotification", "TransactionEvent", "SetChargingProfile", "DataTransfer"]


def _frame(fault: FramingFault) -> Any:
    assert isinstance(fault.data, str)
    return json.loads(fault.data)


def check_fault(action: str, fault: FramingFault) -> None:
    assert fault.exact_code in fault.allowed_codes
    name = fault.fault
    if name == "binary-frame":
        assert isinstance(fault.data, bytes)
        frame = json.loads(fault.data.decode("utf-8"))
        assert frame[:3] == [2, frame[1], action]
        return
    assert isinstance(fault.data, str)
    if name == "not-json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(fault.data)
        return
    frame = _frame(fault)
    if name == "not-array":
        assert not isinstance(frame, list)
    elif name == "empty-array":
        assert frame == []
    elif name == "call-3-elements":
        assert len(frame) == 3 and frame[0] == 2 and frame[2] == action
    else:
        assert len(frame) == 4
        type_id, message_id, frame_action, payload = frame
        faulty = {
            "message-type-unknown": type_id not in (2, 3, 4) and isinstance(type_id, int),
            "message-type-string": type_id == "2",
            "unknown-action": frame_action not in actions(),
            "message-id-too-long": isinstance(message_id, str) and len(message_id) > 36,
            "message-id-numeric": isinstance(message_id, int),
            "payload-not-object": not isinstance(payload, dict),
        }
        assert faulty[name], frame
        # Everything else about the CALL is right, so only the named fault is present.
        if name != "message-type-unknown" and name != "message-type-string":
            assert type_id == 2
        if name not in ("message-id-too-long", "message-id-numeric"):
            assert isinstance(message_id, str) and 1 <= len(message_id) <= 36
        if name != "unknown-action":
            assert frame_action == action
        if name != "payload-not-object":
            assert list(reference_validator(action, "request").iter_errors(payload)) == []
    # A reply is expected exactly where the message id can be read.
    assert fault.expects_reply == (isinstance(frame, list) and len(frame) >= 2)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("name", FAULTS)
def test_framing_faults_are_what_they_claim(action: str, name: str) -> None:
    @settings(max_examples=15, deadline=None, derandomize=True, database=None)
    @given(framing_faults(action, faults=[name]))
    def check(fault: FramingFault) -> None:
        assert fault.fault == name
        check_fault(action, fault)

    check()


def test_unrestricted_faults_mix_all_kinds() -> None:
    seen: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(framing_faults("Heartbeat"))
    def check(fault: FramingFault) -> None:
        check_fault("Heartbeat", fault)
        seen[fault.fault] += 1

    check()
    assert set(seen) == set(FAULTS), seen


def test_no_reply_expected_only_where_no_message_id_is_readable() -> None:
    from conformance.fuzz.codes import FRAMING_FAULT_CODES

    silent = {name for name, (_, _, reply) in FRAMING_FAULT_CODES.items() if not reply}
    assert silent == {"not-json", "not-array", "empty-array", "binary-frame"}


def test_unknown_action_or_fault_is_rejected() -> None:
    with pytest.raises(KeyError):
        framing_faults("NoSuchAction")
    with pytest.raises(ValueError):
        framing_faults("Heartbeat", faults=["no-such-fault"])

"""OCPP-J framing rules of `FrameValidator.decode`: rule id, path, recovered message id."""

from __future__ import annotations

import pytest

from conformance.ocppj.frames import Call, CallError, CallResult
from conformance.ocppj.validation import Decoded, FrameValidator, error_code_for

BOOT = '{"reason":"PowerUp","chargingStation":{"model":"M1","vendorName":"V"}}'


@pytest.fixture(scope="module")
def fv() -> FrameValidator:
    return FrameValidator()


def rules(decoded: Decoded) -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in decoded.violations]


def test_valid_call(fv: FrameValidator) -> None:
    d = fv.decode(f'[2,"abc","BootNotification",{BOOT}]')
    assert d.violations == ()
    assert isinstance(d.frame, Call)
    assert d.frame.action == "BootNotification"
    assert d.frame.payload["chargingStation"]["model"] == "M1"
    assert (d.message_id, d.message_type, d.response_id) == ("abc", 2, None)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ('[2,"1","Heartbeat",{}]', "Heartbeat"),
        (
            '[2,"1","StatusNotification",{"timestamp":"2024-05-01T10:00:00.123Z",'
            '"connectorStatus":"Available","evseId":1,"connectorId":1}]',
            "StatusNotification",
        ),
        ('[2,"1","Authorize",{"idToken":{"idToken":"ABC","type":"ISO14443"}}]', "Authorize"),
        ('[2,"1","Reset",{"type":"Immediate"}]', "Reset"),
    ],
)
def test_valid_calls_of_several_actions(fv: FrameValidator, text: str, action: str) -> None:
    d = fv.decode(text)
    assert d.violations == ()
    assert isinstance(d.frame, Call) and d.frame.action == action


def test_valid_callresult_and_callerror(fv: FrameValidator) -> None:
    d = fv.decode('[3,"x1",{"currentTime":"2024-01-01T00:00:00Z","interval":300,"status":"Accepted"}]')
    assert d.violations == () and isinstance(d.frame, CallResult)
    assert (d.message_id, d.response_id) == (None, "x1")
    d = fv.decode('[4,"x2","NotSupported","SetDisplayMessageRequest not supported",{}]')
    assert d.violations == () and isinstance(d.frame, CallError)
    assert d.frame.error_code == "NotSupported"


def test_binary_frame_is_flagged_but_still_parsed(fv: FrameValidator) -> None:
    d = fv.decode(b'[2,"b1","Heartbeat",{}]')
    assert rules(d) == [("rpc.binary-frame", "")]
    assert isinstance(d.frame, Call)
    assert d.text == '[2,"b1","Heartbeat",{}]'


@pytest.mark.parametrize("raw", ["not json", '[2,"1","Heartbeat",{}', "", "[NaN]", b"\xff\xfe[]"])
def test_not_json(fv: FrameValidator, raw: str | bytes) -> None:
    d = fv.decode(raw)
    assert "rpc.not-json" in [v.rule for v in d.violations]
    assert d.frame is None and d.message_id is None


def test_integer_beyond_64_bits_is_still_json(fv: FrameValidator) -> None:
    d = fv.decode('[2,"1","Heartbeat",{"x":123456789012345678901234567890}]')
    assert [v.rule for v in d.violations] == ["schema.additionalProperties"]


@pytest.mark.parametrize(
    "raw", ['[2,"1","DataTransfer",{"vendorId":"\\ud800"}]', '[2,"1","Heartbeat",{"x":1e400}]']
)
def test_unrepresentable_json_counts_as_not_json(fv: FrameValidator, raw: str) -> None:
    assert [v.rule for v in fv.decode(raw).violations] == ["rpc.not-json"]


@pytest.mark.parametrize(
    ("text", "path", "message_id"),
    [
        ('{"a":1}', "$", None),
        ("[]", "$", None),
        ('"text"', "$", None),
        ('[2,"id1","Heartbeat"]', "$", "id1"),
        ('[2,"id1","Heartbeat",{},{}]', "$", "id1"),
        ('[3,"id1"]', "$", None),
        ('[4,"id1","GenericError",""]', "$", None),
        ('[4,"id1","GenericError",7,{}]', "$[3]", None),
        ('[4,"id1","GenericError","",[]]', "$[4]", None),
    ],
)
def test_frame_shape(fv: FrameValidator, text: str, path: str, message_id: str | None) -> None:
    d = fv.decode(text)
    assert ("rpc.frame-shape", path) in rules(d)
    assert d.frame is None
    assert d.message_id == message_id


@pytest.mark.parametrize(
    "text",
    [
        '[7,"m7",{}]',
        '["2","m7","Heartbeat",{}]',
        '[2.0,"m7","Heartbeat",{}]',
        '[true,"m7","Heartbeat",{}]',
        '[null,"m7"]',
        '[5,"m7","Heartbeat",{}]',
    ],
)
def test_message_type(fv: FrameValidator, text: str) -> None:
    d = fv.decode(text)
    assert rules(d) == [("rpc.message-type", "$[0]")]
    assert d.frame is None
    assert d.message_id == "m7"  # so the caller can answer MessageTypeNotSupported
    assert error_code_for(d.violations) == "MessageTypeNotSupported"


@pytest.mark.parametrize("bad_id", ["42", "null", '{"a":1}', '"' + "x" * 37 + '"'])
def test_message_id(fv: FrameValidator, bad_id: str) -> None:
    d = fv.decode(f'[2,{bad_id},"Heartbeat",{{}}]')
    assert rules(d) == [("rpc.message-id", "$[1]")]
    assert d.frame is None


def test_message_id_of_36_chars_and_empty_are_fine(fv: FrameValidator) -> None:
    assert fv.decode(f'[2,"{"x" * 36}","Heartbeat",{{}}]').violations == ()
    assert fv.decode('[3,"",{"currentTime":"2024-01-01T00:00:00Z"}]').violations == ()


def test_over_long_id_of_a_call_is_still_recovered(fv: FrameValidator) -> None:
    long_id = "y" * 60
    d = fv.decode(f'[2,"{long_id}","Heartbeat",{{}}]')
    assert d.message_id == long_id


@pytest.mark.parametrize("action", ['"Foo"', '"heartbeat"', '"HeartbeatRequest"', "5", "null"])
def test_unknown_action(fv: FrameValidator, action: str) -> None:
    d = fv.decode(f'[2,"u1",{action},{{}}]')
    assert rules(d) == [("rpc.unknown-action", "$[2]")]
    assert d.frame is None and d.message_id == "u1"
    assert error_code_for(d.violations) == "NotImplemented"


@pytest.mark.parametrize(
    ("text", "path"),
    [('[2,"p","Heartbeat",null]', "$[3]"), ('[2,"p","Heartbeat",[]]', "$[3]"), ('[3,"p","ok"]', "$[2]")],
)
def test_payload_type(fv: FrameValidator, text: str, path: str) -> None:
    d = fv.decode(text)
    assert rules(d) == [("rpc.payload-type", path)]
    assert d.frame is None


def test_call_payload_is_schema_checked(fv: FrameValidator) -> None:
    d = fv.decode('[2,"s1","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M1"}}]')
    assert rules(d) == [("schema.required", "$.chargingStation.vendorName")]
    assert isinstance(d.frame, Call)  # well framed: the caller answers with a CALLERROR
    assert error_code_for(d.violations) == "OccurrenceConstraintViolation"


def test_callresult_payload_is_not_checked_without_action(fv: FrameValidator) -> None:
    d = fv.decode('[3,"r1",{"anything":true}]')
    assert d.violations == ()


@pytest.mark.parametrize("code", ['"Oops"', '"formatviolation"', "12"])
def test_error_code(fv: FrameValidator, code: str) -> None:
    d = fv.decode(f'[4,"e1",{code},"",{{}}]')
    assert rules(d) == [("rpc.error-code", "$[2]")]
    assert d.response_id == "e1"


def test_all_official_error_codes_accepted(fv: FrameValidator) -> None:
    from conformance.ocppj.frames import ERROR_CODES

    for code in ERROR_CODES:
        assert fv.decode(f'[4,"e1","{code}","",{{}}]').violations == ()


def test_misspelled_error_code_is_a_note_not_a_violation(fv: FrameValidator) -> None:
    d = fv.decode('[4,"e1","OccurenceConstraintViolation","",{}]')
    assert d.violations == ()
    assert [(n.rule, n.path) for n in d.notes] == [("rpc.error-code-misspelled", "$[2]")]
    assert isinstance(d.frame, CallError)


def test_error_description_length(fv: FrameValidator) -> None:
    assert fv.decode(f'[4,"e1","GenericError","{"d" * 255}",{{}}]').violations == ()
    d = fv.decode(f'[4,"e1","GenericError","{"d" * 256}",{{}}]')
    assert rules(d) == [("rpc.error-description", "$[3]")]

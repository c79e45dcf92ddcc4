"""Part 4 section 4.3: raw malformed frames get a CALLERROR with the right code (the `ocpp`
library alone would answer several of them wrongly, or not at all)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from conformance.reference.csms import RunningCsms
from tests.reference.csms.station import Connected, boot_payload


def boot_with(**changes: Any) -> dict[str, Any]:
    payload = boot_payload()
    for key, value in changes.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    return payload


def call(action: str, payload: Any, unique_id: Any = "m-1") -> str:
    return json.dumps([2, unique_id, action, payload])


LONG_VENDOR = {"model": "M", "vendorName": "V" * 51}
CASES: list[tuple[str, str | bytes, str, str]] = [
    ("not-json", "this is not json", "-1", "RpcFrameworkError"),
    ("not-array", '{"a": 1}', "-1", "RpcFrameworkError"),
    ("binary", b"\x00\x01", "-1", "RpcFrameworkError"),
    ("type-7", '[7, "m-1", "Heartbeat", {}]', "m-1", "MessageTypeNotSupported"),
    ("type-string", '["2", "m-1", "Heartbeat", {}]', "m-1", "RpcFrameworkError"),
    ("numeric-id", call("Heartbeat", {}, 42), "-1", "FormatViolation"),
    ("id-37-chars", call("Heartbeat", {}, "x" * 37), "-1", "FormatViolation"),
    ("call-3-elements", '[2, "m-1", "Heartbeat"]', "m-1", "RpcFrameworkError"),
    ("unknown-action", call("FlyToTheMoon", {}), "m-1", "NotImplemented"),
    ("csms-only-action", call("Reset", {"type": "Immediate"}), "m-1", "NotSupported"),
    ("payload-array", call("Heartbeat", []), "m-1", "FormatViolation"),
    (
        "missing-required",
        call("BootNotification", boot_with(reason=None)),
        "m-1",
        "OccurrenceConstraintViolation",
    ),
    ("wrong-type", call("BootNotification", boot_with(reason=5)), "m-1", "TypeConstraintViolation"),
    ("enum", call("BootNotification", boot_with(reason="Sometimes")), "m-1", "PropertyConstraintViolation"),
    (
        "max-length",
        call("BootNotification", boot_with(chargingStation=LONG_VENDOR)),
        "m-1",
        "PropertyConstraintViolation",
    ),
    ("additional-property", call("BootNotification", boot_with(extra=1)), "m-1", "FormatViolation"),
    (
        "bad-date-time",
        call(
            "StatusNotification",
            {"timestamp": "yesterday", "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
        ),
        "m-1",
        "FormatViolation",
    ),
    (
        "date-time-no-offset",
        call("SecurityEventNotification", {"type": "X", "timestamp": "2024-01-01T00:00:00"}),
        "m-1",
        "FormatViolation",
    ),
]


@pytest.mark.parametrize(("frame", "expect_id", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_frame_gets_right_callerror(
    csms: RunningCsms, frame: str | bytes, expect_id: str, code: str
) -> None:
    async def scenario() -> tuple[Any, Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.tap.ws.send(frame)
            answer = await cs.tap.wait_for(lambda f: isinstance(f, list) and f[0] in (3, 4))
            # the connection and the CSMS still work afterwards
            boot = await cs.raw_call("BootNotification", boot_payload())
            return answer, boot

    answer, boot = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert answer[0] == 4 and answer[1] == expect_id and answer[2] == code, answer
    assert isinstance(answer[3], str) and isinstance(answer[4], dict)
    assert boot[0] == 3 and boot[2]["status"] == "Accepted"


def test_malformed_response_is_not_answered(csms: RunningCsms) -> None:
    """A broken CALLRESULT is never answered with a CALLERROR (responses are not answered)."""

    async def scenario() -> list[Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.tap.ws.send('[3, "m-9"]')
            await cs.raw_call("Heartbeat", {})
            return list(cs.tap.incoming)

    incoming = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert len(incoming) == 1 and incoming[0][0] == 3

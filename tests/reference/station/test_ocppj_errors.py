"""Conformant OCPP-J error handling (Part 4 sections 4.2.3 and 4.3) in front of the `ocpp` library."""

from __future__ import annotations

import asyncio

import pytest

from tests.reference.station.csms import running

CASES = [
    ("not json", "-1", "RpcFrameworkError"),
    ('{"a": 1}', "-1", "RpcFrameworkError"),
    ('[7, "m1", "Heartbeat", {}]', "m1", "MessageTypeNotSupported"),
    ('["2", "m2", "GetLocalListVersion", {}]', "m2", "RpcFrameworkError"),
    ('[2, 42, "GetLocalListVersion", {}]', "-1", "FormatViolation"),
    ('[2, "' + "x" * 60 + '", "GetLocalListVersion", {}]', "-1", "FormatViolation"),
    ('[2, "m3", "NoSuchAction", {}]', "m3", "NotImplemented"),
    (
        '[2, "m4", "PublishFirmware", {"location": "x", "checksum": "x", "requestId": 1}]',
        "m4",
        "NotSupported",
    ),
    ('[2, "m5", "Reset", {}]', "m5", "OccurrenceConstraintViolation"),
    ('[2, "m6", "Reset", {"type": 5}]', "m6", "TypeConstraintViolation"),
    ('[2, "m7", "Reset", {"type": "Sometime"}]', "m7", "PropertyConstraintViolation"),
    (
        '[2, "m8", "SetDisplayMessage", {"message": {"id": 1, "priority": "AlwaysFront", '
        '"message": {"format": "ASCII", "content": "x"}, "startDateTime": "yesterday"}}]',
        "m8",
        "FormatViolation",
    ),
]


def test_malformed_frames_get_the_right_callerror() -> None:
    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            for text, uid, code in CASES:
                before = len(csms.raw_in)
                await csms.send_raw(text)
                error = await csms.frame_after(before, lambda f: isinstance(f, list) and f[0] == 4)
                assert error[1:3] == [uid, code], text
                assert isinstance(error[3], str) and error[4] == {}
            # still alive and conformant afterwards
            await csms.send_raw('[2, "ok", "GetLocalListVersion", {}]')
            assert (await csms.response_to("ok"))[0] == 3

    asyncio.run(main())


@pytest.mark.parametrize("mutant", ["wrong-callerror-code"])
def test_wrong_callerror_code_mutant_uses_library_handling(mutant: str) -> None:
    async def main() -> None:
        async with running(mutant=mutant) as (csms, _station):
            await csms.booted()
            await csms.send_raw('[2, "m5", "Reset", {}]')
            assert (await csms.response_to("m5"))[2] == "ProtocolError"  # not OccurrenceConstraintViolation
            await csms.send_raw('[2, "m3", "NoSuchAction", {}]')
            assert (await csms.response_to("m3"))[2] == "NotSupported"  # not NotImplemented

    asyncio.run(main())

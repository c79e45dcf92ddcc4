"""Every OCPP-J rule violation by the peer is caught by the session, with rule and JSON path,
in both roles, over real sockets; silent and vanishing peers fail within the timeout."""

from __future__ import annotations

import asyncio
import time

import pytest

from conformance.errors import SchemaViolationFailure, SutDisconnected, SutTimeout
from conformance.ocppj.frames import CallError, CallResult
from tests.session.harness_peers import BOOT, csms_and_raw_station, frame, recv_json, station_and_raw_csms


async def _violation_after(raw: str | bytes) -> SchemaViolationFailure:
    async with csms_and_raw_station() as (csms, ws):
        await ws.send(raw)
        with pytest.raises(SchemaViolationFailure) as caught:
            await csms.expect("Heartbeat", timeout=2.0)
        return caught.value


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("this is not json", "rpc.not-json"),
        (frame(7, "m1", "Heartbeat", {}), "rpc.message-type"),
        ('["2", "m1", "Heartbeat", {}]', "rpc.message-type"),
        ('[2, 42, "Heartbeat", {}]', "rpc.message-id"),
        (frame(2, "x" * 37, "Heartbeat", {}), "rpc.message-id"),
        (frame(2, "m1", "MakeCoffee", {}), "rpc.unknown-action"),
        (frame(2, "m1", "BootNotification", {"reason": "PowerUp"}), "schema.required"),
        (frame(2, "m1", "BootNotification", {**BOOT, "reason": "Bored"}), "schema.enum"),
        (
            frame(
                2,
                "m1",
                "StatusNotification",
                {"timestamp": "yesterday", "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
            ),
            "format.date-time",
        ),
        (frame(3, "never-sent", {}), "rpc.unexpected-response"),
        (b"\x00binary", "rpc.binary-frame"),
    ],
)
async def test_station_frame_violation_is_caught(raw: str | bytes, rule: str) -> None:
    failure = await _violation_after(raw)
    assert failure.rule == rule
    assert rule in str(failure)


async def test_schema_violation_names_the_json_path() -> None:
    raw = frame(
        2,
        "m1",
        "StatusNotification",
        {
            "timestamp": "2025-01-01T00:00:00Z",
            "connectorStatus": "Available",
            "evseId": "1",
            "connectorId": 1,
        },
    )
    failure = await _violation_after(raw)
    assert failure.rule == "schema.type"
    assert failure.path == "$.evseId"
    assert "$.evseId" in str(failure) and "frame from the SUT" in str(failure)


async def test_unknown_action_is_answered_not_implemented() -> None:
    async with csms_and_raw_station() as (_csms, ws):
        await ws.send(frame(2, "m1", "MakeCoffee", {}))
        answer = await recv_json(ws)
        assert answer[:3] == [4, "m1", "NotImplemented"]


async def test_wrong_message_type_is_answered_message_type_not_supported() -> None:
    async with csms_and_raw_station() as (_csms, ws):
        await ws.send(frame(7, "m1", "Heartbeat", {}))
        answer = await recv_json(ws)
        assert answer[:3] == [4, "m1", "MessageTypeNotSupported"]


async def test_valid_call_is_answered_by_the_default_responder() -> None:
    async with csms_and_raw_station() as (csms, ws):
        await ws.send(frame(2, "b1", "BootNotification", BOOT))
        answer = await recv_json(ws)
        assert answer[0] == 3 and answer[1] == "b1" and answer[2]["status"] == "Accepted"
        boot = await csms.expect("BootNotification")
        assert boot.payload["reason"] == "PowerUp" and boot.answered
        assert csms.violations == []


async def test_second_call_while_one_is_open_is_flagged() -> None:
    async with csms_and_raw_station() as (csms, ws):
        csms.hold("BootNotification")
        await ws.send(frame(2, "b1", "BootNotification", BOOT))
        await csms.expect("BootNotification")
        await ws.send(frame(2, "h1", "Heartbeat", {}))
        with pytest.raises(SchemaViolationFailure) as caught:
            await csms.expect("Heartbeat", timeout=2.0)
        assert caught.value.rule == "rpc.second-call"


async def test_schema_invalid_response_fails_the_call() -> None:
    async with csms_and_raw_station() as (csms, ws):
        call = asyncio.ensure_future(csms.call("Reset", {"type": "Immediate"}))
        request = await recv_json(ws)
        await ws.send(frame(3, request[1], {"status": "Maybe"}))
        with pytest.raises(SchemaViolationFailure) as caught:
            await call
        assert caught.value.rule == "schema.enum" and caught.value.path == "$.status"


async def test_invalid_callerror_code_is_flagged() -> None:
    async with csms_and_raw_station() as (csms, ws):
        call = asyncio.ensure_future(csms.call("Reset", {"type": "Immediate"}))
        request = await recv_json(ws)
        await ws.send(frame(4, request[1], "Oops", "", {}))
        with pytest.raises(SchemaViolationFailure) as caught:
            await call
        assert caught.value.rule == "rpc.error-code"


async def test_callerror_is_a_typed_result() -> None:
    async with csms_and_raw_station() as (csms, ws):
        call = asyncio.ensure_future(csms.call("Reset", {"type": "Immediate"}))
        request = await recv_json(ws)
        await ws.send(frame(4, request[1], "NotSupported", "no reset here", {}))
        result = await call
        assert isinstance(result, CallError) and result.error_code == "NotSupported"


async def test_silent_station_times_out_within_the_timeout() -> None:
    async with csms_and_raw_station(timeout=0.5) as (csms, _ws):
        started = time.monotonic()
        with pytest.raises(SutTimeout, match=r"no ResetResponse from the charging station within 0.5 s"):
            await csms.call("Reset", {"type": "Immediate"})
        assert time.monotonic() - started < 2.0


async def test_station_dropping_the_connection_fails_promptly() -> None:
    async with csms_and_raw_station(timeout=5.0) as (csms, ws):
        call = asyncio.ensure_future(csms.call("Reset", {"type": "Immediate"}))
        await recv_json(ws)
        started = time.monotonic()
        await ws.close()
        with pytest.raises(SutDisconnected, match="closed the connection"):
            await call
        assert time.monotonic() - started < 2.0


async def test_expect_no_message_fails_when_a_message_arrives() -> None:
    async with csms_and_raw_station() as (csms, ws):
        await ws.send(frame(2, "h1", "Heartbeat", {}))
        from conformance.errors import ConformanceFailure

        with pytest.raises(ConformanceFailure, match="HeartbeatRequest"):
            await csms.expect_no_message(1.0)


async def test_expect_no_message_passes_on_silence() -> None:
    async with csms_and_raw_station() as (csms, _ws):
        await csms.expect_no_message(0.2)


# ------------------------------------------------------------------ harness as a station
async def test_csms_schema_invalid_response_is_caught() -> None:
    async with station_and_raw_csms() as (station, accepted):
        ws = await asyncio.wait_for(accepted.get(), 2)
        call = asyncio.ensure_future(station.call("BootNotification", BOOT))
        request = await recv_json(ws)
        await ws.send(
            frame(
                3,
                request[1],
                {"currentTime": "2025-01-01T00:00:00Z", "interval": "300", "status": "Accepted"},
            )
        )
        with pytest.raises(SchemaViolationFailure) as caught:
            await call
        assert caught.value.rule == "schema.type" and caught.value.path == "$.interval"


async def test_csms_valid_response_is_returned() -> None:
    async with station_and_raw_csms() as (station, accepted):
        ws = await asyncio.wait_for(accepted.get(), 2)
        call = asyncio.ensure_future(station.call("BootNotification", BOOT))
        request = await recv_json(ws)
        assert request[0] == 2 and request[2] == "BootNotification" and len(request[1]) <= 36
        await ws.send(
            frame(
                3,
                request[1],
                {"currentTime": "2025-01-01T00:00:00.123Z", "interval": 300, "status": "Accepted"},
            )
        )
        result = await call
        assert isinstance(result, CallResult) and result.payload["interval"] == 300


async def test_csms_request_is_answered_by_the_station_responder() -> None:
    async with station_and_raw_csms() as (station, accepted):
        ws = await asyncio.wait_for(accepted.get(), 2)
        await ws.send(
            frame(
                2,
                "g1",
                "GetVariables",
                {
                    "getVariableData": [
                        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NoSuchThing"}}
                    ]
                },
            )
        )
        answer = await recv_json(ws)
        assert answer[0] == 3 and answer[2]["getVariableResult"][0]["attributeStatus"] == "UnknownComponent"
        received = await station.expect("GetVariables")
        assert received.answered


async def test_silent_csms_times_out() -> None:
    async with station_and_raw_csms(timeout=0.5) as (station, _accepted):
        with pytest.raises(SutTimeout, match=r"no BootNotificationResponse from the CSMS within 0\.5 s"):
            await station.call("BootNotification", BOOT)


async def test_csms_dropping_the_connection_fails_promptly() -> None:
    async with station_and_raw_csms(timeout=5.0) as (station, accepted):
        ws = await asyncio.wait_for(accepted.get(), 2)
        call = asyncio.ensure_future(station.call("BootNotification", BOOT))
        await recv_json(ws)
        await ws.close()
        with pytest.raises(SutDisconnected):
            await call


async def test_harness_refuses_to_send_an_invalid_request() -> None:
    from conformance.errors import HarnessError

    async with station_and_raw_csms() as (station, _accepted):
        with pytest.raises(HarnessError, match="refused to send an invalid BootNotificationRequest"):
            await station.call("BootNotification", {"reason": "PowerUp"})


async def test_call_after_the_peer_message_timeout_is_no_second_call() -> None:
    """A CALL left unanswered for the peer's MessageTimeout is forgotten (0 s here: at once)."""
    async with csms_and_raw_station() as (csms, ws):
        csms.message_timeout = 0.0
        csms.hold("Heartbeat")  # the harness leaves it unanswered, as OCTT does in TC_E_41_CS
        await ws.send(frame(2, "t1", "Heartbeat", {}))
        await csms.expect("Heartbeat")
        await ws.send(frame(2, "t2", "Heartbeat", {}))
        resend = await csms.expect("Heartbeat", timeout=2.0)
        await resend.reply({"currentTime": "2025-01-01T00:00:00Z"})
        assert csms.violations == []
        csms.begin_test()  # a test's message timeout ends with it
        assert csms.message_timeout == csms.timeout

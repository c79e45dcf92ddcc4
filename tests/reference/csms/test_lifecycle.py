"""Connections and lifecycle: any base path, unknown stations, reconnection, subprotocol, stop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conformance.reference.csms import ControlError, CsmsConfig, RunningCsms, StationRecord
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.station import WAIT, Connected, boot_payload


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_any_base_path_and_percent_encoded_id(csms: RunningCsms) -> None:
    async def scenario() -> None:
        async with Connected(csms.url + "ocpp/v201/", "CS%201") as cs:
            assert (await cs.raw_call("BootNotification", boot_payload()))[2]["status"] == "Accepted"

    run(scenario())
    assert "CS 1" in csms.control.perform("get_state")["stations"]


def test_unknown_station_refused_when_configured(start_csms: StartCsms) -> None:
    csms = start_csms(CsmsConfig(accept_unknown_stations=False, stations={"CS1": StationRecord()}))

    async def scenario() -> int:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
        with pytest.raises(InvalidStatus) as info:
            async with Connected(csms.url, "CS2"):
                pass
        return info.value.response.status_code

    assert run(scenario()) == 404


def test_no_ocpp_subprotocol_is_closed(csms: RunningCsms) -> None:
    async def scenario() -> tuple[str | None, int | None]:
        async with connect(csms.url + "CS1", subprotocols=["ocpp1.6"], proxy=None) as ws:  # type: ignore[list-item]
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), WAIT)
            return ws.subprotocol, info.value.rcvd.code if info.value.rcvd else None

    assert run(scenario()) == (None, 1002)


def test_reconnect_replaces_the_old_connection(csms: RunningCsms) -> None:
    async def scenario() -> None:
        async with Connected(csms.url, "CS1") as first:
            await first.raw_call("BootNotification", boot_payload())
            async with Connected(csms.url, "CS1") as second:
                await second.raw_call("BootNotification", boot_payload())
                await asyncio.wait_for(first.tap.ws.wait_closed(), WAIT)
                outcome = await csms.control.aperform("ClearCache", {"station_id": "CS1", "request": {}})
                assert outcome == {"response": {"status": "Accepted"}}
                assert second.requests == [("ClearCache", {})] and first.requests == []

    run(scenario())
    st = csms.control.perform("get_state")["stations"]["CS1"]
    assert st["connections"] == 2 and len(st["boots"]) == 2


def test_pending_station_may_send_requested_report(start_csms: StartCsms) -> None:
    csms = start_csms(CsmsConfig(stations={"CS1": StationRecord(boot_status="Pending")}))
    report = {"requestId": 9, "generatedAt": "2024-01-01T00:00:00Z", "seqNo": 0}

    async def scenario() -> tuple[Any, Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            before = await cs.raw_call("NotifyReport", report)
            await csms.control.aperform(
                "GetBaseReport",
                {"station_id": "CS1", "request": {"requestId": 9, "reportBase": "FullInventory"}},
            )
            return before, await cs.raw_call("NotifyReport", report)

    before, after = run(scenario())
    assert before[2] == "SecurityError" and after == [3, after[1], {}]


def test_stop_with_a_connected_station(start_csms: StartCsms) -> None:
    csms = start_csms()

    async def scenario() -> None:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, csms.stop)
            await asyncio.wait_for(cs.tap.ws.wait_closed(), WAIT)

    run(scenario())
    with pytest.raises(ControlError, match="not running"):
        csms.control.perform("get_state")


def test_perform_from_inside_the_csms_loop_is_refused(csms: RunningCsms) -> None:
    """perform() is blocking; called on the CSMS's own loop it would deadlock, so it refuses."""
    errors: list[BaseException] = []

    async def inside() -> None:
        try:
            csms.control.perform("get_state")
        except ControlError as exc:
            errors.append(exc)

    future = asyncio.run_coroutine_threadsafe(inside(), csms.control._loop)
    future.result(WAIT)
    assert errors and "deadlock" in str(errors[0])

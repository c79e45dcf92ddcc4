"""B: boot in each status, Heartbeat, StatusNotification, NotifyEvent, SecurityEvent, NotifyReport."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from ocpp.v201 import call

from conformance.reference.csms import ControlError, CsmsConfig, RunningCsms, StationRecord
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.station import BOOT, Connected, boot_payload

UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_boot_accepted_heartbeat_and_notifications(csms: RunningCsms) -> None:
    async def scenario() -> None:
        async with Connected(csms.url, "CS1") as cs:
            boot = await cs.raw_call("BootNotification", boot_payload())
            assert boot[0] == 3 and boot[2]["status"] == "Accepted"
            assert boot[2]["interval"] == 300 and type(boot[2]["interval"]) is int
            assert UTC_MS.match(boot[2]["currentTime"])
            # the library checks the response against its schemas too
            res = await cs.call(call.Heartbeat(), suppress=False)
            assert UTC_MS.match(res.current_time)
            await cs.call(
                call.StatusNotification(
                    timestamp="2024-01-01T00:00:00.000Z",
                    connector_status="Available",
                    evse_id=1,
                    connector_id=1,
                ),
                suppress=False,
            )
            event = {
                "eventId": 1,
                "timestamp": "2024-01-01T00:00:00Z",
                "trigger": "Delta",
                "actualValue": "Available",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "AvailabilityState"},
            }
            await cs.call(call.NotifyEvent(generated_at="2024-01-01T00:00:00Z", seq_no=0, event_data=[event]))
            await cs.call(
                call.SecurityEventNotification(type="StartupOfTheDevice", timestamp="2024-01-01T00:00:00Z")
            )

    run(scenario())
    csms.wait_disconnected("CS1")  # the station's close completes before the CSMS has cleaned up
    state = csms.control.perform("get_state")
    st = state["stations"]["CS1"]
    assert st["bootStatus"] == "Accepted" and st["boots"][0]["request"] == BOOT
    assert st["heartbeats"] == 1
    assert st["connectorStatus"] == {"1/1": "Available"}
    assert st["events"][0]["variable"]["name"] == "AvailabilityState"
    assert st["securityEvents"][0]["type"] == "StartupOfTheDevice"
    assert state["connected"] == []  # the station left


def test_pending_then_accepted(start_csms: StartCsms) -> None:
    """TC_B_02_CSMS / TC_B_30_CSMS: Pending first; only configuration requests; SecurityError to CALLs."""
    csms = start_csms(
        CsmsConfig(stations={"CS1": StationRecord(boot_status="Pending", boot_retry_interval=7)})
    )

    async def scenario() -> None:
        async with Connected(csms.url, "CS1") as cs:
            boot = await cs.raw_call("BootNotification", boot_payload())
            assert boot[2]["status"] == "Pending" and boot[2]["interval"] == 7
            status = {
                "timestamp": "2024-01-01T00:00:00Z",
                "connectorStatus": "Available",
                "evseId": 1,
                "connectorId": 1,
            }
            refused = await cs.raw_call("StatusNotification", status)
            assert refused[0] == 4 and refused[2] == "SecurityError"
            got = await csms.control.aperform(
                "GetVariables",
                {
                    "station_id": "CS1",
                    "request": {
                        "getVariableData": [
                            {
                                "component": {"name": "OCPPCommCtrlr"},
                                "variable": {"name": "HeartbeatInterval"},
                            }
                        ]
                    },
                },
            )
            assert got["response"]["getVariableResult"][0]["attributeValue"] == "300"
            with pytest.raises(ControlError, match="Pending"):
                await csms.control.aperform(
                    "RequestStartTransaction",
                    {
                        "station_id": "CS1",
                        "request": {"idToken": {"idToken": "A", "type": "Central"}, "remoteStartId": 1},
                    },
                )
            # TC_B_31_CSMS: a triggered message is allowed while Pending
            trig = await csms.control.aperform(
                "TriggerMessage", {"station_id": "CS1", "request": {"requestedMessage": "StatusNotification"}}
            )
            assert trig == {"response": {"status": "Accepted"}}
            assert (await cs.raw_call("StatusNotification", status))[0] == 3
            again = await cs.raw_call("BootNotification", boot_payload())
            assert again[2]["status"] == "Accepted"
            assert (await cs.raw_call("Heartbeat", {}))[0] == 3

    run(scenario())


def test_rejected(start_csms: StartCsms) -> None:
    csms = start_csms(CsmsConfig(stations={"CS1": StationRecord(boot_status="Rejected")}))

    async def scenario() -> None:
        async with Connected(csms.url, "CS1") as cs:
            boot = await cs.raw_call("BootNotification", boot_payload())
            assert boot[2]["status"] == "Rejected"
            refused = await cs.raw_call("Heartbeat", {})
            assert refused[0] == 4 and refused[2] == "SecurityError"
            with pytest.raises(ControlError, match="Rejected"):
                await csms.control.aperform("Reset", {"station_id": "CS1", "request": {"type": "Immediate"}})

    run(scenario())


def test_configure_boot_status_is_one_shot(csms: RunningCsms) -> None:
    assert csms.control.perform(
        "configure_boot_status", {"station_id": "CS9", "status": "Pending", "interval": 3}
    )

    async def scenario() -> list[tuple[str, int]]:
        async with Connected(csms.url, "CS9") as cs:
            first = await cs.raw_call("BootNotification", boot_payload())
            second = await cs.raw_call("BootNotification", boot_payload())
            return [(first[2]["status"], first[2]["interval"]), (second[2]["status"], second[2]["interval"])]

    assert run(scenario()) == [("Pending", 3), ("Accepted", 300)]


def test_notify_report_chunks_are_assembled(csms: RunningCsms) -> None:
    def chunk(seq: int, tbc: bool, name: str) -> dict[str, Any]:
        item = {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": name},
            "variableAttribute": [{"value": "1"}],
        }
        return {
            "requestId": 42,
            "generatedAt": "2024-01-01T00:00:00Z",
            "seqNo": seq,
            "tbc": tbc,
            "reportData": [item],
        }

    async def scenario() -> None:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            assert (await cs.raw_call("NotifyReport", chunk(0, True, "A")))[0] == 3
            mid = csms.control.perform("get_state")["stations"]["CS1"]["reports"]["42"]
            assert mid["complete"] is False
            assert (await cs.raw_call("NotifyReport", chunk(1, False, "B")))[0] == 3

    run(scenario())
    report = csms.control.perform("get_state")["stations"]["CS1"]["reports"]["42"]
    assert report["complete"] is True and report["seqNos"] == [0, 1]
    assert [d["variable"]["name"] for d in report["reportData"]] == ["A", "B"]

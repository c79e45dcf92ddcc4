"""A connector report answers a wait only while it is the newest: once a newer report of the same
connector is taken, the older ones still queued (a station reporting by StatusNotification and NotifyEvent
sends a twin of each) no longer answer a later wait for their state."""

from __future__ import annotations

import pytest

from conformance.errors import ConformanceFailure
from conformance.session.states.cs import cs_connectors_reported
from tests.session.harness_peers import csms_and_raw_station, frame, recv_json

STAMP = "2025-01-01T00:00:00Z"


def _status(unique_id: str, status: str) -> str:
    payload = {"timestamp": STAMP, "connectorStatus": status, "evseId": 1, "connectorId": 1}
    return frame(2, unique_id, "StatusNotification", payload)


def _event(unique_id: str, status: str) -> str:
    datum = {
        "eventId": int(unique_id[1:]),
        "timestamp": STAMP,
        "trigger": "Delta",
        "actualValue": status,
        "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
        "variable": {"name": "AvailabilityState"},
        "eventNotificationType": "HardWiredNotification",
    }
    return frame(2, unique_id, "NotifyEvent", {"generatedAt": STAMP, "seqNo": 0, "eventData": [datum]})


async def test_an_older_twin_report_does_not_answer_a_later_wait() -> None:
    async with csms_and_raw_station() as (csms, ws):
        for raw in (_status("m1", "Available"), _event("m2", "Available")):
            await ws.send(raw)
            await recv_json(ws)
        await cs_connectors_reported(csms, None, "Available", label="before", only=(1, 1))
        # The station then reports Occupied both ways; the Available twin (NotifyEvent m2) is still queued.
        for raw in (_status("m3", "Occupied"), _event("m4", "Occupied")):
            await ws.send(raw)
            await recv_json(ws)
        await cs_connectors_reported(csms, None, "Occupied", label="plugged", only=(1, 1))
        with pytest.raises(ConformanceFailure, match=r"connector\(s\) \[\(1, 1\)\] as Available"):
            await cs_connectors_reported(csms, None, "Available", label="unplugged", only=(1, 1))


async def test_a_newer_report_still_answers() -> None:
    async with csms_and_raw_station() as (csms, ws):
        for raw in (_status("m1", "Occupied"), _status("m2", "Available")):
            await ws.send(raw)
            await recv_json(ws)
        await cs_connectors_reported(csms, None, "Available", label="now", only=(1, 1))
        with pytest.raises(ConformanceFailure, match="as Occupied"):
            await cs_connectors_reported(csms, None, "Occupied", label="stale", only=(1, 1))

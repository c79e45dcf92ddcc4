"""The reference station's variable monitoring (N02-N08, monitoring.py), driven from the ocpp-library test
CSMS: SetVariableMonitoring results, events on a delta / threshold / periodic trigger, the monitoring
level, GetMonitoringReport, ClearVariableMonitoring and SetMonitoringBase."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.v201 import call

from tests.reference.station.csms import TestCsms, running

CONNECTOR = {"name": "Connector", "evse": {"id": 1, "connector_id": 1}}
OFFLINE = {"name": "OCPPCommCtrlr"}


def _data(component: dict[str, Any], variable: str, kind: str, value: float, severity: int = 5) -> Any:
    return {
        "value": value,
        "type": kind,
        "severity": severity,
        "component": component,
        "variable": {"name": variable},
    }


async def _set(csms: TestCsms, *items: Any) -> list[dict[str, Any]]:
    response = await csms.call(call.SetVariableMonitoring(set_monitoring_data=list(items)))
    return list(response.set_monitoring_result)


async def _set_offline_threshold(csms: TestCsms, value: str) -> None:
    item = {"component": OFFLINE, "variable": {"name": "OfflineThreshold"}, "attribute_value": value}
    response = await csms.call(call.SetVariables(set_variable_data=[item]))
    assert response.set_variable_result[0]["attribute_status"] == "Accepted"


def _event(payload: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = payload["eventData"][0]
    return data


def _custom(monitor_id: int) -> Any:
    return lambda p: _event(p).get("variableMonitoringId") == monitor_id


def test_set_variable_monitoring_results() -> None:
    """N04: Accepted with an id, Duplicate (N04.FR.10), Rejected values, unknown component / variable,
    UnsupportedMonitorType; N05 level bounds."""

    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            evse = {"name": "EVSE", "evse": {"id": 1}}
            results = await _set(
                csms,
                _data(evse, "AvailabilityState", "Delta", 1),
                _data(evse, "AvailabilityState", "Delta", 1),
                _data(evse, "AvailabilityState", "Delta", -1, severity=4),
                _data({"name": "NoSuchCtrlr"}, "Enabled", "Delta", 1),
                _data(evse, "NoSuchVariable", "Delta", 1),
                _data(evse, "Power", "UpperThreshold", 10_000_000),
                _data(evse, "AvailabilityState", "UpperThreshold", 1),
            )
            statuses = [r["status"] for r in results]
            assert statuses == [
                "Accepted",
                "Duplicate",
                "Rejected",
                "UnknownComponent",
                "UnknownVariable",
                "Rejected",
                "UnsupportedMonitorType",
            ], results
            assert isinstance(results[0]["id"], int) and "id" not in results[2]
            assert results[2]["status_info"]["reason_code"] == "ValuePositiveOnly"
            assert results[5]["status_info"]["reason_code"] == "ValueOutOfRange"
            too_high = await csms.call(call.SetMonitoringLevel(severity=10))
            too_low = await csms.call(call.SetMonitoringLevel(severity=-1))
            assert (too_high.status, too_low.status) == ("Rejected", "Rejected")

    asyncio.run(main())


def test_events_report_clear_and_base() -> None:
    """N07 / N08 events (delta on a connector's state, threshold crossed and cleared, periodic), the level
    suppressing a less severe monitor, N02 report, N06 clear, N03 base FactoryDefault."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            delta, upper, periodic = await _set(
                csms,
                _data(CONNECTOR, "AvailabilityState", "Delta", 0, severity=5),
                _data(OFFLINE, "OfflineThreshold", "UpperThreshold", 100, severity=2),
                _data(OFFLINE, "OfflineThreshold", "Periodic", 30, severity=2),
            )
            ids = [delta["id"], upper["id"], periodic["id"]]

            await station.control.aperform("plug_in", {"evse_id": 1, "connector_id": 1})
            got = _event(await csms.expect("NotifyEvent", where=_custom(ids[0])))
            assert (got["trigger"], got["actualValue"], got["eventNotificationType"]) == (
                "Delta",
                "Occupied",
                "CustomMonitor",
            )

            await _set_offline_threshold(csms, "200")
            crossed = _event(await csms.expect("NotifyEvent", where=_custom(ids[1])))
            assert (crossed["trigger"], crossed["actualValue"], crossed.get("cleared")) == (
                "Alerting",
                "200",
                None,
            )
            await _set_offline_threshold(csms, "60")
            back = _event(await csms.expect("NotifyEvent", where=_custom(ids[1])))
            assert back.get("cleared") is True

            await station.control.aperform("advance_clock", {"seconds": 30})
            tick = _event(await csms.expect("NotifyEvent", where=_custom(ids[2])))
            assert (tick["trigger"], tick["actualValue"]) == ("Periodic", "60")

            assert (await csms.call(call.SetMonitoringLevel(severity=3))).status == "Accepted"
            await station.control.aperform("unplug", {"evse_id": 1, "connector_id": 1})
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Available")
            await _set_offline_threshold(csms, "300")  # the severity 2 monitor still reports
            await csms.expect("NotifyEvent", where=_custom(ids[1]))
            # Events go out in order: the unplug's would have come before this one. Severity 5 > level 3.
            deltas = [c for c in csms.calls if c.action == "NotifyEvent" and _custom(ids[0])(c.payload)]
            assert len(deltas) == 1, deltas
            await _set_offline_threshold(csms, "60")

            report = await csms.call(call.GetMonitoringReport(request_id=7))
            assert report.status == "Accepted"
            parts = await csms.expect("NotifyMonitoringReport")
            reported = sorted(m["id"] for e in parts["monitor"] for m in e["variableMonitoring"])
            assert (parts["requestId"], reported, parts["tbc"]) == (7, sorted(ids), False)
            only = call.GetMonitoringReport(request_id=8, monitoring_criteria=["ThresholdMonitoring"])
            assert (await csms.call(only)).status == "Accepted"
            threshold_part = await csms.expect("NotifyMonitoringReport", where=lambda p: p["requestId"] == 8)
            assert [m["id"] for e in threshold_part["monitor"] for m in e["variableMonitoring"]] == [ids[1]]

            cleared = await csms.call(call.ClearVariableMonitoring(id=[ids[0], 999]))
            assert [r["status"] for r in cleared.clear_monitoring_result] == ["Accepted", "NotFound"]
            assert (
                await csms.call(call.SetMonitoringBase(monitoring_base="FactoryDefault"))
            ).status == "Accepted"
            empty = await csms.call(call.GetMonitoringReport(request_id=9))
            assert empty.status == "EmptyResultSet"

    asyncio.run(main())

"""GetVariables / SetVariables statuses (B05, B06) and reports (B07, B08)."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.v201 import call

from tests.reference.station.csms import TestCsms, running


def _item(component: str, variable: str, **extra: Any) -> dict[str, Any]:
    return {"component": {"name": component}, "variable": {"name": variable}} | extra


async def _get(csms: TestCsms, *items: dict[str, Any]) -> list[dict[str, Any]]:
    result = await csms.call(call.GetVariables(get_variable_data=list(items)))
    return list(result.get_variable_result)


async def _set(csms: TestCsms, *items: dict[str, Any]) -> list[str]:
    result = await csms.call(call.SetVariables(set_variable_data=list(items)))
    return [r["attribute_status"] for r in result.set_variable_result]


def test_get_variables_statuses() -> None:
    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            results = await _get(
                csms,
                _item("OCPPCommCtrlr", "HeartbeatInterval"),
                _item("NoSuchCtrlr", "Enabled"),
                _item("AuthCtrlr", "NoSuchVariable"),
                _item("AuthCtrlr", "Enabled", attribute_type="Target"),
                _item("SecurityCtrlr", "BasicAuthPassword"),
                {
                    "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                    "variable": {"name": "ConnectorType"},
                },
            )
            statuses = [r["attribute_status"] for r in results]
            assert statuses == [
                "Accepted",
                "UnknownComponent",
                "UnknownVariable",
                "NotSupportedAttributeType",
                "Rejected",
                "Accepted",
            ]
            assert results[0]["attribute_value"] == "1"  # the interval from the BootNotificationResponse
            assert "attribute_value" not in results[4]  # WriteOnly: never reveal a password
            assert results[5]["attribute_value"] == "cType2"

    asyncio.run(main())


def test_set_variables_statuses_and_effect() -> None:
    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            statuses = await _set(
                csms,
                _item("OCPPCommCtrlr", "OfflineThreshold", attribute_value="120"),
                _item("ChargingStation", "Model", attribute_value="X"),
                _item("OCPPCommCtrlr", "OfflineThreshold", attribute_value="abc"),
                _item("TxCtrlr", "TxStartPoint", attribute_value="EVConnected,NotAPoint"),
                _item("NoSuchCtrlr", "Enabled", attribute_value="true"),
                _item("AuthCtrlr", "NoSuchVariable", attribute_value="true"),
                _item("OCPPCommCtrlr", "NetworkConfigurationPriority", attribute_value="1"),
            )
            assert statuses == [
                "Accepted",
                "Rejected",
                "Rejected",
                "Rejected",
                "UnknownComponent",
                "UnknownVariable",
                "RebootRequired",
            ]
            after = await _get(
                csms, _item("OCPPCommCtrlr", "OfflineThreshold"), _item("ChargingStation", "Model")
            )
            assert [r["attribute_value"] for r in after] == ["120", "ReferenceStation"]

    asyncio.run(main())


def test_full_inventory_is_chunked_notify_report() -> None:
    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            result = await csms.call(call.GetBaseReport(request_id=7, report_base="FullInventory"))
            assert result.status == "Accepted"
            reports = []
            while True:
                report = await csms.expect("NotifyReport")
                reports.append(report)
                if not report["tbc"]:
                    break
            assert len(reports) > 2  # ItemsPerMessage[GetReport] is 20
            assert [r["seqNo"] for r in reports] == list(range(len(reports)))
            assert {r["requestId"] for r in reports} == {7}
            names = {
                (d["component"]["name"], d["variable"]["name"]) for r in reports for d in r["reportData"]
            }
            assert ("OCPPCommCtrlr", "HeartbeatInterval") in names
            assert ("Connector", "AvailabilityState") in names
            password = next(
                d for r in reports for d in r["reportData"] if d["variable"]["name"] == "BasicAuthPassword"
            )
            assert "value" not in password["variableAttribute"][0]

    asyncio.run(main())


def test_get_report_with_criteria_and_empty_result() -> None:
    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            result = await csms.call(
                call.GetReport(
                    request_id=3,
                    component_variable=[
                        {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStopPoint"}}
                    ],
                )
            )
            assert result.status == "Accepted"
            report = await csms.expect("NotifyReport")
            assert report["tbc"] is False and report["requestId"] == 3
            assert [d["variable"]["name"] for d in report["reportData"]] == ["TxStopPoint"]
            empty = await csms.call(
                call.GetReport(request_id=4, component_variable=[{"component": {"name": "NoSuchCtrlr"}}])
            )
            assert empty.status == "EmptyResultSet"
            enabled = await csms.call(call.GetReport(request_id=5, component_criteria=["Enabled"]))
            assert enabled.status == "Accepted"
            report = await csms.expect("NotifyReport", where=lambda p: p["requestId"] == 5)
            assert all(d["component"]["name"].endswith("Ctrlr") for d in report["reportData"])

    asyncio.run(main())

"""Boot (TC_B_01_CS .. TC_B_03_CS, TC_B_30_CS) and the Reusable State Booted."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.v201 import call

from conformance.reference.station import EvseConfig, StationConfig
from tests.reference.station.csms import CsmsBehaviour, running, wait_state

TWO_EVSES = StationConfig(evses=[EvseConfig(["cType2", "cCCS2"]), EvseConfig(["cType2"])])


def test_boot_accepted_reports_every_connector_then_security_event() -> None:
    async def main() -> None:
        async with running(TWO_EVSES) as (csms, _station):
            boot = await csms.expect("BootNotification")
            assert boot["reason"] == "PowerUp"
            assert boot["chargingStation"] == {
                "model": "ReferenceStation",
                "vendorName": "ocpp-conformance",
                "serialNumber": "REF-0001",
                "firmwareVersion": "0.1.0",
            }
            await csms.booted()
            seen = set()
            for _ in range(3):
                status = await csms.expect("StatusNotification")
                assert status["connectorStatus"] == "Available"
                seen.add((status["evseId"], status["connectorId"]))
                event = (await csms.expect("NotifyEvent"))["eventData"][0]
                assert (event["trigger"], event["actualValue"]) == ("Delta", "Available")
                assert event["component"]["name"] == "Connector"
                assert event["variable"]["name"] == "AvailabilityState"
            assert seen == {(1, 1), (1, 2), (2, 1)}
            actions = csms.actions()
            assert actions[0] == "BootNotification"
            assert actions[-1] == "SecurityEventNotification"
            assert csms.calls[-1].payload["type"] == "StartupOfTheDevice"

    asyncio.run(main())


def test_heartbeat_follows_interval_via_advance_clock() -> None:
    async def main() -> None:
        behaviour = CsmsBehaviour(boot_interval=300)
        async with running(behaviour=behaviour) as (csms, station):
            await csms.booted()
            assert "Heartbeat" not in csms.actions()
            await station.control.aperform("advance_clock", {"seconds": 300})
            await csms.expect("Heartbeat")
            state = await station.control.aperform("get_state")
            assert state["device_model"]["OCPPCommCtrlr/HeartbeatInterval"] == "300"

    asyncio.run(main())


def _assert_only_boots_until_accepted(actions: list[str], boots: int) -> None:
    first_other = next(i for i, a in enumerate(actions) if a != "BootNotification")
    assert actions[:first_other] == ["BootNotification"] * boots, actions


def test_boot_pending_answers_getvariables_and_sends_nothing_else() -> None:
    async def main() -> None:
        behaviour = CsmsBehaviour(boot_statuses=["Pending", "Pending", "Accepted"], boot_interval=30)
        async with running(behaviour=behaviour) as (csms, station):
            await csms.expect("BootNotification")
            # B02: the CSMS may configure the station while Pending.
            result = await csms.call(
                call.GetVariables(
                    get_variable_data=[
                        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
                    ]
                )
            )
            assert result.get_variable_result[0]["attribute_status"] == "Accepted"
            for boots in (1, 2):

                def pending(state: dict[str, Any], n: int = boots) -> bool:
                    return bool(state["boot_status"] == "Pending" and state["boot_count"] == n)

                await wait_state(station, pending)
                await station.control.aperform("advance_clock", {"seconds": 30})
                await csms.expect("BootNotification")
            await csms.booted()
            _assert_only_boots_until_accepted(csms.actions(), 3)

    asyncio.run(main())


def test_boot_rejected_refuses_requests_with_security_error_then_retries() -> None:
    async def main() -> None:
        behaviour = CsmsBehaviour(boot_statuses=["Rejected", "Accepted"], boot_interval=30)
        async with running(behaviour=behaviour) as (csms, station):
            await csms.expect("BootNotification")
            await wait_state(station, lambda s: s["boot_status"] == "Rejected")
            await csms.send_raw('[2,"r1","GetLocalListVersion",{}]')
            assert (await csms.response_to("r1"))[2] == "SecurityError"
            await station.control.aperform("advance_clock", {"seconds": 30})
            await csms.booted()
            _assert_only_boots_until_accepted(csms.actions(), 2)

    asyncio.run(main())

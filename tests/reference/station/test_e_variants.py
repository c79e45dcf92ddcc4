"""Station variants behind vendor switches (reference/station), over real sockets: a station without the
TxStartPoint EnergyTransfer (NOT C-09.5) and an EV not ready at plug-in (E03, TC_E_38_CS); a fixed cable
(HFS-2): an EV-side disconnect frees the connector and EVConnectionTimeOut deauthorizes (E10, TC_E_27_CS)."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.v201 import call

from conformance.reference.station import StationConfig
from tests.reference.station.csms import TestCsms, running
from tests.reference.station.test_transactions import TOKEN, expect_tx


async def _set_start_point(csms: TestCsms, value: str) -> str:
    response = await csms.call(
        call.SetVariables(
            set_variable_data=[
                {
                    "attribute_value": value,
                    "component": {"name": "TxCtrlr"},
                    "variable": {"name": "TxStartPoint"},
                }
            ]
        )
    )
    return str(response.set_variable_result[0]["attribute_status"])


def test_no_energy_transfer_start_point_switch_and_an_ev_not_ready() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"ReferenceStation/NoEnergyTransferStartPoint": "true"})
        async with running(config) as (csms, station):
            await csms.booted()
            assert await _set_start_point(csms, "EnergyTransfer") == "Rejected"
            assert await _set_start_point(csms, "PowerPathClosed") == "Accepted"
            # E03: authorized, the EV set not ready before it is connected: SuspendedEV once plugged in
            control = station.control
            assert (await control.aperform("present_id_token", {"id_token": TOKEN}))["result"] == "authorized"
            await csms.expect("Authorize")
            await control.aperform("ev_suspend", {"evse_id": 1})
            await control.aperform("plug_in", {"evse_id": 1})
            started = await expect_tx(csms, "Started", "CablePluggedIn")
            assert started["transactionInfo"]["chargingState"] == "EVConnected"
            suspended = await expect_tx(csms, "Updated", "ChargingStateChanged")
            assert suspended["transactionInfo"]["chargingState"] == "SuspendedEV"

    asyncio.run(main())


def test_energy_transfer_start_point_by_default() -> None:
    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            assert await _set_start_point(csms, "EnergyTransfer") == "Accepted"

    asyncio.run(main())


async def _ended_after_barrier(csms: TestCsms) -> list[dict[str, Any]]:
    """The Ended TransactionEvents, once everything the station queued has reached the CSMS (its outbox
    keeps order: a TriggerMessage Heartbeat comes after them)."""
    assert (await csms.call(call.TriggerMessage(requested_message="Heartbeat"))).status == "Accepted"
    await csms.expect("Heartbeat")
    return [
        c.payload for c in csms.calls if c.action == "TransactionEvent" and c.payload["eventType"] == "Ended"
    ]


def _fixed_cable(stop_point: str = "Authorized") -> StationConfig:
    return StationConfig(
        device_model={
            "ReferenceStation/FixedCable": "true",
            "TxCtrlr/TxStopPoint": stop_point,
            "TxCtrlr/StopTxOnEVSideDisconnect": "false",
            "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false",
            "TxCtrlr/EVConnectionTimeOut": "5",
        }
    )


async def _charging_then_ev_side_disconnect(csms: TestCsms, control: Any) -> str:
    """Authorized first (E03's timer runs), then plugged in, charging; then the EV-side disconnect: the
    transaction is suspended and the fixed cable's connector reported Available."""
    perform = control.aperform
    assert (await perform("present_id_token", {"id_token": TOKEN}))["result"] == "authorized"
    await csms.expect("Authorize")
    await perform("plug_in", {"evse_id": 1})
    await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Occupied")
    started = await expect_tx(csms, "Started", "CablePluggedIn")
    await expect_tx(csms, "Updated", "ChargingStateChanged")
    assert (await perform("ev_side_disconnect", {"evse_id": 1}))["locked"] is False
    lost = await expect_tx(csms, "Updated", "EVCommunicationLost")
    assert lost["transactionInfo"]["chargingState"] == "Idle"
    await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Available")
    return str(started["transactionInfo"]["transactionId"])


def test_fixed_cable_ev_connection_timeout_ends_the_transaction() -> None:
    async def main() -> None:
        async with running(_fixed_cable()) as (csms, station):
            await csms.booted()
            tx_id = await _charging_then_ev_side_disconnect(csms, station.control)
            await station.control.aperform("advance_clock", {"seconds": 6})
            ended = await expect_tx(csms, "Ended", "EVConnectTimeout")
            assert ended["transactionInfo"]["transactionId"] == tx_id
            assert ended["transactionInfo"]["stoppedReason"] == "Timeout"

    asyncio.run(main())


def test_fixed_cable_parking_bay_stop_point_only_deauthorizes() -> None:
    async def main() -> None:
        async with running(_fixed_cable("ParkingBayOccupancy")) as (csms, station):
            await csms.booted()
            await _charging_then_ev_side_disconnect(csms, station.control)
            await station.control.aperform("advance_clock", {"seconds": 6})
            await expect_tx(csms, "Updated", "EVConnectTimeout")

    asyncio.run(main())


def test_fixed_cable_reconnected_in_time_resumes() -> None:
    async def main() -> None:
        async with running(_fixed_cable()) as (csms, station):
            await csms.booted()
            await _charging_then_ev_side_disconnect(csms, station.control)
            assert (await station.control.aperform("ev_side_connect", {"evse_id": 1}))["changed"] is True
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Occupied")
            await expect_tx(csms, "Updated", "CablePluggedIn")
            await expect_tx(csms, "Updated", "ChargingStateChanged")
            await station.control.aperform("advance_clock", {"seconds": 6})
            assert await _ended_after_barrier(csms) == []

    asyncio.run(main())


def test_fixed_cable_mutant_ignores_the_timeout() -> None:
    async def main() -> None:
        async with running(_fixed_cable(), mutant="ev-side-timeout-ignored") as (csms, station):
            await csms.booted()
            await _charging_then_ev_side_disconnect(csms, station.control)
            await station.control.aperform("advance_clock", {"seconds": 6})
            assert await _ended_after_barrier(csms) == []

    asyncio.run(main())

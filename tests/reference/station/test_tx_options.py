"""Block E options of the reference station: TxStartPoint EnergyTransfer / DataSigned, the EV-side disconnect
(E09 / E10: StopTxOnEVSideDisconnect, UnlockOnEVSideDisconnect) and AuthCtrlr.DisableRemoteAuthorization."""

from __future__ import annotations

import asyncio

from conformance.reference.station import StationConfig
from tests.reference.station.csms import running
from tests.reference.station.test_transactions import TOKEN, expect_tx, start_local_transaction


def _config(**device_model: str) -> StationConfig:
    return StationConfig(device_model=dict(device_model))


def test_energy_transfer_start_point_starts_with_charging_state_changed() -> None:
    async def main() -> None:
        async with running(_config(**{"TxCtrlr/TxStartPoint": "EnergyTransfer"})) as (csms, station):
            await csms.booted()
            assert (await station.control.aperform("present_id_token", {"id_token": TOKEN}))["result"] == (
                "authorized"
            )
            await station.control.aperform("plug_in", {"evse_id": 1})
            started = await expect_tx(csms, "Started", "ChargingStateChanged")  # E01.FR.06
            assert started["transactionInfo"]["chargingState"] == "Charging"
            assert started["idToken"]["idToken"] == TOKEN

    asyncio.run(main())


def test_data_signed_start_point_starts_with_signed_data_received() -> None:
    config = _config(**{"TxCtrlr/TxStartPoint": "DataSigned", "SampledDataCtrlr/SignReadings": "true"})

    async def main() -> None:
        async with running(config) as (csms, station):
            await csms.booted()
            await station.control.aperform("present_id_token", {"id_token": TOKEN})
            await station.control.aperform("plug_in", {"evse_id": 1})
            started = await expect_tx(csms, "Started", "SignedDataReceived")  # E01.FR.04
            begin = started["meterValue"][0]["sampledValue"][0]
            assert begin["context"] == "Transaction.Begin" and "signedMeterValue" in begin
            await expect_tx(csms, "Updated", "ChargingStateChanged")

    asyncio.run(main())


def test_ev_side_disconnect_suspends_then_resumes() -> None:
    config = _config(**{"TxCtrlr/TxStopPoint": "Authorized", "TxCtrlr/StopTxOnEVSideDisconnect": "false"})

    async def main() -> None:
        async with running(config) as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            await station.control.aperform("ev_side_disconnect", {"evse_id": 1})
            lost = await expect_tx(csms, "Updated", "EVCommunicationLost")  # E10: suspended
            assert lost["transactionInfo"]["chargingState"] == "Idle"
            await station.control.aperform("ev_side_connect", {"evse_id": 1})
            back = await expect_tx(csms, "Updated", "CablePluggedIn")
            assert back["transactionInfo"]["chargingState"] == "EVConnected"
            charging = await expect_tx(csms, "Updated", "ChargingStateChanged")
            assert charging["transactionInfo"]["chargingState"] == "Charging"
            state = await station.control.aperform("get_state", {})
            assert state["evses"][0]["connectors"][0]["status"] == "Occupied"  # the cable never left

    asyncio.run(main())


def test_ev_side_disconnect_stops_and_keeps_the_cable_locked_until_the_token() -> None:
    config = _config(
        **{
            "TxCtrlr/TxStopPoint": "Authorized",
            "TxCtrlr/StopTxOnEVSideDisconnect": "true",
            "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false",
        }
    )

    async def main() -> None:
        async with running(config) as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            result = await station.control.aperform("ev_side_disconnect", {"evse_id": 1})
            assert result["locked"] is True
            ended = await expect_tx(csms, "Ended", "EVCommunicationLost")  # E09: deauthorized
            assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
            unlock = await station.control.aperform("present_id_token", {"id_token": TOKEN})
            assert unlock["result"] == "unlocked"
            await station.control.aperform("unplug", {"evse_id": 1})
            status = await csms.expect(
                "StatusNotification", where=lambda p: p["connectorStatus"] == "Available"
            )
            assert (status["evseId"], status["connectorId"]) == (1, 1)

    asyncio.run(main())


def test_disable_remote_authorization_refuses_unknown_tokens_without_authorize() -> None:
    config = _config(**{"AuthCtrlr/DisableRemoteAuthorization": "true"})

    async def main() -> None:
        async with running(config) as (csms, station):
            await csms.booted()
            result = await station.control.aperform("present_id_token", {"id_token": TOKEN})
            assert result["result"] == "rejected"
            assert "Authorize" not in csms.actions()

    asyncio.run(main())

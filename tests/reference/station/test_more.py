"""Availability scheduling, clock-aligned meter values, TriggerMessage while Pending, local list and cache."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ocpp.v201 import call

from conformance.drivers.builtin import BuiltinDriver
from conformance.reference.station import StationConfig
from conformance.reference.station.sim import config_from_toml
from tests.reference.station.csms import CsmsBehaviour, running, wait_state
from tests.reference.station.test_transactions import TOKEN, expect_tx, start_local_transaction


def test_change_availability_is_scheduled_during_a_transaction() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            result = await csms.call(
                call.ChangeAvailability(operational_status="Inoperative", evse={"id": 1})
            )
            assert result.status == "Scheduled"
            await station.control.aperform("present_id_token", {"id_token": TOKEN})
            await expect_tx(csms, "Updated", "StopAuthorized")
            await expect_tx(csms, "Ended", "ChargingStateChanged")
            status = await csms.expect(
                "StatusNotification", where=lambda p: p["connectorStatus"] == "Unavailable"
            )
            assert (status["evseId"], status["connectorId"]) == (1, 1)
            back = await csms.call(call.ChangeAvailability(operational_status="Operative", evse={"id": 1}))
            assert back.status == "Accepted"
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Occupied")

    asyncio.run(main())


def test_clock_aligned_meter_values_with_and_without_transaction() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"AlignedDataCtrlr/Interval": "900"})
        async with running(config) as (csms, station):
            await csms.booted()
            await station.control.aperform("advance_clock", {"seconds": 900})
            idle = await csms.expect("MeterValues")
            assert idle["evseId"] == 1
            assert idle["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Clock"
            await start_local_transaction(csms, station.control)
            await station.control.aperform("advance_clock", {"seconds": 900})
            event = await expect_tx(csms, "Updated", "MeterValueClock")
            assert event["meterValue"][0]["sampledValue"][0]["measurand"] == "Energy.Active.Import.Register"

    asyncio.run(main())


def test_trigger_boot_notification_while_pending() -> None:
    async def main() -> None:
        behaviour = CsmsBehaviour(boot_statuses=["Pending", "Accepted"], boot_interval=3600)
        async with running(behaviour=behaviour) as (csms, station):
            await csms.expect("BootNotification")
            await wait_state(station, lambda s: s["boot_status"] == "Pending")
            result = await csms.call(call.TriggerMessage(requested_message="BootNotification"))
            assert result.status == "Accepted"
            await csms.expect("BootNotification")
            await csms.booted()

    asyncio.run(main())


def test_local_list_cache_and_local_pre_authorize() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"AuthCtrlr/LocalPreAuthorize": "true"})
        async with running(config) as (csms, station):
            await csms.booted()
            assert (await csms.call(call.GetLocalListVersion())).version_number == 0
            entry = {"idToken": {"idToken": "L1", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}}
            full = await csms.call(
                call.SendLocalList(version_number=3, update_type="Full", local_authorization_list=[entry])
            )
            assert full.status == "Accepted"
            stale = await csms.call(call.SendLocalList(version_number=2, update_type="Differential"))
            assert stale.status == "VersionMismatch"
            assert (await csms.call(call.GetLocalListVersion())).version_number == 3
            # L1 is on the local list: accepted without an AuthorizeRequest (LocalPreAuthorize)
            await station.control.aperform("plug_in", {"evse_id": 1})
            result = await station.control.aperform("present_id_token", {"id_token": "L1"})
            assert result["result"] == "authorized" and result["idTokenInfo"]["source"] == "local"
            await expect_tx(csms, "Started", "Authorized")
            assert "Authorize" not in csms.actions()
            assert (await csms.call(call.ClearCache())).status == "Accepted"

    asyncio.run(main())


def test_builtin_driver_accepts_the_control_and_unknown_dm_keys_are_added(tmp_path: Path) -> None:
    toml = tmp_path / "station.toml"
    toml.write_text(
        'station_id = "CP009"\nsecurity_profile = 0\n[device_model]\n"VendorCtrlr/Colour" = "blue"\n'
        '[[evses]]\nconnectors = ["cType2", "cCCS2"]\n'
    )
    config = config_from_toml(str(toml), None)
    assert config.station_id == "CP009" and config.evses[0].connectors == ["cType2", "cCCS2"]

    async def main() -> None:
        async with running(config) as (csms, station):
            driver = BuiltinDriver(station.control)
            assert driver.side == "charging-station" and driver.supports("plug_in")
            await csms.booted()
            result = await csms.call(
                call.GetVariables(
                    get_variable_data=[{"component": {"name": "VendorCtrlr"}, "variable": {"name": "Colour"}}]
                )
            )
            assert result.get_variable_result[0]["attribute_value"] == "blue"

    asyncio.run(main())


def test_reservation_reserve_use_cancel_and_expire() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            expiry = datetime.now(UTC) + timedelta(seconds=600)
            stamp = expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            token = {"idToken": "RES1", "type": "ISO14443"}
            result = await csms.call(
                call.ReserveNow(id=11, expiry_date_time=stamp, id_token=token, evse_id=1)
            )
            assert result.status == "Accepted"
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Reserved")
            other = await station.control.aperform("present_id_token", {"id_token": "OTHER", "evse_id": 1})
            assert other["result"] == "reserved"
            assert (await csms.call(call.CancelReservation(reservation_id=99))).status == "Rejected"
            assert (await csms.call(call.CancelReservation(reservation_id=11))).status == "Accepted"
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Available")
            # a second reservation expires when the station clock passes expiryDateTime
            again = await csms.call(call.ReserveNow(id=12, expiry_date_time=stamp, id_token=token, evse_id=1))
            assert again.status == "Accepted"
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Reserved")
            await station.control.aperform("advance_clock", {"seconds": 601})
            update = await csms.expect("ReservationStatusUpdate")
            assert update == {"reservationId": 12, "reservationUpdateStatus": "Expired"}
            # a third one is used by its own token: TransactionEvent Started carries the reservationId
            stamp = (expiry + timedelta(seconds=1200)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            await csms.call(call.ReserveNow(id=13, expiry_date_time=stamp, id_token=token, evse_id=1))
            await station.control.aperform("plug_in", {"evse_id": 1})
            used = await station.control.aperform("present_id_token", {"id_token": "RES1", "evse_id": 1})
            assert used["result"] == "authorized"
            started = await csms.expect("TransactionEvent", where=lambda p: p["eventType"] == "Started")
            assert started["reservationId"] == 13

    asyncio.run(main())

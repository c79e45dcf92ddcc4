"""Authorization and transactions (C01, E01-E07, F01-F03, J02), offline queueing (E04), reset (B11/B12)."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.v201 import call

from conformance.reference.station import StationConfig
from tests.reference.station.csms import CsmsBehaviour, TestCsms, running, wait_state

TOKEN = "TOKEN-1"


def fast_sampling(**extra: str) -> StationConfig:
    return StationConfig(device_model={"SampledDataCtrlr/TxUpdatedInterval": "10", **extra})


async def expect_tx(csms: TestCsms, event_type: str, trigger: str, timeout: float = 5.0) -> dict[str, Any]:
    event = await csms.expect("TransactionEvent", timeout=timeout)
    assert (event["eventType"], event["triggerReason"]) == (event_type, trigger), event
    return event


async def start_local_transaction(csms: TestCsms, control: Any) -> tuple[str, list[dict[str, Any]]]:
    """plug_in + present_id_token with TxStartPoint PowerPathClosed: EnergyTransferStarted."""
    await control.aperform("plug_in", {"evse_id": 1})
    status = await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Occupied")
    assert (status["evseId"], status["connectorId"]) == (1, 1)
    result = await control.aperform("present_id_token", {"id_token": TOKEN})
    assert result["result"] == "authorized"
    assert (await csms.expect("Authorize"))["idToken"] == {"idToken": TOKEN, "type": "ISO14443"}
    started = await expect_tx(csms, "Started", "Authorized")
    assert started["transactionInfo"]["chargingState"] == "EVConnected"
    assert started["idToken"]["idToken"] == TOKEN and started["evse"] == {"id": 1, "connectorId": 1}
    charging = await expect_tx(csms, "Updated", "ChargingStateChanged")
    assert charging["transactionInfo"]["chargingState"] == "Charging"
    return started["transactionInfo"]["transactionId"], [started, charging]


def test_full_local_transaction_with_sampled_meter_values() -> None:
    async def main() -> None:
        async with running(fast_sampling()) as (csms, station):
            await csms.booted()
            tx_id, events = await start_local_transaction(csms, station.control)
            assert events[0]["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.Begin"
            await station.control.aperform("advance_clock", {"seconds": 10})
            periodic = await expect_tx(csms, "Updated", "MeterValuePeriodic")
            sampled = periodic["meterValue"][0]["sampledValue"]
            assert [s["measurand"] for s in sampled] == [
                "Energy.Active.Import.Register",
                "Power.Active.Import",
            ]
            assert {s["context"] for s in sampled} == {"Sample.Periodic"}
            assert sampled[0]["value"] >= 11000 * 10 / 3600 - 0.1  # at least 10 s at 11 kW
            await station.control.aperform("present_id_token", {"id_token": TOKEN})  # same token: stop
            await expect_tx(csms, "Updated", "StopAuthorized")
            ended = await expect_tx(csms, "Ended", "ChargingStateChanged")
            assert ended["transactionInfo"]["stoppedReason"] == "Local"
            assert ended["transactionInfo"]["chargingState"] == "EVConnected"
            assert ended["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.End"
            await station.control.aperform("unplug", {"evse_id": 1})
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Available")
            txs = [c.payload for c in csms.calls if c.action == "TransactionEvent"]
            assert [t["seqNo"] for t in txs] == list(range(len(txs)))
            assert {t["transactionInfo"]["transactionId"] for t in txs} == {tx_id}
            state = await station.control.aperform("get_state")
            assert state["evses"][0]["transaction"] is None and state["evses"][0]["ended_transactions"] == [
                tx_id
            ]

    asyncio.run(main())


def test_authorize_rejected_token_starts_nothing() -> None:
    async def main() -> None:
        behaviour = CsmsBehaviour(token_status={"BAD": "Invalid"})
        async with running(behaviour=behaviour) as (csms, station):
            await csms.booted()
            await station.control.aperform("plug_in", {"evse_id": 1})
            result = await station.control.aperform("present_id_token", {"id_token": "BAD"})
            assert result["result"] == "rejected" and result["idTokenInfo"]["status"] == "Invalid"
            await csms.expect("Authorize")
            state = await station.control.aperform("get_state")
            assert state["evses"][0]["transaction"] is None
            assert state["auth_cache"] == {"ISO14443:BAD": "Invalid"}
            assert "TransactionEvent" not in csms.actions()

    asyncio.run(main())


def test_ev_connected_start_point_and_ev_disconnect() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"TxCtrlr/TxStartPoint": "EVConnected"})
        async with running(config) as (csms, station):
            await csms.booted()
            await station.control.aperform("plug_in", {"evse_id": 1})
            started = await expect_tx(csms, "Started", "CablePluggedIn")
            assert started["transactionInfo"]["chargingState"] == "EVConnected"
            await station.control.aperform("unplug", {"evse_id": 1})
            ended = await expect_tx(csms, "Ended", "EVCommunicationLost")
            assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
            assert ended["transactionInfo"]["chargingState"] == "Idle"

    asyncio.run(main())


def test_remote_start_and_stop() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            await station.control.aperform("plug_in", {"evse_id": 1})
            result = await csms.call(
                call.RequestStartTransaction(
                    id_token={"idToken": "R1", "type": "Central"}, remote_start_id=5, evse_id=1
                )
            )
            assert result.status == "Accepted"
            started = await expect_tx(csms, "Started", "RemoteStart")
            assert started["transactionInfo"]["remoteStartId"] == 5
            await expect_tx(csms, "Updated", "ChargingStateChanged")
            tx_id = started["transactionInfo"]["transactionId"]
            # E14: a TransactionEvent not yet answered is still queued; wait until the station has all answers
            await wait_state(station, lambda s: s["queued_messages"] == 0)
            status = await csms.call(call.GetTransactionStatus(transaction_id=tx_id))
            assert status.ongoing_indicator is True and status.messages_in_queue is False
            assert (await csms.call(call.RequestStopTransaction(transaction_id="nope"))).status == "Rejected"
            assert (await csms.call(call.RequestStopTransaction(transaction_id=tx_id))).status == "Accepted"
            ended = await expect_tx(csms, "Ended", "RemoteStop")
            assert ended["transactionInfo"]["stoppedReason"] == "Remote"

    asyncio.run(main())


def test_invalid_id_in_transaction_event_response_stops_the_transaction() -> None:
    async def main() -> None:
        behaviour = CsmsBehaviour(tx_token_status={TOKEN: "Invalid"})
        async with running(behaviour=behaviour) as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            ended = await expect_tx(csms, "Ended", "Deauthorized")
            assert ended["transactionInfo"]["stoppedReason"] == "DeAuthorized"

    asyncio.run(main())


def test_offline_transaction_events_are_queued_and_resent_in_order() -> None:
    async def main() -> None:
        async with running(fast_sampling()) as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            await wait_state(station, lambda s: s["queued_messages"] == 0)  # all answered
            await station.control.aperform("go_offline", {"seconds": 30})
            await wait_state(station, lambda s: not s["connected"])
            await station.control.aperform("ev_suspend", {"evse_id": 1})
            await station.control.aperform("advance_clock", {"seconds": 10})
            state = await wait_state(station, lambda s: s["queued_messages"] >= 2)
            assert state["boot_status"] == "Accepted"
            await station.control.aperform("go_online")
            suspended = await expect_tx(csms, "Updated", "ChargingStateChanged")
            assert (
                suspended["offline"] is True
                and suspended["transactionInfo"]["chargingState"] == "SuspendedEV"
            )
            await expect_tx(csms, "Updated", "MeterValuePeriodic")
            assert csms.connections == 2 and csms.boots == 1  # a reconnect, not a reboot
            txs = [c.payload for c in csms.calls if c.action == "TransactionEvent"]
            assert [t["seqNo"] for t in txs] == list(range(len(txs)))

    asyncio.run(main())


def test_reset_immediate_ends_transaction_then_reboots() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            assert (await csms.call(call.Reset(type="OnIdle"))).status == "Scheduled"
            assert (await csms.call(call.Reset(type="Immediate", evse_id=9))).status == "Rejected"
            assert (await csms.call(call.Reset(type="Immediate"))).status == "Accepted"
            ended = await expect_tx(csms, "Ended", "ResetCommand")
            assert ended["transactionInfo"]["stoppedReason"] == "ImmediateReset"
            boot = await csms.expect("BootNotification", where=lambda p: p["reason"] == "RemoteReset")
            assert boot["chargingStation"]["model"] == "ReferenceStation"
            security = await csms.expect("SecurityEventNotification")
            assert security["type"] == "ResetOrReboot"

    asyncio.run(main())


def test_trigger_message_change_availability_unlock_datatransfer() -> None:
    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            assert (await csms.call(call.TriggerMessage(requested_message="Heartbeat"))).status == "Accepted"
            await csms.expect("Heartbeat")
            assert (
                await csms.call(call.TriggerMessage(requested_message="BootNotification"))
            ).status == "Rejected"
            result = await csms.call(
                call.ChangeAvailability(operational_status="Inoperative", evse={"id": 1, "connectorId": 1})
            )
            assert result.status == "Accepted"
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Unavailable")
            unlock = await csms.call(call.UnlockConnector(evse_id=1, connector_id=1))
            assert unlock.status == "Unlocked"
            assert (
                await csms.call(call.UnlockConnector(evse_id=3, connector_id=1))
            ).status == "UnknownConnector"
            assert (await csms.call(call.DataTransfer(vendor_id="acme"))).status == "UnknownVendorId"

    asyncio.run(main())


def test_reset_on_idle_waits_for_the_transaction_to_end() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            await csms.expect("BootNotification")
            await start_local_transaction(csms, station.control)
            assert (await csms.call(call.Reset(type="OnIdle"))).status == "Scheduled"
            await station.control.aperform("present_id_token", {"id_token": TOKEN})
            await expect_tx(csms, "Updated", "StopAuthorized")
            ended = await expect_tx(csms, "Ended", "ChargingStateChanged")
            assert ended["transactionInfo"]["stoppedReason"] == "Local"
            boot = await csms.expect("BootNotification")
            assert boot["reason"] == "ScheduledReset"  # TC_B_21_CS step 7

    asyncio.run(main())


def test_failed_transaction_event_is_retried_per_message_attempts() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"TxCtrlr/TxStartPoint": "EVConnected"})
        behaviour = CsmsBehaviour(fail_tx_events=1)
        async with running(config, behaviour=behaviour) as (csms, station):
            await csms.booted()
            await station.control.aperform("plug_in", {"evse_id": 1})
            first = await expect_tx(csms, "Started", "CablePluggedIn")
            await wait_state(station, lambda s: s["retries"] == 1)
            await station.control.aperform("advance_clock", {"seconds": 10})  # MessageAttemptInterval
            again = await expect_tx(csms, "Started", "CablePluggedIn")
            assert again == first  # the same message, same seqNo
            await station.control.aperform("unplug", {"evse_id": 1})
            ended = await expect_tx(csms, "Ended", "EVCommunicationLost")
            assert ended["seqNo"] == 1

    asyncio.run(main())


def test_authorization_without_cable_times_out() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"TxCtrlr/TxStartPoint": "Authorized"})
        async with running(config) as (csms, station):
            await csms.booted()
            await station.control.aperform("present_id_token", {"id_token": TOKEN})
            started = await expect_tx(csms, "Started", "Authorized")
            assert started["transactionInfo"]["chargingState"] == "Idle"
            await station.control.aperform("advance_clock", {"seconds": 60})  # EVConnectionTimeOut
            ended = await csms.expect("TransactionEvent", where=lambda p: p["eventType"] == "Ended")
            assert ended["triggerReason"] == "EVConnectTimeout"
            assert ended["transactionInfo"]["stoppedReason"] == "Timeout"

    asyncio.run(main())


def test_invalid_id_without_stop_suspends_charging() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"TxCtrlr/StopTxOnInvalidId": "false"})
        behaviour = CsmsBehaviour(tx_token_status={TOKEN: "Blocked"})
        async with running(config, behaviour=behaviour) as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            suspended = await expect_tx(csms, "Updated", "ChargingStateChanged")
            assert suspended["transactionInfo"]["chargingState"] == "SuspendedEVSE"

    asyncio.run(main())

"""Optional hardware behind vendor switches (reference/station/operator_ui.py), over real sockets:
a cable lock (AQ-2, TC_C_05_CS) and a Master Pass user interface (C-07, C16.FR.01, TC_C_47/48_CS)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ocpp.v201 import call

from conformance.reference.station import EvseConfig, StationConfig
from conformance.reference.station.actions import ControlError
from tests.reference.station.csms import CsmsBehaviour, TestCsms, running
from tests.reference.station.test_transactions import TOKEN, expect_tx

INVALID = "TOKEN-BAD"
TOKEN2 = "TOKEN-2"
MASTER = "MASTER-1"
MASTER_GROUP = "MASTER-GROUP"


async def _barrier(csms: TestCsms) -> None:
    """Everything the station queued before this has reached the CSMS (its outbox keeps order)."""
    assert (await csms.call(call.TriggerMessage(requested_message="Heartbeat"))).status == "Accepted"
    await csms.expect("Heartbeat")


def _sent(csms: TestCsms, action: str) -> list[dict[str, Any]]:
    return [c.payload for c in csms.calls if c.action == action]


# -- AQ-2: cable lock -----------------------------------------------------------------------------------
def test_cable_lock_keeps_the_ev_out_until_an_id_token_is_authorized() -> None:
    async def main() -> None:
        config = StationConfig(device_model={"ReferenceStation/CableLock": "true"})
        async with running(config, behaviour=CsmsBehaviour(token_status={INVALID: "Invalid"})) as (
            csms,
            station,
        ):
            await csms.booted()
            refused = await station.control.aperform("plug_in", {"evse_id": 1})
            assert refused["changed"] is False and "AQ-2" in refused["refused"]
            rejected = await station.control.aperform("present_id_token", {"id_token": INVALID})
            assert rejected["result"] == "rejected"
            assert (await csms.expect("Authorize"))["idToken"]["idToken"] == INVALID
            assert (await station.control.aperform("plug_in", {"evse_id": 1}))["changed"] is False
            await _barrier(csms)
            occupied = [p for p in _sent(csms, "StatusNotification") if p["connectorStatus"] == "Occupied"]
            assert occupied == [] and _sent(csms, "TransactionEvent") == []
            # Authorized: the lock opens, the EV is connected and the transaction runs as usual.
            assert (await station.control.aperform("present_id_token", {"id_token": TOKEN}))[
                "result"
            ] == "authorized"
            await csms.expect("Authorize")
            assert (await station.control.aperform("plug_in", {"evse_id": 1}))["changed"] is True
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Occupied")
            await expect_tx(csms, "Started", "CablePluggedIn")

    asyncio.run(main())


def test_without_the_switch_the_ev_connects_before_authorization() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            assert (await station.control.aperform("plug_in", {"evse_id": 1}))["changed"] is True
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Occupied")

    asyncio.run(main())


# -- C-07: Master Pass with a user interface ------------------------------------------------------------
def _master_ui_config() -> StationConfig:
    return StationConfig(
        evses=[EvseConfig(), EvseConfig()],
        device_model={
            "ReferenceStation/MasterPassUI": "true",
            "AuthCtrlr/MasterPassGroupId": MASTER_GROUP,
            "AuthCtrlr/LocalPreAuthorize": "true",  # the master pass comes from the local list
        },
    )


async def _two_transactions_and_master_pass(csms: TestCsms, control: Any) -> dict[str, str]:
    """A transaction charging on EVSE 1 (TOKEN) and EVSE 2 (TOKEN2); the Master Pass (with its GroupId
    in the Local Authorization List) presented: the station offers both. Returns EVSE id -> tx id."""
    entry = {
        "id_token": {"id_token": MASTER, "type": "ISO14443"},
        "id_token_info": {
            "status": "Accepted",
            "group_id_token": {"id_token": MASTER_GROUP, "type": "Central"},
        },
    }
    sent = await csms.call(
        call.SendLocalList(version_number=1, update_type="Full", local_authorization_list=[entry])
    )
    assert sent.status == "Accepted"
    ids: dict[str, str] = {}
    for evse_id, token in ((1, TOKEN), (2, TOKEN2)):
        await control.aperform("plug_in", {"evse_id": evse_id})
        assert (await control.aperform("present_id_token", {"id_token": token, "evse_id": evse_id}))[
            "result"
        ] == "authorized"
        started = await expect_tx(csms, "Started", "Authorized")
        ids[str(evse_id)] = started["transactionInfo"]["transactionId"]
        await expect_tx(csms, "Updated", "ChargingStateChanged")
    offered = await control.aperform("present_id_token", {"id_token": MASTER, "evse_id": 1})
    assert offered["result"] == "master-pass-choice" and offered["offered_evses"] == [1, 2]
    await _barrier(csms)  # C16.FR.01: nothing stops before the user chose
    assert [p for p in _sent(csms, "TransactionEvent") if p["triggerReason"] == "StopAuthorized"] == []
    return ids


def _ended(csms: TestCsms) -> dict[str, dict[str, Any]]:
    return {
        p["transactionInfo"]["transactionId"]: p
        for p in _sent(csms, "TransactionEvent")
        if p["eventType"] == "Ended"
    }


def test_master_pass_ui_stops_the_chosen_transactions_only() -> None:
    async def main() -> None:
        async with running(_master_ui_config()) as (csms, station):
            await csms.booted()
            ids = await _two_transactions_and_master_pass(csms, station.control)
            assert (await station.control.aperform("choose_transactions_to_stop", {"evse_ids": [1]})) == {
                "stopped_evses": [1]
            }
            stop = await expect_tx(csms, "Updated", "StopAuthorized")
            assert stop["idToken"] == {"idToken": MASTER, "type": "ISO14443"}
            ended = await expect_tx(csms, "Ended", "ChargingStateChanged")
            assert (ended["transactionInfo"]["transactionId"], ended["transactionInfo"]["stoppedReason"]) == (
                ids["1"],
                "MasterPass",
            )
            await _barrier(csms)
            assert list(_ended(csms)) == [ids["1"]]  # EVSE 2 still charging
            with pytest.raises(ControlError, match="no Master Pass choice is pending"):
                await station.control.aperform("choose_transactions_to_stop", {"evse_ids": "all"})
            again = await station.control.aperform("present_id_token", {"id_token": MASTER, "evse_id": 2})
            assert again["offered_evses"] == [2]
            with pytest.raises(ControlError, match="had no ongoing transaction"):
                await station.control.aperform("choose_transactions_to_stop", {"evse_ids": [1]})
            assert (await station.control.aperform("choose_transactions_to_stop", {"evse_ids": "all"})) == {
                "stopped_evses": [2]
            }
            await csms.expect("TransactionEvent", where=lambda p: p["eventType"] == "Ended")
            assert _ended(csms)[ids["2"]]["transactionInfo"]["stoppedReason"] == "MasterPass"

    asyncio.run(main())


@pytest.mark.parametrize(
    ("mutant", "stopped", "reason"),
    [("master-pass-ui-stops-all", {"1", "2"}, "MasterPass"), ("master-pass-ui-wrong-reason", {"1"}, "Local")],
)
def test_master_pass_ui_mutants(mutant: str, stopped: set[str], reason: str) -> None:
    async def main() -> None:
        async with running(_master_ui_config(), mutant=mutant) as (csms, station):
            await csms.booted()
            ids = await _two_transactions_and_master_pass(csms, station.control)
            await station.control.aperform("choose_transactions_to_stop", {"evse_ids": [1]})
            for _ in stopped:
                await csms.expect("TransactionEvent", where=lambda p: p["eventType"] == "Ended")
            await _barrier(csms)
            ended = _ended(csms)
            assert set(ended) == {ids[e] for e in stopped}
            assert {p["transactionInfo"]["stoppedReason"] for p in ended.values()} == {reason}

    asyncio.run(main())

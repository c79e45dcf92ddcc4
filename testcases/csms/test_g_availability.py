"""Block G, Availability: CSMS under test (Part 6 section 3.8).

The operator makes the CSMS send ChangeAvailabilityRequest (`change_availability` checks step 1's
tool validations: operationalStatus and the scope, i.e. evse / evse.connectorId given or omitted);
the harness's station answers and reports its connectors.
"""

from __future__ import annotations

from typing import Any

from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.states.common import connectors_of, first_connector, now
from conformance.session.states.csms import (
    SimulatedTransaction,
    change_availability,
    connectors_outside,
    csms_unavailable,
    notify_connectors,
    report_connector,
)
from conformance.testing import case, step

EVSE_SCOPE = {
    "availability-evse-adds-connector": r"ChangeAvailabilityRequest\.evse\.connectorId must be omitted"
}
STATION_SCOPE = {"availability-station-as-evse-0": r"ChangeAvailabilityRequest\.evse must be omitted"}
CONNECTOR_SCOPE = {
    "availability-connector-dropped": r"ChangeAvailabilityRequest\.evse\.connectorId \(.*step 1\): expected"
}


async def charging(station: HarnessStation, sut: Any) -> SimulatedTransaction:
    """Booted, then Reusable State EnergyTransferStarted on the configured connector."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    return tx


async def end_transaction(tx: SimulatedTransaction, first: int) -> None:
    """StopAuthorized, EVConnectedPostSession, EVDisconnected as steps first..first+2 (TC_G_11/14/17).

    Part 6 waits <Configured Transaction Duration> first: the simulated station's own time, not waited."""
    with step(f"{first}: Reusable State StopAuthorized"):
        await tx.stop_authorized()
    with step(f"{first + 1}: Reusable State EVConnectedPostSession"):
        await tx.ev_connected_post_session()
    with step(f"{first + 2}: Reusable State EVDisconnected"):
        await tx.ev_disconnected()


@case("TC_G_03_CSMS", catches=EVSE_SCOPE)
async def test_TC_G_03_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """EVSE Operative to Inoperative (G03): Reusable State Unavailable for the configured EVSE."""
    await states.csms_booted(station, sut)
    evse_id, _ = first_connector(sut)
    with step("1: Reusable State Unavailable for the configured EVSE"):
        await csms_unavailable(station, sut, actions, evse_id=evse_id)


@case("TC_G_04_CSMS", catches=EVSE_SCOPE)
async def test_TC_G_04_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """EVSE Inoperative to Operative (G03).

    Memory State "Unavailable for <Configured evseId>" is reached the way a CSMS learns it: by the
    Reusable State Unavailable (the operator sets the EVSE Inoperative first)."""
    await states.csms_booted(station, sut)
    evse_id, _ = first_connector(sut)
    with step("Before: Memory State Unavailable for the configured EVSE"):
        await csms_unavailable(station, sut, actions, evse_id=evse_id)
    with step("1-2: the CSMS sends ChangeAvailabilityRequest Operative for the EVSE; the OCTT accepts"):
        await change_availability(station, actions, "Operative", evse_id=evse_id, label="TC_G_04_CSMS")
    with step("3-4: the OCTT reports the EVSE's connectors Available"):
        await notify_connectors(station, sut, "Available", skip=connectors_outside(sut, evse_id, None))


@case("TC_G_05_CSMS", catches=STATION_SCOPE)
async def test_TC_G_05_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Charging Station Operative to Inoperative (G04)."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends ChangeAvailabilityRequest Inoperative for the station; the OCTT accepts"):
        await change_availability(station, actions, "Inoperative", label="TC_G_05_CSMS")
    with step("3-4: the OCTT reports every connector Unavailable"):
        await notify_connectors(station, sut, "Unavailable")


@case("TC_G_06_CSMS", catches=STATION_SCOPE)
async def test_TC_G_06_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Charging Station Inoperative to Operative (G04).

    Part 6's manual action reads "to Inoperative" but its tool validation requires Operative (and the
    case's title says so): the harness asks for, and checks, Operative."""
    await states.csms_booted(station, sut)
    with step("Before: the Charging Station set to Unavailable (Reusable State Unavailable, station-wide)"):
        await csms_unavailable(station, sut, actions)
    with step("1-2: the CSMS sends ChangeAvailabilityRequest Operative for the station; the OCTT accepts"):
        await change_availability(station, actions, "Operative", label="TC_G_06_CSMS")
    with step("3-4: the OCTT reports every connector Available"):
        await notify_connectors(station, sut, "Available")


@case("TC_G_07_CSMS", catches=CONNECTOR_SCOPE)
async def test_TC_G_07_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Connector Operative to Inoperative (G03)."""
    await states.csms_booted(station, sut)
    evse_id, connector_id = first_connector(sut)
    with step(
        "1-2: the CSMS sends ChangeAvailabilityRequest Inoperative for the connector; the OCTT accepts"
    ):
        await change_availability(
            station, actions, "Inoperative", evse_id=evse_id, connector_id=connector_id, label="TC_G_07_CSMS"
        )
    with step("3-4: the OCTT reports the connector Unavailable"):
        await notify_connectors(
            station, sut, "Unavailable", skip=connectors_outside(sut, evse_id, connector_id)
        )


@case("TC_G_08_CSMS", catches=CONNECTOR_SCOPE)
async def test_TC_G_08_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Connector Inoperative to Operative (G03); Memory State "Unavailable for <Configured connectorId>"
    is reached by the Reusable State Unavailable for that connector."""
    await states.csms_booted(station, sut)
    evse_id, connector_id = first_connector(sut)
    with step("Before: Memory State Unavailable for the configured connector"):
        await csms_unavailable(station, sut, actions, evse_id=evse_id, connector_id=connector_id)
    with step("1-2: the CSMS sends ChangeAvailabilityRequest Operative for the connector; the OCTT accepts"):
        await change_availability(
            station, actions, "Operative", evse_id=evse_id, connector_id=connector_id, label="TC_G_08_CSMS"
        )
    with step("3-4: the OCTT reports the connector Available"):
        await notify_connectors(
            station, sut, "Available", skip=connectors_outside(sut, evse_id, connector_id)
        )


@case("TC_G_11_CSMS", catches=EVSE_SCOPE)
async def test_TC_G_11_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """EVSE to Inoperative with an ongoing transaction (G03): Scheduled, then applied after the end."""
    tx = await charging(station, sut)
    with step("1-2: the CSMS sends ChangeAvailabilityRequest Inoperative for the EVSE; the OCTT: Scheduled"):
        await change_availability(
            station, actions, "Inoperative", evse_id=tx.evse_id, answer="Scheduled", label="TC_G_11_CSMS"
        )
    await end_transaction(tx, 3)
    with step("6-7: the OCTT reports the EVSE's connectors Unavailable; the CSMS answers each"):
        for evse_id, connector_id in connectors_of(sut):
            if evse_id == tx.evse_id:
                await report_connector(station, evse_id, connector_id, "Unavailable")


@case("TC_G_14_CSMS", catches=STATION_SCOPE)
async def test_TC_G_14_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Charging Station to Inoperative with an ongoing transaction (G04): the free connectors at once,
    the busy one after the transaction."""
    tx = await charging(station, sut)
    with step(
        "1-2: the CSMS sends ChangeAvailabilityRequest Inoperative for the station; the OCTT: Scheduled"
    ):
        await change_availability(station, actions, "Inoperative", answer="Scheduled", label="TC_G_14_CSMS")
    with step("3-4: the OCTT reports every unoccupied connector Unavailable"):
        for evse_id, connector_id in connectors_of(sut):
            if (evse_id, connector_id) != (tx.evse_id, tx.connector_id):
                await report_connector(station, evse_id, connector_id, "Unavailable")
    await end_transaction(tx, 5)
    with step("8-9: the OCTT reports the configured connector Unavailable"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Unavailable")


@case("TC_G_17_CSMS", catches=CONNECTOR_SCOPE)
async def test_TC_G_17_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Connector to Inoperative with an ongoing transaction (G03)."""
    tx = await charging(station, sut)
    with step(
        "1-2: the CSMS sends ChangeAvailabilityRequest Inoperative for the connector; the OCTT: Scheduled"
    ):
        await change_availability(
            station,
            actions,
            "Inoperative",
            evse_id=tx.evse_id,
            connector_id=tx.connector_id,
            answer="Scheduled",
            label="TC_G_17_CSMS",
        )
    await end_transaction(tx, 3)
    with step("6-7: the OCTT reports the configured connector Unavailable"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Unavailable")


@case(
    "TC_G_20_CSMS",
    requirements=("G05.FR.03",),
    catches={"notify-event-availability-only": r"NotifyEventRequest with CALLERROR"},
)
async def test_TC_G_20_CSMS(station: HarnessStation, sut: Any) -> None:
    """Connector plug retention lock failure (G05): the CSMS accepts the NotifyEventRequest."""
    await states.csms_booted(station, sut)
    evse_id, connector_id = first_connector(sut)
    with step("1-2: NotifyEventRequest Delta, ConnectorPlugRetentionLock.Problem = true"):
        event = {
            "eventId": 1,
            "timestamp": now(),
            "trigger": "Delta",
            "actualValue": "true",
            "eventNotificationType": "HardWiredNotification",
            "component": {
                "name": "ConnectorPlugRetentionLock",
                "evse": {"id": evse_id, "connectorId": connector_id},
            },
            "variable": {"name": "Problem"},
        }
        await station.call_ok("NotifyEvent", {"generatedAt": now(), "seqNo": 0, "eventData": [event]})

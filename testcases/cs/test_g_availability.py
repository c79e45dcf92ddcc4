"""Block G, Availability: charging station under test (Part 6 section 2.8).

Every case that makes something Inoperative puts it back to Operative in a `finally` (cleanup, not a
Part 6 step), so the next case finds the station as Part 6's general preconditions want it.

Readings of Part 6 where it is ambiguous (as a certification lab would):
- Operative-to-operative cases (TC_G_09/12/15_CS): nothing changes, so the station need not report a
  connector (G01 reports changes); their post-scenario "a message to report the state of a connector"
  is read as the reports of the general precondition (Booted), not a new one, and is not re-checked.
- Inoperative-to-inoperative cases (TC_G_10/13/16_CS): the reports required are those of the preceding
  Reusable State Unavailable; the repeated request changes nothing and needs no new report.
- TC_G_18_CS "state is Unavailable": steps 1-4 are that state for <Configured evseId> (a station-wide
  Unavailable would contradict step 3's "Available for evseId not <Configured evseId>").
- TC_G_16/19_CS "State is Unavailable" is scoped to <Configured connectorId>, TC_G_21_CS to the station.
"""

from __future__ import annotations

import contextlib
from typing import Any

from conformance.session.endpoints import HarnessCsms
from conformance.session.states import CsTransaction, connectors_of, cs_connectors_reported, first_connector
from conformance.testing import case, check, check_equal, check_in, step
from testcases.cs._fgjp_support import (
    change_availability,
    expect_availability_reports,
    restore_operative,
    scope_connectors,
    station_ready,
    unavailable,
)

_SILENT = r"report of connector\(s\) \[\(1, 1\)\] as (Unavailable|Available)"


def _reports_in_case(csms: HarnessCsms) -> list[tuple[int, int, str]]:
    found = []
    for received in csms.history(("StatusNotification", "NotifyEvent")):
        if received.action == "StatusNotification":
            p = received.payload
            found.append((p["evseId"], p["connectorId"], p["connectorStatus"]))
            continue
        for event in received.payload.get("eventData", []):
            if event.get("variable", {}).get("name") == "AvailabilityState":
                comp = event.get("component", {})
                if comp.get("name") == "Connector":
                    evse = comp.get("evse", {})
                    found.append((evse.get("id", 0), evse.get("connectorId", 0), event.get("actualValue")))
    return found


# ---------------------------------------------------------------------------------------- G01
@case(
    "TC_G_01_CS",
    requirements=("G01.FR.01", "N07.FR.19"),
    catches={"plug-in-unreported": r"report of connector\(s\) \[\(1, 1\)\] as Occupied"},
)
async def test_TC_G_01_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EVConnectedPreSession: the connector is reported Occupied (G01.FR.01, N07.FR.19)."""
    await station_ready(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    try:
        await tx.ev_connected_pre_session()
    finally:
        await _unplug_cleanup(tx)


@case(
    "TC_G_02_CS",
    requirements=("G01.FR.01", "N07.FR.19"),
    catches={"unplug-unreported": r"report of connector\(s\) \[\(1, 1\)\] as Available"},
)
async def test_TC_G_02_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EVConnectedPreSession, then unplug: the connector is reported Available (G01.FR.01, N07.FR.19)."""
    await station_ready(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    try:
        await tx.ev_connected_pre_session()
        mark = len(csms.history())
        # Manual action + steps 3-4 (and the transaction's end, if plugging in started one).
        await tx.ev_disconnected()
        await expect_availability_reports(
            csms, sut, "Available", [(tx.evse_id, tx.connector_id)], label="3-4", since=mark
        )
    finally:
        await _unplug_cleanup(tx)


async def _unplug_cleanup(tx: CsTransaction) -> None:
    """Cleanup, best effort: unplug what the case plugged in and let a started transaction end."""
    if tx.ev_connected:
        try:
            await tx.ev_disconnected()
        except Exception:  # never mask the case's own failure; the driver unplugs at test end anyway
            return


# ---------------------------------------------------------------------------------------- G03
@case(
    "TC_G_03_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.04", "G03.FR.06"),
    catches={
        "availability-silent": _SILENT,
        "availability-inoperative-rejected": r"ChangeAvailabilityResponse.status",
    },
)
async def test_TC_G_03_CS(csms: HarnessCsms, sut: Any) -> None:
    """Reusable State Unavailable for <Configured evseId>; every connector of that EVSE reported."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    try:
        await unavailable(csms, sut, evse_id=evse_id, label="1: Unavailable (EVSE)")
    finally:
        await restore_operative(csms, sut, evse_id=evse_id)


@case(
    "TC_G_04_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.04", "G03.FR.07"),
    catches={"availability-silent": _SILENT},
)
async def test_TC_G_04_CS(csms: HarnessCsms, sut: Any) -> None:
    """Memory state Unavailable for <Configured evseId>; Operative for it: Accepted, connectors Available."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    try:
        await unavailable(csms, sut, evse_id=evse_id, label="memory state: Unavailable (EVSE)")
        mark = await change_availability(csms, "Operative", "Accepted", evse_id=evse_id, label="1-2")
        await expect_availability_reports(
            csms, sut, "Available", scope_connectors(sut, evse_id, None), label="3-4", since=mark
        )
    finally:
        await restore_operative(csms, sut, evse_id=evse_id)


@case(
    "TC_G_05_CS",
    requirements=("G04.FR.01", "G04.FR.02", "G04.FR.03", "G04.FR.05", "G04.FR.07"),
    catches={
        "availability-silent": _SILENT,
        "availability-inoperative-rejected": r"ChangeAvailabilityResponse.status",
    },
)
async def test_TC_G_05_CS(csms: HarnessCsms, sut: Any) -> None:
    """Reusable State Unavailable (whole station); every connector reported Unavailable."""
    await station_ready(csms, sut)
    try:
        await unavailable(csms, sut, label="1: Unavailable (station)")
    finally:
        await restore_operative(csms, sut)


@case(
    "TC_G_06_CS",
    requirements=("G04.FR.01", "G04.FR.02", "G04.FR.03", "G04.FR.05", "G04.FR.08"),
    catches={"availability-silent": _SILENT},
)
async def test_TC_G_06_CS(csms: HarnessCsms, sut: Any) -> None:
    """State Unavailable (station); Operative: Accepted, every connector reported Available."""
    await station_ready(csms, sut)
    try:
        await unavailable(csms, sut, label="before: Unavailable (station)")
        mark = await change_availability(csms, "Operative", "Accepted", label="1-2")
        await expect_availability_reports(csms, sut, "Available", connectors_of(sut), label="3-4", since=mark)
    finally:
        await restore_operative(csms, sut)


@case(
    "TC_G_07_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.04", "G03.FR.06"),
    catches={
        "availability-silent": _SILENT,
        "availability-inoperative-rejected": r"ChangeAvailabilityResponse.status",
    },
)
async def test_TC_G_07_CS(csms: HarnessCsms, sut: Any) -> None:
    """Reusable State Unavailable for <Configured connectorId>; that connector reported Unavailable."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    try:
        await unavailable(
            csms, sut, evse_id=evse_id, connector_id=connector_id, label="1: Unavailable (connector)"
        )
    finally:
        await restore_operative(csms, sut, evse_id=evse_id, connector_id=connector_id)


@case(
    "TC_G_08_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.04", "G03.FR.07"),
    catches={"availability-silent": _SILENT},
)
async def test_TC_G_08_CS(csms: HarnessCsms, sut: Any) -> None:
    """Memory state Unavailable for <Configured connectorId>; Operative: Accepted, reported Available."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    try:
        await unavailable(
            csms, sut, evse_id=evse_id, connector_id=connector_id, label="memory state: Unavailable"
        )
        mark = await change_availability(
            csms, "Operative", "Accepted", evse_id=evse_id, connector_id=connector_id, label="1-2"
        )
        await expect_availability_reports(
            csms, sut, "Available", [(evse_id, connector_id)], label="3-4", since=mark
        )
    finally:
        await restore_operative(csms, sut, evse_id=evse_id, connector_id=connector_id)


# ------------------------------------------------------------------ requested state already in place
@case(
    "TC_G_09_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.03", "G03.FR.04"),
    catches={"availability-same-state-rejected": r"ChangeAvailabilityResponse.status"},
)
async def test_TC_G_09_CS(csms: HarnessCsms, sut: Any) -> None:
    """Operative EVSE set Operative: Accepted (G03.FR.03)."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    await change_availability(csms, "Operative", "Accepted", evse_id=evse_id, label="1-2")


@case(
    "TC_G_10_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.03", "G03.FR.04"),
    catches={"availability-same-state-rejected": r"ChangeAvailabilityResponse.status"},
)
async def test_TC_G_10_CS(csms: HarnessCsms, sut: Any) -> None:
    """State Unavailable for <Configured evseId>; Inoperative again: Accepted (G03.FR.03)."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    try:
        await unavailable(csms, sut, evse_id=evse_id, label="before: Unavailable (EVSE)")
        await change_availability(csms, "Inoperative", "Accepted", evse_id=evse_id, label="1-2")
    finally:
        await restore_operative(csms, sut, evse_id=evse_id)


@case(
    "TC_G_12_CS",
    requirements=("G04.FR.01", "G04.FR.02", "G04.FR.03", "G04.FR.04", "G04.FR.05"),
    catches={"availability-same-state-rejected": r"ChangeAvailabilityResponse.status"},
)
async def test_TC_G_12_CS(csms: HarnessCsms, sut: Any) -> None:
    """Operative station set Operative: Accepted (G04.FR.04)."""
    await station_ready(csms, sut)
    await change_availability(csms, "Operative", "Accepted", label="1-2")


@case(
    "TC_G_13_CS",
    requirements=("G04.FR.01", "G04.FR.02", "G04.FR.03", "G04.FR.04", "G04.FR.05"),
    catches={"availability-same-state-rejected": r"ChangeAvailabilityResponse.status"},
)
async def test_TC_G_13_CS(csms: HarnessCsms, sut: Any) -> None:
    """State Unavailable (station); Inoperative again: Accepted; every connector reported Unavailable."""
    await station_ready(csms, sut)
    try:
        await unavailable(csms, sut, label="before: Unavailable (station)")
        await change_availability(csms, "Inoperative", "Accepted", label="1-2")
        with step("3-4 / post-scenario: every connector has been reported Unavailable"):
            latest = {(e, c): s for e, c, s in _reports_in_case(csms)}
            for key in connectors_of(sut):
                check_equal(latest.get(key), "Unavailable", f"last reported state of connector {key}")
    finally:
        await restore_operative(csms, sut)


@case(
    "TC_G_15_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.03", "G03.FR.04"),
    catches={"availability-same-state-rejected": r"ChangeAvailabilityResponse.status"},
)
async def test_TC_G_15_CS(csms: HarnessCsms, sut: Any) -> None:
    """Operative connector set Operative: Accepted (G03.FR.03)."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    await change_availability(
        csms, "Operative", "Accepted", evse_id=evse_id, connector_id=connector_id, label="1-2"
    )


@case(
    "TC_G_16_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.03", "G03.FR.04"),
    catches={"availability-same-state-rejected": r"ChangeAvailabilityResponse.status"},
)
async def test_TC_G_16_CS(csms: HarnessCsms, sut: Any) -> None:
    """State Unavailable for <Configured connectorId>; Inoperative again: Accepted (G03.FR.03)."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    try:
        await unavailable(
            csms, sut, evse_id=evse_id, connector_id=connector_id, label="before: Unavailable (connector)"
        )
        await change_availability(
            csms, "Inoperative", "Accepted", evse_id=evse_id, connector_id=connector_id, label="1-2"
        )
    finally:
        await restore_operative(csms, sut, evse_id=evse_id, connector_id=connector_id)


# ------------------------------------------------------------------ with an ongoing transaction
async def _scheduled_case(
    csms: HarnessCsms, sut: Any, actions: Any, *, station: bool = False, connector: bool = False
) -> None:
    """TC_G_11/14/17_CS: Inoperative during a transaction is Scheduled; it takes effect when the
    transaction ends, whichever of StopAuthorized / EVConnectedPostSession / EVDisconnected /
    ParkingBayUnoccupied ends it (steps 4/7/10/13 run only after the step that ended it)."""
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    evse_id = None if station else tx.evse_id
    connector_id = tx.connector_id if connector else None
    try:
        await tx.energy_transfer_started()
        await change_availability(
            csms, "Inoperative", "Scheduled", evse_id=evse_id, connector_id=connector_id, label="1-2"
        )
        if station:  # TC_G_14_CS step 3: EVSEs without a transaction go Unavailable at once
            idle = [(e, c) for e, c in connectors_of(sut) if e != tx.evse_id]
            await expect_availability_reports(csms, sut, "Unavailable", idle, label="3-4 (idle EVSEs)")
        mine = [(e, c) for e, c in connectors_of(sut) if e == tx.evse_id and connector_id in (None, c)]
        reported = False
        for label, run in (
            ("StopAuthorized", tx.stop_authorized),
            ("EVConnectedPostSession", tx.ev_connected_post_session),
            ("EVDisconnected", lambda: _ev_disconnected(tx, actions)),
            ("ParkingBayUnoccupied", lambda: _parking_bay_unoccupied(tx, actions)),
        ):
            if tx.ended:
                break
            await run()
            if tx.ended and not reported:
                await expect_availability_reports(
                    csms, sut, "Unavailable", mine, label=f"after {label}: connectors of the EVSE"
                )
                reported = True
        check(tx.ended, "the transaction did not end (StopAuthorized .. ParkingBayUnoccupied)")
    finally:
        if tx.ev_connected:
            with contextlib.suppress(Exception):  # cleanup never masks the case's own failure
                await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            tx.ev_connected = False
        await restore_operative(csms, sut, evse_id=evse_id, connector_id=connector_id)


async def _ev_disconnected(tx: CsTransaction, actions: Any) -> None:
    """Reusable State EVDisconnected, for a connector that stays Unavailable (no Available report)."""
    with step("EVDisconnected: manual action, disconnect the EV and EVSE"):
        await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
        tx.ev_connected = False
    if tx.started and not tx.ended:
        with step("EVDisconnected 3-4: TransactionEventRequest EVCommunicationLost"):
            received = await tx.csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id,
                what="the transaction event for the cable unplugged",
            )
            check_equal(
                received.payload.get("triggerReason"),
                "EVCommunicationLost",
                "triggerReason (EVDisconnected step 3)",
            )
            tx.events.append(received.payload)
            tx.ended = received.payload.get("eventType") == "Ended"


async def _parking_bay_unoccupied(tx: CsTransaction, actions: Any) -> None:
    """Reusable State ParkingBayUnoccupied: the transaction ends with EVDeparted."""
    with step("ParkingBayUnoccupied: manual action, the EV leaves the parking bay"):
        await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})
    with step("ParkingBayUnoccupied 1-2: TransactionEventRequest Ended"):
        received = await tx.csms.expect(
            "TransactionEvent",
            where=lambda p: p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id,
            what="the transaction event for the EV leaving",
        )
        check_in(
            received.payload.get("triggerReason"), ("EVDeparted",), "triggerReason (ParkingBayUnoccupied)"
        )
        tx.events.append(received.payload)
        tx.ended = received.payload.get("eventType") == "Ended"


@case(
    "TC_G_11_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.04", "G03.FR.05"),
    catches={
        "availability-not-scheduled": r"ChangeAvailabilityResponse.status",
        "availability-scheduled-never-applied": r"report of connector\(s\) \[\(1, 1\)\] as Unavailable",
    },
)
async def test_TC_G_11_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EVSE Inoperative during a transaction: Scheduled, applied when it ends (G03.FR.05)."""
    await station_ready(csms, sut)
    await _scheduled_case(csms, sut, actions)


@case(
    "TC_G_14_CS",
    requirements=("G04.FR.01", "G04.FR.02", "G04.FR.03", "G04.FR.05", "G04.FR.06"),
    catches={
        "availability-not-scheduled": r"ChangeAvailabilityResponse.status",
        "availability-scheduled-never-applied": r"report of connector\(s\) \[\(1, 1\)\] as Unavailable",
    },
)
async def test_TC_G_14_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Station Inoperative during a transaction: Scheduled, applied when it ends (G04.FR.06)."""
    await station_ready(csms, sut)
    await _scheduled_case(csms, sut, actions, station=True)


@case(
    "TC_G_17_CS",
    requirements=("G03.FR.01", "G03.FR.02", "G03.FR.04", "G03.FR.05"),
    catches={
        "availability-not-scheduled": r"ChangeAvailabilityResponse.status",
        "availability-scheduled-never-applied": r"report of connector\(s\) \[\(1, 1\)\] as Unavailable",
    },
)
async def test_TC_G_17_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Connector Inoperative during a transaction: Scheduled, applied when it ends (G03.FR.05)."""
    await station_ready(csms, sut)
    await _scheduled_case(csms, sut, actions, connector=True)


# ------------------------------------------------------------------ persistence across reboot
async def _booted_with(csms: HarnessCsms, sut: Any, unavailable_ones: list[tuple[int, int]]) -> None:
    """Reusable State Booted (Booting + steps 2-7), with the connectors in `unavailable_ones` reported
    Unavailable and every other one Available; SecurityEventNotification after the boot."""
    with step("Booting 1-2: the OCTT sends ResetRequest Immediate; the station answers"):
        response = await csms.call_ok("Reset", {"type": "Immediate"})
        check_equal(response.get("status"), "Accepted", "ResetResponse.status (Booting step 2)")
        # What the station sent before it went down (e.g. queued reports) does not count after the boot.
        await csms.wait_disconnect(timeout=sut.timeouts.connect)
        csms.discard_inbox()
    with step("2-3: the station sends BootNotificationRequest; the OCTT accepts it"):
        await csms.expect("BootNotification", timeout=csms.timeout * 2)
    for key in connectors_of(sut):
        status = "Unavailable" if key in unavailable_ones else "Available"
        await cs_connectors_reported(csms, sut, status, label=f"4-5: connector {key[0]}/{key[1]}", only=key)
    with step("6-7: the station sends SecurityEventNotificationRequest"):
        event = await csms.expect("SecurityEventNotification")
        check_in(
            event.payload.get("type"),
            ("StartupOfTheDevice", "ResetOrReboot"),
            "SecurityEventNotificationRequest.type (step 6)",
        )


@case(
    "TC_G_18_CS",
    requirements=("G03.FR.08", "G01.FR.01"),
    catches={"availability-not-persistent": r"report of connector\(s\) \[\(1, 1\)\] as Unavailable"},
)
async def test_TC_G_18_CS(csms: HarnessCsms, sut: Any) -> None:
    """EVSE Inoperative, then Booted: it is still reported Unavailable after the boot (G03.FR.08)."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    try:
        await unavailable(csms, sut, evse_id=evse_id, label="1-4: Unavailable (EVSE)")
        await _booted_with(csms, sut, scope_connectors(sut, evse_id, None))
    finally:
        await restore_operative(csms, sut, evse_id=evse_id)


@case(
    "TC_G_19_CS",
    requirements=("G03.FR.08",),
    catches={"availability-not-persistent": r"report of connector\(s\) \[\(1, 1\)\] as Unavailable"},
)
async def test_TC_G_19_CS(csms: HarnessCsms, sut: Any) -> None:
    """Connector Inoperative (state Unavailable), then Booted: still Unavailable (G03.FR.08)."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    try:
        await unavailable(
            csms, sut, evse_id=evse_id, connector_id=connector_id, label="before: Unavailable (connector)"
        )
        await _booted_with(csms, sut, [(evse_id, connector_id)])
    finally:
        await restore_operative(csms, sut, evse_id=evse_id, connector_id=connector_id)


@case(
    "TC_G_21_CS",
    requirements=("G04.FR.09",),
    catches={"availability-not-persistent": r"report of connector\(s\) \[\(1, 1\)\] as Unavailable"},
)
async def test_TC_G_21_CS(csms: HarnessCsms, sut: Any) -> None:
    """Station Inoperative (state Unavailable), then Booted: every connector still Unavailable (G04.FR.09)."""
    await station_ready(csms, sut)
    try:
        await unavailable(csms, sut, label="before: Unavailable (station)")
        await _booted_with(csms, sut, connectors_of(sut))
    finally:
        await restore_operative(csms, sut)

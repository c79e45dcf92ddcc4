"""Availability (G01-G04): ChangeAvailability of station, EVSE or connector; Scheduled during a tx."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference.station.device_model import ComponentKey
from conformance.reference.station.model import Evse

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


def change_availability(st: StationCore, payload: dict[str, Any]) -> str:
    operative = payload["operationalStatus"] == "Operative"
    target = payload.get("evse")
    if target is None or target.get("id", 0) == 0:
        evses = list(st.evses.values())
    else:
        evse = st.evses.get(int(target["id"]))
        if evse is None:
            return "Rejected"
        connector_id = target.get("connectorId")
        if connector_id is not None and evse.connector(int(connector_id)) is None:
            return "Rejected"
        evses = [evse]
    if not operative and st.is_mutant("availability-inoperative-rejected"):
        return "Rejected"  # G03.FR.01 / G04.FR.01 broken on purpose
    if st.is_mutant("availability-same-state-rejected") and _already(st, payload):
        return "Rejected"  # G03.FR.03 / G04.FR.04 broken on purpose
    busy = [e for e in evses if e.tx is not None]
    if not operative and busy:
        for evse in busy:
            evse.pending_inoperative = True
        st.pending_availability = payload
        # G03.FR.05 / G04.FR.06: Scheduled; the mutant says Accepted (and still waits for the end)
        return "Accepted" if st.is_mutant("availability-not-scheduled") else "Scheduled"
    _apply(st, payload)
    return "Accepted"


def _already(st: StationCore, payload: dict[str, Any]) -> bool:
    """The target of a ChangeAvailability is already in the requested state."""
    operative = payload["operationalStatus"] == "Operative"
    target = payload.get("evse")
    if target is None or target.get("id", 0) == 0:
        return bool(st.operative == operative)
    evse = st.evses[int(target["id"])]
    conn = evse.connector(int(target["connectorId"])) if target.get("connectorId") is not None else None
    return bool((conn.operative if conn is not None else evse.operative) == operative)


def _apply(st: StationCore, payload: dict[str, Any]) -> None:
    operative = payload["operationalStatus"] == "Operative"
    target = payload.get("evse")
    if target is None or target.get("id", 0) == 0:
        st.operative = operative
        _set_state(st, ComponentKey("ChargingStation"), operative)
    else:
        evse = st.evses[int(target["id"])]
        connector_id = target.get("connectorId")
        if connector_id is None:
            evse.operative = operative
            _set_state(st, ComponentKey("EVSE", evse_id=evse.evse_id), operative)
        else:
            conn = evse.connector(int(connector_id))
            if conn is not None:
                conn.operative = operative
    st.pending_availability = None
    for evse in st.evses.values():
        evse.pending_inoperative = False
        for conn in evse.connectors:
            if st.is_mutant("availability-silent"):  # G03.FR.04 / G04.FR.05 broken on purpose
                st.dm.set_internal(
                    ComponentKey("Connector", evse_id=evse.evse_id, connector_id=conn.connector_id),
                    "AvailabilityState",
                    st.connector_status(evse, conn),
                )
                continue
            st.report_connector(evse, conn)


def _set_state(st: StationCore, comp: ComponentKey, operative: bool) -> None:
    st.dm.set_internal(comp, "AvailabilityState", "Available" if operative else "Unavailable")


def apply_scheduled(st: StationCore, evse: Evse) -> None:
    """After a transaction ends: a Scheduled ChangeAvailability or Reset OnIdle now takes effect."""
    pending = st.pending_availability
    if st.is_mutant("availability-scheduled-never-applied"):  # G03.FR.05 broken on purpose
        pending = st.pending_availability = None
    if pending is not None and not any(e.tx is not None for e in st.evses.values() if e.pending_inoperative):
        _apply(st, pending)
    idle = all(e.tx is None for e in st.evses.values())
    if st.is_mutant("reset-onidle-reboots-early"):  # B12.FR.03 broken on purpose: the first end reboots
        idle = True
    if st.pending_reset is not None and idle:
        reason = st.pending_reset
        st.pending_reset = None
        st.spawn(st.reboot(reason))

"""Reservations (H01-H04): ReserveNow for one EVSE, CancelReservation, expiry, use by the same token."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from conformance.reference.station.model import Evse

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


def reserve_now(st: StationCore, req: dict[str, Any]) -> tuple[str, Evse | None]:
    if not st.dm.get_bool("ReservationCtrlr", "Enabled") or req.get("evseId") in (None, 0):
        return "Rejected", None  # non-EVSE-specific reservations are not supported
    evse = st.evses.get(int(req["evseId"]))
    if evse is None:
        return "Rejected", None
    statuses = {st.connector_status(evse, c) for c in evse.connectors}
    if "Faulted" in statuses and len(statuses) == 1:
        return "Faulted", None
    if "Unavailable" in statuses and len(statuses) == 1:
        return "Unavailable", None
    if (
        evse.tx is not None
        or evse.plugged
        or (evse.reservation is not None and evse.reservation["id"] != req["id"])
    ):
        return "Occupied", None
    evse.reservation = dict(req)
    return "Accepted", evse


def after_reserve(st: StationCore, evse: Evse) -> None:
    for conn in evse.connectors:
        st.report_connector(evse, conn)
    reservation = evse.reservation
    if reservation is None:
        return
    try:
        expiry = datetime.fromisoformat(str(reservation["expiryDateTime"]).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return
    st.spawn(_expire(st, evse, reservation, expiry))


async def _expire(st: StationCore, evse: Evse, reservation: dict[str, Any], expiry: float) -> None:
    await st.clock.sleep_until(expiry)
    if evse.reservation is reservation:
        evse.reservation = None
        st.outbox.post(
            "ReservationStatusUpdate",
            {"reservationId": reservation["id"], "reservationUpdateStatus": "Expired"},
        )
        for conn in evse.connectors:
            st.report_connector(evse, conn)


def report_evse(st: StationCore, evse: Evse) -> None:
    for conn in evse.connectors:
        st.report_connector(evse, conn)


def cancel(st: StationCore, reservation_id: int) -> Evse | None:
    for evse in st.evses.values():
        if evse.reservation is not None and evse.reservation["id"] == reservation_id:
            evse.reservation = None
            return evse
    return None


def blocks(evse: Evse, id_token: dict[str, Any]) -> bool:
    """Is the EVSE reserved for another token? (The matching token consumes the reservation.)"""
    reservation = evse.reservation
    return reservation is not None and reservation["idToken"].get("idToken") != id_token.get("idToken")


def consume(evse: Evse) -> None:
    if evse.reservation is not None:
        evse.reservation_used = int(evse.reservation["id"])
        evse.reservation = None

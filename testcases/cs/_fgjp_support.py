"""Helpers shared by the block F, G, J and P cases for a charging station under test.

- `Setting`, `configured`, `preserved`: re-exported from the shared `conformance.testing.configuration`
  (Part 6's "Configuration State", set through SetVariables and restored afterwards).
- `unavailable` / `make_operative`: Reusable State Unavailable (Part 6 Table 425) and its inverse,
  scoped to the station, one EVSE or one connector.
- `expect_availability_reports`: the connector reports of a scope, with the NotifyEvent tool validations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from conformance.session.endpoints import HarnessCsms
from conformance.session.states import CsTransaction, connectors_of, cs_connectors_reported
from conformance.testing import check_equal, step
from conformance.testing.configuration import Setting, configured, preserved

__all__ = [
    "Setting",
    "change_availability",
    "change_availability_request",
    "configured",
    "expect_availability_reports",
    "finish_transaction",
    "make_operative",
    "preserved",
    "restore_operative",
    "scope_connectors",
    "station_ready",
    "unavailable",
]


def scope_connectors(sut: Any, evse_id: int | None, connector_id: int | None) -> list[tuple[int, int]]:
    """The connectors a ChangeAvailability scope covers (station, one EVSE, or one connector)."""
    return [(e, c) for e, c in connectors_of(sut) if evse_id in (None, e) and connector_id in (None, c)]


def change_availability_request(
    status: str, evse_id: int | None = None, connector_id: int | None = None
) -> dict[str, Any]:
    request: dict[str, Any] = {"operationalStatus": status}
    if evse_id is not None:
        request["evse"] = {"id": evse_id}
        if connector_id is not None:
            request["evse"]["connectorId"] = connector_id
    return request


async def expect_availability_reports(
    csms: HarnessCsms,
    sut: Any,
    status: str,
    connectors: Sequence[tuple[int, int]],
    *,
    label: str,
    since: int = 0,
) -> None:
    """Every connector in `connectors` reported as `status`; each NotifyEvent AvailabilityState report
    received since history position `since` must have trigger Delta (the NotifyEventRequest tool
    validations of block G and Table 425)."""
    for evse_id, connector_id in connectors:
        await cs_connectors_reported(csms, sut, status, label=label, only=(evse_id, connector_id))
    for received in _since(csms, since, "NotifyEvent"):
        for event in received.payload.get("eventData", []):
            if event.get("variable", {}).get("name") != "AvailabilityState":
                continue
            check_equal(event.get("trigger"), "Delta", f"NotifyEventRequest eventData.trigger of {label}")


def _since(csms: HarnessCsms, mark: int, action: str) -> list[Any]:
    return [r for r in csms.history()[mark:] if r.action == action]


async def change_availability(
    csms: HarnessCsms,
    status: str,
    expected: str,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    label: str,
) -> int:
    """Send ChangeAvailabilityRequest for the scope; the response status must be `expected`.
    Returns the history position before the request (where the reports it causes start)."""
    csms.discard_inbox()  # reports received before the request (e.g. queued at boot) do not answer it
    mark = len(csms.history())
    with step(f"{label}: the OCTT sends ChangeAvailabilityRequest {status}; the station answers"):
        response = await csms.call_ok(
            "ChangeAvailability", change_availability_request(status, evse_id, connector_id)
        )
        check_equal(response.get("status"), expected, f"ChangeAvailabilityResponse.status ({label})")
    return mark


async def unavailable(
    csms: HarnessCsms,
    sut: Any,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    label: str = "Unavailable",
) -> None:
    """Reusable State Unavailable (Table 425): Inoperative, Accepted, every connector reported Unavailable."""
    mark = await change_availability(
        csms, "Inoperative", "Accepted", evse_id=evse_id, connector_id=connector_id, label=f"{label} 1-2"
    )
    await expect_availability_reports(
        csms,
        sut,
        "Unavailable",
        scope_connectors(sut, evse_id, connector_id),
        label=f"{label} 3-4",
        since=mark,
    )


async def make_operative(
    csms: HarnessCsms,
    sut: Any,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    label: str,
) -> None:
    """ChangeAvailability Operative for the scope, Accepted, every connector reported Available."""
    mark = await change_availability(
        csms, "Operative", "Accepted", evse_id=evse_id, connector_id=connector_id, label=f"{label} 1-2"
    )
    await expect_availability_reports(
        csms,
        sut,
        "Available",
        scope_connectors(sut, evse_id, connector_id),
        label=f"{label} 3-4",
        since=mark,
    )


async def restore_operative(
    csms: HarnessCsms, sut: Any, *, evse_id: int | None = None, connector_id: int | None = None
) -> None:
    """Cleanup (not a Part 6 step), best effort: leave the station operative for the next case.
    It runs in a `finally`, so it never masks the case's own failure."""
    if csms.connected:
        with contextlib.suppress(Exception):
            await make_operative(
                csms, sut, evse_id=evse_id, connector_id=connector_id, label="cleanup: back to Operative"
            )


async def station_ready(csms: HarnessCsms, sut: Any) -> None:
    """Part 6's general precondition: the station has booted (BootNotification accepted, connectors
    reported Available).

    A case that starts right after the station connected (the first case of a run) waits for that boot
    first; otherwise its manual actions race the boot (e.g. a token presented before the station may send
    AuthorizeRequest again)."""
    if not csms.sut_identity:
        with step("precondition: the station boots (BootNotification accepted)"):
            await csms.expect("BootNotification", timeout=csms.timeout * 2)
        await cs_connectors_reported(csms, sut, "Available", label="precondition: after the boot")


async def finish_transaction(csms: HarnessCsms, sut: Any, actions: Any, tx: CsTransaction) -> None:
    """Cleanup (not a Part 6 step), best effort: end the case's transaction whatever its TxStopPoint
    (present the token again, unplug) and wait for its Ended event and the connector's Available report,
    skipping the meter-value events in between. Never masks the case's own failure."""
    unplugged = False
    with contextlib.suppress(Exception):
        if tx.started and not tx.ended and tx.authorized:
            await actions.perform(
                "present_id_token",
                {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": tx.evse_id},
            )
        if tx.ev_connected:
            await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            tx.ev_connected, unplugged = False, True
        if tx.started and not tx.ended:
            await csms.expect(
                "TransactionEvent",
                where=lambda p: (
                    p.get("eventType") == "Ended"
                    and p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id
                ),
            )
            tx.ended = True
        if unplugged:
            await cs_connectors_reported(
                csms, sut, "Available", label="cleanup: connector free", only=(tx.evse_id, tx.connector_id)
            )

"""Part 6's reusable states, composed from the session API.

Charging station under test: section 2.18 (e.g. Booted, Table 423). CSMS under test: section 3.18
(e.g. Booted, Table 698). Each state runs its steps as named steps and checks its tool validations.
"""

from __future__ import annotations

from typing import Any

from conformance.ocppj.frames import CallError
from conformance.session.endpoints import HarnessCsms, HarnessStation
from conformance.testing.checks import check, check_equal, check_in
from conformance.testing.steps import step


def connectors_of(sut: Any) -> list[tuple[int, int]]:
    """(evseId, connectorId) of every connector in the SUT description's topology."""
    return [(evse.id, connector.id) for evse in sut.evses for connector in evse.connectors]


# ------------------------------------------------------------------ charging station under test
async def cs_booted(csms: HarnessCsms, sut: Any) -> None:
    """Reusable State Booted (CS, Part 6 Table 423), by a ResetRequest Immediate (steps 1-2)."""
    with step("Booted 1-2: the OCTT sends ResetRequest Immediate; the station answers"):
        response = await csms.call_ok("Reset", {"type": "Immediate"})
        check_equal(response.get("status"), "Accepted", "ResetResponse.status (Booted step 2)")
        csms.discard_inbox(before=csms.last_response_mark)  # what the station sent before the reset
    await cs_boot_sequence(csms, sut)


async def cs_boot_sequence(csms: HarnessCsms, sut: Any) -> None:
    """Booted steps 3-8: BootNotification accepted, every connector reported, the security event."""
    with step("Booted 3-4: the station sends BootNotificationRequest; the OCTT accepts it"):
        await csms.expect("BootNotification", timeout=csms.timeout * 2)
    await cs_connectors_reported(csms, sut, "Available", label="Booted 5-6")
    with step("Booted 7-8: the station sends SecurityEventNotificationRequest"):
        event = await csms.expect("SecurityEventNotification")
        check_in(
            event.payload.get("type"),
            ("StartupOfTheDevice", "ResetOrReboot"),
            "SecurityEventNotificationRequest.type after a boot (Booted step 7)",
        )


async def cs_connectors_reported(csms: HarnessCsms, sut: Any, status: str, *, label: str) -> None:
    """Every connector's state reported, by StatusNotification or NotifyEvent AvailabilityState."""
    pending = set(connectors_of(sut))
    with step(f"{label}: the station reports every connector {status} ({len(pending)} connector(s))"):
        while pending:
            received = await csms.expect(
                ("StatusNotification", "NotifyEvent"),
                what=f"a state report for connector(s) {sorted(pending)}",
            )
            for evse_id, connector_id, value in _reported_connectors(received.action, received.payload):
                check(
                    evse_id != 0 and connector_id != 0,
                    f"{received.action}Request reports evseId {evse_id} / connectorId {connector_id}:"
                    " neither may be 0 (Booted step 5)",
                )
                if (evse_id, connector_id) in pending:
                    check_equal(value, status, f"state of connector {evse_id}/{connector_id}")
                    pending.discard((evse_id, connector_id))


def _reported_connectors(action: str, payload: dict[str, Any]) -> list[tuple[int, int, str]]:
    if action == "StatusNotification":
        return [(payload["evseId"], payload["connectorId"], payload["connectorStatus"])]
    found = []
    for event in payload.get("eventData", []):
        component, variable = event.get("component", {}), event.get("variable", {})
        if component.get("name") == "Connector" and variable.get("name") == "AvailabilityState":
            evse = component.get("evse", {})
            found.append((evse.get("id", 0), evse.get("connectorId", 0), event.get("actualValue", "")))
    return found


# ------------------------------------------------------------------ CSMS under test
async def csms_booted(station: HarnessStation, sut: Any) -> dict[str, Any]:
    """Reusable State Booted (CSMS, Part 6 Table 698): boot with reason PowerUp, report connectors."""
    if not station.connected:
        with step("Connect to the CSMS under test"):
            await station.connect()
    identity = sut.sut
    with step("Booted 1-2: the OCTT sends BootNotificationRequest (PowerUp); the CSMS accepts"):
        result = await station.call(
            "BootNotification",
            {
                "reason": "PowerUp",
                "chargingStation": {"model": identity.model, "vendorName": identity.vendor_name},
            },
        )
        check(
            not isinstance(result, CallError),
            f"the CSMS answered BootNotificationRequest with CALLERROR {getattr(result, 'error_code', '')}",
        )
        assert not isinstance(result, CallError)
        check_equal(
            result.payload.get("status"), "Accepted", "BootNotificationResponse.status (Booted step 2)"
        )
    with step("Booted 3-4: the OCTT reports every connector Available"):
        for evse_id, connector_id in connectors_of(sut):
            await station.call_ok(
                "StatusNotification",
                {
                    "timestamp": _now(),
                    "connectorStatus": "Available",
                    "evseId": evse_id,
                    "connectorId": connector_id,
                },
            )
    return result.payload


def _now() -> str:
    from conformance.session.responders import ocpp_now

    return ocpp_now()

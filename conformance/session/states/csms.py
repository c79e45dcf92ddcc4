"""Reusable states for a CSMS under test (Part 6 section 3.18): the harness plays the station.

The harness's station drives the session itself, so these states are deterministic: each sends what
Part 6 lists and checks the CSMS's answers (Tables 698-707).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from conformance.ocppj.frames import CallError
from conformance.session.endpoints import HarnessStation
from conformance.session.session import ReceivedCall
from conformance.session.states.common import connectors_of, first_connector, id_token_of, now
from conformance.testing.checks import check, check_equal
from conformance.testing.steps import step


async def csms_booted(station: HarnessStation, sut: Any) -> dict[str, Any]:
    """Reusable State Booted (Table 698): boot with reason PowerUp, report every connector Available."""
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
            await report_connector(station, evse_id, connector_id, "Available")
    return result.payload


async def report_connector(station: HarnessStation, evse_id: int, connector_id: int, status: str) -> None:
    await station.call_ok(
        "StatusNotification",
        {"timestamp": now(), "connectorStatus": status, "evseId": evse_id, "connectorId": connector_id},
    )


@dataclass
class SimulatedTransaction:
    """One transaction of the harness's station, walked through the CSMS reusable states."""

    station: HarnessStation
    sut: Any
    evse_id: int = 0
    connector_id: int = 0
    transaction_id: str = field(default_factory=lambda: uuid.uuid4().hex[:20])
    seq_no: int = 0
    started: bool = False
    ended: bool = False
    authorized: bool = False
    ev_connected: bool = False
    responses: list[dict[str, Any]] = field(default_factory=list)
    # False: the EVSE is not known when the transaction starts (authorization first, TC_J_08_CSMS);
    # it is then announced with the CablePluggedIn event.
    evse_at_start: bool = True
    evse_sent: bool = False

    def __post_init__(self) -> None:
        if not self.evse_id:
            self.evse_id, self.connector_id = first_connector(self.sut)

    @property
    def token(self) -> dict[str, str]:
        return id_token_of(self.sut.tokens.valid)

    async def event(
        self,
        trigger: str,
        *,
        charging_state: str | None = None,
        stopped_reason: str | None = None,
        id_token: dict[str, str] | None = None,
        ended: bool = False,
        extra: dict[str, Any] | None = None,
        remote_start_id: int | None = None,
    ) -> dict[str, Any]:
        """Send the next TransactionEventRequest of this transaction (Started first, Ended last)."""
        event_type = "Ended" if ended else ("Updated" if self.started else "Started")
        info: dict[str, Any] = {"transactionId": self.transaction_id}
        if charging_state:
            info["chargingState"] = charging_state
        if stopped_reason:
            info["stoppedReason"] = stopped_reason
        if remote_start_id is not None:  # F01/F02: the id the CSMS gave in RequestStartTransaction
            info["remoteStartId"] = remote_start_id
        payload: dict[str, Any] = {
            "eventType": event_type,
            "timestamp": now(),
            "triggerReason": trigger,
            "seqNo": self.seq_no,
            "transactionInfo": info,
        }
        if not self.evse_sent and (self.evse_at_start or trigger == "CablePluggedIn"):
            payload["evse"] = {"id": self.evse_id, "connectorId": self.connector_id}
            self.evse_sent = True
        if id_token:
            payload["idToken"] = id_token
        payload.update(extra or {})
        response = await self.station.call_ok("TransactionEvent", payload)
        self.seq_no += 1
        self.started = True
        self.ended = ended
        self.responses.append(response)
        return response

    async def ev_connected_pre_session(self, *, extra: dict[str, Any] | None = None) -> None:
        """Reusable State EVConnectedPreSession (Table 701); `extra`: more TransactionEvent fields."""
        with step("EVConnectedPreSession 1-2: the OCTT reports the connector Occupied"):
            await report_connector(self.station, self.evse_id, self.connector_id, "Occupied")
        with step("EVConnectedPreSession 3-4: TransactionEventRequest CablePluggedIn, EVConnected"):
            await self.event("CablePluggedIn", charging_state="EVConnected", extra=extra)
        self.ev_connected = True

    async def authorize(self) -> None:
        """Reusable State Authorized (Table 702): local authorization with the valid token."""
        with step("Authorized 1-2: the OCTT sends AuthorizeRequest with the valid idToken"):
            response = await self.station.call_ok("Authorize", {"idToken": self.token})
            check_equal(
                response.get("idTokenInfo", {}).get("status"),
                "Accepted",
                "AuthorizeResponse.idTokenInfo.status (Authorized step 2)",
            )
        with step("Authorized 3-4: TransactionEventRequest Authorized with the idToken"):
            response = await self.event("Authorized", id_token=self.token)
            check_equal(
                response.get("idTokenInfo", {}).get("status"),
                "Accepted",
                "TransactionEventResponse.idTokenInfo.status (Authorized step 4)",
            )
        self.authorized = True

    async def energy_transfer_started(self) -> None:
        """Reusable State EnergyTransferStarted (Table 703)."""
        if not self.authorized:
            await self.authorize()
        if not self.ev_connected:
            with step("EnergyTransferStarted 1-2: the OCTT reports the connector Occupied"):
                await report_connector(self.station, self.evse_id, self.connector_id, "Occupied")
            with step("EnergyTransferStarted 3-4: TransactionEventRequest CablePluggedIn, EVConnected"):
                await self.event("CablePluggedIn", charging_state="EVConnected")
            self.ev_connected = True
        with step("EnergyTransferStarted 5-6: TransactionEventRequest ChargingStateChanged, Charging"):
            await self.event("ChargingStateChanged", charging_state="Charging")

    async def energy_transfer_suspended(self) -> None:
        """Reusable State EnergyTransferSuspended (Table 704)."""
        with step("EnergyTransferSuspended 1-2: TransactionEventRequest ChargingStateChanged, SuspendedEV"):
            await self.event("ChargingStateChanged", charging_state="SuspendedEV")

    async def stop_authorized(self) -> None:
        """Reusable State StopAuthorized (Table 705)."""
        with step("StopAuthorized 1-2: TransactionEventRequest StopAuthorized"):
            response = await self.event("StopAuthorized", id_token=self.token)
            check_equal(
                response.get("idTokenInfo", {}).get("status"),
                "Accepted",
                "TransactionEventResponse.idTokenInfo.status (StopAuthorized step 2)",
            )
        self.authorized = False

    async def ev_connected_post_session(self) -> None:
        """Reusable State EVConnectedPostSession (Table 706)."""
        with step("EVConnectedPostSession 1-2: TransactionEventRequest ChargingStateChanged, EVConnected"):
            await self.event("ChargingStateChanged", charging_state="EVConnected")

    async def ev_disconnected(self, *, extra: dict[str, Any] | None = None) -> None:
        """Reusable State EVDisconnected (Table 707): the transaction ends; `extra`: more fields of
        the Ended event (e.g. its meterValue, TC_J_03_CSMS)."""
        with step("EVDisconnected 1-2: the OCTT reports the connector Available"):
            await report_connector(self.station, self.evse_id, self.connector_id, "Available")
        with step("EVDisconnected 3-4: TransactionEventRequest Ended, EVCommunicationLost"):
            await self.event(
                "EVCommunicationLost",
                charging_state="Idle",
                stopped_reason="EVDisconnected",
                ended=True,
                extra=extra,
            )
        self.ev_connected = False


# ---------------------------------------------------------------- operator actions (Manual Action steps)
async def operator_request(
    station: HarnessStation, actions: Any, action: str, request: dict[str, Any], *, what: str = ""
) -> tuple[ReceivedCall, asyncio.Task[dict[str, Any]]]:
    """Ask the CSMS (through the driver) to send `action`; return the request as the harness's station
    got it (already answered by its responder: choose the answer with `station.on` beforehand) and the
    still running operator action, to be awaited with `operator_done`."""
    params = {"station_id": station.station_id, "request": request}
    task = asyncio.ensure_future(actions.perform(action, params))
    expected = asyncio.ensure_future(station.expect(action, what=what))
    try:
        done, _ = await asyncio.wait({task, expected}, return_when=asyncio.FIRST_COMPLETED)
        error = task.exception() if expected not in done else None
        if error is not None:
            raise error  # e.g. ActionUnsupported: the case is skipped
        return await expected, task
    except BaseException:
        for pending in (task, expected):
            pending.cancel()
        raise


async def operator_done(station: HarnessStation, task: asyncio.Task[dict[str, Any]]) -> dict[str, Any]:
    """The operator action's result, once the CSMS got the station's answer (bounded)."""
    return await asyncio.wait_for(task, station.timeout * 2)


async def notify_connectors(
    station: HarnessStation, sut: Any, status: str, *, skip: tuple[tuple[int, int], ...] = ()
) -> None:
    """"The OCTT notifies the CSMS about the current state of all connectors": StatusNotificationRequest
    and NotifyEventRequest (trigger Delta, Connector.AvailabilityState) per connector, as Part 6 lists."""
    for evse_id, connector_id in connectors_of(sut):
        if (evse_id, connector_id) in skip:
            continue
        await report_connector(station, evse_id, connector_id, status)
        event = {
            "eventId": evse_id * 100 + connector_id,
            "timestamp": now(),
            "trigger": "Delta",
            "actualValue": status,
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": evse_id, "connectorId": connector_id}},
            "variable": {"name": "AvailabilityState"},
        }
        await station.call_ok("NotifyEvent", {"generatedAt": now(), "seqNo": 0, "eventData": [event]})


def _pem_text(value: Any) -> str:
    return "\n".join(line.strip() for line in str(value).strip().splitlines())


async def certificate_installed(
    station: HarnessStation,
    actions: Any,
    certificate_type: str,
    certificate: str,
    *,
    status: str = "Accepted",
) -> dict[str, Any]:
    """Reusable State CertificateInstalled (Table 709); `status` other than Accepted for TC_M_05_CSMS."""
    with step(f"CertificateInstalled 1-2: the CSMS sends InstallCertificateRequest ({certificate_type})"):
        station.on("InstallCertificate", {"status": status})
        received, task = await operator_request(
            station,
            actions,
            "InstallCertificate",
            {"certificateType": certificate_type, "certificate": certificate},
            what=f"certificateType {certificate_type}",
        )
        check_equal(
            received.payload.get("certificateType"),
            certificate_type,
            "InstallCertificateRequest.certificateType (CertificateInstalled tool validation)",
        )
        check(
            _pem_text(received.payload.get("certificate", "")) == _pem_text(certificate),
            "InstallCertificateRequest.certificate is not the configured certificate of type"
            f" {certificate_type} (CertificateInstalled tool validation)",
        )
        await operator_done(station, task)
    return received.payload


async def get_installed_certificates(
    station: HarnessStation,
    actions: Any,
    certificate_types: list[str],
    hash_chain: list[dict[str, Any]],
) -> dict[str, Any]:
    """Reusable State GetInstalledCertificates (Table 708): the station answers Accepted with `hash_chain`."""
    names = " & ".join(certificate_types)
    with step(f"GetInstalledCertificates 1-2: the CSMS sends GetInstalledCertificateIdsRequest ({names})"):
        station.on(
            "GetInstalledCertificateIds", {"status": "Accepted", "certificateHashDataChain": hash_chain}
        )
        received, task = await operator_request(
            station, actions, "GetInstalledCertificateIds", {"certificateType": list(certificate_types)}
        )
        check_equal(
            sorted(received.payload.get("certificateType") or []),
            sorted(certificate_types),
            "GetInstalledCertificateIdsRequest.certificateType (GetInstalledCertificates tool validation)",
        )
        await operator_done(station, task)
    return received.payload


# ---------------------------------------------------------------- G: availability
async def change_availability(
    station: HarnessStation,
    actions: Any,
    operational_status: str,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    answer: str = "Accepted",
    label: str = "ChangeAvailability",
) -> dict[str, Any]:
    """Steps 1-2 of Part 6's availability scenarios (Table 700, TC_G_*_CSMS): the operator makes the
    CSMS send ChangeAvailabilityRequest for the whole station (no evse), an EVSE (evse.id without
    connectorId) or one connector; the station answers `answer`; step 1's tool validations are checked."""
    request: dict[str, Any] = {"operationalStatus": operational_status}
    if evse_id is not None:
        request["evse"] = (
            {"id": evse_id} if connector_id is None else {"id": evse_id, "connectorId": connector_id}
        )
    station.on("ChangeAvailability", {"status": answer})
    received, task = await operator_request(station, actions, "ChangeAvailability", request)
    payload = received.payload
    check_equal(
        payload.get("operationalStatus"),
        operational_status,
        f"ChangeAvailabilityRequest.operationalStatus ({label} step 1)",
    )
    evse = payload.get("evse")
    if evse_id is None:
        check(
            evse is None,
            f"ChangeAvailabilityRequest.evse must be omitted to address the whole Charging Station"
            f" ({label} step 1), got {evse!r}",
        )
    else:
        check(isinstance(evse, dict), f"ChangeAvailabilityRequest.evse is required ({label} step 1)")
        assert isinstance(evse, dict)
        check_equal(evse.get("id"), evse_id, f"ChangeAvailabilityRequest.evse.id ({label} step 1)")
        if connector_id is None:
            check(
                "connectorId" not in evse,
                f"ChangeAvailabilityRequest.evse.connectorId must be omitted to address the whole EVSE"
                f" ({label} step 1), got {evse.get('connectorId')!r}",
            )
        else:
            check_equal(
                evse.get("connectorId"),
                connector_id,
                f"ChangeAvailabilityRequest.evse.connectorId ({label} step 1)",
            )
    await operator_done(station, task)
    return payload


def connectors_outside(
    sut: Any, evse_id: int | None, connector_id: int | None
) -> tuple[tuple[int, int], ...]:
    """The connectors NOT addressed by a station-wide (None), EVSE or connector scope."""
    return tuple(
        (e, c)
        for e, c in connectors_of(sut)
        if not (evse_id is None or (e == evse_id and (connector_id is None or c == connector_id)))
    )


async def csms_unavailable(
    station: HarnessStation,
    sut: Any,
    actions: Any,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
) -> dict[str, Any]:
    """Reusable State Unavailable (Table 700): the station, an EVSE or a connector set Inoperative."""
    with step("Unavailable 1-2: the CSMS sends ChangeAvailabilityRequest Inoperative; the OCTT accepts"):
        request = await change_availability(
            station, actions, "Inoperative", evse_id=evse_id, connector_id=connector_id, label="Unavailable"
        )
    with step("Unavailable 3-4: the OCTT reports the addressed connectors Unavailable"):
        await notify_connectors(
            station, sut, "Unavailable", skip=connectors_outside(sut, evse_id, connector_id)
        )
    return request

"""Reusable states for a CSMS under test (Part 6 section 3.18): the harness plays the station.

The harness's station drives the session itself, so these states are deterministic: each sends what
Part 6 lists and checks the CSMS's answers (Tables 698-707).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from conformance.ocppj.frames import CallError
from conformance.session.endpoints import HarnessStation
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
    ) -> dict[str, Any]:
        """Send the next TransactionEventRequest of this transaction (Started first, Ended last)."""
        event_type = "Ended" if ended else ("Updated" if self.started else "Started")
        info: dict[str, Any] = {"transactionId": self.transaction_id}
        if charging_state:
            info["chargingState"] = charging_state
        if stopped_reason:
            info["stoppedReason"] = stopped_reason
        payload: dict[str, Any] = {
            "eventType": event_type,
            "timestamp": now(),
            "triggerReason": trigger,
            "seqNo": self.seq_no,
            "transactionInfo": info,
        }
        if not self.started:
            payload["evse"] = {"id": self.evse_id, "connectorId": self.connector_id}
        if id_token:
            payload["idToken"] = id_token
        payload.update(extra or {})
        response = await self.station.call_ok("TransactionEvent", payload)
        self.seq_no += 1
        self.started = True
        self.ended = ended
        self.responses.append(response)
        return response

    async def ev_connected_pre_session(self) -> None:
        """Reusable State EVConnectedPreSession (Table 701)."""
        with step("EVConnectedPreSession 1-2: the OCTT reports the connector Occupied"):
            await report_connector(self.station, self.evse_id, self.connector_id, "Occupied")
        with step("EVConnectedPreSession 3-4: TransactionEventRequest CablePluggedIn, EVConnected"):
            await self.event("CablePluggedIn", charging_state="EVConnected")
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

    async def ev_disconnected(self) -> None:
        """Reusable State EVDisconnected (Table 707): the transaction ends."""
        with step("EVDisconnected 1-2: the OCTT reports the connector Available"):
            await report_connector(self.station, self.evse_id, self.connector_id, "Available")
        with step("EVDisconnected 3-4: TransactionEventRequest Ended, EVCommunicationLost"):
            await self.event(
                "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected", ended=True
            )
        self.ev_connected = False

"""Reusable states for a charging station under test (Part 6 section 2.18): the harness is the CSMS.

Physical steps (plug in, present a token) go through the action driver; what the station must send in
return is expected and checked per the state's tool validations. Where Part 6 makes a step depend on
the station's TxStartPoint / TxStopPoint, the harness reads them from the device model first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.config import TOKEN_STATUS
from conformance.errors import ConformanceFailure, SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.states.common import connectors_of, first_connector, id_token_of
from conformance.testing.checks import check, check_equal, check_in
from conformance.testing.steps import step


# ------------------------------------------------------------------ charging station under test
async def cs_booted(csms: HarnessCsms, sut: Any) -> None:
    """Reusable State Booted (CS, Part 6 Table 423), by a ResetRequest Immediate (steps 1-2)."""
    with step("Booted 1-2: the OCTT sends ResetRequest Immediate; the station answers"):
        response = await csms.call_ok("Reset", {"type": "Immediate"})
        check_equal(response.get("status"), "Accepted", "ResetResponse.status (Booted step 2)")
        csms.discard_inbox(before=csms.last_response_mark)  # what the station sent before the reset
    await cs_boot_sequence(csms, sut)


async def cs_precondition_booted(csms: HarnessCsms, sut: Any) -> None:
    """Part 6's general precondition (booted, Accepted) for a case that may run first in a session: when
    the session has not seen the station's BootNotification yet, wait for it and for the connectors'
    Available reports that follow, so that no later manual action is lost in the boot."""
    if csms.sut_identity:
        return
    with step("Precondition: the station boots (BootNotification accepted)"):
        await csms.expect("BootNotification", timeout=sut.timeouts.connect)
    await cs_connectors_reported(csms, sut, "Available", label="Precondition: after the boot")


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


async def cs_connectors_reported(
    csms: HarnessCsms, sut: Any, status: str, *, label: str, only: tuple[int, int] | None = None
) -> None:
    """Every connector's (or `only` one's) state reported as `status`, by StatusNotification or
    NotifyEvent AvailabilityState. A report of another state does not count (a station may report both
    ways, and earlier reports may still be queued); when none comes, the failure names what was seen."""
    pending = {only} if only is not None else set(connectors_of(sut))
    kinds = ("StatusNotification", "NotifyEvent")

    def reports_pending(payload: dict[str, Any]) -> bool:
        action = "StatusNotification" if "connectorStatus" in payload else "NotifyEvent"
        return any(
            (e, c) in pending and value == status for e, c, value in _reported_connectors(action, payload)
        )

    with step(f"{label}: the station reports every connector {status} ({len(pending)} connector(s))"):
        while pending:
            try:
                received = await csms.expect(
                    kinds,
                    where=reports_pending,
                    what=f"a report of connector(s) {sorted(pending)} as {status}",
                )
            except SutTimeout as timeout:
                seen = [
                    f"{e}/{c} {value}"
                    for r in csms.history(kinds)
                    for e, c, value in _reported_connectors(r.action, r.payload)
                    if (e, c) in pending
                ]
                raise ConformanceFailure(
                    f"{timeout}; reports seen for those connectors: {', '.join(seen) or 'none'}"
                ) from None
            named: set[tuple[int, int]] = set()
            for evse_id, connector_id, value in _reported_connectors(received.action, received.payload):
                check(
                    evse_id != 0 and connector_id != 0,
                    f"{received.action}Request reports evseId {evse_id} / connectorId {connector_id}:"
                    " neither may be 0",
                )
                named.add((evse_id, connector_id))
                if value == status:
                    pending.discard((evse_id, connector_id))
            # Older reports of these connectors still queued (a station reporting both ways sends a twin
            # of each) describe an earlier state: they must not answer a later wait.
            csms.discard_superseded(received, kinds, _names_any_of(named))


def _names_any_of(connectors: set[tuple[int, int]]) -> Callable[[dict[str, Any]], bool]:
    def names(payload: dict[str, Any]) -> bool:
        action = "StatusNotification" if "connectorStatus" in payload else "NotifyEvent"
        return any((e, c) in connectors for e, c, _ in _reported_connectors(action, payload))

    return names


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


def _points(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


@dataclass
class CsTransaction:
    """One transaction at the station under test, walked through the reusable states of section 2.18.

    Create it, `await prepare()` (reads TxStartPoint / TxStopPoint), then call the states in order; each
    state runs what it needs first, as Part 6's "If State is NOT ... then execute ..." says.
    """

    csms: HarnessCsms
    sut: Any
    actions: Any
    auth_mode: str = "local"  # Part 6 Authorized / StopAuthorized: "local" (A) or "remote" (B)
    evse_id: int = 0
    connector_id: int = 0
    start_points: frozenset[str] = frozenset()
    stop_points: frozenset[str] = frozenset()
    transaction_id: str | None = None
    remote_start_id: int | None = None
    started: bool = False
    ended: bool = False
    authorized: bool = False
    ev_connected: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.evse_id:
            self.evse_id, self.connector_id = first_connector(self.sut)

    @property
    def token(self) -> dict[str, str]:
        return id_token_of(self.sut.tokens.valid)

    async def prepare(self) -> None:
        """Read TxCtrlr.TxStartPoint / TxStopPoint: which steps of each state Part 6 expects."""
        response = await self.csms.call_ok(
            "GetVariables",
            {
                "getVariableData": [
                    {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStartPoint"}},
                    {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStopPoint"}},
                ]
            },
        )
        values = {
            r["variable"]["name"]: r.get("attributeValue", "")
            for r in response.get("getVariableResult", [])
            if r.get("attributeStatus") == "Accepted"
        }
        configured = self.sut.device_model.values
        start = values.get("TxStartPoint") or configured.get("TxCtrlr.TxStartPoint", "PowerPathClosed")
        stop = values.get("TxStopPoint") or configured.get("TxCtrlr.TxStopPoint", "EVConnected,Authorized")
        self.start_points, self.stop_points = _points(start), _points(stop)

    # ------------------------------------------------------------ helpers
    def _is_ours(self, payload: dict[str, Any]) -> bool:
        tx = payload.get("transactionInfo", {}).get("transactionId")
        return self.transaction_id is None or tx == self.transaction_id

    async def _transaction_event(self, what: str) -> dict[str, Any]:
        received = await self.csms.expect("TransactionEvent", where=self._is_ours, what=what)
        payload = received.payload
        info = payload.get("transactionInfo", {})
        if not self.started:
            check_equal(payload.get("eventType"), "Started", "eventType of the first TransactionEventRequest")
            self.transaction_id = info.get("transactionId")
            self.started = True
        if payload.get("eventType") == "Ended":
            self.ended = True
        self.events.append(payload)
        return payload

    def _check_token(self, payload: dict[str, Any], what: str) -> None:
        token = payload.get("idToken", {})
        check_equal(token.get("idToken"), self.token["idToken"], f"{what}: idToken.idToken")
        check_equal(token.get("type"), self.token["type"], f"{what}: idToken.type")

    def _remote_start_check(self, payload: dict[str, Any]) -> bool:
        """General tool rule: the first TransactionEventRequest after a remote start says RemoteStart."""
        if self.remote_start_id is None:
            return False
        check_equal(
            payload.get("triggerReason"), "RemoteStart", "triggerReason after RequestStartTransaction"
        )
        check_equal(
            payload.get("transactionInfo", {}).get("remoteStartId"),
            self.remote_start_id,
            "transactionInfo.remoteStartId after RequestStartTransaction",
        )
        self.remote_start_id = None
        return True

    # ------------------------------------------------------------ states
    async def ev_connected_pre_session(self) -> None:
        """Reusable State EVConnectedPreSession (Table 427)."""
        with step("EVConnectedPreSession: manual action, connect the EV and EVSE"):
            await self.actions.perform(
                "plug_in", {"evse_id": self.evse_id, "connector_id": self.connector_id}
            )
        await cs_connectors_reported(
            self.csms,
            self.sut,
            "Occupied",
            label="EVConnectedPreSession 1-2",
            only=(self.evse_id, self.connector_id),
        )
        self.ev_connected = True
        if "EVConnected" in self.start_points or self.started:
            with step("EVConnectedPreSession 3-4: the station sends TransactionEventRequest"):
                payload = await self._transaction_event("the transaction event for the cable plugged in")
                if not self._remote_start_check(payload):
                    check_in(
                        payload.get("triggerReason"),
                        ("CablePluggedIn", "ChargingStateChanged", "RemoteStart"),
                        "triggerReason (EVConnectedPreSession step 3)",
                    )
                allowed = (
                    ("EVConnected", "SuspendedEVSE", "Charging") if self.authorized else ("EVConnected",)
                )
                check_in(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    allowed,
                    "transactionInfo.chargingState (EVConnectedPreSession step 3)",
                )

    async def authorize(self, mode: str | None = None) -> None:
        """Reusable State Authorized (Table 428): A = present the valid token, B = RequestStartTransaction."""
        if (mode or self.auth_mode) == "remote":
            await self._authorize_remote()
        else:
            await self._authorize_local()
        self.authorized = True

    async def _authorize_local(self) -> None:
        with step("Authorized A: manual action, present the valid idToken"):
            await self.actions.perform(
                "present_id_token",
                {"id_token": self.token["idToken"], "type": self.token["type"], "evse_id": self.evse_id},
            )
        tx_expected = "Authorized" in self.start_points or self.started
        with step("Authorized A 1-2: AuthorizeRequest with the valid idToken (unless cached)"):
            first = await self.csms.expect(
                ("Authorize", "TransactionEvent"),
                where=self._is_ours,
                what="AuthorizeRequest for the presented token",
            )
            if first.action == "Authorize":
                self._check_token(first.payload, "AuthorizeRequest (Authorized step 1)")
            else:
                check(tx_expected, "the station sent TransactionEventRequest where Part 6 expects none yet")
        if tx_expected:
            with step("Authorized A 3-4: TransactionEventRequest Authorized with the idToken"):
                payload = (
                    first.payload
                    if first.action == "TransactionEvent"
                    else await self._transaction_event("the transaction event for the authorization")
                )
                if first.action == "TransactionEvent":
                    self._adopt(payload)
                check_equal(payload.get("triggerReason"), "Authorized", "triggerReason (Authorized step 3)")
                self._check_token(payload, "TransactionEventRequest (Authorized step 3)")

    def _adopt(self, payload: dict[str, Any]) -> None:
        """Book-keep a TransactionEventRequest that arrived through a multi-action expect."""
        info = payload.get("transactionInfo", {})
        if not self.started:
            check_equal(payload.get("eventType"), "Started", "eventType of the first TransactionEventRequest")
            self.transaction_id, self.started = info.get("transactionId"), True
        self.ended = self.ended or payload.get("eventType") == "Ended"
        self.events.append(payload)

    async def _authorize_remote(self) -> None:
        remote_start_id = 1 + len(self.events)
        with step("Authorized B 1-2: the OCTT sends RequestStartTransactionRequest"):
            response = await self.csms.call_ok(
                "RequestStartTransaction",
                {"idToken": self.token, "evseId": self.evse_id, "remoteStartId": remote_start_id},
            )
            check_equal(response.get("status"), "Accepted", "RequestStartTransactionResponse.status")
            if self.started:
                check_equal(
                    response.get("transactionId"),
                    self.transaction_id,
                    "RequestStartTransactionResponse.transactionId of the running transaction",
                )
        self.remote_start_id = remote_start_id
        if "Authorized" in self.start_points or self.started:
            with step("Authorized B 3-8: (AuthorizeRequest,) TransactionEventRequest RemoteStart"):
                while True:
                    received = await self.csms.expect(
                        ("Authorize", "TransactionEvent"),
                        where=self._is_ours,
                        what="the transaction event for the remote start",
                    )
                    if received.action == "Authorize":
                        self._check_token(received.payload, "AuthorizeRequest (Authorized B step 3)")
                        continue
                    self._adopt(received.payload)
                    self._remote_start_check(received.payload)
                    self._check_token(received.payload, "TransactionEventRequest (Authorized B step 7)")
                    break

    async def energy_transfer_started(self) -> None:
        """Reusable State EnergyTransferStarted (Table 430)."""
        if not self.authorized:
            await self.authorize()
        if not self.ev_connected:
            with step("EnergyTransferStarted 1: manual action, connect the EV and EVSE"):
                await self.actions.perform(
                    "plug_in", {"evse_id": self.evse_id, "connector_id": self.connector_id}
                )
            await cs_connectors_reported(
                self.csms,
                self.sut,
                "Occupied",
                label="EnergyTransferStarted 1-2",
                only=(self.evse_id, self.connector_id),
            )
            self.ev_connected = True
            if "EVConnected" in self.start_points or self.started:
                with step("EnergyTransferStarted 3-4: TransactionEventRequest CablePluggedIn, EVConnected"):
                    payload = await self._transaction_event("the transaction event for the cable plugged in")
                    if not self._remote_start_check(payload):
                        check_equal(
                            payload.get("triggerReason"),
                            "CablePluggedIn",
                            "triggerReason (EnergyTransferStarted step 3)",
                        )
                    check_equal(
                        payload.get("transactionInfo", {}).get("chargingState"),
                        "EVConnected",
                        "transactionInfo.chargingState (EnergyTransferStarted step 3)",
                    )
        with step("EnergyTransferStarted 5-10: TransactionEventRequest(s) up to chargingState Charging"):
            while True:
                was_started = self.started
                payload = await self._transaction_event("the transaction event for the energy transfer")
                state = payload.get("transactionInfo", {}).get("chargingState")
                if self._remote_start_check(payload):
                    pass
                elif not was_started and not self.start_points & {"EVConnected", "Authorized"}:
                    # Started at PowerPathClosed / EnergyTransfer: Part 6 step 7 names ChargingStateChanged;
                    # E01 lets the event that closed the power path be the trigger (see ISSUES note).
                    check_in(
                        payload.get("triggerReason"),
                        ("ChargingStateChanged", "Authorized", "CablePluggedIn"),
                        "triggerReason of the transaction start (EnergyTransferStarted step 7)",
                    )
                else:
                    check_equal(
                        payload.get("triggerReason"),
                        "ChargingStateChanged",
                        "triggerReason (EnergyTransferStarted step 9)",
                    )
                if state == "Charging":
                    break
                check_in(
                    state,
                    ("SuspendedEVSE", "EVConnected"),
                    "transactionInfo.chargingState before Charging (EnergyTransferStarted step 7)",
                )

    async def stop_authorized(self, mode: str | None = None) -> None:
        """Reusable State StopAuthorized (Table 432): A = the same token again, B = RequestStopTransaction."""
        if (mode or self.auth_mode) == "remote":
            with step("StopAuthorized B 1-2: the OCTT sends RequestStopTransactionRequest"):
                response = await self.csms.call_ok(
                    "RequestStopTransaction", {"transactionId": self.transaction_id}
                )
                check_equal(response.get("status"), "Accepted", "RequestStopTransactionResponse.status")
            with step("StopAuthorized B 3-4: TransactionEventRequest RemoteStop"):
                payload = await self._transaction_event("the transaction event for the remote stop")
                check_equal(
                    payload.get("triggerReason"), "RemoteStop", "triggerReason (StopAuthorized B step 3)"
                )
        else:
            with step("StopAuthorized A: manual action, present the same idToken"):
                await self.actions.perform(
                    "present_id_token",
                    {"id_token": self.token["idToken"], "type": self.token["type"], "evse_id": self.evse_id},
                )
            with step("StopAuthorized A 1-4: TransactionEventRequest(s) for the local stop"):
                payload = await self._transaction_event("the transaction event for the local stop")
                if payload.get("triggerReason") == "StopAuthorized":  # step 1 is optional
                    token = payload.get("idToken")
                    if token is not None:
                        self._check_token(payload, "TransactionEventRequest (StopAuthorized step 1)")
                    if not self.ended:
                        payload = await self._transaction_event("the transaction event ending the charging")
                check_equal(
                    payload.get("triggerReason"),
                    "ChargingStateChanged",
                    "triggerReason (StopAuthorized step 3)",
                )
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "EVConnected",
                    "transactionInfo.chargingState (StopAuthorized step 3)",
                )
                # A stop authorization opens the power path and stops the energy transfer too (E06.FR.03,
                # E06.FR.06, E06.FR.07): any of these TxStopPoints ends the transaction here.
                if self.stop_points & {"Authorized", "PowerPathClosed", "EnergyTransfer"}:
                    check_equal(payload.get("eventType"), "Ended", "eventType (StopAuthorized step 3)")
                    check_in(
                        payload.get("transactionInfo", {}).get("stoppedReason", "Local"),
                        ("Local",),
                        "transactionInfo.stoppedReason (StopAuthorized step 3)",
                    )
        self.authorized = False

    async def ev_connected_post_session(self) -> None:
        """Reusable State EVConnectedPostSession (Table 433)."""
        if self.authorized:
            await self.stop_authorized()
        if not self.ended and self.stop_points & {"Authorized", "PowerPathClosed"}:
            with step(
                "EVConnectedPostSession 1-2: TransactionEventRequest ChargingStateChanged, EVConnected"
            ):
                payload = await self._transaction_event("the transaction event after the stop")
                check_equal(
                    payload.get("triggerReason"),
                    "ChargingStateChanged",
                    "triggerReason (EVConnectedPostSession step 1)",
                )

    async def ev_disconnected(self) -> None:
        """Reusable State EVDisconnected (Table 434)."""
        with step("EVDisconnected: manual action, disconnect the EV and EVSE"):
            await self.actions.perform("unplug", {"evse_id": self.evse_id, "connector_id": self.connector_id})
        await cs_connectors_reported(
            self.csms,
            self.sut,
            "Available",
            label="EVDisconnected 1-2",
            only=(self.evse_id, self.connector_id),
        )
        self.ev_connected = False
        if self.started and not self.ended:
            with step("EVDisconnected 3-4: TransactionEventRequest EVCommunicationLost, Idle"):
                payload = await self._transaction_event("the transaction event for the cable unplugged")
                check_equal(
                    payload.get("triggerReason"),
                    "EVCommunicationLost",
                    "triggerReason (EVDisconnected step 3)",
                )
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "Idle",
                    "transactionInfo.chargingState (EVDisconnected step 3)",
                )


# ------------------------------------------------------------------ memory states (section 2.19)
_SESSION_START_POINTS = frozenset({"Authorized", "EVConnected", "PowerPathClosed", "EnergyTransfer"})


def _event_of(kind: str, transaction_id: str | None = None) -> Any:
    def match(payload: dict[str, Any]) -> bool:
        found = payload.get("transactionInfo", {}).get("transactionId")
        return payload.get("eventType") == kind and transaction_id in (None, found)

    return match


async def _until_ended(csms: HarnessCsms, start: int) -> None:
    """Wait for the transaction of a setup session (history from `start` on) to start and end."""
    seen = [r.payload for r in csms.history()[start:] if r.action == "TransactionEvent"]
    started = next((p for p in seen if _event_of("Started")(p)), None)
    if started is None:
        started = (
            await csms.expect("TransactionEvent", where=_event_of("Started"), what="its start")
        ).payload
    transaction_id = started["transactionInfo"]["transactionId"]
    if not any(_event_of("Ended", transaction_id)(p) for p in seen):
        await csms.expect(
            "TransactionEvent",
            where=_event_of("Ended", transaction_id),
            what="the end of the setup session's transaction (after the EV was disconnected)",
        )


async def id_token_cached(csms: HarnessCsms, sut: Any, actions: Any, role: str = "valid") -> None:
    """Memory State IdTokenCached (Table 443) for the configured `role` idToken (`sut.tokens.<role>`).

    ParkingBayOccupied is optional (Table 435 note) and skipped. Authorized: the token is presented
    and its AuthorizeRequest expected "unless cached" (a station that has it cached, e.g. from an
    earlier case, with LocalPreAuthorize true, may send none). Main A (valid, Accepted) then connects
    and disconnects the EV and waits until any transaction that started has ended; Main B (not
    Accepted) has no EV connected, so nothing starts. The state has no tool validations: its messages
    are set aside afterwards."""
    token = id_token_of(getattr(sut.tokens, role))
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    start = len(csms.history())
    what = f"the {role} idToken (memory state IdTokenCached)"
    with step(f"Manual action: present {what}"):
        await actions.perform(
            "present_id_token", {"id_token": token["idToken"], "type": token["type"], "evse_id": tx.evse_id}
        )
    with step(f"Memory state IdTokenCached: AuthorizeRequest for the {role} idToken (unless cached)"):
        try:
            received = await csms.expect("Authorize", timeout=sut.timeouts.no_message, what="IdTokenCached")
        except SutTimeout:
            received = None
        if received is not None:
            sent = received.payload.get("idToken", {})
            check_equal(
                sent.get("idToken"), token["idToken"], "AuthorizeRequest idToken.idToken (IdTokenCached)"
            )
    if TOKEN_STATUS.get(role) == "Accepted":
        with step("Memory state IdTokenCached A: EVConnectedPreSession, then EVDisconnected"):
            await actions.perform("plug_in", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            await cs_connectors_reported(
                csms, sut, "Occupied", label="IdTokenCached", only=(tx.evse_id, tx.connector_id)
            )
            await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            await cs_connectors_reported(
                csms, sut, "Available", label="IdTokenCached", only=(tx.evse_id, tx.connector_id)
            )
            if tx.start_points & _SESSION_START_POINTS:
                await _until_ended(csms, start)
        # Reusable State ParkingBayUnoccupied: only a station using its bay detector has a car to drive out.
        if "ParkingBayOccupancy" in tx.stop_points:
            with step("ParkingBayUnoccupied: manual action, drive the EV out of the parking bay"):
                await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})
    csms.discard_inbox()

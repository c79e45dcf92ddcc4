"""Block E, Transactions: charging station under test (Part 6, E-cases of the charging-station half).

The harness plays the CSMS. Part 6's configuration state is set with SetVariables and restored afterwards
(`configured`); every case leaves the station idle, connectors Available, no transaction running.
Covered (Core:M): TC_E_28/30/32/34_CS (E14, GetTransactionStatus), TC_E_39_CS (EVConnectionTimeOut),
TC_E_41/42_CS (E13, retries without a response; about 28 s each: the station's MessageTimeout per
transmission) and TC_E_50/51_CS (E13, retries after CALLERROR).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.errors import ConformanceFailure, SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.session import ReceivedCall
from conformance.session.states.cs import CsTransaction, cs_connectors_reported
from conformance.testing import case, check, check_equal, step


# ------------------------------------------------------------------ configuration state
@dataclass(frozen=True)
class Setting:
    """One line of Part 6's "Configuration State" (`instance` for e.g. MessageAttempts.TransactionEvent).

    only_if_writable: Part 6's "(If implemented AND ReadWrite)" / "(If implemented)": a station that does
    not have the variable, or refuses the write, keeps its value and the case goes on. Otherwise a
    station that cannot be put in the state makes the case not applicable (skipped, reason named)."""

    component: str
    variable: str
    value: str
    instance: str | None = None
    only_if_writable: bool = False

    @property
    def ref(self) -> dict[str, Any]:
        variable: dict[str, Any] = {"name": self.variable}
        if self.instance is not None:
            variable["instance"] = self.instance
        return {"component": {"name": self.component}, "variable": variable}

    @property
    def name(self) -> str:
        return f"{self.component}.{self.variable}" + (f".{self.instance}" if self.instance else "")


async def read_variable(csms: HarnessCsms, setting: Setting) -> str | None:
    """The variable's Actual value, or None when the station does not report it."""
    response = await csms.call_ok("GetVariables", {"getVariableData": [setting.ref]})
    results = response.get("getVariableResult", [])
    if not results or results[0].get("attributeStatus") != "Accepted":
        return None
    return str(results[0].get("attributeValue", ""))


async def _write(csms: HarnessCsms, setting: Setting, value: str) -> str:
    response = await csms.call_ok(
        "SetVariables", {"setVariableData": [{**setting.ref, "attributeValue": value}]}
    )
    results = response.get("setVariableResult", [])
    return str(results[0].get("attributeStatus", "")) if results else ""


@contextlib.asynccontextmanager
async def configured(csms: HarnessCsms, settings: Sequence[Setting]) -> AsyncIterator[None]:
    """Put the station in Part 6's configuration state; put every changed value back afterwards."""
    changed: list[tuple[Setting, str]] = []
    try:
        with step("Configuration state: " + ", ".join(f"{s.name} = {s.value}" for s in settings)):
            for setting in settings:
                old = await read_variable(csms, setting)
                if old is not None and old.strip().casefold() == setting.value.casefold():
                    continue
                status = "not implemented" if old is None else await _write(csms, setting, setting.value)
                if status == "Accepted" and old is not None:
                    changed.append((setting, old))
                elif not setting.only_if_writable:
                    pytest.skip(
                        f"the station cannot be set to {setting.name} = {setting.value} ({status}):"
                        " the case's configuration state cannot be reached"
                    )
        yield
    finally:
        if changed and csms.connected:
            with step("Restore the configuration: " + ", ".join(s.name for s, _ in changed)):
                for setting, old in reversed(changed):
                    await _write(csms, setting, old)


# ------------------------------------------------------------------ shared steps
async def _booted(csms: HarnessCsms, sut: Any) -> None:
    """Part 6's general precondition (booted, Accepted), when a case runs first in the session.

    The fixture hands over the station once it is connected, possibly before its BootNotification;
    `sut_identity` is set by the session at the first BootNotification and survives across cases."""
    if csms.sut_identity:
        return
    with step("Precondition: the station boots (BootNotification accepted)"):
        await csms.expect("BootNotification", timeout=sut.timeouts.connect)
    await cs_connectors_reported(csms, sut, "Available", label="Precondition")


async def _get_transaction_status(
    csms: HarnessCsms, transaction_id: str | None, label: str
) -> dict[str, Any]:
    request = {} if transaction_id is None else {"transactionId": transaction_id}
    what = "omitted" if transaction_id is None else repr(transaction_id)
    with step(f"{label}: the OCTT sends GetTransactionStatusRequest, transactionId {what}"):
        return await csms.call_ok("GetTransactionStatus", request)


def _check_status(
    response: dict[str, Any],
    *,
    ongoing: bool | None,
    queued: bool,
    label: str,
    rule_ongoing: str,
    rule_queue: str,
) -> None:
    """Tool validations of GetTransactionStatusResponse; `ongoing` None means the field must be omitted."""
    if ongoing is None:
        check(
            "ongoingIndicator" not in response,
            f"{rule_ongoing}: GetTransactionStatusResponse.ongoingIndicator must be omitted when the request"
            f" has no transactionId ({label}), got {response.get('ongoingIndicator')!r}",
        )
    else:
        check_equal(
            response.get("ongoingIndicator"),
            ongoing,
            f"{rule_ongoing}: GetTransactionStatusResponse.ongoingIndicator ({label})",
        )
    check_equal(
        response.get("messagesInQueue"),
        queued,
        f"{rule_queue}: GetTransactionStatusResponse.messagesInQueue ({label})",
    )


async def _end_transaction(tx: CsTransaction) -> None:
    """Not a Part 6 step (unless a case says so): StopAuthorized, EVConnectedPostSession, EVDisconnected."""
    if tx.authorized:
        await tx.stop_authorized()
    if tx.ev_connected:
        await tx.ev_connected_post_session()
        await tx.ev_disconnected()


async def _cleanup(tx: CsTransaction, ok: bool) -> None:
    """Leave the station idle for the next case; after a failure, try without masking that failure."""
    if ok:
        with step("Cleanup: end the transaction, disconnect the EV"):
            await _end_transaction(tx)
        return
    with contextlib.suppress(Exception):
        tx.csms.release("TransactionEvent")
        if tx.authorized and tx.started and not tx.ended:
            await tx.csms.call("RequestStopTransaction", {"transactionId": tx.transaction_id})
        if tx.ev_connected:
            await tx.actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})


async def _parking_bay_unoccupied(tx: CsTransaction) -> None:
    """Reusable State ParkingBayUnoccupied (Table 435), after EVDisconnected.

    The manual action "drive the EV out" is performed when the driver can; a station without a parking
    bay detector does not notice it, so without the action only a TxStopPoint with ParkingBayOccupancy
    makes the state impossible (the case is then skipped by the driver)."""
    await _end_transaction(tx)
    needs_event = "ParkingBayOccupancy" in tx.stop_points and not tx.ended
    if not needs_event and not tx.actions.supports("parking_bay_unoccupied"):
        return
    with step("ParkingBayUnoccupied: manual action, drive the EV out of the parking bay"):
        await tx.actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})
    if needs_event:
        with step("ParkingBayUnoccupied 1-2: TransactionEventRequest EVDeparted, Ended"):
            received = await tx.csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id,
                what="the transaction event for the EV leaving the parking bay",
            )
            payload = received.payload
            check_equal(
                payload.get("triggerReason"), "EVDeparted", "triggerReason (ParkingBayUnoccupied step 1)"
            )
            check_equal(payload.get("eventType"), "Ended", "eventType (ParkingBayUnoccupied step 1)")
            check_equal(
                payload.get("transactionInfo", {}).get("stoppedReason"),
                "Remote" if tx.auth_mode == "remote" else "Local",
                "transactionInfo.stoppedReason (ParkingBayUnoccupied step 1)",
            )
            tx.ended = True


# ------------------------------------------------------------------ E14: GetTransactionStatus
_E14_ONGOING = r"E14\.FR\.0\d: GetTransactionStatusResponse\.ongoingIndicator"


@case(
    "TC_E_28_CS",
    requirements=("E14.FR.01",),
    catches={
        "tx-status-ongoing-any-id": _E14_ONGOING,
        "tx-status-ongoing-missing": _E14_ONGOING,
    },
)
async def test_TC_E_28_CS(csms: HarnessCsms, sut: Any) -> None:
    """E14: GetTransactionStatus for an unknown transactionId: not ongoing, nothing queued."""
    await _booted(csms, sut)
    response = await _get_transaction_status(csms, str(uuid.uuid4()), "1-2")
    _check_status(
        response,
        ongoing=False,
        queued=False,
        label="step 2",
        rule_ongoing="E14.FR.01",
        rule_queue="E14.FR.01",
    )


@case(
    "TC_E_30_CS",
    requirements=("E14.FR.02", "E14.FR.05"),
    catches={"tx-status-ongoing-missing": _E14_ONGOING},
)
async def test_TC_E_30_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E14: GetTransactionStatus for the running transaction (EnergyTransferStarted), no queued message."""
    await _booted(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    ok = False
    try:
        await tx.energy_transfer_started()
        response = await _get_transaction_status(csms, tx.transaction_id, "1-2")
        _check_status(
            response,
            ongoing=True,
            queued=False,
            label="step 2",
            rule_ongoing="E14.FR.02",
            rule_queue="E14.FR.05",
        )
        ok = True
    finally:
        await _cleanup(tx, ok)


@case(
    "TC_E_32_CS",
    requirements=("E14.FR.03", "E14.FR.05"),
    catches={"tx-status-ongoing-any-id": _E14_ONGOING, "tx-status-ongoing-missing": _E14_ONGOING},
)
async def test_TC_E_32_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E14: GetTransactionStatus for an ended transaction (EnergyTransferStarted, ParkingBayUnoccupied)."""
    await _booted(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    ok = False
    try:
        await tx.energy_transfer_started()
        await _parking_bay_unoccupied(tx)
        ok = True
    finally:
        if not ok:
            await _cleanup(tx, ok)
    check(tx.ended, "the transaction of the Before states did not end (no TransactionEventRequest Ended)")
    response = await _get_transaction_status(csms, tx.transaction_id, "1-2")
    _check_status(
        response,
        ongoing=False,
        queued=False,
        label="step 2",
        rule_ongoing="E14.FR.03",
        rule_queue="E14.FR.05",
    )


@case(
    "TC_E_34_CS",
    requirements=("E14.FR.06", "E14.FR.08"),
    catches={"tx-status-ongoing-without-id": _E14_ONGOING},
)
async def test_TC_E_34_CS(csms: HarnessCsms, sut: Any) -> None:
    """E14: GetTransactionStatus without transactionId, nothing queued: ongoingIndicator omitted."""
    await _booted(csms, sut)
    response = await _get_transaction_status(csms, None, "1-2")
    _check_status(
        response, ongoing=None, queued=False, label="step 2", rule_ongoing="E14.FR.06", rule_queue="E14.FR.08"
    )


# ------------------------------------------------------------------ E13: retries of TransactionEvents
# Short values a real station accepts too (Part 6: attempts > 1, > 2 for the success cases), so a run
# takes seconds: transmissions at 0, +1 s, +2 s, then one more (multiplied) interval of silence. Without
# a response (TC_E_41/42_CS) each transmission also costs the station's MessageTimeout.
_ATTEMPTS = 3
_INTERVAL = 1
# A resend may come a little before the nominal interval as the harness measures it (receive times).
_EARLY = 0.5


def _book(tx: CsTransaction, payload: dict[str, Any]) -> None:
    """Keep the transaction's book (id, started / ended) for events the case answered itself."""
    if not tx.started and payload.get("eventType") == "Started":
        tx.started, tx.transaction_id = True, payload.get("transactionInfo", {}).get("transactionId")
    tx.ended = tx.ended or payload.get("eventType") == "Ended"
    tx.events.append(payload)


def _is_optional_step(payload: dict[str, Any]) -> bool:
    """Steps 1-4 of TC_E_41/42/50/51_CS: SignedDataReceived, or ChargingStateChanged to SuspendedEVSE."""
    trigger = payload.get("triggerReason")
    state = payload.get("transactionInfo", {}).get("chargingState")
    return trigger == "SignedDataReceived" or (trigger == "ChargingStateChanged" and state == "SuspendedEVSE")


def _same_message(first: dict[str, Any], again: dict[str, Any]) -> bool:
    """A resend is the same TransactionEventRequest: same transaction, seqNo, eventType, trigger."""
    keys = ("seqNo", "eventType", "triggerReason")
    tx_id = first.get("transactionInfo", {}).get("transactionId")
    return again.get("transactionInfo", {}).get("transactionId") == tx_id and all(
        again.get(k) == first.get(k) for k in keys
    )


def _describe(payload: dict[str, Any]) -> str:
    return (
        f"seqNo {payload.get('seqNo')} {payload.get('eventType')}/{payload.get('triggerReason')}"
        f" of transaction {payload.get('transactionInfo', {}).get('transactionId')!r}"
    )


async def _answer_state_events(csms: HarnessCsms, tx: CsTransaction) -> None:
    """TransactionEvents the reusable states took while they were held: the OCTT answers them (step 4)."""
    for received in csms.history("TransactionEvent"):
        if not received.answered and any(received.payload is e for e in tx.events):
            await received.reply({})


async def _answer_all_held(csms: HarnessCsms) -> None:
    for received in csms.history("TransactionEvent"):
        if not received.answered:
            await received.reply({})


async def _target_event(csms: HarnessCsms, tx: CsTransaction) -> ReceivedCall:
    """Steps 1-5: answer the optional steps 1-4; the first other TransactionEvent is step 5's message."""
    while True:
        with step("1-5: the station sends TransactionEventRequest(s)"):
            received = await csms.expect("TransactionEvent", what="the transaction event of step 5")
        _book(tx, received.payload)
        if not _is_optional_step(received.payload):
            return received
        with step("2/4: the OCTT responds with TransactionEventResponse (optional step)"):
            await received.reply({})


async def _expect_resend(
    csms: HarnessCsms,
    sut: Any,
    tx: CsTransaction,
    first: ReceivedCall,
    previous: ReceivedCall,
    n: int,
    extra: float,
    attempts: int,
) -> ReceivedCall:
    """Transmission n+1 of step 5's message: the same message, interval * n (+ `extra`) after the last."""
    nominal = _INTERVAL * n + extra
    with step(f"5: transmission {n + 1} of the failed TransactionEventRequest ({_describe(first.payload)})"):
        try:
            again = await csms.expect(
                "TransactionEvent",
                timeout=nominal + sut.timeouts.timestamp_tolerance,
                what=f"transmission {n + 1} of {_describe(first.payload)}",
            )
        except SutTimeout as exc:
            raise ConformanceFailure(
                f"[conformance] E13.FR.01: the station must resend the failed TransactionEventRequest"
                f" ({_describe(first.payload)}), transmission {n + 1} of {attempts}: {exc}"
            ) from None
        _book(tx, again.payload)
        check(
            _same_message(first.payload, again.payload),
            f"E13.FR.01: transmission {n + 1} must resend the failed TransactionEventRequest"
            f" ({_describe(first.payload)}), got {_describe(again.payload)}",
        )
        gap = again.received_at - previous.received_at
        check(
            gap >= nominal - _EARLY,
            f"E13.FR.02: transmission {n + 1} came {gap:.2f} s after the previous one; the interval is"
            f" MessageAttemptInterval ({_INTERVAL} s) * {n} preceding transmission(s)"
            + (f" + MessageTimeout ({extra:g} s)" if extra else ""),
        )
        check(
            gap <= nominal + sut.timeouts.timestamp_tolerance,
            f"E13.FR.02: transmission {n + 1} came {gap:.2f} s after the previous one"
            f" (expected about {nominal:g} s)",
        )
    return again


async def _no_more_resends(
    csms: HarnessCsms, sut: Any, tx: CsTransaction, first: ReceivedCall, n: int, extra: float, rule: str
) -> None:
    """The additional (multiplied) interval: step 5's message is not sent again; other events are answered."""
    window = _INTERVAL * n + extra + sut.timeouts.timestamp_tolerance
    deadline = time.monotonic() + window
    with step(f"Tool validation: no further transmission of {_describe(first.payload)} within {window:g} s"):
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                received = await csms.expect("TransactionEvent", timeout=remaining)
            except SutTimeout:  # silence until the deadline is the expected outcome
                return
            _book(tx, received.payload)
            check(
                not _same_message(first.payload, received.payload),
                f"{rule}: the station sent the TransactionEventRequest ({_describe(first.payload)}) again"
                f" after it was {'answered' if rule.endswith('03') else f'sent {n} times'}",
            )
            await received.reply({})


def _ignore(received: ReceivedCall) -> None:
    """The OCTT never answers this CALL (TC_E_41/42_CS). The station may send again once its message
    timeout has passed (OCPP-J), so the CALL must not stay open in the session's one-CALL-at-a-time check.
    Workaround: the session has no public "leave unanswered" yet (see the block E report)."""
    received.session._tracker.outgoing_response(received.call.unique_id)


async def _message_timeout(csms: HarnessCsms) -> float:
    value = await read_variable(csms, Setting("OCPPCommCtrlr", "MessageTimeout", "", instance="Default"))
    try:
        return float(value) if value else 30.0
    except ValueError:
        return 30.0


async def _retry_case(
    csms: HarnessCsms,
    sut: Any,
    actions: Any,
    *,
    callerror: bool,
    attempts: int,
    success_on: int | None,
) -> None:
    """E13 retries. callerror: every failed transmission gets CALLERROR InternalError (TC_E_50/51_CS), else
    no answer at all (TC_E_41/42_CS, the interval then includes MessageTimeout). success_on: the
    transmission that gets a TransactionEventResponse (TC_E_42/51_CS), None: none (TC_E_41/50_CS)."""
    await _booted(csms, sut)
    settings = (
        Setting("OCPPCommCtrlr", "MessageAttempts", str(attempts), instance="TransactionEvent"),
        Setting("OCPPCommCtrlr", "MessageAttemptInterval", str(_INTERVAL), instance="TransactionEvent"),
    )
    async with configured(csms, settings):
        extra = 0.0 if callerror else await _message_timeout(csms)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.authorize()
            # Held from here: the OCTT decides per message how to answer (the state's own event included).
            csms.hold("TransactionEvent")
            await tx.ev_connected_pre_session()
            await _answer_state_events(csms, tx)
            first = previous = await _target_event(csms, tx)
            for n in range(1, attempts + 1):
                answer_ok = n == success_on
                failure = "CALLERROR InternalError" if callerror else "no response (ignored)"
                with step(
                    f"6: the OCTT answers transmission {n} with "
                    + ("a TransactionEventResponse" if answer_ok else failure)
                ):
                    if answer_ok:
                        await previous.reply({})
                    elif callerror:
                        await previous.error("InternalError", "TC_E_50/51_CS: failed on purpose")
                    else:
                        _ignore(previous)
                if answer_ok or n == attempts:
                    break
                previous = await _expect_resend(csms, sut, tx, first, previous, n, extra, attempts)
            rule = "E13.FR.03" if success_on is not None else "E13.FR.04"
            await _no_more_resends(csms, sut, tx, first, n, extra, rule)
            csms.release("TransactionEvent")
            ok = True
        finally:
            if not ok:
                with contextlib.suppress(Exception):
                    await _answer_all_held(csms)
            csms.release("TransactionEvent")
            await _cleanup(tx, ok)


@case(
    "TC_E_50_CS",
    requirements=("E13.FR.01", "E13.FR.02", "E13.FR.03", "E13.FR.04"),
    catches={
        "tx-event-no-retry": r"E13\.FR\.01: transmission 2 must resend the failed TransactionEventRequest",
        "tx-event-retry-unbounded": r"E13\.FR\.04: the station sent the TransactionEventRequest .* again",
    },
)
async def test_TC_E_50_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E13: every transmission of a TransactionEvent answered with CALLERROR: resent MessageAttempts times."""
    await _retry_case(csms, sut, actions, callerror=True, attempts=_ATTEMPTS, success_on=None)


@case(
    "TC_E_51_CS",
    requirements=("E13.FR.01", "E13.FR.02", "E13.FR.03"),
    catches={
        "tx-event-no-retry": r"E13\.FR\.01: transmission 2 must resend the failed TransactionEventRequest"
    },
)
async def test_TC_E_51_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E13: CALLERROR on the first transmission, a response to the second: no third transmission."""
    await _retry_case(csms, sut, actions, callerror=True, attempts=_ATTEMPTS, success_on=2)


# ------------------------------------------------------------------ E06(S3): EVConnectionTimeOut
# <Configured ev_connection_timeout>: the SUT description's value, else a short one (a real station
# waits it out in real time; the built-in one's clock is advanced through the driver instead).
_EV_CONNECTION_TIMEOUT = "5"


async def _wait_ev_connection_timeout(csms: HarnessCsms, sut: Any, actions: Any, seconds: float) -> None:
    """Let TxCtrlr.EVConnectionTimeOut expire: advance the station's clock where the driver can, else wait
    (bounded) for it, no TransactionEvent being expected meanwhile (TxStartPoint has no Authorized)."""
    if actions.supports("advance_clock"):
        with step(f"Wait: EVConnectionTimeOut ({seconds:g} s) expires (station clock advanced)"):
            await actions.perform("advance_clock", {"seconds": seconds + 1})
        return
    with step(f"Wait: EVConnectionTimeOut ({seconds:g} s) expires"):
        await csms.expect_no_message(seconds + sut.timeouts.timestamp_tolerance, action="TransactionEvent")


def _check_no_charging_after_timeout(payload: dict[str, Any]) -> None:
    """TC_E_39_CS step 5 (errata 2025-01 numbering): a cable plugged in after the timeout must not start
    charging; a TransactionEventRequest for the plug-in is allowed."""
    rule = "E06.FR.04 (TC_E_39_CS step 5): the authorization expired with EVConnectionTimeOut"
    check_equal(
        payload.get("triggerReason"), "CablePluggedIn", f"{rule}; TransactionEventRequest triggerReason"
    )
    state = payload.get("transactionInfo", {}).get("chargingState")
    check(
        state != "Charging",
        f"{rule}; the station must not start charging, TransactionEventRequest chargingState is {state!r}",
    )


@case(
    "TC_E_39_CS",
    requirements=("E06.FR.04", "E06.FR.15"),
    catches={
        "ev-connection-timeout-ignored": r"E06\.FR\.04 \(TC_E_39_CS step 5\): the authorization expired"
    },
)
async def test_TC_E_39_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S3): authorized, no cable within EVConnectionTimeOut: the authorization (and a transaction
    started at Authorized / ParkingBayOccupancy) ends; a later plug-in does not start charging."""
    await _booted(csms, sut)
    stop_point = Setting("TxCtrlr", "TxStopPoint", "")
    stop = await read_variable(csms, stop_point)
    timeout = sut.device_model.get("TxCtrlr", "EVConnectionTimeOut") or _EV_CONNECTION_TIMEOUT
    settings = [
        Setting("TxCtrlr", "EVConnectionTimeOut", timeout),
        Setting("AuthCtrlr", "Enabled", "true", only_if_writable=True),
        # "(If implemented)": a station without it is fine; one that refuses keeps its own value.
        Setting("AuthCtrlr", "DisableRemoteAuthorization", "false", only_if_writable=True),
    ]
    if stop is not None and "Authorized" not in [p.strip() for p in stop.split(",")]:
        # Prerequisite: TxStopPoint must contain Authorized; a station that refuses it is not applicable.
        settings.insert(0, Setting("TxCtrlr", "TxStopPoint", f"{stop},Authorized" if stop else "Authorized"))
    async with configured(csms, settings):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.authorize()
            if tx.started:  # TxStartPoint has Authorized or ParkingBayOccupancy: steps 1-2
                if actions.supports("advance_clock"):
                    await actions.perform("advance_clock", {"seconds": float(timeout) + 1})
                with step("1-2: the station sends TransactionEventRequest EVConnectTimeout"):
                    try:
                        received = await csms.expect(
                            "TransactionEvent",
                            timeout=float(timeout) + csms.timeout,
                            what="the transaction event for the EV connection timeout",
                        )
                    except SutTimeout as exc:
                        raise ConformanceFailure(
                            "[conformance] E06.FR.04: the transaction started at Authorized must end (or be"
                            f" updated) with triggerReason EVConnectTimeout after EVConnectionTimeOut: {exc}"
                        ) from None
                    _book(tx, received.payload)
                    payload = received.payload
                    check_equal(
                        payload.get("triggerReason"), "EVConnectTimeout", "E06.FR.04: triggerReason (step 1)"
                    )
                    ends = "ParkingBayOccupancy" not in tx.start_points
                    check_equal(
                        payload.get("eventType"),
                        "Ended" if ends else "Updated",
                        "E06.FR.04: eventType (step 1)",
                    )
                    if ends:  # stoppedReason belongs to the Ended event only
                        check_equal(
                            payload.get("transactionInfo", {}).get("stoppedReason"),
                            "Timeout",
                            "E06.FR.15: transactionInfo.stoppedReason (step 1)",
                        )
            else:
                await _wait_ev_connection_timeout(csms, sut, actions, float(timeout))
            tx.authorized = False
            with step("Manual action: connect the EV and EVSE"):
                await actions.perform("plug_in", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            tx.ev_connected = True
            await cs_connectors_reported(
                csms, sut, "Occupied", label="3-4", only=(tx.evse_id, tx.connector_id)
            )
            deadline = time.monotonic() + sut.timeouts.no_message
            with step("5-6: TransactionEventRequest for the plug-in allowed, charging not started"):
                while (remaining := deadline - time.monotonic()) > 0:
                    try:
                        received = await csms.expect("TransactionEvent", timeout=remaining)
                    except SutTimeout:  # no (more) event within the window: as it should be
                        break
                    _book(tx, received.payload)
                    _check_no_charging_after_timeout(received.payload)
            ok = True
        finally:
            with step("Cleanup: disconnect the EV"):
                if tx.ev_connected:
                    await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
                    if ok:
                        await cs_connectors_reported(
                            csms, sut, "Available", label="Cleanup", only=(tx.evse_id, tx.connector_id)
                        )


@case(
    "TC_E_41_CS",
    requirements=("E13.FR.01", "E13.FR.02", "E13.FR.03", "E13.FR.04"),
    catches={
        "tx-event-no-retry": r"E13\.FR\.01: transmission 2 must resend the failed TransactionEventRequest",
        "tx-event-retry-unbounded": r"E13\.FR\.04: the station sent the TransactionEventRequest .* again",
    },
)
async def test_TC_E_41_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E13: a TransactionEvent never answered: resent MessageAttempts (2) times, then no more."""
    await _retry_case(csms, sut, actions, callerror=False, attempts=2, success_on=None)


@case(
    "TC_E_42_CS",
    requirements=("E13.FR.01", "E13.FR.02", "E13.FR.03"),
    catches={
        "tx-event-no-retry": r"E13\.FR\.01: transmission 2 must resend the failed TransactionEventRequest",
    },
)
async def test_TC_E_42_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E13: the first transmission not answered, the second answered: no third transmission."""
    await _retry_case(csms, sut, actions, callerror=False, attempts=_ATTEMPTS, success_on=2)

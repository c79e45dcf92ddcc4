"""Block E, Transactions: charging station under test (Part 6, E-cases of the charging-station half).

The harness plays the CSMS. Part 6's configuration state is set with SetVariables and restored afterwards
(`conformance.testing.configured`); every case leaves the station idle, connectors Available, no
transaction running (`_leave_idle`, not a Part 6 step).
Covered: TC_E_28/30/32/34_CS (E14, GetTransactionStatus), TC_E_39_CS (EVConnectionTimeOut), TC_E_41/42_CS
(E13, retries without a response; MessageTimeout per transmission, on the station's clock where the
driver can advance it),
TC_E_50/51_CS (E13, retries after CALLERROR); start options TC_E_01/02/09/10/11/12/13_CS (E01); local start
TC_E_03/04/05_CS (E02/E03); stop options TC_E_06/07/08/14/15/19/20/21/22/35/37_CS (E06/E07); EV-side
disconnect TC_E_17/24/25/26_CS (E09/E10); TC_E_52_CS (DisableRemoteAuthorization); TC_E_16_CS (deauthorized
after an offline start, E06(S3) + C15).

"TxStartPoint / TxStopPoint contains X (if ReadWrite)" is written as exactly X (the prerequisites exclude
the other points); a station that refuses keeps its value, which must then meet the prerequisite, else
the case is skipped as not applicable. Timeouts that are a station's failure to send a message name the
requirement (`_fail_as`).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest

from conformance.errors import ConformanceFailure, SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.session import ReceivedCall
from conformance.session.states.cs import (
    CsTransaction,
    cs_booted,
    cs_connectors_reported,
    cs_precondition_booted,
    id_token_cached,
)
from conformance.testing import Setting, case, check, check_equal, check_in, configured, read_variable, step

# ------------------------------------------------------------------ shared steps


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
        if tx.started and not tx.ended:
            # the station may still be resending this transaction's events: its Ended one comes last
            await tx.csms.expect(
                "TransactionEvent",
                where=lambda p: _ours(tx)(p) and p.get("eventType") == "Ended",
                timeout=tx.csms.timeout * 4,
                what="the Ended event of the case's transaction (cleanup)",
            )
    with contextlib.suppress(Exception), step("Cleanup after the failure: Reset (Reusable State Booted)"):
        await cs_booted(tx.csms, tx.sut)


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
    await cs_precondition_booted(csms, sut)
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
    await cs_precondition_booted(csms, sut)
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
    await cs_precondition_booted(csms, sut)
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
    await cs_precondition_booted(csms, sut)
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
# With advance_clock, the silence window after the last transmission passes on the station's clock but
# for this many real seconds first (then `no_message`): the station's retry timer has surely started.
_REAL_TAIL = 1.0


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
    skip: float = 0.0,
) -> ReceivedCall:
    """Transmission n+1 of step 5's message: the same message, interval * n (+ `extra`) after the last;
    `skip`: seconds of that the station's clock was advanced (so fewer real ones)."""
    nominal = _INTERVAL * n + extra
    real = nominal - skip
    with step(f"5: transmission {n + 1} of the failed TransactionEventRequest ({_describe(first.payload)})"):
        try:
            again = await csms.expect(
                "TransactionEvent",
                timeout=real + sut.timeouts.timestamp_tolerance,
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
        advanced = f" (station clock advanced {skip:g} s of it)" if skip else ""
        check(
            gap >= real - _EARLY,
            f"E13.FR.02: transmission {n + 1} came {gap:.2f} s after the previous one{advanced}; the interval"
            f" is MessageAttemptInterval ({_INTERVAL} s) * {n} preceding transmission(s)"
            + (f" + MessageTimeout ({extra:g} s)" if extra else ""),
        )
        check(
            gap <= real + sut.timeouts.timestamp_tolerance,
            f"E13.FR.02: transmission {n + 1} came {gap:.2f} s after the previous one{advanced}"
            f" (expected about {nominal:g} s)",
        )
    return again


async def _no_more_resends(
    csms: HarnessCsms,
    sut: Any,
    actions: Any,
    tx: CsTransaction,
    first: ReceivedCall,
    n: int,
    extra: float,
    rule: str,
) -> None:
    """The additional (multiplied) interval: step 5's message is not sent again; other events are answered.
    With advance_clock: MessageTimeout on the station's clock, _REAL_TAIL real seconds (its retry timer has
    surely started, even one started only once the timeout expired), the rest of the window on its clock,
    then `no_message` real seconds for a resend that advance made due."""
    window = _INTERVAL * n + extra + sut.timeouts.timestamp_tolerance
    rest = window - extra - _REAL_TAIL
    clocked = actions.supports("advance_clock") and rest > sut.timeouts.no_message
    with step(f"Tool validation: no further transmission of {_describe(first.payload)} within {window:g} s"):
        if clocked and extra:
            csms.message_timeout = 0.0  # past MessageTimeout on its clock the unanswered CALL timed out
            await actions.perform("advance_clock", {"seconds": extra})
        await _silence(csms, tx, first, n, rule, _REAL_TAIL if clocked else window)
        if clocked:
            await actions.perform("advance_clock", {"seconds": rest})
            await _silence(csms, tx, first, n, rule, sut.timeouts.no_message)


async def _silence(
    csms: HarnessCsms, tx: CsTransaction, first: ReceivedCall, n: int, rule: str, seconds: float
) -> None:
    """For `seconds`: step 5's message must not come again; other TransactionEvents are answered."""
    deadline = time.monotonic() + seconds
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
    await cs_precondition_booted(csms, sut)
    settings = (
        Setting("OCPPCommCtrlr", "MessageAttempts", str(attempts), instance="TransactionEvent"),
        Setting("OCPPCommCtrlr", "MessageAttemptInterval", str(_INTERVAL), instance="TransactionEvent"),
    )
    async with configured(csms, settings):
        extra = 0.0 if callerror else await _message_timeout(csms)
        # Unanswered transmissions (TC_E_41/42_CS): MessageTimeout passes on the station's clock where the
        # driver can. It runs from the station's own send, so the advance cannot race it.
        clocked = bool(extra) and actions.supports("advance_clock")
        if extra:
            # The OCTT leaves some transmissions unanswered: after MessageTimeout the station may send
            # again (OCPP-J), so the session forgets the unanswered CALL after that long.
            csms.message_timeout = extra
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
                    # else: no response at all; the session forgets it after message_timeout
                if answer_ok or n == attempts:
                    break
                # MessageTimeout only: a station may start the interval once it expired; that runs in real
                # time, so a resend ignoring MessageTimeout (due at once) or the interval is still caught.
                advance = extra if clocked else 0.0
                if advance:
                    with step(f"Wait: MessageTimeout passes (station clock +{advance:g} s)"):
                        # Past MessageTimeout on the station's clock its CALL has timed out: forget it now.
                        csms.message_timeout = 0.0
                        await actions.perform("advance_clock", {"seconds": advance})
                # After a CALLERROR the intervals stay real: the station's timer starts when it has read the
                # error, which the harness cannot see, so an advance could race it.
                previous = await _expect_resend(csms, sut, tx, first, previous, n, extra, attempts, advance)
                csms.message_timeout = extra or None  # the resend's own MessageTimeout runs in real time
            rule = "E13.FR.03" if success_on is not None else "E13.FR.04"
            await _no_more_resends(csms, sut, actions, tx, first, n, extra, rule)
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
    await cs_precondition_booted(csms, sut)
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


# ------------------------------------------------------------------ E01 / E06: start and stop options
# Part 6's "If the mutability of TxStartPoint / TxStopPoint is ReadWrite then it contains X": the OCTT
# writes X; a station that refuses keeps its value, which must then contain X (prerequisite), else the case
# is not applicable. X is written alone, so no other point (excluded by the prerequisites) interferes.
_AUTH_ENABLED = (
    Setting("AuthCtrlr", "Enabled", "true", only_if_writable=True),
    # "(If implemented)": a station without it is fine; one that refuses keeps its own value.
    Setting("AuthCtrlr", "DisableRemoteAuthorization", "false", only_if_writable=True),
)
_STOP_ON_EV_SIDE = "StopTxOnEVSideDisconnect"
_UNLOCK_ON_EV_SIDE = "UnlockOnEVSideDisconnect"


def _point(kind: str, value: str) -> Setting:
    return Setting("TxCtrlr", kind, value, only_if_writable=True)


def _split(value: str | None) -> set[str]:
    return {p.strip() for p in (value or "").split(",") if p.strip()}


async def _require_points(
    csms: HarnessCsms, kind: str, wanted: Iterable[str], absent: Iterable[str] = ()
) -> None:
    """Prerequisite: TxCtrlr.<kind> has one of `wanted` and none of `absent`; else not applicable."""
    current = await read_variable(csms, Setting("TxCtrlr", kind, ""))
    points = _split(current)
    if not points & set(wanted) or points & set(absent):
        pytest.skip(
            f"prerequisite not met: TxCtrlr.{kind} is {current!r} and the station did not accept"
            f" {' or '.join(wanted)}{' without ' + ', '.join(absent) if absent else ''}"
        )


async def _fail_as(rule: str, action: Awaitable[Any]) -> Any:
    """Run a step; a message the station does not send is a failure of `rule` (named in the message)."""
    try:
        return await action
    except SutTimeout as exc:
        raise ConformanceFailure(f"[conformance] {rule}: {str(exc).removeprefix('[conformance] ')}") from None


def _ours(tx: CsTransaction) -> Callable[[dict[str, Any]], bool]:
    def match(payload: dict[str, Any]) -> bool:
        tx_id = payload.get("transactionInfo", {}).get("transactionId")
        return tx.transaction_id is None or tx_id == tx.transaction_id

    return match


async def _next_event(tx: CsTransaction, what: str, rule: str) -> dict[str, Any]:
    """The station's next TransactionEventRequest of this transaction (the harness answers it)."""
    received = await _fail_as(rule, tx.csms.expect("TransactionEvent", where=_ours(tx), what=what))
    _book(tx, received.payload)
    return dict(received.payload)


async def _events_until_ended(tx: CsTransaction, what: str, rule: str) -> list[dict[str, Any]]:
    """Errata 2025-01 (TC_E_35_CS) reading: the station may send several TransactionEventRequests for one
    stop; they are collected up to the Ended one (bounded by the session timeout per message)."""
    events: list[dict[str, Any]] = []
    while not events or events[-1].get("eventType") != "Ended":
        events.append(await _next_event(tx, what, rule))
    return events


def _check_evse(tx: CsTransaction, payload: dict[str, Any], rule: str) -> None:
    evse = payload.get("evse") or {}
    check("evse" in payload, f"{rule}: TransactionEventRequest.evse must be provided in the Started event")
    check_equal(evse.get("id"), tx.evse_id, f"{rule}: TransactionEventRequest.evse.id")
    check_equal(evse.get("connectorId"), tx.connector_id, f"{rule}: TransactionEventRequest.evse.connectorId")


def _check_token(tx: CsTransaction, payload: dict[str, Any], rule: str) -> None:
    token = payload.get("idToken") or {}
    check_equal(token.get("idToken"), tx.token["idToken"], f"{rule}: TransactionEventRequest.idToken.idToken")
    check_equal(token.get("type"), tx.token["type"], f"{rule}: TransactionEventRequest.idToken.type")


async def _drop_stale_reports(csms: HarnessCsms) -> None:
    """Connector reports received before a manual action (e.g. the NotifyEvent doubling a StatusNotification
    already taken) cannot be the report of that action: take them out of the way first."""
    with contextlib.suppress(SutTimeout):
        while True:
            await csms.expect(("StatusNotification", "NotifyEvent"), timeout=0)


async def _plug_in(tx: CsTransaction, label: str) -> None:
    """Manual action: connect the EV and EVSE; the station reports the connector Occupied."""
    await _drop_stale_reports(tx.csms)
    with step(f"{label}: manual action, connect the EV and EVSE"):
        await tx.actions.perform("plug_in", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
    tx.ev_connected = True
    await cs_connectors_reported(tx.csms, tx.sut, "Occupied", label=label, only=(tx.evse_id, tx.connector_id))


async def _unplugged(tx: CsTransaction, label: str) -> None:
    """Manual action: disconnect the EV and EVSE (station side); the station reports it Available."""
    await _drop_stale_reports(tx.csms)
    with step(f"{label}: manual action, disconnect the EV and EVSE"):
        await tx.actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
    tx.ev_connected = False
    await cs_connectors_reported(
        tx.csms, tx.sut, "Available", label=label, only=(tx.evse_id, tx.connector_id)
    )


async def _ev_side_disconnect(tx: CsTransaction) -> None:
    with step("Manual action: disconnect the EV and EVSE on the EV side (the EVSE loses the EV)"):
        await tx.actions.perform(
            "ev_side_disconnect", {"evse_id": tx.evse_id, "connector_id": tx.connector_id}
        )
    tx.ev_connected = False


async def _energy_transfer_suspended(tx: CsTransaction) -> None:
    """Reusable State EnergyTransferSuspended (Table 431), after EnergyTransferStarted."""
    await tx.energy_transfer_started()
    with step("EnergyTransferSuspended: manual action, the EV suspends the energy transfer"):
        await tx.actions.perform("ev_suspend", {"evse_id": tx.evse_id})
    with step("EnergyTransferSuspended 1-2: TransactionEventRequest SuspendedEV (or Ended, StoppedByEV)"):
        payload = await _next_event(
            tx, "the transaction event for the EV suspending", "Reusable State EnergyTransferSuspended"
        )
        info = payload.get("transactionInfo", {})
        state = info.get("chargingState")
        check_in(
            state, ("EVConnected", "SuspendedEV"), "transactionInfo.chargingState (EnergyTransferSuspended 1)"
        )
        if state == "SuspendedEV":
            check_equal(
                payload.get("triggerReason"),
                "ChargingStateChanged",
                "triggerReason (EnergyTransferSuspended 1)",
            )
        check_in(payload.get("eventType"), ("Updated", "Ended"), "eventType (EnergyTransferSuspended 1)")
        if payload.get("eventType") == "Ended":
            check_equal(
                info.get("stoppedReason"),
                "StoppedByEV",
                "transactionInfo.stoppedReason (EnergyTransferSuspended 1)",
            )


async def _leave_idle(tx: CsTransaction, ok: bool, *, cable: bool = False, parked: bool = False) -> None:
    """Not a Part 6 step: end what the case left (transaction, cable, parked EV) so the next case finds the
    station idle. After a failure it is best effort and never masks the case's own failure."""
    csms, actions = tx.csms, tx.actions
    where = {"evse_id": tx.evse_id, "connector_id": tx.connector_id}
    try:
        with step("Cleanup (not a Part 6 step): end the transaction, disconnect the EV, empty the bay"):
            running = tx.started and not tx.ended
            if running:
                await csms.call("RequestStopTransaction", {"transactionId": tx.transaction_id})
            unplug = cable or tx.ev_connected
            if unplug:
                await actions.perform("unplug", where)
                tx.ev_connected = False
            if parked:
                await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})
            if running:
                await csms.expect(
                    "TransactionEvent",
                    where=lambda p: _ours(tx)(p) and p.get("eventType") == "Ended",
                    what="the Ended event of the case's transaction (cleanup)",
                )
                tx.ended = True
        if unplug:
            await cs_connectors_reported(
                csms, tx.sut, "Available", label="Cleanup", only=(tx.evse_id, tx.connector_id)
            )
    except Exception:
        if ok:
            raise
    if not ok:
        # After a failure the station's state is unknown (a transaction that does not end, an authorization
        # left, a connector state it did not report): Reusable State Booted puts it back for the next case.
        with contextlib.suppress(Exception), step("Cleanup after the failure: Reset (Reusable State Booted)"):
            if not tx.started and actions.supports("advance_clock"):
                # an authorization without a transaction lapses after EVConnectionTimeOut, as it would in time
                lapse = await read_variable(csms, Setting("TxCtrlr", "EVConnectionTimeOut", ""))
                await actions.perform("advance_clock", {"seconds": float(lapse or 0) + 1})
            await cs_booted(csms, tx.sut)


def _features(ocpp_settings: Any) -> dict[str, bool]:
    return dict(ocpp_settings.features_for("charging-station"))


# ---- E01: start options
_E01_TRIGGER = r"E01\.FR\.0\d"


@case(
    "TC_E_01_CS",
    requirements=("E01.FR.05", "E01.FR.07", "E01.FR.16"),
    catches={"wrong-trigger-reason": _E01_TRIGGER},
)
async def test_TC_E_01_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E01(S5): TxStartPoint PowerPathClosed: Authorized, then EVConnectedPreSession starts it."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStartPoint", "PowerPathClosed")]):
        await _require_points(
            csms,
            "TxStartPoint",
            ["PowerPathClosed"],
            ["ParkingBayOccupancy", "EVConnected", "Authorized", "DataSigned"],
        )
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.authorize()
            await _plug_in(tx, "1: EVConnectedPreSession 1-2")
            with step("1: EVConnectedPreSession 3-4: TransactionEventRequest Started (power path closed)"):
                rule = "E01.FR.05"
                payload = await _next_event(tx, "the Started event at PowerPathClosed", rule)
                check_equal(
                    payload.get("eventType"), "Started", f"{rule}: eventType (EVConnectedPreSession step 3)"
                )
                check_in(
                    payload.get("triggerReason"),
                    ("CablePluggedIn", "ChargingStateChanged", "RemoteStart"),
                    f"{rule}: triggerReason (EVConnectedPreSession step 3)",
                )
                check_in(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    ("EVConnected", "SuspendedEVSE", "Charging"),
                    f"{rule}: transactionInfo.chargingState (EVConnectedPreSession step 3)",
                )
                _check_evse(tx, payload, rule)
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_02_CS",
    requirements=("E01.FR.06", "E01.FR.07", "E01.FR.16"),
    catches={"tx-start-point-ignored": r"E01\.FR\.06: (triggerReason|transactionInfo\.chargingState)"},
)
async def test_TC_E_02_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E01(S6): TxStartPoint EnergyTransfer: the transaction starts when the energy transfer does."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStartPoint", "EnergyTransfer")]):
        await _require_points(
            csms,
            "TxStartPoint",
            ["EnergyTransfer"],
            ["ParkingBayOccupancy", "EVConnected", "Authorized", "DataSigned", "PowerPathClosed"],
        )
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.authorize()
            await _plug_in(tx, "1-2")
            with step("3-4: the station sends TransactionEventRequest Started, chargingState Charging"):
                rule = "E01.FR.06"
                payload = await _next_event(tx, "the Started event at EnergyTransfer", rule)
                check_equal(payload.get("eventType"), "Started", f"{rule}: eventType (step 3)")
                allowed = (
                    ("RemoteStart",) if tx.auth_mode == "remote" else ("ChargingStateChanged", "Authorized")
                )
                check_in(payload.get("triggerReason"), allowed, f"{rule}: triggerReason (step 3)")
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "Charging",
                    f"{rule}: transactionInfo.chargingState (step 3)",
                )
                _check_token(tx, payload, f"{rule} (step 3)")
                _check_evse(tx, payload, f"{rule} (step 3)")
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_09_CS",
    requirements=("E01.FR.02", "E01.FR.07", "E01.FR.16"),
    catches={
        "wrong-trigger-reason": r"E01\.FR\.02: triggerReason",
        "tx-start-point-ignored": r"E01\.FR\.02: \[timeout\]",
    },
)
async def test_TC_E_09_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E01(S2): TxStartPoint EVConnected: connecting the EV starts the transaction (EVConnected).

    Reading: the optional state ParkingBayOccupied is not executed (Part 6 Table 426: optional)."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStartPoint", "EVConnected")]):
        await _require_points(csms, "TxStartPoint", ["EVConnected"], ["ParkingBayOccupancy"])
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await _plug_in(tx, "1-2")
            with step("3-4: the station sends TransactionEventRequest Started, chargingState EVConnected"):
                rule = "E01.FR.02"
                payload = await _next_event(tx, "the Started event at EVConnected", rule)
                check_equal(payload.get("eventType"), "Started", f"{rule}: eventType (step 3)")
                check_in(
                    payload.get("triggerReason"),
                    ("CablePluggedIn", "ChargingStateChanged"),
                    f"{rule}: triggerReason (step 3)",
                )
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "EVConnected",
                    f"{rule}: transactionInfo.chargingState (step 3)",
                )
                _check_evse(tx, payload, f"{rule} (step 3)")
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_10_CS",
    requirements=("E01.FR.03", "E01.FR.07", "E01.FR.16", "C01.FR.02"),
    catches={"tx-start-point-ignored": r"E01\.FR\.03: \[timeout\]"},
)
async def test_TC_E_10_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E01(S3): TxStartPoint Authorized, local: AuthorizeRequest, then TransactionEvent Started Authorized."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStartPoint", "Authorized"), *_AUTH_ENABLED]):
        await _require_points(csms, "TxStartPoint", ["Authorized"])
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            # Steps 1-4 are Reusable State Authorized A's: AuthorizeRequest (token checked), then the
            # TransactionEventRequest Started, triggerReason Authorized, with the idToken.
            await _fail_as("E01.FR.03", tx.authorize("local"))
            check(
                tx.started, "E01.FR.03: no TransactionEventRequest Started after the authorization (step 3)"
            )
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_13_CS",
    requirements=("E01.FR.03", "F01.FR.19", "F02.FR.01"),
    catches={
        "tx-start-point-ignored": r"E01\.FR\.03: \[timeout\]",
        "remote-start-id-missing": r"transactionInfo\.remoteStartId after RequestStartTransaction",
    },
)
async def test_TC_E_13_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E01(S3) + F02: TxStartPoint Authorized, RequestStartTransaction: Started, RemoteStart."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStartPoint", "Authorized"), *_AUTH_ENABLED]):
        await _require_points(csms, "TxStartPoint", ["Authorized"])
        tx = CsTransaction(csms, sut, actions, auth_mode="remote")
        await tx.prepare()
        ok = False
        try:
            # Steps 1-6 are Reusable State Authorized B's (RequestStartTransaction Accepted, the optional
            # AuthorizeRequest, TransactionEventRequest Started, RemoteStart, remoteStartId, idToken).
            await _fail_as("E01.FR.03", tx.authorize("remote"))
            ok = True
        finally:
            await _leave_idle(tx, ok)


def _check_signed_begin(payload: dict[str, Any], rule: str) -> None:
    """TC_E_11_CS step 3: a Transaction.Begin sampledValue with every signedMeterValue field present."""
    sampled = [v for m in payload.get("meterValue") or [] for v in m.get("sampledValue") or []]
    begin = [v for v in sampled if v.get("context") == "Transaction.Begin"]
    check(begin, f"{rule}: meterValue must have a sampledValue with context Transaction.Begin (step 3)")
    for field in ("encodingMethod", "publicKey", "signedMeterData", "signingMethod"):
        check(
            all(field in (v.get("signedMeterValue") or {}) for v in begin),
            f"{rule}: sampledValue.signedMeterValue.{field} must not be omitted (Transaction.Begin, step 3)",
        )


@case(
    "TC_E_11_CS",
    requirements=("E01.FR.04", "E01.FR.07", "E01.FR.16"),
    catches={
        "tx-start-point-ignored": r"E01\.FR\.04: triggerReason",
        "meter-values-unsigned": r"E01\.FR\.04: sampledValue\.signedMeterValue",
    },
)
async def test_TC_E_11_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E01(S4): TxStartPoint DataSigned, SignReadings true: the signed meter data starts the transaction
    (SignedDataReceived, signed Transaction.Begin reading), then ChargingStateChanged to Charging."""
    await cs_precondition_booted(csms, sut)
    settings = [_point("TxStartPoint", "DataSigned"), Setting("SampledDataCtrlr", "SignReadings", True)]
    async with configured(csms, settings):
        await _require_points(
            csms, "TxStartPoint", ["DataSigned"], ["ParkingBayOccupancy", "EVConnected", "Authorized"]
        )
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.authorize()
            await _plug_in(tx, "1-2")
            rule = "E01.FR.04"
            with step("3-4: TransactionEventRequest Started, SignedDataReceived, signed Transaction.Begin"):
                payload = await _next_event(tx, "the Started event at DataSigned", rule)
                check_equal(payload.get("eventType"), "Started", f"{rule}: eventType (step 3)")
                allowed = (
                    ("RemoteStart", "SignedDataReceived")
                    if tx.auth_mode == "remote"
                    else ("SignedDataReceived",)
                )
                check_in(payload.get("triggerReason"), allowed, f"{rule}: triggerReason (step 3)")
                _check_token(tx, payload, f"{rule} (step 3)")
                _check_evse(tx, payload, f"{rule} (step 3)")
                _check_signed_begin(payload, rule)
            with step("5-6: TransactionEventRequest Updated, ChargingStateChanged, Charging"):
                payload = await _next_event(tx, "the transaction event for the energy transfer", rule)
                check_equal(payload.get("eventType"), "Updated", f"{rule}: eventType (step 5)")
                check_equal(
                    payload.get("triggerReason"), "ChargingStateChanged", f"{rule}: triggerReason (step 5)"
                )
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "Charging",
                    f"{rule}: transactionInfo.chargingState (step 5)",
                )
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_12_CS",
    requirements=("E01.FR.01", "E01.FR.07", "E01.FR.16"),
    catches={"tx-start-point-ignored": r"E01\.FR\.01: \[timeout\]"},
)
async def test_TC_E_12_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E01(S1): TxStartPoint ParkingBayOccupancy: the EV driving in starts the transaction (EVDetected)."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStartPoint", "ParkingBayOccupancy")]):
        await _require_points(csms, "TxStartPoint", ["ParkingBayOccupancy"])
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = parked = False
        try:
            with step("Manual action: drive the EV into the parking bay"):
                await actions.perform("parking_bay_occupied", {"evse_id": tx.evse_id})
                parked = True
            with step("1-2: the station sends TransactionEventRequest Started, EVDetected"):
                rule = "E01.FR.01"
                payload = await _next_event(tx, "the Started event at ParkingBayOccupancy", rule)
                check_equal(payload.get("eventType"), "Started", f"{rule}: eventType (step 1)")
                check_equal(payload.get("triggerReason"), "EVDetected", f"{rule}: triggerReason (step 1)")
            ok = True
        finally:
            await _leave_idle(tx, ok, parked=parked)


# ---- E02 / E03: local start
_PLUG_UNREPORTED = r"report of connector\(s\) .* as Occupied"


@case(
    "TC_E_03_CS",
    requirements=("E02.FR.01", "E02.FR.05", "E01.FR.16"),
    catches={"plug-in-unreported": _PLUG_UNREPORTED},
)
async def test_TC_E_03_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E02: cable plugged in first (EVConnectedPreSession), then Authorized (local), EnergyTransferStarted."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, _AUTH_ENABLED):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.ev_connected_pre_session()
            await tx.authorize("local")
            await tx.energy_transfer_started()
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_04_CS",
    requirements=("E03.FR.01", "E03.FR.06", "E01.FR.16"),
    catches={"plug-in-unreported": _PLUG_UNREPORTED},
)
async def test_TC_E_04_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E03: authorization first (Authorized, local), then EnergyTransferStarted (the EV plugged in)."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, _AUTH_ENABLED):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.authorize("local")
            await tx.energy_transfer_started()
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_05_CS",
    requirements=("E03.FR.05", "E03.FR.06"),
    catches={"plug-in-unreported": _PLUG_UNREPORTED},
)
async def test_TC_E_05_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E03: authorized, no cable within EVConnectionTimeOut: the authorization lapses (EVConnectTimeout when a
    transaction started); a new authorization then starts charging normally."""
    await cs_precondition_booted(csms, sut)
    timeout = sut.device_model.get("TxCtrlr", "EVConnectionTimeOut") or _EV_CONNECTION_TIMEOUT
    settings = [
        Setting("TxCtrlr", "EVConnectionTimeOut", timeout),
        *_AUTH_ENABLED,
        Setting("AuthCacheCtrlr", "Enabled", "false", only_if_writable=True),
        Setting("AuthCtrlr", "LocalPreAuthorize", "false"),
    ]
    async with configured(csms, settings):
        first = CsTransaction(csms, sut, actions)
        await first.prepare()
        ok = False
        tx = first
        try:
            await first.authorize("local")
            if first.started:  # TxStartPoint has Authorized or ParkingBayOccupancy: steps 1-2
                if actions.supports("advance_clock"):
                    await actions.perform("advance_clock", {"seconds": float(timeout) + 1})
                with step("1-2: the station sends TransactionEventRequest EVConnectTimeout"):
                    rule = "E03.FR.05"
                    received = await _fail_as(
                        rule,
                        csms.expect(
                            "TransactionEvent",
                            where=_ours(first),
                            timeout=float(timeout) + csms.timeout,
                            what="the transaction event for the EV connection timeout",
                        ),
                    )
                    payload = dict(received.payload)
                    _book(first, payload)
                    check_equal(
                        payload.get("triggerReason"),
                        "EVConnectTimeout",
                        f"{rule}: triggerReason (step 1)",
                    )
                    if "Authorized" in first.stop_points:
                        check_equal(payload.get("eventType"), "Ended", f"{rule}: eventType (step 1)")
                        check_equal(
                            payload.get("transactionInfo", {}).get("stoppedReason"),
                            "Timeout",
                            f"{rule}: transactionInfo.stoppedReason (step 1)",
                        )
                    else:
                        check_equal(payload.get("eventType"), "Updated", f"{rule}: eventType (step 1)")
            else:
                await _wait_ev_connection_timeout(csms, sut, actions, float(timeout))
            # Steps 3-4: a new session on the same EVSE (Authorized local, EnergyTransferStarted).
            tx = CsTransaction(csms, sut, actions)
            await tx.prepare()
            if first.started and not first.ended:  # ParkingBayOccupancy: the same transaction goes on
                tx.transaction_id, tx.started = first.transaction_id, True
            await tx.authorize("local")
            await tx.energy_transfer_started()
            ok = True
        finally:
            await _leave_idle(tx, ok)
            if tx is not first and first.started and not first.ended:
                await _leave_idle(first, ok)


# ---- E06 / E07: stop options
def _check_ended(payload: dict[str, Any], rule: str, label: str, reasons: tuple[str | None, ...]) -> None:
    check_equal(payload.get("eventType"), "Ended", f"{rule}: eventType ({label})")
    check_in(
        payload.get("transactionInfo", {}).get("stoppedReason"),
        reasons,
        f"{rule}: transactionInfo.stoppedReason ({label})",
    )


@case(
    "TC_E_06_CS",
    requirements=("E07.FR.04", "E06.FR.15", "C01.FR.03"),
    catches={"tx-stop-point-authorized-ignored": r"eventType \(StopAuthorized step 3\)"},
)
async def test_TC_E_06_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E07: local stop: StopAuthorized, EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, _AUTH_ENABLED):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.energy_transfer_started()
            await tx.stop_authorized("local")
            await tx.ev_connected_post_session()
            await tx.ev_disconnected()
            await _parking_bay_unoccupied(tx)
            ok = True
        finally:
            await _leave_idle(tx, ok)


async def _stop_authorized_case(
    csms: HarnessCsms, sut: Any, actions: Any, stop_point: str, absent: tuple[str, ...]
) -> None:
    """TC_E_07/08_CS: TxStopPoint <stop_point>, EnergyTransferStarted, then StopAuthorized (its step 3
    must be the Ended event: the stop authorization opens the power path and stops the energy transfer)."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStopPoint", stop_point)]):
        await _require_points(csms, "TxStopPoint", [stop_point], absent)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.energy_transfer_started()
            await tx.stop_authorized()
            check(tx.ended, f"E06: TxStopPoint {stop_point}: the stop authorization must end the transaction")
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_07_CS",
    requirements=("E06.FR.06", "E06.FR.15"),
    catches={
        "tx-stop-point-powerpathclosed-ignored": r"eventType \(StopAuthorized step 3\): expected 'Ended'"
    },
)
async def test_TC_E_07_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S5): TxStopPoint PowerPathClosed, local stop: StopAuthorized ends the transaction."""
    await _stop_authorized_case(csms, sut, actions, "PowerPathClosed", ("Authorized",))


@case(
    "TC_E_08_CS",
    requirements=("E06.FR.07", "E06.FR.15"),
    catches={
        "tx-stop-point-energytransfer-ignored": r"eventType \(StopAuthorized step 3\): expected 'Ended'"
    },
)
async def test_TC_E_08_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S6): TxStopPoint EnergyTransfer: StopAuthorized stops the energy transfer and the transaction."""
    await _stop_authorized_case(csms, sut, actions, "EnergyTransfer", ("Authorized", "PowerPathClosed"))


async def _remote_stop_case(csms: HarnessCsms, sut: Any, actions: Any, stop_point: str, rule: str) -> None:
    """TC_E_21/35_CS: RequestStopTransaction, then (errata 2025-01, TC_E_35_CS) RemoteStop in one of the
    TransactionEventRequests and stoppedReason Remote in the last, Ended, one."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStopPoint", stop_point)]):
        await _require_points(
            csms, "TxStopPoint", [stop_point], ("Authorized",) if stop_point != "Authorized" else ()
        )
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.energy_transfer_started()
            with step("1-2: the OCTT sends RequestStopTransactionRequest; the station accepts"):
                response = await csms.call_ok("RequestStopTransaction", {"transactionId": tx.transaction_id})
                check_equal(
                    response.get("status"), "Accepted", "RequestStopTransactionResponse.status (step 2)"
                )
            with step("3-4: TransactionEventRequest(s) RemoteStop ... Ended, stoppedReason Remote"):
                events = await _events_until_ended(tx, "the Ended event after RequestStopTransaction", rule)
                check(
                    any(e.get("triggerReason") == "RemoteStop" for e in events),
                    f"{rule}: triggerReason RemoteStop in one of the TransactionEventRequests (step 3), got"
                    f" {[e.get('triggerReason') for e in events]}",
                )
                _check_ended(events[-1], rule, "step 3", ("Remote",))
            tx.authorized = False
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_35_CS",
    requirements=("E06.FR.06", "E06.FR.15"),
    catches={
        "tx-stop-point-powerpathclosed-ignored": r"E06\.FR\.06: \[timeout\]",
        "remote-stop-ignored": r"E06\.FR\.06: (\[timeout\]|triggerReason RemoteStop)",
    },
)
async def test_TC_E_35_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S5): TxStopPoint PowerPathClosed, remote stop: RemoteStop, Ended, stoppedReason Remote."""
    await _remote_stop_case(csms, sut, actions, "PowerPathClosed", "E06.FR.06")


@case(
    "TC_E_21_CS",
    requirements=("E06.FR.03", "E06.FR.15", "F03.FR.09"),
    catches={"tx-stop-point-authorized-ignored": r"E06\.FR\.03: \[timeout\]"},
)
async def test_TC_E_21_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S3) + F03: TxStopPoint Authorized, RequestStopTransaction: RemoteStop, Ended, Remote."""
    await _remote_stop_case(csms, sut, actions, "Authorized", "E06.FR.03")


@case(
    "TC_E_15_CS",
    requirements=("E06.FR.03", "E06.FR.15"),
    catches={"tx-stop-point-authorized-ignored": r"E06\.FR\.03: \[timeout\]"},
)
async def test_TC_E_15_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S3): TxStopPoint Authorized, the idToken presented again: StopAuthorized, Ended, Local.

    Reading (ambiguity): step 1 names one TransactionEventRequest with triggerReason StopAuthorized and
    eventType Ended; Reusable State StopAuthorized lets the station send StopAuthorized (Updated) and then
    the Ended one. As errata 2025-01 reads TC_E_35_CS: StopAuthorized in one of the requests, the last one
    Ended with stoppedReason Local."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStopPoint", "Authorized")]):
        await _require_points(csms, "TxStopPoint", ["Authorized"], ("PowerPathClosed",))
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.energy_transfer_started()
            with step("Manual action: present the idToken to stop the charging session"):
                await actions.perform(
                    "present_id_token",
                    {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": tx.evse_id},
                )
            rule = "E06.FR.03"
            with step("1-2: TransactionEventRequest(s) StopAuthorized ... Ended, stoppedReason Local"):
                events = await _events_until_ended(tx, "the Ended event after the local stop", rule)
                check(
                    any(e.get("triggerReason") == "StopAuthorized" for e in events),
                    f"{rule}: triggerReason StopAuthorized in one of the TransactionEventRequests (step 1),"
                    " got"
                    f" {[e.get('triggerReason') for e in events]}",
                )
                _check_ended(events[-1], rule, "step 1", ("Local",))
            tx.authorized = False
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_22_CS",
    requirements=("E06.FR.07", "E06.FR.15"),
    catches={"tx-stop-point-energytransfer-ignored": r"E06\.FR\.07: transactionInfo\.stoppedReason"},
)
async def test_TC_E_22_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S6): TxStopPoint EnergyTransfer, the EV suspends: the transaction ends, stoppedReason StoppedByEV.

    Reading (ambiguity): the stoppedReason StoppedByEV is required in either form Part 6 allows (Ended with
    EVConnected, or SuspendedEV with the eventType Updated as written); the case's purpose is the stop."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, [_point("TxStopPoint", "EnergyTransfer")]):
        await _require_points(csms, "TxStopPoint", ["EnergyTransfer"])
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.energy_transfer_started()
            with step("Manual action: the EV suspends the energy transfer"):
                await actions.perform("ev_suspend", {"evse_id": tx.evse_id})
            rule = "E06.FR.07"
            with step("1-2: TransactionEventRequest ChargingStateChanged, stoppedReason StoppedByEV"):
                payload = await _next_event(tx, "the transaction event for the EV suspending", rule)
                info = payload.get("transactionInfo", {})
                check_equal(
                    payload.get("triggerReason"), "ChargingStateChanged", f"{rule}: triggerReason (step 1)"
                )
                state = info.get("chargingState")
                check_in(
                    state, ("EVConnected", "SuspendedEV"), f"{rule}: transactionInfo.chargingState (step 1)"
                )
                check_equal(
                    info.get("stoppedReason"),
                    "StoppedByEV",
                    f"{rule}: transactionInfo.stoppedReason (step 1)",
                )
                check_equal(
                    payload.get("eventType"),
                    "Ended" if state == "EVConnected" else "Updated",
                    f"{rule}: eventType with chargingState {state} (step 1)",
                )
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_14_CS",
    requirements=("E06.FR.02", "E06.FR.15"),
    catches={
        "tx-stop-point-evconnected-ignored": r"E06\.FR\.02: eventType \(step 3\)",
    },
)
async def test_TC_E_14_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S2): TxStopPoint EVConnected, EVConnectedPostSession, then the cable removed at the station side:
    Available, then Ended with EVCommunicationLost, Idle."""
    await cs_precondition_booted(csms, sut)
    absent = ("EnergyTransfer", "PowerPathClosed", "DataSigned", "Authorized")
    async with configured(csms, [_point("TxStopPoint", "EVConnected")]):
        await _require_points(csms, "TxStopPoint", ["EVConnected"], absent)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.energy_transfer_started()
            await tx.ev_connected_post_session()
            check(
                not tx.ended,
                "E06.FR.02: with TxStopPoint EVConnected the transaction must go on until the EV"
                " is disconnected (it ended before)",
            )
            await _unplugged(tx, "1-2")
            rule = "E06.FR.02"
            with step("3-4: TransactionEventRequest Ended, EVCommunicationLost, Idle"):
                payload = await _next_event(tx, "the Ended event for the EV disconnected", rule)
                check_equal(
                    payload.get("triggerReason"), "EVCommunicationLost", f"{rule}: triggerReason (step 3)"
                )
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "Idle",
                    f"{rule}: transactionInfo.chargingState (step 3)",
                )
                reasons = ("Remote",) if tx.auth_mode == "remote" else ("Local", "EVDisconnected", None)
                _check_ended(payload, rule, "step 3", reasons)
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_19_CS",
    requirements=("E06.FR.01", "E06.FR.15"),
    catches={"tx-stop-point-parkingbay-ignored": r"E06\.FR\.01: \[timeout\]"},
)
async def test_TC_E_19_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S1): TxStopPoint ParkingBayOccupancy: after EVDisconnected, the EV leaving the bay ends the
    transaction (EVDeparted). The optional ParkingBayOccupied state is executed when the driver can."""
    await cs_precondition_booted(csms, sut)
    absent = ("EnergyTransfer", "PowerPathClosed", "DataSigned", "Authorized", "EVConnected")
    async with configured(csms, [_point("TxStopPoint", "ParkingBayOccupancy")]):
        await _require_points(csms, "TxStopPoint", ["ParkingBayOccupancy"], absent)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = parked = False
        try:
            if actions.supports("parking_bay_occupied") and "ParkingBayOccupancy" not in tx.start_points:
                with step("ParkingBayOccupied: manual action, drive the EV into the parking bay"):
                    await actions.perform("parking_bay_occupied", {"evse_id": tx.evse_id})
                    parked = True
            await tx.energy_transfer_started()
            await tx.ev_connected_post_session()
            await tx.ev_disconnected()
            rule = "E06.FR.01"
            check(
                not tx.ended,
                f"{rule}: with TxStopPoint ParkingBayOccupancy the transaction must go on until the"
                " EV leaves the parking bay (it ended before)",
            )
            with step("Manual action: drive the EV out of the parking bay"):
                await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})
                parked = False
            with step("1-2: TransactionEventRequest Ended, EVDeparted"):
                payload = await _next_event(tx, "the Ended event for the EV leaving the parking bay", rule)
                check_equal(payload.get("triggerReason"), "EVDeparted", f"{rule}: triggerReason (step 1)")
                _check_ended(payload, rule, "step 1", ("Remote",) if tx.auth_mode == "remote" else ("Local",))
            ok = True
        finally:
            await _leave_idle(tx, ok, parked=parked)


# ---- E09 / E10: cable disconnected at the EV side
_EV_SIDE_UNNOTICED = r"EV-side disconnect\): \[timeout\]"


async def _ev_side_event(tx: CsTransaction, rule: str, *, event_type: str | None = None) -> dict[str, Any]:
    """Step 1 of TC_E_17/20/24-26/37_CS: TransactionEventRequest EVCommunicationLost, chargingState Idle."""
    with step("1-2: the station sends TransactionEventRequest EVCommunicationLost, Idle"):
        payload = await _next_event(
            tx, "the transaction event for the EV-side disconnect", f"{rule} (EV-side disconnect)"
        )
        check_equal(payload.get("triggerReason"), "EVCommunicationLost", f"{rule}: triggerReason (step 1)")
        check_equal(
            payload.get("transactionInfo", {}).get("chargingState"),
            "Idle",
            f"{rule}: transactionInfo.chargingState (step 1)",
        )
        if event_type is not None:
            check_equal(payload.get("eventType"), event_type, f"{rule}: eventType (step 1)")
        return payload


async def _unlock_and_unplug(tx: CsTransaction, features: dict[str, bool], *, token: bool) -> None:
    """A detachable cable (HFS-1): present the starting idToken when it stays locked (UnlockOnEVSideDisconnect
    false), then remove it at the station side: step 3, the connector is reported Available."""
    if not features.get("HFS-1", True):
        return
    if token:
        with step("Manual action: present the idToken that started the transaction (unlocks the cable)"):
            await tx.actions.perform(
                "present_id_token",
                {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": tx.evse_id},
            )
    await _unplugged(tx, "3-4")


def _ev_side_settings(stop: bool, unlock: bool, stop_point: str | None) -> list[Setting]:
    settings = [
        Setting("TxCtrlr", _STOP_ON_EV_SIDE, stop),
        Setting("OCPPCommCtrlr", _UNLOCK_ON_EV_SIDE, unlock),
    ]
    return ([_point("TxStopPoint", stop_point)] if stop_point else []) + settings


@case(
    "TC_E_17_CS",
    requirements=("E06.FR.04", "E06.FR.15"),
    catches={
        "stop-tx-on-ev-side-disconnect-inverted": r"E06\.FR\.04: eventType \(step 1\)",
        "ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED,
    },
)
async def test_TC_E_17_CS(csms: HarnessCsms, sut: Any, actions: Any, ocpp_settings: Any) -> None:
    """E06(S3): TxStopPoint Authorized, StopTxOnEVSideDisconnect true: an EV-side disconnect deauthorizes and
    ends the transaction (EVDisconnected); then the cable is unlocked by the idToken and removed."""
    await cs_precondition_booted(csms, sut)
    settings = [*_ev_side_settings(True, False, "Authorized"), *_AUTH_ENABLED]
    async with configured(csms, settings):
        # Errata 2025-01 prerequisite: Authorized, and none of EVConnected, PowerPathClosed, EnergyTransfer.
        await _require_points(
            csms, "TxStopPoint", ["Authorized"], ("EVConnected", "PowerPathClosed", "EnergyTransfer")
        )
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        cable = True
        try:
            await _energy_transfer_suspended(tx)
            await _ev_side_disconnect(tx)
            rule = "E06.FR.04"
            payload = await _ev_side_event(tx, rule, event_type="Ended")
            check_equal(
                payload.get("transactionInfo", {}).get("stoppedReason"),
                "EVDisconnected",
                f"{rule}: transactionInfo.stoppedReason (step 1)",
            )
            await _unlock_and_unplug(tx, _features(ocpp_settings), token=True)
            cable = False
            ok = True
        finally:
            await _leave_idle(tx, ok, cable=cable)


@case(
    "TC_E_20_CS",
    requirements=("E06.FR.02", "E06.FR.15"),
    catches={
        "tx-stop-point-evconnected-ignored": r"E06\.FR\.02: eventType \(step 1\)",
        "ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED,
    },
)
async def test_TC_E_20_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S2) + E10: TxStopPoint EVConnected, StopTxOnEVSideDisconnect false: an EV-side disconnect still
    ends the transaction (EVCommunicationLost, Idle, EVDisconnected)."""
    await _ended_by_ev_side_disconnect(
        csms,
        sut,
        actions,
        stop_point="EVConnected",
        excluded=("EnergyTransfer", "PowerPathClosed"),
        rule="E06.FR.02",
        reasons=("EVDisconnected",),
    )


async def _ended_by_ev_side_disconnect(
    csms: HarnessCsms,
    sut: Any,
    actions: Any,
    *,
    stop_point: str,
    excluded: tuple[str, ...],
    rule: str,
    reasons: tuple[str, ...],
    reason_rule: str | None = None,
) -> None:
    """TC_E_20/37/54_CS: TxStopPoint `stop_point` alone (none of `excluded`), StopTxOnEVSideDisconnect false;
    an EV-side disconnect ends the transaction (`rule`) with one of `reasons` (`reason_rule`, else `rule`)."""
    await cs_precondition_booted(csms, sut)
    settings = [
        _point("TxStopPoint", stop_point),
        Setting("TxCtrlr", _STOP_ON_EV_SIDE, False, only_if_writable=True),
    ]
    async with configured(csms, settings):
        await _require_points(csms, "TxStopPoint", [stop_point], excluded)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await _energy_transfer_suspended(tx)
            await _ev_side_disconnect(tx)
            payload = await _ev_side_event(tx, rule, event_type="Ended")
            check_in(
                payload.get("transactionInfo", {}).get("stoppedReason"),
                reasons,
                f"{reason_rule or rule}: transactionInfo.stoppedReason (step 1)",
            )
            ok = True
        finally:
            await _leave_idle(tx, ok, cable=True)


@case(
    "TC_E_37_CS",
    requirements=("E06.FR.06", "E06.FR.15"),
    catches={
        "tx-stop-point-powerpathclosed-ignored": r"E06\.FR\.06: eventType \(step 1\)",
        "ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED,
    },
)
async def test_TC_E_37_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S5): TxStopPoint PowerPathClosed, StopTxOnEVSideDisconnect false: an EV-side disconnect opens the
    power path: Ended, EVCommunicationLost, Idle, EVDisconnected or StoppedByEV."""
    await _ended_by_ev_side_disconnect(
        csms,
        sut,
        actions,
        stop_point="PowerPathClosed",
        excluded=("EnergyTransfer", "EVConnected", "DataSigned"),
        rule="E06.FR.06",
        reasons=("EVDisconnected", "StoppedByEV"),
    )


async def _deauthorize_case(
    csms: HarnessCsms, sut: Any, actions: Any, ocpp_settings: Any, *, unlock: bool
) -> None:
    """TC_E_24/25_CS (E09): StopTxOnEVSideDisconnect true: EVCommunicationLost, Idle; then the cable is
    removed at the station side (after presenting the idToken when it stays locked): Available."""
    await cs_precondition_booted(csms, sut)
    async with configured(csms, _ev_side_settings(True, unlock, None)):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        cable = True
        try:
            await _energy_transfer_suspended(tx)
            await _ev_side_disconnect(tx)
            await _ev_side_event(tx, "E09.FR.01")
            await _unlock_and_unplug(tx, _features(ocpp_settings), token=not unlock)
            cable = False
            ok = True
        finally:
            await _leave_idle(tx, ok, cable=cable)


@case(
    "TC_E_24_CS",
    requirements=("E09.FR.01", "E09.FR.02", "E09.FR.04"),
    catches={"ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED},
)
async def test_TC_E_24_CS(csms: HarnessCsms, sut: Any, actions: Any, ocpp_settings: Any) -> None:
    """E09: StopTxOnEVSideDisconnect and UnlockOnEVSideDisconnect true: deauthorized, the cable unlocked."""
    await _deauthorize_case(csms, sut, actions, ocpp_settings, unlock=True)


@case(
    "TC_E_25_CS",
    requirements=("E09.FR.01", "E09.FR.03", "E09.FR.04"),
    catches={"ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED},
)
async def test_TC_E_25_CS(csms: HarnessCsms, sut: Any, actions: Any, ocpp_settings: Any) -> None:
    """E09: StopTxOnEVSideDisconnect true, UnlockOnEVSideDisconnect false: deauthorized, the cable stays
    locked until the idToken is presented again."""
    await _deauthorize_case(csms, sut, actions, ocpp_settings, unlock=False)


@case(
    "TC_E_26_CS",
    requirements=("E10.FR.01", "E10.FR.03"),
    catches={
        "stop-tx-on-ev-side-disconnect-inverted": r"E10\.FR\.01: eventType \(step 1\)",
        "ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED,
    },
)
async def test_TC_E_26_CS(csms: HarnessCsms, sut: Any, actions: Any, ocpp_settings: Any) -> None:
    """E10: StopTxOnEVSideDisconnect false: an EV-side disconnect suspends the transaction (Updated, Idle);
    reconnecting the EV resumes it (CablePluggedIn, EVConnected, then Charging).

    Reading: "TxStopPoint contains Authorized (If supported) AND/OR ParkingBayOccupancy (If supported)" is
    written as Authorized; a station that refuses must already have one of the two (prerequisite)."""
    await cs_precondition_booted(csms, sut)
    features = _features(ocpp_settings)
    async with configured(csms, _ev_side_settings(False, False, "Authorized")):
        await _require_points(
            csms,
            "TxStopPoint",
            ["Authorized", "ParkingBayOccupancy"],
            ("EnergyTransfer", "PowerPathClosed", "DataSigned", "EVConnected"),
        )
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await _energy_transfer_suspended(tx)
            await _ev_side_disconnect(tx)
            await _ev_side_event(tx, "E10.FR.01", event_type="Updated")
            if features.get("HFS-2") and not features.get("HFS-1", True):  # a fixed cable leaves the socket
                await cs_connectors_reported(
                    csms, sut, "Available", label="3-4", only=(tx.evse_id, tx.connector_id)
                )
            with step("Manual action: reconnect the EV and EVSE on the EV side"):
                await actions.perform(
                    "ev_side_connect", {"evse_id": tx.evse_id, "connector_id": tx.connector_id}
                )
            tx.ev_connected = True
            rule = "E10.FR.03"
            with step("5-6: TransactionEventRequest Updated, CablePluggedIn, EVConnected"):
                payload = await _next_event(tx, "the transaction event for the EV reconnected", rule)
                check_equal(payload.get("triggerReason"), "CablePluggedIn", f"{rule}: triggerReason (step 5)")
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "EVConnected",
                    f"{rule}: transactionInfo.chargingState (step 5)",
                )
                check_equal(payload.get("eventType"), "Updated", f"{rule}: eventType (step 5)")
            with step("7-8: TransactionEventRequest Updated, ChargingStateChanged, Charging"):
                payload = await _next_event(tx, "the transaction event for the energy transfer resumed", rule)
                check_equal(
                    payload.get("triggerReason"), "ChargingStateChanged", f"{rule}: triggerReason (step 7)"
                )
                check_equal(
                    payload.get("transactionInfo", {}).get("chargingState"),
                    "Charging",
                    f"{rule}: transactionInfo.chargingState (step 7)",
                )
                check_equal(payload.get("eventType"), "Updated", f"{rule}: eventType (step 7)")
            ok = True
        finally:
            await _leave_idle(tx, ok, cable=True)


# ---- C01 with DisableRemoteAuthorization
@case(
    "TC_E_52_CS",
    requirements=("C01.FR.02", "C01.FR.05"),
    catches={"disable-remote-authorization-ignored": r"DisableRemoteAuthorization true"},
)
async def test_TC_E_52_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E03 + C01: AuthCtrlr.DisableRemoteAuthorization true, an idToken in neither the cache nor the local
    list: no AuthorizeRequest, the authorization is refused (no transaction with it).

    Memory State: the cache is cleared (ClearCache, when the station has one); the configured valid
    idToken is not put in the local list by this harness (reading: the local list is the SUT's own)."""
    await cs_precondition_booted(csms, sut)
    settings = [
        Setting("AuthCtrlr", "Enabled", "true", only_if_writable=True),
        Setting("AuthCtrlr", "DisableRemoteAuthorization", "true"),
    ]
    async with configured(csms, settings):
        tx = CsTransaction(csms, sut, actions)
        with step("Memory State: the Authorization Cache is emptied (ClearCacheRequest)"):
            await csms.call("ClearCache", {})
        asked = len(csms.history("Authorize"))
        with step("Manual action: present an idToken that is not in the cache or the local list"):
            await actions.perform(
                "present_id_token",
                {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": tx.evse_id},
            )
        rule = "C01.FR.02 with AuthCtrlr.DisableRemoteAuthorization true"
        with step("1: the station does NOT send an AuthorizeRequest; the authorization is refused"):
            try:
                await csms.expect_no_message(sut.timeouts.no_message, action="Authorize")
            except ConformanceFailure as exc:
                raise ConformanceFailure(
                    f"[conformance] {rule}: {str(exc).removeprefix('[conformance] ')}"
                ) from None
            sent = csms.history("Authorize")[asked:]  # also one sent while the action was performed
            check(
                not sent,
                f"{rule}: the station must not send an AuthorizeRequest, it sent {len(sent)}:"
                f" {[r.payload for r in sent][:1]}",
            )
            started = [
                e.payload
                for e in csms.history("TransactionEvent")
                if (e.payload.get("idToken") or {}).get("idToken") == tx.token["idToken"]
            ]
            check(
                not started,
                f"{rule}: the authorization must be refused, but a TransactionEventRequest carries"
                f" the idToken: {started[:1]}",
            )


# ---- E06(S3): deauthorized by the idTokenInfo of a TransactionEventResponse, after an offline start
async def _start_offline_transaction(tx: CsTransaction) -> None:
    """Reusable State StartOfflineTransaction (Table 436). The optional parking-bay action is left out."""
    csms, actions, sut = tx.csms, tx.actions, tx.sut
    with step("StartOfflineTransaction 1: the OCTT closes the WebSocket connection, refuses reconnects"):
        refused = csms.events.refused
        await csms.go_offline()
        # A sync, not a check: once the station tries to reconnect (refused) it knows it is offline. A
        # token presented before that can go out on the closing connection and be lost to the case.
        with contextlib.suppress(SutTimeout):
            await csms.wait_refused(after=refused, timeout=sut.timeouts.connect)
    with step("StartOfflineTransaction: manual actions, present the idToken, connect the EV and EVSE"):
        await actions.perform(
            "present_id_token",
            {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": tx.evse_id},
        )
        tx.authorized = True
        await actions.perform("plug_in", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
        tx.ev_connected = True
    with step("StartOfflineTransaction 2: the OCTT accepts the reconnection attempt of the station"):
        csms.go_online()
        await csms.wait_reconnect(timeout=sut.timeouts.connect)


@case(
    "TC_E_16_CS",
    requirements=("E06.FR.04", "E06.FR.15", "C15.FR.04"),
    catches={
        "keeps-charging-after-invalid-id": r"E06\.FR\.04: \[timeout\]",
        "queued-events-not-offline": r"TC_E_16_CS step 1: TransactionEventRequest\.offline",
    },
)
async def test_TC_E_16_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S3) + C15: a transaction started offline; the OCTT answers the queued TransactionEventRequest with
    the idToken with idTokenInfo Invalid: the station ends it (Deauthorized, DeAuthorized).

    Reading: Memory State IdTokenLocalAuthList is not set up (it would replace the SUT's local list); the
    cached idToken (IdTokenCached) and OfflineTxForUnknownIdEnabled both let the offline start happen."""
    await cs_precondition_booted(csms, sut)
    settings = [
        *_AUTH_ENABLED,
        Setting("AuthCtrlr", "OfflineTxForUnknownIdEnabled", True, only_if_writable=True),
        Setting("TxCtrlr", "StopTxOnInvalidId", True),
    ]
    # "TxStopPoint contains PowerPathClosed AND/OR Authorized": written only when it has neither.
    stop = _split(await read_variable(csms, Setting("TxCtrlr", "TxStopPoint", "")))
    if not stop & {"Authorized", "PowerPathClosed"}:
        settings.insert(0, _point("TxStopPoint", "Authorized"))
    async with configured(csms, settings):
        await _require_points(
            csms, "TxStopPoint", ["Authorized", "PowerPathClosed"], ("EnergyTransfer", "DataSigned")
        )
        await id_token_cached(csms, sut, actions)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            # Step 2 note: the OCTT answers the request carrying the idToken with idTokenInfo Invalid.
            csms.on(
                "TransactionEvent",
                lambda call: {"idTokenInfo": {"status": "Invalid"}} if "idToken" in call.payload else {},
            )
            await _start_offline_transaction(tx)
            rule = "E06.FR.04"
            with step("1-2: the station empties its queue (offline true); the OCTT answers idToken Invalid"):
                # The memory state's own transaction may still come again (a station resends an event
                # whose response it lost when the connection closed): the case's transaction is a new one.
                earlier = {
                    r.payload.get("transactionInfo", {}).get("transactionId")
                    for r in csms.history("TransactionEvent")
                }
                received = await _fail_as(
                    rule,
                    csms.expect(
                        "TransactionEvent",
                        where=lambda p: p.get("transactionInfo", {}).get("transactionId") not in earlier,
                        what="the first queued TransactionEventRequest of the offline transaction",
                    ),
                )
                _book(tx, received.payload)
                queued = [dict(received.payload)]
                check(
                    queued[0].get("offline") is True,
                    "TC_E_16_CS step 1: TransactionEventRequest.offline must be true (sent from the queue),"
                    f" got {queued[0].get('offline')!r} in {_describe(queued[0])}",
                )
            with step("3-4: TransactionEventRequest Ended, Deauthorized, stoppedReason DeAuthorized"):
                while queued[-1].get("eventType") != "Ended":
                    queued.append(await _next_event(tx, "the Ended event after idTokenInfo Invalid", rule))
                ended = queued[-1]
                check_equal(ended.get("triggerReason"), "Deauthorized", f"{rule}: triggerReason (step 3)")
                _check_ended(ended, f"{rule} / E06.FR.15", "step 3", ("DeAuthorized",))
            tx.authorized = False
            ok = True
        finally:
            if csms.offline:
                csms.go_online()
            await _leave_idle(tx, ok)


# ---- Station variants: NOT C-09.5 (TC_E_38_CS), a fixed cable HFS-2 (TC_E_27_CS), DC HFS-4 (TC_E_54_CS)
_E38 = "TC_E_38_CS step 2 (E03, the EV is not ready)"


@case(
    "TC_E_38_CS",
    catches={
        "ev-not-ready-reported-charging": r"TC_E_38_CS step 2 \(E03, the EV is not ready\): transaction"
    },
    actions=("present_id_token", "ev_suspend", "plug_in"),
)
async def test_TC_E_38_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E03 (Part 6 lists no requirement): State Authorized; the EV is set NOT ready for the energy transfer
    (`ev_suspend`, before it is connected); EVConnectedPreSession: ChargingStateChanged, SuspendedEV.

    Reading: step 2 is the TransactionEventRequest that reports the charging state; the events of the
    plug-in / transaction start (chargingState EVConnected) may come before it."""
    await cs_precondition_booted(csms, sut)
    start = await read_variable(csms, Setting("TxCtrlr", "TxStartPoint", ""))
    if "EnergyTransfer" in _split(start):
        pytest.skip(f"prerequisite not met: TxCtrlr.TxStartPoint is {start!r} (must not be EnergyTransfer)")
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    ok = False
    suspended = False
    try:
        await tx.authorize()
        with step("Manual action: set the EV to a state in which it is NOT ready for energy transfer"):
            await actions.perform("ev_suspend", {"evse_id": tx.evse_id})
            suspended = True
        await tx.ev_connected_pre_session()
        with step("2-3: TransactionEventRequest ChargingStateChanged, SuspendedEV"):
            payload = await _next_event(tx, "the transaction event for the EV not ready", _E38)
            for _ in range(2):  # the plug-in / start events (chargingState EVConnected) may come first
                if payload.get("transactionInfo", {}).get("chargingState") != "EVConnected":
                    break
                payload = await _next_event(tx, "the transaction event for the EV not ready", _E38)
            check_equal(
                payload.get("transactionInfo", {}).get("chargingState"),
                "SuspendedEV",
                f"{_E38}: transactionInfo.chargingState",
            )
            check_equal(payload.get("triggerReason"), "ChargingStateChanged", f"{_E38}: triggerReason")
        ok = True
    finally:
        try:
            await _leave_idle(tx, ok)
        finally:
            if suspended:  # not a Part 6 step: the next case wants an EV ready to charge
                with contextlib.suppress(Exception) if not ok else contextlib.nullcontext():
                    await actions.perform("ev_resume", {"evse_id": tx.evse_id})


async def _ev_connect_timeout_event(tx: CsTransaction, seconds: float, rule: str) -> dict[str, Any]:
    """TxCtrlr.EVConnectionTimeOut expires (the station's clock advanced where the driver can, else a
    bounded real wait): the next TransactionEventRequest of the transaction, periodic meter values aside."""
    csms = tx.csms
    wait = seconds + tx.sut.timeouts.timestamp_tolerance + csms.timeout
    if tx.actions.supports("advance_clock"):
        with step(f"Wait: EVConnectionTimeOut ({seconds:g} s) expires (station clock advanced)"):
            await tx.actions.perform("advance_clock", {"seconds": seconds + 1})
        wait = csms.timeout
    while True:
        received = await _fail_as(
            rule,
            csms.expect(
                "TransactionEvent",
                where=_ours(tx),
                timeout=wait,
                what="the transaction event for the EV connection timeout",
            ),
        )
        _book(tx, received.payload)
        if received.payload.get("triggerReason") != "MeterValuePeriodic":
            return dict(received.payload)


@case(
    "TC_E_27_CS",
    requirements=("E10.FR.02", "E10.FR.03"),
    catches={
        "ev-side-timeout-ignored": r"E10\.FR\.02 \(step 5\): \[timeout\]",
        "ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED,
    },
)
async def test_TC_E_27_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E10, a permanently attached cable (HFS-2), StopTxOnEVSideDisconnect and UnlockOnEVSideDisconnect
    false: an EV-side disconnect suspends the transaction (Updated, EVCommunicationLost, Idle), the
    connector is reported Available; the EV does not come back within EVConnectionTimeOut: EVConnectTimeout
    (Ended, Timeout with TxStopPoint Authorized; Updated with ParkingBayOccupancy).

    Readings: "TxStopPoint contains Authorized (If supported) / ParkingBayOccupancy (If supported)" is
    written as Authorized (a station that refuses must have one of them, prerequisite). The manual action
    "reconnect the EV" before step 5 is not performed: the name, purpose and the step 5 validation
    (EVConnectTimeout) need the timeout to expire; a reconnect in time is TC_E_26_CS. EVConnectionTimeOut
    is set short (the SUT description's value, else 5 s) so the run stays fast."""
    await cs_precondition_booted(csms, sut)
    timeout = sut.device_model.get("TxCtrlr", "EVConnectionTimeOut") or _EV_CONNECTION_TIMEOUT
    settings = [
        *_ev_side_settings(False, False, "Authorized"),
        Setting("TxCtrlr", "EVConnectionTimeOut", timeout),
    ]
    async with configured(csms, settings):
        await _require_points(
            csms,
            "TxStopPoint",
            ["Authorized", "ParkingBayOccupancy"],
            ("EnergyTransfer", "PowerPathClosed", "DataSigned", "EVConnected"),
        )
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await _energy_transfer_suspended(tx)
            await _drop_stale_reports(csms)
            await _ev_side_disconnect(tx)
            await _ev_side_event(tx, "E10.FR.01", event_type="Updated")
            # step 3 note: with a fixed cable, the connector (the cable's end) is free of the EV: Available
            await cs_connectors_reported(
                csms, sut, "Available", label="3-4", only=(tx.evse_id, tx.connector_id)
            )
            rule = "E10.FR.02 (step 5)"
            with step("5-6: TransactionEventRequest EVConnectTimeout"):
                payload = await _ev_connect_timeout_event(tx, float(timeout), rule)
                check_equal(payload.get("triggerReason"), "EVConnectTimeout", f"{rule}: triggerReason")
                ends = "Authorized" in tx.stop_points
                check_equal(payload.get("eventType"), "Ended" if ends else "Updated", f"{rule}: eventType")
                if ends:
                    check_equal(
                        payload.get("transactionInfo", {}).get("stoppedReason"),
                        "Timeout",
                        f"{rule}: transactionInfo.stoppedReason",
                    )
            tx.authorized = False
            ok = True
        finally:
            await _leave_idle(tx, ok)


@case(
    "TC_E_54_CS",
    requirements=("E06.FR.02", "E06.FR.15"),
    catches={
        "tx-stop-point-evconnected-ignored": r"E06\.FR\.02: eventType \(step 1\)",
        "ev-side-disconnect-unnoticed": _EV_SIDE_UNNOTICED,
    },
)
async def test_TC_E_54_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """E06(S2) + E10 (DC, HFS-4, or ISO 15118): TxStopPoint EVConnected, StopTxOnEVSideDisconnect false: an
    EV-side disconnect ends the transaction (Ended, EVCommunicationLost, Idle, StoppedByEV or
    EVDisconnected)."""
    # Prerequisite: EVConnected, and neither EnergyTransfer nor PowerPathClosed.
    await _ended_by_ev_side_disconnect(
        csms,
        sut,
        actions,
        stop_point="EVConnected",
        excluded=("EnergyTransfer", "PowerPathClosed"),
        rule="E06.FR.02",
        reasons=("StoppedByEV", "EVDisconnected"),
        reason_rule="E06.FR.02 / E06.FR.15",
    )

"""Block E, offline behaviour: charging station under test (Part 6, E-cases of the charging-station half).

The harness plays the CSMS. "The OCTT closes the WebSocket connection AND does not accept a reconnect" is
`csms.go_offline()` (the station's reconnects are refused with HTTP 503 until `csms.go_online()`). Every
case goes back online and leaves the station idle (no transaction, connectors Available) in a `finally`.
Covered: TC_E_40_CS (E11), TC_E_29/33_CS (E14, Core M); TC_E_31_CS (E14), TC_E_43_CS (E12), TC_E_44_CS and
TC_E_45_CS (E08), conditional.

Timing: Part 6's <Configured RetryBackOffWaitMinimum_duration> must exceed the TxUpdatedInterval, so that
a meter-value event is queued while offline. With a driver that can `advance_clock` (the built-in
station) the interval is long (no live sample during the case) and station time is advanced over the
offline wait; otherwise the interval is short and the harness really waits (while refusing reconnects):
then a live periodic sample that overtakes the drained queue would be judged as a queued one.

Readings of Part 6 where it is ambiguous (as a certification lab would):
- RetryBackOffWaitMinimum / RetryBackOffRandomRange are optional in Part 2: set only if implemented.
- "The Charging Station will empty its Transaction message queue": the queue is what the station sends
  after reconnecting, one TransactionEventRequest after the other, until it stays silent for QUEUE_GAP s
  after a response; the tool validations apply to each of those messages (TC_E_29/33_CS say "Message",
  TC_E_40_CS "All messages": both are read as all queued messages).
- TC_E_29/31/33_CS step 3 "the moment the WebSocket connection is restored": the harness holds the
  station's first queued TransactionEventRequest unanswered until GetTransactionStatus is answered, so
  the queue cannot have been emptied yet (a message sent but not yet answered is still undelivered).
- TC_E_43/45_CS: the memory states IdTokenLocalAuthList are not set up (as TC_E_16_CS: a Full list would
  replace the SUT's own); IdTokenCached (and, for E_43, OfflineTxForUnknownIdEnabled) make the offline
  authorization possible. Their offline period is bounded by the retry back-off settings of TC_E_44_CS.
- TC_E_43_CS: Memory State TransactionEventsInQueueEnded's parking-bay actions only when TxStart/StopPoint
  uses the bay detector (as TC_E_44_CS's "only needed if").
- TC_E_45_CS: "Authorized with <Configured GroupIdToken>" is the valid idToken answered with the GroupId
  valid_idtoken2 shares (as TC_C_41_CS). Beyond Part 6's validations, E08.FR.02: when TxStopPoint lets the
  authorization end the transaction, the Ended event's stoppedReason is Local (the group token's stop).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from conformance.errors import SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.session import ReceivedCall
from conformance.session.states.cs import CsTransaction, cs_connectors_reported, id_token_cached
from conformance.testing import Setting, case, check, check_equal, configured, setting, step

_BACKOFF_STEPS = 8  # advances of station time by RetryBackOffWaitMinimum allowed for the reconnect
QUEUE_GAP = 1.0  # s of silence after a response that ends "emptying the queue" (see module docstring)
Check = Callable[[dict[str, Any], str], None]


# ------------------------------------------------------------------ configuration and timing
@dataclass(frozen=True)
class Timing:
    """<Configured transaction_updated_metervalues_interval>, <Configured RetryBackOffWaitMinimum_duration>"""

    interval: int
    wait: int
    clock: bool  # the driver advances station time instead of the harness waiting

    @classmethod
    def of(cls, actions: Any) -> Timing:
        if actions.supports("advance_clock"):
            return cls(interval=20, wait=21, clock=True)
        return cls(interval=2, wait=3, clock=False)


def _measurands(sut: Any) -> str:
    return str(
        sut.device_model.get("SampledDataCtrlr", "TxUpdatedMeasurands") or "Energy.Active.Import.Register"
    )


def _backoff(wait: int) -> list[Setting]:
    """OfflineThreshold is <RetryBackOffWaitMinimum> + 60; RetryBackOffRandomRange is 0."""
    return [
        setting("OCPPCommCtrlr.OfflineThreshold", wait + 60),
        setting("OCPPCommCtrlr.RetryBackOffWaitMinimum", wait, only_if_writable=True),
        setting("OCPPCommCtrlr.RetryBackOffRandomRange", 0, only_if_writable=True),
    ]


def _metering(sut: Any, timing: Timing) -> list[Setting]:
    return [
        setting("SampledDataCtrlr.TxUpdatedMeasurands", _measurands(sut)),
        setting("SampledDataCtrlr.TxUpdatedInterval", timing.interval),
    ]


# ------------------------------------------------------------------ the offline period
async def _offline_period(
    csms: HarnessCsms,
    sut: Any,
    actions: Any,
    timing: Timing,
    *,
    manual: Callable[[], Awaitable[None]] | None = None,
    reconnect_label: str = "2",
) -> None:
    """Part 6: the OCTT closes the connection AND does not accept a reconnect, (the manual actions,) waits
    <Configured RetryBackOffWaitMinimum_duration>, then accepts the station's reconnection attempt.

    The station's TransactionEventRequests after the reconnect are held, to be checked one by one."""
    with step("1: the OCTT closes the WebSocket connection AND does not accept a reconnect"):
        await csms.go_offline()
    started = time.monotonic()
    if timing.clock:
        with step(f"the OCTT waits {timing.wait} s (station time) and refuses the station's reconnect"):
            # Station time passes the wait (its back-off and sampling timers fire); its refused attempt
            # shows it knows it is offline before anything else happens.
            mark = csms.events.refused
            await _advance_until(actions, timing, lambda: csms.wait_refused(after=mark, timeout=0.3))
            await csms.wait_refused(after=mark, timeout=sut.timeouts.connect)
    if manual is not None:
        await manual()
    if not timing.clock:
        with step(f"the OCTT waits {timing.wait} s, refusing the station's reconnects"):
            while (remaining := timing.wait - (time.monotonic() - started)) > 0:
                with contextlib.suppress(SutTimeout):  # a refused attempt or none: the wait goes on
                    await csms.wait_refused(timeout=remaining)
    csms.hold("TransactionEvent")
    with step(f"{reconnect_label}: the OCTT accepts the reconnection attempt of the station"):
        mark = csms.events.connected
        csms.go_online()
        if not timing.clock:
            await csms.wait_connected(after=mark, timeout=sut.timeouts.connect)
            return
        # The station's back-off (doubled after the refused attempt) runs on station time too.
        await _advance_until(actions, timing, lambda: csms.wait_connected(after=mark, timeout=0.3))
        await csms.wait_connected(after=mark, timeout=sut.timeouts.connect)


async def _advance_until(actions: Any, timing: Timing, happened: Callable[[], Awaitable[None]]) -> None:
    """Advance station time by RetryBackOffWaitMinimum until `happened` returns (a bounded number of
    times: the station's back-off may have started after an advance, or doubled)."""
    for _ in range(_BACKOFF_STEPS):
        await actions.perform("advance_clock", {"seconds": timing.wait})
        with contextlib.suppress(SutTimeout):
            await happened()
            return


def _answer(payload: dict[str, Any]) -> dict[str, Any]:
    return {"idTokenInfo": {"status": "Accepted"}} if "idToken" in payload else {}


async def _emptied_queue(
    csms: HarnessCsms, label: str, check_each: Check, rule: str = ""
) -> list[dict[str, Any]]:
    """The station empties its queue: every TransactionEventRequest, checked, then answered.

    A resend of an event the harness received before the connection was closed (same transaction and
    seqNo: the station had not processed its response yet) is no message of the offline period: it is
    answered, not judged. `rule`, if given, is named when the queue holds nothing of the offline period."""
    named = f"{rule}: " if rule else ""
    events: list[dict[str, Any]] = []
    before = {_event_key(r.payload) for r in csms.history("TransactionEvent") if r.answered}
    with step(f"{label}: the station sends its queued TransactionEventRequests; the OCTT responds"):
        received: ReceivedCall | None = await csms.expect(
            "TransactionEvent", what=f"{named}the TransactionEventRequests the station queued while offline"
        )
        while received is not None:
            p = received.payload
            if _event_key(p) not in before:
                what = (
                    f"queued TransactionEventRequest #{len(events) + 1} ({p.get('eventType')},"
                    f" {p.get('triggerReason')}, seqNo {p.get('seqNo')})"
                )
                check_each(p, what)
                events.append(p)
            await received.reply(_answer(p))
            try:
                received = await csms.expect("TransactionEvent", timeout=QUEUE_GAP)
            except SutTimeout:
                received = None
    check(events, f"{named}the station sent no TransactionEventRequest queued while it was offline")
    return events


def _event_key(payload: dict[str, Any]) -> tuple[Any, Any]:
    return payload.get("transactionInfo", {}).get("transactionId"), payload.get("seqNo")


def _offline_true(rule: str) -> Check:
    def check_offline(payload: dict[str, Any], what: str) -> None:
        check_equal(payload.get("offline"), True, f"{rule}: {what}: offline (queued while offline)")

    return check_offline


def _updated_with_meter(rule: str) -> Check:
    def check_updated(payload: dict[str, Any], what: str) -> None:
        _offline_true(rule)(payload, what)
        check_equal(payload.get("eventType"), "Updated", f"{rule}: {what}: eventType")
        check(
            bool(payload.get("meterValue")),
            f"{rule}: {what}: meterValue must be present (a sample taken while offline)",
        )

    return check_updated


async def _transaction_status(csms: HarnessCsms, transaction_id: str | None, label: str) -> dict[str, Any]:
    request = {} if transaction_id is None else {"transactionId": transaction_id}
    what = "omitted" if transaction_id is None else repr(transaction_id)
    with step(
        f"{label}: the OCTT sends GetTransactionStatusRequest, transactionId {what}; the station answers"
    ):
        return await csms.call_ok("GetTransactionStatus", request)


# ------------------------------------------------------------------ cleanup
async def _leave_idle(csms: HarnessCsms, sut: Any, actions: Any, tx: CsTransaction) -> None:
    """Cleanup (not a Part 6 step), best effort, never masking the case's own outcome: back online, the
    held messages answered, the transaction ended (token again, unplug), the connector Available."""
    csms.release("TransactionEvent")
    with contextlib.suppress(Exception):
        mark = csms.events.connected
        if csms.offline:
            csms.go_online()
        if not csms.connected:
            if actions.supports("advance_clock"):
                timing = Timing.of(actions)
                await _advance_until(actions, timing, lambda: csms.wait_connected(after=mark, timeout=0.3))
            await csms.wait_connected(after=mark, timeout=sut.timeouts.connect)
    for received in csms.history("TransactionEvent"):
        if not received.answered:
            with contextlib.suppress(Exception):
                await received.reply(_answer(received.payload))
    with contextlib.suppress(Exception):
        if tx.started and not tx.ended and tx.authorized:
            await actions.perform(
                "present_id_token",
                {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": tx.evse_id},
            )
            tx.authorized = False
        if tx.ev_connected:
            await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            tx.ev_connected = False
            await cs_connectors_reported(
                csms, sut, "Available", label="cleanup: connector free", only=(tx.evse_id, tx.connector_id)
            )
        if tx.started and not tx.ended and not _ended_in_history(csms, tx):
            # The Ended event must not leak into the next case.
            await csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("eventType") == "Ended" and _event_key(p)[0] == tx.transaction_id,
                what="cleanup: the Ended event of the case's transaction",
            )


def _ended_in_history(csms: HarnessCsms, tx: CsTransaction) -> bool:
    return any(
        r.payload.get("eventType") == "Ended" and _event_key(r.payload)[0] == tx.transaction_id
        for r in csms.history("TransactionEvent")
    )


async def _energy_transfer_started(csms: HarnessCsms, sut: Any, actions: Any) -> CsTransaction:
    """Reusable State EnergyTransferStarted (local authorization, as Part 6's default scenario)."""
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    await tx.energy_transfer_started()
    return tx


async def _with_transaction(
    csms: HarnessCsms,
    sut: Any,
    actions: Any,
    settings: list[Setting],
    body: Callable[[CsTransaction], Awaitable[None]],
) -> None:
    tx = CsTransaction(csms, sut, actions)
    async with configured(csms, settings):
        try:
            await tx.prepare()
            await tx.energy_transfer_started()
            await body(tx)
        finally:
            await _leave_idle(csms, sut, actions, tx)


# ------------------------------------------------------------------ E11: connection loss during a transaction
@case(
    "TC_E_40_CS",
    requirements=("E11.FR.01", "E11.FR.02", "E11.FR.06"),
    catches={
        "queued-events-not-offline": r"TC_E_40_CS step 3 \(E11\): queued TransactionEventRequest #1"
        r" .*: offline",
        "offline-events-dropped": r"no TransactionEventRequest \(the TransactionEventRequests the station"
        r" queued while offline\)",
    },
    actions=("plug_in", "present_id_token", "unplug"),
)
async def test_TC_E_40_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Connection loss during a transaction: the TransactionEvents of the offline period are queued
    and sent afterwards, Updated with meter values and offline true (E11.FR.01/02/06)."""
    timing = Timing.of(actions)
    settings = [
        *_metering(sut, timing),
        setting("SampledDataCtrlr.Enabled", True, only_if_writable=True),
        *_backoff(timing.wait),
    ]

    async def scenario(tx: CsTransaction) -> None:
        await _offline_period(csms, sut, actions, timing)
        await _emptied_queue(csms, "3-4", _updated_with_meter("TC_E_40_CS step 3 (E11)"))

    await _with_transaction(csms, sut, actions, settings, scenario)


# ------------------------------------------------------------------ E14: transaction status with a queue
async def _status_with_queue(csms: HarnessCsms, sut: Any, actions: Any, *, with_id: bool) -> None:
    """TC_E_29_CS / TC_E_33_CS: GetTransactionStatus the moment the connection is restored."""
    timing = Timing.of(actions)
    case_id = "TC_E_29_CS" if with_id else "TC_E_33_CS"

    async def scenario(tx: CsTransaction) -> None:
        await _offline_period(csms, sut, actions, timing)
        response = await _transaction_status(csms, tx.transaction_id if with_id else None, "3-4")
        if with_id:
            check_equal(
                response.get("ongoingIndicator"),
                True,
                "E14.FR.02: GetTransactionStatusResponse.ongoingIndicator (the transaction is ongoing)",
            )
        else:
            check(
                "ongoingIndicator" not in response,
                "E14.FR.06: GetTransactionStatusResponse.ongoingIndicator must be omitted without a"
                f" transactionId, got {response.get('ongoingIndicator')!r}",
            )
        rule = "E14.FR.04" if with_id else "E14.FR.07"
        check_equal(
            response.get("messagesInQueue"),
            True,
            f"{rule}: GetTransactionStatusResponse.messagesInQueue (TransactionEvents queued while offline"
            " are not delivered yet)",
        )
        await _emptied_queue(csms, "5-6", _updated_with_meter(f"{case_id} step 5"))

    await _with_transaction(csms, sut, actions, [*_metering(sut, timing), *_backoff(timing.wait)], scenario)


@case(
    "TC_E_29_CS",
    requirements=("E14.FR.02", "E14.FR.04"),
    catches={"tx-status-queue-hidden": r"E14\.FR\.04: GetTransactionStatusResponse\.messagesInQueue"},
    actions=("plug_in", "present_id_token", "unplug"),
)
async def test_TC_E_29_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """GetTransactionStatus with the id of the ongoing transaction while its events are queued:
    ongoingIndicator true, messagesInQueue true (E14.FR.02, E14.FR.04)."""
    await _status_with_queue(csms, sut, actions, with_id=True)


@case(
    "TC_E_33_CS",
    requirements=("E14.FR.06", "E14.FR.07"),
    catches={
        "tx-status-queue-hidden": r"E14\.FR\.07: GetTransactionStatusResponse\.messagesInQueue",
        "tx-status-ongoing-without-id": r"E14\.FR\.06: GetTransactionStatusResponse\.ongoingIndicator must be"
        r" omitted",
    },
    actions=("plug_in", "present_id_token", "unplug"),
)
async def test_TC_E_33_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """GetTransactionStatus without transactionId while events are queued: ongoingIndicator omitted,
    messagesInQueue true (E14.FR.06, E14.FR.07)."""
    await _status_with_queue(csms, sut, actions, with_id=False)


# ------------------------------------------------------------------ E08 / E14: the transaction ends offline
async def _stop_while_offline(
    csms: HarnessCsms, actions: Any, tx: CsTransaction, token: dict[str, str]
) -> None:
    """Part 6's manual actions while offline: present an idToken, disconnect the EV and EVSE, drive the EV
    out of the parking bay (only if TxStopPoint has ParkingBayOccupancy)."""
    with step(f"Manual action: present idToken {token['idToken']!r}"):
        await actions.perform(
            "present_id_token", {"id_token": token["idToken"], "type": token["type"], "evse_id": tx.evse_id}
        )
        tx.authorized = False
    with step("Manual action: disconnect the EV and EVSE"):
        await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
        tx.ev_connected = False
    if "ParkingBayOccupancy" in tx.stop_points:
        with step("Manual action: drive the EV out of the parking bay"):
            await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})


def _one_ended(events: list[dict[str, Any]], rule: str) -> None:
    check(
        any(e.get("eventType") == "Ended" for e in events),
        f"{rule}: none of the queued TransactionEventRequests has eventType Ended (the transaction ended"
        f" while offline); got {[e.get('eventType') for e in events]}",
    )


@case(
    "TC_E_44_CS",
    requirements=("E08.FR.01", "E08.FR.04", "E08.FR.05", "E08.FR.06", "E08.FR.07", "E08.FR.08"),
    catches={
        "queued-events-not-offline": r"TC_E_44_CS step 3 \(E08\): queued TransactionEventRequest #1"
        r" .*: offline",
        "offline-events-dropped": r"no TransactionEventRequest \(the TransactionEventRequests the station"
        r" queued while offline\)",
    },
    actions=("plug_in", "present_id_token", "unplug"),
)
async def test_TC_E_44_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """The transaction is stopped while offline: its events are queued and sent afterwards, all offline
    true, one of them Ended (E08.FR.01/04-08)."""
    timing = Timing.of(actions)

    async def scenario(tx: CsTransaction) -> None:
        await _offline_period(
            csms, sut, actions, timing, manual=lambda: _stop_while_offline(csms, actions, tx, tx.token)
        )
        events = await _emptied_queue(csms, "3-4", _offline_true("TC_E_44_CS step 3 (E08)"))
        _one_ended(events, "TC_E_44_CS step 3 (E08)")
        tx.ended = True

    await _with_transaction(csms, sut, actions, _backoff(timing.wait), scenario)


def _check_stop_states(events: list[dict[str, Any]], tx: CsTransaction, rule: str) -> None:
    """TC_E_31_CS step 3: the tool validations of Reusable States StopAuthorized (A, local) through
    EVDisconnected / ParkingBayUnoccupied, applied to the queued events in order (periodic meter values,
    queued before the stop, are not part of those states)."""
    seq = [e for e in events if e.get("triggerReason") != "MeterValuePeriodic"]
    info = [(e.get("eventType"), e.get("triggerReason"), e.get("transactionInfo", {})) for e in seq]
    check(seq, f"{rule}: no TransactionEventRequest of the stop in the queue (StopAuthorized state)")
    position = 0
    if info[0][1] == "StopAuthorized" and info[0][0] != "Ended":  # StopAuthorized step 1 is optional
        position = 1
    check(position < len(seq), f"{rule}: the queue ends after the StopAuthorized event: {info}")
    _, trigger, tx_info = info[position]
    check_equal(trigger, "ChargingStateChanged", f"{rule}: triggerReason (StopAuthorized step 3)")
    check_equal(tx_info.get("chargingState"), "EVConnected", f"{rule}: chargingState (StopAuthorized step 3)")
    if tx.stop_points & {"Authorized", "PowerPathClosed", "EnergyTransfer"}:
        check_equal(info[position][0], "Ended", f"{rule}: eventType (StopAuthorized step 3)")
        check_equal(
            tx_info.get("stoppedReason", "Local"), "Local", f"{rule}: stoppedReason (StopAuthorized step 3)"
        )
        return
    for _, trigger, tx_info in info[position + 1 :]:
        if trigger == "EVCommunicationLost":
            check_equal(
                tx_info.get("chargingState"), "Idle", f"{rule}: chargingState (EVDisconnected step 3)"
            )
    check_equal(info[-1][0], "Ended", f"{rule}: eventType of the last queued event (the transaction ended)")


@case(
    "TC_E_31_CS",
    requirements=("E14.FR.03", "E14.FR.04"),
    catches={
        "tx-status-queue-hidden": r"E14\.FR\.04: GetTransactionStatusResponse\.messagesInQueue",
        "tx-status-ongoing-any-id": r"E14\.FR\.03: GetTransactionStatusResponse\.ongoingIndicator",
    },
    actions=("plug_in", "present_id_token", "unplug"),
)
async def test_TC_E_31_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """GetTransactionStatus with the id of a transaction that ended while offline, its events still queued:
    ongoingIndicator false, messagesInQueue true (E14.FR.03, E14.FR.04); the queue holds the stop's events.
    Local scenario (the station supports local authorization: present the same idToken)."""
    timing = Timing.of(actions)
    # RetryBackOffWaitMinimum is <RetryBackOffWaitMinimum_duration> + <Transaction Duration>: timing.wait
    settings = [*_metering(sut, timing), *_backoff(timing.wait)]

    async def scenario(tx: CsTransaction) -> None:
        await _offline_period(
            csms,
            sut,
            actions,
            timing,
            manual=lambda: _stop_while_offline(csms, actions, tx, tx.token),
            reconnect_label="the OCTT accepts the reconnection",
        )
        response = await _transaction_status(csms, tx.transaction_id, "1-2")
        check_equal(
            response.get("ongoingIndicator"),
            False,
            "E14.FR.03: GetTransactionStatusResponse.ongoingIndicator (the transaction has ended)",
        )
        check_equal(
            response.get("messagesInQueue"),
            True,
            "E14.FR.04: GetTransactionStatusResponse.messagesInQueue (the transaction's events queued while"
            " offline are not delivered yet)",
        )
        events = await _emptied_queue(csms, "3-4", lambda payload, what: None)
        _check_stop_states(events, tx, "TC_E_31_CS step 3")
        tx.ended = True

    await _with_transaction(csms, sut, actions, settings, scenario)


# ------------------------------------------------------------------ E12: a whole transaction while offline
async def _transaction_events_in_queue_ended(
    csms: HarnessCsms, sut: Any, actions: Any, timing: Timing, tx: CsTransaction
) -> None:
    """Memory State TransactionEventsInQueueEnded (Table 441), moved to Before by the errata (TC_E_43_CS):
    IdTokenCached for the valid idToken, then offline: a whole transaction, then the reconnect.

    IdTokenLocalAuthList is not set up (as TC_E_16_CS: a Full list would replace the SUT's own); the
    cached idToken and OfflineTxForUnknownIdEnabled (set by the caller) let the offline start happen.
    The parking-bay actions are only performed when TxStart/StopPoint uses the bay detector."""
    await id_token_cached(csms, sut, actions)
    await tx.prepare()
    token = {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": tx.evse_id}
    connector = {"evse_id": tx.evse_id, "connector_id": tx.connector_id}
    bay = "ParkingBayOccupancy" in tx.start_points | tx.stop_points

    async def manual() -> None:
        if bay:
            with step("Manual action: drive the EV into the parking bay"):
                await actions.perform("parking_bay_occupied", {"evse_id": tx.evse_id})
        with step("Manual action: connect the EV and EVSE"):
            await actions.perform("plug_in", connector)
            tx.ev_connected = True
        with step(f"Manual action: present idToken {tx.token['idToken']!r}"):
            await actions.perform("present_id_token", token)
            tx.authorized = True
        with step("Manual action: present the same idToken as used to start the transaction"):
            await actions.perform("present_id_token", token)
            tx.authorized = False
        with step("Manual action: disconnect the EV and EVSE"):
            await actions.perform("unplug", connector)
            tx.ev_connected = False
        if bay:
            with step("Manual action: drive the EV out of the parking bay"):
                await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})

    await _offline_period(csms, sut, actions, timing, manual=manual)


def _has_event_type(events: list[dict[str, Any]], event_type: str, rule: str) -> None:
    check(
        any(e.get("eventType") == event_type for e in events),
        f"{rule}: none of the queued TransactionEventRequests has eventType {event_type} (the transaction"
        f" took place while offline); got {[e.get('eventType') for e in events]}",
    )


@case(
    "TC_E_43_CS",
    requirements=("E12.FR.01", "E12.FR.02", "E12.FR.06"),
    catches={
        "queued-events-not-offline": r"TC_E_43_CS step 1 \(E12\): queued TransactionEventRequest #1"
        r" .*: offline",
        "offline-events-dropped": r"E12\.FR\.01: (the station sent no TransactionEventRequest queued|the"
        r" TransactionEventRequests the station queued)",
    },
    actions=("plug_in", "present_id_token", "unplug"),
)
async def test_TC_E_43_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """A whole transaction while offline: its events are queued and sent afterwards, all offline true,
    one Started and one Ended (E12.FR.01/02/06; errata 2025-01 6.2.13: the memory state is in Before,
    the scenario's steps are 1-2)."""
    timing = Timing.of(actions)
    # TransactionEventsInQueueEnded: OfflineTxForUnknownIdEnabled true (if implemented). The retry
    # back-off bounds the offline period (Part 6 leaves its length open).
    settings = [
        setting("AuthCtrlr.OfflineTxForUnknownIdEnabled", True, only_if_writable=True),
        *_backoff(timing.wait),
    ]
    tx = CsTransaction(csms, sut, actions)
    async with configured(csms, settings):
        try:
            await _transaction_events_in_queue_ended(csms, sut, actions, timing, tx)
            rule = "TC_E_43_CS step 1 (E12)"
            events = await _emptied_queue(csms, "1-2", _offline_true(rule), rule="E12.FR.01")
            started = [e for e in events if e.get("eventType") == "Started"]
            if started:  # the cleanup knows the case's transaction
                tx.started = True
                tx.transaction_id = started[0].get("transactionInfo", {}).get("transactionId")
            _has_event_type(events, "Started", rule)
            _has_event_type(events, "Ended", rule)
            tx.ended = True
        finally:
            await _leave_idle(csms, sut, actions, tx)


# ------------------------------------------------------------------ E08: stopped offline by the same GroupId
def _answer_with_group(csms: HarnessCsms, sut: Any) -> dict[str, Any]:
    """TC_E_45_CS: the OCTT answers Authorize / TransactionEvent (with an idToken) with <Configured
    GroupIdToken> (the group valid_idtoken2 shares), the memory state included, as TC_C_41_CS does."""
    tokens = sut.tokens
    group_token = tokens.valid2.group_id_token or tokens.group.group_id_token
    group: dict[str, Any] = group_token.as_ocpp()

    def info(token: Any) -> dict[str, Any]:
        return {"status": tokens.status_for(token) if isinstance(token, dict) else "Unknown"} | {
            "groupIdToken": group
        }

    csms.on("Authorize", lambda call: {"idTokenInfo": info(call.payload.get("idToken"))})
    csms.on(
        "TransactionEvent",
        lambda call: {"idTokenInfo": info(call.payload["idToken"])} if "idToken" in call.payload else {},
    )
    return group


_STOPPED_BY_AUTHORIZATION = frozenset({"Authorized", "PowerPathClosed", "EnergyTransfer"})


def _stopped_locally(events: list[dict[str, Any]], tx: CsTransaction, rule: str) -> None:
    """Reading of TC_E_45_CS (E08.FR.02): when TxStopPoint lets the authorization end the transaction, the
    Ended event is the group token's stop, stoppedReason Local (omitted means Local), not the unplug's."""
    if not tx.stop_points & _STOPPED_BY_AUTHORIZATION:
        return
    ended = [e for e in events if e.get("eventType") == "Ended"]
    reason = ended[0].get("transactionInfo", {}).get("stoppedReason", "Local") if ended else None
    check_equal(
        reason,
        "Local",
        f"{rule}: Ended transactionInfo.stoppedReason (TxStopPoint {','.join(sorted(tx.stop_points))}: the"
        " idToken of the same GroupId presented offline ends the transaction)",
    )


@case(
    "TC_E_45_CS",
    requirements=("E08.FR.02", "E08.FR.04", "E08.FR.05", "E08.FR.06", "E08.FR.07", "E08.FR.08"),
    catches={
        "no-group-stop": r"E08\.FR\.02: Ended transactionInfo\.stoppedReason",
        "queued-events-not-offline": r"TC_E_45_CS step 3 \(E08\): queued TransactionEventRequest #1"
        r" .*: offline",
    },
    actions=("plug_in", "present_id_token", "unplug"),
)
async def test_TC_E_45_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """The transaction is stopped while offline by valid_idtoken2, cached with the same GroupId: its events
    are queued and sent afterwards, all offline true, one Ended (E08.FR.02/04-08)."""
    timing = Timing.of(actions)
    # IdTokenCached needs the cache, and using it offline LocalAuthorizeOffline ("if implemented").
    settings = [
        setting("AuthCacheCtrlr.Enabled", True, only_if_writable=True),
        setting("AuthCtrlr.LocalAuthorizeOffline", True, only_if_writable=True),
        *_backoff(timing.wait),
    ]
    token2 = {"idToken": sut.tokens.valid2.id_token, "type": sut.tokens.valid2.type}
    tx = CsTransaction(csms, sut, actions)
    async with configured(csms, settings):
        try:
            _answer_with_group(csms, sut)
            # Memory State IdTokenCached for valid_idtoken2 with the GroupIdToken; IdTokenLocalAuthList is
            # not set up (as TC_E_16/43_CS: a Full list would replace the SUT's own).
            await id_token_cached(csms, sut, actions, "valid2")
            await tx.prepare()
            await tx.energy_transfer_started()  # Authorized (answered with the GroupIdToken), then this
            await _offline_period(
                csms, sut, actions, timing, manual=lambda: _stop_while_offline(csms, actions, tx, token2)
            )
            rule = "TC_E_45_CS step 3 (E08)"
            events = await _emptied_queue(csms, "3-4", _offline_true(rule), rule="E08.FR.04")
            _one_ended(events, rule)
            tx.ended = True
            _stopped_locally(events, tx, "E08.FR.02")
        finally:
            await _leave_idle(csms, sut, actions, tx)

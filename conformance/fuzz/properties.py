"""The fuzz properties of issue 8, checked over a live `Session` (one example at a time).

1. A schema-valid request gets a schema-valid CALLRESULT, or a CALLERROR with a code that can
   answer a well-formed request (`VALID_REJECTION_CODES`), within the timeout.
2. A single-fault request gets a CALLERROR with an allowed code (`conformance.fuzz.codes`; the exact
   code in strict mode); silence only where Part 4 4.2.3 lets the receiver drop the message.
3. After every example the SUT still answers a harmless round trip over the same connection; a
   closed connection is a failure, and the next example starts on a new connection.
4. A valid request rejected with a payload-syntax code is reported with the SUT's error description
   and details and the paths of every field of the example.

OCPP-J framing faults (`framing_examples`) are judged like property 2 with the framing code table;
where no message id can be read, a CALLERROR under "-1" or silence are both accepted.

Answers to a station's own requests (station under test): the station is made to send the request
by TriggerMessage (F06), the harness answers it with the example, and property 3 is checked.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Protocol

from conformance.errors import (
    ConformanceFailure,
    SchemaViolationFailure,
    SutDisconnected,
    SutTimeout,
)
from conformance.fuzz.engine import TargetLost, Verdict
from conformance.fuzz.examples import FuzzExample
from conformance.fuzz.framing import FramingFault
from conformance.ocppj.frames import CallError, CallResult, new_message_id, serialize
from conformance.session.endpoints import HarnessCsms, HarnessStation
from conformance.session.session import ReceivedCall, Session

# Codes a receiver may answer a schema-valid request with: it understood the message and refuses
# it for what it means (Part 4 Table 8), not for its form.
VALID_REJECTION_CODES: frozenset[str] = frozenset(
    {
        "NotSupported",
        "NotImplemented",
        "SecurityError",
        "GenericError",
        "InternalError",
        "PropertyConstraintViolation",
        "OccurrenceConstraintViolation",
        "OccurenceConstraintViolation",
    }
)
SILENCE_CAP = 3.0  # seconds to wait where a reply is optional (a dropped message)

# Station-initiated actions whose answers can be fuzzed: TriggerMessage (F06) makes the station send them.
TRIGGERABLE: tuple[str, ...] = (
    "BootNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "LogStatusNotification",
    "MeterValues",
    "StatusNotification",
)


class TriggerRefused(ConformanceFailure):
    """The station answered TriggerMessage with a CALLERROR or a status other than Accepted."""


class FuzzTarget(Protocol):
    session: Session

    async def ready(self, example: FuzzExample) -> None:
        """Connected (reconnected after a drop), ready for `example`."""

    async def alive(self) -> Verdict | None:
        """None when the SUT answered the liveness round trip; else the failing verdict."""


class CsmsUnderTest:
    """The harness is a station: it reconnects and boots again after the CSMS dropped it."""

    def __init__(self, station: HarnessStation, boot: dict[str, Any]) -> None:
        self.session: Session = station
        self.station = station
        self.boot = boot
        self._booted = True  # the case boots before its first example; False: boot again first

    async def ready(self, example: FuzzExample) -> None:
        drain_closed_noise(self.session)
        try:
            if not self.station.connected:
                await self.station.connect()
                self._booted = False
            if not self._booted:
                # Any answer will do; after a fuzzed BootNotification (maybe Pending or Rejected) this
                # puts the station back to Accepted, so the CSMS does not refuse what follows.
                await self.station.call("BootNotification", self.boot)
        except ConformanceFailure as exc:
            raise TargetLost(f"the harness could not reconnect and boot: {_first(exc)}") from None
        self._booted = example.action != "BootNotification"

    async def alive(self) -> Verdict | None:
        return await _round_trip(self.session, "Heartbeat", {})


class StationUnderTest:
    """The harness is the CSMS: after a drop it waits for the station to reconnect by itself."""

    LIVENESS = {
        "getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
        ]
    }

    def __init__(self, csms: HarnessCsms, *, connect_timeout: float, evse: tuple[int, int] = (1, 1)) -> None:
        self.session: Session = csms
        self.csms = csms
        self.connect_timeout = connect_timeout
        self.evse = evse

    async def ready(self, example: FuzzExample) -> None:
        drain_closed_noise(self.session)
        if not self.csms.connected:
            try:
                await self.csms.wait_connected(timeout=self.connect_timeout)
            except ConformanceFailure as exc:
                raise TargetLost(f"the station did not reconnect: {_first(exc)}") from None

    async def alive(self) -> Verdict | None:
        return await _round_trip(self.session, "GetVariables", self.LIVENESS)

    def trigger_payload(self, action: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"requestedMessage": action}
        if action == "StatusNotification":
            payload["evse"] = {"id": self.evse[0], "connectorId": self.evse[1]}
        elif action == "MeterValues":
            payload["evse"] = {"id": self.evse[0]}
        return payload


async def _round_trip(session: Session, action: str, payload: dict[str, Any]) -> Verdict | None:
    if not session.connected:
        return Verdict(
            False,
            "alive",
            f"the {session.peer_name} closed the connection after this example{_reason(session)}",
            error=SutDisconnected,
        )
    try:
        await session.call(action, payload)  # a CALLERROR is an answer too: the peer is alive
    except ConformanceFailure as exc:
        if _closed_under_the_reader(exc):
            exc = SutDisconnected(str(exc))
        return Verdict(
            False,
            "alive",
            f"no answer to a harmless {action}Request after this example: {_first(exc)}",
            error=type(exc),
        )
    return None


def _reason(session: Session) -> str:
    return f" ({session.close_reason})" if session.close_reason else ""


def _first(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _answer_text(answer: CallResult | CallError | None) -> str:
    return "no reply" if answer is None else serialize(answer)


def _label(answer: CallResult | CallError | None) -> str:
    if answer is None:
        return "no reply"
    return "CALLRESULT" if isinstance(answer, CallResult) else f"CALLERROR {answer.error_code}"


def readable_id(fault: FramingFault) -> str:
    """The message id a receiver can read from a framing fault; "-1" (Part 4 4.2.3) when none."""
    if not fault.expects_reply or not isinstance(fault.data, str):
        return "-1"
    try:
        message = json.loads(fault.data)
    except ValueError:
        return "-1"
    if isinstance(message, list) and len(message) > 1 and isinstance(message[1], str):
        return message[1]
    return "-1"


def judge_framing(example: FuzzExample, answer: CallResult | CallError | None, *, strict: bool) -> Verdict:
    """Property 2 for a wrapper-level fault: a CALLERROR with an allowed code (silence only where no
    message id can be read)."""
    fault = example.framing
    assert fault is not None
    label, text = _label(answer), _answer_text(answer)
    allowed = {fault.exact_code} if strict else set(fault.allowed_codes)
    if answer is None or (isinstance(answer, CallError) and answer.error_code in allowed):
        return Verdict.ok(label)  # None only reaches here where a reply is optional
    got = "a CALLRESULT" if isinstance(answer, CallResult) else answer.error_code
    return Verdict(
        False,
        "invalid-rejected",
        f"the SUT answered the framing fault {fault.fault!r} with {got};"
        f" allowed: {' or '.join(sorted(allowed))}{' (strict)' if strict else ''}",
        answer=text,
        label=label,
    )


def judge_request(example: FuzzExample, answer: CallResult | CallError | None, *, strict: bool) -> Verdict:
    """Properties 1, 2 and 4 for one answered (or unanswered) request."""
    if example.framing is not None:
        return judge_framing(example, answer, strict=strict)
    label, text = _label(answer), _answer_text(answer)
    name = f"{example.action}Request"
    bad = example.invalid
    if bad is None:
        if isinstance(answer, CallResult):
            return Verdict.ok(label)
        if isinstance(answer, CallError) and answer.error_code in VALID_REJECTION_CODES:
            return Verdict.ok(label)
        code = answer.error_code if isinstance(answer, CallError) else "no reply"
        detail = ""
        if isinstance(answer, CallError):
            detail = (
                f"\n  SUT error description: {answer.error_description!r}; details: {answer.error_details}"
                "\n  fields of the example:\n    " + "\n    ".join(example.field_paths())
            )
        return Verdict(
            False,
            "valid-accepted",
            f"the SUT rejected a schema-valid {name} with {code} (a code for a malformed payload){detail}",
            answer=text,
            label=label,
        )
    if isinstance(answer, CallResult):
        return Verdict(
            False,
            "invalid-rejected",
            f"the SUT accepted a malformed {name} ({bad.rule} at {bad.path}) with a CALLRESULT",
            answer=text,
            label=label,
        )
    if answer is None:
        return Verdict.ok(label)  # only reached where dropping is permitted (expect_reply=False)
    allowed = {bad.exact_code} if strict else set(bad.allowed_codes)
    if answer.error_code in allowed:
        return Verdict.ok(label)
    return Verdict(
        False,
        "invalid-rejected",
        f"the SUT answered a malformed {name} ({bad.rule} at {bad.path}) with {answer.error_code};"
        f" allowed: {' or '.join(sorted(allowed))}{' (strict)' if strict else ''}",
        answer=text,
        label=label,
    )


async def check_request(target: FuzzTarget, example: FuzzExample, *, strict: bool, timeout: float) -> Verdict:
    """Send one request example, judge the answer, then check the SUT is still there."""
    await target.ready(example)
    session = target.session
    unique_id = new_message_id()
    if example.framing is not None:
        unique_id = readable_id(example.framing)
        required = example.framing.expects_reply
    else:
        required = example.invalid is None or example.invalid.reply_required
    frame = example.frame(unique_id)
    try:
        answer = await session.call_raw(
            example.wire(unique_id),
            unique_id=unique_id,
            action=example.action,
            timeout=timeout if required else min(timeout, SILENCE_CAP),
            expect_reply=required,
        )
    except ConformanceFailure as exc:
        return _failure_of(exc, frame, example)
    verdict = judge_request(example, answer, strict=strict)
    if verdict.passed:
        verdict = await target.alive() or verdict
    return replace(verdict, frame=frame, answer=verdict.answer or _answer_text(answer))


def _closed_under_the_reader(exc: ConformanceFailure) -> bool:
    """The session's reader failed answering the SUT's own CALL because the SUT had just closed the
    connection (it reports that as an internal error): for the property, a disconnect."""
    return exc.rule == "harness.reader" and "SutDisconnected" in str(exc)


def drain_closed_noise(session: Session) -> None:
    """Before an example: drop a pending reader error that only says the previous example's
    disconnect raced an automatic answer (that example was already judged a disconnect). Any other
    pending violation is raised, failing this example."""
    try:
        session.check_violations()
    except ConformanceFailure as exc:
        if not _closed_under_the_reader(exc):
            raise


def _failure_of(exc: ConformanceFailure, frame: str, example: FuzzExample) -> Verdict:
    if isinstance(exc, SutDisconnected) or _closed_under_the_reader(exc):
        exc = SutDisconnected(str(exc))
        prop, text = "alive", "the SUT closed the connection instead of answering this example"
    elif isinstance(exc, SchemaViolationFailure):
        prop, text = "valid-answer", "the SUT's answer broke the OCPP-J rules"
    elif isinstance(exc, SutTimeout):
        prop, text = ("valid-answer" if example.valid else "invalid-rejected"), "no answer in time"
    else:
        prop, text = "valid-answer", "the SUT failed"
    return Verdict(False, prop, f"{text}: {exc}", frame=frame, answer=exc.frame or "", error=type(exc))


async def provoke(target: StationUnderTest, action: str, timeout: float) -> ReceivedCall:
    """Make the station send `action` (TriggerMessage) and hold that CALL for the harness to answer.

    Raises ConformanceFailure when the station refuses the trigger or does not send the message."""
    csms = target.csms
    csms.discard_inbox()  # earlier CALLs (e.g. the boot after a reconnect) were answered already
    csms.hold(action)
    try:
        result = await csms.call("TriggerMessage", target.trigger_payload(action), timeout=timeout)
        if isinstance(result, CallError) or result.payload.get("status") != "Accepted":
            raise TriggerRefused(
                f"[conformance] the station did not accept TriggerMessage {action}: {serialize(result)}"
            )
        return await csms.expect(action, timeout=timeout, what="the triggered message")
    finally:
        csms.release(action)


async def answer_raw(received: ReceivedCall, text: str) -> None:
    """Answer the SUT's CALL with a hand-made (maybe invalid) CALLRESULT, keeping RPC bookkeeping right."""
    sender = getattr(received, "send_raw", None)
    if sender is not None:
        await sender(text)
        return
    session = received.session
    await session.send_raw(text)
    # Until ReceivedCall.send_raw exists: close the station's open CALL as `reply` would.
    session._tracker.outgoing_response(received.call.unique_id)
    received.answered = True


async def check_response(target: StationUnderTest, example: FuzzExample, *, timeout: float) -> Verdict:
    """Answer one triggered station request with the example; the station must stay connected and
    keep answering."""
    await target.ready(example)
    try:
        received = await provoke(target, example.action, timeout)
    except ConformanceFailure as exc:
        return Verdict(False, "trigger", _first(exc), error=type(exc))
    frame = example.frame(received.call.unique_id)
    try:
        if example.invalid is None:
            await received.reply(example.payload)
        else:
            await answer_raw(received, frame)
    except ConformanceFailure as exc:
        return Verdict(False, "alive", f"could not answer: {_first(exc)}", frame=frame, error=type(exc))
    verdict = await target.alive() or Verdict.ok("answered")
    return replace(verdict, frame=frame)

"""The test-facing OCPP-J session: one peer, every frame validated, every wait bounded.

A `Session` is bound to one WebSocket connection at a time (`bind`), so the harness playing a CSMS can
follow a station across reboots and reconnects without the test noticing. A reader task decodes and
validates every incoming frame; the test's own task does the waiting (`expect`, `call`, ...), so steps
and attachments are opened from the test's task only.

Incoming CALLs go to an inbox. Each is answered at once by its action's responder (conformant defaults,
overridable per test with `on`), unless the test holds the action (`hold`) to answer it itself.
Violations by the SUT are collected; every session call raises the first pending one, so a test fails
at the step where the SUT broke a rule, with the frame, the JSON path and the rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from conformance.errors import (
    HarnessError,
    SchemaViolationFailure,
    SutDisconnected,
    SutTimeout,
)
from conformance.ocppj.frames import Call, CallError, CallResult, new_message_id, serialize
from conformance.ocppj.rpc import RpcTracker
from conformance.ocppj.transcript import Transcript
from conformance.ocppj.validation import FrameValidator, Violation
from conformance.transport.errors import TransportClosed

T = TypeVar("T")
Payload = dict[str, Any]
Responder = Callable[[Call], Payload] | Payload
Where = Callable[[Payload], bool]

# CALLERROR codes the harness answers an invalid CALL with, by the first violation's rule family.
_ERROR_CODE_FOR_RULE: Mapping[str, str] = {
    "schema.required": "OccurrenceConstraintViolation",
    "schema.type": "TypeConstraintViolation",
    "schema.enum": "PropertyConstraintViolation",
    "schema.maxLength": "PropertyConstraintViolation",
    "schema.minimum": "PropertyConstraintViolation",
    "schema.maximum": "PropertyConstraintViolation",
    "schema.additionalProperties": "FormatViolation",
    "format.date-time": "FormatViolation",
    "rpc.unknown-action": "NotImplemented",
    "rpc.message-type": "MessageTypeNotSupported",
}


class Connection(Protocol):
    """What the session needs of a transport connection (conformance.transport.WsConnection)."""

    @property
    def closed(self) -> bool: ...

    async def send(self, data: str | bytes) -> None: ...

    async def recv(self) -> str | bytes: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True)
class SutViolation:
    """A rule the SUT broke, with the frame that broke it."""

    violation: Violation
    frame_text: str
    direction: str = "in"

    def describe(self) -> str:
        v = self.violation
        where = f" at {v.path}" if v.path else ""
        return f"[schema] {v.rule}{where}: {v.message}\n  frame from the SUT: {_excerpt(self.frame_text)}"


@dataclass
class ReceivedCall:
    """A CALL received from the SUT. Answer it with `reply` or `error` unless a responder already did."""

    call: Call
    received_at: float
    session: Session
    answered: bool = False
    answer: Payload | None = None

    @property
    def action(self) -> str:
        return self.call.action

    @property
    def payload(self) -> Payload:
        return self.call.payload

    async def reply(self, payload: Payload) -> None:
        if self.answered:
            raise HarnessError(
                f"{self.action} ({self.call.unique_id}) was already answered by its responder; "
                f"use session.hold('{self.action}') before the step to answer it yourself"
            )
        await self.session._send_result(self.call, payload)
        self.answered, self.answer = True, payload

    async def send_raw(self, data: str | bytes) -> None:
        """Answer with a hand-made frame (fuzzing a SUT's handling of bad responses); marked deliberate."""
        if self.answered:
            raise HarnessError(f"{self.action} ({self.call.unique_id}) was already answered")
        await self.session.send_raw(data)
        self.session._tracker.outgoing_response(self.call.unique_id)
        self.answered = True

    async def error(self, code: str, description: str = "", details: Payload | None = None) -> None:
        if self.answered:
            raise HarnessError(f"{self.action} ({self.call.unique_id}) was already answered")
        await self.session._send_frame(CallError(self.call.unique_id, code, description, details or {}))
        self.session._tracker.outgoing_response(self.call.unique_id)
        self.answered = True


@dataclass
class _Waiter:
    action: str | tuple[str, ...] | None
    where: Where | None
    future: asyncio.Future[ReceivedCall]


@dataclass
class SessionEvents:
    """Connection life-cycle events the tests can wait for."""

    connected: int = 0
    disconnected: int = 0
    refused: int = 0  # reconnects the harness CSMS refused on purpose while offline (HarnessCsms)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def bump(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


class Session:
    """One OCPP-J peer relationship, seen by a test."""

    def __init__(
        self,
        *,
        validator: FrameValidator,
        transcript: Transcript | None = None,
        timeout: float = 10.0,
        default_responders: Mapping[str, Responder] | None = None,
        peer_name: str = "SUT",
    ) -> None:
        self.validator = validator
        self.transcript = transcript or Transcript()
        self.timeout = timeout
        self.peer_name = peer_name
        self._defaults: dict[str, Responder] = dict(default_responders or {})
        self._overrides: dict[str, Responder] = {}
        self._held: set[str] = set()
        self._inbox: list[ReceivedCall] = []
        self._consumed: set[int] = set()
        self._test_start = 0
        self._waiters: list[_Waiter] = []
        self._pending: dict[str, tuple[str, asyncio.Future[CallResult | CallError]]] = {}
        self._violations: list[SutViolation] = []
        self._raised = 0
        self._call_lock = asyncio.Lock()
        self._message_timeout: float | None = None
        self._tracker = RpcTracker(self.message_timeout)
        self._conn: Connection | None = None
        self._reader: asyncio.Task[None] | None = None
        self.events = SessionEvents()
        self.close_reason: str = ""
        self.sut_identity: dict[str, str] = {}
        # Inbox length when the last CALLRESULT/CALLERROR arrived: what came before it is stale
        # for a step that follows the response (e.g. the boot after a Reset).
        self.last_response_mark = 0

    # ----------------------------------------------------------------- connection binding
    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def bind(self, conn: Connection) -> None:
        """Follow a new connection of the same peer (first connect, or after a reboot)."""
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
        self._conn = conn
        self._tracker = RpcTracker(self.message_timeout)
        self.transcript.note("connection opened")
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(conn))
        self.events.connected += 1
        self.events.bump()

    async def aclose(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(Exception):
                await self._conn.close()

    @property
    def message_timeout(self) -> float:
        """The peer's message timeout (its OCPPCommCtrlr.MessageTimeout): a CALL of the peer left
        unanswered that long is forgotten, so its next CALL (or a resend) is no `rpc.second-call`.
        Default: the session's own timeout; a test that knows the peer's value sets it (until its end)."""
        return self.timeout if self._message_timeout is None else self._message_timeout

    @message_timeout.setter
    def message_timeout(self, seconds: float | None) -> None:
        self._message_timeout = seconds
        self._tracker.message_timeout = self.message_timeout

    def begin_test(self) -> None:
        """Forget what earlier tests saw: inbox, overrides, holds, violations already raised, and a
        message timeout the previous test set."""
        self.message_timeout = None
        self._consumed.update(range(len(self._inbox)))
        self._test_start = len(self._inbox)
        self._overrides.clear()
        self._held.clear()
        self._violations.clear()
        self._raised = 0

    def history(self, action: str | tuple[str, ...] | None = None) -> list[ReceivedCall]:
        """The CALLs received in this test so far (taken by an expect or not), oldest first."""
        return [r for r in self._inbox[self._test_start :] if _matches(r, action, None)]

    def discard_inbox(self, before: int | None = None) -> None:
        """Make CALLs received before inbox position `before` (default: all so far) unavailable to expect."""
        end = len(self._inbox) if before is None else before
        self._consumed.update(range(end))

    def discard_superseded(
        self, latest: ReceivedCall, action: str | tuple[str, ...], where: Where | None = None
    ) -> int:
        """Make CALLs of `action` (matching `where`) received before `latest` unavailable to expect: a newer
        report of the same thing supersedes them. Returns how many were discarded."""
        position = next((i for i, r in enumerate(self._inbox) if r is latest), None)
        if position is None:
            return 0
        older = [
            i for i in range(position) if i not in self._consumed and _matches(self._inbox[i], action, where)
        ]
        self._consumed.update(older)
        return len(older)

    # ----------------------------------------------------------------- configuration
    def on(self, action: str, responder: Responder) -> None:
        """Answer this action's CALLs with `responder` (a payload or a function of the Call)."""
        self._held.discard(action)
        self._overrides[action] = responder

    def hold(self, action: str) -> None:
        """Leave this action's CALLs unanswered until the test calls `.reply()` / `.error()`."""
        self._held.add(action)

    def release(self, action: str) -> None:
        self._held.discard(action)

    # ----------------------------------------------------------------- violations
    @property
    def violations(self) -> list[SutViolation]:
        return list(self._violations)

    def check_violations(self) -> None:
        """Raise the first violation not raised yet (every session call does this)."""
        if len(self._violations) > self._raised:
            first = self._violations[self._raised]
            self._raised = len(self._violations)
            more = len(self._violations) - 1
            suffix = f"\n  (+{more} more violation(s) in the transcript)" if more > 0 else ""
            raise SchemaViolationFailure(
                first.describe() + suffix,
                rule=first.violation.rule,
                frame=first.frame_text,
                path=first.violation.path,
            )

    def _record_violations(self, text: str, violations: tuple[Violation, ...] | list[Violation]) -> None:
        for v in violations:
            self._violations.append(SutViolation(v, text))
        self._wake_all()

    # ----------------------------------------------------------------- test-facing API
    async def expect(
        self,
        action: str | tuple[str, ...],
        *,
        timeout: float | None = None,
        where: Where | None = None,
        what: str = "",
    ) -> ReceivedCall:
        """Wait for a CALL of `action` (matching `where`) from the SUT, not yet taken by another expect."""
        self.check_violations()
        found = self._take_from_inbox(action, where)
        if found is not None:
            return found
        loop = asyncio.get_running_loop()
        waiter = _Waiter(action, where, loop.create_future())
        self._waiters.append(waiter)
        limit = self.timeout if timeout is None else timeout
        try:
            return await self._await_bounded(
                waiter.future, limit, lambda: f"{_names(action)}{' (' + what + ')' if what else ''}"
            )
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    async def call(
        self, action: str, payload: Payload, *, timeout: float | None = None
    ) -> CallResult | CallError:
        """Send a CALL and return the SUT's validated CALLRESULT, or its CALLERROR as a typed result."""
        self.check_violations()
        own = self.validator.check_payload(action, "request", payload)
        if own:
            raise HarnessError(f"the harness refused to send an invalid {action}Request: {own[0]}")
        async with self._call_lock:
            call = Call(new_message_id(), action, payload)
            future: asyncio.Future[CallResult | CallError] = asyncio.get_running_loop().create_future()
            self._pending[call.unique_id] = (action, future)
            self._tracker.outgoing_call(call)
            try:
                await self._send_frame(call)
                limit = self.timeout if timeout is None else timeout
                result = await self._await_bounded(future, limit, lambda: f"{action}Response")
            finally:
                self._pending.pop(call.unique_id, None)
                self._tracker.expire_outgoing(call.unique_id)  # a late answer is then flagged
        self.check_violations()
        return result

    async def call_ok(self, action: str, payload: Payload, *, timeout: float | None = None) -> Payload:
        """`call`, requiring a CALLRESULT: a CALLERROR fails the test."""
        result = await self.call(action, payload, timeout=timeout)
        if isinstance(result, CallError):
            from conformance.errors import ConformanceFailure

            raise ConformanceFailure(
                f"[conformance] the SUT answered {action}Request with CALLERROR {result.error_code}"
                f" ({result.error_description!r}) where a {action}Response was required"
            )
        return result.payload

    async def send_raw(self, data: str | bytes, *, deliberate_invalid: bool = True) -> None:
        """Send a frame as is (fuzzing, malformed-frame tests); it is marked as deliberate."""
        conn = self._require_conn()
        self.transcript.add("out", data, (), deliberate_invalid=deliberate_invalid)
        await conn.send(data)

    async def call_raw(
        self,
        data: str | bytes,
        *,
        unique_id: str | None,
        action: str | None = None,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> CallResult | CallError | None:
        """Send a hand-made (usually deliberately invalid) CALL and wait for the SUT's answer.

        `unique_id` / `action`: what the SUT can read from the frame, so its answer is correlated and its
        CALLRESULT validated against the action's response schema. With `expect_reply=False` (nothing
        readable to answer) silence until the timeout returns None instead of failing.
        """
        self.check_violations()
        async with self._call_lock:
            future: asyncio.Future[CallResult | CallError] = asyncio.get_running_loop().create_future()
            if unique_id is not None:
                self._pending[unique_id] = (action or "", future)
                self._tracker.outgoing_call(Call(unique_id, action or "", {}))
            try:
                await self.send_raw(data)
                limit = self.timeout if timeout is None else timeout
                if unique_id is None or not expect_reply:
                    try:
                        return await asyncio.wait_for(asyncio.shield(future), limit)
                    except TimeoutError:
                        return None
                    except _ViolationPending:
                        self.check_violations()
                        raise
                    except _Disconnected:
                        raise SutDisconnected(
                            f"[disconnected] the {self.peer_name} closed the connection after a deliberately"
                            f" invalid frame{self._reason()}"
                        ) from None
                return await self._await_bounded(future, limit, lambda: f"an answer to message {unique_id!r}")
            finally:
                if unique_id is not None:
                    self._pending.pop(unique_id, None)
                    self._tracker.expire_outgoing(unique_id)

    async def expect_no_message(self, seconds: float, *, action: str | None = None) -> None:
        """Fail if the SUT sends a CALL (of `action`, if given) within the next `seconds`."""
        self.check_violations()
        loop = asyncio.get_running_loop()
        waiter = _Waiter(action, None, loop.create_future())
        self._waiters.append(waiter)
        try:
            got = await asyncio.wait_for(asyncio.shield(waiter.future), seconds)
        except TimeoutError:
            self.check_violations()
            return
        except _ViolationPending:
            self.check_violations()
            raise
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
        from conformance.errors import ConformanceFailure

        raise ConformanceFailure(
            f"[conformance] the SUT sent {got.action}Request within {seconds:g} s where no"
            f" {'message' if action is None else action + 'Request'} was allowed:"
            f" {_excerpt(serialize(got.call))}"
        )

    async def wait_disconnect(self, *, timeout: float | None = None) -> None:
        """Wait until the current connection closes."""
        target = self.events.disconnected + (1 if self.connected else 0)
        await self._wait_event(lambda: self.events.disconnected >= target, timeout, "the SUT to disconnect")

    async def wait_connected(self, *, timeout: float | None = None, after: int | None = None) -> None:
        """Wait for a (new) connection: `after` is the `events.connected` count to exceed."""
        floor = self.events.connected if after is None else after
        await self._wait_event(
            lambda: self.events.connected > floor and self.connected, timeout, "the SUT to (re)connect"
        )

    async def wait_reconnect(self, *, timeout: float | None = None) -> None:
        """Wait for the peer's next connection (after a reboot or a dropped connection)."""
        await self.wait_connected(timeout=timeout, after=self.events.connected)

    # ----------------------------------------------------------------- internals
    async def _wait_event(self, done: Callable[[], bool], timeout: float | None, what: str) -> None:
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SutTimeout(f"[timeout] waited {limit:g} s for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.events.changed.wait(), remaining)

    async def _await_bounded(self, future: asyncio.Future[T], limit: float, what: Callable[[], str]) -> T:
        try:
            return await asyncio.wait_for(asyncio.shield(future), limit)
        except TimeoutError:
            self.check_violations()
            state = "" if self.connected else f" (the connection is closed{self._reason()})"
            raise SutTimeout(
                f"[timeout] no {what()} from the {self.peer_name} within {limit:g} s{state}"
            ) from None
        except _ViolationPending:
            self.check_violations()
            raise HarnessError("internal: a violation woke a waiter but none was pending") from None
        except _Disconnected:
            self.check_violations()
            raise SutDisconnected(
                f"[disconnected] the {self.peer_name} closed the connection while the harness waited"
                f" for {what()}{self._reason()}"
            ) from None

    def _reason(self) -> str:
        return f": {self.close_reason}" if self.close_reason else ""

    def _require_conn(self) -> Connection:
        if self._conn is None or self._conn.closed:
            raise SutDisconnected(
                f"[disconnected] no open connection to the {self.peer_name}{self._reason()}"
            )
        return self._conn

    async def _send_frame(self, frame: Call | CallResult | CallError) -> None:
        conn = self._require_conn()
        text = serialize(frame)
        self.transcript.add("out", text, ())
        await conn.send(text)

    async def _send_result(self, call: Call, payload: Payload) -> None:
        own = self.validator.check_payload(call.action, "response", payload)
        if own:
            raise HarnessError(f"the harness refused to send an invalid {call.action}Response: {own[0]}")
        await self._send_frame(CallResult(call.unique_id, payload))
        self._tracker.outgoing_response(call.unique_id)

    def _take_from_inbox(
        self, action: str | tuple[str, ...] | None, where: Where | None
    ) -> ReceivedCall | None:
        for index, received in enumerate(self._inbox):
            if index in self._consumed:
                continue
            if _matches(received, action, where):
                self._consumed.add(index)
                return received
        return None

    def _wake_all(self) -> None:
        """Wake waiters so they can raise a violation promptly instead of timing out."""
        for waiter in list(self._waiters):
            if not waiter.future.done() and self._violations[self._raised :]:
                waiter.future.set_exception(_ViolationPending())
        for _action, future in list(self._pending.values()):
            if not future.done() and self._violations[self._raised :]:
                future.set_exception(_ViolationPending())

    async def _read_loop(self, conn: Connection) -> None:
        try:
            while True:
                data = await conn.recv()
                await self._on_frame(data)
        except TransportClosed as closed:
            self.close_reason = str(closed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a harness bug must fail the test, not vanish in a task
            self.close_reason = f"harness reader failed: {exc!r}"
            self._violations.append(
                SutViolation(Violation("harness.reader", "", f"internal error: {exc!r}"), "")
            )
        finally:
            if conn is self._conn:
                self.transcript.note(f"connection closed{self._reason()}")
                self.events.disconnected += 1
                self.events.bump()
                for _action, future in list(self._pending.values()):
                    if not future.done():
                        future.set_exception(_Disconnected())

    async def _on_frame(self, data: str | bytes) -> None:
        decoded = self.validator.decode(data)
        frame = decoded.frame
        violations: list[Violation] = list(decoded.violations)
        if isinstance(frame, Call):
            violations.extend(self._tracker.incoming_call(frame))
        elif isinstance(frame, CallResult | CallError):
            action, rpc_violations = self._tracker.incoming_response(frame)
            violations.extend(rpc_violations)
            if isinstance(frame, CallResult) and action:
                violations.extend(self.validator.check_payload(action, "response", frame.payload))
        self.transcript.add("in", data, tuple(violations))
        if violations:
            self._record_violations(decoded.text, violations)

        if isinstance(frame, Call):
            await self._on_call(frame, violations)
        elif isinstance(frame, CallResult | CallError):
            entry = self._pending.get(frame.unique_id)
            if entry is not None and not entry[1].done():
                self.last_response_mark = len(self._inbox)
                entry[1].set_result(frame)
        elif decoded.message_id is not None:
            # A CALL we could not decode but whose id we read: answer as a conformant peer would.
            code = _error_code_for(violations)
            await self._send_error_quietly(decoded.message_id, code, violations)

    async def _on_call(self, call: Call, violations: list[Violation]) -> None:
        schema_broken = [v for v in violations if v.rule.startswith(("schema.", "format.", "rpc.unknown"))]
        if schema_broken:
            await self._send_error_quietly(call.unique_id, _error_code_for(schema_broken), schema_broken)
            return
        if call.action == "BootNotification":
            self.sut_identity = {
                k: str(v) for k, v in call.payload.get("chargingStation", {}).items() if isinstance(v, str)
            }
        received = ReceivedCall(call, time.monotonic(), self)
        self._inbox.append(received)
        index = len(self._inbox) - 1
        if call.action not in self._held:
            await self._auto_answer(received)
        for waiter in list(self._waiters):
            if not waiter.future.done() and _matches(received, waiter.action, waiter.where):
                self._consumed.add(index)
                waiter.future.set_result(received)
                break

    async def _auto_answer(self, received: ReceivedCall) -> None:
        responder = self._overrides.get(received.action, self._defaults.get(received.action))
        if responder is None:
            await self._send_error_quietly(
                received.call.unique_id,
                "NotSupported",
                [],
                f"the harness has no responder for {received.action}",
            )
            received.answered = True
            return
        payload = responder(received.call) if callable(responder) else responder
        try:
            await received.reply(payload)
        except HarnessError as exc:
            self._violations.append(SutViolation(Violation("harness.responder", "", str(exc)), ""))
        except (SutDisconnected, TransportClosed):
            pass  # the SUT left while we answered: the reader notes the close; nothing to answer

    async def _send_error_quietly(
        self, unique_id: str, code: str, violations: list[Violation], description: str = ""
    ) -> None:
        text = description or (f"{violations[0].rule} at {violations[0].path}" if violations else code)
        with contextlib.suppress(Exception):
            await self._send_frame(CallError(unique_id, code, text[:255], {}))
            self._tracker.outgoing_response(unique_id)


class _Disconnected(Exception):
    pass


class _ViolationPending(Exception):
    pass


def _matches(received: ReceivedCall, action: str | tuple[str, ...] | None, where: Where | None) -> bool:
    if isinstance(action, tuple):
        if received.action not in action:
            return False
    elif action is not None and received.action != action:
        return False
    return where is None or bool(where(received.payload))


def _names(action: str | tuple[str, ...]) -> str:
    return " or ".join(a + "Request" for a in ((action,) if isinstance(action, str) else action))


def _error_code_for(violations: list[Violation]) -> str:
    for v in violations:
        code = _ERROR_CODE_FOR_RULE.get(v.rule)
        if code:
            return code
    return (
        "FormatViolation" if violations and violations[0].rule.startswith("schema.") else "RpcFrameworkError"
    )


def _excerpt(text: str | bytes, limit: int = 600) -> str:
    shown = text if isinstance(text, str) else repr(text)
    return shown if len(shown) <= limit else shown[:limit] + f"... ({len(shown)} chars)"


AwaitableFactory = Callable[[], Awaitable[Any]]

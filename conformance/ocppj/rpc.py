"""RPC bookkeeping for one OCPP-J connection: open CALLs per direction, response correlation.

Part 4, 4.1.1: each side has at most one CALL open towards the other; 4.1.4: a CALLRESULT/CALLERROR
carries the id of the CALL it answers. Pure bookkeeping, no I/O, not thread-safe (one per connection,
used from its event loop).

A peer that got no answer within its message timeout (OCPPCommCtrlr.MessageTimeout) considers its CALL
timed out and may send the next one, or send the same message again (E13 retries). So with a
`message_timeout`, an incoming CALL left unanswered that long is forgotten: a later CALL is no second
concurrent CALL. A CALL sent while the previous one is younger than the timeout still is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import MappingProxyType

from conformance.ocppj.frames import Call, CallError, CallResult
from conformance.ocppj.validation import Violation


class RpcTracker:
    """Open CALLs of one connection: `ours` (we sent, awaiting the peer) and `theirs` (peer sent)."""

    __slots__ = ("_clock", "_ours", "_since", "_theirs", "message_timeout")

    def __init__(
        self, message_timeout: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ours: dict[str, str] = {}
        self._theirs: dict[str, str] = {}
        self._since: dict[str, float] = {}  # when each of the peer's open CALLs arrived (clock time)
        # The peer's message timeout in seconds; None: its CALLs stay open until answered.
        self.message_timeout = message_timeout
        self._clock = clock

    @property
    def open_outgoing(self) -> Mapping[str, str]:
        """Our CALLs awaiting an answer: message id -> action (read-only view)."""
        return MappingProxyType(self._ours)

    @property
    def open_incoming(self) -> Mapping[str, str]:
        """The peer's CALLs we have not answered yet: message id -> action (read-only view)."""
        return MappingProxyType(self._theirs)

    def outgoing_call(self, call: Call) -> tuple[Violation, ...]:
        """Register a CALL we send. A violation here is the harness's own fault (a reused open id)."""
        found: tuple[Violation, ...] = ()
        if call.unique_id in self._ours:
            found = (_duplicate(call, self._ours[call.unique_id], "we"),)
        self._ours[call.unique_id] = call.action
        return found

    def incoming_call(self, call: Call) -> tuple[Violation, ...]:
        """Register a CALL from the peer; flags a reused open id and a second concurrent CALL."""
        now = self._clock()
        self._forget_timed_out(now)
        found: tuple[Violation, ...] = ()
        if call.unique_id in self._theirs:
            found = (_duplicate(call, self._theirs[call.unique_id], "the peer"),)
        elif self._theirs:
            open_id, open_action = next(iter(self._theirs.items()))
            found = (
                Violation(
                    "rpc.second-call",
                    "$[1]",
                    f"{call.action} ({call.unique_id}) sent while {open_action} ({open_id}) "
                    "still awaits its answer: one CALL at a time per direction",
                ),
            )
        self._theirs[call.unique_id] = call.action
        self._since[call.unique_id] = now
        return found

    def _forget_timed_out(self, now: float) -> None:
        timeout = self.message_timeout
        if timeout is None:
            return
        # The peer's timer started when it sent, a little before we received: a small grace keeps a
        # resend right at its timeout from being flagged.
        limit = timeout - min(1.0, 0.1 * timeout)
        for unique_id in [u for u, t in self._since.items() if now - t >= limit]:
            self._theirs.pop(unique_id, None)
            del self._since[unique_id]

    def incoming_response(self, frame: CallResult | CallError) -> tuple[str | None, tuple[Violation, ...]]:
        """Resolve the peer's CALLRESULT/CALLERROR to our open CALL: (its action, violations)."""
        action = self._ours.pop(frame.unique_id, None)
        if action is not None:
            return action, ()
        kind = "CALLRESULT" if isinstance(frame, CallResult) else "CALLERROR"
        return None, (
            Violation(
                "rpc.unexpected-response",
                "$[1]",
                f"{kind} for message id {frame.unique_id!r}, which matches no open CALL of ours",
            ),
        )

    def outgoing_response(self, unique_id: str) -> str | None:
        """Close the peer's CALL we just answered; returns its action (None if it was not open)."""
        self._since.pop(unique_id, None)
        return self._theirs.pop(unique_id, None)

    def expire_outgoing(self, unique_id: str) -> str | None:
        """Forget our CALL after its timeout, so a late answer is flagged as unexpected."""
        return self._ours.pop(unique_id, None)

    def reset(self) -> None:
        """A new connection: nothing is open any more."""
        self._ours.clear()
        self._theirs.clear()
        self._since.clear()

    def __repr__(self) -> str:
        return f"RpcTracker(ours={dict(self._ours)!r}, theirs={dict(self._theirs)!r})"


def _duplicate(call: Call, open_action: str, who: str) -> Violation:
    return Violation(
        "rpc.duplicate-id",
        "$[1]",
        f"message id {call.unique_id!r} of {call.action} is already used by {who} for the open {open_action}",
    )

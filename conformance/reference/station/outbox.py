"""Station-initiated CALLs, sent one at a time in order through the `ocpp` library.

While the station is offline (or its boot is not Accepted), TransactionEvents are queued and resent
in order once it can send again (E04); other messages fail at once with `Offline`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from ocpp.charge_point import camel_to_snake_case, remove_nones, snake_to_camel_case
from ocpp.v201 import ChargePoint
from ocpp.v201 import call as ocpp_call

from conformance.reference.station.clock import StationClock
from conformance.reference.station.lean_event import LeanEvent

LOG = logging.getLogger("conformance.reference.station")
# Real seconds a response already sent may take to be read once advance_clock expired MessageTimeout.
_WIRE_GRACE = 0.2


class Offline(Exception):
    """The station cannot send this message now."""


class CallFailed(Exception):
    """The CSMS answered with a CALLERROR, an invalid response, or not in time."""


@dataclass
class _Entry:
    action: str
    payload: dict[str, Any]
    future: asyncio.Future[dict[str, Any]]
    queue_offline: bool
    attempt: int = 0


class Outbox:
    def __init__(
        self,
        response_timeout: float,
        retry_policy: Callable[[str], tuple[int, float]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        clock: StationClock | None = None,
    ) -> None:
        """`retry_policy(action)` -> (attempts, interval) for queueable messages the CSMS failed (E04).
        With `clock`, MessageTimeout runs on station time (advance_clock expires it, as a real station
        that simply waited) and a retry's interval counts from the failure's station time (E13.FR.02:
        interval * n + MessageTimeout after the previous transmission), so one advance past both fires
        the resend at once."""
        self._entries: deque[_Entry] = deque()
        self._wake = LeanEvent()
        self._cp: ChargePoint | None = None
        self._closed = LeanEvent()
        self._open = False
        self._busy = False
        self._current: _Entry | None = None  # sent, awaiting its response: still undelivered (E14)
        self._answered = False  # the response to `_current` has been read from the connection
        self._response_timeout = response_timeout
        self._retry_policy = retry_policy
        self._sleep = sleep
        self._clock = clock
        self._failed_at = 0.0  # station time the last CALL failed (timed out or got a CALLERROR)
        self.retries = 0
        self.sent: list[str] = []  # actions sent, in order (for get_state and tests)

    @property
    def queued(self) -> int:
        """Messages not yet answered by the CSMS (waiting, or sent and awaiting the response)."""
        return len(self._entries) + (1 if self._busy else 0)

    @property
    def is_open(self) -> bool:
        return self._open

    def attach(self, cp: ChargePoint) -> None:
        self._cp = cp
        self._closed = LeanEvent()

    def set_open(self, value: bool) -> None:
        self._open = value and self._cp is not None
        if self._open:
            self._wake.set()

    def detach(self) -> None:
        """The connection is gone: fail what cannot wait, keep the queueable ones."""
        self._cp = None
        self._open = False
        self._closed.set()
        keep: deque[_Entry] = deque()
        for entry in self._entries:
            if entry.queue_offline:
                keep.append(entry)
            elif not entry.future.done():
                entry.future.set_exception(Offline(entry.action))
        self._entries = keep

    def submit(
        self, action: str, payload: dict[str, Any], *, queue_offline: bool = False
    ) -> asyncio.Future[dict[str, Any]]:
        """Queue a CALL now (order is the order of submit calls); the future gets the response."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if not self._open and not queue_offline:
            future.set_exception(Offline(action))
            return future
        self._entries.append(_Entry(action, payload, future, queue_offline))
        self._wake.set()
        return future

    async def call(
        self, action: str, payload: dict[str, Any], *, queue_offline: bool = False
    ) -> dict[str, Any]:
        return await self.submit(action, payload, queue_offline=queue_offline)

    def post(self, action: str, payload: dict[str, Any], *, queue_offline: bool = False) -> None:
        """Fire and forget (the response is not needed)."""
        self.submit(action, payload, queue_offline=queue_offline).add_done_callback(_swallow)

    def queued_for(self, action: str, key: str, value: Any) -> bool:
        """Is a message of `action` whose payload has `key` (dotted) == value still queued?
        The one sent and not yet answered counts: it is not delivered until the CSMS answers (E14.FR.04)."""
        # A response already read (`response_read`) is delivered, even if the send loop has not resumed yet
        # (TC_E_30_CS: the CSMS's next CALL can be handled before that).
        current = [self._current] if self._busy and self._current is not None and not self._answered else []
        for entry in [*current, *self._entries]:
            if entry.action != action:
                continue
            node: Any = entry.payload
            for part in key.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if value is None or node == value:
                return True
        return False

    def response_read(self) -> None:
        """The connection delivered a CALLRESULT / CALLERROR (the one CALL in flight is answered)."""
        self._answered = True

    async def direct(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send now, bypassing the queue (BootNotification while not yet Accepted)."""
        return await self._send(action, payload)

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) until everything queued has been sent, when online."""
        deadline = asyncio.get_running_loop().time() + timeout
        loop = asyncio.get_running_loop()
        while self._open and (self._entries or self._busy) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # a bounded poll; used only before a reset

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._open and self._entries:
                entry = self._entries.popleft()
                if entry.future.done():
                    continue
                self._busy, self._current, self._answered = True, entry, False
                try:
                    result = await self._send(entry.action, entry.payload)
                except Offline:
                    if entry.queue_offline:
                        self._entries.appendleft(entry)
                    else:
                        entry.future.set_exception(Offline(entry.action))
                    break
                except CallFailed as exc:
                    if await self._retry(entry):
                        continue
                    entry.future.set_exception(exc)
                else:
                    entry.future.set_result(result)
                finally:
                    self._busy = False

    async def _retry(self, entry: _Entry) -> bool:
        """Resend a failed queueable message later, in place (order kept), up to its attempts."""
        if not entry.queue_offline or self._retry_policy is None:
            return False
        attempts, interval = self._retry_policy(entry.action)
        entry.attempt += 1
        if entry.attempt >= attempts:
            return False
        self.retries += 1
        self._entries.appendleft(entry)
        self._busy = True  # still ours: nothing else may overtake it
        try:
            if self._clock is not None:
                await self._clock.sleep_until(self._failed_at + interval * entry.attempt)
            else:
                await self._sleep(interval * entry.attempt)
        finally:
            self._busy = False
        return True

    async def _send(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        cp = self._cp
        if cp is None:
            raise Offline(action)
        request = getattr(ocpp_call, action)(**camel_to_snake_case(payload))
        closed = asyncio.ensure_future(self._closed.wait())
        sending = asyncio.ensure_future(cp.call(request, suppress=False))
        waiting: set[asyncio.Future[Any]] = {closed, sending}
        expiry: asyncio.Future[None] | None = None
        deadline = 0.0
        if self._clock is not None:
            deadline = self._clock.now() + self._response_timeout
            expiry = asyncio.ensure_future(self._clock.sleep_until(deadline))
            waiting.add(expiry)
        try:
            done, _ = await asyncio.wait(
                waiting, timeout=self._response_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if expiry is not None and expiry in done and not (done & {closed, sending}):
                # Expired by advance_clock: a response already on the wire (sent before the harness
                # advanced the clock) still counts, so the advance cannot race a prompt answer.
                done, _ = await asyncio.wait(
                    {closed, sending}, timeout=_WIRE_GRACE, return_when=asyncio.FIRST_COMPLETED
                )
        finally:
            closed.cancel()
            if expiry is not None:
                expiry.cancel()
        if sending not in done:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sending
            if closed in done:
                raise Offline(action)
            self._failed_at = deadline if self._clock is not None else 0.0
            raise CallFailed(f"{action}: no response within {self._response_timeout} s")
        try:
            response = sending.result()
        except Exception as exc:  # CALLERROR or an invalid response from the CSMS
            self._failed_at = self._clock.now() if self._clock is not None else 0.0
            raise CallFailed(f"{action}: {exc!r}") from exc
        self.sent.append(action)
        return dict(snake_to_camel_case(remove_nones(asdict(response))))


def _swallow(task: asyncio.Future[dict[str, Any]]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        LOG.debug("station message not delivered: %r", exc)

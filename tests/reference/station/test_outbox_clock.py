"""The reference station's outbox on station time: MessageTimeout and the E13 retry interval.

With the station's clock (advance_clock), an unanswered CALL times out once station time passes its
MessageTimeout, and the retry interval counts from that deadline (E13.FR.02: interval * n + MessageTimeout
after the previous transmission), so one advance past both makes the resend due at once (TC_E_41/42_CS).
Real sockets: a WebSocket server on an ephemeral port that reads every frame and never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.v201 import ChargePoint
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from conformance.reference.station.clock import StationClock
from conformance.reference.station.outbox import Outbox

MESSAGE_TIMEOUT = 30.0  # station seconds: far beyond the test's real waits
INTERVAL = 10.0  # MessageAttemptInterval, station seconds
EVENT = {
    "eventType": "Started",
    "timestamp": "2026-01-01T00:00:00.000Z",
    "triggerReason": "CablePluggedIn",
    "seqNo": 0,
    "transactionInfo": {"transactionId": "tx-1"},
}


@contextlib.asynccontextmanager
async def silent_csms_link(clock: StationClock) -> AsyncIterator[tuple[Outbox, asyncio.Queue[Any]]]:
    """An outbox (2 attempts, INTERVAL apart) connected to a CSMS that never answers; the frames it got."""
    frames: asyncio.Queue[Any] = asyncio.Queue()

    async def swallow(ws: ServerConnection) -> None:
        async for text in ws:
            frames.put_nowait(json.loads(text))

    async with serve(swallow, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp2.0.1")]) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/cs", subprotocols=[Subprotocol("ocpp2.0.1")]) as ws:
            cp = ChargePoint("cs", ws, response_timeout=MESSAGE_TIMEOUT)
            outbox = Outbox(MESSAGE_TIMEOUT, lambda _action: (2, INTERVAL), clock.sleep, clock=clock)
            outbox.attach(cp)
            outbox.set_open(True)
            tasks = [asyncio.ensure_future(cp.start()), asyncio.ensure_future(outbox.run())]
            try:
                yield outbox, frames
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)


def test_one_advance_past_message_timeout_and_interval_makes_the_resend_due() -> None:
    async def main() -> None:
        clock = StationClock()
        async with silent_csms_link(clock) as (outbox, frames):
            outbox.post("TransactionEvent", dict(EVENT), queue_offline=True)
            first = await asyncio.wait_for(frames.get(), 5)
            assert first[2] == "TransactionEvent"
            # Without the station clock the timeout (30 s) and the interval (10 s) would be real seconds.
            clock.advance(MESSAGE_TIMEOUT + INTERVAL)
            again = await asyncio.wait_for(frames.get(), 2)
            assert again[2] == "TransactionEvent" and again[3] == first[3]  # the same message (E13.FR.01)
            assert again[1] != first[1]  # a new CALL: the first one timed out
            assert outbox.retries == 1

    asyncio.run(main())


def test_advance_short_of_the_interval_does_not_resend() -> None:
    async def main() -> None:
        clock = StationClock()
        async with silent_csms_link(clock) as (outbox, frames):
            outbox.post("TransactionEvent", dict(EVENT), queue_offline=True)
            await asyncio.wait_for(frames.get(), 5)
            # Past MessageTimeout, 1 s short of the interval that counts from it: no resend yet ...
            clock.advance(MESSAGE_TIMEOUT + INTERVAL - 1)
            async with asyncio.timeout(2):  # the retry's wait has begun once it is counted
                while outbox.retries == 0:  # noqa: ASYNC110 - a bounded poll of in-process state
                    await asyncio.sleep(0.01)
            with pytest.raises(TimeoutError):  # nothing within a short window (the resend is not due)
                await asyncio.wait_for(frames.get(), 0.3)
            # ... the rest of it, and the resend is due.
            clock.advance(1)
            again = await asyncio.wait_for(frames.get(), 2)
            assert again[2] == "TransactionEvent"

    asyncio.run(main())

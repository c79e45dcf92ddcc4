"""LeanEvent keeps asyncio.Event's semantics (the reference station's waits depend on them)."""

from __future__ import annotations

import asyncio

import pytest

from conformance.reference.station.lean_event import LeanEvent


def test_set_wakes_every_waiter_and_wait_returns_at_once_while_set() -> None:
    async def main() -> None:
        event = LeanEvent()
        waiters = [asyncio.ensure_future(event.wait()) for _ in range(3)]
        await asyncio.sleep(0)
        assert not any(w.done() for w in waiters)
        event.set()
        assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
        assert event.is_set() and await asyncio.wait_for(event.wait(), 1)
        event.clear()
        assert not event.is_set()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(event.wait(), 0.05)
        assert event._waiters is None  # the timed-out waiter left nothing behind

    asyncio.run(main())


def test_a_cancelled_waiter_does_not_stop_the_others() -> None:
    async def main() -> None:
        event = LeanEvent()
        first, second = asyncio.ensure_future(event.wait()), asyncio.ensure_future(event.wait())
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
        event.set()
        assert await asyncio.wait_for(second, 1) is True
        assert first.cancelled()

    asyncio.run(main())

"""The station's clock: wall time plus an offset that `advance_clock` moves forward.

Every station timer (heartbeat, sampled and clock-aligned meter values, boot retry) sleeps on
station time through `StationClock.sleep`, so advancing the clock fires due timers at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from conformance.reference.station.lean_event import LeanEvent


class StationClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._tick = LeanEvent()

    def now(self) -> float:
        """Station time as a POSIX timestamp."""
        return time.time() + self._offset

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> None:
        self._offset += seconds
        tick, self._tick = self._tick, LeanEvent()
        tick.set()

    def sleep(self, seconds: float) -> Coroutine[Any, Any, None]:
        """Sleep until station time has moved on by `seconds` (real time or advance_clock).

        The deadline is fixed when this is called, not when the coroutine first runs, so an
        advance_clock that happens in between still counts.
        """
        return self.sleep_until(self.now() + seconds)

    async def sleep_until(self, target: float) -> None:
        while (remaining := target - self.now()) > 0:
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that coincides with the
            # tick (advance_clock as the connection drops), leaving a cancelled task sleeping forever.
            tick = asyncio.ensure_future(self._tick.wait())
            try:
                await asyncio.wait((tick,), timeout=remaining)
            finally:
                tick.cancel()


def format_time(ts: float, *, bad_format: bool = False) -> str:
    """RFC 3339 UTC with millisecond precision; `bad_format` is the heartbeat-wrong-time-format mutant."""
    if bad_format:
        # Local wall time without an offset and with six fractional digits.
        return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S.%f")
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"

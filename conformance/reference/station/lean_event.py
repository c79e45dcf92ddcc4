"""`LeanEvent`: asyncio.Event's API without its per-instance deque.

asyncio.Event allocates a `collections.deque` (~620 B) when created, waited on or not. A station keeps
about six events that nobody waits on most of the time; at 10,000 stations in one process (issue 9's
scale target) that is ~36 MiB. This event allocates its waiter list only while someone waits.
Same semantics as asyncio.Event: `set` wakes every current waiter; `wait` returns at once while set.
Not thread-safe, like asyncio.Event: set it from the loop's thread (call_soon_threadsafe elsewhere).
"""

from __future__ import annotations

import asyncio
from typing import Literal


class LeanEvent:
    __slots__ = ("_flag", "_waiters")

    def __init__(self) -> None:
        self._flag = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        if self._flag:
            return
        self._flag = True
        waiters, self._waiters = self._waiters, None
        for fut in waiters or ():
            if not fut.done():
                fut.set_result(None)

    def clear(self) -> None:
        self._flag = False

    async def wait(self) -> Literal[True]:
        if self._flag:
            return True
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(fut)
        try:
            await fut
        finally:
            # A cancelled waiter leaves the list; the last one leaves no list behind.
            if self._waiters is not None and fut in self._waiters:
                self._waiters.remove(fut)
                if not self._waiters:
                    self._waiters = None
        return True

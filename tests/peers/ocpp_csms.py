"""A small CSMS on the `ocpp` library, for the harness's own end-to-end tests.

It accepts any station at /<stationId> and answers BootNotification (status configurable),
StatusNotification and Heartbeat. `interval_as_string` makes it non-conformant (wrong JSON type).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result


class _Csms(ChargePoint):  # type: ignore[misc]
    def __init__(self, station_id: str, connection: Any, owner: TinyCsms) -> None:
        super().__init__(station_id, connection)
        self.owner = owner

    @on("BootNotification")
    def on_boot(
        self, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> call_result.BootNotification:
        self.owner.boots.append({"station": self.id, "reason": reason, **charging_station})
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return call_result.BootNotification(current_time=now, interval=300, status=self.owner.boot_status)

    @on("StatusNotification")
    def on_status(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on("Heartbeat")
    def on_heartbeat(self) -> call_result.Heartbeat:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return call_result.Heartbeat(current_time=now)


class _BrokenConnection:
    """Rewrites the CSMS's outgoing BootNotificationResponse interval into a string."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def recv(self) -> Any:
        return await self.ws.recv()

    async def send(self, text: str) -> None:
        frame = json.loads(text)
        if frame[0] == 3 and isinstance(frame[2], dict) and "interval" in frame[2]:
            frame[2]["interval"] = str(frame[2]["interval"])
            text = json.dumps(frame)
        await self.ws.send(text)


@dataclass
class TinyCsms:
    boot_status: str = "Accepted"
    interval_as_string: bool = False
    boots: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    ready: threading.Event = field(default_factory=threading.Event)

    async def _handler(self, ws: Any) -> None:
        station_id = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        connection = _BrokenConnection(ws) if self.interval_as_string else ws
        with contextlib.suppress(websockets.exceptions.ConnectionClosed):
            await _Csms(station_id, connection, self).start()

    async def run(self, stop: asyncio.Event) -> None:
        async with websockets.serve(self._handler, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            await stop.wait()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


def run_in_thread(csms: TinyCsms) -> tuple[threading.Thread, asyncio.AbstractEventLoop, asyncio.Event]:
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(csms.run(stop))

    thread = threading.Thread(target=main, name="tiny-csms", daemon=True)
    thread.start()
    if not csms.ready.wait(5):
        raise RuntimeError("tiny CSMS did not start within 5 s")
    return thread, loop, stop

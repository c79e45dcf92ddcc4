"""A small charging station on the `ocpp` library, for the harness's own end-to-end tests.

It boots, reports its connector, reports the startup security event, and reboots on ResetRequest
(close, reconnect, boot again). `skip_status` makes it non-conformant (no connector report).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import websockets
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Station(ChargePoint):  # type: ignore[misc]
    def __init__(self, station_id: str, connection: object, owner: TinyStation) -> None:
        super().__init__(station_id, connection, response_timeout=5)
        self.owner = owner

    @on("Reset")
    def on_reset(self, type: str, **_: object) -> call_result.Reset:
        return call_result.Reset(status="Accepted")

    @after("Reset")
    async def after_reset(self, **_: object) -> None:
        self.owner.reboot_requested.set()

    async def boot(self) -> None:
        reason = "RemoteReset" if self.owner.boots else "PowerUp"
        self.owner.boots += 1
        response = await self.call(
            call.BootNotification(charging_station={"model": "Tiny", "vendor_name": "tests"}, reason=reason)
        )
        self.owner.boot_statuses.append(response.status)
        if response.status != "Accepted":
            return
        if not self.owner.skip_status:
            await self.call(
                call.StatusNotification(
                    timestamp=_now(), connector_status="Available", evse_id=1, connector_id=1
                )
            )
        await self.call(call.SecurityEventNotification(type="StartupOfTheDevice", timestamp=_now()))


@dataclass
class TinyStation:
    url: str  # CSMS URL, the station id is appended
    station_id: str = "CP001"
    skip_status: bool = False
    boots: int = 0
    boot_statuses: list[str] = field(default_factory=list)
    reboot_requested: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False

    async def run(self) -> None:
        while not self.stopping:
            try:
                async with websockets.connect(
                    f"{self.url.rstrip('/')}/{self.station_id}", subprotocols=["ocpp2.0.1"], proxy=None
                ) as ws:
                    station = _Station(self.station_id, ws, self)
                    self.reboot_requested = asyncio.Event()
                    serve = asyncio.ensure_future(station.start())
                    await station.boot()
                    reboot = asyncio.ensure_future(self.reboot_requested.wait())
                    await asyncio.wait({serve, reboot}, return_when=asyncio.FIRST_COMPLETED)
                    for task in (serve, reboot):
                        task.cancel()
                        with contextlib.suppress(BaseException):
                            await task
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            if not self.stopping:
                await asyncio.sleep(0.05)  # reconnect back-off of a real station, kept short


def run_in_thread(station: TinyStation) -> tuple[threading.Thread, asyncio.AbstractEventLoop]:
    """Run the station on its own loop in a daemon thread, like a separate device."""
    loop = asyncio.new_event_loop()

    def main() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(station.run())

    thread = threading.Thread(target=main, name="tiny-station", daemon=True)
    thread.start()
    return thread, loop

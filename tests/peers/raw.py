"""Misbehaving peers on raw websockets: a station that never answers, a CSMS that hangs up."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import websockets


def _run(coro_factory: Any, name: str) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()

    def main() -> None:
        asyncio.set_event_loop(loop)
        started.set()
        with contextlib.suppress(Exception):
            loop.run_until_complete(coro_factory(stop))

    threading.Thread(target=main, name=name, daemon=True).start()
    started.wait(5)
    return loop, stop


def silent_station(url: str, station_id: str) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
    """Connects (retrying until the harness listens) and then reads forever without answering."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with websockets.connect(
                    f"{url}/{station_id}", subprotocols=["ocpp2.0.1"], proxy=None
                ) as ws:
                    while not stop.is_set():
                        await ws.recv()
            except (OSError, websockets.exceptions.WebSocketException):
                await asyncio.sleep(0.05)  # the harness is not listening yet: a device retries

    return _run(run, "silent-station")


def hanging_up_csms() -> tuple[int, asyncio.AbstractEventLoop, asyncio.Event]:
    """Accepts the handshake, then closes the connection as soon as the first frame arrives."""
    port_box: list[int] = []
    ready = threading.Event()

    async def handler(ws: Any) -> None:
        with contextlib.suppress(websockets.exceptions.WebSocketException):
            await ws.recv()
            await ws.close(1011, "going away")

    async def run(stop: asyncio.Event) -> None:
        async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
            port_box.append(server.sockets[0].getsockname()[1])
            ready.set()
            await stop.wait()

    loop, stop = _run(run, "hanging-up-csms")
    if not ready.wait(5):
        raise RuntimeError("the hanging-up CSMS did not start")
    return port_box[0], loop, stop

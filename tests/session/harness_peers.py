"""Raw websockets peers for the session tests: they send exactly the frames a test wants."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets

from conformance.ocppj.schemas import default_store
from conformance.ocppj.validation import FrameValidator
from conformance.session.endpoints import HarnessCsms, HarnessStation
from conformance.session.responders import csms_responders, station_responders
from conformance.transport import CsmsServer
from conformance.transport.security import ClientSecurity, ServerSecurity

STATION_ID = "CP-TEST"
BOOT = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}


def frame(*parts: Any) -> str:
    return json.dumps(list(parts))


async def recv_json(ws: Any, timeout: float = 2.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


@asynccontextmanager
async def csms_and_raw_station(timeout: float = 1.0) -> AsyncIterator[tuple[HarnessCsms, Any]]:
    """The harness as CSMS, with a raw websocket playing the station."""
    server = CsmsServer("127.0.0.1", 0, security=ServerSecurity())
    await server.start()
    csms = HarnessCsms(
        server,
        STATION_ID,
        validator=FrameValidator(default_store()),
        timeout=timeout,
        responders=dict(csms_responders()),
    )
    await csms.start()
    ws = await websockets.connect(
        f"{csms.url.rstrip('/')}/{STATION_ID}", subprotocols=["ocpp2.0.1"], proxy=None
    )
    try:
        await csms.wait_connected(timeout=2.0, after=0)
        yield csms, ws
    finally:
        await ws.close()
        await csms.stop()
        await server.stop()


@asynccontextmanager
async def station_and_raw_csms(
    timeout: float = 1.0,
) -> AsyncIterator[tuple[HarnessStation, asyncio.Queue[Any]]]:
    """The harness as a station, connected to a raw websocket server playing the CSMS.

    The queue yields the server-side websocket once the harness connected.
    """
    accepted: asyncio.Queue[Any] = asyncio.Queue()
    done = asyncio.Event()

    async def handler(ws: Any) -> None:
        await accepted.put(ws)
        await done.wait()

    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
        port = server.sockets[0].getsockname()[1]
        station = HarnessStation(
            f"ws://127.0.0.1:{port}",
            STATION_ID,
            ClientSecurity(),
            validator=FrameValidator(default_store()),
            timeout=timeout,
            connect_timeout=2.0,
            responders=dict(station_responders()),
        )
        await station.connect()
        try:
            yield station, accepted
        finally:
            done.set()
            await station.aclose()

"""Thread-safe control of a running reference station: Python API and HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
from typing import TYPE_CHECKING, Any

from conformance.drivers.actions import STATION_ACTIONS
from conformance.reference.station import actions
from conformance.reference.station.actions import ControlError

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


class StationControl:
    """Perform station actions from any thread or event loop (the station runs in its own loop)."""

    sut_type = "charging-station"  # read by the builtin driver
    supported_actions = frozenset(STATION_ACTIONS)

    def __init__(self, core: StationCore, loop: asyncio.AbstractEventLoop) -> None:
        self._core = core
        self._loop = loop

    def _submit(
        self, action: str, params: dict[str, Any] | None
    ) -> concurrent.futures.Future[dict[str, Any]]:
        if self._loop.is_closed() or not self._loop.is_running():
            raise ControlError("the reference station is not running")
        return asyncio.run_coroutine_threadsafe(actions.perform(self._core, action, params), self._loop)

    def perform(
        self, action: str, params: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        with contextlib.suppress(RuntimeError):
            if asyncio.get_running_loop() is self._loop:
                raise ControlError("perform() called from the station's own loop; use aperform()")
        future = self._submit(action, params)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise ControlError(f"action {action!r} did not finish within {timeout} s") from exc

    async def aperform(
        self, action: str, params: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        if asyncio.get_running_loop() is self._loop:
            return await asyncio.wait_for(actions.perform(self._core, action, params), timeout)
        future = asyncio.wrap_future(self._submit(action, params))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise ControlError(f"action {action!r} did not finish within {timeout} s") from exc


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
MAX_BODY = 1 << 20


async def serve_http(core: StationCore, port: int) -> asyncio.Server:
    """POST /actions/<action> with a JSON object body -> 200 JSON result | 400/404 {"error": ...}."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await asyncio.wait_for(_handle(core, reader), timeout=30.0)
        except Exception as exc:  # a broken client must not take the station down
            status, body = 400, {"error": f"bad request: {exc}"}
        data = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(Exception):
            writer.write(head.encode() + data)
            await writer.drain()
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def _handle(core: StationCore, reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    request_line = (await reader.readline()).decode("latin-1").strip()
    parts = request_line.split()
    headers: dict[str, str] = {}
    while (line := (await reader.readline()).decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or "0")
    if length > MAX_BODY:
        return 400, {"error": "body too large"}
    raw = await reader.readexactly(length) if length else b""
    if len(parts) < 2 or not parts[1].startswith("/actions/"):
        return 404, {"error": "not found; use POST /actions/<action>"}
    if parts[0] != "POST":
        return 405, {"error": "use POST"}
    action = parts[1].removeprefix("/actions/").strip("/")
    if not actions.is_known(action):
        return 404, {"error": f"unknown action {action!r}"}
    try:
        params = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        return 400, {"error": f"body is not JSON: {exc}"}
    if not isinstance(params, dict):
        return 400, {"error": "body must be a JSON object"}
    try:
        return 200, await asyncio.wait_for(actions.perform(core, action, params), timeout=30.0)
    except ControlError as exc:
        return 400, {"error": str(exc)}

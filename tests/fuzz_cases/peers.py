# mypy: disallow-untyped-decorators=False
"""Tiny OCPP 2.0.1 peers on the `ocpp` library for the fuzz cases' own tests.

The `ocpp` library answers several malformed inputs wrongly (shared notes, "ocpp-library-pitfalls"),
so, like the reference SUTs, each peer screens every incoming CALL against our schemas first and
answers a malformed one itself with the conformant CALLERROR. Only the fuzzed actions are handled;
anything else gets the library's NotImplemented (a permitted answer to a valid request).

Non-conformant variants: `accept_malformed` (the CSMS skips validation for Heartbeat and answers a
malformed one with a CALLRESULT) and `close_on_long_string` (the CSMS drops the connection when a
string is over its maxLength).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jsonschema
import websockets
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result

from conformance.fuzz.datetimes import strict_format_checker
from conformance.resources import schema_dir

OCPP: Any = "ocpp2.0.1"  # websockets types it as a Subprotocol NewType
# jsonschema keyword -> OCPP-J code, first match wins (codes as conformance.fuzz.codes allows).
_CODES: tuple[tuple[str, str], ...] = (
    ("required", "OccurrenceConstraintViolation"),
    ("type", "TypeConstraintViolation"),
    ("additionalProperties", "FormatViolation"),
    ("format", "FormatViolation"),
    ("enum", "PropertyConstraintViolation"),
    ("maxLength", "PropertyConstraintViolation"),
    ("minimum", "PropertyConstraintViolation"),
    ("maximum", "PropertyConstraintViolation"),
    ("minItems", "OccurrenceConstraintViolation"),
    ("maxItems", "OccurrenceConstraintViolation"),
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@cache
def _validator(name: str) -> jsonschema.Draft6Validator | None:
    path = schema_dir() / f"{name}.json"
    if not path.is_file():
        return None
    return jsonschema.Draft6Validator(
        json.loads(path.read_text("utf-8")), format_checker=strict_format_checker()
    )


def schema_errors(action: str, payload: Any) -> list[str]:
    """jsonschema keywords the request payload breaks (empty when valid)."""
    validator = _validator(f"{action}Request")
    return [] if validator is None else [str(e.validator) for e in validator.iter_errors(payload)]


def _error(unique_id: str, code: str, text: str) -> str:
    return json.dumps([4, unique_id, code, text, {}])


@dataclass
class Behaviour:
    accept_malformed: frozenset[str] = frozenset()  # actions answered with a CALLRESULT even when malformed
    close_on_long_string: bool = False
    closed_on_long_string: int = 0
    received: int = 0


class Screened:
    """A websocket wrapper: malformed CALLs are answered here and never reach the library."""

    def __init__(self, ws: Any, behaviour: Behaviour) -> None:
        self.ws = ws
        self.behaviour = behaviour

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def recv(self) -> str:
        while True:
            raw = await self.ws.recv()
            self.behaviour.received += 1
            answer = self._screen(raw)
            if answer is None:
                return str(raw)
            if answer == "close":
                self.behaviour.closed_on_long_string += 1
                await self.ws.close()
                continue  # recv raises ConnectionClosed now
            await self.ws.send(answer)

    def _screen(self, raw: str | bytes) -> str | None:
        """None: pass on; 'close': drop the connection; else the CALLERROR text to answer."""
        if isinstance(raw, bytes):
            return _error("-1", "RpcFrameworkError", "binary frame")
        try:
            msg = json.loads(raw)
        except ValueError:
            return _error("-1", "RpcFrameworkError", "not JSON")
        if not isinstance(msg, list) or not msg:
            return _error("-1", "RpcFrameworkError", "not an OCPP-J message")
        mid = msg[1] if len(msg) > 1 and isinstance(msg[1], str) else "-1"
        if not isinstance(msg[0], int) or isinstance(msg[0], bool):
            return _error(mid, "RpcFrameworkError", "MessageTypeId is not an integer")
        if msg[0] not in (2, 3, 4):
            return _error(mid, "MessageTypeNotSupported", f"MessageTypeId {msg[0]}")
        if msg[0] != 2:
            return None  # responses go to the library
        if len(msg) != 4 or mid == "-1" or not isinstance(msg[2], str):
            return _error(mid, "RpcFrameworkError", "a CALL has 4 elements")
        if not isinstance(msg[3], dict):
            return _error(mid, "FormatViolation", "payload must be an object")
        if _validator(f"{msg[2]}Request") is None:
            return _error(msg[1], "NotImplemented", "unknown action")
        errors = schema_errors(msg[2], msg[3])
        if not errors:
            return None
        if self.behaviour.close_on_long_string and "maxLength" in errors:
            return "close"
        if msg[2] in self.behaviour.accept_malformed:
            return None  # the handler skips validation: the malformed CALL gets a CALLRESULT
        code = next((c for k, c in _CODES if k in errors), "FormatViolation")
        return _error(msg[1], code, f"{errors[0]} violated")


# ------------------------------------------------------------------ CSMS
class _CsmsHandler(ChargePoint):  # type: ignore[misc]
    @on("BootNotification")
    def on_boot(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on("Heartbeat", skip_schema_validation=True)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()


@dataclass
class FuzzCsms:
    behaviour: Behaviour = field(default_factory=Behaviour)
    port: int = 0
    ready: threading.Event = field(default_factory=threading.Event)

    async def _handler(self, ws: Any) -> None:
        station_id = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        with contextlib.suppress(websockets.exceptions.ConnectionClosed):
            await _CsmsHandler(station_id, Screened(ws, self.behaviour)).start()

    async def run(self, stop: asyncio.Event) -> None:
        async with websockets.serve(self._handler, "127.0.0.1", 0, subprotocols=[OCPP]) as server:
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            await stop.wait()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


# ------------------------------------------------------------------ station
class _StationHandler(ChargePoint):  # type: ignore[misc]
    def __init__(self, station_id: str, connection: Any) -> None:
        super().__init__(station_id, connection, response_timeout=5)
        self.tasks: set[asyncio.Task[None]] = set()

    @on("GetVariables")
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> call_result.GetVariables:
        results = [
            {"attributeStatus": "UnknownComponent", "component": d["component"], "variable": d["variable"]}
            for d in get_variable_data
        ]
        return call_result.GetVariables(get_variable_result=results)

    @on("Reset")
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> call_result.Reset:
        # No EVSE 987 here; a whole-station reset is accepted but not performed (a test peer).
        return call_result.Reset(status="Rejected" if evse_id is not None else "Accepted")

    @on("TriggerMessage")
    def on_trigger(self, requested_message: str, **_: Any) -> call_result.TriggerMessage:
        known = requested_message in ("Heartbeat", "BootNotification", "StatusNotification")
        return call_result.TriggerMessage(status="Accepted" if known else "NotImplemented")

    @after("TriggerMessage")
    async def after_trigger(self, requested_message: str, **_: Any) -> None:
        # A task: the library handles one message at a time, so awaiting our own CALL here would block.
        task = asyncio.ensure_future(self._send_triggered(requested_message))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send_triggered(self, message: str) -> None:
        request: Any
        if message == "Heartbeat":
            request = call.Heartbeat()
        elif message == "BootNotification":
            request = call.BootNotification(
                charging_station={"model": "Tiny", "vendor_name": "tests"}, reason="Triggered"
            )
        elif message == "StatusNotification":
            request = call.StatusNotification(
                timestamp=now(), connector_status="Available", evse_id=1, connector_id=1
            )
        else:
            return
        with contextlib.suppress(Exception):  # an invalid answer raises in the library: survive it
            await self.call(request, suppress=False)

    async def boot(self) -> None:
        await self.call(
            call.BootNotification(
                charging_station={"model": "Tiny", "vendor_name": "tests"}, reason="PowerUp"
            )
        )


@dataclass
class FuzzStation:
    url: str
    station_id: str = "CP001"
    behaviour: Behaviour = field(default_factory=Behaviour)
    stopping: bool = False
    connections: int = 0

    async def run(self) -> None:
        while not self.stopping:
            try:
                async with websockets.connect(
                    f"{self.url.rstrip('/')}/{self.station_id}", subprotocols=[OCPP], proxy=None
                ) as ws:
                    self.connections += 1
                    station = _StationHandler(self.station_id, Screened(ws, self.behaviour))
                    boot = asyncio.ensure_future(station.boot())
                    try:
                        await station.start()
                    finally:
                        boot.cancel()  # the link is gone: reconnect at once, do not wait for the answer
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            if not self.stopping:
                await asyncio.sleep(0.05)  # reconnect back-off of a real station, kept short


def run_csms(csms: FuzzCsms) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(csms.run(stop))

    threading.Thread(target=main, name="fuzz-csms", daemon=True).start()
    if not csms.ready.wait(5):
        raise RuntimeError("fuzz CSMS did not start within 5 s")
    return loop, stop


def run_station(station: FuzzStation) -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()

    def main() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(station.run())

    threading.Thread(target=main, name="fuzz-station", daemon=True).start()
    return loop


def stop_station(station: FuzzStation, loop: asyncio.AbstractEventLoop) -> None:
    station.stopping = True
    for task in asyncio.all_tasks(loop):
        loop.call_soon_threadsafe(task.cancel)

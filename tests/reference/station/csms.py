# mypy: disable-error-code="untyped-decorator"
"""A small CSMS written with the `ocpp` library, to drive the reference station over real sockets.

It records every frame the station sends, answers the station's CALLs with configurable responses,
and lets a test wait (bounded) for a CALL, send CALLs, or send raw (malformed) frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocpp.exceptions import InternalError
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

from conformance.ocppj.validation import FrameValidator
from conformance.reference.station import RunningStation, StationConfig, start_reference_station

Where = Callable[[dict[str, Any]], bool]


@dataclass
class Received:
    action: str
    payload: dict[str, Any]
    consumed: bool = False


@dataclass
class CsmsBehaviour:
    boot_statuses: list[str] = field(default_factory=lambda: ["Accepted"])  # one per boot; last repeats
    boot_interval: int = 1
    token_status: dict[str, str] = field(default_factory=dict)  # idToken -> status (default Accepted)
    tx_token_status: dict[str, str] = field(default_factory=dict)  # idToken -> status in TransactionEvent
    fail_tx_events: int = 0  # answer this many TransactionEvents with CALLERROR InternalError
    ev_charging_needs_status: str = "Accepted"  # NotifyEVChargingNeedsResponse.status (K15 / K17)


class TestCsms:
    __test__ = False

    def __init__(
        self, behaviour: CsmsBehaviour | None = None, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.behaviour = behaviour or CsmsBehaviour()
        self._ssl = ssl_context
        self.peer_certs: list[Any] = []
        self.calls: list[Received] = []
        self.raw_in: list[Any] = []  # every parsed frame from the station
        self.cp: CsmsChargePoint | None = None
        self.connections = 0
        self._new = asyncio.Event()
        self._server: Server | None = None
        self.boots = 0
        self.auth_headers: list[str | None] = []
        self.subprotocols: list[str | None] = []
        self.violations: list[str] = []  # the harness's own validator on every station frame
        self._validator = FrameValidator()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"{'wss' if self._ssl else 'ws'}://127.0.0.1:{port}/ocpp"

    async def start(self) -> None:
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            subprotocols=[Subprotocol("ocpp2.0.1")],
            ssl=self._ssl,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handler(self, ws: ServerConnection) -> None:
        cp = CsmsChargePoint(ws.request.path.rsplit("/", 1)[-1] if ws.request else "?", ws, self)
        self.cp = cp
        self.connections += 1
        self.auth_headers.append(ws.request.headers.get("Authorization") if ws.request else None)
        self.subprotocols.append(ws.subprotocol)
        ssl_object = ws.transport.get_extra_info("ssl_object")
        self.peer_certs.append(ssl_object.getpeercert() if ssl_object is not None else None)
        self._notify()
        with contextlib.suppress(Exception):
            await cp.start()

    def _notify(self) -> None:
        event, self._new = self._new, asyncio.Event()
        event.set()

    def record(self, raw: str, frame: Any) -> None:
        self.violations.extend(str(v) for v in self._validator.decode(raw).violations)
        self.raw_in.append(frame)
        if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2:
            self.calls.append(Received(frame[2], frame[3]))
        self._notify()

    # -- waiting ---------------------------------------------------------------------------------
    async def _until(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        async with asyncio.timeout(timeout):
            while True:
                new = self._new
                result = predicate()
                if result:
                    return result
                await new.wait()
        raise AssertionError(what)  # pragma: no cover

    async def expect(self, action: str, where: Where | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The next unconsumed CALL of `action` (matching `where`), within `timeout` seconds."""

        def find() -> Received | None:
            for item in self.calls:
                if not item.consumed and item.action == action and (where is None or where(item.payload)):
                    return item
            return None

        try:
            item: Received = await self._until(find, timeout, action)
        except TimeoutError:
            seen = [c.action for c in self.calls]
            raise AssertionError(f"no {action} within {timeout} s; station sent {seen}") from None
        item.consumed = True
        return item.payload

    async def wait_connections(self, count: int, timeout: float = 5.0) -> None:
        await self._until(lambda: self.connections >= count, timeout, "connections")

    async def response_to(self, unique_id: str, timeout: float = 5.0) -> list[Any]:
        """The CALLRESULT / CALLERROR frame the station sent for `unique_id`."""

        def find() -> list[Any] | None:
            return next(
                (f for f in self.raw_in if isinstance(f, list) and f[0] in (3, 4) and f[1] == unique_id), None
            )

        result: list[Any] = await self._until(find, timeout, unique_id)
        return result

    async def frame_after(self, start: int, predicate: Callable[[Any], bool], timeout: float = 5.0) -> Any:
        """The first frame from index `start` on that matches `predicate`."""

        def find() -> list[Any] | None:
            hit = next((f for f in self.raw_in[start:] if predicate(f)), None)
            return [hit] if hit is not None else None

        found: list[Any] = await self._until(find, timeout, "frame")
        return found[0]

    def actions(self) -> list[str]:
        return [c.action for c in self.calls]

    async def send_raw(self, text: str) -> None:
        assert self.cp is not None
        await self.cp._connection.send(text)

    async def call(self, request: Any, *, validate: bool = True) -> Any:
        assert self.cp is not None
        return await self.cp.call(request, suppress=False, skip_schema_validation=not validate)

    async def booted(self, timeout: float = 5.0) -> None:
        """Reusable State Booted has been reached (its last message, the SecurityEventNotification)."""
        await self.expect("SecurityEventNotification", timeout=timeout)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class CsmsChargePoint(ChargePoint):  # type: ignore[misc]
    def __init__(self, station_id: str, ws: ServerConnection, csms: TestCsms) -> None:
        super().__init__(station_id, ws, response_timeout=2)
        self.csms = csms

    async def route_message(self, raw_msg: str) -> None:
        try:
            self.csms.record(raw_msg, json.loads(raw_msg))
        except ValueError:
            self.csms.record(raw_msg, raw_msg)
        await super().route_message(raw_msg)

    @on("BootNotification")
    def on_boot(self, **_: Any) -> Any:
        b = self.csms.behaviour
        status = b.boot_statuses[min(self.csms.boots, len(b.boot_statuses) - 1)]
        self.csms.boots += 1
        return call_result.BootNotification(current_time=_now(), interval=b.boot_interval, status=status)

    @on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> Any:
        return call_result.Heartbeat(current_time=_now())

    @on("StatusNotification")
    def on_status(self, **_: Any) -> Any:
        return call_result.StatusNotification()

    @on("NotifyEvent")
    def on_notify_event(self, **_: Any) -> Any:
        return call_result.NotifyEvent()

    @on("SecurityEventNotification")
    def on_security_event(self, **_: Any) -> Any:
        return call_result.SecurityEventNotification()

    @on("NotifyReport")
    def on_notify_report(self, **_: Any) -> Any:
        return call_result.NotifyReport()

    @on("ReservationStatusUpdate")
    def on_reservation_status_update(self, **_: Any) -> Any:
        return call_result.ReservationStatusUpdate()

    @on("MeterValues")
    def on_meter_values(self, **_: Any) -> Any:
        return call_result.MeterValues()

    @on("Authorize")
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> Any:
        status = self.csms.behaviour.token_status.get(id_token["id_token"], "Accepted")
        return call_result.Authorize(id_token_info={"status": status})

    @on("TransactionEvent")
    def on_transaction_event(self, **kw: Any) -> Any:
        if self.csms.behaviour.fail_tx_events > 0:
            self.csms.behaviour.fail_tx_events -= 1
            raise InternalError(description="deliberate failure (test)")
        token = kw.get("id_token")
        if token is None:
            return call_result.TransactionEvent()
        status = self.csms.behaviour.tx_token_status.get(token["id_token"], "Accepted")
        return call_result.TransactionEvent(id_token_info={"status": status})

    # Blocks L, N, A, O (tests/reference/station/test_firmware_and_more.py).
    @on("FirmwareStatusNotification")
    def on_firmware_status(self, **_: Any) -> Any:
        return call_result.FirmwareStatusNotification()

    @on("LogStatusNotification")
    def on_log_status(self, **_: Any) -> Any:
        return call_result.LogStatusNotification()

    @on("SignCertificate")
    def on_sign_certificate(self, **_: Any) -> Any:
        return call_result.SignCertificate(status="Accepted")

    @on("NotifyDisplayMessages")
    def on_notify_display_messages(self, **_: Any) -> Any:
        return call_result.NotifyDisplayMessages()

    # Block K (tests/reference/station/test_smart_charging.py).
    @on("ReportChargingProfiles")
    def on_report_charging_profiles(self, **_: Any) -> Any:
        return call_result.ReportChargingProfiles()

    @on("NotifyChargingLimit")
    def on_notify_charging_limit(self, **_: Any) -> Any:
        return call_result.NotifyChargingLimit()

    @on("ClearedChargingLimit")
    def on_cleared_charging_limit(self, **_: Any) -> Any:
        return call_result.ClearedChargingLimit()

    @on("NotifyEVChargingNeeds")
    def on_notify_ev_charging_needs(self, **_: Any) -> Any:
        return call_result.NotifyEVChargingNeeds(status=self.csms.behaviour.ev_charging_needs_status)

    @on("NotifyEVChargingSchedule")
    def on_notify_ev_charging_schedule(self, **_: Any) -> Any:
        return call_result.NotifyEVChargingSchedule(status="Accepted")


async def wait_state(
    station: RunningStation, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """Poll get_state (bounded) until `predicate` holds; returns that state."""
    async with asyncio.timeout(timeout):
        while True:
            state = await station.control.aperform("get_state")
            if predicate(state):
                return state
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running(
    config: StationConfig | None = None,
    *,
    mutant: str | None = None,
    behaviour: CsmsBehaviour | None = None,
    http: bool = False,
    strict: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[tuple[TestCsms, RunningStation]]:
    """A test CSMS and a reference station connected to it; `strict`: no frame may break a schema."""
    csms = TestCsms(behaviour, ssl_context)
    await csms.start()
    station = start_reference_station(
        csms.url, config or StationConfig(), mutant=mutant, control_http_port=0 if http else None
    )
    try:
        yield csms, station
    finally:
        await asyncio.to_thread(station.stop)
        await csms.stop()
    if strict:
        assert csms.violations == [], csms.violations

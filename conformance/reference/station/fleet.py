"""Many reference stations on ONE event loop in ONE thread (issue 9's scale benchmark).

Each station is a real `StationCore` (same device model, outbox, `ocpp` ChargePoint, actions) with its
own WebSocket; only per-station overhead changes (measured, see benchmarks/RESULTS.md): no
permessage-deflate and small frame/queue limits (~18 vs ~59 KiB per idle connection), the handshake
headers dropped, one `ocpp` route map per class, the device model's frozen key objects shared, and one
fleet-wide 1 s check instead of a 1 s `aligned_loop` timer per station (started when it has work).
Every station CALL's round trip (request sent -> response received) is timed into `Fleet.rtts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from typing import Any

from ocpp.routing import create_route_map
from ocpp.v201 import ChargePoint
from websockets.asyncio.client import connect
from websockets.datastructures import Headers
from websockets.typing import Subprotocol

from conformance.reference.station import actions
from conformance.reference.station.actions import ControlError
from conformance.reference.station.config import StationConfig
from conformance.reference.station.core import SUBPROTOCOL, StationCore
from conformance.reference.station.outbox import Outbox

# Per-connection limits. OCPP frames of this scenario are < 4 KiB; 64 KiB leaves room for CSMS CALLs.
FLEET_WS_OPTIONS: dict[str, Any] = {
    "compression": None,
    "max_size": 64 * 1024,
    "max_queue": 4,
    "write_limit": 4096,
}
ID_TOKEN = "FLEET0001"


class _TimedOutbox(Outbox):
    """The station's outbox, timing each CALL -> CALLRESULT round trip into a shared list."""

    def __init__(self, sink: list[float], *args: Any) -> None:
        super().__init__(*args)
        self._sink = sink

    def attach(self, cp: ChargePoint) -> None:
        # Called once per connection with the new ChargePoint: swap its per-instance route map
        # (~4 KiB of bound methods per station) for a lazy view of one map per class.
        cp.route_map = _Routes(cp)
        super().attach(cp)

    async def _send(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        start = time.perf_counter()
        result = await super()._send(action, payload)
        self._sink.append(time.perf_counter() - start)
        return result


_CLASS_ROUTES: dict[type, dict[str, dict[str, Any]]] = {}


class _Routes(Mapping[str, dict[str, Any]]):
    """`create_route_map(cp)` computed once per ChargePoint class; methods are bound on lookup."""

    def __init__(self, cp: ChargePoint) -> None:
        cls = type(cp)
        if cls not in _CLASS_ROUTES:
            _CLASS_ROUTES[cls] = {
                action: {k: getattr(v, "__func__", v) for k, v in entry.items()}
                for action, entry in create_route_map(cp).items()
            }
        self._routes = _CLASS_ROUTES[cls]
        self._cp = cp

    def __getitem__(self, action: str) -> dict[str, Any]:
        entry = self._routes[action]  # a fresh dict per lookup: callers may not mutate the shared one
        return {k: v.__get__(self._cp) if callable(v) else v for k, v in entry.items()}

    def __iter__(self) -> Iterator[str]:
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)


class FleetStation(StationCore):
    """A StationCore whose connection loop uses the fleet's lean WebSocket options."""

    def __init__(
        self,
        csms_url: str,
        config: StationConfig,
        rtts: list[float],
        ws_options: dict[str, Any],
    ) -> None:
        super().__init__(csms_url, config, None)
        self.outbox = _TimedOutbox(rtts, config.response_timeout, self._retry_policy, self.clock.sleep)
        self._ws_options = ws_options
        self.aligned_started = False
        # The device model's defaults are already shared by every station (copy on write, device_model.py).

    async def run(self) -> None:
        # Same loop as StationCore.run (boot on connect, reconnect after a drop), with `_ws_options`.
        # No per-station aligned_loop here: with AlignedDataCtrlr.Interval 0 it wakes every second
        # (10,000 stations: 10,000 timer tasks/s). `Fleet._aligned_watch` starts it when needed.
        self.spawn(self.outbox.run())
        while not self.stopping:
            try:
                ws = await connect(
                    self._url(),
                    subprotocols=[Subprotocol(SUBPROTOCOL)],
                    additional_headers=self._headers(),
                    ssl=self._ssl_context(),
                    open_timeout=self.config.connect_timeout,
                    proxy=None,
                    ping_interval=None,
                    **self._ws_options,
                )
            except Exception as exc:
                self.last_connect_error = repr(exc)
                await asyncio.sleep(self.config.reconnect_backoff)
                continue
            # The handshake's request/response headers (~4 KiB) are never read again: let them go.
            ws.request = None
            if ws.response is not None:  # kept: the client treats a None response as "handshake pending"
                ws.response.headers = Headers()
            await self._serve(ws)
            if not self.stopping:
                await asyncio.sleep(self.config.reconnect_backoff)

    def start_aligned_if_enabled(self) -> None:
        """Start the station's own clock-aligned meter loop once AlignedDataCtrlr.Interval > 0."""
        if not self.aligned_started and self.dm.get_int("AlignedDataCtrlr", "Interval") > 0:
            from conformance.reference.station.meter import aligned_loop

            self.aligned_started = True
            self.spawn(aligned_loop(self))

    @property
    def booted(self) -> bool:
        return self.connected and self.boot_status == "Accepted" and self.outbox.is_open

    @property
    def idle(self) -> bool:
        return self.booted and self.outbox.queued == 0


class Fleet:
    """N reference stations on the running loop. All methods are coroutines on that loop, all bounded."""

    def __init__(
        self,
        csms_url: str,
        n: int,
        config_factory: Callable[[int], StationConfig],
        *,
        ws_options: dict[str, Any] | None = None,
    ) -> None:
        self.rtts: list[float] = []
        options = dict(FLEET_WS_OPTIONS if ws_options is None else ws_options)
        self.stations = [
            FleetStation(csms_url, config_factory(i), self.rtts, options) for i in range(n)
        ]
        self._runs: list[asyncio.Task[None]] = []
        self._watch: asyncio.Task[None] | None = None

    async def _aligned_watch(self) -> None:
        """One fleet-wide 1 s check instead of one 1 s timer per station (same latency as meter.py)."""
        while True:
            for st in self.stations:
                st.start_aligned_if_enabled()
            await asyncio.sleep(1.0)

    async def start(self, timeout: float, batch: int = 250) -> None:
        """Connect and boot every station, `batch` at a time (a burst of 10,000 SYNs helps nobody)."""
        deadline = time.monotonic() + timeout
        if self._watch is None:
            self._watch = asyncio.ensure_future(self._aligned_watch())
        for first in range(0, len(self.stations), batch):
            group = self.stations[first : first + batch]
            self._runs.extend(asyncio.ensure_future(st.run()) for st in group)
            await _until(lambda g=group: all(st.booted for st in g), deadline, "boot", group)  # type: ignore[misc]
        await self.wait_idle(max(0.1, deadline - time.monotonic()))

    async def wait_idle(self, timeout: float) -> None:
        """Until every station is booted with nothing queued or awaiting a response."""
        await _until(
            lambda: all(st.idle for st in self.stations), time.monotonic() + timeout, "idle", self.stations
        )

    async def run_scenario(self, timeout: float, concurrency: int = 1000) -> None:
        """Every station: a Heartbeat, then a transaction with meter values, then idle again.

        The transaction uses the station's own control actions: plug_in, present_id_token (Authorize,
        TransactionEvent Started with meter values), advance_clock by SampledDataCtrlr.TxUpdatedInterval
        (TransactionEvent Updated, MeterValuePeriodic), present_id_token again (Ended), unplug.
        """
        gate = asyncio.Semaphore(concurrency)

        async def one(st: FleetStation) -> None:
            async with gate:
                await scenario(st)

        await asyncio.wait_for(asyncio.gather(*(one(st) for st in self.stations)), timeout)
        await self.wait_idle(timeout)

    async def stop(self, timeout: float = 10.0) -> None:
        if self._watch is not None:
            self._watch.cancel()
        await asyncio.gather(*(st.stop() for st in self.stations), return_exceptions=True)
        for task in self._runs:
            task.cancel()
        if self._runs:
            await asyncio.wait(self._runs, timeout=timeout)


async def scenario(st: FleetStation, id_token: str = ID_TOKEN) -> None:
    """Heartbeat + one transaction with meter values on one station (see `Fleet.run_scenario`)."""
    await st.outbox.call("Heartbeat", {})
    await actions.perform(st, "plug_in", {"evse_id": 1})
    result = await actions.perform(st, "present_id_token", {"id_token": id_token, "evse_id": 1})
    if result.get("result") != "authorized":
        raise ControlError(f"{st.config.station_id}: id token not accepted: {result!r}")
    for _ in range(3):  # let the transaction's sampler task start its TxUpdatedInterval sleep
        await asyncio.sleep(0)
    interval = st.dm.get_int("SampledDataCtrlr", "TxUpdatedInterval")
    await actions.perform(st, "advance_clock", {"seconds": interval})
    await actions.perform(st, "present_id_token", {"id_token": id_token, "evse_id": 1})
    await actions.perform(st, "unplug", {"evse_id": 1})


async def _until(
    condition: Callable[[], bool], deadline: float, what: str, stations: list[FleetStation]
) -> None:
    """Poll `condition` (cheap, fleet-wide) until true; at the deadline, ControlError naming a laggard."""
    while not condition():
        if time.monotonic() >= deadline:
            late = next((st for st in stations if not st.idle), None)
            detail = (
                ""
                if late is None
                else (
                    f"; e.g. {late.config.station_id}: connected={late.connected} boot={late.boot_status} "
                    f"queued={late.outbox.queued} last_error={late.last_connect_error}"
                )
            )
            raise ControlError(f"fleet {what} not reached in time{detail}")
        await asyncio.sleep(max(0.02, len(stations) / 100_000))  # 10,000 stations: 0.1 s


class RunningFleet:
    """A Fleet on its own daemon thread and loop; the methods block (bounded) from any other thread."""

    def __init__(self, fleet: Fleet, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.fleet = fleet
        self._loop = loop
        self._thread = thread

    def _run(self, coro: Coroutine[Any, Any, None], timeout: float) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout + 1.0)

    def run_scenario(self, timeout: float = 60.0, concurrency: int = 1000) -> None:
        self._run(self.fleet.run_scenario(timeout, concurrency), 2 * timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError, TimeoutError):
                self._run(self.fleet.stop(timeout), timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive() and not self._loop.is_closed():
            self._loop.close()

    def __repr__(self) -> str:
        return f"RunningFleet(n={len(self.fleet.stations)})"


def start_reference_fleet(
    csms_url: str,
    n: int,
    config_factory: Callable[[int], StationConfig],
    *,
    ws_options: dict[str, Any] | None = None,
    timeout: float = 60.0,
) -> RunningFleet:
    """Start `n` stations (config_factory(i) gives station i's config) on one new thread and loop.

    Returns when every station is connected, booted (Accepted) and idle; ControlError otherwise.
    """
    loop = asyncio.new_event_loop()
    started: list[Fleet] = []

    async def build() -> None:
        fleet = Fleet(csms_url, n, config_factory, ws_options=ws_options)
        started.append(fleet)
        await fleet.start(timeout)

    thread = threading.Thread(target=loop.run_forever, name=f"reference-fleet-{n}", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(build(), loop).result(timeout + 5.0)
    except BaseException:
        if started:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(started[0].stop(), loop).result(15.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10.0)
        raise
    return RunningFleet(started[0], loop, thread)

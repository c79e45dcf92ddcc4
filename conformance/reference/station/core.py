"""The station core: state, connection loop, and the helpers every functional block uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from conformance.reference.station import firmware
from conformance.reference.station.clock import StationClock, format_time
from conformance.reference.station.config import StationConfig
from conformance.reference.station.device_model import ComponentKey, DeviceModel, VariableKey
from conformance.reference.station.lean_event import LeanEvent
from conformance.reference.station.model import Connector, Evse
from conformance.reference.station.outbox import Outbox

if TYPE_CHECKING:
    from conformance.reference.station.handlers import StationChargePoint

LOG = logging.getLogger("conformance.reference.station")
SUBPROTOCOL = "ocpp2.0.1"


class StationCore:
    def __init__(self, csms_url: str, config: StationConfig, mutant: str | None) -> None:
        self.csms_url = csms_url
        self.config = config
        self.mutant = mutant
        self.clock = StationClock()
        self.dm = DeviceModel(config)
        self.dm.mutant = mutant
        self.outbox = Outbox(config.response_timeout, self._retry_policy, self.clock.sleep, clock=self.clock)
        self.evses: dict[int, Evse] = {
            i: Evse(i, [Connector(i, c, t) for c, t in enumerate(e.connectors, start=1)], e.power_w)
            for i, e in enumerate(config.evses, start=1)
        }
        self.operative = True
        self.boot_status = "None"  # None | Sending | Pending | Rejected | Accepted
        self.boot_reason = "PowerUp"
        self.boot_count = 0
        self.connected = False
        self.connect_count = 0
        self.last_connect_error = ""
        self.offline_until = 0.0  # time.monotonic() deadline of a go_offline period
        self.offline_since = 0.0  # station time the last connection ended (B04 OfflineThreshold)
        self.reconnect_failures = 0  # failed attempts since the connection was lost (Part 4 5.3)
        self.auth_cache: dict[str, dict[str, Any]] = {}
        self.local_list: dict[str, dict[str, Any]] = {}
        self.local_list_version = 0
        self.security_events: list[str] = []
        self.pending_reset: str | None = None
        self.pending_availability: dict[str, Any] | None = None
        self.cp: StationChargePoint | None = None
        self._ws: ClientConnection | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session_task: asyncio.Task[None] | None = None
        self._reconnect_now = LeanEvent()
        self.stopping = False
        self.event_id = 0
        self.boot_now = LeanEvent()  # TriggerMessage(BootNotification) while Pending
        clock_var = self.dm.variable(ComponentKey("ClockCtrlr"), VariableKey("DateTime"))
        if clock_var is not None:
            clock_var.dynamic = self.timestamp

    # -- helpers -------------------------------------------------------------------------------
    def _retry_policy(self, action: str) -> tuple[int, float]:
        """OCPPCommCtrlr.MessageAttempts / MessageAttemptInterval (instance TransactionEvent)."""
        attempts = self.dm.get_int("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")
        interval = self.dm.get_int("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")
        if self.is_mutant("tx-event-no-retry"):  # E13: a failed TransactionEvent is resent; broken
            attempts = 1
        elif self.is_mutant("tx-event-retry-unbounded"):  # E13: at most MessageAttempts; broken
            attempts += 1
        return max(1, attempts), float(interval)

    def is_mutant(self, name: str) -> bool:
        return self.mutant == name

    def timestamp(self) -> str:
        return format_time(self.clock.now(), bad_format=self.is_mutant("heartbeat-wrong-time-format"))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            LOG.warning("station task failed: %r", exc)

    def connector_status(self, evse: Evse, conn: Connector) -> str:
        operative = evse.operative and not firmware.blocks_sessions(self, evse.evse_id)  # L01.FR.07
        return conn.status(operative, self.operative, evse.reservation is not None and evse.tx is None)

    def report_connector(self, evse: Evse, conn: Connector, *, force: bool = False) -> None:
        """StatusNotification + NotifyEvent(AvailabilityState) when the connector's status changed."""
        status = self.connector_status(evse, conn)
        self.dm.set_internal(
            ComponentKey("Connector", evse_id=evse.evse_id, connector_id=conn.connector_id),
            "AvailabilityState",
            status,
        )
        if (
            (self.is_mutant("plug-in-unreported") and status == "Occupied")
            or (self.is_mutant("unplug-unreported") and conn.last_reported == "Occupied")
            or (self.is_mutant("availability-silent") and status == "Unavailable")
        ):
            return  # G01.FR.01 / G03.FR.04 broken on purpose: the change goes unreported
        if not force and status == conn.last_reported:
            return
        if not self.outbox.is_open:
            conn.last_reported = None  # report again once online
            return
        conn.last_reported = status
        ts = self.timestamp()

        def undelivered(future: asyncio.Future[dict[str, Any]]) -> None:
            # Lost with the connection (it dropped as the status changed): report it again once
            # online (B04.FR.02, TC_B_52_CS), as if the change had happened offline.
            if not future.cancelled() and future.exception() is not None and conn.last_reported == status:
                conn.last_reported = None

        self.outbox.submit(
            "StatusNotification",
            {
                "timestamp": ts,
                "connectorStatus": status,
                "evseId": evse.evse_id,
                "connectorId": conn.connector_id,
            },
        ).add_done_callback(undelivered)
        self.event_id += 1
        self.outbox.post(
            "NotifyEvent",
            {
                "generatedAt": ts,
                "seqNo": 0,
                "eventData": [
                    {
                        "eventId": self.event_id,
                        "timestamp": ts,
                        "trigger": "Delta",
                        "actualValue": status,
                        "eventNotificationType": "HardWiredNotification",
                        "component": {
                            "name": "Connector",
                            "evse": {"id": evse.evse_id, "connectorId": conn.connector_id},
                        },
                        "variable": {"name": "AvailabilityState"},
                    }
                ],
            },
        )

    def report_all_connectors(self, *, force: bool) -> None:
        connectors = [(evse, conn) for evse in self.evses.values() for conn in evse.connectors]
        if self.is_mutant("no-status-for-connector"):
            connectors = connectors[:-1]
        for evse, conn in connectors:
            self.report_connector(evse, conn, force=force)

    def security_event(self, kind: str) -> None:
        self.security_events.append(kind)
        self.outbox.post("SecurityEventNotification", {"type": kind, "timestamp": self.timestamp()})

    # -- connection loop -----------------------------------------------------------------------
    # The URL, credentials and TLS of each attempt come from the network profile being tried
    # (network.py: B09/B10 slots and fallback, A01 password, A00 TLS checks).
    def _url(self) -> str:
        from conformance.reference.station import network

        return network.url(self, network.target(self))

    def _ssl_context(self) -> ssl.SSLContext | None:
        from conformance.reference.station import network

        return network.ssl_context(self, network.target(self))

    def _headers(self) -> dict[str, str]:
        from conformance.reference.station import network

        return network.headers(self, network.target(self))

    async def run(self) -> None:
        self.spawn(self.outbox.run())
        from conformance.reference.station.meter import aligned_loop

        self.spawn(aligned_loop(self))
        while not self.stopping:
            wait = self.offline_until - time.monotonic()
            if wait > 0:
                self._reconnect_now.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._reconnect_now.wait(), timeout=wait)
                self.offline_until = 0.0
            try:
                ws = await connect(
                    self._url(),
                    subprotocols=[Subprotocol(SUBPROTOCOL)],
                    additional_headers=self._headers(),
                    ssl=self._ssl_context(),
                    open_timeout=self.config.connect_timeout,
                    proxy=None,
                    ping_interval=None,
                )
            except Exception as exc:
                self.last_connect_error = repr(exc)
                from conformance.reference.station import network

                network.failed(self, exc)
                self.reconnect_failures += 1
                await self._backoff()
                continue
            from conformance.reference.station import network

            network.connected(self)
            self.reconnect_failures = 0
            await self._serve(ws)
            if not self.stopping:
                await self._backoff()

    async def _backoff(self) -> None:
        """Part 4 5.3 (TC_B_57_CS): after a connection loss, wait RetryBackOffWaitMinimum (+ up to
        RetryBackOffRandomRange), doubled after each failed attempt at most RetryBackOffRepeatTimes times.
        A (re)booting station connects at once: its next connection is a power-up, not a reconnect,
        unless all its network profiles failed (B10.FR.07 fallback, TC_B_49_CS: reconnecting)."""
        from conformance.reference.station import network

        wait = self.config.reconnect_backoff
        if self.boot_status == "Accepted" or network.reconnecting(self):
            repeat = self.dm.get_int("OCPPCommCtrlr", "RetryBackOffRepeatTimes")
            doublings = min(self.reconnect_failures, repeat)
            if self.is_mutant("reconnect-backoff-not-doubled"):  # Part 4 5.3 broken on purpose
                doublings = 0
            minimum = self.dm.get_int("OCPPCommCtrlr", "RetryBackOffWaitMinimum")
            spread = self.dm.get_int("OCPPCommCtrlr", "RetryBackOffRandomRange")
            wait = max(wait, minimum * 2**doublings + random.uniform(0, max(0, spread)))
        await self.clock.sleep(wait)

    async def _serve(self, ws: ClientConnection) -> None:
        from conformance.reference.station.boot import session
        from conformance.reference.station.handlers import StationChargePoint

        cp = StationChargePoint(self, ws)
        self.cp, self._ws = cp, ws
        self.connected = True
        self.connect_count += 1
        self.outbox.attach(cp)
        reader = asyncio.ensure_future(cp.start())
        self._session_task = asyncio.ensure_future(session(self))
        try:
            with contextlib.suppress(Exception):
                await reader
        finally:
            self.connected = False
            self.offline_since = self.clock.now()
            self.outbox.detach()
            self._session_task.cancel()
            with contextlib.suppress(BaseException):
                await self._session_task
            self.cp, self._ws = None, None

    async def drop_connection(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def go_offline(self, seconds: float) -> None:
        self.offline_until = time.monotonic() + seconds
        await self.drop_connection()

    def go_online(self) -> None:
        self.offline_until = 0.0
        self._reconnect_now.set()

    async def reboot(self, reason: str) -> None:
        """Power cycle / reset: the next connection starts with a BootNotification."""
        from conformance.reference.station.transactions import end_all_for_reboot

        end_all_for_reboot(self, reason)
        if self.is_mutant("availability-not-persistent"):  # G03.FR.08 / G04.FR.09 broken on purpose
            self.operative = True
            for evse in self.evses.values():
                evse.operative = True
                for conn in evse.connectors:
                    conn.operative = True
        await self.outbox.drain(self.config.response_timeout)  # the Ended events go out first
        if self.is_mutant("cache-lost-on-reboot"):  # C10.FR.02 broken on purpose
            self.auth_cache.clear()
        self.boot_status = "None"
        self.boot_reason = reason
        from conformance.reference.station import network

        network.on_reboot(self)  # B10: NetworkConfigurationPriority applies from this boot
        await self.drop_connection()

    async def stop(self) -> None:
        self.stopping = True
        self.offline_until = 0.0
        self._reconnect_now.set()
        await self.drop_connection()
        for task in list(self._tasks):
            task.cancel()

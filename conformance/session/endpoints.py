"""The harness's two roles as sessions with their own connection management.

`HarnessCsms` listens and follows the station under test across reconnects (a reboot is just a new
connection of the same station id). `HarnessStation` connects to the CSMS under test and can reconnect
on request (after a Reset, with another security profile, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from conformance.errors import HarnessError, SutDisconnected
from conformance.ocppj.validation import FrameValidator, Violation
from conformance.session.session import Responder, Session, SutViolation
from conformance.transport import ConnectFailed, CsmsServer, connect_station
from conformance.transport.security import ClientSecurity


class HarnessCsms(Session):
    """The harness playing the CSMS towards the charging station under test."""

    def __init__(
        self,
        server: CsmsServer,
        station_id: str,
        *,
        validator: FrameValidator,
        timeout: float,
        responders: dict[str, Responder],
    ) -> None:
        super().__init__(
            validator=validator, timeout=timeout, default_responders=responders, peer_name="charging station"
        )
        self.server = server
        self.station_id = station_id
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        """Where the station under test must connect (append its station id)."""
        return str(self.server.url)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._accept_loop()), loop.create_task(self._rejection_loop())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.aclose()

    async def _accept_loop(self) -> None:
        while True:
            try:
                conn = await self.server.accept(timeout=3600.0)
            except TimeoutError:
                continue
            if conn.station_id != self.station_id:
                self.transcript.note(
                    f"refused a connection from station id {conn.station_id!r}"
                    f" (the station under test is {self.station_id!r})"
                )
                await conn.close(1008, "unexpected station id")
                continue
            self.bind(conn)

    async def _rejection_loop(self) -> None:
        while True:
            try:
                rejection = await self.server.next_rejection(timeout=3600.0)
            except TimeoutError:
                continue
            text = f"handshake from station {rejection.station_id!r} refused: {rejection.reason}"
            self.transcript.note(text)
            self._violations.append(
                SutViolation(
                    Violation("transport.handshake", "", f"{rejection.reason} {rejection.detail}".strip()), ""
                )
            )
            self._wake_all()


class HarnessStation(Session):
    """The harness playing a charging station towards the CSMS under test."""

    def __init__(
        self,
        url: str,
        station_id: str,
        security: ClientSecurity,
        *,
        validator: FrameValidator,
        timeout: float,
        connect_timeout: float,
        responders: dict[str, Responder],
    ) -> None:
        super().__init__(
            validator=validator, timeout=timeout, default_responders=responders, peer_name="CSMS"
        )
        self.csms_url = url
        self.station_id = station_id
        self.security = security
        self.connect_timeout = connect_timeout

    async def connect(self, *, security: ClientSecurity | None = None) -> None:
        """Open a connection to the CSMS under test; a refusal fails the test with its reason."""
        try:
            conn: Any = await connect_station(
                self.csms_url, self.station_id, security or self.security, timeout=self.connect_timeout
            )
        except ConnectFailed as exc:
            raise SutDisconnected(
                f"[disconnected] could not connect to the CSMS at {self.csms_url}: {exc}"
            ) from None
        self.bind(conn)

    async def try_connect(self, *, security: ClientSecurity | None = None) -> str | None:
        """Try to connect; return the refusal reason, or None when the CSMS accepted the connection."""
        try:
            conn: Any = await connect_station(
                self.csms_url, self.station_id, security or self.security, timeout=self.connect_timeout
            )
        except ConnectFailed as exc:
            return str(exc)
        self.bind(conn)
        return None

    async def disconnect(self) -> None:
        if self._conn is not None and not self._conn.closed:
            await self._conn.close()
            with contextlib.suppress(HarnessError, SutDisconnected):
                await self.wait_disconnect(timeout=self.connect_timeout)

    async def reconnect(self, *, security: ClientSecurity | None = None) -> None:
        await self.disconnect()
        await self.connect(security=security)

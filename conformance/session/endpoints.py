"""The harness's two roles as sessions with their own connection management.

`HarnessCsms` listens and follows the station under test across reconnects (a reboot is just a new
connection of the same station id). `HarnessStation` connects to the CSMS under test and can reconnect
on request (after a Reset, with another security profile, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from conformance.errors import HarnessError, SutDisconnected
from conformance.ocppj.validation import FrameValidator, Violation
from conformance.session.session import Responder, Session, SutViolation
from conformance.transport import ConnectFailed, CsmsServer, connect_station
from conformance.transport.errors import HandshakeRejection
from conformance.transport.security import ClientSecurity
from conformance.transport.server import TlsInfo


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
        self._refused_since_offline = 0
        self._expected_refusals: list[list[HandshakeRejection]] = []
        server.on_offline_refusal = self._on_offline_refusal

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

    @property
    def tls(self) -> TlsInfo | None:
        """The TLS session of the station's current connection (None at security profiles 0 and 1)."""
        return self.server.tls_of(self._conn)

    # ------------------------------------------------------------ offline (Part 6: no reconnect accepted)
    @property
    def offline(self) -> bool:
        return self.server.offline

    async def go_offline(self, *, timeout: float | None = None) -> None:
        """Close the station's connection and refuse every reconnect (HTTP 503) until `go_online`.

        Part 6's "the OCTT closes the WebSocket connection and does not accept a reconnect". The refused
        attempts never fail the test (they are counted in `events.refused`, see `wait_refused`)."""
        self.server.go_offline()
        self._refused_since_offline = 0
        self.transcript.note("the harness CSMS goes offline: reconnects are refused (HTTP 503)")
        if self.connected:
            assert self._conn is not None
            await self._conn.close(1000, "the CSMS goes offline")
            await self.wait_disconnect(timeout=timeout)

    def go_online(self) -> None:
        """Accept the station's connections again; then `await wait_reconnect()` (no await in between
        is needed: the reconnect cannot be missed, it is counted from this call)."""
        self.server.go_online()
        self.transcript.note(
            f"the harness CSMS is online again ({self._refused_since_offline} reconnect attempt(s) refused)"
        )

    async def wait_refused(self, *, timeout: float | None = None, after: int | None = None) -> None:
        """Wait until the station has tried to reconnect while offline (and was refused): `after` is
        the `events.refused` count to exceed (default: the count now)."""
        floor = self.events.refused if after is None else after
        await self._wait_event(
            lambda: self.events.refused > floor, timeout, "the station to try to reconnect (refused)"
        )

    @contextlib.contextmanager
    def refusals_expected(self) -> Iterator[list[HandshakeRejection]]:
        """Handshakes refused while the block runs are the test's own doing (it presents an invalid
        certificate, caps the TLS version, ...): they are collected in the yielded list and counted in
        `events.refused` (see `wait_refused`) instead of failing the test."""
        refused: list[HandshakeRejection] = []
        self._expected_refusals.append(refused)
        try:
            yield refused
        finally:
            self._expected_refusals.remove(refused)

    def _on_offline_refusal(self, station_id: str) -> None:
        if self._refused_since_offline == 0:
            self.transcript.note(f"refused a reconnect of {station_id!r}: the harness CSMS is offline")
        self._refused_since_offline += 1
        self.events.refused += 1
        self.events.bump()

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
            if self.server.offline:  # its handshake began before go_offline: still "not accepted"
                self.transcript.note("closed a connection whose handshake ended as the CSMS went offline")
                await conn.close(1000, "the CSMS is offline")
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
            if self._expected_refusals:
                for refused in self._expected_refusals:
                    refused.append(rejection)
                self.events.refused += 1
                self.events.bump()
                continue
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

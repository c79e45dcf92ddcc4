"""`WsConnection`: one OCPP-J WebSocket connection, the same shape in both roles.

Wraps a websockets 17 asyncio connection so the session layer sees only text/bytes in, text/bytes out
and `TransportClosed` when the peer goes away. Credentials are reduced to facts (`auth`): the raw
Authorization header never leaves this layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.connection import Connection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from conformance.transport.errors import TransportClosed

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""Largest frame accepted (websockets' default of 1 MiB is below some legitimate OCPP payloads)."""
CLOSE_TIMEOUT = 5.0
"""Seconds to wait for the peer's close frame before dropping the TCP connection."""
REDACTED = "<redacted>"


@dataclass(frozen=True)
class AuthFacts:
    """What the session may know about the station's credentials (never the password itself).

    `basic_present`: an Authorization header was sent; `basic_valid`: it parsed as Basic auth, the
    username equalled the station id and the password matched (None when the profile does not check it);
    `client_cert_cn`: the CN of the TLS client certificate, if any.
    """

    basic_present: bool = False
    basic_valid: bool | None = None
    client_cert_cn: str | None = None


def _close_details(exc: ConnectionClosed) -> TransportClosed:
    frame = exc.rcvd or exc.sent
    if exc.rcvd is None:
        # No close frame from the peer: a drop (TCP reset/EOF) or our own close that timed out.
        code = 1006 if exc.sent is None else exc.sent.code
        return TransportClosed(code, "" if frame is None else frame.reason)
    return TransportClosed(exc.rcvd.code, exc.rcvd.reason)


def masked_headers(headers: Headers) -> Headers:
    """A copy of request headers with the Authorization value replaced."""
    out = Headers()
    for name, value in headers.raw_items():
        out[name] = REDACTED if name.lower() in ("authorization", "proxy-authorization") else value
    return out


class WsConnection:
    """One OCPP-J connection (harness as CSMS: accepted; harness as station: opened)."""

    def __init__(self, ws: Connection, station_id: str, path: str, auth: AuthFacts | None = None) -> None:
        self._ws = ws
        self._station_id = station_id
        self._path = path
        self._auth = auth or AuthFacts()
        self._headers = masked_headers(ws.request.headers) if ws.request is not None else Headers()

    # ------------------------------------------------------------ facts
    @property
    def station_id(self) -> str:
        return self._station_id

    @property
    def path(self) -> str:
        """The request path of the handshake (percent-encoded, as sent)."""
        return self._path

    @property
    def subprotocol(self) -> str | None:
        return None if self._ws.subprotocol is None else str(self._ws.subprotocol)

    @property
    def request_headers(self) -> Mapping[str, str]:
        """Handshake request headers (case-insensitive); Authorization is redacted."""
        return self._headers

    @property
    def response_headers(self) -> Mapping[str, str]:
        """Handshake response headers (the harness as station: the CSMS's 101 answer, TC_B_58_CSMS)."""
        response = self._ws.response
        return response.headers if response is not None else Headers()

    @property
    def auth(self) -> AuthFacts:
        return self._auth

    @property
    def peer_certificate(self) -> dict[str, Any] | None:
        """The peer's verified TLS certificate as `ssl.getpeercert()` gives it; None without TLS/cert."""
        transport = self._ws.transport
        cert = transport.get_extra_info("peercert") if transport is not None else None
        return dict(cert) if cert else None

    @property
    def remote_address(self) -> Any:
        return self._ws.remote_address

    @property
    def closed(self) -> bool:
        return self._ws.state is not State.OPEN

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code

    # ------------------------------------------------------------ I/O
    async def send(self, data: str | bytes) -> None:
        """Send one text (str) or binary (bytes) frame; raises TransportClosed if the connection is gone."""
        try:
            await self._ws.send(data)
        except ConnectionClosed as exc:
            raise _close_details(exc) from None

    async def recv(self) -> str | bytes:
        """The next frame; raises TransportClosed(code, reason) once the peer closed or dropped."""
        try:
            return await self._ws.recv()
        except ConnectionClosed as exc:
            raise _close_details(exc) from None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with a close frame; bounded by CLOSE_TIMEOUT, then the TCP connection is dropped."""
        await self._ws.close(code, reason)

    async def wait_closed(self) -> None:
        await self._ws.wait_closed()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (simulates a crash / cable pull)."""
        transport = self._ws.transport
        if transport is not None:
            transport.abort()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"WsConnection(station_id={self._station_id!r}, path={self._path!r}, {state})"

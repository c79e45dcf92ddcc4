"""What the transport layer reports upwards: a closed connection, a failed connect, a refused handshake."""

from __future__ import annotations

from dataclasses import dataclass


class TransportClosed(Exception):
    """The peer closed or dropped the WebSocket connection (raised by `WsConnection.recv`/`send`)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        text = "connection dropped without a close frame" if code is None or code == 1006 else f"code {code}"
        super().__init__(f"{text}, reason {reason!r}" if reason else text)


class ConnectFailed(Exception):
    """The harness as station could not open an OCPP-J connection; `reason` says why, for a human."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class HandshakeRejection:
    """A station's connection attempt that the harness as CSMS refused (or closed right after the handshake).

    `station_id` is the last path segment of the request ("" when unknown, e.g. a TLS failure before any
    HTTP request); `reason` is a short human sentence; `detail` adds facts (never a password).
    """

    station_id: str
    reason: str
    detail: str = ""

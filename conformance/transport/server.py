"""`CsmsServer`: the harness's listening endpoint when it plays the CSMS (station under test connects).

OCPP-J handshake rules enforced here (Part 4 section 3; Part 2 A00 for the security profiles):
- the station connects to `<base path>/<station id>` (percent-encoded); the id is the last path segment;
- subprotocol `ocpp2.0.1` is selected when offered; otherwise the handshake completes WITHOUT a
  Sec-WebSocket-Protocol header and the connection is closed at once (websockets would answer 400);
- profiles 1/2: HTTP Basic auth, username = station id, else HTTP 401 (TC_A_01..03);
- profile 3: mutual TLS; the client certificate's CN must equal the station id, else HTTP 403.
Every refusal is recorded as a `HandshakeRejection` so the session can fail the test with its reason.

Offline mode (`go_offline` / `go_online`): Part 6's "the OCTT does not accept a reconnect" is the harness
refusing every handshake with HTTP 503 on purpose. Those refusals are recorded apart, in
`offline_refusals`, because they are the test's own doing and never fail a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ssl
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from conformance.errors import ConfigError
from conformance.transport import tlsprobe
from conformance.transport.connection import CLOSE_TIMEOUT, MAX_MESSAGE_BYTES, AuthFacts, WsConnection
from conformance.transport.errors import HandshakeRejection
from conformance.transport.logs import websockets_logger
from conformance.transport.security import ServerSecurity, below_tls12, parse_basic_auth, server_ssl_context

OCPP201 = "ocpp2.0.1"
CLOSE_NO_SUBPROTOCOL = 1002  # protocol error: nothing to speak after a handshake without a subprotocol


def normalize_base_path(base_path: str) -> str:
    """'/', 'ocpp', '/ocpp/' -> '/', '/ocpp/', '/ocpp/': always with a leading and trailing slash."""
    stripped = base_path.strip("/")
    return "/" if not stripped else f"/{stripped}/"


def common_name(cert: dict[str, Any] | None) -> str | None:
    """The subject CN of a certificate in `ssl.getpeercert()` form."""
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


@dataclass(frozen=True)
class TlsInfo:
    """The TLS session of an accepted connection (TC_A_04_CS: version and cipher suites)."""

    version: str  # as OpenSSL names it: "TLSv1.2", "TLSv1.3"
    cipher: str  # the negotiated suite
    # The suites the station offered that this endpoint also enables (OpenSSL's shared ciphers).
    shared_ciphers: tuple[str, ...]


def tls_info(ssl_object: ssl.SSLObject | None) -> TlsInfo | None:
    if ssl_object is None:
        return None
    cipher = ssl_object.cipher()
    return TlsInfo(
        version=str(ssl_object.version() or ""),
        cipher=cipher[0] if cipher else "",
        shared_ciphers=tuple(c[0] for c in ssl_object.shared_ciphers() or ()),
    )


class _Facts:
    """What process_request learnt about one handshake, for the handler."""

    __slots__ = ("auth", "path", "station_id", "tls")

    def __init__(self, station_id: str, path: str, auth: AuthFacts, tls: TlsInfo | None = None) -> None:
        self.station_id = station_id
        self.path = path
        self.auth = auth
        self.tls = tls


class CsmsServer:
    """Listening OCPP-J endpoint; `accept()` yields stations that passed the handshake and authentication."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        security: ServerSecurity | None = None,
        base_path: str = "/",
        *,
        open_timeout: float = 10.0,
        ping_interval: float | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.security = security if security is not None else ServerSecurity()
        self.base_path = normalize_base_path(base_path)
        self.open_timeout = open_timeout
        # No keep-alive pings by default: the harness must not close the SUT's connection on its own.
        self.ping_interval = ping_interval
        self.rejections: list[HandshakeRejection] = []
        self._rejection_queue: asyncio.Queue[HandshakeRejection] = asyncio.Queue()
        self._accepted: asyncio.Queue[WsConnection] = asyncio.Queue()
        # Weak: a handshake aborted between process_request and the handler must not leak its entry.
        self._facts: weakref.WeakKeyDictionary[ServerConnection, _Facts] = weakref.WeakKeyDictionary()
        self._offered: weakref.WeakKeyDictionary[ServerConnection, list[str]] = weakref.WeakKeyDictionary()
        self._tls: weakref.WeakKeyDictionary[WsConnection, TlsInfo] = weakref.WeakKeyDictionary()
        self._server: Server | None = None
        self._probe: tlsprobe.TlsFailureProbe | None = None
        self._ssl: ssl.SSLContext | None = None
        self._tls12_ciphers: str | None = None
        # A live copy: TC_A_09_CS changes the station's password while the harness runs.
        self._passwords: dict[str, str] = dict(self.security.passwords or {})
        self._offline = False
        # Station ids of the handshakes refused while offline (not HandshakeRejections: deliberate).
        self.offline_refusals: list[str] = []
        # Called with the station id on each such refusal (HarnessCsms wakes its waiters with it).
        self.on_offline_refusal: Callable[[str], None] | None = None

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._server is not None:
            return
        ctx = server_ssl_context(self.security)
        self._ssl = ctx
        if ctx is not None:
            self._probe = tlsprobe.install(ctx, self._record_tls_failure)
        self._server = await serve(
            self._handler,
            self.host,
            self.requested_port,
            ssl=ctx,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            compression=None,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=self.open_timeout,
            close_timeout=CLOSE_TIMEOUT,
            ping_interval=self.ping_interval,
            logger=websockets_logger("server"),
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close(close_connections=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), CLOSE_TIMEOUT + 1.0)

    async def __aenter__(self) -> CsmsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ live reconfiguration (next handshakes)
    def set_password(self, station_id: str, password: str) -> None:
        """Accept `password` (only) for `station_id` from now on (TC_A_09_CS: new BasicAuthPassword)."""
        self._passwords[station_id] = password

    def use_server_certificate(self, certfile: Path, keyfile: Path) -> None:
        """Present another server certificate on the next TLS handshakes (TC_A_05_CS: invalid, then valid)."""
        ctx = self._live_tls("use_server_certificate")
        try:
            ctx.load_cert_chain(str(certfile), str(keyfile))
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"cannot load cert {str(certfile)!r}, key {str(keyfile)!r}: {exc}") from None

    def set_tls_max_version(self, version: ssl.TLSVersion | None) -> None:
        """Cap the TLS version of the next handshakes (TC_A_06_CS: TLS lower than 1.2); None restores 1.2+."""
        ctx = self._live_tls("set_tls_max_version")
        with warnings.catch_warnings():  # TLSv1/TLSv1_1 are deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            if version is not None and below_tls12(version):
                if self._tls12_ciphers is None:
                    names = [c["name"] for c in ctx.get_ciphers() if c.get("protocol") != "TLSv1.3"]
                    self._tls12_ciphers = ":".join(names)
                ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
                ctx.maximum_version = version
                with contextlib.suppress(ssl.SSLError):
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                return
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.maximum_version = version or ssl.TLSVersion.MAXIMUM_SUPPORTED
            if self._tls12_ciphers is not None:
                ctx.set_ciphers(f"@SECLEVEL=2:{self._tls12_ciphers}")
                self._tls12_ciphers = None

    @property
    def offline(self) -> bool:
        return self._offline

    def go_offline(self) -> None:
        """Refuse every new handshake (HTTP 503) until `go_online`; open connections are not touched."""
        self._offline = True

    def go_online(self) -> None:
        self._offline = False

    def _live_tls(self, what: str) -> ssl.SSLContext:
        if self._ssl is None:
            raise ConfigError(f"{what}: the server is not started or does not use TLS (profile 2 or 3)")
        return self._ssl

    # ------------------------------------------------------------ facts
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("CsmsServer is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """The OCPP-J endpoint URL, ending with '/': append the (percent-encoded) station id."""
        scheme = "wss" if self.security.tls else "ws"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{self.base_path}"

    # ------------------------------------------------------------ consumer API
    async def accept(self, timeout: float) -> WsConnection:
        """The next station that completed the handshake and passed authentication (TimeoutError if none)."""
        return await asyncio.wait_for(self._accepted.get(), timeout)

    def tls_of(self, conn: object) -> TlsInfo | None:
        """The TLS session of a connection this server accepted (None: plain WebSocket, or not ours)."""
        return self._tls.get(conn) if isinstance(conn, WsConnection) else None

    async def next_rejection(self, timeout: float) -> HandshakeRejection:
        """The next refused connection attempt (TimeoutError if none); all stay in `rejections`."""
        return await asyncio.wait_for(self._rejection_queue.get(), timeout)

    # ------------------------------------------------------------ internals
    def _reject(self, station_id: str, reason: str, detail: str = "") -> None:
        rejection = HandshakeRejection(station_id, reason, detail)
        self.rejections.append(rejection)
        self._rejection_queue.put_nowait(rejection)

    def _record_tls_failure(self, direction: str, alert: str) -> None:
        # Before any HTTP request: the station id is not known yet.
        capped = self._ssl is not None and below_tls12(self._ssl.maximum_version)
        if direction == "write" and alert == "PROTOCOL_VERSION" and capped:
            assert self._ssl is not None
            self._reject(
                "",
                f"no common TLS version: the harness offered at most {self._ssl.maximum_version.name}"
                " on purpose and the station did not accept it (alert PROTOCOL_VERSION)",
            )
        elif direction == "write":
            self._reject("", f"TLS handshake refused: {tlsprobe.explain(alert)} (alert {alert})")
        else:
            self._reject(
                "",
                f"the station aborted the TLS handshake with alert {alert}"
                " (does it trust the harness's server certificate?)",
            )

    def _refuse(
        self, connection: ServerConnection, status: HTTPStatus, station_id: str, reason: str
    ) -> Response:
        self._reject(station_id, reason, f"HTTP {status.value} {status.phrase}")
        response = connection.respond(status, f"{reason}\n")
        if status is HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        return response

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        segment = path.rstrip("/").rsplit("/", 1)[-1] if path.rstrip("/") else ""
        station_id = unquote(segment)
        if self._offline:
            self.offline_refusals.append(station_id)
            if self.on_offline_refusal is not None:
                self.on_offline_refusal(station_id)
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "the harness CSMS is offline\n")
        if not path.startswith(self.base_path) or path == self.base_path.rstrip("/"):
            return self._refuse(
                connection,
                HTTPStatus.NOT_FOUND,
                station_id,
                f"request path {path!r} is not {self.base_path}<station id>",
            )
        if not station_id or path.endswith("/"):
            reason = f"no station id in the request path {path!r}"
            return self._refuse(connection, HTTPStatus.NOT_FOUND, "", reason)

        header = request.headers.get("Authorization")
        auth = AuthFacts(basic_present=header is not None)
        sec = self.security
        if sec.basic_auth:
            refusal = self._check_basic_auth(header, station_id)
            if refusal is not None:
                return self._refuse(connection, HTTPStatus.UNAUTHORIZED, station_id, refusal)
            auth = AuthFacts(basic_present=True, basic_valid=True)
        if sec.profile == 3:
            cert = connection.transport.get_extra_info("peercert")
            cn = common_name(cert)
            if cn is None:
                return self._refuse(
                    connection, HTTPStatus.FORBIDDEN, station_id, "station presented no client certificate"
                )
            if cn != station_id:
                return self._refuse(
                    connection,
                    HTTPStatus.FORBIDDEN,
                    station_id,
                    f"client certificate CN {cn!r} does not equal the station id {station_id!r} in the URL",
                )
            auth = AuthFacts(basic_present=header is not None, client_cert_cn=cn)
        ssl_object = connection.transport.get_extra_info("ssl_object")
        self._facts[connection] = _Facts(station_id, request.path, auth, tls_info(ssl_object))
        return None

    def _check_basic_auth(self, header: str | None, station_id: str) -> str | None:
        """None when the Basic credentials are right, else the reason (never containing the password)."""
        if header is None:
            return "missing HTTP Basic authentication (no Authorization header)"
        parsed = parse_basic_auth(header)
        if parsed is None:
            return "Authorization header is not valid HTTP Basic authentication"
        username, password = parsed
        if username != station_id:
            return f"Basic auth username {username!r} does not equal the station id {station_id!r}"
        expected = self._passwords.get(station_id)
        if expected is None:
            return f"no password is configured for station id {station_id!r}"
        if not hmac.compare_digest(password.encode(), expected.encode()):
            return f"wrong Basic auth password for station {station_id!r}"
        return None

    def _select_subprotocol(
        self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        self._offered[connection] = [str(s) for s in subprotocols]
        return Subprotocol(OCPP201) if OCPP201 in subprotocols else None

    async def _handler(self, ws: ServerConnection) -> None:
        facts = self._facts.pop(ws, None)
        offered = self._offered.pop(ws, [])
        if facts is None:  # cannot happen: process_request accepted the request
            await ws.close(1011, "internal error")
            return
        if ws.subprotocol is None:
            listed = ", ".join(offered) if offered else "none"
            self._reject(facts.station_id, f"station offered no {OCPP201} subprotocol (offered: {listed})")
            await ws.close(CLOSE_NO_SUBPROTOCOL, f"{OCPP201} subprotocol required")
            return
        conn = WsConnection(ws, facts.station_id, facts.path, facts.auth)
        if facts.tls is not None:
            self._tls[conn] = facts.tls
        self._accepted.put_nowait(conn)
        # The handler's lifetime is the connection's: returning would close it.
        await ws.wait_closed()

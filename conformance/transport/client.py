"""`connect_station`: the harness as a charging station opening an OCPP-J connection to a CSMS.

Every way a connection can fail is turned into a `ConnectFailed` with a specific reason, because that
reason is what a test report shows when a CSMS under test refuses the harness (TC_A_*_CSMS).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
    NegotiationError,
)
from websockets.typing import Subprotocol

from conformance.errors import ConfigError
from conformance.transport import tlsprobe
from conformance.transport.connection import CLOSE_TIMEOUT, MAX_MESSAGE_BYTES, AuthFacts, WsConnection
from conformance.transport.errors import ConnectFailed
from conformance.transport.logs import websockets_logger
from conformance.transport.security import ClientSecurity, basic_auth_header, below_tls12, client_ssl_context

OCPP201 = "ocpp2.0.1"
USER_AGENT = "ocpp-conformance"

# OpenSSL X509_V_ERR_* codes worth naming (openssl/x509_vfy.h).
_VERIFY_CODES = {
    9: "server certificate is not yet valid",
    10: "server certificate has expired",
    18: "server certificate is self-signed and not trusted",
    19: "server certificate chain has a self-signed root that is not trusted",
    20: "server certificate is signed by an untrusted CA",
    21: "server certificate is signed by an untrusted CA",
    62: "server certificate does not match the host name",
    64: "server certificate does not match the IP address",
}


def station_url(url: str, station_id: str) -> str:
    """The connection URL: endpoint URL + '/' + percent-encoded station id (Part 4 section 3.1.1)."""
    return f"{url.rstrip('/')}/{quote(station_id, safe='')}"


def _ssl_reason(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        message = getattr(exc, "verify_message", "") or str(exc)
        what = _VERIFY_CODES.get(code, "server certificate rejected") if isinstance(code, int) else "rejected"
        return f"TLS certificate verify failed: {what} ({message})"
    reason = (exc.reason or "").upper()
    if "PROTOCOL_VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason:
        return f"TLS version refused: the CSMS does not accept the offered TLS version ({exc.reason})"
    if "NO_PROTOCOLS_AVAILABLE" in reason or "NO_SUITABLE" in reason:
        return f"TLS version refused locally: OpenSSL will not offer the configured version ({exc.reason})"
    if "CERTIFICATE_REQUIRED" in reason:
        return f"the CSMS requires a client certificate (profile 3) and none was presented ({exc.reason})"
    if "UNKNOWN_CA" in reason:
        return f"the CSMS does not trust the client certificate's CA ({exc.reason})"
    if "CERTIFICATE_EXPIRED" in reason:
        return f"the CSMS rejected the client certificate as expired ({exc.reason})"
    if "BAD_CERTIFICATE" in reason or "CERTIFICATE_UNKNOWN" in reason:
        return f"the CSMS rejected the client certificate ({exc.reason})"
    if isinstance(exc, ssl.SSLEOFError) or "EOF" in reason:
        return "the CSMS closed the connection during the TLS handshake (TLS version or cipher rejected?)"
    return f"TLS handshake failed: {exc.reason or exc}"


def _alert_reason(direction: str, alert: str, security: ClientSecurity) -> str:
    """Why the TLS handshake failed, from the fatal alert seen on the wire."""
    if direction == "write":  # we refused the server (normally surfaces as a verify error first)
        return f"TLS handshake aborted by the harness: {tlsprobe.explain(alert)} (alert {alert})"
    if alert == "PROTOCOL_VERSION":
        return f"TLS version refused: the CSMS does not accept the offered TLS version (alert {alert})"
    if alert == "CERTIFICATE_REQUIRED" or (alert == "HANDSHAKE_FAILURE" and security.certfile is None):
        return (
            "the CSMS requires a client certificate (security profile 3) and none was presented"
            f" (alert {alert})"
        )
    if alert == "UNKNOWN_CA":
        return f"the CSMS does not trust the CA of the client certificate (alert {alert})"
    if alert == "CERTIFICATE_EXPIRED":
        return f"the CSMS rejected the client certificate as expired (alert {alert})"
    if alert in ("BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN", "UNSUPPORTED_CERTIFICATE"):
        return f"the CSMS rejected the client certificate (alert {alert})"
    return f"the CSMS aborted the TLS handshake: {tlsprobe.explain(alert)} (alert {alert})"


def _find_ssl_error(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _invalid_message_reason(exc: InvalidMessage, security: ClientSecurity, secure: bool) -> str:
    inner = _find_ssl_error(exc)
    if inner is not None:
        return _ssl_reason(inner)
    if secure and security.certfile is None:
        # TLS 1.3: the server checks the client certificate after the client finished its handshake, so
        # a refusal arrives as a closed connection instead of an HTTP response.
        return (
            "the CSMS closed the connection instead of answering the WebSocket upgrade: under TLS 1.3 this"
            " is how a CSMS that requires a client certificate (security profile 3) refuses a station"
            " presenting none"
        )
    if secure:
        return (
            "the CSMS closed the connection instead of answering the WebSocket upgrade: under TLS 1.3 this"
            " is how a CSMS refuses a client certificate (untrusted CA, expired, ...)"
        )
    return (
        f"the server did not answer the WebSocket upgrade with a valid HTTP response ({exc});"
        " a TLS-only (wss://) endpoint reacts like this to a plain ws:// request"
    )


def _status_reason(exc: InvalidStatus) -> str:
    status = exc.response.status_code
    phrase = exc.response.reason_phrase
    body = exc.response.body.decode("utf-8", "replace").strip()[:200] if exc.response.body else ""
    said = f": {body}" if body else ""
    if status == 401:
        return f"HTTP 401 {phrase}: the CSMS rejected the Basic auth credentials (wrong password?){said}"
    if status == 404:
        return f"HTTP 404 {phrase}: the CSMS does not know this station id or endpoint path{said}"
    return f"HTTP {status} {phrase}: the CSMS refused the WebSocket upgrade{said}"


def _generic_reason(exc: BaseException, security: ClientSecurity, secure: bool, where: str) -> str:
    if isinstance(exc, InvalidMessage):
        return _invalid_message_reason(exc, security, secure)
    inner = _find_ssl_error(exc)
    if inner is not None:
        return _ssl_reason(inner)
    if not secure:
        return f"{where} closed the connection during the WebSocket handshake ({type(exc).__name__})"
    # asyncio servers drop the TCP connection without flushing the TLS alert, so only hints are possible.
    text = f"{where} closed the connection during the TLS handshake"
    cap = security.tls_max_version
    if cap is not None and below_tls12(cap):
        return f"{text}: it refused the offered TLS version (at most {cap.name}; TLS 1.2+ is required)"
    if security.certfile is None:
        return (
            f"{text}: it may require a client certificate (none was presented), refuse the TLS version,"
            " or not be a TLS (wss://) endpoint at all"
        )
    return f"{text}: it refused the client certificate, the TLS version or the cipher suites"


async def connect_station(
    url: str,
    station_id: str,
    security: ClientSecurity,
    timeout: float,
    subprotocols: Sequence[str] = (OCPP201,),
) -> WsConnection:
    """Open `<url>/<station id>` with the given security profile; raise ConnectFailed(reason) on failure.

    When `ocpp2.0.1` is offered and the CSMS does not select it, the connection is closed and
    ConnectFailed raised. When the caller offers other subprotocols only (a negative test), the
    connection is returned as is and the caller inspects `subprotocol`.
    """
    target = station_url(url, station_id)
    parts = urlsplit(target)
    secure = parts.scheme == "wss"
    if parts.scheme not in ("ws", "wss"):
        raise ConfigError(f"the CSMS URL must start with ws:// or wss://, not {url!r}")
    if security.tls and not secure:
        raise ConfigError(f"security profile {security.profile} needs a wss:// URL, got {url!r}")
    ctx = client_ssl_context(security) if secure else None
    alerts: list[tuple[str, str]] = []
    if ctx is not None:
        tlsprobe.install(ctx, lambda direction, alert: alerts.append((direction, alert)))
    headers: dict[str, str] = {}
    if security.basic_auth:
        assert security.password is not None
        headers["Authorization"] = basic_auth_header(security.username or station_id, security.password)
    where = f"{parts.hostname}:{parts.port or (443 if secure else 80)}"

    try:
        ws: ClientConnection = await asyncio.wait_for(
            connect(
                target,
                subprotocols=[Subprotocol(s) for s in subprotocols] or None,
                additional_headers=headers or None,
                ssl=ctx,
                proxy=None,
                compression=None,
                max_size=MAX_MESSAGE_BYTES,
                open_timeout=timeout,
                close_timeout=CLOSE_TIMEOUT,
                ping_interval=None,
                user_agent_header=USER_AGENT,
                logger=websockets_logger("client"),
            ),
            timeout + 1.0,  # belt and braces: websockets' own open_timeout should fire first
        )
    except (InvalidMessage, ssl.SSLError, ConnectionResetError, ConnectionAbortedError, EOFError) as exc:
        if alerts and not isinstance(exc, ssl.SSLCertVerificationError):
            # The alert on the wire is more specific than what asyncio makes of it (often a bare reset).
            raise ConnectFailed(_alert_reason(*alerts[-1], security)) from None
        raise ConnectFailed(_generic_reason(exc, security, secure, where)) from None
    except TimeoutError:
        raise ConnectFailed(f"timed out after {timeout:g} s connecting to {where} (no handshake)") from None
    except ConnectionRefusedError:
        raise ConnectFailed(f"connection refused by {where} (nothing listening?)") from None
    except InvalidStatus as exc:
        raise ConnectFailed(_status_reason(exc)) from None
    except NegotiationError as exc:
        raise ConnectFailed(f"WebSocket negotiation failed: {exc}") from None
    except InvalidURI as exc:
        raise ConfigError(f"invalid CSMS URL {target!r}: {exc}") from None
    except InvalidHandshake as exc:
        raise ConnectFailed(f"invalid WebSocket handshake from {where}: {exc}") from None
    except OSError as exc:
        raise ConnectFailed(f"cannot connect to {where}: {exc.strerror or exc}") from None

    conn = WsConnection(ws, station_id, parts.path, AuthFacts(basic_present=security.basic_auth))
    if OCPP201 in subprotocols and ws.subprotocol != OCPP201:
        selected = "none" if ws.subprotocol is None else repr(str(ws.subprotocol))
        await conn.close(1002, f"{OCPP201} subprotocol required")
        raise ConnectFailed(f"the CSMS did not select the {OCPP201} subprotocol (selected: {selected})")
    return conn

"""Best-effort visibility of TLS handshake failures on the listening side.

asyncio fails a server-side TLS handshake silently (the application protocol never hears of it), so a
station rejected for a missing/untrusted/expired client certificate or an old TLS version would leave
no trace. OpenSSL's message callback (CPython's `SSLContext._msg_callback`, a debugging hook, private)
reports every TLS alert; fatal ones are turned into a human reason. If the hook is unavailable the
probe is simply not installed: nothing else depends on it.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

FATAL = 2

# Alert names for the reasons a station's handshake typically fails (RFC 8446 section 6).
_EXPLAIN = {
    "CERTIFICATE_REQUIRED": "the station presented no client certificate",
    "UNKNOWN_CA": "certificate from an untrusted CA",
    "CERTIFICATE_EXPIRED": "certificate expired",
    "BAD_CERTIFICATE": "bad certificate",
    "PROTOCOL_VERSION": "no acceptable TLS version (TLS 1.2 or higher is required)",
    "HANDSHAKE_FAILURE": "no common cipher suite / handshake failure",
    "DECRYPT_ERROR": "signature/decrypt error",
    "CERTIFICATE_UNKNOWN": "certificate not accepted",
}


def explain(alert: str) -> str:
    """A human phrase for a TLS alert name such as 'UNKNOWN_CA'."""
    return _EXPLAIN.get(alert, alert.lower().replace("_", " "))


class TlsFailureProbe:
    """Calls `report(direction, alert)` for each fatal TLS alert on the context's connections.

    `direction` is "write" (this side refused the peer) or "read" (the peer refused this side); `alert`
    is the alert name, e.g. "UNKNOWN_CA", "CERTIFICATE_REQUIRED", "PROTOCOL_VERSION".
    """

    def __init__(self, report: Callable[[str, str], None]) -> None:
        self.report = report

    def __call__(
        self, conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: bytes
    ) -> None:
        try:
            if getattr(content_type, "name", "") != "ALERT" or len(data) < 2 or data[0] != FATAL:
                return
            self.report(direction, getattr(msg_type, "name", str(msg_type)))
        except Exception:  # a debugging hook must never break the handshake
            return


def install(ctx: ssl.SSLContext, report: Callable[[str, str], None]) -> TlsFailureProbe | None:
    """Attach a probe to `ctx`; None when this Python has no message callback."""
    probe = TlsFailureProbe(report)
    try:
        ctx._msg_callback = probe  # type: ignore[attr-defined]
    except (AttributeError, TypeError, NotImplementedError):
        return None
    return probe

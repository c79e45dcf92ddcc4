"""Security profiles 0-3 of OCPP 2.0.1 at the transport layer (Part 2 A00, Part 4 OCPP-J).

Profile 0: ws:// without authentication (test setups only).
Profile 1: ws:// with HTTP Basic authentication, username = station id (A00.FR.2xx).
Profile 2: wss:// (server certificate) with HTTP Basic authentication.
Profile 3: wss:// with mutual TLS; the station is identified by its client certificate.

TLS 1.2 is the minimum in every profile that uses TLS (A00.FR.3xx, A00.FR.4xx). Passwords never appear
in a repr, a log line or an exception message.
"""

from __future__ import annotations

import base64
import binascii
import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conformance.errors import ConfigError

PROFILES = (0, 1, 2, 3)
MASK = "***"


def _mask_passwords(passwords: Mapping[str, str] | None) -> str:
    if passwords is None:
        return "None"
    return "{" + ", ".join(f"{station!r}: {MASK!r}" for station in passwords) + "}"


def _check_file(what: str, path: Path | None, profile: int) -> None:
    if path is None:
        raise ConfigError(f"security profile {profile} needs {what}; none was configured")
    if not Path(path).is_file():
        raise ConfigError(f"security profile {profile}: {what} {str(path)!r} does not exist or is not a file")


@dataclass(frozen=True)
class ServerSecurity:
    """How the harness as CSMS (or the reference CSMS) secures its listening endpoint.

    `passwords` maps station id -> Basic-auth password and is required for profiles 1 and 2.
    `certfile`/`keyfile` (server certificate, PEM) are required for profiles 2 and 3; `cafile` (the CA
    that signs station certificates) is required for profile 3.
    """

    profile: int = 0
    passwords: Mapping[str, str] | None = field(default=None, repr=False)
    certfile: Path | None = None
    keyfile: Path | None = None
    cafile: Path | None = None

    def __post_init__(self) -> None:
        p = self.profile
        if p not in PROFILES:
            raise ConfigError(f"security profile must be one of 0, 1, 2, 3, not {p!r}")
        if p in (1, 2) and not self.passwords:
            raise ConfigError(
                f"security profile {p} uses HTTP Basic authentication: configure the password of"
                " each station (passwords = {station id: password})"
            )
        if p in (2, 3):
            _check_file("a server certificate (certfile)", self.certfile, p)
            _check_file("the server certificate's private key (keyfile)", self.keyfile, p)
        if p == 3:
            _check_file("the CA certificate that signs station certificates (cafile)", self.cafile, p)

    @property
    def tls(self) -> bool:
        return self.profile >= 2

    @property
    def basic_auth(self) -> bool:
        return self.profile in (1, 2)

    def __repr__(self) -> str:
        return (
            f"ServerSecurity(profile={self.profile}, passwords={_mask_passwords(self.passwords)},"
            f" certfile={self.certfile!r}, keyfile={self.keyfile!r}, cafile={self.cafile!r})"
        )


@dataclass(frozen=True)
class ClientSecurity:
    """How the harness as station (or the reference station) connects to a CSMS.

    Unlike ServerSecurity, a missing password in profile 1/2 is allowed: the harness deliberately
    connects without credentials in negative tests. `username` overrides the Basic-auth username
    (default: the station id; TC_A_02_CSMS sends another one). `tls_max_version` caps the TLS version
    offered (negative tests: a station that only speaks TLS 1.1).
    """

    profile: int = 0
    password: str | None = field(default=None, repr=False)
    cafile: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None
    username: str | None = None
    tls_max_version: ssl.TLSVersion | None = None

    def __post_init__(self) -> None:
        p = self.profile
        if p not in PROFILES:
            raise ConfigError(f"security profile must be one of 0, 1, 2, 3, not {p!r}")
        if (self.certfile is None) != (self.keyfile is None):
            raise ConfigError("a client certificate needs both certfile and keyfile")
        if p == 3 and self.certfile is None:
            raise ConfigError("security profile 3 needs a client certificate (certfile and keyfile)")
        for what, path in (("cafile", self.cafile), ("certfile", self.certfile), ("keyfile", self.keyfile)):
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"{what} {str(path)!r} does not exist or is not a file")

    @property
    def tls(self) -> bool:
        return self.profile >= 2

    @property
    def basic_auth(self) -> bool:
        return self.profile in (1, 2) and self.password is not None

    def __repr__(self) -> str:
        password = "None" if self.password is None else repr(MASK)
        return (
            f"ClientSecurity(profile={self.profile}, password={password}, cafile={self.cafile!r},"
            f" certfile={self.certfile!r}, keyfile={self.keyfile!r}, username={self.username!r})"
        )


def _load_chain(ctx: ssl.SSLContext, certfile: Path, keyfile: Path) -> None:
    try:
        ctx.load_cert_chain(str(certfile), str(keyfile))
    except (ssl.SSLError, OSError) as exc:
        # The exception text names files and OpenSSL reasons, never key material.
        raise ConfigError(f"cannot load cert {str(certfile)!r}, key {str(keyfile)!r}: {exc}") from None


def _load_ca(ctx: ssl.SSLContext, cafile: Path) -> None:
    try:
        ctx.load_verify_locations(cafile=str(cafile))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"cannot load CA certificates from {str(cafile)!r}: {exc}") from None


def server_ssl_context(sec: ServerSecurity) -> ssl.SSLContext | None:
    """The listening side's TLS context; None for profiles 0 and 1 (plain ws://)."""
    if not sec.tls:
        return None
    assert sec.certfile is not None and sec.keyfile is not None  # checked in __post_init__
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(ctx, sec.certfile, sec.keyfile)
    if sec.profile == 3:
        assert sec.cafile is not None
        _load_ca(ctx, sec.cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def below_tls12(version: ssl.TLSVersion | None) -> bool:
    """True for a real TLS version older than 1.2 (not for None or the MIN/MAX_SUPPORTED sentinels)."""
    sentinels = (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED)
    return version is not None and version not in sentinels and version < ssl.TLSVersion.TLSv1_2


def client_ssl_context(sec: ClientSecurity) -> ssl.SSLContext:
    """The connecting side's TLS context: verifies the server certificate and host name.

    Trusts `cafile` when given, else the system store. Presents the client certificate when one is
    configured (required in profile 3).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED by default
    if sec.tls_max_version is not None and below_tls12(sec.tls_max_version):
        # Negative test: offer only an old TLS version. Lower the local floor (and OpenSSL's security
        # level) so the offer actually goes out and the *server* has to refuse it.
        with warnings.catch_warnings():  # TLSv1/TLSv1_1 are deprecated: that is the point of the test
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = sec.tls_max_version
        try:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        except ssl.SSLError:
            pass
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if sec.tls_max_version is not None:
            ctx.maximum_version = sec.tls_max_version
    if sec.cafile is not None:
        _load_ca(ctx, sec.cafile)
    else:
        ctx.load_default_certs()
    if sec.certfile is not None and sec.keyfile is not None:
        _load_chain(ctx, sec.certfile, sec.keyfile)
    return ctx


def basic_auth_header(station_id: str, password: str) -> str:
    """The Authorization header value: `Basic base64(<station id>:<password>)` (Part 4, A00.FR.2xx)."""
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    """(username, password) from an Authorization header value, or None when it is not valid Basic auth.

    The username ends at the first colon (a station id may not contain one, Part 4 section 3.1.1);
    the password may contain colons.
    """
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")
    username, colon, password = text.partition(":")
    if not colon:
        return None
    return username, password

"""What the reference CSMS knows: its stations, its id-token table, canned answers, security files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from conformance.errors import ConfigError

BOOT_STATUSES: Final = ("Accepted", "Pending", "Rejected")
# AuthorizationStatusEnumType (Part 3).
AUTH_STATUSES: Final = (
    "Accepted",
    "Blocked",
    "ConcurrentTx",
    "Expired",
    "Invalid",
    "NoCredit",
    "NotAllowedTypeEVSE",
    "NotAtThisLocation",
    "NotAtThisTime",
    "Unknown",
)
# Token types a CSMS accepts without a table entry (no card to check), as OCTT does.
UNCHECKED_TOKEN_TYPES: Final = ("NoAuthorization", "Central")


@dataclass
class StationRecord:
    """One registered station. ``boot_status`` answers its first BootNotification (TC_B_02/03_CSMS:
    "first respond Pending/Rejected"); later boots are Accepted unless ``boot_status_sticky``."""

    password: str | None = field(default=None, repr=False)
    boot_status: str = "Accepted"
    boot_status_sticky: bool = False
    heartbeat_interval: int = 300
    # interval in a Pending/Rejected BootNotificationResponse: when the station may retry.
    boot_retry_interval: int = 5


@dataclass
class TokenRecord:
    """An id token's entry in the CSMS's authorization table (IdTokenInfoType)."""

    status: str = "Accepted"
    type: str = "ISO14443"
    group_id_token: dict[str, str] | None = None  # IdTokenType: {"idToken", "type"}
    cache_expiry_date_time: str | None = None
    language1: str | None = None

    def id_token_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"status": self.status}
        if self.cache_expiry_date_time is not None:
            info["cacheExpiryDateTime"] = self.cache_expiry_date_time
        if self.group_id_token is not None:
            info["groupIdToken"] = dict(self.group_id_token)
        if self.language1 is not None:
            info["language1"] = self.language1
        return info


def default_id_tokens() -> dict[str, TokenRecord]:
    """The SUT description's default tokens (`conformance.config.Tokens`) with their expected status."""
    from conformance.config import TOKEN_STATUS, Tokens

    return _tokens_from(Tokens(), TOKEN_STATUS)


def _tokens_from(tokens: Any, statuses: dict[str, str]) -> dict[str, TokenRecord]:
    table: dict[str, TokenRecord] = {}
    for name, token in tokens.named().items():
        if name == "unknown":  # the unknown token is, by definition, not in the table
            continue
        group = token.group_id_token.as_ocpp() if token.group_id_token is not None else None
        table[token.id_token] = TokenRecord(status=statuses[name], type=token.type, group_id_token=group)
    return table


def _default_ev_certificate_response() -> dict[str, Any]:
    return {"status": "Accepted", "exiResponse": "UmVmZXJlbmNlQ1NNUw=="}


def _default_certificate_status_response() -> dict[str, Any]:
    return {"status": "Accepted", "ocspResult": "UmVmZXJlbmNlQ1NNUw=="}


@dataclass
class CsmsConfig:
    stations: dict[str, StationRecord] = field(default_factory=dict)
    accept_unknown_stations: bool = True  # profile 0/3 only: profiles 1/2 need a password entry
    id_tokens: dict[str, TokenRecord] = field(default_factory=default_id_tokens)
    security_profile: int = 0
    certfile: str | Path | None = None  # server certificate (profiles 2/3)
    keyfile: str | Path | None = None
    cafile: str | Path | None = None  # CA that signs station client certificates (profile 3)
    # A second server certificate with an RSA key, so the TLS_RSA_WITH_AES_*_GCM suites work too
    # (A00.FR.318 / TC_A_04_CSMS); optional.
    rsa_certfile: str | Path | None = None
    rsa_keyfile: str | Path | None = None
    # CA used to sign CSRs of SignCertificate; generated in memory when not given.
    signing_ca_certfile: str | Path | None = None
    signing_ca_keyfile: str | Path | None = None
    heartbeat_interval: int = 300  # for stations not in ``stations``
    response_timeout: float = 10.0  # default for operator actions
    # DataTransfer: vendorId -> DataTransferResponse payload; any other vendor gets UnknownVendorId.
    data_transfer: dict[str, dict[str, Any]] = field(default_factory=dict)
    get_15118_ev_certificate_response: dict[str, Any] = field(
        default_factory=_default_ev_certificate_response
    )
    get_certificate_status_response: dict[str, Any] = field(
        default_factory=_default_certificate_status_response
    )
    base_path: str = "/"

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.security_profile not in (0, 1, 2, 3):
            problems.append(f"security_profile: expected 0, 1, 2 or 3, got {self.security_profile!r}")
        if self.security_profile >= 2 and not (self.certfile and self.keyfile):
            problems.append("security profiles 2 and 3 need certfile and keyfile (the server certificate)")
        if self.security_profile == 3 and not self.cafile:
            problems.append("security profile 3 needs cafile (the CA of the station client certificates)")
        for sid, record in self.stations.items():
            if record.boot_status not in BOOT_STATUSES:
                problems.append(f"stations.{sid}.boot_status: expected one of {BOOT_STATUSES}")
        for token, entry in self.id_tokens.items():
            if entry.status not in AUTH_STATUSES:
                problems.append(f"id_tokens.{token}.status: expected one of {AUTH_STATUSES}")
        if problems:
            raise ConfigError("reference CSMS config: " + "; ".join(problems))

    def station(self, station_id: str) -> StationRecord | None:
        return self.stations.get(station_id)

    def token(self, id_token: str) -> TokenRecord | None:
        """Id tokens are case-insensitive (Part 3 IdTokenType)."""
        found = self.id_tokens.get(id_token)
        if found is not None:
            return found
        folded = id_token.casefold()
        return next((t for k, t in self.id_tokens.items() if k.casefold() == folded), None)

    @classmethod
    def from_description(
        cls,
        description: Any,
        *,
        station_id: str,
        password: str | None = None,
        security_profile: int = 0,
        **extra: Any,
    ) -> CsmsConfig:
        """The CSMS a SUT description (`conformance.config.SutDescription`) presumes: its station
        registered (with the Basic-auth password) and its [tokens] table."""
        from conformance.config import TOKEN_STATUS

        stations = {station_id: StationRecord(password=password)}
        return cls(
            stations=stations,
            id_tokens=_tokens_from(description.tokens, TOKEN_STATUS),
            security_profile=security_profile,
            **extra,
        )

    @classmethod
    def from_toml(cls, path: Path | str) -> CsmsConfig:
        """A standalone config (``sim csms --config``): top-level keys are CsmsConfig fields;
        ``[stations.<id>]`` and ``[id_tokens.<token>]`` tables are StationRecord / TokenRecord."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown keys {unknown}; expected some of {sorted(known)}")
        try:
            if "stations" in data:
                data["stations"] = {k: StationRecord(**v) for k, v in data["stations"].items()}
            if "id_tokens" in data:
                tokens = default_id_tokens()
                tokens.update({k: TokenRecord(**v) for k, v in data["id_tokens"].items()})
                data["id_tokens"] = tokens
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"{path}: {exc}") from None

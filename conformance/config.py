"""The SUT description: a TOML file (stdlib tomllib) -> typed, frozen dataclasses.

Every mistake is reported as `ConfigError` naming the file, the key path and what is expected
(`sut.toml: sut.security_profile: expected 0, 1, 2 or 3, got 5`); all mistakes of a file are
reported together. Unknown keys are mistakes too, with a "did you mean" hint.

Secrets never live in the file: the Basic-auth password comes from `--ocpp-password`, env
`OCPP_PASSWORD` or the env var named by `sut.password_env` (a `password` key is an error), and HTTP
driver headers reference env vars as `${VAR}`, expanded only when a request is sent.

The format is documented in docs/sut-description.md.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import re
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

from conformance.drivers.actions import ALL_ACTIONS, OPERATOR_ACTIONS, STATION_ACTIONS
from conformance.errors import ConfigError

SUT_TYPES: Final = ("charging-station", "csms")
DRIVER_TYPES: Final = ("builtin", "command", "http", "prompt")
HTTP_METHODS: Final = ("POST", "PUT", "PATCH", "GET", "DELETE")
# OCPP 2.0.1 Part 3 schemas: IdTokenEnumType and ConnectorEnumType.
ID_TOKEN_TYPES: Final = (
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
)
CONNECTOR_TYPES: Final = (
    "cCCS1",
    "cCCS2",
    "cG105",
    "cTesla",
    "cType1",
    "cType2",
    "s309-1P-16A",
    "s309-1P-32A",
    "s309-3P-16A",
    "s309-3P-32A",
    "sBS1361",
    "sCEE-7-7",
    "sType2",
    "sType3",
    "Other1PhMax16A",
    "Other1PhOver16A",
    "Other3Ph",
    "Pan",
    "wInductive",
    "wResonant",
    "Undetermined",
    "Unknown",
)

# `{name}` or `{name.field.sub}` is a parameter placeholder; `${VAR}` is left alone (an env var for
# the shell or the HTTP driver); `{{` and `}}` are literal braces; anything else in braces stays as is.
PLACEHOLDER: Final = re.compile(r"\{\{|\}\}|(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")
ENV_REFERENCE: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Names every template may use besides the action's own params (see conformance.drivers.actions).
TEMPLATE_GLOBALS: Final = frozenset({"action", "params", "station_id"})
_SENSITIVE_HEADER = re.compile(r"auth|token|key|secret|cookie|passw", re.IGNORECASE)


FIRMWARE_KEYS: Final = (
    "image",
    "location",
    "signing_certificate",
    "signature",
    "signature_file",
    "invalid_image",
    "invalid_location",
    "invalid_signing_certificate",
    "invalid_signature",
    "invalid_signature_file",
    "expired_signing_certificate",
    "install_timeout",
)


def placeholders(template: str) -> list[str]:
    """The placeholder names in `template`, in order (dotted paths kept whole)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(template) if m.group(1)]


# ------------------------------------------------------------------ the description
@dataclass(frozen=True)
class SutIdentity:
    """`[sut]`: what is under test. For a CSMS under test the identity is the harness station's."""

    type: str | None = None  # None: not stated; the run covers both roles unless told
    station_id: str = "CP001"
    security_profile: int = 0
    password_env: str | None = None  # the NAME of an env var holding the Basic-auth password
    vendor_name: str = "ocpp-conformance"
    model: str = "ReferenceStation"
    serial_number: str = "REF-0001"
    firmware_version: str = "0.1.0"


@dataclass(frozen=True)
class Connector:
    id: int = 1
    type: str = "cType2"


@dataclass(frozen=True)
class Evse:
    id: int = 1
    connectors: tuple[Connector, ...] = (Connector(),)


@dataclass(frozen=True)
class IdToken:
    id_token: str
    type: str = "ISO14443"
    group_id_token: IdToken | None = None

    def as_ocpp(self) -> dict[str, str]:
        """The OCPP IdTokenType payload."""
        return {"idToken": self.id_token, "type": self.type}


# Which AuthorizationStatusEnumType the harness CSMS answers for each configured token.
TOKEN_STATUS: Final = {
    "valid": "Accepted",
    "invalid": "Invalid",
    "blocked": "Blocked",
    "expired": "Expired",
    "unknown": "Unknown",
    "group": "Accepted",
    "master_pass": "Accepted",
    "valid2": "Accepted",
}


@dataclass(frozen=True)
class Tokens:
    """`[tokens]`: the id tokens Part 6 cases present, and what the harness CSMS answers for them."""

    valid: IdToken = IdToken("04A1B2C3D4E501")
    invalid: IdToken = IdToken("04A1B2C3D4E502")
    blocked: IdToken = IdToken("04A1B2C3D4E503")
    expired: IdToken = IdToken("04A1B2C3D4E504")
    unknown: IdToken = IdToken("04A1B2C3D4E505")
    group: IdToken = IdToken("04A1B2C3D4E506", group_id_token=IdToken("GROUP-0001", "Central"))
    master_pass: IdToken = IdToken("04A1B2C3D4E507", group_id_token=IdToken("MASTERPASS-0001", "Central"))
    # OCTT's valid_idtoken2: a second valid token, in the same GroupId as `group` (TC_C_39_CSMS) and
    # the token of the second EVSE's transaction (TC_C_47/49_CSMS).
    valid2: IdToken = IdToken("04A1B2C3D4E508", group_id_token=IdToken("GROUP-0001", "Central"))

    def named(self) -> dict[str, IdToken]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def find(self, id_token: Mapping[str, Any] | str) -> tuple[str, IdToken] | None:
        """The configured token matching an OCPP IdTokenType (or a bare id): value and type first,
        then value alone (id tokens are case-insensitive, Part 3 IdTokenType)."""
        value = id_token if isinstance(id_token, str) else str(id_token.get("idToken", ""))
        kind = None if isinstance(id_token, str) else id_token.get("type")
        candidates = [(n, t) for n, t in self.named().items() if t.id_token.casefold() == value.casefold()]
        for name, token in candidates:
            if token.type == kind:
                return name, token
        return candidates[0] if candidates else None

    def status_for(self, id_token: Mapping[str, Any] | str) -> str:
        """AuthorizationStatusEnumType for a token the station sends: per the table above;
        NoAuthorization and Central tokens are Accepted; any other token is Unknown, as in OCTT."""
        found = self.find(id_token)
        if found is not None:
            return TOKEN_STATUS[found[0]]
        kind = None if isinstance(id_token, str) else id_token.get("type")
        return "Accepted" if kind in ("NoAuthorization", "Central") else "Unknown"

    def id_token_info(self, id_token: Mapping[str, Any] | str) -> dict[str, Any]:
        """An IdTokenInfoType for the token: its status, and its group id token if it has one."""
        info: dict[str, Any] = {"status": self.status_for(id_token)}
        found = self.find(id_token)
        if found is not None and found[1].group_id_token is not None:
            info["groupIdToken"] = found[1].group_id_token.as_ocpp()
        return info


@dataclass(frozen=True)
class DeviceModel:
    """`[device_model] values`: "Component.Variable" -> the value the SUT is configured with."""

    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, component: str, variable: str, default: str | None = None) -> str | None:
        return self.values.get(f"{component}.{variable}", default)


@dataclass(frozen=True)
class Timeouts:
    """`[timeouts]`, seconds."""

    default: float = 10.0  # any one SUT response or message
    connect: float = 30.0  # a (re)connection, e.g. after a reset
    timestamp_tolerance: float = 4.0  # clock skew accepted in timestamps (as OCTT labs use)
    no_message: float = 3.0  # windows in which the SUT must stay silent
    # The names the description set itself (the built-in SUTs get tighter defaults for the others).
    explicit: frozenset[str] = field(default=frozenset(), compare=False, repr=False)


@dataclass(frozen=True)
class TlsFiles:
    """`[tls]`: PEM files, resolved against the TOML file's directory."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None


@dataclass(frozen=True)
class FirmwareConfig:
    """`[firmware]`: Part 6's configured firmware values for block L (TC_L_*_CS), named after them.

    Absent (`present` false), the harness generates its own signing certificate and images, which only
    the built-in reference station accepts. Files resolve against the TOML file's directory; PEM
    certificates and signatures are kept as text (they go into UpdateFirmwareRequest as such)."""

    present: bool = False  # the description has a [firmware] table
    image: Path | None = None  # <Configured firmware_location>: a file the harness serves over HTTP
    location: str | None = None  # ... or a URL the station downloads from (a server the lab runs)
    signing_certificate: str | None = None  # <Configured signingCertificate> (PEM)
    signature: str | None = None  # <Configured signature> (base64)
    invalid_image: Path | None = None  # <Configured invalid firmware location> (TC_L_08_CS), served
    invalid_location: str | None = None  # ... or a URL
    invalid_signing_certificate: str | None = None  # <Configured invalid firmware signingCertificate>
    invalid_signature: str | None = None  # <Configured invalid firmware signature> (TC_L_06/08_CS)
    expired_signing_certificate: str | None = None  # <Generated invalid firmware signingCertificate>
    install_timeout: float | None = None  # seconds the station may take for each firmware step


@dataclass(frozen=True)
class CommandDriverConfig:
    """`[driver.command]`: one shell command template per action."""

    actions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float = 30.0
    cwd: Path | None = None


@dataclass(frozen=True)
class HttpAction:
    """One REST call: `path` and string leaves of `body` are templates."""

    method: str = "POST"
    path: str = "/actions/{action}"
    body: Any = "{params}"  # a JSON value; a string that is exactly "{name}" becomes that value


@dataclass(frozen=True)
class HttpDriverConfig:
    """`[driver.http]`: REST calls to the SUT's (or a lab controller's) API."""

    base_url: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float = 10.0
    actions: Mapping[str, HttpAction] = field(default_factory=lambda: MappingProxyType({}))
    default: HttpAction | None = None  # used for any vocabulary action not listed in `actions`


@dataclass(frozen=True)
class PromptDriverConfig:
    """`[driver.prompt]`: a person performs the actions; optional instruction text per action."""

    timeout: float = 600.0
    instructions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DriverConfig:
    type: str = "builtin"
    command: CommandDriverConfig = CommandDriverConfig()
    http: HttpDriverConfig = HttpDriverConfig()
    prompt: PromptDriverConfig = PromptDriverConfig()


@dataclass(frozen=True)
class SutDescription:
    sut: SutIdentity = SutIdentity()
    evses: tuple[Evse, ...] = (Evse(),)
    tokens: Tokens = Tokens()
    features: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    device_model: DeviceModel = DeviceModel()
    timeouts: Timeouts = Timeouts()
    tls: TlsFiles = TlsFiles()
    driver: DriverConfig = DriverConfig()
    firmware: FirmwareConfig = FirmwareConfig()
    source: Path | None = None
    warnings: tuple[str, ...] = ()
    # Not read from the file: the run settings set it when the SUT is the built-in reference, so a case can
    # use material only the reference trusts (the harness's own firmware signing root) and otherwise skip.
    builtin_sut: bool = False

    def connectors(self) -> list[tuple[int, int]]:
        """(evseId, connectorId) of every connector."""
        return [(evse.id, connector.id) for evse in self.evses for connector in evse.connectors]

    def redacted(self) -> dict[str, Any]:
        """A plain dict for printing: no secret values (env var names only, header values of
        credential-like headers hidden unless they only reference env vars, URL user info hidden)."""
        data = _plain(self)
        assert isinstance(data, dict)
        http = data["driver"]["http"]
        http["headers"] = {
            name: _redact_header(name, value) for name, value in self.driver.http.headers.items()
        }
        if self.driver.http.base_url:
            http["base_url"] = redact_url(self.driver.http.base_url)
        return data


def redact_url(url: str) -> str:
    """`url` without the password of any user info."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _redact_header(name: str, value: str) -> str:
    if _SENSITIVE_HEADER.search(name) and not ENV_REFERENCE.search(value):
        return "(hidden)"
    return value


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, Path):
        return str(value)
    return value


# ------------------------------------------------------------------ loading
def load_sut_description(path: Path | str | None) -> SutDescription:
    """Read and check a SUT description; None gives the defaults (the built-in reference SUTs)."""
    if path is None:
        return SutDescription()
    path = Path(path).expanduser()
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "file not found"
        raise ConfigError(f"{path}: SUT description {what}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the SUT description: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_sut_description(data, source=path)


def parse_sut_description(
    data: Mapping[str, Any], *, source: Path | str | None = None, base_dir: Path | None = None
) -> SutDescription:
    """Check an already parsed TOML document; relative paths resolve against `base_dir`, else
    against the source file's directory, else the working directory."""
    source_path = Path(source) if source is not None else None
    if base_dir is None:
        base_dir = source_path.parent if source_path is not None else Path.cwd()
    reader = _Reader(str(source_path) if source_path is not None else "<sut description>", base_dir)
    description = reader.description(data)
    if reader.problems:
        count = len(reader.problems)
        if count == 1:
            raise ConfigError(reader.problems[0])
        raise ConfigError(f"{reader.source}: {count} mistakes:\n  " + "\n  ".join(reader.problems))
    for text in reader.warnings:
        warnings.warn(text, UserWarning, stacklevel=2)
    return replace(description, source=source_path, warnings=tuple(reader.warnings))


T = TypeVar("T")


def _toml_type(value: Any) -> str:
    """How a wrong value is shown: its TOML type, and the value itself when it is short."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 60 else shown[:56] + '..."'
    return str(value)  # numbers, dates: as written


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Reader:
    """Walks the document, collecting every mistake (each with its key path) instead of stopping."""

    def __init__(self, source: str, base_dir: Path) -> None:
        self.source = source
        self.base_dir = base_dir
        self.problems: list[str] = []
        self.warnings: list[str] = []

    # ---------------------------------------------------------- primitives
    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.source}: {path}: {message}")

    def wrong(self, path: str, expected: str, value: Any, choices: Iterable[str] = ()) -> None:
        hint = _hint(value, choices) if isinstance(value, str) else ""
        self.problem(path, f"expected {expected}, got {_toml_type(value)}{hint}")

    def table(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            self.problem(_join(path, key), f"expected a table, got {_toml_type(value)}")
            return {}
        return value

    def known(self, table: Mapping[str, Any], path: str, allowed: Iterable[str], what: str = "key") -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                self.problem(_join(path, key), f"unknown {what}{_hint(key, allowed)}")

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        default: T,
        check: Callable[[Any], str | None],
        convert: Callable[[Any], T] | None = None,
        hints: Iterable[str] = (),
    ) -> T:
        """`check` returns what was expected (for the message) when the value is wrong, else None;
        `hints` are the valid values a misspelt one is compared with."""
        if key not in table:
            return default
        value = table[key]
        expected = check(value)
        if expected is not None:
            self.wrong(_join(path, key), expected, value, hints)
            return default
        return convert(value) if convert else value  # type: ignore[no-any-return]

    def string(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        default: T,
        *,
        max_length: int | None = None,
        choices: Iterable[str] | None = None,
    ) -> str | T:
        options = tuple(choices) if choices is not None else None

        def check(value: Any) -> str | None:
            if not isinstance(value, str):
                return "a string"
            if options is not None and value not in options:
                return _one_of(options)
            if max_length is not None and not 0 < len(value) <= max_length:
                return f"a string of 1 to {max_length} characters"
            if not value:
                return "a non-empty string"
            return None

        return self.get(table, key, path, default, check, hints=options or ())

    def number(self, table: Mapping[str, Any], key: str, path: str, default: float) -> float:
        def check(value: Any) -> str | None:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
            return None if ok else "a positive number of seconds"

        return self.get(table, key, path, default, check, float)

    def integer(
        self, table: Mapping[str, Any], key: str, path: str, default: int, *, minimum: int = 1
    ) -> int:
        def check(value: Any) -> str | None:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
            return None if ok else f"an integer >= {minimum}"

        return self.get(table, key, path, default, check)

    def file(self, table: Mapping[str, Any], key: str, path: str) -> Path | None:
        raw = self.string(table, key, path, None)
        if raw is None:
            return None
        resolved = (self.base_dir / Path(raw).expanduser()).resolve()
        if not resolved.is_file():
            self.problem(_join(path, key), f"file not found: {resolved}")
            return None
        return resolved

    # ---------------------------------------------------------- sections
    def description(self, data: Mapping[str, Any]) -> SutDescription:
        self.known(
            data,
            "",
            ("sut", "evse", "tokens", "features", "device_model", "timeouts", "tls", "driver", "firmware"),
            "section",
        )
        sut = self.sut(self.table(data, "sut", ""))
        return SutDescription(
            sut=sut,
            evses=self.evses(data.get("evse")),
            tokens=self.tokens(self.table(data, "tokens", "")),
            features=self.features(self.table(data, "features", "")),
            device_model=self.device_model(self.table(data, "device_model", "")),
            timeouts=self.timeouts(self.table(data, "timeouts", "")),
            tls=self.tls(self.table(data, "tls", "")),
            driver=self.driver(self.table(data, "driver", "")),
            firmware=self.firmware(data["firmware"]) if "firmware" in data else FirmwareConfig(),
        )

    def sut(self, t: Mapping[str, Any]) -> SutIdentity:
        p = "sut"
        if "password" in t:
            self.problem(
                "sut.password",
                "a password may not be written in the file: put it in an env var and"
                " name that with sut.password_env, or use --ocpp-password / env OCPP_PASSWORD",
            )
        self.known({k: v for k, v in t.items() if k != "password"}, p, (f.name for f in fields(SutIdentity)))
        d = SutIdentity()
        profile = self.get(
            t,
            "security_profile",
            p,
            d.security_profile,
            lambda v: None if type(v) is int and v in (0, 1, 2, 3) else "0, 1, 2 or 3",
        )
        station_id = self.get(t, "station_id", p, d.station_id, _station_id_problem)
        password_env = self.get(
            t,
            "password_env",
            p,
            d.password_env,
            lambda v: (
                None
                if isinstance(v, str) and re.fullmatch(r"[A-Za-z_]\w*", v)
                else 'the name of an environment variable (e.g. "LAB_CS_PASSWORD")'
            ),
        )
        return SutIdentity(
            type=self.string(t, "type", p, d.type, choices=SUT_TYPES),
            station_id=station_id,
            security_profile=profile,
            password_env=password_env,
            # Limits: BootNotificationRequest ChargingStationType (Part 3 schema).
            vendor_name=self.string(t, "vendor_name", p, d.vendor_name, max_length=50),
            model=self.string(t, "model", p, d.model, max_length=20),
            serial_number=self.string(t, "serial_number", p, d.serial_number, max_length=25),
            firmware_version=self.string(t, "firmware_version", p, d.firmware_version, max_length=50),
        )

    def evses(self, raw: Any) -> tuple[Evse, ...]:
        if raw is None:
            return SutDescription().evses
        if not isinstance(raw, list) or not raw or not all(isinstance(e, dict) for e in raw):
            self.problem("evse", "expected one or more [[evse]] tables")
            return SutDescription().evses
        evses = []
        for index, table in enumerate(raw):
            p = f"evse[{index}]"
            self.known(table, p, ("id", "connector"))
            # EVSE and connector ids are numbered 1, 2, ... without gaps (OCPP 2.0.1 Part 1 topology).
            evse_id = self.sequential(table, p, index)
            connectors: list[Connector] = []
            raw_connectors = table.get("connector", [{}])
            if (
                not isinstance(raw_connectors, list)
                or not raw_connectors
                or not all(isinstance(c, dict) for c in raw_connectors)
            ):
                self.problem(f"{p}.connector", "expected one or more [[evse.connector]] tables")
                raw_connectors = [{}]
            for c_index, c_table in enumerate(raw_connectors):
                cp = f"{p}.connector[{c_index}]"
                self.known(c_table, cp, ("id", "type"))
                connectors.append(
                    Connector(
                        self.sequential(c_table, cp, c_index),
                        self.string(c_table, "type", cp, "cType2", choices=CONNECTOR_TYPES),
                    )
                )
            evses.append(Evse(evse_id, tuple(connectors)))
        return tuple(evses)

    def sequential(self, table: Mapping[str, Any], path: str, index: int) -> int:
        value = self.integer(table, "id", path, index + 1)
        if value != index + 1:
            self.problem(
                f"{path}.id", f"expected {index + 1} (ids are numbered 1, 2, ... in order), got {value}"
            )
        return index + 1

    def id_token(
        self, raw: Any, path: str, default: IdToken | None, *, nested: bool = False
    ) -> IdToken | None:
        if isinstance(raw, str):
            raw = {"id_token": raw}
        if not isinstance(raw, dict):
            self.problem(
                path, f'expected a table {{ id_token = "...", type = "ISO14443" }}, got {_toml_type(raw)}'
            )
            return default
        self.known(raw, path, ("id_token", "type") if nested else ("id_token", "type", "group_id_token"))
        if "id_token" not in raw:
            self.problem(
                f"{path}.id_token", "missing: the token's value (IdTokenType.idToken, up to 36 characters)"
            )
            return default
        value = self.string(raw, "id_token", path, "", max_length=36)
        kind = self.string(raw, "type", path, "ISO14443", choices=ID_TOKEN_TYPES)
        # A role keeps its default group id token (group, master_pass) unless one is given.
        group = default.group_id_token if default is not None else None
        if "group_id_token" in raw and not nested:
            group = self.id_token(raw["group_id_token"], f"{path}.group_id_token", None, nested=True)
        return IdToken(value, kind, group)

    def tokens(self, t: Mapping[str, Any]) -> Tokens:
        defaults = Tokens().named()
        self.known(t, "tokens", defaults)
        chosen = {
            name: self.id_token(t[name], f"tokens.{name}", token) if name in t else token
            for name, token in defaults.items()
        }
        seen: dict[tuple[str, str], str] = {}
        for name, token in chosen.items():
            assert token is not None
            key = (token.id_token.casefold(), token.type)
            if key in seen:
                self.problem(
                    f"tokens.{name}", f"same id token as tokens.{seen[key]}: each role needs its own token"
                )
            seen[key] = name
        return Tokens(**chosen)  # type: ignore[arg-type]

    def features(self, t: Mapping[str, Any]) -> Mapping[str, bool]:
        result: dict[str, bool] = {}
        claimed = t.get("claimed", [])
        if not isinstance(claimed, list) or not all(isinstance(f, str) and f for f in claimed):
            self.problem(
                "features.claimed",
                f'expected an array of feature ids (e.g. ["C-01"]), got {_toml_type(claimed)}',
            )
            claimed = []
        for feature in claimed:
            result[feature] = True
        for key, value in t.items():
            if key == "claimed":
                continue
            if not isinstance(value, bool):
                self.problem(f"features.{key}", f"expected true or false, got {_toml_type(value)}")
            elif key in result and result[key] != value:
                self.problem(f"features.{key}", "is false but also listed in features.claimed")
            else:
                result[key] = value
        return MappingProxyType(result)

    def device_model(self, t: Mapping[str, Any]) -> DeviceModel:
        self.known(t, "device_model", ("values",))
        raw = t.get("values", {})
        if not isinstance(raw, dict):
            self.problem("device_model.values", f"expected a table, got {_toml_type(raw)}")
            return DeviceModel()
        values: dict[str, str] = {}
        for key, value in _flatten(raw):
            p = f'device_model.values."{key}"'
            if not re.fullmatch(r"[^.\s]+\.[^.\s]+(\.[^.\s]+)?", key):
                self.problem(p, 'expected a key "Component.Variable" (or "Component.Variable.Instance")')
            elif isinstance(value, bool):
                values[key] = "true" if value else "false"
            elif isinstance(value, str | int | float):
                values[key] = str(value)
            else:
                self.problem(p, f"expected a string, number or boolean, got {_toml_type(value)}")
        return DeviceModel(MappingProxyType(values))

    def timeouts(self, t: Mapping[str, Any]) -> Timeouts:
        d = Timeouts()
        names = [f.name for f in fields(Timeouts) if f.name != "explicit"]
        self.known(t, "timeouts", names)
        return Timeouts(
            **{name: self.number(t, name, "timeouts", getattr(d, name)) for name in names},
            explicit=frozenset(name for name in names if name in t),
        )

    def tls(self, t: Mapping[str, Any]) -> TlsFiles:
        self.known(t, "tls", ("ca", "cert", "key"))
        files = TlsFiles(
            ca=self.file(t, "ca", "tls"), cert=self.file(t, "cert", "tls"), key=self.file(t, "key", "tls")
        )
        if ("cert" in t) != ("key" in t):
            missing = "key" if "cert" in t else "cert"
            self.problem(f"tls.{missing}", "required with tls.cert / tls.key: give both or neither")
        return files

    def firmware(self, raw: Any) -> FirmwareConfig:
        p = "firmware"
        if not isinstance(raw, dict):
            self.problem(p, f"expected a table, got {_toml_type(raw)}")
            return FirmwareConfig()
        t: Mapping[str, Any] = raw
        self.known(t, p, FIRMWARE_KEYS)
        for first, second in (
            ("image", "location"),
            ("invalid_image", "invalid_location"),
            ("signature", "signature_file"),
            ("invalid_signature", "invalid_signature_file"),
        ):
            if first in t and second in t:
                self.problem(f"{p}.{second}", f"give firmware.{first} or firmware.{second}, not both")
        install_timeout = self.number(t, "install_timeout", p, 0.0) if "install_timeout" in t else None
        return FirmwareConfig(
            present=True,
            image=self.file(t, "image", p),
            location=self.url(t, "location", p),
            signing_certificate=self.certificate(t, "signing_certificate", p),
            signature=self.signature(t, "signature", p),
            invalid_image=self.file(t, "invalid_image", p),
            invalid_location=self.url(t, "invalid_location", p),
            invalid_signing_certificate=self.certificate(t, "invalid_signing_certificate", p),
            invalid_signature=self.signature(t, "invalid_signature", p),
            expired_signing_certificate=self.certificate(t, "expired_signing_certificate", p),
            install_timeout=install_timeout,
        )

    def url(self, t: Mapping[str, Any], key: str, path: str) -> str | None:
        # FirmwareType.location: a URI of at most 512 characters (Part 3 schema); TC_L_07_CS appends
        # "_does_not_exist" to it, which must still fit.
        limit = 512 - len("_does_not_exist")
        return self.get(
            t,
            key,
            path,
            None,
            lambda v: (
                None
                if isinstance(v, str)
                and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/]+\S*", v)
                and len(v) <= limit
                else f"a URL (e.g. https://files.example/fw.bin) of at most {limit} characters"
            ),
        )

    def certificate(self, t: Mapping[str, Any], key: str, path: str) -> str | None:
        """A PEM file holding one X.509 certificate (FirmwareType.signingCertificate, <= 5500 chars)."""
        file = self.file(t, key, path)
        if file is None:
            return None
        text = _read_text(file)
        if (
            text is None
            or "-----BEGIN CERTIFICATE-----" not in text
            or "-----END CERTIFICATE-----" not in text
        ):
            self.problem(_join(path, key), f"expected a PEM certificate file, got {file}")
            return None
        if len(text) > 5500:
            self.problem(_join(path, key), f"{file}: {len(text)} characters; signingCertificate allows 5500")
            return None
        return text

    def signature(self, t: Mapping[str, Any], key: str, path: str) -> str | None:
        """`key` (base64 text) or `key_file` (base64 text, or the raw signature bytes):
        FirmwareType.signature, base64 of at most 800 characters."""
        where = _join(path, key)
        if f"{key}_file" in t:
            file = self.file(t, f"{key}_file", path)
            if file is None:
                return None
            data = file.read_bytes()
            text = _base64_text(data)
            value = text if text is not None else base64.b64encode(data).decode()
            where = _join(path, f"{key}_file")
        else:
            written = self.string(t, key, path, None)
            if written is None:
                return None
            value = "".join(written.split())
            if _base64_text(value.encode()) is None:
                self.problem(where, "expected base64 text (the firmware signature)")
                return None
        if len(value) > 800:
            self.problem(where, f"{len(value)} base64 characters; FirmwareType.signature allows 800")
            return None
        return value

    def driver(self, t: Mapping[str, Any]) -> DriverConfig:
        self.known(t, "driver", ("type", "command", "http", "prompt"))
        kind = self.string(t, "type", "driver", "builtin", choices=DRIVER_TYPES)
        command = self.command(self.table(t, "command", "driver"))
        http = self.http(self.table(t, "http", "driver"))
        prompt = self.prompt(self.table(t, "prompt", "driver"))
        if kind == "command" and not command.actions:
            self.problem("driver.command.actions", 'driver.type is "command" but no action has a command')
        if kind == "http" and not http.base_url:
            self.problem("driver.http.base_url", 'required when driver.type is "http"')
        if kind == "http" and not http.actions and http.default is None:
            self.problem(
                "driver.http.actions",
                'driver.type is "http" but no action is mapped'
                " (add [driver.http.actions.<Action>] tables or [driver.http.default])",
            )
        return DriverConfig(type=kind, command=command, http=http, prompt=prompt)

    def action_templates(self, t: Mapping[str, Any], path: str) -> dict[str, str]:
        result: dict[str, str] = {}
        for action, template in t.items():
            p = f"{path}.{action}"
            if action not in ALL_ACTIONS:
                self.problem(p, "unknown action" + _hint(action, ALL_ACTIONS))
            elif not isinstance(template, str) or not template.strip():
                self.problem(p, f"expected a command template (string), got {_toml_type(template)}")
            else:
                self.template(action, template, p)
                result[action] = template
        return result

    def template(self, action: str, template: str, path: str) -> None:
        """Placeholder roots must be the action's params or a global (typos caught at load time)."""
        spec = STATION_ACTIONS.get(action) or OPERATOR_ACTIONS.get(action)
        allowed = set(TEMPLATE_GLOBALS) | set(spec.params if spec else ())
        for name in placeholders(template):
            root = name.split(".")[0]
            if root not in allowed and action in ALL_ACTIONS:
                self.problem(
                    path,
                    f"unknown placeholder {{{name}}}{_hint(root, allowed)};"
                    f" {action} offers {', '.join('{' + a + '}' for a in sorted(allowed))}",
                )

    def command(self, t: Mapping[str, Any]) -> CommandDriverConfig:
        p = "driver.command"
        self.known(t, p, ("actions", "timeout", "cwd"))
        cwd = None
        raw_cwd = self.string(t, "cwd", p, None)
        if raw_cwd is not None:
            cwd = (self.base_dir / Path(raw_cwd).expanduser()).resolve()
            if not cwd.is_dir():
                self.problem(f"{p}.cwd", f"directory not found: {cwd}")
        return CommandDriverConfig(
            actions=MappingProxyType(self.action_templates(self.table(t, "actions", p), f"{p}.actions")),
            timeout=self.number(t, "timeout", p, CommandDriverConfig.timeout),
            cwd=cwd,
        )

    def http_action(self, action: str, raw: Any, path: str) -> HttpAction | None:
        if isinstance(raw, str):  # shorthand: just the path
            raw = {"path": raw}
        if not isinstance(raw, dict):
            self.problem(path, f"expected a table {{ method, path, body }}, got {_toml_type(raw)}")
            return None
        self.known(raw, path, ("method", "path", "body"))
        d = HttpAction()
        method = self.string(raw, "method", path, d.method, choices=HTTP_METHODS)
        route = self.string(raw, "path", path, d.path)
        if not route.startswith("/"):
            self.problem(f"{path}.path", f"expected a path starting with '/', got {route!r}")
        body = raw.get("body", d.body)
        for text in [route, *_strings(body)]:
            self.template(action, text, path)
        return HttpAction(method, route, body)

    def http(self, t: Mapping[str, Any]) -> HttpDriverConfig:
        p = "driver.http"
        self.known(t, p, ("base_url", "headers", "timeout", "actions", "default"))
        base_url = self.get(
            t,
            "base_url",
            p,
            None,
            lambda v: (
                None
                if isinstance(v, str) and re.match(r"https?://[^/]|\$\{", v)
                else "an http:// or https:// URL (or one starting with ${VAR})"
            ),
        )
        headers: dict[str, str] = {}
        for name, value in self.table(t, "headers", p).items():
            if not isinstance(value, str):
                self.problem(f"{p}.headers.{name}", f"expected a string, got {_toml_type(value)}")
                continue
            headers[name] = value
            if _SENSITIVE_HEADER.search(name) and not ENV_REFERENCE.search(value):
                self.warnings.append(
                    f"{self.source}: {p}.headers.{name}: looks like a credential written in"
                    f' clear; reference an env var instead, e.g. "Bearer ${{API_TOKEN}}"'
                )
        actions: dict[str, HttpAction] = {}
        for action, raw in self.table(t, "actions", p).items():
            if action not in ALL_ACTIONS:
                self.problem(f"{p}.actions.{action}", "unknown action" + _hint(action, ALL_ACTIONS))
                continue
            parsed = self.http_action(action, raw, f"{p}.actions.{action}")
            if parsed is not None:
                actions[action] = parsed
        default = self.http_action("", t["default"], f"{p}.default") if "default" in t else None
        return HttpDriverConfig(
            base_url=base_url,
            headers=MappingProxyType(headers),
            timeout=self.number(t, "timeout", p, HttpDriverConfig.timeout),
            actions=MappingProxyType(actions),
            default=default,
        )

    def prompt(self, t: Mapping[str, Any]) -> PromptDriverConfig:
        p = "driver.prompt"
        self.known(t, p, ("timeout", "instructions"))
        instructions = {}
        for action, text in self.table(t, "instructions", p).items():
            if action not in ALL_ACTIONS:
                self.problem(f"{p}.instructions.{action}", "unknown action" + _hint(action, ALL_ACTIONS))
            elif not isinstance(text, str):
                self.problem(f"{p}.instructions.{action}", f"expected a string, got {_toml_type(text)}")
            else:
                self.template(action, text, f"{p}.instructions.{action}")
                instructions[action] = text
        return PromptDriverConfig(
            timeout=self.number(t, "timeout", p, PromptDriverConfig.timeout),
            instructions=MappingProxyType(instructions),
        )


def _one_of(options: tuple[str, ...]) -> str:
    quoted = [f'"{o}"' for o in options]
    if len(quoted) > 8:  # long enums: a few, and the count
        return f"one of {len(quoted)} values ({', '.join(quoted[:6])}, ...)"
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _station_id_problem(value: Any) -> str | None:
    # The identity is the last URL path segment and the Basic-auth user name (Part 4): max 48
    # characters, none of which may be '/', ':', whitespace or URL-reserved.
    ok = isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9\-._~*+=@!$&'()]{1,48}", value)
    return None if ok else "1 to 48 characters of letters, digits and -._~*+=@!$&'() (no '/', ':' or spaces)"


def _read_text(file: Path) -> str | None:
    try:
        return file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None


def _base64_text(data: bytes) -> str | None:
    """`data` as base64 text (whitespace dropped) if it is valid base64, else None."""
    try:
        text = "".join(data.decode("ascii").split())
        base64.b64decode(text, validate=True)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        return None
    return text or None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Dotted TOML keys written bare (`OCPPCommCtrlr.HeartbeatInterval = 60`) nest; flatten them back."""
    items: list[tuple[str, Any]] = []
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            items.extend(_flatten(value, name))
        else:
            items.append((name, value))
    return items


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []

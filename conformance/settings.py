"""Effective run settings: command-line options over the SUT description over defaults.

No pytest here: the plugin hands in a plain mapping of option values.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from conformance.config import SutDescription, Timeouts, load_sut_description
from conformance.errors import ConfigError

SUT_TYPES = ("charging-station", "csms")


@dataclass(frozen=True)
class RunSettings:
    sut_types: tuple[str, ...]
    builtin: bool
    listen_host: str
    listen_port: int
    csms_url: str | None
    station_id: str
    security_profile: int
    password: str | None = field(repr=False)
    ca: Path | None
    cert: Path | None
    key: Path | None
    timeout: float
    case_timeout: float
    profiles: tuple[str, ...]
    mutant: str | None
    description: SutDescription
    description_path: Path | None

    def features_for(self, sut_type: str) -> Mapping[str, bool]:
        """The conformance-statement features the SUT of this type claims: the SUT description's, or,
        for a built-in SUT described by nobody, what the reference SUT implements."""
        if self.description.features or not self.builtin:
            return self.description.features
        return builtin_features(sut_type)

    @property
    def password_display(self) -> str:
        return "(set, hidden)" if self.password else "(none)"

    def header_lines(self) -> list[str]:
        target = "built-in reference SUT" if self.builtin else "external SUT"
        lines = [
            f"ocpp-conformance: SUT {', '.join(self.sut_types)} ({target}); station id {self.station_id};"
            f" security profile {self.security_profile}; password {self.password_display}",
            f"ocpp-conformance: timeout {self.timeout:g} s; case timeout {self.case_timeout:g} s;"
            f" profiles {', '.join(self.profiles) or 'all'}"
            + (f"; mutant {self.mutant}" if self.mutant else ""),
        ]
        if "charging-station" in self.sut_types and not self.builtin:
            lines.append(f"ocpp-conformance: harness CSMS listens on {self.listen_host}:{self.listen_port}")
        if self.csms_url:
            lines.append(f"ocpp-conformance: CSMS under test at {self.csms_url}")
        if self.description_path:
            lines.append(f"ocpp-conformance: SUT description {self.description_path}")
        return lines


def builtin_features(sut_type: str) -> Mapping[str, bool]:
    import tomllib

    from conformance.resources import data_dir

    with (data_dir() / "builtin-features.toml").open("rb") as handle:
        table = tomllib.load(handle)
    return {str(k): bool(v) for k, v in table.get(sut_type, {}).items()}


def _split_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"--ocpp-listen: expected HOST:PORT (e.g. 0.0.0.0:9000), got {value!r}")
    number = int(port)
    if not 0 <= number <= 65535:
        raise ConfigError(f"--ocpp-listen: port {number} is out of range 0-65535")
    return host, number


def _path(value: Any, option: str) -> Path | None:
    if value in (None, ""):
        return None
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise ConfigError(f"{option}: file not found: {path}")
    return path


def resolve_settings(options: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> RunSettings:
    """Turn option values (None where not given) into effective settings, with clear errors."""
    env = os.environ if environ is None else environ
    description_path = Path(options["config"]).expanduser() if options.get("config") else None
    description = load_sut_description(description_path)
    sut = description.sut

    sut_option = options.get("sut")
    csms_url = options.get("csms_url")
    listen = options.get("listen")
    if sut_option:
        if sut_option not in SUT_TYPES:
            raise ConfigError(f"--ocpp-sut: expected one of {', '.join(SUT_TYPES)}, got {sut_option!r}")
        sut_types: tuple[str, ...] = (sut_option,)
    elif csms_url:
        sut_types = ("csms",)
    elif listen:
        sut_types = ("charging-station",)
    elif description_path is not None and sut.type:
        sut_types = (sut.type,)
    else:
        sut_types = SUT_TYPES

    external = bool(csms_url or listen)
    builtin = bool(options.get("builtin")) or not external
    if "csms" in sut_types and not builtin and not csms_url:
        raise ConfigError("a CSMS under test needs --ocpp-csms-url ws://HOST:PORT/PATH (or --ocpp-builtin)")

    host, port = _split_listen(listen) if listen else ("127.0.0.1", 0)
    profile_value = options.get("security_profile")
    security_profile = int(profile_value) if profile_value not in (None, "") else sut.security_profile
    if security_profile not in (0, 1, 2, 3):
        raise ConfigError(f"--ocpp-security-profile: expected 0, 1, 2 or 3, got {security_profile}")
    password = (
        options.get("password") or env.get("OCPP_PASSWORD") or _password_from_description(description, env)
    )
    if security_profile in (1, 2) and not password and not builtin:
        raise ConfigError(
            f"security profile {security_profile} needs a Basic-auth password:"
            " --ocpp-password or OCPP_PASSWORD"
        )
    if builtin:
        description = dataclasses.replace(
            description, timeouts=builtin_timeouts(description.timeouts), builtin_sut=True
        )
    timeout = float(options.get("timeout") or description.timeouts.default)
    if timeout <= 0:
        raise ConfigError(f"--ocpp-timeout: must be positive, got {timeout:g}")
    return RunSettings(
        sut_types=sut_types,
        builtin=builtin,
        listen_host=host,
        listen_port=port,
        csms_url=csms_url,
        station_id=options.get("station_id") or sut.station_id,
        security_profile=security_profile,
        password=password or None,
        ca=_path(options.get("ca"), "--ocpp-ca") or description.tls.ca,
        cert=_path(options.get("cert"), "--ocpp-cert") or description.tls.cert,
        key=_path(options.get("key"), "--ocpp-key") or description.tls.key,
        timeout=timeout,
        case_timeout=float(options.get("case_timeout") or 120.0),
        profiles=tuple(options.get("profiles") or ()),
        mutant=options.get("mutant") or None,
        description=description,
        description_path=description_path,
    )


# The built-in SUTs answer within milliseconds on 127.0.0.1: a 3 s response timeout, a silence window of
# 1 s and 2 s of timestamp tolerance prove the same rules as a lab's 10 s, 3 s and 4 s, and keep the run
# (and the meta-test, which uses 2 s) fast. A description's own [timeouts] values and --ocpp-timeout win;
# an external SUT keeps the lab defaults.
BUILTIN_TIMEOUTS: Final[Mapping[str, float]] = MappingProxyType(
    {"default": 3.0, "no_message": 1.0, "timestamp_tolerance": 2.0}
)


def builtin_timeouts(timeouts: Timeouts) -> Timeouts:
    """The description's timeouts, with the built-in defaults for those it did not set itself."""
    tighter: dict[str, Any] = {k: v for k, v in BUILTIN_TIMEOUTS.items() if k not in timeouts.explicit}
    return dataclasses.replace(timeouts, **tighter)


def _password_from_description(description: SutDescription, env: Mapping[str, str]) -> str | None:
    name = getattr(description.sut, "password_env", None)
    return env.get(name) if name else None

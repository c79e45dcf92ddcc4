"""What a reference station is: identity, EVSEs, device-model overrides, security, timings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EvseConfig:
    """One EVSE; ``connectors`` lists each connector's ConnectorType (cType2, cCCS2, ...)."""

    connectors: list[str] = field(default_factory=lambda: ["cType2"])
    power_w: float = 11000.0


@dataclass
class StationConfig:
    station_id: str = "CP001"
    vendor_name: str = "ocpp-conformance"
    model: str = "ReferenceStation"
    serial_number: str = "REF-0001"
    firmware_version: str = "0.1.0"
    evses: list[EvseConfig] = field(default_factory=lambda: [EvseConfig()])
    # None: use the interval of the BootNotificationResponse (the normal case).
    heartbeat_interval: int | None = None
    # "Component[.instance][/evseId[/connectorId]]/Variable[.instance]" -> value (Actual attribute).
    device_model: dict[str, str] = field(default_factory=dict)
    security_profile: int = 0
    basic_auth_password: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)  # alias of basic_auth_password
    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    # Timings (seconds). Short defaults so tests run fast.
    reconnect_backoff: float = 0.2
    response_timeout: float = 10.0
    connect_timeout: float = 5.0
    boot_retry_default: float = 1.0  # when a Pending/Rejected response carries interval 0
    late_response_delay: float = 5.0  # used by the late-response mutant only

    @property
    def auth_password(self) -> str | None:
        return self.basic_auth_password if self.basic_auth_password is not None else self.password

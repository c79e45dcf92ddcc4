"""What the plugin's fixtures do: start SUTs and harness endpoints, bind them to tests, record outcomes.

Kept out of pytest_plugin.py so the glue stays thin; pytest objects are only passed through.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import (
    ActionUnsupported,
    ConformanceFailure,
    HarnessError,
    SchemaViolationFailure,
    SutDisconnected,
)
from conformance.ocppj.schemas import default_store
from conformance.ocppj.validation import FrameValidator
from conformance.session.endpoints import HarnessCsms, HarnessStation
from conformance.session.responders import csms_responders, station_responders
from conformance.session.session import Session
from conformance.session.states.cs import cs_connectors_reported
from conformance.settings import RunSettings
from conformance.testing import steps
from conformance.transport import CsmsServer
from conformance.transport.security import ClientSecurity, ServerSecurity

_SESSIONS_KEY = pytest.StashKey[list[Session]]()  # mypy: Stash is invariant; see active_sessions
_OUTCOMES_KEY = pytest.StashKey[dict[str, Any]]()
_STEPS_KEY = pytest.StashKey[list[str]]()
REPORT_ERROR_KEY = pytest.StashKey[str]()
# A case that must see the station's first BootNotification itself: the csms fixture does not wait for it.
OWN_BOOT_MARKER = "ocpp_own_boot"


def case_id_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("ocpp_case")
    return str(marker.args[0]) if marker and marker.args else None


def sut_type_of(case_id: str) -> str:
    return "csms" if case_id.endswith("_CSMS") else "charging-station"


@dataclass
class BuiltinSut:
    kind: str
    handle: Any
    control: Any


@dataclass
class Runtime:
    settings: RunSettings
    loop: asyncio.AbstractEventLoop
    workdir: Path
    validator: FrameValidator = field(init=False)
    _csms: HarnessCsms | None = None
    _builtin: dict[str, BuiltinSut] = field(default_factory=dict)
    _drivers: dict[str, Any] = field(default_factory=dict)
    _pki: Any = None

    def __post_init__(self) -> None:
        self.validator = FrameValidator(default_store())

    # ------------------------------------------------------------ security material
    def pki(self) -> Any:
        if self._pki is None:
            from conformance.transport.pki import make_test_pki

            self._pki = make_test_pki(self.workdir / "pki", self.settings.station_id)
        return self._pki

    def _password(self) -> str | None:
        if self.settings.password:
            return self.settings.password
        if self.settings.builtin and self.settings.security_profile in (1, 2):
            return "builtin-" + self.settings.station_id + "-password"
        return None

    def _server_security(self) -> ServerSecurity:
        s, profile = self.settings, self.settings.security_profile
        if profile == 0:
            return ServerSecurity(profile=0)
        password = self._password()
        passwords = {s.station_id: password} if password else None
        if profile == 1:
            return ServerSecurity(profile=1, passwords=passwords)
        if s.builtin:
            pki = self.pki()
            return ServerSecurity(
                profile=profile,
                passwords=passwords,
                certfile=pki.server_cert,
                keyfile=pki.server_key,
                cafile=pki.ca_cert,
            )
        return ServerSecurity(
            profile=profile, passwords=passwords, certfile=s.cert, keyfile=s.key, cafile=s.ca
        )

    def _client_security(self) -> ClientSecurity:
        s, profile = self.settings, self.settings.security_profile
        password = self._password() if profile in (1, 2) else None
        if profile < 2:
            return ClientSecurity(profile=profile, password=password)
        if s.builtin:
            pki = self.pki()
            return ClientSecurity(
                profile=profile,
                password=password,
                cafile=pki.ca_cert,
                certfile=pki.station_cert if profile == 3 else None,
                keyfile=pki.station_key if profile == 3 else None,
            )
        return ClientSecurity(profile=profile, password=password, cafile=s.ca, certfile=s.cert, keyfile=s.key)

    # ------------------------------------------------------------ harness as CSMS
    def _start_csms(self) -> HarnessCsms:
        s = self.settings
        tokens = s.description.tokens

        def token_status(id_token: Any) -> str:
            return tokens.status_for(id_token)

        async def start() -> HarnessCsms:
            server = CsmsServer(s.listen_host, s.listen_port, security=self._server_security())
            await server.start()
            endpoint = HarnessCsms(
                server,
                s.station_id,
                validator=self.validator,
                timeout=s.timeout,
                responders=dict(csms_responders(heartbeat_interval=300, token_status=token_status)),
            )
            await endpoint.start()
            return endpoint

        endpoint = self.loop.run_until_complete(start())
        if s.builtin:
            self._start_builtin_station(endpoint.url)
        return endpoint

    def _start_builtin_station(self, csms_url: str) -> None:
        from conformance.reference.station import EvseConfig, StationConfig, start_reference_station

        s = self.settings
        profile = s.security_profile
        desc = s.description
        extra: dict[str, Any] = {}
        if profile in (1, 2):
            extra["password"] = self._password()
        if profile >= 2:
            pki = self.pki()
            extra["cafile"] = str(pki.ca_cert)
            if profile == 3:
                extra["certfile"], extra["keyfile"] = str(pki.station_cert), str(pki.station_key)
        config = StationConfig(
            station_id=s.station_id,
            vendor_name=desc.sut.vendor_name,
            model=desc.sut.model,
            serial_number=desc.sut.serial_number,
            firmware_version=desc.sut.firmware_version,
            evses=[EvseConfig(connectors=[c.type for c in evse.connectors]) for evse in desc.evses],
            # The description says "Component.Variable"; the station's device model "Component/Variable".
            device_model={key.replace(".", "/", 1): value for key, value in desc.device_model.values.items()},
            security_profile=profile,
            # Its MessageTimeout: twice what the harness allows the station (3-10 s), so a case that holds
            # a message for a step or two is not timed out, while E13 retry cases (each transmission
            # costs a MessageTimeout, TC_E_41/42_CS) stay short in fast runs.
            response_timeout=min(10.0, max(3.0, 2 * s.timeout)),
            **extra,
        )
        handle = start_reference_station(csms_url, config, mutant=s.mutant)
        self._builtin["charging-station"] = BuiltinSut("charging-station", handle, handle.control)

    def csms_for_test(self, item: pytest.Item) -> HarnessCsms:
        if self._csms is None:
            self._csms = self._start_csms()
        endpoint = self._csms
        endpoint.begin_test()
        self._activate(item, endpoint)
        if not endpoint.connected:
            try:
                self.loop.run_until_complete(
                    endpoint.wait_connected(timeout=self.settings.description.timeouts.connect, after=0)
                )
            except Exception as exc:
                refused = [f"{r.reason} {r.detail}".strip() for r in endpoint.server.rejections]
                why = f"; refused handshakes: {'; '.join(refused[-3:])}" if refused else ""
                raise SutDisconnected(
                    f"[disconnected] the charging station under test did not connect to"
                    f" {endpoint.url}{self.settings.station_id}: {exc}{why}"
                ) from None
        if not endpoint.sut_identity and item.get_closest_marker(OWN_BOOT_MARKER) is None:
            self.loop.run_until_complete(self._first_boot(endpoint))
        return endpoint

    async def _first_boot(self, endpoint: HarnessCsms) -> None:
        """Part 6's general precondition (Booted) before the run's first case body: the station that has
        just connected boots, reports its connectors Available and (if it does) its startup security
        event. Without this the first case would race the boot (a manual action before the station is
        ready). The boot traffic is taken here, as Reusable State Booted takes it.

        It only synchronises: a station that connects without booting (already booted, it reconnects)
        or whose boot sequence is incomplete is left to the cases to judge (TC_B_01_CS resets it), so
        nothing here turns the first case into a setup error, except a frame that breaks the schema."""
        description = self.settings.description
        try:
            with steps.step("Precondition: the station that has just connected boots (BootNotification)"):
                await endpoint.expect("BootNotification", timeout=endpoint.timeout)
            await cs_connectors_reported(endpoint, description, "Available", label="Precondition")
            await endpoint.expect("SecurityEventNotification", timeout=endpoint.timeout)
        except (SchemaViolationFailure, SutDisconnected):
            raise
        except ConformanceFailure as exc:
            endpoint.transcript.note(f"the first boot sequence was not (completely) seen: {exc}")

    # ------------------------------------------------------------ harness as station
    def _csms_url(self) -> str:
        if self.settings.csms_url:
            return self.settings.csms_url
        builtin = self._builtin.get("csms")
        if builtin is None:
            builtin = self._start_builtin_csms()
        return str(builtin.handle.url)

    def _start_builtin_csms(self) -> BuiltinSut:
        from conformance.reference.csms import CsmsConfig, start_reference_csms

        s = self.settings
        profile = s.security_profile
        extra: dict[str, Any] = {}
        if profile >= 2:
            pki = self.pki()
            extra.update(certfile=pki.server_cert, keyfile=pki.server_key, cafile=pki.ca_cert)
            extra.update(rsa_certfile=pki.server_rsa_cert, rsa_keyfile=pki.server_rsa_key)  # TC_A_04_CSMS
        config = CsmsConfig.from_description(
            s.description,
            station_id=s.station_id,
            password=self._password(),
            security_profile=profile,
            **extra,
        )
        handle = start_reference_csms(config, mutant=s.mutant)
        sut = BuiltinSut("csms", handle, handle.control)
        self._builtin["csms"] = sut
        return sut

    def station_for_test(self, item: pytest.Item) -> HarnessStation:
        s = self.settings
        endpoint = HarnessStation(
            self._csms_url(),
            s.station_id,
            self._client_security(),
            validator=self.validator,
            timeout=s.timeout,
            connect_timeout=s.description.timeouts.connect,
            responders=dict(station_responders(s.description.device_model.values)),
        )
        self._activate(item, endpoint)
        return endpoint

    # ------------------------------------------------------------ drivers
    def driver_for(self, item: pytest.Item) -> Any:
        case_id = case_id_of(item)
        kind = sut_type_of(case_id) if case_id else self.settings.sut_types[0]
        if kind not in self._drivers:
            from conformance.drivers.factory import make_driver

            control = None
            if self.settings.builtin:
                if kind == "csms":
                    self._csms_url()
                control = self._builtin[kind].control if kind in self._builtin else None
            self._drivers[kind] = GuardedDriver(
                make_driver(
                    self.settings.description, builtin_control=control, station_id=self.settings.station_id
                )
            )
        return self._drivers[kind]

    # ------------------------------------------------------------ per test
    def _activate(self, item: pytest.Item, endpoint: Session) -> None:
        sessions = item.stash.setdefault(_SESSIONS_KEY, [])
        sessions.append(endpoint)
        log = item.stash.setdefault(_STEPS_KEY, [])
        steps.activate(tuple(s.transcript for s in sessions), log)
        endpoint.transcript_mark = endpoint.transcript.mark()  # type: ignore[attr-defined]

    def end_test(self, item: pytest.Item) -> None:
        from conformance.reporting import IDENTITY_KEY

        for session in active_sessions(item):
            _attach_transcript(session)
            if isinstance(session, HarnessCsms) and session.sut_identity:
                identities = item.config.stash.setdefault(IDENTITY_KEY, {})
                identities["charging-station"] = dict(session.sut_identity)
                import allure

                allure.attach(
                    "\n".join(f"{k}: {v}" for k, v in session.sut_identity.items()),
                    name="SUT identity (BootNotification)",
                    attachment_type=allure.attachment_type.TEXT,
                )
            if isinstance(session, HarnessStation):
                with contextlib.suppress(Exception):
                    self.loop.run_until_complete(session.aclose())

    def close(self) -> None:
        if self._csms is not None:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self._csms.stop())
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self._csms.server.stop())
        for sut in self._builtin.values():
            with contextlib.suppress(Exception):
                sut.handle.stop()


class GuardedDriver:
    """Wraps a driver so an unsupported action raises ActionUnsupported (the case is skipped).

    It also remembers the cables a case plugged in, so the next case starts with every connector
    free (Part 6's general preconditions), even when the case failed half-way.
    """

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.name = getattr(driver, "name", type(driver).__name__)
        self.plugged: set[tuple[int, int]] = set()

    async def restore(self) -> None:
        """Unplug what the case left plugged in (best effort: the SUT may be gone)."""
        for evse_id, connector_id in sorted(self.plugged):
            with contextlib.suppress(Exception):
                await self.driver.perform("unplug", {"evse_id": evse_id, "connector_id": connector_id})
        self.plugged.clear()

    def supports(self, action: str) -> bool:
        return bool(self.driver.supports(action))

    async def perform(self, action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if not self.driver.supports(action):
            raise ActionUnsupported(action, self.name)
        result = await self.driver.perform(action, dict(params or {}))
        if action in ("plug_in", "unplug") and params:
            where = (int(params.get("evse_id", 0)), int(params.get("connector_id", 1)))
            (self.plugged.add if action == "plug_in" else self.plugged.discard)(where)
        if not isinstance(result, dict):
            raise HarnessError(
                f"driver {self.name} returned {type(result).__name__} for {action}, not a dict"
            )
        return result


def active_sessions(item: pytest.Item) -> list[Session]:
    empty: list[Session] = []
    sessions = item.stash.get(_SESSIONS_KEY, empty)
    return list(sessions)


def _attach_transcript(session: Session) -> None:
    import allure

    mark = getattr(session, "transcript_mark", 0)
    records = session.transcript.since(mark)
    if not records:
        return
    role = "harness-as-CSMS" if isinstance(session, HarnessCsms) else "harness-as-station"
    allure.attach(
        session.transcript.to_jsonl(records),
        name=f"transcript ({role}).jsonl",
        attachment_type=allure.attachment_type.JSON,
    )
    allure.attach(
        session.transcript.to_text(records),
        name=f"transcript ({role}).txt",
        attachment_type=allure.attachment_type.TEXT,
    )
    if session.violations:
        allure.attach(
            "\n\n".join(v.describe() for v in session.violations),
            name="validation errors",
            attachment_type=allure.attachment_type.TEXT,
        )


def record_outcome(item: pytest.Item, report: pytest.TestReport) -> None:
    case_id = case_id_of(item)
    if case_id is None:
        return
    outcomes = item.config.stash.setdefault(_OUTCOMES_KEY, {})
    if report.when == "call" or report.outcome != "passed":
        if report.skipped:
            reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome = "not-applicable" if "[not-applicable]" in reason else "skipped"
        else:
            outcome = report.outcome
            reason = _failure_reason(report) if report.failed else ""
        previous = outcomes.get(case_id)
        if previous is None or (previous["outcome"] in ("passed", "skipped") and outcome == "failed"):
            outcomes[case_id] = {"outcome": outcome, "reason": reason, "duration": report.duration}


def _failure_reason(report: pytest.TestReport) -> str:
    """The failing exception's own message (it names the rule and the frame), not pytest's location line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = str(getattr(crash, "message", "") or "")
    if not message and report.longreprtext:
        message = report.longreprtext.strip().splitlines()[-1]
    for prefix in ("conformance.errors.", "Failed: "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def recorded_outcomes(config: pytest.Config) -> dict[str, Any]:
    empty: dict[str, Any] = {}
    outcomes = config.stash.get(_OUTCOMES_KEY, empty)
    return dict(outcomes)


def finish_session(config: pytest.Config, exitstatus: int) -> None:
    from conformance.reporting import write_session_reports

    try:
        write_session_reports(config, recorded_outcomes(config))
    except Exception as exc:  # a report fault must not turn the run into an INTERNALERROR
        config.stash[REPORT_ERROR_KEY] = f"ocpp-conformance: could not write the reports: {exc!r}"


def summary_lines(config: pytest.Config) -> list[str]:
    from conformance.reporting import readiness_summary

    error = config.stash.get(REPORT_ERROR_KEY, "")
    return [*readiness_summary(config), *([error] if error else [])]

"""Block L, Firmware Management: charging station under test (Part 6 section 2.13), secure update (L01).

The firmware comes from a real HTTP server the harness serves for the case (`FirmwareServer`, an
ephemeral port on the host the harness's CSMS listens on). The harness is its own manufacturer: it
generates a root CA and a firmware signing certificate it issues (EC P-256), and signs each image it serves
(ECDSA over SHA-256, base64): <Configured signingCertificate> / <Configured signature>. What Part 6 asks
of its configured values is served / signed accordingly:
- TC_L_05_CS <Generated invalid firmware signingCertificate>: issued by the same root but expired.
- TC_L_06_CS <Configured invalid firmware signature>: a real signature, over another image.
- TC_L_07_CS <Configured firmware location> + "_does_not_exist": a path the server answers 404.
- TC_L_08_CS <Configured invalid firmware location>: a correctly signed image that is no firmware the
  station can install.
The images are in the reference station's format (a first line, then `version:`): a station from another
vendor needs its own images and a signing certificate it trusts, named in the SUT description's `[firmware]`
section (docs/sut-description.md); `firmware_material(sut)` gives the cases the description's values when
it has that section, else the generated ones. A value a case needs that the section lacks skips that case,
naming the key.
A station whose OCPPCommCtrlr.FileTransferProtocols lacks HTTP cannot reach the server: the cases serving
an image are then skipped with that reason (Part 6's prerequisite is a file server speaking the station's
protocol); a `[firmware] location` on the lab's own server needs no HTTP.

Readings of Part 6 where it is ambiguous (as a certification lab would):
- Steps marked optional (connectors set Unavailable before installing, RebootBeforeFirmwareInstallation,
  RebootBeforeFirmwareActivation, the InstallRebooting notice) are accepted when they come and not required
  otherwise; when they come, their tool validations apply (BootNotification reason FirmwareUpdate, Installing
  after the pre-installation reboot). Connectors reported Unavailable, or reported again after a reboot, must
  end reported Available (the "step 16" of TC_L_01_CS and its counterparts), in any order with the rest.
- "The OCTT waits for the Charging Station to reconnect" (TC_L_01_CS step 15 and counterparts): after
  Installed the station must have reconnected at least once since the UpdateFirmwareRequest.
- Every FirmwareStatusNotificationRequest must carry the requestId of the UpdateFirmwareRequest it reports
  on (L01.FR.20, listed by every case); in TC_L_10_CS that of the second request from step 6 on.
- TC_L_02_CS / TC_L_03_CS: <Configured Install / Download Offset Period> is SCHEDULE_OFFSET seconds; once
  the station reported DownloadScheduled / InstallScheduled they pass on its clock where the driver has
  advance_clock (the schedule is an absolute station time, so the advance cannot race its timer), else in
  real time. Later cases read the station's time (ClockCtrlr.DateTime) where it matters.
- <Current DateTime> is the station's, read from ClockCtrlr.DateTime when it reports one (else the
  harness's): for a station in sync with its CSMS they are the same, and a station whose clock runs ahead
  would otherwise take "SCHEDULE_OFFSET seconds from now" for a time already past.
- TC_L_10_CS: "busy downloading" is made certain by the server holding the first download unanswered
  until the case ends.
- TC_L_11/12/13/14/16_CS: their own readings are in their docstrings. The built-in station's defaults make
  them not applicable; tests/descriptions/firmware_*.toml describe it built otherwise (vendor switches).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import functools
import itertools
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.config import FirmwareConfig
from conformance.errors import ConformanceFailure, SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.session import ReceivedCall
from conformance.session.states import CsTransaction, cs_connectors_reported
from conformance.session.states.common import connectors_of
from conformance.session.states.cs import cs_precondition_booted
from conformance.testing import case, check, check_equal, check_in, configured, read_variable, setting, step
from conformance.testing.file_transfer import file_server_host, protocols_without_http

VERSION = "0.2.0"
IMAGE = (
    b"OCPP-CONFORMANCE-FIRMWARE/1\nversion: " + VERSION.encode() + b"\n" + b"ocpp-conformance image\n" * 64
)
# Signed correctly, but not an image a station can install (TC_L_08_CS): the same bytes, garbled header.
UNINSTALLABLE = b"OCPP-CONFORMANCE-FIRMWARE/0 (corrupt)\n" + IMAGE[64:]
SCHEDULE_OFFSET = 3.0  # seconds: <Configured Install / Download Offset Period> (TC_L_02_CS, TC_L_03_CS)
TWO_HOURS = 7200.0
FAILED = ("InstallVerificationFailed", "InstallationFailed")
# Where an update ends (Part 2 FirmwareStatusEnumType): what a failed case waits for before the next one.
FINAL = ("Installed", "DownloadFailed", "InvalidSignature", *FAILED)
NO_REQUEST_ID = r"FirmwareStatusNotificationRequest\.requestId"
STATUS_AT = r"FirmwareStatusNotificationRequest\.status \(step {label}\)"  # a status check's failure
_request_ids = itertools.count(int(time.time()) % 100000 * 10)  # fresh ids per run


# ------------------------------------------------------------------ the harness as manufacturer
@dataclass(frozen=True)
class Signer:
    """A manufacturer root, the firmware signing key, its certificate and an expired twin (PEM)."""

    key: ec.EllipticCurvePrivateKey
    certificate: str
    expired_certificate: str

    def sign(self, image: bytes) -> str:
        return base64.b64encode(self.key.sign(image, ec.ECDSA(hashes.SHA256()))).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocpp-conformance"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@functools.cache
def signer() -> Signer:
    root_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)

    def issue(start: dt.datetime, end: dt.datetime) -> str:
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("ocpp-conformance firmware signing"))
            .issuer_name(_name("ocpp-conformance manufacturer root"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .sign(root_key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    return Signer(
        key=key,
        certificate=issue(now - dt.timedelta(minutes=5), now + dt.timedelta(days=365)),
        expired_certificate=issue(now - dt.timedelta(days=60), now - dt.timedelta(days=30)),
    )


# ------------------------------------------------------------------ the firmware material
@dataclass(frozen=True)
class FirmwareFile:
    """One firmware Part 6 names: an image the harness serves, or a location the lab serves it at, and
    the signing certificate and signature that go with it. `keys`: the [firmware] keys that name these
    (location, certificate, signature), for the skip message when one is missing."""

    image: bytes | None
    location: str | None
    signing_certificate: str | None
    signature: str | None
    keys: tuple[str, str, str]

    def place(self, server: FirmwareServer, path: str) -> str:
        """Its <Configured firmware_location>: `path` on the harness's server, or the configured URL."""
        return server.serve(path, self.image) if self.image is not None else str(self.location)

    def fetched(self, server: FirmwareServer, location: str) -> bool:
        """The station fetched it: seen on the harness's server; a location served elsewhere is out of
        the harness's sight (its Downloading / Downloaded statuses are the evidence then)."""
        return self.image is None or server.downloaded(urllib.parse.urlsplit(location).path)


@dataclass(frozen=True)
class FirmwareMaterial:
    """What a case sends: the description's [firmware] values, else the harness's generated ones."""

    good: FirmwareFile  # <Configured firmware_location> / signingCertificate / signature
    bad: FirmwareFile  # <Configured invalid firmware location> / signingCertificate / signature (TC_L_08_CS)
    invalid_signature: str | None  # <Configured invalid firmware signature>, used with `good` (TC_L_06_CS)
    expired_signing_certificate: str | None  # <Generated invalid firmware signingCertificate> (TC_L_05_CS)
    install_timeout: float | None  # seconds each firmware step may take (None: the session's timeouts)

    def valid(self, *, served: bool = False) -> FirmwareFile:
        """The good firmware, or SKIP naming the missing key. `served`: the case needs the harness to
        serve the image itself (to hold the download in progress, TC_L_10_CS / TC_L_11_CS)."""
        if served and self.good.image is None:
            _missing("firmware.image (the harness serves the image to keep a download in progress)")
        return _complete(self.good)

    def uninstallable(self) -> FirmwareFile:
        return _complete(self.bad)

    def wrong_signature(self) -> str:
        if self.invalid_signature is None:
            _missing("firmware.invalid_signature (<Configured invalid firmware signature>)")
        return str(self.invalid_signature)

    def expired_certificate(self) -> str:
        if self.expired_signing_certificate is None:
            _missing("firmware.expired_signing_certificate (<Generated invalid firmware signingCertificate>)")
        return str(self.expired_signing_certificate)


def _missing(what: str) -> NoReturn:
    # Not a verdict on the station: the lab has not configured what Part 6 asks for this case.
    pytest.skip(f"the SUT description's [firmware] section lacks {what}")


def _complete(file: FirmwareFile) -> FirmwareFile:
    location, certificate, signature = file.keys
    if file.image is None and file.location is None:
        _missing(location)
    if file.signing_certificate is None:
        _missing(certificate)
    if file.signature is None:
        _missing(signature)
    return file


def firmware_material(sut: Any) -> FirmwareMaterial:
    """The SUT description's [firmware] material when it has that section, else the generated one (which
    only the built-in reference station accepts: its signing certificate is the harness's own)."""
    config = getattr(sut, "firmware", None)
    if isinstance(config, FirmwareConfig) and config.present:
        return _described(config)
    if not getattr(sut, "builtin_sut", True):
        pytest.skip(
            "a station under test needs firmware signed for it: the SUT description has no [firmware]"
            " section (firmware.image or firmware.location, signing_certificate, signature;"
            " docs/sut-description.md)"
        )
    return _generated()


@functools.cache
def _generated() -> FirmwareMaterial:
    s = signer()
    keys = ("(generated)", "(generated)", "(generated)")
    return FirmwareMaterial(
        good=FirmwareFile(IMAGE, None, s.certificate, s.sign(IMAGE), keys),
        bad=FirmwareFile(UNINSTALLABLE, None, s.certificate, s.sign(UNINSTALLABLE), keys),
        invalid_signature=s.sign(UNINSTALLABLE),
        expired_signing_certificate=s.expired_certificate,
        install_timeout=None,
    )


@functools.cache
def _described(config: FirmwareConfig) -> FirmwareMaterial:
    def read(path: Path | None) -> bytes | None:
        return path.read_bytes() if path is not None else None

    return FirmwareMaterial(
        good=FirmwareFile(
            read(config.image),
            config.location,
            config.signing_certificate,
            config.signature,
            (
                "firmware.image or firmware.location (<Configured firmware_location>)",
                "firmware.signing_certificate (<Configured signingCertificate>)",
                "firmware.signature or firmware.signature_file (<Configured signature>)",
            ),
        ),
        bad=FirmwareFile(
            read(config.invalid_image),
            config.invalid_location,
            config.invalid_signing_certificate or config.signing_certificate,
            config.invalid_signature,
            (
                "firmware.invalid_image or .invalid_location (<Configured invalid firmware location>)",
                "firmware.invalid_signing_certificate (<Configured invalid firmware signingCertificate>)",
                "firmware.invalid_signature (<Configured invalid firmware signature>)",
            ),
        ),
        invalid_signature=config.invalid_signature,
        expired_signing_certificate=config.expired_signing_certificate,
        install_timeout=config.install_timeout,
    )


# ------------------------------------------------------------------ the harness's file server
@dataclass
class FirmwareServer:
    """A minimal HTTP/1.1 server: GET of a served path gives its bytes (200), anything else 404.

    Paths under /hold/ are answered only when the server stops (a download that stays in progress)."""

    host: str
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) as received
    accepted: bool = False  # the station accepted an UpdateFirmwareRequest for this server's files
    # The station's FileTransferProtocols when they lack HTTP: serving is then impossible (a location the
    # lab serves itself, [firmware] location, does not need this server).
    refuses_http: str | None = None
    _server: asyncio.Server | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        assert self._server is not None
        port = int(self._server.sockets[0].getsockname()[1])
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}{path}"

    def serve(self, path: str, data: bytes) -> str:
        if self.refuses_http is not None:
            pytest.skip(
                "the harness's firmware server speaks HTTP;"
                f" OCPPCommCtrlr.FileTransferProtocols is {self.refuses_http!r}"
            )
        self.files[path] = data
        return self.url(path)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, 0)

    def release(self) -> None:
        """Answer the downloads held under /hold/."""
        self._release.set()

    async def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def downloaded(self, path: str) -> bool:
        return ("GET", path) in self.requests

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(30):
                request_line = (await reader.readline()).decode("latin-1").split()
                while (await reader.readline()).strip():
                    pass  # headers: a GET has no body
                if len(request_line) < 2:
                    return
                method, path = request_line[0].upper(), urllib.parse.urlsplit(request_line[1]).path
                self.requests.append((method, path))
                if path.startswith("/hold/"):
                    await self._release.wait()
                body = self.files.get(path) if method == "GET" else None
                status = "200 OK" if body is not None else "404 Not Found"
                body = body if body is not None else b"not found\n"
                head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                writer.write(head.encode() + body)
                await writer.drain()
        except (OSError, TimeoutError, ValueError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def firmware_server(csms: HarnessCsms) -> AsyncIterator[FirmwareServer]:
    """Serve firmware on the host the station already reaches (the harness CSMS's), ephemeral port."""
    server = FirmwareServer(file_server_host(csms), refuses_http=await protocols_without_http(csms))
    await server.start()
    try:
        yield server
    except BaseException:
        server.release()
        await _settle(csms, server)
        raise
    finally:
        await server.stop()


async def _settle(csms: HarnessCsms, server: FirmwareServer) -> None:
    """After a failed case: let an update the station accepted run to its end (bounded), so the next
    case finds the station idle (Part 6's general precondition) instead of answering Rejected (L01.FR.27)."""
    statuses = [r.payload.get("status") for r in csms.history("FirmwareStatusNotification")]
    if not server.accepted or (statuses and statuses[-1] in FINAL):
        return
    with contextlib.suppress(Exception):
        await csms.expect(
            "FirmwareStatusNotification", where=lambda p: p.get("status") in FINAL, timeout=csms.timeout * 3
        )


# ------------------------------------------------------------------ steps
def _at(now: dt.datetime, offset_s: float) -> str:
    t = now + dt.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


async def station_now(csms: HarnessCsms) -> dt.datetime:
    """Part 6's <Current DateTime>: the station's ClockCtrlr.DateTime when it reports one, else ours."""
    value = await read_variable(csms, setting("ClockCtrlr.DateTime"))
    with contextlib.suppress(ValueError, TypeError):
        reported = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if reported.tzinfo is not None:
            return reported.astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def firmware(
    location: str,
    image: FirmwareFile,
    now: dt.datetime,
    *,
    retrieve: float = -TWO_HOURS,
    install: float = -TWO_HOURS,
    certificate: str | None = None,
) -> dict[str, Any]:
    """UpdateFirmwareRequest.firmware as Part 6 composes it (times relative to `now`, in seconds)."""
    return {
        "location": location,
        "retrieveDateTime": _at(now, retrieve),
        "installDateTime": _at(now, install),
        "signingCertificate": certificate or image.signing_certificate,
        "signature": image.signature,
    }


async def update_firmware(
    csms: HarnessCsms, server: FirmwareServer, label: str, fw: dict[str, Any], status: str | tuple[str, ...]
) -> int:
    """The OCTT sends UpdateFirmwareRequest; the station must answer `status`. Returns the requestId."""
    allowed = (status,) if isinstance(status, str) else status
    request_id = next(_request_ids)
    with step(f"{label}: the OCTT sends UpdateFirmwareRequest (requestId {request_id})"):
        csms.discard_inbox()  # a notification an earlier case's update sent late is not this request's
        response = await csms.call_ok("UpdateFirmware", {"requestId": request_id, "firmware": fw})
        server.accepted |= response.get("status") in ("Accepted", "AcceptedCanceled")
        check_in(response.get("status"), allowed, f"UpdateFirmwareResponse.status (step {label})")
    return request_id


async def security_event(csms: HarnessCsms, label: str, kind: str) -> None:
    with step(f"{label}: the station sends SecurityEventNotificationRequest {kind}"):
        await csms.expect(
            "SecurityEventNotification",
            where=lambda p: p.get("type") == kind,
            what=f"type {kind} (step {label})",
        )


def _reported(payload: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(evseId, connectorId, state) a StatusNotification / NotifyEvent AvailabilityState reports."""
    if "connectorStatus" in payload:
        return [(payload.get("evseId", 0), payload.get("connectorId", 0), payload["connectorStatus"])]
    found = []
    for event in payload.get("eventData", []):
        component, variable = event.get("component", {}), event.get("variable", {})
        if component.get("name") == "Connector" and variable.get("name") == "AvailabilityState":
            evse = component.get("evse", {})
            found.append((evse.get("id", 0), evse.get("connectorId", 0), event.get("actualValue", "")))
    return found


_INSTALL_PHASE = (
    "FirmwareStatusNotification",
    "BootNotification",
    "SecurityEventNotification",
    "StatusNotification",
    "NotifyEvent",
)


def _install_phase(payload: dict[str, Any]) -> bool:
    """What the installation steps are about: every firmware status and boot, the FirmwareUpdated event,
    connector availability reports (not other security events or monitoring events)."""
    if "eventData" in payload:
        return bool(_reported(payload))
    return "type" not in payload or payload.get("type") == "FirmwareUpdated"


@dataclass
class FirmwareUpdate:
    """One UpdateFirmwareRequest the station accepted, followed through its status notifications."""

    csms: HarnessCsms
    sut: Any
    request_id: int
    connections: int  # the station's connection count when the request was sent
    seen: list[str] = field(default_factory=list)

    @classmethod
    async def start(
        cls,
        csms: HarnessCsms,
        sut: Any,
        server: FirmwareServer,
        label: str,
        fw: dict[str, Any],
        status: str = "Accepted",
    ) -> FirmwareUpdate:
        connections = csms.events.connected
        request_id = await update_firmware(csms, server, label, fw, status)
        return cls(csms, sut, request_id, connections)

    def _check_request_id(self, got: ReceivedCall, where: str) -> None:
        check_equal(
            got.payload.get("requestId"),
            self.request_id,
            f"FirmwareStatusNotificationRequest.requestId ({where}: the requestId of the"
            " UpdateFirmwareRequest, L01.FR.20)",
        )

    async def status(self, label: str, *allowed: str, timeout: float | None = None) -> str:
        """The station sends FirmwareStatusNotificationRequest with one of `allowed`."""
        with step(f"{label}: the station sends FirmwareStatusNotificationRequest {' / '.join(allowed)}"):
            if timeout is None:  # a real image may take the lab's install_timeout to download / verify
                timeout = firmware_material(self.sut).install_timeout
            got = await self.csms.expect(
                "FirmwareStatusNotification", timeout=timeout, what=f"status {' / '.join(allowed)}"
            )
            status = str(got.payload.get("status"))
            self.seen.append(status)
            check_in(status, allowed, f"FirmwareStatusNotificationRequest.status (step {label})")
            self._check_request_id(got, f"step {label}")
        return status

    def _install_wait(self) -> float:
        """One installation step's wait: twice the session's, or the description's install_timeout."""
        return max(self.csms.timeout * 2, firmware_material(self.sut).install_timeout or 0.0)

    async def install(
        self,
        first: int,
        outcomes: tuple[str, ...] = ("Installed",),
        *,
        delay: float = 0.0,
        installing: bool = False,
    ) -> str:
        """The installation and activation steps, from the optional Unavailable report (`first`) on.

        Steps first+2 .. first+11 of TC_L_01_CS and its counterparts: RebootBeforeFirmwareInstallation,
        Installing, RebootBeforeFirmwareActivation, the reconnect, connectors Available, the outcome (one of
        `outcomes`) and, once Installed, SecurityEventNotification FirmwareUpdated; the last ones in any
        order.
        `delay`: seconds the station may wait first (a scheduled installDateTime); `installing`: the
        station reported Installing already (TC_L_15_CS step 9).
        """
        connectors = set(connectors_of(self.sut))
        outcome, updated_event = "", False
        unavailable: set[tuple[int, int]] = set()  # reported Unavailable, not yet Available again
        unreported: set[tuple[int, int]] = set()  # not reported since the station's last boot
        label = f"{first}-{first + 12}"
        with step(f"{label}: installation and activation (reboots as the station needs), then {outcomes}"):
            while not outcome or unavailable or unreported or (outcome == "Installed" and not updated_event):
                try:
                    got = await self.csms.expect(
                        _INSTALL_PHASE, where=_install_phase, timeout=self._install_wait() + delay
                    )
                except SutTimeout as timeout:
                    missing = (
                        [f"FirmwareStatusNotificationRequest {' / '.join(outcomes)}"] if not outcome else []
                    )
                    if outcome == "Installed" and not updated_event:
                        missing.append("SecurityEventNotificationRequest FirmwareUpdated")
                    missing += [f"connector {e}/{c} reported Available" for e, c in sorted(unavailable)]
                    missing += [f"connector {e}/{c} reported after the reboot" for e, c in sorted(unreported)]
                    raise ConformanceFailure(
                        f"[conformance] steps {label}: missing {', '.join(missing)} (firmware statuses seen:"
                        f" {', '.join(self.seen) or 'none'}); {timeout}"
                    ) from None
                if got.action == "FirmwareStatusNotification":
                    status = str(got.payload.get("status"))
                    self.seen.append(status)
                    self._check_request_id(got, f"steps {label}")
                    check(
                        not outcome,
                        f"FirmwareStatusNotificationRequest.status {status} after {outcome} (steps {label})",
                    )
                    check_in(
                        status,
                        ("InstallRebooting", "Installing", *outcomes),
                        f"FirmwareStatusNotificationRequest.status during installation (steps {label})",
                    )
                    if status == "Installing":
                        installing = True
                    elif status in outcomes:
                        check(
                            installing,
                            f"FirmwareStatusNotificationRequest {status} without Installing before it"
                            f" (step {first + 3}, or RebootBeforeFirmwareInstallation step 7)",
                        )
                        outcome = status
                elif got.action == "BootNotification":
                    check_equal(
                        got.payload.get("reason"),
                        "FirmwareUpdate",
                        "BootNotificationRequest.reason (RebootBeforeFirmwareInstallation /"
                        " RebootBeforeFirmwareActivation step 3)",
                    )
                    unreported = set(connectors)
                elif got.action == "SecurityEventNotification":
                    check(
                        outcome == "Installed" or "Installed" in outcomes,
                        "SecurityEventNotificationRequest FirmwareUpdated for a firmware update that failed"
                        f" (firmware statuses seen: {', '.join(self.seen)})",
                    )
                    updated_event = True
                else:
                    for evse_id, connector_id, value in _reported(got.payload):
                        unreported.discard((evse_id, connector_id))
                        if value == "Unavailable":
                            unavailable.add((evse_id, connector_id))
                        elif value in ("Available", "Occupied"):  # Occupied: its transaction goes on (C-43)
                            unavailable.discard((evse_id, connector_id))
        if outcome == "Installed":
            check(
                self.csms.events.connected > self.connections,
                f"step {first + 6}: the station did not reconnect after the firmware update (it reconnects at"
                " least to re-establish the protocol version handshake)",
            )
        return outcome


# ------------------------------------------------------------------ L01 secure firmware update
async def _scheduled_time_passes(actions: Any, seconds: float, what: str) -> float:
    """<Configured ... Offset Period> passes once the station reported the schedule: on its clock where the
    driver can advance it (a real station simply waits), returning the real seconds still to allow."""
    if actions is None or not actions.supports("advance_clock"):
        return seconds
    with step(f"Wait: the {what} comes (station clock +{seconds:g} s)"):
        await actions.perform("advance_clock", {"seconds": seconds})
    return 0.0


async def _installs(
    csms: HarnessCsms,
    sut: Any,
    actions: Any = None,
    *,
    retrieve: float = -TWO_HOURS,
    install: float = -TWO_HOURS,
) -> None:
    """TC_L_01_CS, TC_L_02_CS, TC_L_03_CS: a good image, downloaded and installed (scheduled or not)."""
    good = firmware_material(sut).valid()
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
        fw = firmware(location, good, await station_now(csms), retrieve=retrieve, install=install)
        update = await FirmwareUpdate.start(csms, sut, server, "1-2", fw)
        step_no = 3
        if retrieve > 0:
            await update.status("3-4", "DownloadScheduled")
            step_no = 5
            retrieve = await _scheduled_time_passes(actions, retrieve, "retrieveDateTime")
        wait = csms.timeout + max(retrieve, 0.0)
        await update.status(f"{step_no}-{step_no + 1}", "Downloading", timeout=wait)
        await update.status(f"{step_no + 2}-{step_no + 3}", "Downloaded")
        await update.status(f"{step_no + 4}-{step_no + 5}", "SignatureVerified")
        step_no += 6
        if install > 0:
            await update.status(f"{step_no}-{step_no + 1}", "InstallScheduled")
            step_no += 2
            install = await _scheduled_time_passes(actions, install, "installDateTime")
        with step("the station fetched the image from the firmware location"):
            check(good.fetched(server, location), "no GET of the firmware location")
        await update.install(step_no, delay=max(install, 0.0))


@case(
    "TC_L_01_CS",
    requirements=(
        "L01.FR.01",
        "L01.FR.04",
        "L01.FR.05",
        "L01.FR.09",
        "L01.FR.10",
        "L01.FR.12",
        "L01.FR.13",
        "L01.FR.15",
        "L01.FR.20",
        "L01.FR.21",
        "L01.FR.23",
    ),
    catches={
        "firmware-status-no-request-id": NO_REQUEST_ID,
        "firmware-updated-event-missing": r"missing SecurityEventNotificationRequest FirmwareUpdated",
    },
)
async def test_TC_L_01_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - Installation successful (L01)."""
    await _installs(csms, sut)


@case(
    "TC_L_02_CS",
    requirements=(
        "L01.FR.01",
        "L01.FR.04",
        "L01.FR.05",
        "L01.FR.09",
        "L01.FR.10",
        "L01.FR.12",
        "L01.FR.15",
        "L01.FR.16",
        "L01.FR.20",
        "L01.FR.21",
        "L01.FR.23",
    ),
    catches={"firmware-install-time-ignored": r"FirmwareStatusNotificationRequest\.status \(step 9-10\)"},
)
async def test_TC_L_02_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - InstallScheduled (L01): installDateTime in the future."""
    await _installs(csms, sut, actions, install=SCHEDULE_OFFSET)


@case(
    "TC_L_03_CS",
    requirements=(
        "L01.FR.01",
        "L01.FR.04",
        "L01.FR.05",
        "L01.FR.09",
        "L01.FR.10",
        "L01.FR.12",
        "L01.FR.13",
        "L01.FR.15",
        "L01.FR.20",
        "L01.FR.21",
        "L01.FR.23",
    ),
    catches={
        "firmware-retrieve-time-ignored": r"FirmwareStatusNotificationRequest\.status \(step 3-4\)",
        "firmware-boot-reason-wrong": r"BootNotificationRequest\.reason \(RebootBeforeFirmware",
    },
)
async def test_TC_L_03_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - DownloadScheduled (L01): retrieveDateTime in the future."""
    await _installs(csms, sut, actions, retrieve=SCHEDULE_OFFSET)


@case(
    "TC_L_05_CS",
    requirements=("L01.FR.01", "L01.FR.02", "L01.FR.10", "L01.FR.20", "L01.FR.21", "L01.FR.22"),
    catches={"firmware-certificate-unchecked": r"UpdateFirmwareResponse\.status \(step 1-2\)"},
)
async def test_TC_L_05_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - InvalidCertificate (L01.FR.02).

    <Generated invalid firmware signingCertificate>: issued by the same (trusted) root as the configured
    one, for the same key, but expired; the signature is the configured one."""
    material = firmware_material(sut)
    good, expired = material.valid(), material.expired_certificate()
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
        fw = firmware(location, good, await station_now(csms), certificate=expired)
        await update_firmware(csms, server, "1-2", fw, ("InvalidCertificate", "RevokedCertificate"))
        await security_event(csms, "3-4", "InvalidFirmwareSigningCertificate")


@case(
    "TC_L_06_CS",
    requirements=("L01.FR.01", "L01.FR.03", "L01.FR.04", "L01.FR.10", "L01.FR.20"),
    catches={"firmware-signature-unchecked": r"FirmwareStatusNotificationRequest\.status \(step 7-8\)"},
)
async def test_TC_L_06_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - InvalidSignature (L01.FR.03): a real signature, over another image."""
    material = firmware_material(sut)
    good, wrong = material.valid(), material.wrong_signature()
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
        fw = firmware(location, good, await station_now(csms)) | {"signature": wrong}
        update = await FirmwareUpdate.start(csms, sut, server, "1-2", fw)
        await update.status("3-4", "Downloading")
        await update.status("5-6", "Downloaded")
        await update.status("7-8", "InvalidSignature")
        await security_event(csms, "9-10", "InvalidFirmwareSignature")


@case(
    "TC_L_07_CS",
    requirements=("L01.FR.01", "L01.FR.10", "L01.FR.20"),
    catches={"firmware-http-status-ignored": r"FirmwareStatusNotificationRequest\.status \(step 5-6\)"},
)
async def test_TC_L_07_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - DownloadFailed (L01): the location names a file the server does not have."""
    good = firmware_material(sut).valid()
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin") + "_does_not_exist"
        update = await FirmwareUpdate.start(
            csms, sut, server, "1-2", firmware(location, good, await station_now(csms))
        )
        # Step 3 is optional: a station may see at once that the download is not possible.
        first = await update.status("3-4", "Downloading", "DownloadFailed")
        if first == "Downloading":
            await update.status("5-6", "DownloadFailed")


@case(
    "TC_L_08_CS",
    requirements=("L01.FR.01", "L01.FR.10", "L01.FR.12", "L01.FR.20"),
    catches={"firmware-install-unverified": r"FirmwareStatusNotificationRequest\.status during installation"},
)
async def test_TC_L_08_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - InstallVerificationFailed or InstallationFailed (L01).

    <Configured invalid firmware location>: a correctly signed image (trusted signing certificate, real
    signature) that is not firmware the station can install."""
    bad = firmware_material(sut).uninstallable()
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        location = bad.place(server, "/firmware/ocpp-conformance-corrupt.bin")
        update = await FirmwareUpdate.start(
            csms, sut, server, "1-2", firmware(location, bad, await station_now(csms))
        )
        await update.status("3-4", "Downloading")
        await update.status("5-6", "Downloaded")
        await update.status("7-8", "SignatureVerified")
        await update.install(9, FAILED)


@case(
    "TC_L_10_CS",
    requirements=("L01.FR.01", "L01.FR.10", "L01.FR.20", "L01.FR.24"),
    catches={
        "firmware-status-no-request-id": NO_REQUEST_ID,
        "firmware-cancel-keeps-request-id": NO_REQUEST_ID + r" \(step 7-8",
    },
)
async def test_TC_L_10_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - AcceptedCanceled (L01.FR.24, C-60): a second update replaces the first."""
    good = firmware_material(sut).valid(served=True)
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        held = good.place(server, f"/hold/ocpp-conformance-{VERSION}.bin")  # stays downloading
        first = await FirmwareUpdate.start(
            csms, sut, server, "1-2", firmware(held, good, await station_now(csms))
        )
        await first.status("3-4", "Downloading")
        location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
        second = await FirmwareUpdate.start(
            csms, sut, server, "5-6", firmware(location, good, await station_now(csms)), "AcceptedCanceled"
        )
        await second.status("7-8", "Downloading")
        await second.status("9-10", "Downloaded")
        await second.status("11-12", "SignatureVerified")
        await second.install(13)


@case(
    "TC_L_11_CS",
    requirements=("L01.FR.01", "L01.FR.10", "L01.FR.20", "L01.FR.27"),
    catches={"firmware-cancel-unsupported": r"UpdateFirmwareResponse\.status \(step 5-6\)"},
)
async def test_TC_L_11_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - Unable to cancel (L01.FR.27, NOT C-60): a second update is Rejected and the
    first goes on, its statuses under the first requestId.

    Reading (TC_L_11_CS): as in TC_L_10_CS, "busy downloading" is made certain by the server holding the
    first download until the second request has been answered; the second request names the same
    <Configured firmware_location> (a path the server serves)."""
    good = firmware_material(sut).valid(served=True)
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        held = good.place(server, f"/hold/ocpp-conformance-{VERSION}.bin")  # answered at release()
        first = await FirmwareUpdate.start(
            csms, sut, server, "1-2", firmware(held, good, await station_now(csms))
        )
        await first.status("3-4", "Downloading")
        location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
        await update_firmware(
            csms, server, "5-6", firmware(location, good, await station_now(csms)), "Rejected"
        )
        server.release()
        await first.status("7-8", "Downloaded")
        await first.status("9-10", "SignatureVerified")
        await first.install(11)


@case(
    "TC_L_18_CS",
    requirements=(),
    catches={"firmware-unsigned-accepted": r"UpdateFirmwareResponse\.status \(step 1-2\)"},
)
async def test_TC_L_18_CS(csms: HarnessCsms, sut: Any) -> None:
    """Secure Firmware Update - Missing firmware signing certificate and signature (L01)."""
    good = firmware_material(sut).valid()
    await cs_precondition_booted(csms, sut)
    async with firmware_server(csms) as server:
        location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
        fw = {
            k: v
            for k, v in firmware(location, good, await station_now(csms)).items()
            if k not in ("signingCertificate", "signature")
        }
        await update_firmware(csms, server, "1-2", fw, ("Rejected", "InvalidCertificate"))


# ------------------------------------------------------------------ L01 with an ongoing transaction
async def _others_unavailable(csms: HarnessCsms, sut: Any, tx: CsTransaction, label: str) -> None:
    """The station sets its Available connectors Unavailable (L01.FR.07): those of the other EVSEs."""
    others = [(e, c) for e, c in connectors_of(sut) if e != tx.evse_id]
    with step(f"{label}: the station reports its other connectors Unavailable ({len(others)} connector(s))"):
        for connector in others:
            await cs_connectors_reported(csms, sut, "Unavailable", label=label, only=connector)


async def _not_activated(csms: HarnessCsms, sut: Any, label: str) -> None:
    """After Installing during a transaction, no activation (InstallRebooting, reboot, Installed) may come
    while the transaction is ongoing (L01.FR.06). Part 6 waits 30-60 s here; the window is no_message."""
    window = sut.timeouts.no_message
    with step(f"{label}: the transaction goes on; the OCTT waits {window:g} s (no activation meanwhile)"):
        try:
            got = await csms.expect(
                ("FirmwareStatusNotification", "BootNotification"),
                where=lambda p: "reason" in p or p.get("status") in ("InstallRebooting", "Installed"),
                timeout=window,
            )
        except SutTimeout:
            return
        what = (
            f"BootNotificationRequest ({got.payload.get('reason')})"
            if got.action == "BootNotification"
            else (f"FirmwareStatusNotificationRequest {got.payload.get('status')}")
        )
        check(
            False,
            f"step {label}: the station sent {what} while a transaction is ongoing: it may install, not"
            " activate new firmware before every transaction has ended (L01.FR.06)",
        )


async def _parking_bay_unoccupied(csms: HarnessCsms, actions: Any, tx: CsTransaction, label: str) -> None:
    """Reusable State ParkingBayUnoccupied with the states it needs first (StopAuthorized,
    EVConnectedPostSession, EVDisconnected). EVDisconnected's connector report is left to the installation
    steps: with an install pending the station may report the connector Unavailable (step 14) first; it
    must end Available."""
    await tx.ev_connected_post_session()  # runs StopAuthorized first
    with step(f"{label}: EVDisconnected, manual action: disconnect the EV and EVSE"):
        await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
        if tx.started and not tx.ended:
            got = await csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id,
                what="the transaction event for the cable unplugged (EVDisconnected step 3)",
            )
            check_equal(
                got.payload.get("triggerReason"),
                "EVCommunicationLost",
                "triggerReason (EVDisconnected step 3)",
            )
            tx.ended = got.payload.get("eventType") == "Ended"
    if "ParkingBayOccupancy" in tx.stop_points:
        with step(f"{label}: ParkingBayUnoccupied, manual action: drive the EV out of the parking bay"):
            await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})
            if not tx.ended:
                got = await csms.expect(
                    "TransactionEvent",
                    where=lambda p: p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id,
                    what="the transaction event for the EV leaving the parking bay",
                )
                check_equal(
                    got.payload.get("triggerReason"), "EVDeparted", "triggerReason (ParkingBayUnoccupied)"
                )
                check_equal(got.payload.get("eventType"), "Ended", "eventType (ParkingBayUnoccupied)")
                tx.ended = True


@case(
    "TC_L_15_CS",
    requirements=("L01.FR.01", "L01.FR.06", "L01.FR.07", "L01.FR.10", "L01.FR.20"),
    catches={"firmware-install-during-transaction": r"while a transaction is ongoing.*L01\.FR\.06"},
)
async def test_TC_L_15_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - Unable to install and activate firmware with ongoing transaction -
    AllowNewSessionsPendingFirmwareUpdate is false (L01.FR.06, L01.FR.07; NOT C-43 and AQ-7)."""
    good = firmware_material(sut).valid()
    await cs_precondition_booted(csms, sut)
    allow = setting("ChargingStation.AllowNewSessionsPendingFirmwareUpdate", False)
    async with configured(csms, [allow]):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        try:
            with step("Reusable State EnergyTransferStarted"):
                await tx.energy_transfer_started()
            async with firmware_server(csms) as server:
                location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
                update = await FirmwareUpdate.start(
                    csms, sut, server, "1-2", firmware(location, good, await station_now(csms))
                )
                await update.status("3-4", "Downloading")
                await update.status("5-6", "Downloaded")
                await update.status("7-8", "SignatureVerified")
                first = await update.status("9-10", "InstallScheduled", "Installing")
                await _others_unavailable(csms, sut, tx, "11-12")
                if first == "Installing":
                    await _not_activated(csms, sut, "12a")
                await _parking_bay_unoccupied(csms, actions, tx, "13")
                await update.install(14, installing=first == "Installing")
        except BaseException:
            if tx.ev_connected or tx.started:  # leave the station idle for the next case (best effort)
                with contextlib.suppress(Exception):
                    await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            raise


async def _leave_idle(csms: HarnessCsms, actions: Any, tx: CsTransaction) -> None:
    """After a failed case: end what is left of the transaction (best effort) so the next case finds the
    station idle, Part 6's general precondition."""
    if tx.ev_connected or tx.started:
        with contextlib.suppress(Exception):
            await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})


@case(
    "TC_L_16_CS",
    requirements=("L01.FR.01", "L01.FR.06", "L01.FR.10", "L01.FR.20"),
    catches={"firmware-c43-waits-for-transaction": STATUS_AT.format(label="9-10")},
)
async def test_TC_L_16_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - Able to update firmware with ongoing transaction (L01.FR.06, C-43).

    Reading (TC_L_16_CS): Part 6 has no step that ends the transaction; it is ended after the scenario
    (StopAuthorized, EVDisconnected), with the state's own validations, so the next case finds the station
    idle. The optional steps of the installation (connectors Unavailable and back, reboots) are accepted as
    in TC_L_01_CS."""
    good = firmware_material(sut).valid()
    await cs_precondition_booted(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    async with firmware_server(csms) as server:
        try:
            with step("Reusable State EnergyTransferStarted"):
                await tx.energy_transfer_started()
            location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
            update = await FirmwareUpdate.start(
                csms, sut, server, "1-2", firmware(location, good, await station_now(csms))
            )
            await update.status("3-4", "Downloading")
            await update.status("5-6", "Downloaded")
            await update.status("7-8", "SignatureVerified")
            await update.status("9-10", "Installing")
            await update.install(11, installing=True)
            if not tx.ended:
                with step("after the scenario: the transaction is ended (StopAuthorized, EVDisconnected)"):
                    await tx.ev_connected_post_session()
                    await tx.ev_disconnected()
        except BaseException:
            await _leave_idle(csms, actions, tx)
            raise


def _statuses(csms: HarnessCsms, update: FirmwareUpdate, before: int | None = None) -> list[str]:
    """The statuses the station reported for `update` so far (up to history position `before`)."""
    return [
        str(r.payload.get("status"))
        for r in csms.history()[:before]
        if r.action == "FirmwareStatusNotification" and r.payload.get("requestId") == update.request_id
    ]


def _no_download_before(
    csms: HarnessCsms, update: FirmwareUpdate, label: str, before: int | None = None
) -> None:
    """NOT AQ-7 (TC_L_12_CS / TC_L_13_CS): before the transactions have ended (history position `before`,
    default now) the station may report DownloadScheduled, nothing further (Part 6 orders Downloading after
    ParkingBayUnoccupied)."""
    early = [s for s in _statuses(csms, update, before) if s != "DownloadScheduled"]
    check(
        not early,
        f"step {label}: FirmwareStatusNotificationRequest {', '.join(early)} while a transaction is ongoing:"
        " a station unable to download firmware during a transaction (NOT AQ-7) downloads once it has"
        " ended (L01.FR.06)",
    )


def _ended_at(csms: HarnessCsms, tx: CsTransaction) -> int | None:
    """History position of the TransactionEvent Ended of `tx` (None if none was received)."""
    for position, received in enumerate(csms.history()):
        info = received.payload.get("transactionInfo", {})
        if (
            received.action == "TransactionEvent"
            and received.payload.get("eventType") == "Ended"
            and info.get("transactionId") == tx.transaction_id
        ):
            return position
    return None


async def _downloads_after(update: FirmwareUpdate, first: int) -> None:
    """Steps first .. first+5: Downloading, Downloaded, SignatureVerified, after an optional late
    DownloadScheduled (a station may send it at any time before downloading)."""
    label = f"{first}-{first + 1}"
    scheduled = "DownloadScheduled" in update.seen
    got = await update.status(label, "Downloading", *(() if scheduled else ("DownloadScheduled",)))
    if got == "DownloadScheduled":
        await update.status(label, "Downloading")
    await update.status(f"{first + 2}-{first + 3}", "Downloaded")
    await update.status(f"{first + 4}-{first + 5}", "SignatureVerified")


@case(
    "TC_L_13_CS",
    requirements=("L01.FR.01", "L01.FR.06", "L01.FR.07", "L01.FR.10", "L01.FR.20"),
    catches={"firmware-download-during-transaction": r"while a transaction is ongoing.*NOT AQ-7"},
)
async def test_TC_L_13_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - Unable to download/install firmware with ongoing transaction -
    AllowNewSessionsPendingFirmwareUpdate is false (L01.FR.06, L01.FR.07; NOT C-43 and NOT AQ-7).

    Readings (TC_L_13_CS): step 3 (DownloadScheduled) is optional, so it is accepted whenever it comes
    before Downloading; what may not come is any further status before the transaction has ended (step 8
    follows step 7), checked on the order the station's messages arrived in."""
    good = firmware_material(sut).valid()
    await cs_precondition_booted(csms, sut)
    allow = setting("ChargingStation.AllowNewSessionsPendingFirmwareUpdate", False)
    async with configured(csms, [allow]):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        async with firmware_server(csms) as server:
            try:
                with step("Reusable State EnergyTransferStarted"):
                    await tx.energy_transfer_started()
                location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
                update = await FirmwareUpdate.start(
                    csms, sut, server, "1-2", firmware(location, good, await station_now(csms))
                )
                await _others_unavailable(csms, sut, tx, "5-6")
                _no_download_before(csms, update, "3-6")
                if "DownloadScheduled" in _statuses(csms, update):
                    await update.status("3-4", "DownloadScheduled")  # optional: accepted when it came
                await _parking_bay_unoccupied(csms, actions, tx, "7")
                _no_download_before(csms, update, "7", _ended_at(csms, tx))
                await _downloads_after(update, 8)
                await update.install(14)
            except BaseException:
                await _leave_idle(csms, actions, tx)
                raise


def _second_connector(sut: Any, tx: CsTransaction) -> tuple[int, int]:
    """<Configured second Connector>: the first connector of another EVSE (HFS-8 > 1)."""
    others = [(e, c) for e, c in connectors_of(sut) if e != tx.evse_id]
    if not others:
        pytest.skip("the SUT description names one EVSE; TC_L_12_CS / TC_L_14_CS need a second (HFS-8 > 1)")
    return others[0]


@contextlib.asynccontextmanager
async def _firmware_update_during_a_transaction(
    csms: HarnessCsms, sut: Any, actions: Any, first: str
) -> AsyncIterator[tuple[CsTransaction, CsTransaction, FirmwareUpdate]]:
    """TC_L_12/14_CS before and steps 1-2: AllowNewSessionsPendingFirmwareUpdate true (if implemented), a
    transaction in EnergyTransferStarted on `first`, a second connector prepared, and the UpdateFirmware
    sent; yields (first transaction, second transaction, update). A failure leaves both connectors idle."""
    good = firmware_material(sut).valid()
    await cs_precondition_booted(csms, sut)
    allow = setting("ChargingStation.AllowNewSessionsPendingFirmwareUpdate", True, only_if_writable=True)
    async with configured(csms, [allow]):
        tx = CsTransaction(csms, sut, actions)
        evse_id, connector_id = _second_connector(sut, tx)
        second = CsTransaction(csms, sut, actions, evse_id=evse_id, connector_id=connector_id)
        await tx.prepare()
        await second.prepare()
        async with firmware_server(csms) as server:
            try:
                with step(f"Reusable State EnergyTransferStarted for {first}"):
                    await tx.energy_transfer_started()
                location = good.place(server, f"/firmware/ocpp-conformance-{VERSION}.bin")
                update = await FirmwareUpdate.start(
                    csms, sut, server, "1-2", firmware(location, good, await station_now(csms))
                )
                yield tx, second, update
            except BaseException:
                await _leave_idle(csms, actions, tx)
                await _leave_idle(csms, actions, second)
                raise


@case(
    "TC_L_12_CS",
    requirements=("L01.FR.01", "L01.FR.06", "L01.FR.07", "L01.FR.10", "L01.FR.20"),
    catches={"firmware-download-during-transaction": STATUS_AT.format(label="3-4")},
)
async def test_TC_L_12_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - Unable to download/install firmware with ongoing transaction -
    AllowNewSessionsPendingFirmwareUpdate is true (L01.FR.06, L01.FR.07; C-20, NOT C-43, NOT AQ-7, HFS-8 > 1).

    Readings (TC_L_12_CS): unlike TC_L_13_CS, step 3 (DownloadScheduled) carries no "optional" note and is a
    tool validation, so it is required, before Downloading. No status beyond it may come before the second
    transaction has ended (step 8 follows step 7). "(If implemented)": a station that rejects the setting
    runs the case without it (C-20 makes the case applicable only where it is implemented)."""
    during = _firmware_update_during_a_transaction(csms, sut, actions, "<Configured connectorId>")
    async with during as (tx, second, update):
        await update.status("3-4", "DownloadScheduled")
        with step("5: Reusable State EnergyTransferStarted for <Configured second Connector>"):
            await second.energy_transfer_started()
        await _parking_bay_unoccupied(csms, actions, tx, "6")
        _no_download_before(csms, update, "6")
        await _parking_bay_unoccupied(csms, actions, second, "7")
        _no_download_before(csms, update, "7", _ended_at(csms, second))
        await _downloads_after(update, 8)
        await update.install(14)


@case(
    "TC_L_14_CS",
    requirements=("L01.FR.01", "L01.FR.06", "L01.FR.07", "L01.FR.10", "L01.FR.20"),
    catches={"firmware-install-during-transaction": r"while a transaction is ongoing.*L01\.FR\.06"},
)
async def test_TC_L_14_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - Unable to install and activate firmware with ongoing transaction -
    AllowNewSessionsPendingFirmwareUpdate is true (L01.FR.06, L01.FR.07; C-20, NOT C-43, AQ-7, HFS-8 > 1).

    Readings (TC_L_14_CS): step 11a's 30-60 s wait is sut.timeouts.no_message, as in TC_L_15_CS; no
    activation (InstallRebooting, Installed, a BootNotification) may come before the second transaction
    has ended, checked on the order the station's messages arrived in."""
    during = _firmware_update_during_a_transaction(csms, sut, actions, "EVSEId 1 and ConnectorId 1")
    async with during as (tx, second, update):
        await update.status("3-4", "Downloading")
        await update.status("5-6", "Downloaded")
        await update.status("7-8", "SignatureVerified")
        first = await update.status("9-10", "InstallScheduled", "Installing")
        with step("11: Reusable State EnergyTransferStarted for <Configured second Connector>"):
            try:
                await second.energy_transfer_started()
            except (ConformanceFailure, SutTimeout):
                _not_activated_before(csms, update, "11")  # an activation meanwhile is the cause
                raise
        _not_activated_before(csms, update, "11")
        if first == "Installing":
            await _not_activated(csms, sut, "11a")
        await _parking_bay_unoccupied(csms, actions, tx, "12")
        _not_activated_before(csms, update, "12")
        await _parking_bay_unoccupied(csms, actions, second, "13")
        _not_activated_before(csms, update, "13", _ended_at(csms, second))
        await update.install(14, installing=first == "Installing")


def _not_activated_before(
    csms: HarnessCsms, update: FirmwareUpdate, label: str, before: int | None = None
) -> None:
    """No activation (InstallRebooting, Installed, a BootNotification) up to history position `before`
    (default now): the transactions are not all over yet (L01.FR.06)."""
    since = next(
        (
            i
            for i, r in enumerate(csms.history())
            if r.action == "FirmwareStatusNotification" and r.payload.get("requestId") == update.request_id
        ),
        0,
    )
    early = [
        f"BootNotificationRequest ({r.payload.get('reason')})"
        if r.action == "BootNotification"
        else f"FirmwareStatusNotificationRequest {r.payload.get('status')}"
        for r in csms.history()[since:before]
        if r.action == "BootNotification"
        or (
            r.action == "FirmwareStatusNotification"
            and r.payload.get("status") in ("InstallRebooting", "Installed")
        )
    ]
    check(
        not early,
        f"step {label}: the station sent {', '.join(early)} while a transaction is ongoing: it may install,"
        " not activate new firmware before every transaction has ended (L01.FR.06)",
    )

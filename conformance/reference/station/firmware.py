"""Block L of the reference station: secure firmware update (L01, TC_L_01_CS ... TC_L_18_CS).

The download is simulated (this station has no file system to flash): the "image" is the UTF-8 of
`firmware.location`, so a lab signs the location string with the signing certificate's key and the
signature check (L01.FR.03) is a real `cryptography` verification. Lab conventions, after Part 6:
a location ending in `_does_not_exist` fails to download (TC_L_07_CS), one ending in
`_install_fails` fails to install (TC_L_08_CS). Every wait runs on the station clock, so
`advance_clock` reaches retrieveDateTime / installDateTime at once.

An `http://` location gets a real download instead (HTTP/1.1 GET, 200 required; the harness serves the
image on 127.0.0.1): the signature is then verified over the bytes served, and installing checks the
image's format (IMAGE_MAGIC, then a `version:` line): a signed image this station cannot install fails
with InstallVerificationFailed (TC_L_08_CS); a good one's version is reported in the next
BootNotification.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import urllib.parse
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from conformance.reference.station import certificates
from conformance.reference.station.device_model import ComponentKey, VariableKey

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

# Once installation has begun the update can no longer be cancelled (L01.FR.27 / TC_L_11_CS).
_UNCANCELLABLE = ("Installing", "InstallRebooting")
IDLE_POLL = 0.02  # real seconds between checks for "all transactions ended" (L01.FR.06)
HTTP_TIMEOUT = 10.0  # seconds for one real download attempt (connect, request, whole answer)
IMAGE_MAGIC = b"OCPP-CONFORMANCE-FIRMWARE/1\n"  # first line of an image this station can install


@dataclass(frozen=True)
class Image:
    data: bytes
    simulated: bool  # the location's UTF-8 (no real download): no format to verify


@dataclass
class FirmwareJob:
    request_id: int
    firmware: dict[str, Any]
    retries: int
    retry_interval: int
    status: str = "Idle"
    task: asyncio.Task[None] | None = field(default=None, repr=False)


@dataclass
class FirmwareState:
    job: FirmwareJob | None = None
    history: list[tuple[int, str]] = field(default_factory=list)  # (requestId, status) as sent
    installed_location: str | None = None
    installed_version: str | None = None  # from the last installed real image (BootNotification)
    blocked: set[int] = field(default_factory=set)  # EVSEs kept Unavailable for a pending install


_STATES: weakref.WeakKeyDictionary[StationCore, FirmwareState] = weakref.WeakKeyDictionary()


def state(st: StationCore) -> FirmwareState:
    found = _STATES.get(st)
    if found is None:
        found = _STATES[st] = FirmwareState()
    return found


def current_status(st: StationCore) -> dict[str, Any]:
    """For TriggerMessage(FirmwareStatusNotification): Idle, or the job's last status and requestId."""
    job = state(st).job
    if job is None or job.task is None or job.task.done():
        return {"status": "Idle"}
    return {"status": job.status, "requestId": job.request_id}


def _notify(st: StationCore, job: FirmwareJob, status: str) -> None:
    job.status = status
    payload: dict[str, Any] = {"status": status}
    if not st.is_mutant("firmware-status-no-request-id"):  # L01.FR.20 broken on purpose when on
        payload["requestId"] = job.request_id
    state(st).history.append((job.request_id, status))
    # Queued across the reboot: the Installed after InstallRebooting goes out once booted again.
    st.outbox.post("FirmwareStatusNotification", payload, queue_offline=True)


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _verify_signature(cert_pem: str, signature_b64: str, image: bytes) -> bool:
    cert = certificates.parse_pem(cert_pem)
    if cert is None:
        return False
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, image, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, image, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _signing_cert_status(st: StationCore, pem: str) -> str:
    """L01.FR.02: the signing certificate must parse, be valid now, and chain to a Manufacturer root
    when the station has one installed."""
    cert = certificates.parse_pem(pem)
    if cert is None or not certificates.currently_valid(cert, st.clock.now_dt()):
        return "InvalidCertificate"
    roots = [i.cert for i in certificates.store(st).installed if i.use == "ManufacturerRootCertificate"]
    if roots and not any(certificates.issued_by(cert, root) for root in roots):
        return "InvalidCertificate"
    return "Accepted"


def _vendor_switch(st: StationCore, name: str, default: bool) -> bool:
    """Vendor switches a SUT description sets on component ReferenceStation (tests/descriptions):
    FirmwareCancel (C-60), FirmwareDownloadDuringTransaction (AQ-7),
    FirmwareInstallDuringTransaction (C-43)."""
    try:
        value = st.dm.get("ReferenceStation", name).strip().lower()
    except KeyError:
        return default
    return value == "true" if value in ("true", "false") else default


def _reboot_required(st: StationCore) -> bool:
    """Activation reboots unless a lab sets FirmwareCtrlr/RebootRequired=false in the device model."""
    var = st.dm.variable(ComponentKey("FirmwareCtrlr"), VariableKey("RebootRequired"))
    return var is None or var.read().lower() != "false"


# -- L01 UpdateFirmware ------------------------------------------------------------------------------
def update_firmware(st: StationCore, req: dict[str, Any]) -> tuple[str, FirmwareJob | None]:
    """The UpdateFirmwareResponse status, and the job to start once the response has been sent."""
    firmware = dict(req["firmware"])
    pem, signature = firmware.get("signingCertificate"), firmware.get("signature")
    unsigned = not pem or not signature
    if unsigned and st.is_mutant("firmware-unsigned-accepted"):
        pass  # TC_L_18_CS broken on purpose: a non-secure update is accepted and installed unverified
    elif unsigned:
        return "Rejected", None  # only secure updates (TC_L_18_CS: Rejected or InvalidCertificate)
    cert_status = "Accepted" if unsigned else _signing_cert_status(st, str(pem))
    if cert_status != "Accepted" and not st.is_mutant("firmware-certificate-unchecked"):
        st.security_event("InvalidFirmwareSigningCertificate")  # L01.FR.02 / TC_L_05_CS
        return cert_status, None
    fw = state(st)
    status = "Accepted"
    running = fw.job
    if running is not None and running.task is not None and not running.task.done():
        if running.status in _UNCANCELLABLE:
            return "Rejected", None  # L01.FR.27
        cancels = _vendor_switch(st, "FirmwareCancel", True) or st.is_mutant("firmware-cancel-unsupported")
        if not cancels:
            return "Rejected", None  # NOT C-60 (TC_L_11_CS): the ongoing update goes on
        running.task.cancel()  # L01.FR.24: the new request replaces the ongoing one
        status = "AcceptedCanceled"
    request_id = int(req["requestId"])
    keeps_id = st.is_mutant("firmware-cancel-keeps-request-id")
    if running is not None and status == "AcceptedCanceled" and keeps_id:
        request_id = running.request_id  # TC_L_10_CS broken on purpose: statuses go on under the old id
    job = FirmwareJob(
        request_id=request_id,
        firmware=firmware,
        retries=int(req.get("retries", 0)),
        retry_interval=int(req.get("retryInterval", 0)),
    )
    fw.job = job
    return status, job


def start(st: StationCore, job: FirmwareJob) -> None:
    if state(st).job is job:
        job.task = st.spawn(_run(st, job))


async def _download(st: StationCore, location: str) -> Image | None:
    schemes = [p.strip().lower() for p in st.dm.get("OCPPCommCtrlr", "FileTransferProtocols").split(",")]
    scheme = location.split("://", 1)[0].lower() if "://" in location else ""
    if scheme not in schemes:
        return None
    if scheme == "http":
        data = await _http_get(location, accept_any_status=st.is_mutant("firmware-http-status-ignored"))
        return None if data is None else Image(data, simulated=False)
    if location.endswith("_does_not_exist"):
        return None
    return Image(location.encode(), simulated=True)


async def _http_get(url: str, *, accept_any_status: bool = False) -> bytes | None:
    """One real HTTP/1.1 GET; the body of a 200 answer, else None. Cancellable (L01.FR.24)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(HTTP_TIMEOUT):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            status_line = (await reader.readline()).decode("latin-1").split()
            while (await reader.readline()).strip():
                pass  # headers: the body runs to the end of the connection (Connection: close)
            body = await reader.read()
        # A 404 page is not the firmware (TC_L_07_CS); the mutant takes whatever the server sent.
        ok = len(status_line) >= 2 and status_line[1] == "200"
        return body if ok or accept_any_status else None
    except (OSError, TimeoutError, ValueError):
        return None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def image_version(data: bytes) -> str | None:
    """The version of an image this station can install (IMAGE_MAGIC, then `version: X`), else None."""
    if not data.startswith(IMAGE_MAGIC):
        return None
    line = data[len(IMAGE_MAGIC) :].split(b"\n", 1)[0].decode("utf-8", "replace")
    key, _, value = line.partition(":")
    return value.strip() or None if key.strip() == "version" else None


async def _run(st: StationCore, job: FirmwareJob) -> None:
    fw = job.firmware
    location = str(fw["location"])
    retrieve_at = _parse_time(fw.get("retrieveDateTime"))
    if st.is_mutant("firmware-retrieve-time-ignored"):
        retrieve_at = None  # TC_L_03_CS broken on purpose: downloads at once
    if retrieve_at is not None and retrieve_at > st.clock.now():
        _notify(st, job, "DownloadScheduled")  # TC_L_03_CS
        await st.clock.sleep_until(retrieve_at)
    if not _vendor_switch(st, "FirmwareDownloadDuringTransaction", True):
        # NOT AQ-7 (TC_L_12_CS / TC_L_13_CS): neither download nor install while a transaction runs.
        await _wait_until_idle(st, job, "DownloadScheduled", "firmware-download-during-transaction")
    image: Image | None = None
    for attempt in range(job.retries + 1):
        _notify(st, job, "Downloading")
        image = await _download(st, location)
        if image is not None:
            break
        if attempt < job.retries:
            await st.clock.sleep(job.retry_interval)
    if image is None:
        _notify(st, job, "DownloadFailed")  # TC_L_07_CS
        st.report_all_connectors(force=False)  # EVSEs a NOT AQ-7 wait kept Unavailable are available again
        return
    _notify(st, job, "Downloaded")
    unsigned = not fw.get("signingCertificate") or not fw.get("signature")  # only with a mutant
    verified = not unsigned and _verify_signature(
        str(fw["signingCertificate"]), str(fw["signature"]), image.data
    )
    if not verified and not unsigned and not st.is_mutant("firmware-signature-unchecked"):
        _notify(st, job, "InvalidSignature")  # L01.FR.03 / TC_L_06_CS
        st.security_event("InvalidFirmwareSignature")
        st.report_all_connectors(force=False)  # as after DownloadFailed
        return
    _notify(st, job, "SignatureVerified")
    install_at = _parse_time(fw.get("installDateTime"))
    if st.is_mutant("firmware-install-time-ignored"):
        install_at = None  # TC_L_02_CS broken on purpose: installs at once
    if install_at is not None and install_at > st.clock.now():
        _notify(st, job, "InstallScheduled")  # TC_L_02_CS
        await st.clock.sleep_until(install_at)
    if not _vendor_switch(st, "FirmwareInstallDuringTransaction", False):  # C-43 (TC_L_16_CS) when true
        await _wait_until_idle(st, job, "InstallScheduled", "firmware-install-during-transaction")
    elif st.is_mutant("firmware-c43-waits-for-transaction"):
        await _wait_until_idle(st, job, "InstallScheduled", "")  # TC_L_16_CS broken on purpose
    await _install(st, job, location, image)


async def _until_detached(st: StationCore) -> None:
    """The old connection's outbox closes in the reader task; posting before that would send the
    queued Installed on the dying socket (a CallFailed and a retry interval instead of a resend)."""
    deadline = asyncio.get_running_loop().time() + st.config.response_timeout
    while st.outbox.is_open and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(IDLE_POLL)


def _busy(st: StationCore) -> bool:
    return any(e.tx is not None for e in st.evses.values())


def blocks_sessions(st: StationCore, evse_id: int) -> bool:
    """Is this EVSE Unavailable because an install waits for the other EVSEs' transactions (L01.FR.07)?"""
    found = _STATES.get(st)
    return found is not None and evse_id in found.blocked


def _new_sessions_allowed(st: StationCore) -> bool:
    key = VariableKey("AllowNewSessionsPendingFirmwareUpdate")
    var = st.dm.variable(ComponentKey("ChargingStation"), key)
    return var is not None and var.read().lower() == "true"


async def _wait_until_idle(st: StationCore, job: FirmwareJob, notice: str, mutant: str) -> None:
    """L01.FR.06: install only once every transaction has ended (TC_L_12_CS ... TC_L_15_CS); meanwhile,
    unless AllowNewSessionsPendingFirmwareUpdate is true, EVSEs without a transaction are Unavailable
    (L01.FR.07, TC_L_13_CS / TC_L_15_CS step 5 / 11)."""
    if (mutant and st.is_mutant(mutant)) or not _busy(st):
        return
    if job.status != notice:
        _notify(st, job, notice)
    fw = state(st)
    if not _new_sessions_allowed(st):
        fw.blocked = {e.evse_id for e in st.evses.values() if e.tx is None}
        st.report_all_connectors(force=False)
    try:
        while _busy(st):  # noqa: ASYNC110 -- transactions end on CSMS/driver events; a bounded-step poll
            await asyncio.sleep(IDLE_POLL)
    except asyncio.CancelledError:
        fw.blocked = set()  # a new UpdateFirmware replaced this one: the EVSEs are available again
        st.report_all_connectors(force=False)
        raise
    # Unblocked without a report: _install makes every connector Unavailable next (no Available flicker).
    fw.blocked = set()


async def _install(st: StationCore, job: FirmwareJob, location: str, image: Image) -> None:
    was_operative = st.operative
    hot = _busy(st) and _vendor_switch(st, "FirmwareInstallDuringTransaction", False)  # C-43
    if not hot:  # C-43 (TC_L_16_CS): the transaction goes on, its connector and the others as they are
        st.operative = False  # connectors Unavailable while installing (TC_L_01_CS step 9, optional)
    st.report_all_connectors(force=False)
    _notify(st, job, "Installing")
    version = None if image.simulated else image_version(image.data)
    unverified = not image.simulated and version is None
    if unverified and not st.is_mutant("firmware-install-unverified"):
        st.operative = was_operative
        st.report_all_connectors(force=False)
        _notify(st, job, "InstallVerificationFailed")  # TC_L_08_CS: not an image for this station
        return
    if location.endswith("_install_fails"):
        st.operative = was_operative
        st.report_all_connectors(force=False)
        _notify(st, job, "InstallationFailed")  # TC_L_08_CS
        return
    st.operative = was_operative  # restored before the reboot: the boot reports Available (step 16)
    state(st).installed_location = location
    if version is not None:
        state(st).installed_version = version  # reported by the next BootNotification (issue 3)
    if hot:
        # C-43 (TC_L_16_CS): activated without a reboot, so the transaction goes on; the station reconnects
        # to re-establish the protocol version handshake (step 11), then reports Installed (step 12-15).
        with contextlib.suppress(Exception):
            await st.outbox.drain(st.config.response_timeout)  # what was reported goes out first
            await st.drop_connection()
        await _until_detached(st)
        _notify(st, job, "Installed")
        if not st.is_mutant("firmware-updated-event-missing"):
            st.security_events.append("FirmwareUpdated")
            st.outbox.post(
                "SecurityEventNotification",
                {"type": "FirmwareUpdated", "timestamp": st.timestamp()},
                queue_offline=True,
            )
        return
    if _reboot_required(st):
        _notify(st, job, "InstallRebooting")
        # RebootBeforeFirmwareActivation step 3: reason FirmwareUpdate (a mutant says PowerUp).
        reason = "PowerUp" if st.is_mutant("firmware-boot-reason-wrong") else "FirmwareUpdate"
        with contextlib.suppress(Exception):
            await st.reboot(reason)  # drains the queue first, then drops the connection
        await _until_detached(st)
        # Queued while rebooting: sent once the new BootNotification has been Accepted (step 15-21).
        _notify(st, job, "Installed")
        if st.is_mutant("firmware-updated-event-missing"):
            return  # TC_L_01_CS step 20 broken on purpose
        st.security_events.append("FirmwareUpdated")
        st.outbox.post(
            "SecurityEventNotification",
            {"type": "FirmwareUpdated", "timestamp": st.timestamp()},
            queue_offline=True,
        )
        return
    st.report_all_connectors(force=False)
    _notify(st, job, "Installed")
    if not st.is_mutant("firmware-updated-event-missing"):
        st.security_event("FirmwareUpdated")

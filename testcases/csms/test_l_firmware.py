"""Block L, Firmware Management: CSMS under test (Part 6 section 3.13).

The harness's station answers the CSMS's UpdateFirmwareRequest and walks the firmware status sequence
each case lists. Every case reads the request the CSMS sent (the requestId it chose is echoed in the
FirmwareStatusNotificationRequests) and, since use case L01 is the *secure* update, checks that it
carries the configured signingCertificate and signature (the tool validation of TC_L_01_CSMS and
TC_L_13_CSMS; for the other L01 cases it is their description's premise, read the same way).

TC_L_02_CSMS / TC_L_03_CSMS (C-15): the operator asks for an installDateTime / retrieveDateTime an hour
ahead; the tool validation "a dateTime in the future" is checked against the harness's clock when the
request arrives. The harness's station does not wait for that time before the next status (Part 6's note
describes the station; the CSMS cannot tell when the station's clock reached it).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.session.endpoints import HarnessStation
from conformance.session.session import ReceivedCall
from conformance.session.states import csms as states
from conformance.session.states.common import now
from conformance.testing import case, check, check_equal, step

FIRMWARE_LOCATION = "https://firmware.ocpp-conformance.invalid/reference-station-0.2.0.bin"
UNSIGNED = r"UpdateFirmwareRequest\.firmware\.signingCertificate"
BOOT_NOT_ACCEPTED = r"BootNotificationResponse\.status \(TC_L_\d\d_CSMS step \d+\): expected 'Accepted'"
FAILURE_CALLERROR = r"answered FirmwareStatusNotificationRequest with CALLERROR InternalError"


@functools.cache
def signing_material() -> tuple[str, str]:
    """<Configured signingCertificate> (PEM) and <Configured signature> (base64) of a firmware image."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ocpp-conformance firmware signing")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    signature = key.sign(b"ocpp-conformance firmware image 0.2.0", ec.ECDSA(hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode(), base64.b64encode(signature).decode()


def _pem(value: Any) -> str:
    return "\n".join(line.strip() for line in str(value).strip().splitlines())


def firmware_request(request_id: int, **firmware: str) -> dict[str, Any]:
    """The UpdateFirmwareRequest the operator is asked to make (a real CSMS fills in its own values)."""
    certificate, signature = signing_material()
    body = {
        "location": FIRMWARE_LOCATION,
        "retrieveDateTime": now(),
        "signingCertificate": certificate,
        "signature": signature,
        **firmware,
    }
    return {"requestId": request_id, "firmware": body}


async def update_firmware(
    station: HarnessStation, actions: Any, request_id: int, answer: str, title: str, **firmware: str
) -> ReceivedCall:
    """The CSMS sends UpdateFirmwareRequest (the operator asks for `firmware` fields beyond the defaults);
    the harness's station answers `answer`."""
    with step(title):
        station.on("UpdateFirmware", {"status": answer})
        received, task = await states.operator_request(
            station, actions, "UpdateFirmware", firmware_request(request_id, **firmware)
        )
        certificate, signature = signing_material()
        firmware = received.payload.get("firmware", {})
        check(
            _pem(firmware.get("signingCertificate", "")) == _pem(certificate),
            "UpdateFirmwareRequest.firmware.signingCertificate must be the configured signing certificate"
            f" (L01 secure firmware update), got {str(firmware.get('signingCertificate'))[:40]!r}",
        )
        check_equal(
            firmware.get("signature"), signature, "UpdateFirmwareRequest.firmware.signature (L01, configured)"
        )
        await states.operator_done(station, task)
    return received


class FirmwareWalk:
    """The station's side of one firmware update: numbered FirmwareStatusNotification steps."""

    def __init__(self, station: HarnessStation, sut: Any, case_id: str, request: ReceivedCall) -> None:
        self.station, self.sut, self.case_id = station, sut, case_id
        self.request_id = int(request.payload["requestId"])

    async def status(self, number: int, status: str) -> None:
        with step(f"{number}-{number + 1}: the OCTT sends FirmwareStatusNotificationRequest {status}"):
            await self.station.call_ok(
                "FirmwareStatusNotification", {"status": status, "requestId": self.request_id}
            )

    async def statuses(self, first: int, *statuses: str) -> int:
        for offset, status in enumerate(statuses):
            await self.status(first + 2 * offset, status)
        return first + 2 * len(statuses)

    async def reboot(self, number: int) -> int:
        """BootNotificationRequest reason FirmwareUpdate (after a reconnect: the station rebooted), then
        every connector Available; returns the next step number."""
        with step(f"{number}-{number + 1}: the OCTT reboots; BootNotificationRequest FirmwareUpdate"):
            await self.station.reconnect()
            identity = self.sut.sut
            response = await self.station.call_ok(
                "BootNotification",
                {
                    "reason": "FirmwareUpdate",
                    "chargingStation": {
                        "model": identity.model,
                        "vendorName": identity.vendor_name,
                        "firmwareVersion": "0.2.0",
                    },
                },
            )
            check_equal(
                response.get("status"),
                "Accepted",
                f"BootNotificationResponse.status ({self.case_id} step {number + 1})",
            )
        with step(f"{number + 2}-{number + 3}: the OCTT reports every connector Available"):
            await states.notify_connectors(self.station, self.sut, "Available")
        return number + 4


def _in_an_hour() -> str:
    t = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def check_future(received: ReceivedCall, field: str, case_id: str) -> None:
    """Tool validation step 1 of TC_L_02_CSMS / TC_L_03_CSMS: the scheduled time is in the future."""
    value = received.payload.get("firmware", {}).get(field)
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        when = None
    check(
        when is not None and when.tzinfo is not None and when > dt.datetime.now(dt.UTC),
        f"UpdateFirmwareRequest.firmware.{field} must be a dateTime in the future ({case_id} step 1,"
        f" C-15 scheduled firmware update), got {value!r}",
    )


async def _started(
    station: HarnessStation, sut: Any, actions: Any, case_id: str, answer: str
) -> FirmwareWalk:
    await states.csms_booted(station, sut)
    request = await update_firmware(
        station, actions, 1, answer, f"1-2: the CSMS sends UpdateFirmwareRequest; the OCTT answers {answer}"
    )
    return FirmwareWalk(station, sut, case_id, request)


@case(
    "TC_L_01_CSMS",
    requirements=("L01.FR.01", "L01.FR.11", "L01.FR.15"),
    catches={"update-firmware-unsigned": UNSIGNED, "firmware-boot-pending": BOOT_NOT_ACCEPTED},
)
async def test_TC_L_01_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - Installation successful."""
    walk = await _started(station, sut, actions, "TC_L_01_CSMS", "Accepted")
    number = await walk.statuses(3, "Downloading", "Downloaded", "SignatureVerified", "Installing")
    number = await walk.statuses(number, "InstallRebooting")
    number = await walk.reboot(number)
    await walk.status(number, "Installed")


@case("TC_L_04_CSMS", requirements=("L01.FR.01",), catches={"update-firmware-unsigned": UNSIGNED})
async def test_TC_L_04_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - RevokedCertificate: the station refuses the signing certificate."""
    await _started(station, sut, actions, "TC_L_04_CSMS", "RevokedCertificate")


@case("TC_L_05_CSMS", requirements=("L01.FR.01",), catches={"update-firmware-unsigned": UNSIGNED})
async def test_TC_L_05_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - InvalidCertificate, then the security event."""
    await _started(station, sut, actions, "TC_L_05_CSMS", "InvalidCertificate")
    with step("3-4: the OCTT sends SecurityEventNotificationRequest InvalidFirmwareSigningCertificate"):
        await station.call_ok(
            "SecurityEventNotification", {"type": "InvalidFirmwareSigningCertificate", "timestamp": now()}
        )


@case(
    "TC_L_06_CSMS",
    requirements=("L01.FR.01", "L01.FR.11"),
    catches={"update-firmware-unsigned": UNSIGNED, "firmware-failure-callerror": FAILURE_CALLERROR},
)
async def test_TC_L_06_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - InvalidSignature, then the security event."""
    walk = await _started(station, sut, actions, "TC_L_06_CSMS", "Accepted")
    await walk.statuses(3, "Downloading", "Downloaded", "InvalidSignature")
    with step("9-10: the OCTT sends SecurityEventNotificationRequest InvalidFirmwareSignature"):
        await station.call_ok(
            "SecurityEventNotification", {"type": "InvalidFirmwareSignature", "timestamp": now()}
        )


@case(
    "TC_L_07_CSMS",
    requirements=("L01.FR.01", "L01.FR.11"),
    catches={"update-firmware-unsigned": UNSIGNED, "firmware-failure-callerror": FAILURE_CALLERROR},
)
async def test_TC_L_07_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - DownloadFailed."""
    walk = await _started(station, sut, actions, "TC_L_07_CSMS", "Accepted")
    await walk.statuses(3, "Downloading", "DownloadFailed")


@case(
    "TC_L_08_CSMS",
    requirements=("L01.FR.01", "L01.FR.11"),
    catches={"update-firmware-unsigned": UNSIGNED, "firmware-failure-callerror": FAILURE_CALLERROR},
)
async def test_TC_L_08_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - InstallVerificationFailed."""
    walk = await _started(station, sut, actions, "TC_L_08_CSMS", "Accepted")
    await walk.statuses(
        3, "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallVerificationFailed"
    )


@case(
    "TC_L_09_CSMS",
    requirements=("L01.FR.01", "L01.FR.11"),
    catches={
        "update-firmware-unsigned": UNSIGNED,
        "firmware-boot-pending": BOOT_NOT_ACCEPTED,
        "firmware-failure-callerror": FAILURE_CALLERROR,
    },
)
async def test_TC_L_09_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - InstallationFailed (reported after the reboot)."""
    walk = await _started(station, sut, actions, "TC_L_09_CSMS", "Accepted")
    number = await walk.statuses(
        3, "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"
    )
    number = await walk.reboot(number)
    await walk.status(number, "InstallationFailed")


@case(
    "TC_L_10_CSMS",
    requirements=("L01.FR.01", "L01.FR.11", "L01.FR.24"),
    catches={"update-firmware-unsigned": UNSIGNED, "firmware-boot-pending": BOOT_NOT_ACCEPTED},
)
async def test_TC_L_10_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - AcceptedCanceled: a second update replaces the ongoing one."""
    walk = await _started(station, sut, actions, "TC_L_10_CSMS", "Accepted")
    await walk.status(3, "Downloading")
    second = await update_firmware(
        station,
        actions,
        2,
        "AcceptedCanceled",
        "5-6: the CSMS sends a second UpdateFirmwareRequest; the OCTT answers AcceptedCanceled",
    )
    walk = FirmwareWalk(station, sut, "TC_L_10_CSMS", second)  # from now on the new update's requestId
    number = await walk.statuses(
        7, "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"
    )
    number = await walk.reboot(number)
    await walk.status(number, "Installed")


@case(
    "TC_L_11_CSMS",
    requirements=("L01.FR.01", "L01.FR.11", "L01.FR.27"),
    catches={"update-firmware-unsigned": UNSIGNED, "firmware-boot-pending": BOOT_NOT_ACCEPTED},
)
async def test_TC_L_11_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - Unable to cancel: the ongoing update goes on."""
    walk = await _started(station, sut, actions, "TC_L_11_CSMS", "Accepted")
    await walk.status(3, "Downloading")
    await update_firmware(
        station,
        actions,
        2,
        "Rejected",
        "5-6: the CSMS sends a second UpdateFirmwareRequest; the OCTT answers Rejected",
    )
    number = await walk.statuses(7, "Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
    number = await walk.reboot(number)
    await walk.status(number, "Installed")


@case(
    "TC_L_13_CSMS",
    requirements=("L01.FR.01", "L01.FR.11"),
    catches={"update-firmware-unsigned": UNSIGNED, "firmware-boot-pending": BOOT_NOT_ACCEPTED},
)
async def test_TC_L_13_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update with an ongoing transaction (AllowNewSessionsPendingFirmwareUpdate false).

    Step 7's "wait <configured transaction duration>" is not a fixed sleep here: the transaction ends as
    soon as the connectors are reported Unavailable (a duration of zero). Part 6 names the boot response
    check "step 19"; it is the BootNotificationResponse of step 21, checked there.
    """
    await states.csms_booted(station, sut)
    tx = states.SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    request = await update_firmware(
        station,
        actions,
        1,
        "Accepted",
        "1-2: the CSMS sends UpdateFirmwareRequest; the OCTT answers Accepted",
    )
    walk = FirmwareWalk(station, sut, "TC_L_13_CSMS", request)
    await walk.status(3, "DownloadScheduled")
    with step("5-6: the OCTT reports the connectors without a transaction Unavailable"):
        busy = ((tx.evse_id, tx.connector_id),)
        await states.notify_connectors(station, sut, "Unavailable", skip=busy)
    with step("7: Reusable State StopAuthorized"):
        await tx.stop_authorized()
    with step("8: Reusable State EVConnectedPostSession"):
        await tx.ev_connected_post_session()
    with step("9: Reusable State EVDisconnected"):
        await tx.ev_disconnected()
    number = await walk.statuses(
        10, "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"
    )
    number = await walk.reboot(number)
    await walk.status(number, "Installed")


@case(
    "TC_L_02_CSMS",
    requirements=("L01.FR.01", "L01.FR.11", "L01.FR.15"),
    catches={
        "update-firmware-schedule-ignored": r"UpdateFirmwareRequest\.firmware\.installDateTime",
        "firmware-boot-pending": BOOT_NOT_ACCEPTED,
    },
)
async def test_TC_L_02_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - InstallScheduled (C-15): the operator schedules the installation."""
    await states.csms_booted(station, sut)
    request = await update_firmware(
        station,
        actions,
        1,
        "Accepted",
        "1-2: the CSMS sends UpdateFirmwareRequest (installDateTime ahead); the OCTT answers Accepted",
        installDateTime=_in_an_hour(),
    )
    check_future(request, "installDateTime", "TC_L_02_CSMS")
    walk = FirmwareWalk(station, sut, "TC_L_02_CSMS", request)
    number = await walk.statuses(
        3,
        "Downloading",
        "Downloaded",
        "SignatureVerified",
        "InstallScheduled",
        "Installing",
        "InstallRebooting",
    )
    number = await walk.reboot(number)
    await walk.status(number, "Installed")


@case(
    "TC_L_03_CSMS",
    requirements=("L01.FR.01", "L01.FR.11", "L01.FR.15"),
    catches={
        "update-firmware-schedule-ignored": r"UpdateFirmwareRequest\.firmware\.retrieveDateTime",
        "firmware-boot-pending": BOOT_NOT_ACCEPTED,
    },
)
async def test_TC_L_03_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Secure Firmware Update - DownloadScheduled (C-15): the operator schedules the download."""
    await states.csms_booted(station, sut)
    request = await update_firmware(
        station,
        actions,
        1,
        "Accepted",
        "1-2: the CSMS sends UpdateFirmwareRequest (retrieveDateTime ahead); the OCTT answers Accepted",
        retrieveDateTime=_in_an_hour(),
    )
    check_future(request, "retrieveDateTime", "TC_L_03_CSMS")
    walk = FirmwareWalk(station, sut, "TC_L_03_CSMS", request)
    number = await walk.statuses(
        3,
        "DownloadScheduled",
        "Downloading",
        "Downloaded",
        "SignatureVerified",
        "Installing",
        "InstallRebooting",
    )
    number = await walk.reboot(number)
    await walk.status(number, "Installed")

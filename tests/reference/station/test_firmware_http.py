"""Block L of the reference station with a real download: an `http://` location is fetched (GET, 200
required), the signature is verified over the bytes served, the image format is checked on install, and
the installed image's version is reported by the next BootNotification (issue 3)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from ocpp.v201 import call

from conformance.reference.station import StationConfig
from conformance.reference.station.config import EvseConfig
from conformance.reference.station.firmware import IMAGE_MAGIC, image_version
from tests.reference.station.csms import running
from tests.reference.station.test_firmware_and_more import Signer, _fw_status, _fw_statuses
from tests.reference.station.test_transactions import TOKEN, start_local_transaction

IMAGE = IMAGE_MAGIC + b"version: 9.8.7\n" + b"payload\n" * 32
NO_REBOOT = StationConfig(device_model={"FirmwareCtrlr/RebootRequired": "false"})


@contextlib.asynccontextmanager
async def serving(files: dict[str, bytes]) -> AsyncIterator[str]:
    """A one-file-per-path HTTP/1.1 server on 127.0.0.1 (ephemeral port); yields its base URL."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (await reader.readline()).decode().split()
        while (await reader.readline()).strip():
            pass
        body = files.get(request[1]) if len(request) > 1 else None
        status = "200 OK" if body is not None else "404 Not Found"
        body = body if body is not None else b"nothing here"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


def _firmware(signer: Signer, location: str, image: bytes) -> dict[str, Any]:
    fw = signer.firmware(location)
    fw["signature"] = base64.b64encode(signer.key.sign(image, ec.ECDSA(hashes.SHA256()))).decode()
    return fw


def test_image_version_needs_the_header() -> None:
    assert image_version(IMAGE) == "9.8.7"
    assert image_version(b"garbage\nversion: 1\n") is None
    assert image_version(IMAGE_MAGIC + b"release: 1\n") is None


def test_real_download_install_and_the_version_in_the_next_boot() -> None:
    async def main() -> None:
        signer = Signer()
        async with serving({"/fw.bin": IMAGE}) as base, running() as (csms, _station):
            await csms.booted()
            fw = _firmware(signer, f"{base}/fw.bin", IMAGE)
            assert (await csms.call(call.UpdateFirmware(request_id=4, firmware=fw))).status == "Accepted"
            for status in (
                "Downloading",
                "Downloaded",
                "SignatureVerified",
                "Installing",
                "InstallRebooting",
            ):
                await _fw_status(csms, status, 4)
            boot = await csms.expect("BootNotification", where=lambda p: p["reason"] == "FirmwareUpdate")
            assert boot["chargingStation"]["firmwareVersion"] == "9.8.7"
            await _fw_status(csms, "Installed", 4)

    asyncio.run(main())


def test_real_download_failures() -> None:
    """404 -> DownloadFailed; a signature over other bytes -> InvalidSignature; a signed image without
    the header -> InstallVerificationFailed, and the version stays the configured one."""

    async def main() -> None:
        signer = Signer()
        bad = b"not an image\n"
        async with serving({"/fw.bin": IMAGE, "/bad.bin": bad}) as base, running(NO_REBOOT) as (csms, _):
            await csms.booted()
            missing = _firmware(signer, f"{base}/fw.bin_does_not_exist", IMAGE)
            assert (await csms.call(call.UpdateFirmware(request_id=1, firmware=missing))).status == "Accepted"
            await _fw_status(csms, "Downloading", 1)
            await _fw_status(csms, "DownloadFailed", 1)
            wrong = _firmware(signer, f"{base}/fw.bin", bad)
            assert (await csms.call(call.UpdateFirmware(request_id=2, firmware=wrong))).status == "Accepted"
            for status in ("Downloading", "Downloaded", "InvalidSignature"):
                await _fw_status(csms, status, 2)
            corrupt = _firmware(signer, f"{base}/bad.bin", bad)
            assert (await csms.call(call.UpdateFirmware(request_id=3, firmware=corrupt))).status == "Accepted"
            for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing"):
                await _fw_status(csms, status, 3)
            await _fw_status(csms, "InstallVerificationFailed", 3)
            assert "Installed" not in _fw_statuses(csms)

    asyncio.run(main())


def test_http_status_ignored_mutant_takes_a_404_page() -> None:
    async def main() -> None:
        async with (
            serving({}) as base,
            running(NO_REBOOT, mutant="firmware-http-status-ignored") as (csms, _),
        ):
            await csms.booted()
            fw = _firmware(Signer(), f"{base}/none.bin", IMAGE)
            assert (await csms.call(call.UpdateFirmware(request_id=5, firmware=fw))).status == "Accepted"
            for status in ("Downloading", "Downloaded", "InvalidSignature"):
                await _fw_status(csms, status, 5)

    asyncio.run(main())


def test_pending_install_keeps_idle_evses_unavailable_unless_new_sessions_are_allowed() -> None:
    """L01.FR.06 / L01.FR.07 with two EVSEs: while EVSE 1 charges, the pending install makes EVSE 2
    Unavailable (AllowNewSessionsPendingFirmwareUpdate false, the default) and a remote start on it is
    Rejected; with the variable true the remote start on EVSE 2 is Accepted."""

    async def main(allow: str) -> str:
        config = StationConfig(
            evses=[EvseConfig(), EvseConfig()],
            device_model={
                "FirmwareCtrlr/RebootRequired": "false",
                "ChargingStation/AllowNewSessionsPendingFirmwareUpdate": allow,
            },
        )
        async with running(config) as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            fw = Signer().firmware()
            assert (await csms.call(call.UpdateFirmware(request_id=6, firmware=fw))).status == "Accepted"
            await csms.expect("FirmwareStatusNotification", where=lambda p: p["status"] == "InstallScheduled")
            if allow == "false":
                await csms.expect(
                    "StatusNotification",
                    where=lambda p: p["evseId"] == 2 and p["connectorStatus"] == "Unavailable",
                )
            token = {"idToken": TOKEN, "type": "ISO14443"}
            start = call.RequestStartTransaction(id_token=token, remote_start_id=9, evse_id=2)
            return str((await csms.call(start)).status)

    assert asyncio.run(main("false")) == "Rejected"
    assert asyncio.run(main("true")) == "Accepted"

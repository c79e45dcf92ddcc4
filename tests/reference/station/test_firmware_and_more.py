"""Blocks L (firmware), N (GetLog), M/A (certificates), O (display messages), I (CostUpdated) of the
reference station, driven over real sockets by the test CSMS; plus the station_lmno mutants."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.v201 import call

from conformance.reference.station import StationConfig
from tests.reference.station.csms import TestCsms, running, wait_state
from tests.reference.station.test_transactions import TOKEN, expect_tx, start_local_transaction

LOCATION = "https://firmware.example/fw-1.2.3.bin"
NO_REBOOT = StationConfig(device_model={"FirmwareCtrlr/RebootRequired": "false"})


# -- test PKI ---------------------------------------------------------------------------------------
def _cert(
    cn: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    *,
    days: int = 30,
    expired: bool = False,
    serial: int | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=60 if expired else 1)
    end = now - dt.timedelta(days=1) if expired else now + dt.timedelta(days=days)
    issuer_cn, issuer_key = issuer or (cn, key)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(issuer_key, hashes.SHA256())
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class Signer:
    """A firmware signing key and certificate; signs a location (the simulated firmware image)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = _cert("Firmware Signer", self.key)

    def firmware(self, location: str = LOCATION, **times: str) -> dict[str, Any]:
        signature = self.key.sign(location.encode(), ec.ECDSA(hashes.SHA256()))
        return {
            "location": location,
            "retrieveDateTime": times.get("retrieve", _iso(-7200)),
            "installDateTime": times.get("install", _iso(-7200)),
            "signingCertificate": _pem(self.cert),
            "signature": base64.b64encode(signature).decode(),
        }


def _iso(offset_s: float) -> str:
    t = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


async def _fw_status(csms: TestCsms, status: str, request_id: int, timeout: float = 5.0) -> None:
    got = await csms.expect("FirmwareStatusNotification", timeout=timeout)
    assert got == {"status": status, "requestId": request_id}, got


def _fw_statuses(csms: TestCsms) -> list[str]:
    return [c.payload["status"] for c in csms.calls if c.action == "FirmwareStatusNotification"]


# -- L: firmware ------------------------------------------------------------------------------------
def test_firmware_update_full_sequence_with_reboot() -> None:
    """TC_L_01_CS over real sockets: Downloading .. SignatureVerified, Unavailable, Installing,
    InstallRebooting, a FirmwareUpdate boot, Installed + FirmwareUpdated, connectors Available again."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            result = await csms.call(call.UpdateFirmware(request_id=7, firmware=Signer().firmware()))
            assert result.status == "Accepted"
            for status in ("Downloading", "Downloaded", "SignatureVerified"):
                await _fw_status(csms, status, 7)
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Unavailable")
            await _fw_status(csms, "Installing", 7)
            await _fw_status(csms, "InstallRebooting", 7)
            boot = await csms.expect("BootNotification", where=lambda p: p["reason"] == "FirmwareUpdate")
            assert boot["chargingStation"]["model"]
            await _fw_status(csms, "Installed", 7)
            await csms.expect("SecurityEventNotification", where=lambda p: p["type"] == "FirmwareUpdated")
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Available")
            assert csms.connections == 2
            assert _fw_statuses(csms) == [
                "Downloading",
                "Downloaded",
                "SignatureVerified",
                "Installing",
                "InstallRebooting",
                "Installed",
            ]
            state = await wait_state(station, lambda s: s["boot_status"] == "Accepted")
            assert state["operative"] is True
            firmware = state["firmware_logs_certificates_display"]["firmware"]
            assert firmware == {"status": "Idle", "installed_location": LOCATION}

    asyncio.run(main())


def test_firmware_download_and_install_scheduled_on_the_station_clock() -> None:
    """TC_L_02_CS / TC_L_03_CS without a reboot: advance_clock reaches retrieve and install times."""

    async def main() -> None:
        async with running(NO_REBOOT) as (csms, station):
            await csms.booted()
            fw = Signer().firmware(retrieve=_iso(3600), install=_iso(7200))
            assert (await csms.call(call.UpdateFirmware(request_id=3, firmware=fw))).status == "Accepted"
            await _fw_status(csms, "DownloadScheduled", 3)
            assert _fw_statuses(csms) == ["DownloadScheduled"]
            await station.control.aperform("advance_clock", {"seconds": 3601})
            for status in ("Downloading", "Downloaded", "SignatureVerified", "InstallScheduled"):
                await _fw_status(csms, status, 3)
            await station.control.aperform("advance_clock", {"seconds": 3601})
            await _fw_status(csms, "Installing", 3)
            await _fw_status(csms, "Installed", 3)
            await csms.expect("SecurityEventNotification", where=lambda p: p["type"] == "FirmwareUpdated")
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Available")
            assert csms.connections == 1  # no reboot was required

    asyncio.run(main())


def test_firmware_failures() -> None:
    """TC_L_05_CS, TC_L_06_CS, TC_L_07_CS, TC_L_08_CS, TC_L_18_CS."""

    async def main() -> None:
        signer = Signer()
        async with running(NO_REBOOT) as (csms, _station):
            await csms.booted()
            # TC_L_18: no signing certificate / signature.
            bare = {"location": LOCATION, "retrieveDateTime": _iso(0)}
            assert (await csms.call(call.UpdateFirmware(request_id=1, firmware=bare))).status == "Rejected"
            # TC_L_05: an expired signing certificate.
            bad = signer.firmware()
            bad["signingCertificate"] = _pem(_cert("Old", signer.key, expired=True))
            result = await csms.call(call.UpdateFirmware(request_id=2, firmware=bad))
            assert result.status == "InvalidCertificate"
            await csms.expect(
                "SecurityEventNotification", where=lambda p: p["type"] == "InvalidFirmwareSigningCertificate"
            )
            # TC_L_06: a real signature, over another image.
            wrong = signer.firmware()
            wrong["signature"] = signer.firmware(LOCATION + ".other")["signature"]
            assert (await csms.call(call.UpdateFirmware(request_id=3, firmware=wrong))).status == "Accepted"
            for status in ("Downloading", "Downloaded", "InvalidSignature"):
                await _fw_status(csms, status, 3)
            await csms.expect(
                "SecurityEventNotification", where=lambda p: p["type"] == "InvalidFirmwareSignature"
            )
            # TC_L_07: the file does not exist.
            missing = signer.firmware(LOCATION + "_does_not_exist")
            assert (await csms.call(call.UpdateFirmware(request_id=4, firmware=missing))).status == "Accepted"
            await _fw_status(csms, "Downloading", 4)
            await _fw_status(csms, "DownloadFailed", 4)
            # TC_L_08: installation fails.
            broken = signer.firmware(LOCATION + "_install_fails")
            assert (await csms.call(call.UpdateFirmware(request_id=5, firmware=broken))).status == "Accepted"
            for status in (
                "Downloading",
                "Downloaded",
                "SignatureVerified",
                "Installing",
                "InstallationFailed",
            ):
                await _fw_status(csms, status, 5)
            assert "Installed" not in _fw_statuses(csms)

    asyncio.run(main())


def test_firmware_signing_certificate_must_chain_to_an_installed_manufacturer_root() -> None:
    async def main() -> None:
        root_key = ec.generate_private_key(ec.SECP256R1())
        root = _cert("Manufacturer Root", root_key)
        async with running(NO_REBOOT) as (csms, _station):
            await csms.booted()
            installed = await csms.call(
                call.InstallCertificate(
                    certificate_type="ManufacturerRootCertificate", certificate=_pem(root)
                )
            )
            assert installed.status == "Accepted"
            stranger = Signer()  # self-signed: not issued by the root
            result = await csms.call(call.UpdateFirmware(request_id=1, firmware=stranger.firmware()))
            assert result.status == "InvalidCertificate"
            issued = Signer()
            issued.cert = _cert("Signer", issued.key, ("Manufacturer Root", root_key))
            result = await csms.call(call.UpdateFirmware(request_id=2, firmware=issued.firmware()))
            assert result.status == "Accepted"
            await _fw_status(csms, "Downloading", 2)

    asyncio.run(main())


def test_second_update_firmware_cancels_the_first() -> None:
    """TC_L_10_CS (L01.FR.24): AcceptedCanceled, then the new requestId on every notification."""

    async def main() -> None:
        signer = Signer()
        async with running(NO_REBOOT) as (csms, station):
            await csms.booted()
            first = signer.firmware(retrieve=_iso(3600))
            assert (await csms.call(call.UpdateFirmware(request_id=10, firmware=first))).status == "Accepted"
            await _fw_status(csms, "DownloadScheduled", 10)
            trigger = await csms.call(call.TriggerMessage(requested_message="FirmwareStatusNotification"))
            assert trigger.status == "Accepted"
            await _fw_status(csms, "DownloadScheduled", 10)  # F06: the ongoing status, not Idle
            second = await csms.call(call.UpdateFirmware(request_id=11, firmware=signer.firmware()))
            assert second.status == "AcceptedCanceled"
            for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"):
                await _fw_status(csms, status, 11)
            await station.control.aperform("advance_clock", {"seconds": 3601})
            assert [
                c.payload.get("requestId") for c in csms.calls if c.action == "FirmwareStatusNotification"
            ][2:] == [11] * 5

    asyncio.run(main())


def test_firmware_install_waits_for_the_transaction_to_end() -> None:
    """TC_L_12_CS ... TC_L_15_CS (L01.FR.06): InstallScheduled while charging, Installing after it ends."""

    async def main() -> None:
        async with running(NO_REBOOT) as (csms, station):
            await csms.booted()
            await start_local_transaction(csms, station.control)
            fw = Signer().firmware()
            assert (await csms.call(call.UpdateFirmware(request_id=4, firmware=fw))).status == "Accepted"
            for status in ("Downloading", "Downloaded", "SignatureVerified", "InstallScheduled"):
                await _fw_status(csms, status, 4)
            assert "Installing" not in _fw_statuses(csms)
            await station.control.aperform("present_id_token", {"id_token": TOKEN})
            await expect_tx(csms, "Updated", "StopAuthorized")
            await _fw_status(csms, "Installing", 4)
            await _fw_status(csms, "Installed", 4)

    asyncio.run(main())


# -- N: GetLog --------------------------------------------------------------------------------------
def _log_request(request_id: int, location: str, **extra: Any) -> Any:
    return call.GetLog(
        log={"remoteLocation": location}, log_type="DiagnosticsLog", request_id=request_id, **extra
    )


async def _log_status(csms: TestCsms, status: str, request_id: int) -> None:
    got = await csms.expect("LogStatusNotification")
    assert got == {"status": status, "requestId": request_id}, got


def test_get_log_upload_success_failure_and_second_request() -> None:
    """TC_N_25_CS, TC_N_26_CS, TC_N_34_CS, TC_N_36_CS."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            ok = await csms.call(_log_request(1, "https://logs.example/upload"))
            assert ok.status == "Accepted" and ok.filename
            await _log_status(csms, "Uploading", 1)
            await station.control.aperform("advance_clock", {"seconds": 2})
            await _log_status(csms, "Uploaded", 1)
            assert (await csms.call(_log_request(2, "not a url"))).status == "Rejected"
            failing = _log_request(3, "https://logs.example/x_does_not_exist", retries=3, retry_interval=60)
            assert (await csms.call(failing)).status == "Accepted"
            await _log_status(csms, "Uploading", 3)
            for _ in range(3):
                await station.control.aperform("advance_clock", {"seconds": 60})
            await _log_status(csms, "UploadFailure", 3)
            assert (await csms.call(_log_request(4, "https://logs.example/a"))).status == "Accepted"
            await _log_status(csms, "Uploading", 4)
            second = await csms.call(_log_request(5, "https://logs.example/b"))
            assert second.status == "AcceptedCanceled"
            await _log_status(csms, "AcceptedCanceled", 4)
            await _log_status(csms, "Uploading", 5)
            await station.control.aperform("advance_clock", {"seconds": 2})
            await _log_status(csms, "Uploaded", 5)
            assert not any(c.payload == {"status": "Uploaded", "requestId": 4} for c in csms.calls)

    asyncio.run(main())


# -- M / A: certificates ----------------------------------------------------------------------------
def _expected_hash(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.sha256(point).hexdigest(),
        "serialNumber": format(cert.serial_number, "x"),
    }


def test_install_list_and_delete_certificates() -> None:
    """TC_M_01_CS, TC_M_07_CS, TC_M_12_CS, TC_M_19_CS, TC_M_20_CS, TC_M_22_CS."""

    async def main() -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        root = _cert("V2G Root", key, serial=0x0ABC)
        async with running() as (csms, _station):
            await csms.booted()
            none = await csms.call(call.GetInstalledCertificateIds(certificate_type=["V2GRootCertificate"]))
            assert none.status == "NotFound"
            expired = _cert("Expired", key, expired=True)
            rejected = await csms.call(
                call.InstallCertificate(certificate_type="CSMSRootCertificate", certificate=_pem(expired))
            )
            assert rejected.status == "Rejected"
            ok = await csms.call(
                call.InstallCertificate(certificate_type="V2GRootCertificate", certificate=_pem(root))
            )
            assert ok.status == "Accepted"
            listed = await csms.call(call.GetInstalledCertificateIds(certificate_type=["V2GRootCertificate"]))
            assert listed.status == "Accepted"
            expected = _expected_hash(root, key)
            assert expected["serialNumber"] == "abc"
            chain = listed.certificate_hash_data_chain
            assert len(chain) == 1 and chain[0]["certificate_type"] == "V2GRootCertificate"
            got = chain[0]["certificate_hash_data"]
            assert (got["issuer_name_hash"], got["issuer_key_hash"], got["serial_number"]) == (
                expected["issuerNameHash"],
                expected["issuerKeyHash"],
                expected["serialNumber"],
            )
            entries = await csms.call(
                call.GetVariables(
                    get_variable_data=[
                        {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "CertificateEntries"}}
                    ]
                )
            )
            assert entries.get_variable_result[0]["attribute_value"] == "1"
            deleted = await csms.call(call.DeleteCertificate(certificate_hash_data=expected))
            assert deleted.status == "Accepted"
            again = await csms.call(call.DeleteCertificate(certificate_hash_data=expected))
            assert again.status == "NotFound"
            assert (await csms.call(call.GetInstalledCertificateIds())).status == "NotFound"

    asyncio.run(main())


def test_sign_certificate_and_certificate_signed() -> None:
    """TC_A_19_CS-like trigger, A02: the CSR is real; a matching chain is accepted, a wrong one
    rejected with InvalidChargingStationCertificate (TC_A_14_CS)."""

    async def main() -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        async with running() as (csms, _station):
            await csms.booted()
            trigger = await csms.call(call.TriggerMessage(requested_message="SignChargingStationCertificate"))
            assert trigger.status == "Accepted"
            request = await csms.expect("SignCertificate")
            csr = x509.load_pem_x509_csr(request["csr"].encode())
            assert csr.is_signature_valid
            assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP001"
            wrong = _cert("CP001", ec.generate_private_key(ec.SECP256R1()), ("CA", ca_key))
            rejected = await csms.call(
                call.CertificateSigned(
                    certificate_chain=_pem(wrong), certificate_type="ChargingStationCertificate"
                )
            )
            assert rejected.status == "Rejected"
            await csms.expect(
                "SecurityEventNotification", where=lambda p: p["type"] == "InvalidChargingStationCertificate"
            )
            good = _sign(csr, ca_key)
            accepted = await csms.call(
                call.CertificateSigned(
                    certificate_chain=_pem(good), certificate_type="ChargingStationCertificate"
                )
            )
            assert accepted.status == "Accepted"

    asyncio.run(main())


def _sign(csr: x509.CertificateSigningRequest, ca_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA")]))
        .public_key(csr.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )


async def _barrier(csms: TestCsms) -> None:
    """Everything the station queued before this has reached the CSMS (its outbox keeps order)."""
    assert (await csms.call(call.TriggerMessage(requested_message="Heartbeat"))).status == "Accepted"
    await csms.expect("Heartbeat")


def test_sign_certificate_is_resent_until_certificate_signed() -> None:
    """TC_A_23_CS: CertSigningWaitMinimum, then twice that; the same key throughout, so a chain for
    the first CSR is accepted; nothing more after CertSigningRepeatTimes. TC_A_12_CS: V2G type."""

    async def main() -> None:
        config = StationConfig(
            device_model={
                "SecurityCtrlr/CertSigningWaitMinimum": "30",
                "SecurityCtrlr/CertSigningRepeatTimes": "2",
            }
        )
        async with running(config) as (csms, station):
            await csms.booted()
            await csms.call(call.TriggerMessage(requested_message="SignChargingStationCertificate"))
            first = x509.load_pem_x509_csr((await csms.expect("SignCertificate"))["csr"].encode())
            await station.control.aperform("advance_clock", {"seconds": 29})
            await _barrier(csms)
            assert csms.actions().count("SignCertificate") == 1
            await station.control.aperform("advance_clock", {"seconds": 1})
            second = x509.load_pem_x509_csr((await csms.expect("SignCertificate"))["csr"].encode())
            assert second.public_key() == first.public_key()
            await station.control.aperform("advance_clock", {"seconds": 60})
            await csms.expect("SignCertificate")
            await station.control.aperform("advance_clock", {"seconds": 1000})
            await _barrier(csms)
            assert csms.actions().count("SignCertificate") == 3
            chain = _pem(_sign(first, ec.generate_private_key(ec.SECP256R1())))
            signed = await csms.call(
                call.CertificateSigned(certificate_chain=chain, certificate_type="ChargingStationCertificate")
            )
            assert signed.status == "Accepted"
            await csms.call(call.TriggerMessage(requested_message="SignV2GCertificate"))
            v2g = await csms.expect("SignCertificate")
            assert v2g["certificateType"] == "V2GCertificate"

    asyncio.run(main())


# -- O: display messages, I: CostUpdated ------------------------------------------------------------
def _message(msg_id: int, priority: str = "NormalCycle", fmt: str = "UTF8", **extra: Any) -> dict[str, Any]:
    return {
        "id": msg_id,
        "priority": priority,
        "message": {"format": fmt, "content": f"hello {msg_id}"},
    } | extra


def test_display_messages_and_cost_updated() -> None:
    """TC_O_01/02/03/04/05/07/08/10/14/19_CS and TC_I_01_CS (CostUpdated accepted and recorded)."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            assert (await csms.call(call.GetDisplayMessages(request_id=1))).status == "Unknown"
            assert (await csms.call(call.SetDisplayMessage(message=_message(1)))).status == "Accepted"
            front = _message(2, "InFront", state="Idle")
            assert (await csms.call(call.SetDisplayMessage(message=front))).status == "Accepted"
            html = await csms.call(call.SetDisplayMessage(message=_message(3, fmt="HTML")))
            assert html.status == "NotSupportedMessageFormat"
            unknown_tx = await csms.call(call.SetDisplayMessage(message=_message(4, transaction_id="nope")))
            assert unknown_tx.status == "UnknownTransaction"
            everything = await csms.call(call.GetDisplayMessages(request_id=5))
            assert everything.status == "Accepted"
            report = await csms.expect("NotifyDisplayMessages")
            assert report["requestId"] == 5 and [m["id"] for m in report["messageInfo"]] == [1, 2]
            by_priority = await csms.call(call.GetDisplayMessages(request_id=6, priority="InFront"))
            assert by_priority.status == "Accepted"
            assert [m["id"] for m in (await csms.expect("NotifyDisplayMessages"))["messageInfo"]] == [2]
            assert (await csms.call(call.GetDisplayMessages(request_id=7, id=[9]))).status == "Unknown"
            assert (await csms.call(call.ClearDisplayMessage(id=1))).status == "Accepted"
            assert (await csms.call(call.ClearDisplayMessage(id=1))).status == "Unknown"
            assert (await csms.call(call.GetDisplayMessages(request_id=8, id=[1]))).status == "Unknown"
            brief = _message(6, end_date_time=_iso(60))
            assert (await csms.call(call.SetDisplayMessage(message=brief))).status == "Accepted"
            assert (await csms.call(call.GetDisplayMessages(request_id=9, id=[6]))).status == "Accepted"
            await station.control.aperform("advance_clock", {"seconds": 61})
            assert (await csms.call(call.GetDisplayMessages(request_id=10, id=[6]))).status == "Unknown"
            tx_id, _ = await start_local_transaction(csms, station.control)
            for_tx = await csms.call(call.SetDisplayMessage(message=_message(5, transaction_id=tx_id)))
            assert for_tx.status == "Accepted"
            start = len(csms.raw_in)
            await csms.call(call.CostUpdated(total_cost=1.25, transaction_id=tx_id))
            response = await csms.frame_after(start, lambda f: isinstance(f, list) and f[0] in (3, 4))
            assert response[0] == 3 and response[2] == {}
            state = await wait_state(station, lambda s: True)
            assert state["firmware_logs_certificates_display"]["cost_updates"] == [[tx_id, 1.25]]

    asyncio.run(main())


# -- mutants ----------------------------------------------------------------------------------------
Scenario = Callable[[str | None], Coroutine[Any, Any, bool]]


async def _fw_request_ids(mutant: str | None) -> bool:
    async with running(NO_REBOOT, mutant=mutant) as (csms, _):
        await csms.booted()
        await csms.call(call.UpdateFirmware(request_id=9, firmware=Signer().firmware()))
        got = await csms.expect("FirmwareStatusNotification")
        return "requestId" not in got


async def _fw_signature(mutant: str | None) -> bool:
    async with running(NO_REBOOT, mutant=mutant) as (csms, _):
        await csms.booted()
        fw = Signer().firmware()
        fw["signature"] = Signer().firmware()["signature"]  # another key's signature
        await csms.call(call.UpdateFirmware(request_id=1, firmware=fw))
        await csms.expect("FirmwareStatusNotification", where=lambda p: p["status"] == "Downloaded")
        verdict = await csms.expect(
            "FirmwareStatusNotification",
            where=lambda p: p["status"] in ("InvalidSignature", "SignatureVerified"),
        )
        return bool(verdict["status"] == "SignatureVerified")


async def _fw_certificate(mutant: str | None) -> bool:
    async with running(NO_REBOOT, mutant=mutant) as (csms, _):
        await csms.booted()
        signer = Signer()
        fw = signer.firmware()
        fw["signingCertificate"] = _pem(_cert("Old", signer.key, expired=True))
        return bool((await csms.call(call.UpdateFirmware(request_id=1, firmware=fw))).status == "Accepted")


async def _fw_during_tx(mutant: str | None) -> bool:
    async with running(NO_REBOOT, mutant=mutant) as (csms, station):
        await csms.booted()
        await start_local_transaction(csms, station.control)
        await csms.call(call.UpdateFirmware(request_id=1, firmware=Signer().firmware()))
        got = await csms.expect(
            "FirmwareStatusNotification", where=lambda p: p["status"] in ("InstallScheduled", "Installing")
        )
        return bool(got["status"] == "Installing")


async def _log_request_id(mutant: str | None) -> bool:
    async with running(mutant=mutant) as (csms, _):
        await csms.booted()
        await csms.call(_log_request(3, "https://logs.example/u"))
        return "requestId" not in await csms.expect("LogStatusNotification")


async def _install_invalid(mutant: str | None) -> bool:
    async with running(mutant=mutant) as (csms, _):
        await csms.booted()
        expired = _cert("Expired", ec.generate_private_key(ec.SECP256R1()), expired=True)
        req = call.InstallCertificate(certificate_type="CSMSRootCertificate", certificate=_pem(expired))
        return bool((await csms.call(req)).status == "Accepted")


async def _delete_kept(mutant: str | None) -> bool:
    async with running(mutant=mutant) as (csms, _):
        await csms.booted()
        key = ec.generate_private_key(ec.SECP256R1())
        root = _cert("Root", key)
        await csms.call(call.InstallCertificate(certificate_type="MORootCertificate", certificate=_pem(root)))
        deleted = await csms.call(call.DeleteCertificate(certificate_hash_data=_expected_hash(root, key)))
        assert deleted.status == "Accepted"
        return bool((await csms.call(call.GetInstalledCertificateIds())).status == "Accepted")


async def _signed_unchecked(mutant: str | None) -> bool:
    async with running(mutant=mutant) as (csms, _):
        await csms.booted()
        await csms.call(call.TriggerMessage(requested_message="SignChargingStationCertificate"))
        await csms.expect("SignCertificate")
        key = ec.generate_private_key(ec.SECP256R1())
        wrong = _cert("CP001", key)
        req = call.CertificateSigned(
            certificate_chain=_pem(wrong), certificate_type="ChargingStationCertificate"
        )
        return bool((await csms.call(req)).status == "Accepted")


async def _display_unknown_tx(mutant: str | None) -> bool:
    async with running(mutant=mutant) as (csms, _):
        await csms.booted()
        req = call.SetDisplayMessage(message=_message(1, transaction_id="no-such-tx"))
        return bool((await csms.call(req)).status == "Accepted")


async def _display_filter(mutant: str | None) -> bool:
    async with running(mutant=mutant) as (csms, _):
        await csms.booted()
        await csms.call(call.SetDisplayMessage(message=_message(1)))
        await csms.call(call.SetDisplayMessage(message=_message(2, "InFront")))
        await csms.call(call.GetDisplayMessages(request_id=1, id=[2]))
        report = await csms.expect("NotifyDisplayMessages")
        return [m["id"] for m in report["messageInfo"]] != [2]


async def _display_clear(mutant: str | None) -> bool:
    async with running(mutant=mutant) as (csms, _):
        await csms.booted()
        await csms.call(call.SetDisplayMessage(message=_message(1)))
        assert (await csms.call(call.ClearDisplayMessage(id=1))).status == "Accepted"
        return bool((await csms.call(call.GetDisplayMessages(request_id=2, id=[1]))).status == "Accepted")


SCENARIOS: dict[str, Scenario] = {
    "firmware-status-no-request-id": _fw_request_ids,
    "firmware-signature-unchecked": _fw_signature,
    "firmware-certificate-unchecked": _fw_certificate,
    "firmware-install-during-transaction": _fw_during_tx,
    "log-status-no-request-id": _log_request_id,
    "install-invalid-certificate": _install_invalid,
    "delete-certificate-kept": _delete_kept,
    "certificate-signed-unchecked": _signed_unchecked,
    "display-unknown-tx-accepted": _display_unknown_tx,
    "display-get-ignores-filter": _display_filter,
    "display-clear-kept": _display_clear,
}


def test_every_lmno_mutant_has_a_scenario() -> None:
    from conformance.reference.mutants.station_lmno import MUTANTS
    from conformance.reference.mutants_station import STATION_MUTANTS  # first: it merges the blocks

    assert set(SCENARIOS) == set(MUTANTS)
    assert set(MUTANTS) <= set(STATION_MUTANTS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_lmno_mutant_breaks_its_rule_only_when_on(name: str) -> None:
    scenario = SCENARIOS[name]
    assert asyncio.run(scenario(None)) is False, f"{name}: the conformant station broke the rule"
    assert asyncio.run(scenario(name)) is True, f"{name}: the mutant did not break its rule"

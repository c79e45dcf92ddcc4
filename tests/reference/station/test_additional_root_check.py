"""The reference station's SecurityCtrlr.AdditionalRootCertificateCheck (M05, feature AS-2), over real TLS.

M05.FR.10/11 (a new CSMS root must be signed by the installed one), M05.FR.13 (it replaces the old one
once a connection with it succeeds), M05.FR.14 (fallback to the old root when that connection fails).
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

from cryptography import x509
from ocpp.v201 import call

from conformance.reference.station import StationConfig
from conformance.reference.station.certificates import hash_data
from conformance.transport.pki import TestPki, cross_signed, make_successor_root, make_test_pki
from tests.reference.station.csms import TestCsms, running
from tests.support import self_signed_pem

CHECK = "SecurityCtrlr/AdditionalRootCertificateCheck"
STATION = "CP-M05"


def _pem(path: Path) -> str:
    return path.read_text()


def _unrelated_root() -> str:
    """A valid self-signed root CA that the installed root did not sign (TC_M_09_CS)."""
    return self_signed_pem("unrelated root")


def _server_context(pki: TestPki) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki.server_cert, pki.server_key)
    return ctx


def _config(pki: TestPki, check: bool) -> StationConfig:
    return StationConfig(
        station_id=STATION,
        security_profile=2,
        basic_auth_password="tls-pass-0123456",
        cafile=str(pki.ca_cert),
        device_model={CHECK: "true" if check else "false"},
    )


async def _install(csms: TestCsms, pem: str) -> str:
    result = await csms.call(call.InstallCertificate(certificate_type="CSMSRootCertificate", certificate=pem))
    return str(result.status)


async def _roots(csms: TestCsms) -> list[dict[str, Any]]:
    result = await csms.call(call.GetInstalledCertificateIds(certificate_type=["CSMSRootCertificate"]))
    return [e["certificate_hash_data"] for e in result.certificate_hash_data_chain or []]


def _ids(*paths: Path) -> list[dict[str, str]]:
    return [_id(p) for p in paths]


def _id(path: Path, issuer: Path | None = None) -> dict[str, str]:
    """Hash data as M03 wants it: issuerKeyHash over the issuer's key (a root signs itself)."""
    load = x509.load_pem_x509_certificate
    return _snake(hash_data(load(path.read_bytes()), load(issuer.read_bytes()) if issuer else None))


def _snake(data: dict[str, str]) -> dict[str, str]:
    names = {"hashAlgorithm": "hash_algorithm", "issuerNameHash": "issuer_name_hash"}
    names |= {"issuerKeyHash": "issuer_key_hash", "serialNumber": "serial_number"}
    return {names[k]: v for k, v in data.items()}


async def _reboot(csms: TestCsms) -> None:
    """Reset OnIdle and wait (bounded) for the station's next boot on a new connection."""
    count = csms.connections
    result = await csms.call(call.Reset(type="OnIdle"))
    assert result.status == "Accepted"
    await csms.wait_connections(count + 1, timeout=10.0)
    await csms.booted(timeout=10.0)


def test_new_root_must_be_signed_by_the_old_one_and_replaces_it(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki", STATION, reuse=False)
    new = make_successor_root(pki, tmp_path / "new")
    server = _server_context(pki)

    async def main() -> None:
        async with running(_config(pki, check=True), ssl_context=server) as (csms, _station):
            await csms.booted()
            assert await _install(csms, _unrelated_root()) == "Rejected"  # M05.FR.11
            assert await _roots(csms) == _ids(pki.ca_cert)
            assert await _install(csms, _pem(new.root_cert)) == "Accepted"  # M05.FR.10
            # The old one stays until ... (the new one's issuerKeyHash is the old root's key: it signed it)
            assert await _roots(csms) == [_id(pki.ca_cert), _id(new.root_cert, issuer=pki.ca_cert)]
            server.load_cert_chain(new.server_cert, new.server_key)
            await _reboot(csms)  # ... the station connected with the new root (M05.FR.13)
            assert await _roots(csms) == [_id(new.root_cert, issuer=pki.ca_cert)]
            # The trust goes back the same way: the old CA re-issued by the new one, then the old root.
            assert await _install(csms, cross_signed(pki.ca_cert, new.root_cert, new.root_key)) == "Accepted"
            server.load_cert_chain(pki.server_cert, pki.server_key)
            await _reboot(csms)
            assert await _install(csms, _pem(pki.ca_cert)) == "Accepted"
            await _reboot(csms)
            assert await _roots(csms) == _ids(pki.ca_cert)

    asyncio.run(main())


def test_failed_connection_with_the_new_root_falls_back_to_the_old_one(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki", STATION, reuse=False)
    new = make_successor_root(pki, tmp_path / "new")

    async def main() -> None:
        async with running(_config(pki, check=True), ssl_context=_server_context(pki)) as (csms, _station):
            await csms.booted()
            assert await _install(csms, _pem(new.root_cert)) == "Accepted"
            await _reboot(csms)  # the server keeps the old root's certificate: the first attempt fails
            assert await _roots(csms) == _ids(pki.ca_cert)  # M05.FR.14: back on the old root, new one gone
            security = [c.payload.get("type") for c in csms.calls if c.action == "SecurityEventNotification"]
            assert "InvalidCsmsCertificate" in security

    asyncio.run(main())


def test_without_the_check_any_valid_root_is_installed(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki", STATION, reuse=False)

    async def main() -> None:
        async with running(_config(pki, check=False), ssl_context=_server_context(pki)) as (csms, _station):
            await csms.booted()
            assert await _install(csms, _unrelated_root()) == "Accepted"
            assert len(await _roots(csms)) == 2

    asyncio.run(main())

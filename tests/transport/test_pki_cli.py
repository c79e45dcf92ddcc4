"""The test PKI's contents and the `certs` subcommand."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from conformance.certs_cli import certs_main
from conformance.transport.pki import make_test_pki


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_pki_contents_and_speed(tmp_path: Path) -> None:
    start = time.perf_counter()
    pki = make_test_pki(tmp_path, "RDAM 123", host="csms.test")
    assert time.perf_counter() - start < 0.5
    now = dt.datetime.now(dt.UTC)
    ca = load(pki.ca_cert)
    server = load(pki.server_cert)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert set(sans.get_values_for_type(x509.DNSName)) == {"localhost", "csms.test"}
    assert server.issuer == ca.subject
    station = load(pki.station_cert)
    assert station.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "RDAM 123"
    assert station.issuer == ca.subject
    assert load(pki.expired_server_cert).not_valid_after_utc < now
    assert load(pki.expired_station_cert).not_valid_after_utc < now
    assert load(pki.untrusted_server_cert).issuer != ca.subject
    assert load(pki.untrusted_station_cert).issuer == load(pki.untrusted_ca_cert).subject
    for name, path in pki.files().items():
        if name.endswith("_key"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_pki_is_reused_unless_inputs_change(tmp_path: Path) -> None:
    first = make_test_pki(tmp_path, "CS001")
    before = first.server_cert.read_bytes()
    assert make_test_pki(tmp_path, "CS001").server_cert.read_bytes() == before
    assert make_test_pki(tmp_path, "CS002").server_cert.read_bytes() != before
    assert make_test_pki(tmp_path, "CS002", reuse=False).server_cert.read_bytes() != before


def test_certs_cli_lists_files_never_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert certs_main(["--out", str(tmp_path / "pki"), "--station-id", "CS042", "--host", "localhost"]) == 0
    out = capsys.readouterr().out
    assert "station.crt.pem" in out and "server.key.pem" in out and "'CS042'" in out
    assert "PRIVATE KEY" not in out and "BEGIN" not in out
    assert (tmp_path / "pki" / "station.key.pem").is_file()
    assert certs_main(["--out", str(tmp_path), "--station-id", "a:b"]) == 2

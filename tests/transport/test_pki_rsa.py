"""The test PKI's RSA CSMS server certificate: what TC_A_04_CSMS needs for the TLS_RSA_* suites."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conformance.certs_cli import certs_main
from conformance.transport.pki import RSA_BITS, TLS_RSA_SUITES, TestPki, make_test_pki


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def common_name(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_rsa_server_certificate_beside_the_ec_one(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path, "CS001", host="csms.test")
    ec_cert, rsa_cert = load(pki.server_cert), load(pki.server_rsa_cert)
    assert isinstance(ec_cert.public_key(), ec.EllipticCurvePublicKey)  # EC stays the default
    key = rsa_cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == RSA_BITS >= 2048
    assert rsa_cert.issuer == load(pki.ca_cert).subject
    # TC_A_04_CSMS: the subject CN is the endpoint's host name; the SANs match the EC certificate's.
    assert common_name(rsa_cert) == common_name(ec_cert) == "csms.test"
    sans = rsa_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "csms.test" in sans.get_values_for_type(x509.DNSName)
    usage = rsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_encipherment and usage.digital_signature  # TLS_RSA key transport
    assert (pki.server_rsa_key.stat().st_mode & 0o777) == 0o600


async def _negotiated(pki: TestPki, suite: str, *, with_rsa: bool) -> str | None:
    """The cipher of a TLS 1.2 handshake offering only `suite`, against a server holding the EC chain
    (and the RSA one if `with_rsa`); None when the handshake fails."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pki.server_cert, pki.server_key)
    if with_rsa:
        server_ctx.load_cert_chain(pki.server_rsa_cert, pki.server_rsa_key)
    default = ":".join(c["name"] for c in server_ctx.get_ciphers() if c.get("protocol") == "TLSv1.2")
    server_ctx.set_ciphers(f"{default}:{TLS_RSA_SUITES}")

    async def serve(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(pki.ca_cert)
    client_ctx.minimum_version = client_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    client_ctx.set_ciphers(suite)
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=client_ctx, server_hostname="127.0.0.1"), 5
        )
    except (OSError, ssl.SSLError):
        return None
    finally:
        server.close()
    cipher = writer.get_extra_info("ssl_object").cipher()[0]
    writer.close()
    return str(cipher)


@pytest.mark.parametrize(
    ("suite", "with_rsa", "expected"),
    [
        ("AES128-GCM-SHA256", True, "AES128-GCM-SHA256"),
        ("AES256-GCM-SHA384", True, "AES256-GCM-SHA384"),
        ("ECDHE-ECDSA-AES128-GCM-SHA256", True, "ECDHE-ECDSA-AES128-GCM-SHA256"),
        ("AES128-GCM-SHA256", False, None),  # no RSA key: no TLS_RSA_* suite
    ],
)
def test_tls_rsa_suites_need_the_rsa_chain(
    tmp_path: Path, suite: str, with_rsa: bool, expected: str | None
) -> None:
    pki = make_test_pki(tmp_path, "CS001")
    assert asyncio.run(_negotiated(pki, suite, with_rsa=with_rsa)) == expected


def test_certs_cli_lists_the_rsa_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert certs_main(["--out", str(tmp_path), "--station-id", "CS009"]) == 0
    out = capsys.readouterr().out
    assert "server_rsa.crt.pem" in out and "RSA 2048" in out
    assert "PRIVATE KEY" not in out

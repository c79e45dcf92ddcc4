"""The CA with which the reference CSMS signs stations' CSRs (A02/A03, SignCertificate)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from conformance.errors import ConfigError


class SigningCa:
    def __init__(self, cert: x509.Certificate, key: CertificateIssuerPrivateKeyTypes) -> None:
        self.cert = cert
        self._key = key  # never logged

    def __repr__(self) -> str:
        return f"SigningCa({self.cert.subject.rfc4514_string()})"

    @classmethod
    def generate(cls, name: str = "ocpp-conformance reference CSMS CA") -> SigningCa:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key)

    @classmethod
    def load(cls, certfile: str | Path, keyfile: str | Path) -> SigningCa:
        try:
            cert = x509.load_pem_x509_certificate(Path(certfile).read_bytes())
            key = serialization.load_pem_private_key(Path(keyfile).read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"signing CA {certfile}: cannot load: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ConfigError(f"signing CA key {keyfile}: expected an EC or RSA private key")
        return cls(cert, key)

    def sign_csr(self, csr_pem: str, days: int = 365) -> str:
        """A PEM chain: the signed leaf, then this CA. Raises ValueError for a bad CSR."""
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        if not csr.is_signature_valid:
            raise ValueError("CSR signature is not valid")
        now = dt.datetime.now(dt.UTC)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.cert.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        return (
            leaf.public_bytes(serialization.Encoding.PEM) + self.cert.public_bytes(serialization.Encoding.PEM)
        ).decode()

"""A throw-away test PKI for security profiles 2 and 3 (and for the TC_A_* negative cases).

Everything is EC P-256 (fast: the whole set takes a few milliseconds) and written as PEM files with
private keys readable by the owner only, plus one RSA 2048 CSMS server certificate: a CSMS must also
offer the TLS_RSA_WITH_AES_*_GCM suites (A00.FR.318, TC_A_04_CSMS), which need an RSA server key, so a
CSMS loads it beside the EC one (EC stays the default everywhere else). Server certificates carry the
endpoint's host as their subject CN (TC_A_04_CSMS: CN = FQDN of the server).
The set is reused when `out_dir` already holds one for the same station id and host that is still
valid for a while, so repeated runs do not regenerate it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from dataclasses import dataclass, fields
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MANIFEST = "pki.json"
VALID_DAYS = 30
REUSE_MARGIN = dt.timedelta(days=1)
WRONG_HOST = "wrong-host.invalid"


@dataclass(frozen=True)
class TestPki:
    """Paths of the generated PEM files. `*_key` files are private keys (mode 0600)."""

    __test__ = False  # not a pytest test class

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    station_cert: Path
    station_key: Path
    expired_server_cert: Path
    expired_server_key: Path
    untrusted_ca_cert: Path
    untrusted_server_cert: Path
    untrusted_server_key: Path
    wrong_host_server_cert: Path
    wrong_host_server_key: Path
    expired_station_cert: Path
    expired_station_key: Path
    untrusted_station_cert: Path
    untrusted_station_key: Path
    server_rsa_cert: Path
    server_rsa_key: Path

    def files(self) -> dict[str, Path]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _paths(out_dir: Path) -> TestPki:
    def file_name(field: str) -> str:
        return field.replace("_cert", ".crt.pem").replace("_key", ".key.pem")

    return TestPki(**{f.name: out_dir / file_name(f.name) for f in fields(TestPki)})


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
RSA_BITS = 2048  # A00.FR.5xx / TC_A_04_CSMS: an RSA key of at least 2048 bits
# Python's default server cipher list leaves out the TLS_RSA_* (non-ECDHE) suites; a CSMS serving the
# RSA certificate adds the two A00.FR.318 requires (TLS_RSA_WITH_AES_128/256_GCM_*).
TLS_RSA_SUITES = "AES128-GCM-SHA256:AES256-GCM-SHA384"


class _Issuer:
    def __init__(
        self, name: x509.Name, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate | None
    ) -> None:
        self.name = name
        self.key = key
        self.cert = cert


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, org: str = "ocpp-conformance test PKI") -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def _key_usage(ca: bool, *, rsa_key: bool = False) -> x509.KeyUsage:
    # An RSA key does TLS_RSA key transport (keyEncipherment); an EC leaf does ECDH (keyAgreement).
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=rsa_key,
        data_encipherment=False,
        key_agreement=not ca and not rsa_key,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _cert(
    subject: x509.Name,
    key: PrivateKey,
    issuer: _Issuer | None,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
    usage: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:
    if issuer is None:
        assert isinstance(key, ec.EllipticCurvePrivateKey)  # roots are EC
    signer = issuer or _Issuer(subject, key, None)  # type: ignore[arg-type]
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer.name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.key.public_key()), critical=False
        )
    )
    builder = builder.add_extension(_key_usage(ca, rsa_key=isinstance(key, rsa.RSAPrivateKey)), critical=True)
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signer.key, hashes.SHA256())


def _host_names(host: str) -> list[x509.GeneralName]:
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    names: list[x509.GeneralName] = [loopback, x509.DNSName("localhost")]
    try:
        extra: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        extra = x509.DNSName(host)
    if extra not in names:
        names.append(extra)
    return names


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_key(path: Path, key: PrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _reusable(out_dir: Path, pki: TestPki, station_id: str, host: str, now: dt.datetime) -> bool:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("station_id") != station_id or manifest.get("host") != host:
        return False
    try:
        valid_until = dt.datetime.fromisoformat(manifest["valid_until"])
    except (KeyError, TypeError, ValueError):
        return False
    return valid_until - REUSE_MARGIN > now and all(p.is_file() for p in pki.files().values())


def sign_csr(csr_pem: str, ca_cert: Path, ca_key: Path, *, days: int = VALID_DAYS) -> str:
    """A client certificate (PEM) for a station's PKCS#10 CSR, signed by the test CA: what a CSMS does
    for A02 / Memory State RenewChargingStationCertificate. Raises ValueError for a malformed CSR."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    ca = x509.load_pem_x509_certificate(Path(ca_cert).read_bytes())
    key = serialization.load_pem_private_key(Path(ca_key).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the test CA key is not an EC key")
    issuer = _Issuer(ca.subject, key, ca)
    now = dt.datetime.now(dt.UTC)
    public = csr.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError("the CSR's key is neither EC nor RSA")
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(issuer.name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def existing_test_pki(out_dir: Path) -> TestPki | None:
    """The test PKI already written in `out_dir` (all its files present), never (re)generating it: a
    case that swaps the harness's server certificate must not replace the CA the station trusts."""
    pki = _paths(Path(out_dir))
    return pki if all(p.is_file() for p in pki.files().values()) else None


def make_test_pki(out_dir: Path, station_id: str, host: str = "127.0.0.1", *, reuse: bool = True) -> TestPki:
    """Write (or reuse) the test PKI under `out_dir` and return the paths.

    Good material: root CA; CSMS server certificate (SAN IP 127.0.0.1, DNS localhost and `host`); station
    client certificate (CN = station id). Bad material: expired server certificate, server certificate from
    another (untrusted) CA, server certificate for another host name, expired station certificate, station
    certificate from the untrusted CA.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pki = _paths(out_dir)
    now = dt.datetime.now(dt.UTC)
    if reuse and _reusable(out_dir, pki, station_id, host, now):
        return pki

    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=VALID_DAYS)
    past_start, past_end = now - dt.timedelta(days=60), now - dt.timedelta(days=1)

    ca_key = _key()
    ca = _Issuer(_name("ocpp-conformance test root CA"), ca_key, None)
    ca.cert = _cert(ca.name, ca_key, None, not_before=start, not_after=end, ca=True)
    other_key = _key()
    other = _Issuer(_name("untrusted test CA", "somebody else"), other_key, None)
    other.cert = _cert(other.name, other_key, None, not_before=start, not_after=end, ca=True)
    _write_cert(pki.ca_cert, ca.cert)
    _write_key(pki.ca_key, ca_key)
    _write_cert(pki.untrusted_ca_cert, other.cert)

    server = ExtendedKeyUsageOID.SERVER_AUTH
    client = ExtendedKeyUsageOID.CLIENT_AUTH
    hosts = _host_names(host)
    valid, expired = (start, end), (past_start, past_end)
    wrong_host: list[x509.GeneralName] = [x509.DNSName(WRONG_HOST)]
    Leaf = tuple[Path, Path, str, _Issuer, tuple[dt.datetime, dt.datetime], list[x509.GeneralName], bool]
    leaves: list[Leaf] = [
        (pki.server_cert, pki.server_key, host, ca, valid, hosts, True),
        (pki.expired_server_cert, pki.expired_server_key, host, ca, expired, hosts, True),
        (pki.untrusted_server_cert, pki.untrusted_server_key, host, other, valid, hosts, True),
        (pki.wrong_host_server_cert, pki.wrong_host_server_key, WRONG_HOST, ca, valid, wrong_host, True),
        (pki.station_cert, pki.station_key, station_id, ca, valid, [], False),
        (pki.expired_station_cert, pki.expired_station_key, station_id, ca, expired, [], False),
        (pki.untrusted_station_cert, pki.untrusted_station_key, station_id, other, valid, [], False),
    ]
    for cert_path, key_path, cn, issuer, (nb, na), sans, is_server in leaves:
        key = _key()
        usage = server if is_server else client
        cert = _cert(_name(cn), key, issuer, not_before=nb, not_after=na, sans=sans, usage=usage)
        _write_cert(cert_path, cert)
        _write_key(key_path, key)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    rsa_cert = _cert(_name(host), rsa_key, ca, not_before=start, not_after=end, sans=hosts, usage=server)
    _write_cert(pki.server_rsa_cert, rsa_cert)
    _write_key(pki.server_rsa_key, rsa_key)

    manifest = {"station_id": station_id, "host": host, "valid_until": end.isoformat()}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return pki


# ------------------------------------------------------------------ M05 AdditionalRootCertificateCheck
@dataclass(frozen=True)
class SuccessorRoot:
    """A new CSMS root CA ("Root 2") signed by the test root CA, and a CSMS server certificate it issued
    (TC_M_30/31_CS, TC_B_47_CS: the new CSMSRootCertificate must be signed by the old one, M05.FR.10)."""

    __test__ = False

    root_cert: Path
    root_key: Path
    server_cert: Path
    server_key: Path


def _load_issuer(cert_path: Path, key_path: Path) -> _Issuer:
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path}: not an EC key")
    return _Issuer(cert.subject, key, cert)


def make_successor_root(pki: TestPki, out_dir: Path, host: str = "127.0.0.1") -> SuccessorRoot:
    """Write a successor root (signed by `pki`'s root CA) and a server certificate for `host` under it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = SuccessorRoot(
        *(out_dir / n for n in ("root2.crt.pem", "root2.key.pem", "server2.crt.pem", "server2.key.pem"))
    )
    old = _load_issuer(pki.ca_cert, pki.ca_key)
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=VALID_DAYS)
    root_key = _key()
    root = _Issuer(_name("ocpp-conformance test root CA 2"), root_key, None)
    root.cert = _cert(root.name, root_key, old, not_before=start, not_after=end, ca=True)
    server_key = _key()
    usage = ExtendedKeyUsageOID.SERVER_AUTH
    server = _cert(
        _name(host), server_key, root, not_before=start, not_after=end, sans=_host_names(host), usage=usage
    )
    _write_cert(paths.root_cert, root.cert)
    _write_key(paths.root_key, root_key)
    _write_cert(paths.server_cert, server)
    _write_key(paths.server_key, server_key)
    return paths


def cross_signed(subject_cert: Path, issuer_cert: Path, issuer_key: Path) -> str:
    """`subject_cert`'s CA (same name and key) re-issued by another CA, as PEM: what lets a CSMS hand a
    station's trust back from a successor root to the old one under AdditionalRootCertificateCheck."""
    subject = x509.load_pem_x509_certificate(Path(subject_cert).read_bytes())
    issuer = _load_issuer(issuer_cert, issuer_key)
    public = subject.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError(f"{subject_cert}: neither an EC nor an RSA key")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject.subject)
        .issuer_name(issuer.name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
        .add_extension(_key_usage(True), critical=True)
        .sign(issuer.key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()

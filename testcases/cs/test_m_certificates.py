"""Block M, ISO 15118 Certificate Management: charging station under test (Part 6 section 2.14), the Core
cases (M03 GetInstalledCertificateIds, M04 DeleteCertificate, M05 InstallCertificate).

The "configured" certificates Part 6 refers to are self-signed root CAs the harness generates (EC P-256)
once per certificate type; an expired one for TC_M_07_CS. The station's certificateHashData is compared
with the hash data of these certificates computed with the hashAlgorithm the station chose (SHA256 /
SHA384 / SHA512): issuerNameHash over the DER issuer name, issuerKeyHash over the issuer's public key
(the subjectPublicKey bits, as OCSP's CertID), serialNumber hexadecimal, compared without leading zeroes.

Every certificate a case installs is deleted again when the case ends (the station is shared by the run
and TC_M_19_CS wants no stray MORootCertificate); Part 6 does not validate this clean-up.

Readings of Part 6 where it is ambiguous (as a certification lab would):
- TC_M_07_CS step 4: "must NOT contain ... HashData from configured new CSMS Root certificate" is read as
  the hash data of the expired certificate sent at step 1 (the one that must not have been installed).
  A NotFound status is accepted there too: its prerequisite (security profile 2 or 3) is what makes a
  CSMSRootCertificate present, and a station holding none answers NotFound (M03.FR.02) while holding
  no invalid certificate either.
- TC_M_20_CS: the certificate deleted is the configured CSMS root the harness installs in the preparation
  (CertificateInstalled), not whichever CSMSRootCertificate the station lists first: deleting the root a
  security profile 2/3 station connects with would cut it off for the rest of the run.
- TC_M_22_CS step 1: the configured CSMS root is installed first when the station reports no
  CSMSRootCertificate (as TC_M_20_CS's preparation does), so step 1's Reusable State can hold on a run
  with security profile 0 or 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.session.endpoints import HarnessCsms
from conformance.session.states.cs import cs_precondition_booted
from conformance.testing import case, check, check_equal, check_in, step

HASH_FIELDS = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
NOT_LISTED = r"GetInstalledCertificateIdsResponse (status|has no certificateHashDataChain entry)"


# ------------------------------------------------------------------ the configured certificates
def _root(common_name: str, *, expired: bool = False) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocpp-conformance"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    start, end = (
        (now - dt.timedelta(days=60), now - dt.timedelta(days=30))
        if expired
        else (
            now - dt.timedelta(minutes=5),
            now + dt.timedelta(days=3650),
        )
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() >> 95)  # 64 bits
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


@functools.cache
def configured(certificate_type: str) -> x509.Certificate:
    """<Configured (new) certificate of certificateType>: a valid self-signed root CA ("Root 2")."""
    return _root(f"ocpp-conformance {certificate_type} (Root 2)")


@functools.cache
def expired_certificate() -> x509.Certificate:
    """<Generated Expired Certificate> (TC_M_07_CS): a root CA whose validity ended 30 days ago."""
    return _root("ocpp-conformance expired CSMS root", expired=True)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_bits(cert: x509.Certificate) -> bytes:
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    raise TypeError(f"unexpected key type {type(key).__name__}")  # the harness only makes EC roots


def hash_data(cert: x509.Certificate, algorithm: str = "SHA256") -> dict[str, str]:
    """CertificateHashDataType of a self-signed certificate (its own issuer) with `algorithm`."""
    digest = algorithm.lower()
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": hashlib.new(digest, cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.new(digest, _key_bits(cert)).hexdigest(),
        "serialNumber": format(cert.serial_number, "x"),
    }


def same_certificate(reported: Any, cert: x509.Certificate) -> bool:
    """Whether the station's certificateHashData identifies `cert` (in the algorithm it chose)."""
    if not isinstance(reported, Mapping) or reported.get("hashAlgorithm") not in (
        "SHA256",
        "SHA384",
        "SHA512",
    ):
        return False
    ours = hash_data(cert, str(reported["hashAlgorithm"]))
    return all(
        str(reported.get(f, "")).lower().lstrip("0") == ours[f].lower().lstrip("0") for f in HASH_FIELDS
    )


def listed(
    response: Mapping[str, Any], certificate_type: str, cert: x509.Certificate
) -> dict[str, Any] | None:
    """The certificateHashDataChain entry of `certificate_type` identifying `cert`, if any."""
    for entry in response.get("certificateHashDataChain") or []:
        if entry.get("certificateType") == certificate_type and same_certificate(
            entry.get("certificateHashData"), cert
        ):
            found: dict[str, Any] = entry
            return found
    return None


# ------------------------------------------------------------------ reusable / memory states


class Installed:
    """The certificates a case installed, deleted again when it ends (`installing`)."""

    def __init__(self) -> None:
        self.certs: list[x509.Certificate] = []


@contextlib.asynccontextmanager
async def installing(csms: HarnessCsms) -> AsyncIterator[Installed]:
    """Track what the case installs; delete it afterwards (best effort: not a Part 6 validation)."""
    box = Installed()
    try:
        yield box
    finally:
        if box.certs and csms.connected:
            with step("clean-up: delete the certificates the case installed"):
                for cert in box.certs:
                    with contextlib.suppress(Exception):
                        await csms.call("DeleteCertificate", {"certificateHashData": hash_data(cert)})


async def certificate_installed(
    csms: HarnessCsms, box: Installed, certificate_type: str, cert: x509.Certificate, label: str
) -> None:
    """Memory State CertificateInstalled (Part 6 Table 442): InstallCertificateResponse Accepted."""
    with step(f"{label}: CertificateInstalled: the OCTT sends InstallCertificateRequest {certificate_type}"):
        box.certs.append(cert)
        response = await csms.call_ok(
            "InstallCertificate", {"certificateType": certificate_type, "certificate": pem(cert)}
        )
        check_equal(
            response.get("status"),
            "Accepted",
            f"InstallCertificateResponse.status for a valid {certificate_type}"
            " (M05.FR.02, CertificateInstalled)",
        )


async def get_installed(csms: HarnessCsms, types: Sequence[str] | None, label: str) -> dict[str, Any]:
    """GetInstalledCertificateIdsRequest with certificateType `types` (omitted when None)."""
    what = " AND ".join(types) if types else "omitted"
    with step(f"{label}: the OCTT sends GetInstalledCertificateIdsRequest (certificateType {what})"):
        request: dict[str, Any] = {} if types is None else {"certificateType": list(types)}
        return await csms.call_ok("GetInstalledCertificateIds", request)


def check_listed(
    response: Mapping[str, Any], expected: Sequence[tuple[str, x509.Certificate]], rule: str
) -> None:
    """Reusable State GetInstalledCertificates (Part 6 Table 438) tool validations."""
    check_equal(response.get("status"), "Accepted", f"GetInstalledCertificateIdsResponse status ({rule})")
    for certificate_type, cert in expected:
        check(
            listed(response, certificate_type, cert) is not None,
            f"GetInstalledCertificateIdsResponse has no certificateHashDataChain entry with certificateType"
            f" {certificate_type} and the hash data of the configured {certificate_type} ({rule});"
            f" got {response.get('certificateHashDataChain')!r}",
        )


async def installed_and_listed(csms: HarnessCsms, sut: Any, certificate_type: str) -> None:
    """TC_M_01_CS / TC_M_02_CS: CertificateInstalled, then GetInstalledCertificates for the type."""
    await cs_precondition_booted(csms, sut)
    cert = configured(certificate_type)
    async with installing(csms) as box:
        await certificate_installed(csms, box, certificate_type, cert, "1")
        response = await get_installed(csms, [certificate_type], "2")
        check_listed(response, [(certificate_type, cert)], "M05.FR.01 / GetInstalledCertificates step 2")


async def retrieved(csms: HarnessCsms, sut: Any, types: Sequence[str], *, omit_type: bool = False) -> None:
    """TC_M_12/13/17/18_CS: Memory State CertificateInstalled per type, then one request for them."""
    await cs_precondition_booted(csms, sut)
    async with installing(csms) as box:
        for certificate_type in types:
            await certificate_installed(csms, box, certificate_type, configured(certificate_type), "before")
        response = await get_installed(csms, None if omit_type else types, "1-2")
        check_listed(response, [(t, configured(t)) for t in types], "M03.FR.01 / M03.FR.03 / M03.FR.04")


# ------------------------------------------------------------------ M05 InstallCertificate
@case(
    "TC_M_01_CS",
    requirements=("M05.FR.01", "M05.FR.02"),
    catches={"install-certificate-not-stored": NOT_LISTED},
)
async def test_TC_M_01_CS(csms: HarnessCsms, sut: Any) -> None:
    """Install CA certificate - CSMSRootCertificate (M05)."""
    await installed_and_listed(csms, sut, "CSMSRootCertificate")


@case(
    "TC_M_02_CS",
    requirements=("M05.FR.01", "M05.FR.02"),
    catches={"install-certificate-not-stored": NOT_LISTED},
)
async def test_TC_M_02_CS(csms: HarnessCsms, sut: Any) -> None:
    """Install CA certificate - ManufacturerRootCertificate (M05)."""
    await installed_and_listed(csms, sut, "ManufacturerRootCertificate")


@case(
    "TC_M_07_CS",
    requirements=("M05.FR.01", "M05.FR.07"),
    catches={"install-invalid-certificate": r"InstallCertificateResponse\.status for an expired"},
)
async def test_TC_M_07_CS(csms: HarnessCsms, sut: Any) -> None:
    """Install CA certificate - Rejected - Certificate invalid (M05.FR.07)."""
    await cs_precondition_booted(csms, sut)
    cert = expired_certificate()
    async with installing(csms) as box:
        with step("1-2: the OCTT sends InstallCertificateRequest CSMSRootCertificate (expired certificate)"):
            box.certs.append(cert)  # deleted again should the station have kept it
            response = await csms.call_ok(
                "InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": pem(cert)}
            )
            check_equal(
                response.get("status"),
                "Rejected",
                "InstallCertificateResponse.status for an expired CSMSRootCertificate (M05.FR.07, step 2)",
            )
        response = await get_installed(csms, ["CSMSRootCertificate"], "3-4")
        # NotFound: no CSMSRootCertificate at all (see the module docstring), so not the invalid one either.
        check_in(
            response.get("status"),
            ("Accepted", "NotFound"),
            "GetInstalledCertificateIdsResponse status (TC_M_07_CS step 4)",
        )
        check(
            listed(response, "CSMSRootCertificate", cert) is None,
            "GetInstalledCertificateIdsResponse lists the expired CSMSRootCertificate the station had to"
            " reject (M05.FR.07, TC_M_07_CS step 4)",
        )


# ------------------------------------------------------------------ M03 GetInstalledCertificateIds
@case(
    "TC_M_12_CS",
    requirements=("M03.FR.01", "M03.FR.03", "M03.FR.04"),
    catches={"install-certificate-not-stored": NOT_LISTED},
)
async def test_TC_M_12_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve certificates from Charging Station - CSMSRootCertificate (M03)."""
    await retrieved(csms, sut, ["CSMSRootCertificate"])


@case(
    "TC_M_13_CS",
    requirements=("M03.FR.01", "M03.FR.03", "M03.FR.04"),
    catches={"install-certificate-not-stored": NOT_LISTED},
)
async def test_TC_M_13_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve certificates from Charging Station - ManufacturerRootCertificate (M03)."""
    await retrieved(csms, sut, ["ManufacturerRootCertificate"])


@case(
    "TC_M_17_CS",
    requirements=("M03.FR.01", "M03.FR.03", "M03.FR.04"),
    catches={"installed-ids-first-type-only": NOT_LISTED},
)
async def test_TC_M_17_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve certificates - CSMSRootCertificate & ManufacturerRootCertificate in one request (M03)."""
    await retrieved(csms, sut, ["CSMSRootCertificate", "ManufacturerRootCertificate"])


@case(
    "TC_M_18_CS",
    requirements=("M03.FR.01", "M03.FR.03", "M03.FR.04"),
    catches={"install-certificate-not-stored": NOT_LISTED},
)
async def test_TC_M_18_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve certificates from Charging Station - All certificateTypes (certificateType omitted)."""
    await retrieved(csms, sut, ["CSMSRootCertificate", "ManufacturerRootCertificate"], omit_type=True)


@case(
    "TC_M_19_CS",
    requirements=("M03.FR.01", "M03.FR.02"),
    catches={
        "installed-ids-none-accepted": r"GetInstalledCertificateIdsResponse\.status for MORootCertificate"
    },
)
async def test_TC_M_19_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve certificates from Charging Station - No matching certificate found (M03.FR.02)."""
    await cs_precondition_booted(csms, sut)
    with step("before: the OCTT makes sure no MORootCertificate is installed (DeleteCertificate if one is)"):
        found = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": ["MORootCertificate"]})
        for entry in found.get("certificateHashDataChain") or []:
            if entry.get("certificateType") == "MORootCertificate":
                await csms.call_ok("DeleteCertificate", {"certificateHashData": entry["certificateHashData"]})
    response = await get_installed(csms, ["MORootCertificate"], "1-2")
    check_equal(
        response.get("status"),
        "NotFound",
        "GetInstalledCertificateIdsResponse.status for MORootCertificate with none installed"
        " (M03.FR.02, step 2)",
    )
    check(
        "certificateHashDataChain" not in response,
        f"GetInstalledCertificateIdsResponse.certificateHashDataChain must be omitted with status NotFound"
        f" (TC_M_19_CS step 2), got {response.get('certificateHashDataChain')!r}",
    )


# ------------------------------------------------------------------ M04 DeleteCertificate
async def _csms_root_listed(csms: HarnessCsms, box: Installed) -> dict[str, Any]:
    """TC_M_20/22_CS step 1 with its preparation: the installed CSMSRootCertificates (the configured one
    installed first when the station reports none)."""
    response = await get_installed(csms, ["CSMSRootCertificate"], "before")
    if response.get("status") != "Accepted":
        await certificate_installed(
            csms, box, "CSMSRootCertificate", configured("CSMSRootCertificate"), "before"
        )
    response = await get_installed(csms, ["CSMSRootCertificate"], "1")
    check_equal(
        response.get("status"), "Accepted", "GetInstalledCertificateIdsResponse status (step 1, M03.FR.01)"
    )
    return response


@case(
    "TC_M_20_CS",
    requirements=("M04.FR.01", "M04.FR.02"),
    catches={"delete-certificate-kept": r"still lists the deleted certificate"},
)
async def test_TC_M_20_CS(csms: HarnessCsms, sut: Any) -> None:
    """Delete a certificate from a Charging Station - Success (M04)."""
    await cs_precondition_booted(csms, sut)
    async with installing(csms) as box:
        # Delete a certificate the harness installed itself: deleting the root the station connects with
        # would cut a security profile 2/3 station off. Part 6 deletes "the returned" hash data.
        cert = configured("CSMSRootCertificate")
        await certificate_installed(csms, box, "CSMSRootCertificate", cert, "before")
        response = await get_installed(csms, ["CSMSRootCertificate"], "1")
        entry = listed(response, "CSMSRootCertificate", cert)
        check(
            entry is not None,
            "step 1: the certificate that is going to be deleted is not present in"
            " GetInstalledCertificateIdsResponse (TC_M_20_CS),"
            f" got {response.get('certificateHashDataChain')!r}",
        )
        assert entry is not None
        returned = entry["certificateHashData"]
        with step(
            "2-3: the OCTT sends DeleteCertificateRequest with the certificateHashData returned at step 1"
        ):
            deleted = await csms.call_ok("DeleteCertificate", {"certificateHashData": returned})
            check_equal(
                deleted.get("status"), "Accepted", "DeleteCertificateResponse.status (M04.FR.02, step 3)"
            )
        box.certs.remove(cert)
        after = await get_installed(csms, ["CSMSRootCertificate"], "4")
        check(
            listed(after, "CSMSRootCertificate", cert) is None,
            "step 4: GetInstalledCertificateIdsResponse still lists the deleted certificate"
            " (M04.FR.02, TC_M_20_CS)",
        )


@case(
    "TC_M_22_CS",
    requirements=("M04.FR.01", "M04.FR.04"),
    catches={"delete-unknown-accepted": r"DeleteCertificateResponse\.status for an unknown certificate"},
)
async def test_TC_M_22_CS(csms: HarnessCsms, sut: Any) -> None:
    """Delete a certificate from a Charging Station - No matching certificate found (M04.FR.04)."""
    await cs_precondition_booted(csms, sut)
    async with installing(csms) as box:
        await _csms_root_listed(csms, box)
        unknown = _root("ocpp-conformance never installed")
        with step(
            "2-3: the OCTT sends DeleteCertificateRequest with the hash data of an unknown certificate"
        ):
            response = await csms.call_ok("DeleteCertificate", {"certificateHashData": hash_data(unknown)})
            check_equal(
                response.get("status"),
                "NotFound",
                "DeleteCertificateResponse.status for an unknown certificate (M04.FR.04, step 3)",
            )

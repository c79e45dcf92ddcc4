"""Block M, ISO 15118 Certificate Management: CSMS under test (Part 6 section 3.14).

The "configured" certificates Part 6 refers to are self-signed root CAs the harness generates once per
certificate type; the hash data the harness's station reports for them is computed as OCPP's
CertificateHashDataType prescribes (issuer name and issuer key hashed, serial number in hexadecimal).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.session.endpoints import HarnessStation
from conformance.session.states import csms as states
from conformance.testing import case, check, check_equal, step

HASH_ALGORITHMS = ("SHA256", "SHA384", "SHA512")
STORED_TYPES = (
    "CSMSRootCertificate",
    "ManufacturerRootCertificate",
    "V2GRootCertificate",
    "MORootCertificate",
)
TYPE_SWAPPED = r"InstallCertificateRequest\.certificateType \(CertificateInstalled tool validation\)"
FILTER_DROPPED = (
    r"GetInstalledCertificateIdsRequest\.certificateType .*expected \['ManufacturerRootCertificate'\]"
)
HASH_CHANGED = r"DeleteCertificateRequest\.certificateHashData \(TC_M_2[01]_CSMS step \d\)"


@functools.cache
def configured_certificate(certificate_type: str) -> x509.Certificate:
    """<The configured certificate of the specified certificateType>: a self-signed root CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ocpp-conformance {certificate_type}")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() >> 95)  # 64 bits: any rendering fits the schema
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def pem_of(certificate_type: str) -> str:
    return configured_certificate(certificate_type).public_bytes(serialization.Encoding.PEM).decode()


def hash_data(certificate_type: str, algorithm: str = "SHA256") -> dict[str, str]:
    """CertificateHashDataType of a configured (self-signed, so its own issuer) certificate."""
    cert = configured_certificate(certificate_type)
    issuer_key = cert.public_key()
    assert isinstance(issuer_key, ec.EllipticCurvePublicKey)
    key_bits = issuer_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    digest = algorithm.lower()
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": hashlib.new(digest, cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.new(digest, key_bits).hexdigest(),
        "serialNumber": format(cert.serial_number, "x"),
    }


def chain_entry(certificate_type: str, algorithm: str = "SHA256") -> dict[str, Any]:
    return {
        "certificateType": certificate_type,
        "certificateHashData": hash_data(certificate_type, algorithm),
    }


def _same_hash_data(sent: Any, returned: dict[str, str]) -> bool:
    if not isinstance(sent, dict):
        return False
    fields = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
    return all(str(sent.get(f, "")).lower() == returned[f].lower() for f in fields)


@case(
    "TC_M_01_CSMS",
    requirements=("M05.FR.01",),
    catches={"install-certificate-type-swapped": TYPE_SWAPPED},
)
async def test_TC_M_01_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Install CA certificate - CSMSRootCertificate (Reusable State CertificateInstalled)."""
    await states.csms_booted(station, sut)
    await states.certificate_installed(station, actions, "CSMSRootCertificate", pem_of("CSMSRootCertificate"))


@case(
    "TC_M_02_CSMS",
    requirements=("M05.FR.01",),
    catches={"install-certificate-type-swapped": TYPE_SWAPPED},
)
async def test_TC_M_02_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Install CA certificate - ManufacturerRootCertificate (Reusable State CertificateInstalled)."""
    await states.csms_booted(station, sut)
    kind = "ManufacturerRootCertificate"
    await states.certificate_installed(station, actions, kind, pem_of(kind))


@case(
    "TC_M_05_CSMS",
    requirements=("M05.FR.01", "M05.FR.03"),
    catches={"install-certificate-type-swapped": TYPE_SWAPPED},
)
async def test_TC_M_05_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Install CA certificate - Failed: the station answers InstallCertificateResponse Failed.

    Part 6 lists no tool validation here; the manual action names certificateType CSMSRootCertificate, so
    the request is checked as in Reusable State CertificateInstalled (a lab would).
    """
    await states.csms_booted(station, sut)
    await states.certificate_installed(
        station, actions, "CSMSRootCertificate", pem_of("CSMSRootCertificate"), status="Failed"
    )


@case(
    "TC_M_13_CSMS",
    requirements=("M03.FR.01",),
    catches={"get-installed-certificates-type-dropped": FILTER_DROPPED},
)
async def test_TC_M_13_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Retrieve certificates - ManufacturerRootCertificate (Reusable State GetInstalledCertificates)."""
    await states.csms_booted(station, sut)
    kind = "ManufacturerRootCertificate"
    await states.get_installed_certificates(station, actions, [kind], [chain_entry(kind)])


@case(
    "TC_M_18_CSMS",
    requirements=("M03.FR.01",),
    catches={"get-installed-certificates-default-filter": r"certificateType must be omitted"},
)
async def test_TC_M_18_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Retrieve certificates - All certificateTypes: the request carries no certificateType."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends GetInstalledCertificateIdsRequest; the OCTT reports its whole truststore"):
        chain = [chain_entry(kind) for kind in STORED_TYPES]
        station.on("GetInstalledCertificateIds", {"status": "Accepted", "certificateHashDataChain": chain})
        received, task = await states.operator_request(station, actions, "GetInstalledCertificateIds", {})
        check(
            "certificateType" not in received.payload,
            "GetInstalledCertificateIdsRequest.certificateType must be omitted (TC_M_18_CSMS step 1), got"
            f" {received.payload.get('certificateType')!r}",
        )
        await states.operator_done(station, task)


@case(
    "TC_M_19_CSMS",
    requirements=("M03.FR.01", "M03.FR.02"),
    catches={"get-installed-certificates-type-dropped": FILTER_DROPPED},
)
async def test_TC_M_19_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Retrieve certificates - No matching certificate found (NotFound, no certificateHashDataChain)."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends GetInstalledCertificateIdsRequest; the OCTT answers NotFound"):
        station.on("GetInstalledCertificateIds", {"status": "NotFound"})
        kinds = ["ManufacturerRootCertificate"]
        received, task = await states.operator_request(
            station, actions, "GetInstalledCertificateIds", {"certificateType": kinds}
        )
        check_equal(
            received.payload.get("certificateType"),
            kinds,
            "GetInstalledCertificateIdsRequest.certificateType (TC_M_19_CSMS step 1)",
        )
        await states.operator_done(station, task)


async def _delete_csms_root(
    station: HarnessStation, actions: Any, case_id: str, first: int, algorithm: str, answer: str
) -> None:
    """Steps 'GetInstalledCertificateIds, then DeleteCertificate' of TC_M_20/21_CSMS, from step `first`.

    The manual action asks the CSMS to delete a certificate; the driver vocabulary names the two
    requests the CSMS sends for it, so the operator asks for both, the second with the hash data the
    station returned (as an operator would pick it from the CSMS's list).
    """
    kind = "CSMSRootCertificate"
    returned = hash_data(kind, algorithm)
    with step(
        f"{first}-{first + 1}: the CSMS sends GetInstalledCertificateIdsRequest; the OCTT answers"
        f" {algorithm} hash data"
    ):
        station.on(
            "GetInstalledCertificateIds",
            {"status": "Accepted", "certificateHashDataChain": [chain_entry(kind, algorithm)]},
        )
        received, task = await states.operator_request(
            station, actions, "GetInstalledCertificateIds", {"certificateType": [kind]}
        )
        types = received.payload.get("certificateType")
        check(
            types is None or kind in types,
            f"GetInstalledCertificateIdsRequest.certificateType must contain {kind} or be omitted"
            f" ({case_id} step {first}), got {types!r}",
        )
        await states.operator_done(station, task)
    with step(f"{first + 2}-{first + 3}: the CSMS sends DeleteCertificateRequest; the OCTT answers {answer}"):
        station.on("DeleteCertificate", {"status": answer})
        received, task = await states.operator_request(
            station, actions, "DeleteCertificate", {"certificateHashData": returned}
        )
        sent = received.payload.get("certificateHashData")
        check(
            _same_hash_data(sent, returned),
            f"DeleteCertificateRequest.certificateHashData ({case_id} step {first + 2}) must be the hash data"
            f" returned at step {first + 1}: expected {returned!r}, got {sent!r}",
        )
        await states.operator_done(station, task)


@case(
    "TC_M_20_CSMS",
    requirements=("M04.FR.01", "M04.FR.07"),
    catches={
        "delete-certificate-decimal-serial": HASH_CHANGED,
        "install-certificate-type-swapped": TYPE_SWAPPED,
    },
)
async def test_TC_M_20_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Delete a certificate - Success, steps 1-5 once per hash algorithm (SHA256, SHA384, SHA512)."""
    await states.csms_booted(station, sut)
    kind = "CSMSRootCertificate"
    for algorithm in HASH_ALGORITHMS:
        with step(f"{algorithm}: steps 1-5"):
            with step("1: Reusable State CertificateInstalled (CSMSRootCertificate)"):
                await states.certificate_installed(station, actions, kind, pem_of(kind))
            await _delete_csms_root(station, actions, "TC_M_20_CSMS", 2, algorithm, "Accepted")


@case(
    "TC_M_21_CSMS",
    requirements=("M04.FR.01", "M04.FR.07"),
    catches={
        "delete-certificate-decimal-serial": HASH_CHANGED,
        "install-certificate-type-swapped": TYPE_SWAPPED,
    },
)
async def test_TC_M_21_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Delete a certificate - Failed: the station answers DeleteCertificateResponse Failed."""
    await states.csms_booted(station, sut)
    kind = "CSMSRootCertificate"
    with step("Before: Reusable State CertificateInstalled (CSMSRootCertificate)"):
        await states.certificate_installed(station, actions, kind, pem_of(kind))
    await _delete_csms_root(station, actions, "TC_M_21_CSMS", 1, "SHA256", "Failed")

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
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.errors import SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.states.cs import cs_boot_sequence, cs_connectors_reported, cs_precondition_booted
from conformance.testing import case, check, check_equal, check_in, step
from conformance.transport.pki import (
    SuccessorRoot,
    TestPki,
    cross_signed,
    existing_test_pki,
    make_successor_root,
)
from testcases.cs.test_b_network_profiles import require_profile

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


def hash_data(
    cert: x509.Certificate, algorithm: str = "SHA256", *, issuer: x509.Certificate | None = None
) -> dict[str, str]:
    """CertificateHashDataType with `algorithm`: issuerKeyHash hashes the issuer's key (a self-signed
    certificate is its own issuer; a successor root under M05 names the root that signed it)."""
    digest = algorithm.lower()
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": hashlib.new(digest, cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.new(digest, _key_bits(issuer or cert)).hexdigest(),
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


# ------------------------------------------------------------------ M05 AdditionalRootCertificateCheck (AS-2)
# "Configured old CSMS Root certificate" is the root CA of the harness's own test PKI, which the station
# connects with; the "new" one is a successor root that CA signed, with a CSMS server certificate it issued
# (conformance.transport.pki.make_successor_root). Against another PKI these cases skip: the harness holds
# no key of that root to sign a successor with.
ROOT = "CSMSRootCertificate"


def harness_pki(csms: HarnessCsms, case_id: str) -> TestPki:
    """Part 6 prerequisite (security profile 2 or 3) and the harness's test PKI behind its certificate."""
    require_profile(csms, (2, 3), case_id)
    main = csms.server.security
    pki = existing_test_pki(Path(main.certfile).parent) if main.certfile else None
    if pki is None or main.certfile is None or pki.server_cert != Path(main.certfile):
        pytest.skip(
            f"{case_id} needs the harness's server certificate from its own test PKI (--ocpp-builtin or"
            " `ocpp-conformance certs`): it signs the new CSMS root with that PKI's root CA"
        )
    return pki


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


async def install_root(csms: HarnessCsms, certificate: str) -> str:
    response = await csms.call_ok("InstallCertificate", {"certificateType": ROOT, "certificate": certificate})
    return str(response.get("status"))


async def new_root_installed(csms: HarnessCsms, new: SuccessorRoot) -> None:
    """Memory State CertificateInstalled with <Configured new CSMS Root certificate 2> (signed by the old)."""
    with step(
        "before: CertificateInstalled: InstallCertificateRequest with the new CSMS root (signed by the old)"
    ):
        check_equal(
            await install_root(csms, new.root_cert.read_text()),
            "Accepted",
            "InstallCertificateResponse.status for a new CSMSRootCertificate signed by the installed one"
            " (M05.FR.10, CertificateInstalled)",
        )


async def reconnected(csms: HarnessCsms, floor: int, rule: str) -> None:
    """The station's next connection after `floor`; a clear failure naming `rule` when none comes."""
    try:
        await csms.wait_connected(timeout=csms.timeout * 3, after=floor)
    except SutTimeout:
        check(False, f"the station did not connect again after the reset ({rule})")


async def reset_on_idle(csms: HarnessCsms) -> int:
    """Steps 1-2: ResetRequest OnIdle, Accepted; returns the connection count before the reboot."""
    floor = csms.events.connected
    with step("1-2: the OCTT sends ResetRequest OnIdle; the station answers Accepted"):
        response = await csms.call_ok("Reset", {"type": "OnIdle"})
        check_equal(response.get("status"), "Accepted", "ResetResponse.status (step 2)")
        csms.discard_inbox(before=csms.last_response_mark)  # what the station sent before the reset
    return floor


async def trust_restored(csms: HarnessCsms, pki: TestPki, new: SuccessorRoot) -> None:
    """Clean-up, not Part 6: the station trusts the old root again, as the run's other cases need.

    Still listed (the station fell back, or never dropped it): only the new root is deleted. Replaced
    (TC_M_30_CS): the check admits only roots the installed one signed, so the trust goes back in two
    hops, each followed by a reconnect: the old CA re-issued by the new root, then the old root itself
    (signed by the same key as that re-issued CA)."""
    main = csms.server.security
    assert main.certfile is not None and main.keyfile is not None
    csms.server.use_server_certificate(main.certfile, main.keyfile)
    if not csms.connected:
        return
    with step("clean-up: the station trusts the old CSMS root again"):
        listing = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [ROOT]})
        if listed(listing, ROOT, load_cert(pki.ca_cert)) is None:
            hops = (cross_signed(pki.ca_cert, new.root_cert, new.root_key), pki.ca_cert.read_text())
            for certificate in hops:
                check_equal(await install_root(csms, certificate), "Accepted", "clean-up InstallCertificate")
                floor = csms.events.connected
                await csms.go_offline()
                csms.go_online()
                await csms.wait_connected(timeout=csms.timeout * 3, after=floor)
        with contextlib.suppress(Exception):
            successor = hash_data(load_cert(new.root_cert), issuer=load_cert(pki.ca_cert))
            await csms.call("DeleteCertificate", {"certificateHashData": successor})


@case(
    "TC_M_09_CS",
    requirements=("M05.FR.10", "M05.FR.11"),
    catches={
        "root-check-accepts-unsigned": r"InstallCertificateResponse\.status for a CSMSRootCertificate not"
    },
)
async def test_TC_M_09_CS(csms: HarnessCsms, sut: Any) -> None:
    """Install CA certificate - AdditionalRootCertificateCheck - Rejected (M05.FR.10, M05.FR.11)."""
    pki = harness_pki(csms, "TC_M_09_CS")
    await cs_precondition_booted(csms, sut)
    cert = configured(ROOT)  # self-signed "Root 2": not signed by the old root
    async with installing(csms) as box:
        with step(
            "1-2: the OCTT sends InstallCertificateRequest CSMSRootCertificate not signed by the old root"
        ):
            box.certs.append(cert)  # deleted again should the station have kept it
            check_equal(
                await install_root(csms, pem(cert)),
                "Rejected",
                "InstallCertificateResponse.status for a CSMSRootCertificate not signed by the installed"
                " one with AdditionalRootCertificateCheck true (M05.FR.11, step 2)",
            )
        response = await get_installed(csms, [ROOT], "3-4")
        # "must contain one entry with" the old root's hash data: read as an entry, not as exactly one.
        check_listed(response, [(ROOT, load_cert(pki.ca_cert))], "the old CSMS root, M05.FR.11, step 4")


@case(
    "TC_M_30_CS",
    requirements=("M05.FR.13",),
    catches={"root-check-keeps-old-root": r"still lists the old CSMS root"},
)
async def test_TC_M_30_CS(csms: HarnessCsms, sut: Any) -> None:
    """Install CA certificate - AdditionalRootCertificateCheck - Reconnect using new CSMS Root - Success
    (M05.FR.13). At security profile 3 the Memory State RenewChargingStationCertificate is not run: the
    harness verifies client certificates with its own CA, which the CSMS root change does not touch."""
    pki = harness_pki(csms, "TC_M_30_CS")
    await cs_precondition_booted(csms, sut)
    with tempfile.TemporaryDirectory() as tmp:
        new = make_successor_root(pki, Path(tmp), csms.server.host)
        try:
            await new_root_installed(csms, new)
            floor = await reset_on_idle(csms)
            csms.server.use_server_certificate(new.server_cert, new.server_key)
            with step(
                "3-4: the OCTT presents a CSMS certificate signed by the new root; the connection succeeds"
            ):
                await reconnected(csms, floor, "with a CSMS certificate signed by the new root, M05.FR.13")
            await cs_boot_sequence(csms, sut)  # 5: Reusable State Booted
            response = await get_installed(csms, [ROOT], "6-7")
            check_equal(
                response.get("status"), "Accepted", "GetInstalledCertificateIdsResponse status (step 7)"
            )
            check(
                listed(response, ROOT, load_cert(pki.ca_cert)) is None,
                "step 7: GetInstalledCertificateIdsResponse still lists the old CSMS root after the station"
                " connected with the new one (M05.FR.13)",
            )
        finally:
            await trust_restored(csms, pki, new)


@case(
    "TC_M_31_CS",
    requirements=("M05.FR.14",),
    catches={"root-check-no-fallback": r"did not connect again after the reset .*M05\.FR\.14"},
)
async def test_TC_M_31_CS(csms: HarnessCsms, sut: Any) -> None:
    """Install CA certificate - AdditionalRootCertificateCheck - Reconnect using new CSMS Root - Fallback
    mechanism (M05.FR.14). Steps 4-5 (a failed validation, then one with the old root) are not observed
    one by one: a station may re-validate within one handshake; only the resulting connection counts."""
    pki = harness_pki(csms, "TC_M_31_CS")
    await cs_precondition_booted(csms, sut)
    with tempfile.TemporaryDirectory() as tmp:
        new = make_successor_root(pki, Path(tmp), csms.server.host)
        try:
            await new_root_installed(csms, new)
            with csms.refusals_expected() as refused:  # the handshake trusting only the new root
                floor = await reset_on_idle(csms)
                with step(
                    "3-5: the OCTT presents a CSMS certificate signed by the old root; the station falls back"
                ):
                    await reconnected(csms, floor, "falling back to the old CSMS root, M05.FR.14")
            csms.transcript.note(f"handshakes the station refused before it fell back: {len(refused)}")
            await booted_after_fallback(csms, sut)
            response = await get_installed(csms, [ROOT], "7-8")
            check_listed(response, [(ROOT, load_cert(pki.ca_cert))], "the old CSMS root, M05.FR.14, step 8")
        finally:
            await trust_restored(csms, pki, new)


async def booted_after_fallback(csms: HarnessCsms, sut: Any) -> None:
    """Step 6, Reusable State Booted: as cs_boot_sequence, but the security event of the boot is picked
    among others (the refused CSMS certificate is reported as InvalidCsmsCertificate too, A00.FR.311)."""
    with step("6 Booted 3-4: the station sends BootNotificationRequest; the OCTT accepts it"):
        await csms.expect("BootNotification", timeout=csms.timeout * 2)
    await cs_connectors_reported(csms, sut, "Available", label="6 Booted 5-6")
    with step("6 Booted 7-8: the station sends SecurityEventNotificationRequest"):
        await csms.expect(
            "SecurityEventNotification",
            where=lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
            what="a SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot (Booted step 7)",
        )

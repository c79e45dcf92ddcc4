"""Block A, Security: CSMS under test (Part 6 section 3.2).

The harness plays the charging station. These cases test the connection itself, so each opens its
own connections; a case whose security profile differs from the run's (--ocpp-security-profile) is
not applicable (Part 6 prerequisites: "The CSMS supports security profile ...").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import ssl
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from conformance.errors import HarnessError, NotApplicable
from conformance.ocppj.frames import Call
from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.states.csms import operator_done, operator_request
from conformance.testing import case, check, check_equal, step
from conformance.transport.security import client_ssl_context

# identifierString (Part 2): alphanumerics and *-_=:+|@. ; ':' is left out, Basic auth splits there.
_IDENTIFIER_CHARS: Final = string.ascii_letters + string.digits + "*-_=+|@."
PASSWORD_VARIABLE: Final = ("SecurityCtrlr", "BasicAuthPassword")


def require_profile(station: HarnessStation, allowed: tuple[int, ...], case_id: str) -> None:
    """Part 6 prerequisite of `case_id`: the CSMS runs one of the `allowed` security profiles."""
    profile = station.security.profile
    if profile not in allowed:
        wanted = " or ".join(str(p) for p in allowed)
        raise NotApplicable(
            f"{case_id} needs the CSMS under test at security profile {wanted}; this run uses"
            f" profile {profile} (--ocpp-security-profile)"
        )


def random_password(configured: str | None) -> str:
    """A random identifierString of 16-40 characters with high entropy (TC_A_03_CSMS), never the
    configured password."""
    while True:
        length = 16 + secrets.randbelow(25)
        candidate = "".join(secrets.choice(_IDENTIFIER_CHARS) for _ in range(length))
        if candidate != configured:
            return candidate


# ---------------------------------------------------------------- A00: Basic authentication
@case(
    "TC_A_01_CSMS",
    requirements=("A00.FR.204", "B01.FR.02"),
    catches={"basic-auth-scheme-case": r"refused valid Basic auth credentials \(A00\.FR\.204\)"},
)
async def test_TC_A_01_CSMS(station: HarnessStation, sut: Any) -> None:
    """Basic Authentication, valid username/password (A00, B01): security profile 1 or 2."""
    require_profile(station, (1, 2), "TC_A_01_CSMS")
    with step("1-2: the OCTT connects with Basic auth <station id>:<configured password>; the CSMS upgrades"):
        reason = await station.try_connect()
        check(reason is None, f"the CSMS refused valid Basic auth credentials (A00.FR.204): {reason}")
    # Steps 3-6: BootNotification (Accepted) and the connectors' state, as Reusable State Booted.
    await states.csms_booted(station, sut)


@case(
    "TC_A_02_CSMS",
    requirements=("A00.FR.204",),
    catches={"basic-auth-username-unchecked": r"username is not the station id \(A00\.FR\.204\)"},
)
async def test_TC_A_02_CSMS(station: HarnessStation, sut: Any) -> None:
    """Basic Authentication, username does not equal the station id (A00): the CSMS refuses."""
    require_profile(station, (1, 2), "TC_A_02_CSMS")
    wrong = dataclasses.replace(station.security, username=station.station_id + "Invalid")
    with step("1-2: the OCTT connects with Basic auth <station id>Invalid:<configured password>; refused"):
        reason = await station.try_connect(security=wrong)
        check(
            reason is not None,
            "the CSMS accepted a connection whose Basic auth username is not the station id (A00.FR.204)",
        )


@case(
    "TC_A_03_CSMS",
    requirements=("A00.FR.204",),
    catches={"accepts-bad-password": r"wrong Basic auth password \(A00\.FR\.204\)"},
)
async def test_TC_A_03_CSMS(station: HarnessStation, sut: Any) -> None:
    """Basic Authentication, invalid password (A00): the CSMS refuses."""
    require_profile(station, (1, 2), "TC_A_03_CSMS")
    wrong = dataclasses.replace(station.security, password=random_password(station.security.password))
    with step("1-2: the OCTT connects with Basic auth <station id>:<random 16-40 char password>; refused"):
        reason = await station.try_connect(security=wrong)
        check(
            reason is not None, "the CSMS accepted a connection with a wrong Basic auth password (A00.FR.204)"
        )


# ---------------------------------------------------------------- A00: TLS
@case(
    "TC_A_06_CSMS",
    requirements=("A00.FR.314", "A00.FR.315", "A00.FR.409", "A00.FR.416", "A00.FR.417", "A00.FR.418"),
    catches={"accepts-tls11": r"completed a TLS handshake below TLS 1\.2"},
)
async def test_TC_A_06_CSMS(station: HarnessStation, sut: Any) -> None:
    """TLS, server-side certificate, TLS version too low (A00): security profile 2 or 3."""
    require_profile(station, (2, 3), "TC_A_06_CSMS")
    old = dataclasses.replace(station.security, tls_max_version=ssl.TLSVersion.TLSv1_1)
    with step("1-2: the OCTT offers at most TLS 1.1; the CSMS terminates the connection"):
        reason = await station.try_connect(security=old)
        if reason is not None and "refused locally" in reason:
            raise HarnessError(
                f"this host's OpenSSL cannot offer TLS 1.1, so TC_A_06_CSMS cannot run: {reason}"
            )
        check(reason is not None, "the CSMS completed a TLS handshake below TLS 1.2 (A00.FR.314, A00.FR.409)")
    with step("3-8: the OCTT connects with TLS 1.2 or above; the CSMS upgrades the connection"):
        reason = await station.try_connect()
        check(reason is None, f"the CSMS refused a TLS 1.2+ connection (A00.FR.314): {reason}")
    # Steps 9-12: BootNotification (Accepted) and the connectors' state, as Reusable State Booted.
    await states.csms_booted(station, sut)


# TC_A_04_CSMS step 3: the suites a CSMS must support (A00.FR.318), IANA name -> OpenSSL name.
REQUIRED_SUITES: Final = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
}


@dataclasses.dataclass(frozen=True)
class TlsHandshake:
    version: str | None
    cipher: str | None
    certificate: bytes | None  # the server certificate, DER
    error: str | None = None


async def tls12_handshake(station: HarnessStation, suite: str) -> TlsHandshake:
    """A bare TLS 1.2 handshake with the CSMS offering only `suite` (OpenSSL name), then closed."""
    parts = urlsplit(station.csms_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 443
    ctx = client_ssl_context(dataclasses.replace(station.security, tls_max_version=ssl.TLSVersion.TLSv1_2))
    try:
        ctx.set_ciphers(suite)
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host), station.connect_timeout
        )
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        return TlsHandshake(None, None, None, f"{type(exc).__name__}: {exc}")
    tls = writer.get_extra_info("ssl_object")
    result = TlsHandshake(tls.version(), tls.cipher()[0], tls.getpeercert(binary_form=True))
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), station.connect_timeout)
    return result


def certificate_problems(der: bytes, host: str) -> list[str]:
    """TC_A_04_CSMS step 3 on the server certificate: key size, serial number, CN = the endpoint's FQDN."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)
    problems = []
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey) and key.key_size < 2048:
        problems.append(f"its {type(key).__name__[:3]} key has {key.key_size} bits, fewer than 2048")
    if isinstance(key, ec.EllipticCurvePublicKey) and key.key_size < 224:
        problems.append(f"its elliptic-curve key has {key.key_size} bits, fewer than 224")
    if not cert.serial_number:
        problems.append("it has no serial number")
    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if host not in names:
        problems.append(f"its subject commonName {names or 'none'} is not the endpoint's host {host!r}")
    return problems


@case(
    "TC_A_04_CSMS",
    requirements=(
        "A00.FR.306",
        "A00.FR.307",
        "A00.FR.312",
        "A00.FR.318",
        "A00.FR.321",
        "A00.FR.502",
        "A00.FR.503",
        "A00.FR.507",
        "A00.FR.508",
        "A00.FR.510",
    ),
    catches={"tls-no-rsa-suites": r"TLS_RSA_WITH_AES_128_GCM_SHA256 .*A00\.FR\.318"},
)
async def test_TC_A_04_CSMS(station: HarnessStation, sut: Any) -> None:
    """TLS, server-side certificate, valid certificate (A00): security profile 2 or 3.

    The OCTT's step-3 validations are made with one bare TLS 1.2 handshake per required cipher suite
    (each offering only that suite); the CSMS must complete all four. Part 6's "PEM format" concerns
    the configured file: on the wire a certificate is always DER, so it is not checked here."""
    require_profile(station, (2, 3), "TC_A_04_CSMS")
    host = urlsplit(station.csms_url).hostname or ""
    problems: list[str] = []
    certificates: list[bytes] = []
    with step("1-4: TLS handshakes, TLS 1.2, one per required cipher suite (tool validations step 3)"):
        for iana, openssl_name in REQUIRED_SUITES.items():
            result = await tls12_handshake(station, openssl_name)
            if result.error is not None or result.cipher != openssl_name:
                problems.append(
                    f"the CSMS did not complete a TLS 1.2 handshake offering only {iana} (A00.FR.318):"
                    f" {result.error or result.cipher}"
                )
                continue
            if result.certificate is not None:
                certificates.append(result.certificate)
        for der in certificates:
            problems.extend(f"server certificate: {p} (A00.FR.5xx)" for p in certificate_problems(der, host))
        check(not problems, "; ".join(dict.fromkeys(problems)))
    with step("5-6: the OCTT connects (TLS 1.2 or above); the CSMS upgrades the connection"):
        reason = await station.try_connect()
        check(reason is None, f"the CSMS refused a valid TLS connection (A00.FR.312): {reason}")
    # Steps 7-10: BootNotification (Accepted) and the connectors' state, as Reusable State Booted.
    await states.csms_booted(station, sut)


# ---------------------------------------------------------------- A01: BasicAuthPassword update
def answer_set_variables(status: str) -> Callable[[Call], dict[str, Any]]:
    """A SetVariablesResponse giving every requested variable `status`."""

    def respond(call: Call) -> dict[str, Any]:
        results = [
            {"attributeStatus": status, "component": e["component"], "variable": e["variable"]}
            for e in call.payload.get("setVariableData", [])
        ]
        return {"setVariableResult": results}

    return respond


async def request_new_password(station: HarnessStation, actions: Any, answer: str, case_id: str) -> str:
    """Steps 1-2 of TC_A_09/10_CSMS: the CSMS sets SecurityCtrlr.BasicAuthPassword; the OCTT answers
    `answer`. Returns the password the CSMS sent (the CSMS chooses it; the operator request suggests one)."""
    component, variable = PASSWORD_VARIABLE
    suggested = random_password(station.security.password)
    request = {
        "setVariableData": [
            {"component": {"name": component}, "variable": {"name": variable}, "attributeValue": suggested}
        ]
    }
    station.on("SetVariables", answer_set_variables(answer))
    with step(
        f"1-2: the CSMS sends SetVariablesRequest SecurityCtrlr.BasicAuthPassword; the OCTT answers {answer}"
    ):
        received, task = await operator_request(station, actions, "SetVariables", request)
        entries = received.payload.get("setVariableData", [])
        entry = next(
            (
                e
                for e in entries
                if e.get("component", {}).get("name") == component
                and e.get("variable", {}).get("name") == variable
            ),
            None,
        )
        check(
            entry is not None,
            f"SetVariablesRequest.setVariableData: no entry for {component}.{variable} ({case_id} step 1)",
        )
        assert entry is not None
        await operator_done(station, task)
    return str(entry.get("attributeValue", ""))


async def restore_password(station: HarnessStation, actions: Any, configured: str | None) -> None:
    """Not in Part 6: give the CSMS the configured password back, so later cases connect as configured."""
    if configured is None or not station.connected:
        return
    component, variable = PASSWORD_VARIABLE
    request = {
        "setVariableData": [
            {"component": {"name": component}, "variable": {"name": variable}, "attributeValue": configured}
        ]
    }
    station.on("SetVariables", answer_set_variables("Accepted"))
    with step("After: the CSMS is asked to set the configured BasicAuthPassword again (clean-up)"):
        _received, task = await operator_request(station, actions, "SetVariables", request)
        await operator_done(station, task)


@case(
    "TC_A_09_CSMS",
    requirements=("A01.FR.02", "A01.FR.03"),
    catches={"ignores-new-password": r"refused the new BasicAuthPassword"},
    actions=("SetVariables",),
)
async def test_TC_A_09_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Update Charging Station Password for HTTP Basic Authentication, Accepted (A01)."""
    require_profile(station, (1, 2), "TC_A_09_CSMS")
    await states.csms_booted(station, sut)  # Part 6 runs it on an open, booted connection
    configured = station.security.password
    new_password = await request_new_password(station, actions, "Accepted", "TC_A_09_CSMS")
    updated = dataclasses.replace(station.security, password=new_password)
    try:
        with step("3-4: the OCTT reconnects with Basic auth <station id>:<new password>; the CSMS upgrades"):
            await station.disconnect()
            reason = await station.try_connect(security=updated)
            check(
                reason is None,
                f"the CSMS refused the new BasicAuthPassword the station Accepted (A01.FR.03): {reason}",
            )
        await states.csms_booted(station, sut)  # steps 5-8
    finally:
        with contextlib.suppress(Exception):
            await restore_password(station, actions, configured)


@case(
    "TC_A_10_CSMS",
    requirements=("A01.FR.02", "A01.FR.04", "A01.FR.05"),
    catches={"adopts-rejected-password": r"refused the old BasicAuthPassword"},
    actions=("SetVariables",),
)
async def test_TC_A_10_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Update Charging Station Password for HTTP Basic Authentication, Rejected (A01): the CSMS keeps
    accepting the old password."""
    require_profile(station, (1, 2), "TC_A_10_CSMS")
    await states.csms_booted(station, sut)
    await request_new_password(station, actions, "Rejected", "TC_A_10_CSMS")
    with step("3-4: the OCTT reconnects with Basic auth <station id>:<old password>; the CSMS upgrades"):
        await station.disconnect()
        reason = await station.try_connect()
        check(
            reason is None,
            "the CSMS refused the old BasicAuthPassword after the station Rejected the new one"
            f" (A01.FR.05): {reason}",
        )
    await states.csms_booted(station, sut)  # steps 5-8


# ---------------------------------------------------------------- A05: security profile upgrade
NETWORK_PRIORITY: Final = ("OCPPCommCtrlr", "NetworkConfigurationPriority")
UPGRADE_SLOT: Final = 2  # the OCTT's station uses slot 1; slot 2 is its free, defined slot


def _station_csr(station_id: str) -> tuple[str, bytes]:
    """A new station key and its CSR (CN = the station id, A02), as PEM: (csr, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, station_id),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocpp-conformance"),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _leaf_key_matches(chain: str, key_pem: bytes) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        leaf = x509.load_pem_x509_certificates(chain.encode())[0]
    except (ValueError, IndexError):
        return False
    key = serialization.load_pem_private_key(key_pem, password=None)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(
        leaf.public_key().public_bytes(serialization.Encoding.PEM, spki)
        == key.public_key().public_bytes(serialization.Encoding.PEM, spki)
    )


async def renew_station_certificate(station: HarnessStation, actions: Any, folder: Path) -> tuple[Path, Path]:
    """Memory State RenewChargingStationCertificate (Table 711, errata 2024-09 for TC_A_19_CSMS): the
    certificate the CSMS signs is the OCTT's client certificate at security profile 3. Returns the
    (certificate chain, key) files."""
    csr, key_pem = _station_csr(station.station_id)
    request = {"requestedMessage": "SignChargingStationCertificate"}
    with step("RenewChargingStationCertificate 1-2: the CSMS sends TriggerMessageRequest; the OCTT accepts"):
        received, task = await operator_request(station, actions, "TriggerMessage", request)
        check_equal(
            received.payload.get("requestedMessage"),
            "SignChargingStationCertificate",
            "TriggerMessageRequest.requestedMessage (RenewChargingStationCertificate step 1)",
        )
        await operator_done(station, task)
    with step("RenewChargingStationCertificate 3-4: the OCTT sends SignCertificateRequest; Accepted"):
        response = await station.call_ok(
            "SignCertificate", {"csr": csr, "certificateType": "ChargingStationCertificate"}
        )
        check_equal(
            response.get("status"),
            "Accepted",
            "SignCertificateResponse.status (RenewChargingStationCertificate step 4)",
        )
    with step("RenewChargingStationCertificate 5-6: the CSMS sends CertificateSignedRequest; Accepted"):
        signed = await station.expect("CertificateSigned")
        chain = str(signed.payload.get("certificateChain", ""))
        check_equal(
            signed.payload.get("certificateType"),
            "ChargingStationCertificate",
            "CertificateSignedRequest.certificateType (RenewChargingStationCertificate step 5)",
        )
        check(
            _leaf_key_matches(chain, key_pem),
            "CertificateSignedRequest.certificateChain: its first certificate is not generated from the CSR"
            " of step 3 (RenewChargingStationCertificate step 5)",
        )
    certfile, keyfile = folder / "station-chain.pem", folder / "station-key.pem"
    certfile.write_text(chain)
    keyfile.write_bytes(key_pem)
    keyfile.chmod(0o600)
    return certfile, keyfile


def _priority_slots(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


@case(
    "TC_A_19_CSMS",
    requirements=("A05.FR.04", "A05.FR.07"),
    catches={
        "upgrade-keeps-old-profile": r"accepted a connection at the old security profile .*A05\.FR\.07",
        "upgrade-same-profile": r"connectionData\.securityProfile .*A05\.FR\.04",
    },
    actions=("upgrade_security_profile", "SetVariables", "Reset", "TriggerMessage"),
)
async def test_TC_A_19_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Upgrade Charging Station Security Profile, Accepted (A05), errata 2024-09 applied (memory state
    at profile 2: the renewed certificate is the OCTT's TLS client certificate; no ocppCsmsUrl check).

    Readings: the OCTT reconnects (step 7) to the ocppCsmsUrl of the CSMS's SetNetworkProfileRequest, an
    endpoint at the higher profile; there is no configured messageTimeout / ocppInterface in the SUT
    description, so those two fields are checked by the schema only. At profile 1 the OCTT needs the
    trust anchor of that TLS endpoint (Part 6 prerequisite: a trusted certificate is installed)."""
    # "2 or 1": both are Part 6's prerequisite; a run at profile 0 re-runs it at 2, the self-contained one.
    require_profile(station, (2, 1), "TC_A_19_CSMS")
    profile = station.security.profile
    if station.security.cafile is None:
        raise NotApplicable(
            f"TC_A_19_CSMS at security profile {profile} needs a trusted certificate for the CSMS's TLS"
            " endpoint (Part 6 prerequisite); configure the CSMS root certificate (ca)"
        )
    configured_url = station.csms_url
    await states.csms_booted(station, sut)  # Part 6 runs it on an open, booted connection
    with tempfile.TemporaryDirectory(prefix="tc_a_19_csms_") as tmp:
        client_cert: tuple[Path, Path] | tuple[None, None] = (None, None)
        if profile == 2:
            client_cert = await renew_station_certificate(station, actions, Path(tmp))
        try:
            await _upgrade_and_reconnect(station, sut, actions, profile, client_cert)
        finally:
            station.csms_url = configured_url
            with contextlib.suppress(Exception):
                await station.disconnect()
            if actions.supports("restore_security_profile"):  # not in Part 6: later cases use the profile
                with step("After: the CSMS is asked to accept the configured security profile again"):
                    await actions.perform("restore_security_profile", {"station_id": station.station_id})


async def _upgrade_and_reconnect(
    station: HarnessStation,
    sut: Any,
    actions: Any,
    profile: int,
    client_cert: tuple[Path, Path] | tuple[None, None],
) -> None:
    """TC_A_19_CSMS steps 1-11."""
    with step(f"1-2: the CSMS sends SetNetworkProfileRequest (securityProfile {profile + 1}); Accepted"):
        params = {
            "station_id": station.station_id,
            "configuration_slot": UPGRADE_SLOT,
            "security_profile": profile + 1,
        }
        task = asyncio.ensure_future(actions.perform("upgrade_security_profile", params))
        try:
            received = await station.expect("SetNetworkProfile")
        except BaseException:
            task.cancel()
            raise
        await operator_done(station, task)
        slot = received.payload.get("configurationSlot")
        data = received.payload.get("connectionData", {})
        what = "SetNetworkProfileRequest.connectionData"
        check_equal(data.get("ocppTransport"), "JSON", f"{what}.ocppTransport (TC_A_19_CSMS step 1)")
        check_equal(data.get("ocppVersion"), "OCPP20", f"{what}.ocppVersion (TC_A_19_CSMS step 1)")
        check_equal(
            data.get("securityProfile"),
            profile + 1,
            "SetNetworkProfileRequest.connectionData.securityProfile (configured + 1, A05.FR.04)",
        )
        url = str(data.get("ocppCsmsUrl", ""))
    component, variable = NETWORK_PRIORITY
    request = {
        "setVariableData": [
            {"component": {"name": component}, "variable": {"name": variable}, "attributeValue": str(slot)}
        ]
    }
    with step("3-4: the CSMS sends SetVariablesRequest OCPPCommCtrlr.NetworkConfigurationPriority; Accepted"):
        received, task = await operator_request(station, actions, "SetVariables", request)
        entries = received.payload.get("setVariableData", [])
        entry = next(
            (
                e
                for e in entries
                if e.get("component", {}).get("name") == component
                and e.get("variable", {}).get("name") == variable
            ),
            None,
        )
        check(entry is not None, f"SetVariablesRequest.setVariableData: no {component}.{variable} (step 3)")
        assert entry is not None
        check(
            str(slot) in _priority_slots(entry.get("attributeValue")),
            f"SetVariablesRequest {variable}.attributeValue {entry.get('attributeValue')!r} does not contain"
            f" the configurationSlot {slot} of step 1 (TC_A_19_CSMS step 3)",
        )
        await operator_done(station, task)
    with step("5-6: the CSMS sends ResetRequest; the OCTT accepts and reboots"):
        _received, task = await operator_request(station, actions, "Reset", {"type": "Immediate"})
        await operator_done(station, task)
        await station.disconnect()
    certfile, keyfile = client_cert
    upgraded = dataclasses.replace(
        station.security,
        profile=profile + 1,
        password=station.security.password if profile + 1 == 2 else None,
        certfile=certfile if profile + 1 == 3 else station.security.certfile,
        keyfile=keyfile if profile + 1 == 3 else station.security.keyfile,
    )
    old_url, old_security = station.csms_url, station.security
    with step(f"7-8: the OCTT reconnects at security profile {profile + 1}; the CSMS accepts"):
        station.csms_url = url
        reason = await station.try_connect(security=upgraded)
        check(
            reason is None,
            f"the CSMS refused the station at security profile {profile + 1} on the ocppCsmsUrl {url!r}"
            f" of its SetNetworkProfileRequest (A05.FR.04): {reason}",
        )
    await states.csms_booted(station, sut)  # step 9
    with step(f"10-11: the OCTT reconnects at security profile {profile}; the CSMS does not accept"):
        await station.disconnect()
        station.csms_url = old_url
        reason = await station.try_connect(security=old_security)
        check(
            reason is not None,
            f"the CSMS accepted a connection at the old security profile {profile} after the station"
            f" connected at {profile + 1} (A05.FR.07)",
        )

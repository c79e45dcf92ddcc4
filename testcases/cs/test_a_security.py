"""Block A, Security: charging station under test (Part 6 section 2.2).

The harness plays the CSMS. These cases are about the connection itself, so each needs the run's
security profile to be one Part 6 names in its prerequisites; at another profile the case is not
applicable and says which profile it needs (tests/test_meta_mutants.py reruns it there). Network
connection profile helpers (the alternative endpoint, slot migration and restore) are shared with the
B09/B10 cases in test_b_network_profiles.py.
"""

from __future__ import annotations

import contextlib
import secrets
import ssl
import string
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import pytest

from conformance.errors import ConformanceFailure, SutTimeout
from conformance.session import states
from conformance.session.endpoints import HarnessCsms
from conformance.testing import case, check, check_equal, step
from conformance.testing.configuration import configured, setting
from conformance.transport.pki import existing_test_pki, make_test_pki, sign_csr
from conformance.transport.security import ServerSecurity
from testcases.cs.test_b_network_profiles import (
    COMM,
    PRIORITY,
    alternative_endpoint,
    booted_on,
    connection_data,
    free_slot,
    get_variable,
    install_root,
    migrate,
    priority_restored,
    remove_root,
    require_profile,
    same_security,
    set_variable,
    slots_of,
)

# identifierString (Part 2): the characters a BasicAuthPassword may use (TC_A_01_CS tool validation).
PASSWORD_CHARS: Final = frozenset(string.ascii_letters + string.digits + "*-_=:+|@.")
_RANDOM_CHARS: Final = string.ascii_letters + string.digits + "*-_=+|@."  # no ':' (Basic auth splits there)
SECURITY = "SecurityCtrlr"


def configured_password(csms: HarnessCsms) -> str | None:
    """<Configured basicAuthPassword>: the password the harness's endpoint was started with."""
    return (csms.server.security.passwords or {}).get(csms.station_id)


def random_password(length: int, avoid: str | None) -> str:
    while True:
        candidate = "".join(secrets.choice(_RANDOM_CHARS) for _ in range(length))
        if candidate != avoid:
            return candidate


def refusals(csms: HarnessCsms) -> str:
    """The handshake refusals of this case (the session holds them as transport violations)."""
    found = [v.violation.message for v in csms.violations if v.violation.rule == "transport.handshake"]
    return "; ".join(found[-2:]) or "none"


# ---------------------------------------------------------------- A00: Basic authentication
@case(
    "TC_A_01_CS",
    requirements=(
        "A00.FR.202",
        "A00.FR.203",
        "A00.FR.204",
        "A00.FR.205",
        "A00.FR.301",
        "A00.FR.302",
        "A00.FR.304",
        "B01.FR.01",
        "B01.FR.05",
        "B01.FR.09",
    ),
    catches={"basic-auth-username-wrong": r"Basic auth username .* does not equal the station id"},
)
async def test_TC_A_01_CS(csms: HarnessCsms, sut: Any) -> None:
    """Basic Authentication, valid username/password combination (A00, B01): security profile 1 or 2.

    The harness's endpoint refuses (and the case fails on) an upgrade request whose Authorization header
    is missing, is not Basic, or does not carry <station id>:<configured password>."""
    require_profile(csms, (1, 2), "TC_A_01_CS")
    await states.cs_booted(csms, sut)  # step 1: Reusable State Booted, a new connection
    with step("Tool validation step 1: BasicAuthPassword is 16-40 identifierString characters"):
        password = configured_password(csms) or ""
        check(
            16 <= len(password) <= 40,
            f"BasicAuthPassword has {len(password)} characters; it must have 16 to 40 (A00.FR.205)",
        )
        check(
            all(c in PASSWORD_CHARS for c in password),
            "BasicAuthPassword holds characters outside identifierString (A00.FR.205)",
        )


# ---------------------------------------------------------------- A00: TLS, server-side certificate
# TC_A_04_CS step 2: the TLS 1.2 suites a station must offer, as OpenSSL names them: both ECDSA ones
# or both RSA ones (A00.FR.319).
ECDSA_SUITES: Final = frozenset({"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"})
RSA_SUITES: Final = frozenset({"AES128-GCM-SHA256", "AES256-GCM-SHA384"})
TLS12_OR_ABOVE: Final = ("TLSv1.2", "TLSv1.3")


async def reset_for_new_connection(csms: HarnessCsms) -> int:
    """Reusable State Booting by a ResetRequest Immediate: the station opens a new (TLS) connection.
    Returns `events.connected` before it."""
    floor = csms.events.connected
    with step("Booting: the OCTT sends ResetRequest Immediate; the station reconnects"):
        response = await csms.call_ok("Reset", {"type": "Immediate"})
        check_equal(response.get("status"), "Accepted", "ResetResponse.status (Reusable State Booting)")
        csms.discard_inbox(before=csms.last_response_mark)
    return floor


async def boot_after_tls(csms: HarnessCsms, sut: Any, *, extra_event: str | None = None) -> None:
    """BootNotification accepted, every connector reported, the boot's security event (StartupOfTheDevice
    or ResetOrReboot) and, where Part 6 allows one, `extra_event` in any order (TC_A_06_CS note)."""
    with step("The station sends BootNotificationRequest; the OCTT accepts it"):
        await csms.expect("BootNotification", timeout=csms.timeout * 2)
    await states.cs_connectors_reported(csms, sut, "Available", label="Connectors")
    boot_types = ("StartupOfTheDevice", "ResetOrReboot")
    with step("The station sends SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot"):
        await csms.expect(
            "SecurityEventNotification",
            where=lambda p: p.get("type") in boot_types,
            what="a SecurityEventNotificationRequest of type StartupOfTheDevice or ResetOrReboot",
        )
    if extra_event is not None:
        # Optional (TC_A_06_CS steps 16-17): noted, never required; other security events a station
        # still had queued (e.g. from an earlier case) are not this step's message.
        sent = [r.payload.get("type") for r in csms.history("SecurityEventNotification")]
        csms.transcript.note(f"optional {extra_event} sent: {extra_event in sent}")


@case(
    "TC_A_04_CS",
    requirements=(
        "A00.FR.309",
        "A00.FR.312",
        "A00.FR.313",
        "A00.FR.319",
        "A00.FR.321",
        "A00.FR.412",
        "A00.FR.422",
    ),
    catches={"tls-weak-ciphers": r"cipher suites .*A00\.FR\.319"},
)
async def test_TC_A_04_CS(csms: HarnessCsms, sut: Any) -> None:
    """TLS, server-side certificate, valid certificate (A00): security profile 2 or 3.

    The step-2 validations use what the harness's TLS endpoint saw: the negotiated version and the
    cipher suites the station offered that the endpoint also enables (OpenSSL's shared ciphers)."""
    require_profile(csms, (2, 3), "TC_A_04_CS")
    floor = await reset_for_new_connection(csms)
    with step("1-6: TLS handshake with the <Configured server certificate>; WebSocket upgrade"):
        await csms.wait_connected(timeout=csms.timeout * 2, after=floor)
        tls = csms.tls
        check(tls is not None, "the station's connection is not a TLS connection (security profile 2/3)")
        assert tls is not None
        check(
            tls.version in TLS12_OR_ABOVE,
            f"the station negotiated {tls.version}; TLS 1.2 or above is required (A00.FR.309)",
        )
        offered = set(tls.shared_ciphers)
        check(
            offered >= ECDSA_SUITES or offered >= RSA_SUITES,
            "the station does not offer the required TLS 1.2 cipher suites (both"
            " TLS_ECDHE_ECDSA_WITH_AES_128/256_GCM or both TLS_RSA_WITH_AES_128/256_GCM) (A00.FR.319);"
            f" offered: {', '.join(sorted(offered)) or 'none'}",
        )
    await boot_after_tls(csms, sut)  # steps 7-10


async def reconnect_time(csms: HarnessCsms) -> float:
    """Errata TC_A_05_CS steps 1-3: abort the connection, measure how long the station takes to reconnect."""
    started = time.monotonic()
    floor = csms.events.connected
    await csms.go_offline()
    csms.go_online()
    await csms.wait_connected(timeout=csms.timeout * 2, after=floor)
    return time.monotonic() - started


@case(
    "TC_A_05_CS",
    requirements=("A00.FR.309", "A00.FR.310", "A00.FR.311", "A00.FR.412", "A00.FR.413", "A00.FR.414"),
    catches={"tls-accepts-invalid-certificate": r"accepted an invalid server certificate .*A00\.FR\.310"},
)
async def test_TC_A_05_CS(csms: HarnessCsms, sut: Any) -> None:
    """TLS, server-side certificate, invalid certificate (A00), errata 2024-11 scenario: per invalid
    certificate (not signed by the installed root, expired, CN/SAN not the CSMS's host) the station
    must refuse the handshake, reconnect once the valid one is back and report InvalidCsmsCertificate."""
    require_profile(csms, (2, 3), "TC_A_05_CS")
    main = csms.server.security
    assert main.certfile is not None and main.keyfile is not None
    pki = existing_test_pki(Path(main.certfile).parent)
    if pki is None or pki.server_cert != Path(main.certfile):
        pytest.skip(
            "TC_A_05_CS needs the harness's server certificate from its own test PKI (--ocpp-builtin or"
            " `ocpp-conformance certs`), whose invalid certificates it presents"
        )
    invalid = {
        "not signed by the installed root": (pki.untrusted_server_cert, pki.untrusted_server_key),
        "expired": (pki.expired_server_cert, pki.expired_server_key),
        "for another host name": (pki.wrong_host_server_cert, pki.wrong_host_server_key),
    }
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    active = original.split(",")[0]
    async with configured(csms, [setting(f"{COMM}.{PRIORITY}", active)]):
        with step("1-3: the OCTT aborts the connection; the station reconnects (valid certificate)"):
            # Errata: the OCTT waits twice the measured reconnection time before it switches the valid
            # certificate back (it may not see the failed attempt); at least 1 s, for loaded CI hosts.
            window = max(2 * await reconnect_time(csms), 1.0)
        for what, (cert, key) in invalid.items():
            try:
                csms.discard_inbox()  # security events of an earlier certificate do not count
                with csms.refusals_expected() as refused:
                    csms.server.use_server_certificate(cert, key)
                    with step(f"4-7: the OCTT aborts the connection and presents a certificate {what}"):
                        floor = csms.events.connected
                        await csms.go_offline()
                        csms.go_online()
                        refused_floor = csms.events.refused  # after go_online: TLS refusals only
                        with contextlib.suppress(SutTimeout):
                            await csms.wait_refused(timeout=window, after=refused_floor)
                        check(
                            csms.events.connected == floor,
                            f"the station accepted an invalid server certificate ({what}) and connected"
                            " (A00.FR.310, A00.FR.311)",
                        )
                    csms.server.use_server_certificate(main.certfile, main.keyfile)
                    with step("8-9: the OCTT presents the valid certificate; the station reconnects"):
                        await csms.wait_connected(timeout=csms.timeout * 2, after=floor)
                csms.transcript.note(f"handshakes the station refused ({what}): {len(refused)}")
            finally:
                csms.server.use_server_certificate(main.certfile, main.keyfile)
            with step("10-11: the station sends SecurityEventNotificationRequest InvalidCsmsCertificate"):
                await csms.expect(
                    "SecurityEventNotification",
                    where=lambda p: p.get("type") == "InvalidCsmsCertificate",
                    what="a SecurityEventNotificationRequest of type InvalidCsmsCertificate (A00.FR.311)",
                )


@case(
    "TC_A_06_CS",
    requirements=("A00.FR.314", "A00.FR.316", "A00.FR.416", "A00.FR.417", "A00.FR.419"),
    catches={"tls-accepts-old-version": r"TLS handshake below TLS 1\.2 .*A00\.FR\.314"},
)
async def test_TC_A_06_CS(csms: HarnessCsms, sut: Any) -> None:
    """TLS, server-side certificate, TLS version too low (A00): security profile 2 or 3.

    Ambiguity: Part 6 has the station boot (steps 10-17) without naming what makes it connect; the
    harness caps its TLS version at 1.1 and sends a ResetRequest Immediate, as Reusable State Booting."""
    require_profile(csms, (2, 3), "TC_A_06_CS")
    async with configured(csms, [setting(f"{COMM}.NetworkProfileConnectionAttempts", 1)]):
        try:
            with csms.refusals_expected():
                csms.server.set_tls_max_version(ssl.TLSVersion.TLSv1_1)
                refused_floor = csms.events.refused
                floor = await reset_for_new_connection(csms)
                with step("1-3: the OCTT answers the Client Hello with TLS 1.1; the station terminates"):
                    with contextlib.suppress(SutTimeout):
                        await csms.wait_refused(timeout=csms.timeout * 2, after=refused_floor)
                    check(
                        csms.events.connected == floor,
                        f"the station completed a TLS handshake below TLS 1.2"
                        f" ({csms.tls and csms.tls.version}) (A00.FR.314)",
                    )
                csms.server.set_tls_max_version(None)
                with step("4-9: the OCTT answers with TLS 1.2 or above; the station connects"):
                    await csms.wait_connected(timeout=csms.timeout * 2, after=floor)
        finally:
            csms.server.set_tls_max_version(None)
        await boot_after_tls(csms, sut, extra_event="InvalidTLSVersion")  # steps 10-17


# ---------------------------------------------------------------- A01: BasicAuthPassword update
async def set_password_variable(csms: HarnessCsms, value: str) -> str:
    return await set_variable(csms, SECURITY, "BasicAuthPassword", value)


async def give_back_password(csms: HarnessCsms, station_has: str, configured: str | None) -> None:
    """Not in Part 6: the station gets the configured password back, so later cases connect as configured.
    `station_has` is the password the station now uses (the harness accepts it until the station has
    taken the configured one again)."""
    if configured is None or station_has == configured:
        csms.server.set_password(csms.station_id, configured or "")
        return
    csms.server.set_password(csms.station_id, station_has)
    with contextlib.suppress(SutTimeout):
        if not csms.connected:
            await csms.wait_connected(timeout=csms.timeout * 2)
    floor = csms.events.connected
    csms.server.set_password(csms.station_id, configured)
    with step("After: the configured BasicAuthPassword is set again (clean-up)"):
        await set_password_variable(csms, configured)
        with contextlib.suppress(SutTimeout):
            await csms.wait_connected(timeout=csms.timeout * 2, after=floor)


@contextlib.asynccontextmanager
async def password_given_back(
    csms: HarnessCsms, configured: str | None, station_has: list[str]
) -> AsyncIterator[None]:
    """Run `give_back_password` after the body; when the body failed, its failure stays the message."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await give_back_password(csms, station_has[-1], configured)
        raise
    await give_back_password(csms, station_has[-1], configured)


@case(
    "TC_A_09_CS",
    requirements=("A01.FR.01", "A01.FR.11", "A01.FR.12", "B01.FR.01"),
    catches={"basic-auth-password-ignored": r"did not reconnect with the new BasicAuthPassword"},
)
async def test_TC_A_09_CS(csms: HarnessCsms, sut: Any) -> None:
    """Update Charging Station Password for HTTP Basic Authentication, Accepted (A01)."""
    require_profile(csms, (1, 2), "TC_A_09_CS")
    configured = configured_password(csms)
    new = random_password(16 + secrets.randbelow(25), configured)
    station_has = [configured or ""]
    floor = csms.events.connected
    # From now on the harness validates the upgrade request against <NewPassword> only (step 4).
    csms.server.set_password(csms.station_id, new)
    async with password_given_back(csms, configured, station_has):
        with step("1-2: the OCTT sets SecurityCtrlr.BasicAuthPassword = <NewPassword>"):
            status = await set_password_variable(csms, new)
            check(
                status in ("Accepted", "RebootRequired"),
                f"SetVariablesResponse attributeStatus for BasicAuthPassword: expected Accepted or"
                f" RebootRequired, got {status!r} (A01.FR.01)",
            )
            station_has.append(new)
        with step("3-4: the station reconnects with Basic auth <station id>:<NewPassword>"):
            try:
                await csms.wait_connected(timeout=csms.timeout * 2, after=floor)
            except SutTimeout:
                raise ConformanceFailure(
                    "[conformance] the station did not reconnect with the new BasicAuthPassword"
                    f" (A01.FR.11, A01.FR.12); handshakes refused: {refusals(csms)}"
                ) from None
        if status == "RebootRequired":  # steps 5-8 only then
            await states.cs_boot_sequence(csms, sut)


@case(
    "TC_A_10_CS",
    requirements=("A01.FR.01", "A01.FR.11", "A01.FR.12"),
    catches={"basic-auth-short-password-accepted": r"BasicAuthPassword of \d+ characters"},
)
async def test_TC_A_10_CS(csms: HarnessCsms, sut: Any) -> None:
    """Update Charging Station Password for HTTP Basic Authentication, Rejected (A01): a new password of
    fewer than 16 characters is refused and the station keeps connecting with the old one."""
    require_profile(csms, (1, 2), "TC_A_10_CS")
    configured = configured_password(csms)
    short = random_password(8 + secrets.randbelow(8), configured)
    station_has = [configured or ""]
    async with password_given_back(csms, configured, station_has):
        with step("1-2: the OCTT sets SecurityCtrlr.BasicAuthPassword = <NewPassword under 16 characters>"):
            status = await set_password_variable(csms, short)
            if status in ("Accepted", "RebootRequired"):
                station_has.append(short)
            check_equal(
                status,
                "Rejected",
                f"SetVariablesResponse attributeStatus for a BasicAuthPassword of {len(short)} characters",
            )
        # Steps 3-5: the next upgrade request carries the OLD password (the harness's endpoint refuses
        # any other) and the station boots: Reusable State Booted, which reconnects it.
        await states.cs_booted(csms, sut)


# ---------------------------------------------------------------- A05: security profile upgrade
async def renew_station_certificate(csms: HarnessCsms, ca_cert: Path, ca_key: Path) -> None:
    """Memory State RenewChargingStationCertificate (Part 6 Table 446): A02 with a CSR signed by the CA
    the harness's profile-3 endpoint trusts."""
    with step("RenewChargingStationCertificate 1-2: TriggerMessage SignChargingStationCertificate"):
        response = await csms.call_ok(
            "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"}
        )
        check_equal(response.get("status"), "Accepted", "TriggerMessageResponse.status (memory state)")
    with step("RenewChargingStationCertificate 3-4: the station sends SignCertificateRequest"):
        request = await csms.expect("SignCertificate")
        try:
            chain = sign_csr(str(request.payload.get("csr", "")), ca_cert, ca_key)
        except ValueError as exc:
            raise ConformanceFailure(
                f"[conformance] SignCertificateRequest.csr is not a PEM PKCS#10 CSR: {exc}"
            ) from None
    with step("RenewChargingStationCertificate 5-6: the OCTT sends CertificateSignedRequest"):
        response = await csms.call_ok(
            "CertificateSigned", {"certificateChain": chain, "certificateType": "ChargingStationCertificate"}
        )
        check_equal(response.get("status"), "Accepted", "CertificateSignedResponse.status (memory state)")


@contextlib.asynccontextmanager
async def upgraded_security(csms: HarnessCsms, profile: int) -> AsyncIterator[ServerSecurity]:
    """The Memory State of TC_A_19_CS and the security of the endpoint at `profile` + 1: from 1, a new
    test PKI whose root the station gets by InstallCertificate (CertificateInstalled); from 2, the
    run's own PKI and a station certificate signed by its CA (RenewChargingStationCertificate)."""
    main = csms.server.security
    if profile == 2:
        pki = existing_test_pki(Path(main.certfile).parent) if main.certfile else None
        if pki is None or pki.server_cert != main.certfile:
            pytest.skip(
                "TC_A_19_CS from profile 2 needs the harness's own test PKI to sign a station certificate"
            )
        await renew_station_certificate(csms, pki.ca_cert, pki.ca_key)
        yield ServerSecurity(profile=3, certfile=main.certfile, keyfile=main.keyfile, cafile=pki.ca_cert)
        return
    with tempfile.TemporaryDirectory(prefix="tc_a_19_") as tmp:
        pki = make_test_pki(Path(tmp), csms.station_id, csms.server.host, reuse=False)
        root = pki.ca_cert.read_text()
        await install_root(csms, root, "of the harness's TLS endpoint")
        try:
            yield ServerSecurity(
                profile=2,
                passwords=main.passwords,
                certfile=pki.server_cert,
                keyfile=pki.server_key,
                cafile=pki.ca_cert,
            )
        finally:
            if csms.connected:
                with contextlib.suppress(Exception):
                    await remove_root(csms, root)


@case(
    "TC_A_19_CS",
    requirements=("A05.FR.04", "A05.FR.05", "A05.FR.06"),
    catches={
        "upgrade-keeps-lower-slot": r"NetworkConfigurationPriority .*lower security profile",
        "network-priority-not-applied": r"new network connection profile .*B10\.FR\.01",
    },
)
async def test_TC_A_19_CS(csms: HarnessCsms, sut: Any) -> None:
    """Upgrade Charging Station Security Profile, Accepted (A05), errata 2024-09 slot references applied.

    Ambiguity: Part 6 keeps <Configured ocppCsmsUrl> for the upgraded profile; an endpoint at another
    profile needs another scheme or TLS setup, so the harness's endpoint at the higher profile listens on
    its own port and that URL is sent (the errata removed the URL check on the CSMS side for this)."""
    profile = require_profile(csms, (1, 2), "TC_A_19_CS")
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    old_slot = slots_of(original)[0] if slots_of(original) else None
    async with (
        upgraded_security(csms, profile) as upgraded,
        alternative_endpoint(csms, upgraded) as alt,
        priority_restored(csms, sut, original),
    ):
        label = f" with securityProfile {profile + 1}"
        migration = await migrate(csms, sut, alt.url, profile + 1, original, label=label)
        await booted_on(csms, sut, alt, migration, f"security profile {profile + 1}")
        with step("10-11: GetVariables SecurityCtrlr.SecurityProfile"):
            value = await get_variable(csms, SECURITY, "SecurityProfile", "SecurityProfile")
            check_equal(
                value,
                str(profile + 1),
                "GetVariablesResponse attributeValue of SecurityCtrlr.SecurityProfile (A05.FR.05)",
            )
        with step("12-13: GetVariables OCPPCommCtrlr.NetworkConfigurationPriority"):
            value = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority")
            check(
                old_slot not in slots_of(value),
                f"NetworkConfigurationPriority {value!r} still holds slot {old_slot}, whose lower"
                " security profile the station must no longer use (A05.FR.06, errata 2024-09)",
            )


@case(
    "TC_A_22_CS",
    requirements=("B09.FR.04",),
    catches={"network-profile-downgrade-accepted": r"lower security profile .*B09\.FR\.04"},
)
async def test_TC_A_22_CS(csms: HarnessCsms, sut: Any) -> None:
    """Upgrade Charging Station Security Profile, downgrade Rejected (A05, B09): a network connection
    profile below the active security profile is refused."""
    profile = require_profile(csms, (2, 3), "TC_A_22_CS")
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    lower = profile - 1
    # The second endpoint Part 6 starts for the lower slot (it must never be used).
    security = same_security(csms, profile=lower)
    if lower in (1, 2) and not security.passwords:
        security = ServerSecurity(
            profile=lower,
            passwords={csms.station_id: random_password(24, None)},
            certfile=security.certfile,
            keyfile=security.keyfile,
            cafile=security.cafile,
        )
    async with alternative_endpoint(csms, security) as alt:
        slot = free_slot(original)
        with step(f"1-2: the OCTT sends SetNetworkProfileRequest slot {slot} with securityProfile {lower}"):
            response = await csms.call_ok(
                "SetNetworkProfile",
                {"configurationSlot": slot, "connectionData": connection_data(csms, alt.url, lower)},
            )
            check_equal(
                response.get("status"),
                "Rejected",
                f"SetNetworkProfileResponse.status for a lower security profile ({lower} < {profile})"
                " (B09.FR.04)",
            )


# ---------------------------------------------------------------- A05: no upgrade without a CSMS root
async def remove_all_csms_roots(csms: HarnessCsms) -> list[str]:
    """TC_A_20_CS prerequisite "no valid CSMSRootCertificate installed", made true over OCPP: every
    installed CSMSRootCertificate is deleted (M04), which AQ-1 declares the station allows for the last
    one too. Returns their serial numbers. They cannot be put back over OCPP (the station never hands
    out a certificate), so the transcript names them for the lab to re-provision."""
    response = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]})
    removed: list[str] = []
    for chain in response.get("certificateHashDataChain", []):
        data = chain.get("certificateHashData", {})
        deleted = await csms.call_ok("DeleteCertificate", {"certificateHashData": data})
        check_equal(
            deleted.get("status"),
            "Accepted",
            "DeleteCertificateResponse.status for an installed CSMSRootCertificate (AQ-1: the last one"
            " can be removed)",
        )
        removed.append(str(data.get("serialNumber", "")))
    if removed:
        csms.transcript.note(f"TC_A_20_CS prerequisite: deleted CSMSRootCertificate serial(s) {removed}")
    left = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]})
    check(
        not left.get("certificateHashDataChain"),
        "GetInstalledCertificateIdsResponse still lists a CSMSRootCertificate after deleting them all"
        " (AQ-1: the last CSMSRootCertificate can be removed)",
    )
    return removed


@case(
    "TC_A_20_CS",
    requirements=("A05.FR.02",),
    catches={"upgrade-without-csms-root-accepted": r"NetworkConfigurationPriority .*A05\.FR\.02"},
)
async def test_TC_A_20_CS(csms: HarnessCsms, sut: Any) -> None:
    """Upgrade Charging Station Security Profile, no valid CSMSRootCertificate installed (A05.FR.02).

    Condition AQ-1 and C-61 (errata 2025-06 §5.7). Part 6 prerequisites: the station runs at security
    profile 1 (the first slot) and has no CSMSRootCertificate: the harness deletes any it lists first
    (`remove_all_csms_roots`). <Configured securityProfile2> is 2 (3 would also need a station
    certificate: TC_A_21_CS's subject). The second endpoint Part 6 starts is a real profile-2 listener
    with its own test PKI; the station must never reach it. Not in Part 6: if the station accepted the
    priority anyway, the original NetworkConfigurationPriority is written back before it reboots."""
    require_profile(csms, (1,), "TC_A_20_CS")
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    with step("Prerequisite: no CSMSRootCertificate installed (AQ-1)"):
        await remove_all_csms_roots(csms)
    main = csms.server.security
    with tempfile.TemporaryDirectory(prefix="tc_a_20_") as tmp:
        pki = make_test_pki(Path(tmp), csms.station_id, csms.server.host, reuse=False)
        security = ServerSecurity(
            profile=2,
            passwords=main.passwords,
            certfile=pki.server_cert,
            keyfile=pki.server_key,
            cafile=pki.ca_cert,
        )
        async with alternative_endpoint(csms, security) as alt:
            slot = free_slot(original)
            with step(f"1-2: the OCTT sends SetNetworkProfileRequest slot {slot} with securityProfile 2"):
                response = await csms.call_ok(
                    "SetNetworkProfile",
                    {"configurationSlot": slot, "connectionData": connection_data(csms, alt.url, 2)},
                )
                check_equal(
                    response.get("status"), "Accepted", "SetNetworkProfileResponse.status (B09.FR.01)"
                )
            in_use = [s for s in slots_of(original) if s != slot]
            priority = ",".join(str(s) for s in [slot, *in_use[:1]])
            with step(f"3-4: the OCTT sets NetworkConfigurationPriority = {priority}; the station rejects"):
                status = await set_variable(csms, COMM, PRIORITY, priority)
                try:
                    check_equal(
                        status,
                        "Rejected",
                        f"SetVariablesResponse.setVariableResult[0].attributeStatus for"
                        f" NetworkConfigurationPriority {priority!r}, whose first slot needs security profile"
                        f" 2 while no CSMSRootCertificate is installed (A05.FR.02)",
                    )
                finally:
                    if status != "Rejected" and csms.connected:
                        with contextlib.suppress(Exception):
                            await set_variable(csms, COMM, PRIORITY, original)

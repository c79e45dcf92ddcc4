"""Block B, network connection profiles (B09, B10): charging station under test (Part 6 section 2.3).

The harness plays the CSMS on its main endpoint (the one the station was configured with) and, where
Part 6 says "the OCTT will start another webSocket server for the second connectionData slot", on an
alternative endpoint it opens for the case (`alternative_endpoint`): a second listener on an ephemeral
port whose connections the same `csms` session follows. Every case that moves the station to another
slot moves it back afterwards (original NetworkConfigurationPriority + Reset), so the next case finds
it on the main endpoint, booted and idle (Part 6's general preconditions).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceFailure, NotApplicable, SutTimeout
from conformance.session import states
from conformance.session.endpoints import HarnessCsms
from conformance.testing import case, check, check_equal, check_in, step
from conformance.testing.configuration import configured, setting
from conformance.transport import CsmsServer
from conformance.transport.pki import existing_test_pki, make_successor_root, make_test_pki
from conformance.transport.security import ServerSecurity

COMM = "OCPPCommCtrlr"
PRIORITY = "NetworkConfigurationPriority"
ATTEMPTS = "NetworkProfileConnectionAttempts"
# Part 6's <Configured configurationSlot> and <Configured configurationSlot2>: the slots the OCTT
# writes, the one not in use at the time (the station's own initial slot is neither).
CONFIGURED_SLOTS = (1, 2)
OCPP_INTERFACE = "Wired0"  # <Configured ocppInterface>


# ------------------------------------------------------------------ security profile prerequisites
def run_profile(csms: HarnessCsms) -> int:
    return csms.server.security.profile


def require_profile(csms: HarnessCsms, allowed: tuple[int, ...], case_id: str) -> int:
    """Part 6 prerequisite: the station's active profile is one of `allowed` (tests/test_meta_mutants
    reruns a case skipped this way at the profile named first)."""
    profile = run_profile(csms)
    if profile not in allowed:
        wanted = " or ".join(str(p) for p in allowed)
        raise NotApplicable(
            f"{case_id} needs the station under test at security profile {wanted}; this run uses"
            f" profile {profile} (--ocpp-security-profile)"
        )
    return profile


# ------------------------------------------------------------------ device model access
def _var(component: str, variable: str, **extra: Any) -> dict[str, Any]:
    return {"component": {"name": component}, "variable": {"name": variable}} | extra


async def get_variable(csms: HarnessCsms, component: str, variable: str, what: str) -> str:
    """One variable's Actual value by GetVariables (must be Accepted)."""
    response = await csms.call_ok("GetVariables", {"getVariableData": [_var(component, variable)]})
    results = response.get("getVariableResult", [])
    check(len(results) == 1, f"GetVariablesResponse.getVariableResult must hold one result ({what})")
    check_equal(results[0].get("attributeStatus"), "Accepted", f"{what}: attributeStatus")
    return str(results[0].get("attributeValue", ""))


async def set_variable(csms: HarnessCsms, component: str, variable: str, value: str) -> str:
    """SetVariables of one variable; returns its attributeStatus."""
    response = await csms.call_ok(
        "SetVariables", {"setVariableData": [_var(component, variable, attributeValue=value)]}
    )
    results = response.get("setVariableResult", [])
    check(len(results) == 1, f"SetVariablesResponse.setVariableResult must hold one result ({variable})")
    return str(results[0].get("attributeStatus"))


def slots_of(priority: str) -> list[int]:
    return [int(p) for p in priority.split(",") if p.strip().isdigit()]


def free_slot(priority: str) -> int:
    """<Configured configurationSlot> or <Configured configurationSlot2>, whichever is not in use."""
    in_use = slots_of(priority)
    return next((s for s in CONFIGURED_SLOTS if s not in in_use[:1]), CONFIGURED_SLOTS[0])


def connection_data(csms: HarnessCsms, url: str, security_profile: int) -> dict[str, Any]:
    return {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": url,
        "messageTimeout": max(1, round(csms.timeout)),  # <Configured messageTimeout>
        "securityProfile": security_profile,
        "ocppInterface": OCPP_INTERFACE,
    }


# ------------------------------------------------------------------ the alternative endpoint
@dataclass
class AltEndpoint:
    """A second harness listener; the connections of the station under test are handed to `csms`."""

    server: CsmsServer
    binds: list[int] = field(default_factory=list)  # csms.events.connected after each hand-over
    refused: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def holds(self, csms: HarnessCsms) -> bool:
        """Is the station's current connection one this endpoint accepted?"""
        return bool(self.binds) and self.binds[-1] == csms.events.connected and csms.connected


def same_security(csms: HarnessCsms, profile: int | None = None, **files: Path) -> ServerSecurity:
    """The main endpoint's security, at `profile` (default: the same) with other PEM files if given."""
    main = csms.server.security
    level = main.profile if profile is None else profile
    passwords = main.passwords if level in (1, 2) else None
    return ServerSecurity(
        profile=level,
        passwords=passwords,
        certfile=files.get("certfile", main.certfile),
        keyfile=files.get("keyfile", main.keyfile),
        cafile=files.get("cafile", main.cafile),
    )


@contextlib.asynccontextmanager
async def alternative_endpoint(
    csms: HarnessCsms, security: ServerSecurity | None = None
) -> AsyncIterator[AltEndpoint]:
    server = CsmsServer(csms.server.host, 0, security=security or same_security(csms))
    await server.start()
    alt = AltEndpoint(server)

    async def follow() -> None:
        while True:
            try:
                conn = await server.accept(timeout=3600.0)
            except TimeoutError:
                continue
            if conn.station_id != csms.station_id:
                await conn.close(1008, "unexpected station id")
                continue
            csms.bind(conn)
            alt.binds.append(csms.events.connected)

    async def refusals() -> None:
        while True:
            try:
                rejection = await server.next_rejection(timeout=3600.0)
            except TimeoutError:
                continue
            text = f"{rejection.reason} {rejection.detail}".strip()
            alt.refused.append(text)
            csms.transcript.note(f"alternative endpoint refused a handshake: {text}")

    tasks = [asyncio.ensure_future(follow()), asyncio.ensure_future(refusals())]
    csms.transcript.note(f"alternative endpoint listening at {server.url}")
    try:
        yield alt
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await server.stop()


@dataclass
class DeadEndpoint:
    """A TCP listener that closes every connection at once: an endpoint that does not accept the
    station's connection requests (TC_B_46_CS step 7). Counts the attempts."""

    server: asyncio.Server
    attempts: int = 0

    @property
    def url(self) -> str:
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"ws://{host}:{port}/"


@contextlib.asynccontextmanager
async def dead_endpoint(host: str) -> AsyncIterator[DeadEndpoint]:
    box: list[DeadEndpoint] = []

    async def refuse(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        box[0].attempts += 1
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()

    server = await asyncio.start_server(refuse, host, 0)
    dead = DeadEndpoint(server)
    box.append(dead)
    try:
        yield dead
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2.0)


def url_with_scheme(url: str, scheme: str) -> str:
    return scheme + url[url.index("://") :]


# ------------------------------------------------------------------ the migration steps (1-6)
@dataclass(frozen=True)
class Migration:
    slot: int  # the slot the OCTT wrote
    floor: int  # csms.events.connected before the reboot: the next connection counts from here


async def migrate(
    csms: HarnessCsms, sut: Any, url: str, security_profile: int, original: str, *, label: str = ""
) -> Migration:
    """Steps 1-6 shared by TC_B_45/46/50_CS and TC_A_19_CS: SetNetworkProfile on the free slot, the new
    NetworkConfigurationPriority, and a ResetRequest OnIdle (unless the station reboots by itself)."""
    slot = free_slot(original)
    with step(f"1-2: the OCTT sends SetNetworkProfileRequest slot {slot}{label}; the station accepts"):
        response = await csms.call_ok(
            "SetNetworkProfile",
            {"configurationSlot": slot, "connectionData": connection_data(csms, url, security_profile)},
        )
        check_equal(response.get("status"), "Accepted", "SetNetworkProfileResponse.status (B09.FR.01)")
    in_use = [s for s in slots_of(original) if s != slot]
    priority = ",".join(str(s) for s in [slot, *in_use[:1]])
    with step(f"3-4: the OCTT sets OCPPCommCtrlr.NetworkConfigurationPriority = {priority}"):
        status = await set_variable(csms, COMM, PRIORITY, priority)
        check_in(
            status,
            ("Accepted", "RebootRequired"),
            "SetVariablesResponse.setVariableResult[0].attributeStatus for NetworkConfigurationPriority",
        )
    # Ambiguity (TC_B_45/46_CS step 5): the Reset is sent when RebootRequired came back "or if the
    # station does not automatically reboot"; the harness gives it no_message seconds to do so.
    floor = csms.events.connected
    rebooted = False
    if status == "Accepted":
        with contextlib.suppress(SutTimeout):
            await csms.wait_disconnect(timeout=float(sut.timeouts.no_message))
            rebooted = True
    if not rebooted:
        with step("5-6: the OCTT sends ResetRequest OnIdle; the station accepts"):
            mark = csms.events.disconnected
            reset = await csms.call_ok("Reset", {"type": "OnIdle"})
            check_equal(reset.get("status"), "Accepted", "ResetResponse.status")
            csms.discard_inbox(before=csms.last_response_mark)
            if csms.events.disconnected == mark:
                await csms.wait_disconnect(timeout=csms.timeout * 2)
    return Migration(slot, floor)


async def restore_priority(csms: HarnessCsms, sut: Any, original: str) -> None:
    """Not in Part 6: put the original NetworkConfigurationPriority back and reboot onto it, so the
    station is on the main endpoint, booted, for the next case."""
    if not csms.connected:
        with contextlib.suppress(SutTimeout):
            await csms.wait_connected(timeout=csms.timeout * 2)
    with step(f"After: restore NetworkConfigurationPriority = {original} and reboot onto it"):
        status = await set_variable(csms, COMM, PRIORITY, original)
        check_in(status, ("Accepted", "RebootRequired"), "restoring NetworkConfigurationPriority")
        reset = await csms.call_ok("Reset", {"type": "OnIdle"})
        check_equal(reset.get("status"), "Accepted", "ResetResponse.status (restoring the slot)")
        csms.discard_inbox(before=csms.last_response_mark)
    await states.cs_boot_sequence(csms, sut)


@contextlib.asynccontextmanager
async def priority_restored(csms: HarnessCsms, sut: Any, original: str) -> AsyncIterator[None]:
    """Restore the slot order after the body (a failing restore never hides the case's failure)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await restore_priority(csms, sut, original)
        raise
    await restore_priority(csms, sut, original)


async def booted_on(
    csms: HarnessCsms, sut: Any, endpoint: AltEndpoint, migration: Migration, what: str
) -> None:
    """Reusable State Booted on the alternative endpoint (the station connects with the new slot)."""
    with step(f"7-8: the station connects to the alternative endpoint ({what})"):
        try:
            await csms.wait_connected(timeout=csms.timeout * 3, after=migration.floor)
        except SutTimeout:
            refused = "; ".join(endpoint.refused[-2:]) or "none"
            raise ConformanceFailure(
                f"[conformance] the station did not connect with the new network connection profile"
                f" ({what}) after the reboot (B10.FR.01); handshakes refused there: {refused}"
            ) from None
        check(
            endpoint.holds(csms),
            f"the station reconnected to its old endpoint, not with the new network connection profile"
            f" ({what}) (B10.FR.01)",
        )
    await states.cs_boot_sequence(csms, sut)


# ------------------------------------------------------------------ B09: SetNetworkProfile
@case(
    "TC_B_43_CS",
    requirements=("B09.FR.02",),
    catches={"network-profile-invalid-slot-accepted": r"SetNetworkProfileResponse\.status"},
    actions=(),
)
async def test_TC_B_43_CS(csms: HarnessCsms, sut: Any) -> None:
    """Set new NetworkConnectionProfile, Rejected (B09): configurationSlot 999 does not exist."""
    data = connection_data(csms, csms.url, run_profile(csms))
    with step("1-2: the OCTT sends SetNetworkProfileRequest configurationSlot 999; the station rejects"):
        response = await csms.call_ok("SetNetworkProfile", {"configurationSlot": 999, "connectionData": data})
        check_equal(
            response.get("status"), "Rejected", "SetNetworkProfileResponse.status for slot 999 (B09.FR.02)"
        )


# ------------------------------------------------------------------ B10: migrate to another slot
@case(
    "TC_B_45_CS",
    requirements=("B09.FR.01", "B10.FR.01", "B10.FR.04", "B10.FR.06"),
    catches={"network-priority-not-applied": r"new network connection profile .*B10\.FR\.01"},
)
async def test_TC_B_45_CS(csms: HarnessCsms, sut: Any) -> None:
    """Migrate to new ConnectionProfile, Success, same CSMS root (B09, B10)."""
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    async with alternative_endpoint(csms) as alt, priority_restored(csms, sut, original):
        migration = await migrate(csms, sut, alt.url, run_profile(csms), original)
        await booted_on(csms, sut, alt, migration, "alternative endpoint, same CSMS root")


@case(
    "TC_B_46_CS",
    requirements=("B10.FR.03", "B10.FR.04"),
    catches={"network-no-fallback": r"did not fall back .*B10\.FR\.03"},
)
async def test_TC_B_46_CS(csms: HarnessCsms, sut: Any) -> None:
    """Migrate to new ConnectionProfile, fallback mechanism, same CSMS root (B10): the new slot's endpoint
    does not accept; after NetworkProfileConnectionAttempts (2) the station falls back to its old slot."""
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    scheme = "wss" if csms.server.security.tls else "ws"
    async with (
        configured(csms, [setting(f"{COMM}.{ATTEMPTS}", 2)]),
        dead_endpoint(csms.server.host) as dead,
        priority_restored(csms, sut, original),
    ):
        migration = await migrate(csms, sut, url_with_scheme(dead.url, scheme), run_profile(csms), original)
        with step("7-8: the OCTT refuses 2 attempts on the new slot; the station falls back to its old one"):
            try:
                await csms.wait_connected(timeout=csms.timeout * 3, after=migration.floor)
            except SutTimeout:
                raise ConformanceFailure(
                    f"[conformance] the station did not fall back to its previous network connection"
                    f" profile after NetworkProfileConnectionAttempts (2) failed attempts (B10.FR.03);"
                    f" attempts on the new slot: {dead.attempts}"
                ) from None
            check_equal(
                dead.attempts,
                2,
                "connection attempts on the unreachable new slot before the fallback"
                " (NetworkProfileConnectionAttempts, B10.FR.03)",
            )
        await states.cs_boot_sequence(csms, sut)  # step 9: Reusable State Booted, old slot


# ------------------------------------------------------------------ B10 + M05: a new CSMS root
async def install_root(csms: HarnessCsms, pem: str, what: str) -> None:
    """Memory State CertificateInstalled for CSMSRootCertificate."""
    with step(f"Memory State: CertificateInstalled, CSMSRootCertificate {what}"):
        response = await csms.call_ok(
            "InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": pem}
        )
        check_equal(response.get("status"), "Accepted", "InstallCertificateResponse.status (memory state)")


async def remove_root(csms: HarnessCsms, pem: str) -> None:
    """Not in Part 6: delete the root the case installed (matched by its serial number)."""
    from cryptography import x509

    serial = format(x509.load_pem_x509_certificate(pem.encode()).serial_number, "x")
    response = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]})
    for chain in response.get("certificateHashDataChain", []):
        data = chain.get("certificateHashData", {})
        if str(data.get("serialNumber", "")).lower().lstrip("0") == serial.lstrip("0"):
            await csms.call_ok("DeleteCertificate", {"certificateHashData": data})


@case(
    "TC_B_50_CS",
    requirements=("M05.FR.13",),
    catches={"network-priority-not-applied": r"new network connection profile .*B10\.FR\.01"},
    actions=(),
)
async def test_TC_B_50_CS(csms: HarnessCsms, sut: Any) -> None:
    """Migrate to new ConnectionProfile, Success, new CSMS root, new CSMS (B10, M05): the alternative
    endpoint's server certificate is signed by a root the station only has from InstallCertificate."""
    profile = require_profile(csms, (2, 3), "TC_B_50_CS")
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    with tempfile.TemporaryDirectory(prefix="tc_b_50_") as tmp:
        pki = make_test_pki(Path(tmp), csms.station_id, csms.server.host, reuse=False)
        root = pki.ca_cert.read_text()
        await install_root(csms, root, "<Configured (new) CSMS Root certificate 2>")
        try:
            # The station keeps its own client certificate (profile 3): the new CSMS trusts its old CA.
            security = same_security(csms, certfile=pki.server_cert, keyfile=pki.server_key)
            async with alternative_endpoint(csms, security) as alt, priority_restored(csms, sut, original):
                migration = await migrate(csms, sut, alt.url, profile, original)
                await booted_on(
                    csms, sut, alt, migration, "new CSMS with a server certificate of the new root"
                )
        finally:
            if csms.connected:
                with contextlib.suppress(Exception):
                    await remove_root(csms, root)


# ------------------------------------------------------------------ B10.FR.07: the fallback reconnects
# <Configured RetryBackOffWaitMinimum> for TC_B_49_CS: whole seconds, short so the run stays fast.
B49_WAIT_MINIMUM = 1
# How late the harness may notice an event (event-loop wake-up): subtracted from measured gaps only.
_NOTICE_SLACK = 0.1


@contextlib.asynccontextmanager
async def main_endpoint_refusing(csms: HarnessCsms) -> AsyncIterator[None]:
    """Part 6 "the connection attempt is not accepted by the OCTT" on the main endpoint, armed BEFORE the
    Reset so the station's first attempt there cannot slip in: the open connection is left alone (unlike
    `csms.go_offline`), new handshakes get HTTP 503 (counted in `events.refused`) until `go_online`."""
    csms.server.go_offline()
    csms.transcript.note("the harness CSMS refuses new connections on its main endpoint (HTTP 503)")
    try:
        yield
    finally:
        if csms.offline:
            csms.go_online()


@case(
    "TC_B_49_CS",
    requirements=("B10.FR.07", "B10.FR.09"),
    catches={
        "network-fallback-ignores-backoff": r"step 11: the reconnection came after .*RetryBackOffWaitMinimum",
        "network-fallback-wraps": r"step 11: .*last successful connection \(B10\.FR\.07\)",
    },
)
async def test_TC_B_49_CS(csms: HarnessCsms, sut: Any) -> None:
    """Migrate to new ConnectionProfile, fallback after NetworkProfileConnectionAttempts per
    NetworkConfigurationPriority failed, same CSMS root (B10.FR.07, errata 2025-01 B10.FR.09; C-47).

    Every entry of the priority list fails (the new slot's endpoint closes the connection, the main
    endpoint answers 503 once); the station then reconnects with its last successful profile after
    <Configured RetryBackOffWaitMinimum> (1 s; RepeatTimes 0 and RandomRange 0 make it exact).
    Ambiguity (step 11): read as the Part 4 5.3 back-off measured from the refused attempt of step 10,
    at least RetryBackOffWaitMinimum and within it + timestamp_tolerance; and (steps 9-11) the station
    reconnects to the OCTT, so it must not try the failed new slot again (B10.FR.08's "restart with all
    entries" is the other mechanism of B10.FR.09, not the one C-47 declares)."""
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    minimum = B49_WAIT_MINIMUM
    tolerance = float(sut.timeouts.timestamp_tolerance)
    settings = [
        setting(f"{COMM}.{ATTEMPTS}", 1),
        setting(f"{COMM}.RetryBackOffRepeatTimes", 0),
        setting(f"{COMM}.RetryBackOffRandomRange", 0),
        setting(f"{COMM}.RetryBackOffWaitMinimum", minimum),
    ]
    scheme = "wss" if csms.server.security.tls else "ws"
    async with (
        configured(csms, settings),
        dead_endpoint(csms.server.host) as dead,
        priority_restored(csms, sut, original),
        main_endpoint_refusing(csms),
    ):
        refused_floor = csms.events.refused
        migration = await migrate(csms, sut, url_with_scheme(dead.url, scheme), run_profile(csms), original)
        with step("7-10: the new slot's endpoint and then the previous profile's are not accepted"):
            try:
                await csms.wait_refused(timeout=csms.timeout * 3, after=refused_floor)
            except SutTimeout:
                raise ConformanceFailure(
                    f"[conformance] the station did not fall back to its previous network connection"
                    f" profile after NetworkProfileConnectionAttempts (1) failed attempt (B10.FR.03);"
                    f" attempts on the new slot: {dead.attempts}"
                ) from None
            refused_at = time.monotonic()
            csms.go_online()  # step 12: the next attempt is accepted
            check(
                dead.attempts >= 1,
                "step 7: the station must first try the new network connection profile (B10.FR.01)",
            )
        with step(f"11-12: the station waits RetryBackOffWaitMinimum ({minimum} s) and reconnects"):
            try:
                await csms.wait_connected(timeout=minimum + tolerance + csms.timeout, after=migration.floor)
            except SutTimeout:
                raise ConformanceFailure(
                    f"[conformance] step 11: the station did not reconnect within RetryBackOffWaitMinimum"
                    f" ({minimum} s) + {tolerance:g} s after its refused attempt (B10.FR.07, Part 4 5.3)"
                ) from None
            waited = time.monotonic() - refused_at
            check_equal(
                dead.attempts,
                1,
                "step 11: connection attempts on the failed new slot: the station must reconnect with the"
                " profile of its last successful connection (B10.FR.07)",
            )
            check(
                waited >= minimum - _NOTICE_SLACK,
                f"step 11: the reconnection came after {waited:.2f} s, before RetryBackOffWaitMinimum"
                f" ({minimum} s) (B10.FR.07, Part 4 5.3)",
            )
            check(
                waited <= minimum + tolerance,
                f"step 11: the reconnection came after {waited:.2f} s, later than RetryBackOffWaitMinimum"
                f" ({minimum} s) + {tolerance:g} s (B10.FR.07, Part 4 5.3)",
            )
        await states.cs_boot_sequence(csms, sut)  # step 13: Reusable State Booted


@case(
    "TC_B_47_CS",
    requirements=("B10.FR.07", "M05.FR.15", "M05.FR.16"),
    catches={"root-check-profile-fallback-keeps-new-root": r"did not fall back .*M05\.FR\.1[56]"},
)
async def test_TC_B_47_CS(csms: HarnessCsms, sut: Any) -> None:
    """Migrate to new ConnectionProfile, fallback after NetworkProfileConnectionAttempts, new CSMS root,
    new CSMS (B10.FR.07, M05.FR.15/16): the new CSMS presents a certificate of the old root, which the
    station (validating with the new root) refuses; it falls back to its previous slot and the old root.
    The new root is a successor the harness's test PKI root signed (Part 6 prerequisite)."""
    # Shared with the M05 cases of test_m_certificates (which import this module: imported here, late).
    from testcases.cs.test_m_certificates import booted_after_fallback, listed, load_cert

    profile = require_profile(csms, (2, 3), "TC_B_47_CS")
    main = csms.server.security
    pki = existing_test_pki(Path(main.certfile).parent) if main.certfile else None
    if pki is None or main.certfile is None or pki.server_cert != Path(main.certfile):
        raise NotApplicable(
            "TC_B_47_CS needs the harness's server certificate from its own test PKI (--ocpp-builtin or"
            " `ocpp-conformance certs`): it signs the new CSMS root with that PKI's root CA"
        )
    original = await get_variable(csms, COMM, PRIORITY, "NetworkConfigurationPriority before the case")
    with tempfile.TemporaryDirectory(prefix="tc_b_47_") as tmp:
        new = make_successor_root(pki, Path(tmp), csms.server.host)
        root = new.root_cert.read_text()
        try:
            async with (
                configured(csms, [setting(f"{COMM}.{ATTEMPTS}", 1)]),
                alternative_endpoint(csms) as alt,  # the new CSMS: a certificate of the OLD root
                priority_restored(csms, sut, original),
            ):
                await install_root(
                    csms, root, "<Configured (new) CSMS Root certificate 2>, signed by the old"
                )
                migration = await migrate(csms, sut, alt.url, profile, original)
                with step("7-9: the new root refuses the new CSMS; the station falls back to its old slot"):
                    try:
                        await csms.wait_connected(timeout=csms.timeout * 3, after=migration.floor)
                    except SutTimeout:
                        raise ConformanceFailure(
                            "[conformance] the station did not fall back to its previous network connection"
                            " profile and the old CSMS root after the new root refused the new CSMS's"
                            " certificate (B10.FR.07, M05.FR.15, M05.FR.16); handshakes refused at the new"
                            f" CSMS: {'; '.join(alt.refused[-2:]) or 'none'}"
                        ) from None
                    check(
                        not alt.holds(csms),
                        "the station connected to the new CSMS, whose certificate the old root signed, though"
                        " it must validate it with the new root (M05.FR.15)",
                    )
                await booted_after_fallback(csms, sut)  # step 10: Reusable State Booted
                with step("11-12: the OCTT sends GetInstalledCertificateIdsRequest CSMSRootCertificate"):
                    response = await csms.call_ok(
                        "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]}
                    )
                    check_equal(
                        response.get("status"), "Accepted", "GetInstalledCertificateIdsResponse status"
                    )
                    check(
                        listed(response, "CSMSRootCertificate", load_cert(pki.ca_cert)) is not None,
                        "step 12: GetInstalledCertificateIdsResponse has no certificateHashDataChain entry"
                        " with the old CSMS root's hash data (M05.FR.16)",
                    )
        finally:
            if csms.connected:
                with contextlib.suppress(Exception):
                    await remove_root(csms, root)

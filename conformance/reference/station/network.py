"""Network connection profiles of the reference station (B09, B10, A05) and its Basic-auth password (A01).

Slot 0 holds the profile the station was started with. SetNetworkProfile fills other slots;
OCPPCommCtrlr.NetworkConfigurationPriority (read at boot) orders them; each slot gets
OCPPCommCtrlr.NetworkProfileConnectionAttempts tries before the station moves to the next one; once
every entry failed it reconnects with the profile of its last successful connection, paced by the Part 4
5.3 back-off (B10.FR.07, C-47). A connection at a higher security profile drops the lower-profile slots
from the priority list (A05, TC_A_19_CS). TLS failures become security events sent once online (A00).
"""

from __future__ import annotations

import base64
import os
import ssl
import string
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from conformance.reference.station.device_model import ComponentKey, VariableKey

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore
    from conformance.reference.station.handlers import StationChargePoint

SLOTS = (0, 1, 2, 3)
# passwordString (Part 2 appendix): 16-40 characters of identifierString's alphabet (A01, TC_A_10_CS).
_PASSWORD_CHARS = frozenset(string.ascii_letters + string.digits + "*-_=:+|@.")
_COMM = ComponentKey("OCPPCommCtrlr")
_SECURITY = ComponentKey("SecurityCtrlr")
# All the tls-weak-ciphers mutant offers for TLS 1.2: none of the AES-GCM suites TC_A_04_CS requires.
_WEAK_TLS12 = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"


@dataclass
class NetworkProfile:
    slot: int
    url: str
    security_profile: int
    message_timeout: int = 30
    interface: str = "Wired0"


@dataclass
class NetworkState:
    profiles: dict[int, NetworkProfile]
    password: str | None = field(default=None, repr=False)
    priority: list[int] = field(default_factory=lambda: [0])  # as read at the last boot
    index: int = 0  # position in `priority` of the slot being tried / used
    failures: int = 0  # failed attempts on that slot
    active: NetworkProfile | None = None  # the profile of the current (or last) connection
    # B10.FR.07 (C-47): every priority entry failed its attempts, so the station reconnects (Part 4
    # 5.3 back-off) with the profile of its last successful connection, `active`, until it connects.
    fallback: bool = False

    @property
    def current(self) -> NetworkProfile:
        if self.fallback and self.active is not None:
            return self.active
        usable = [s for s in self.priority if s in self.profiles] or [0]
        return self.profiles[usable[self.index % len(usable)]]


_STATES: weakref.WeakKeyDictionary[StationCore, NetworkState] = weakref.WeakKeyDictionary()


def state(st: StationCore) -> NetworkState:
    found = _STATES.get(st)
    if found is None:
        initial = NetworkProfile(0, st.csms_url, st.config.security_profile)
        found = _STATES[st] = NetworkState({0: initial}, password=st.config.auth_password)
        found.active = initial
        _read_priority(st, found)
        var = st.dm.variable(_SECURITY, VariableKey("SecurityProfile"))
        if var is not None:  # the profile of the connection in use (TC_A_19_CS step 11)
            var.dynamic = lambda: str((found.active or initial).security_profile)
    return found


def _read_priority(st: StationCore, net: NetworkState) -> None:
    raw = st.dm.get("OCPPCommCtrlr", "NetworkConfigurationPriority")
    slots = [int(p) for p in raw.split(",") if p.strip().isdigit()]
    net.priority = slots or [0]
    net.index, net.failures, net.fallback = 0, 0, False


def on_reboot(st: StationCore) -> None:
    """B10: the priority list set with SetVariables (RebootRequired) applies from the next boot."""
    if not st.is_mutant("network-priority-not-applied"):
        _read_priority(st, state(st))


# ------------------------------------------------------------------ the connection loop's view
def target(st: StationCore) -> NetworkProfile:
    return state(st).current


def url(st: StationCore, profile: NetworkProfile) -> str:
    base = profile.url.rstrip("/")
    station_id = st.config.station_id
    return base if base.rsplit("/", 1)[-1] == station_id else f"{base}/{station_id}"


def headers(st: StationCore, profile: NetworkProfile) -> dict[str, str]:
    password = state(st).password
    user = st.config.station_id
    if st.is_mutant("basic-auth-username-wrong") and st.connect_count > 0:  # A00.FR.203 / TC_A_01_CS
        user += "X"  # broken on purpose from the second connection on (the first one boots the run)
    if profile.security_profile in (1, 2) and password is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def ssl_context(st: StationCore, profile: NetworkProfile) -> ssl.SSLContext | None:
    """TLS for profiles 2/3: trust the installed CSMSRootCertificates (M05), TLS 1.2 minimum (A00)."""
    if profile.security_profile < 2 and not profile.url.startswith("wss://"):
        return None
    from conformance.reference.station.certificates import connection_roots

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    roots, partial = connection_roots(st)  # M05 AdditionalRootCertificateCheck: maybe the new root alone
    if partial:  # a new root signed by the old one is a trust anchor that is not self-signed
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    if roots:
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in roots)
        ctx.load_verify_locations(cadata=pem.decode())
    if st.is_mutant("tls-accepts-invalid-certificate"):  # A00.FR.310-311 / TC_A_05_CS broken
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if st.is_mutant("tls-accepts-old-version"):  # A00.FR.314 / TC_A_06_CS broken on purpose
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if st.is_mutant("tls-weak-ciphers"):  # A00.FR.318-319 / TC_A_04_CS broken on purpose
        ctx.set_ciphers(_WEAK_TLS12)
    if profile.security_profile >= 3:
        _client_certificate(st, ctx)
    return ctx


def _client_certificate(st: StationCore, ctx: ssl.SSLContext) -> None:
    """Profile 3: the configured client certificate, else the one signed through A02 (CertificateSigned);
    ssl loads only files, so a signed one passes through a private temporary file, removed at once."""
    from conformance.reference.station.certificates import store

    if st.config.certfile:
        ctx.load_cert_chain(st.config.certfile, st.config.keyfile)
        return
    box = store(st)
    chain, key = box.signed.get("ChargingStationCertificate"), box.keys.get("ChargingStationCertificate")
    if not chain or key is None:
        return
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, path = tempfile.mkstemp(suffix=".pem")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


def connected(st: StationCore) -> None:
    """A connection on the current slot succeeded: reset its attempts; after an upgrade, forget the
    slots of a lower security profile (A05, TC_A_19_CS step 13)."""
    from conformance.reference.station.certificates import root_check_connected

    root_check_connected(st)  # M05.FR.13: a new CSMS root replaces the old one once it connected
    net = state(st)
    profile = net.current
    previous = net.active
    net.active, net.failures = profile, 0
    if net.fallback and profile.slot in net.priority:  # B10.FR.07: back on a listed slot
        net.index, net.fallback = net.priority.index(profile.slot), False
    if previous is None or profile.security_profile <= previous.security_profile:
        return
    if st.is_mutant("upgrade-keeps-lower-slot"):  # A05 / TC_A_19_CS broken on purpose
        return
    level = profile.security_profile
    keep = [s for s in net.priority if net.profiles.get(s, profile).security_profile >= level]
    net.priority, net.index = keep, keep.index(profile.slot) if profile.slot in keep else 0
    var = st.dm.variable(_COMM, VariableKey("NetworkConfigurationPriority"))
    if var is not None:
        var.value = ",".join(str(s) for s in keep)


def failed(st: StationCore, exc: BaseException) -> None:
    """A connection attempt failed: report TLS faults (A00.FR.311/A00.FR.419), then count the attempt
    and fall back to the next slot after NetworkProfileConnectionAttempts (B10.FR.03)."""
    from conformance.reference.station.certificates import root_check_failed

    net = state(st)
    new_slot = net.active is not None and net.current.slot != net.active.slot  # a migration (B10)
    root_check_failed(st, isinstance(exc, ssl.SSLCertVerificationError), new_slot)  # M05.FR.14-16
    text = repr(exc).upper()
    if isinstance(exc, ssl.SSLCertVerificationError):
        queue_security_event(st, "InvalidCsmsCertificate")
    elif isinstance(exc, ssl.SSLError) and ("PROTOCOL_VERSION" in text or "UNSUPPORTED" in text):
        queue_security_event(st, "InvalidTLSVersion")
    net = state(st)
    net.failures += 1
    attempts = max(1, st.dm.get_int("OCPPCommCtrlr", "NetworkProfileConnectionAttempts"))
    if net.fallback:
        return  # B10.FR.07: keep reconnecting with the last successful profile (back-off paces it)
    if net.failures >= attempts and not st.is_mutant("network-no-fallback"):
        net.index, net.failures = net.index + 1, 0
        usable = [s for s in net.priority if s in net.profiles] or [0]
        # B10.FR.07 / TC_B_49_CS: all entries failed; the mutant wraps round to the first entry instead.
        if net.index >= len(usable) and net.active is not None and not st.is_mutant("network-fallback-wraps"):
            net.fallback = True


def reconnecting(st: StationCore) -> bool:
    """Is the station in B10.FR.07's fallback, where Part 4 5.3's back-off paces the attempts even
    while (re)booting? (The mutant retries at the short fixed interval: TC_B_49_CS step 11.)"""
    return state(st).fallback and not st.is_mutant("network-fallback-ignores-backoff")


def queue_security_event(st: StationCore, kind: str) -> None:
    """A security event that happened offline, sent once the station can send again (one per kind while
    queued: a station retrying every fraction of a second does not pile up hundreds)."""
    st.security_events.append(kind)
    if st.outbox.queued_for("SecurityEventNotification", "type", kind):
        return
    payload = {"type": kind, "timestamp": st.timestamp()}
    st.outbox.post("SecurityEventNotification", payload, queue_offline=True)


# ------------------------------------------------------------------ B09 SetNetworkProfile
def set_network_profile(st: StationCore, req: dict[str, Any]) -> str:
    net = state(st)
    slot, data = int(req["configurationSlot"]), dict(req["connectionData"])
    if slot not in SLOTS and not st.is_mutant("network-profile-invalid-slot-accepted"):
        return "Rejected"  # B09.FR.02 / TC_B_43_CS
    level = int(data.get("securityProfile", -1))
    active = net.active or net.current
    if level < active.security_profile and not st.is_mutant("network-profile-downgrade-accepted"):
        return "Rejected"  # B09.FR.04 / TC_A_22_CS: never below the active security profile
    wire = (data.get("ocppVersion"), data.get("ocppTransport"))
    if level not in (0, 1, 2, 3) or wire != ("OCPP20", "JSON"):
        return "Rejected"
    if slot == active.slot:
        return "Rejected"  # the profile in use is not replaced under the running connection
    net.profiles[slot] = NetworkProfile(
        slot, str(data["ocppCsmsUrl"]), level, int(data.get("messageTimeout", 30)), str(data["ocppInterface"])
    )
    return "Accepted"


# ------------------------------------------------------------------ SetVariables this module owns
def set_variable(cp: StationChargePoint, item: dict[str, Any]) -> dict[str, Any] | None:
    """SecurityCtrlr.BasicAuthPassword (A01) and the A05 checks on NetworkConfigurationPriority;
    None for every other variable (the device model handles it)."""
    component, variable = item["component"], item["variable"]
    if component.get("evse") or component.get("instance") or variable.get("instance"):
        return None
    name = (component.get("name"), variable.get("name"))
    if item.get("attributeType", "Actual") != "Actual":
        return None
    if name == ("SecurityCtrlr", "BasicAuthPassword"):
        return _result(item, _set_password(cp, str(item["attributeValue"])))
    if name == ("OCPPCommCtrlr", "NetworkConfigurationPriority"):
        refusal = _priority_refusal(cp.st, str(item["attributeValue"]))
        return _result(item, refusal) if refusal else None
    return None


def _result(item: dict[str, Any], status: str) -> dict[str, Any]:
    result = {"component": item["component"], "variable": item["variable"], "attributeStatus": status}
    if "attributeType" in item:
        result["attributeType"] = item["attributeType"]
    return result


def valid_password(value: str) -> bool:
    return 16 <= len(value) <= 40 and all(c in _PASSWORD_CHARS for c in value)


def _set_password(cp: StationChargePoint, value: str) -> str:
    st = cp.st
    if not valid_password(value) and not st.is_mutant("basic-auth-short-password-accepted"):
        return "Rejected"  # A01 / TC_A_10_CS: not a passwordString of 16-40 characters
    if not st.is_mutant("basic-auth-password-ignored"):  # A01.FR.01 / TC_A_09_CS broken on purpose
        state(st).password = value
    if state(st).current.security_profile in (1, 2):
        # A01: the station reconnects with the new password (after this response has gone out).
        cp.later(lambda: st.spawn(st.drop_connection()))
    return "Accepted"


def _priority_refusal(st: StationCore, value: str) -> str | None:
    """A05.FR.02 / A05.FR.03: a slot whose security profile needs certificates the station lacks."""
    from conformance.reference.station.certificates import store

    net, box = state(st), store(st)
    has_root = any(i.use == "CSMSRootCertificate" for i in box.installed)
    has_own = bool(box.signed.get("ChargingStationCertificate")) or bool(st.config.certfile)
    for part in value.split(","):
        profile = net.profiles.get(int(part)) if part.strip().isdigit() else None
        if profile is None:
            continue
        lenient = st.is_mutant("upgrade-without-csms-root-accepted")  # A05.FR.02 / TC_A_20_CS
        if profile.security_profile >= 2 and not has_root and not lenient:
            return "Rejected"
        if profile.security_profile == 3 and not has_own:
            return "Rejected"
    return None

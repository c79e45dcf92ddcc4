"""Block M / A of the reference station: the certificate store and the charging-station certificate.

M05 InstallCertificate, M03 GetInstalledCertificateIds, M04 DeleteCertificate (certificateHashData
computed with `cryptography`), A02/A03 SignCertificate + CertificateSigned (a fresh EC key and CSR per
request; the private key never leaves this process and is never logged).
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conformance.reference.station.device_model import ComponentKey, VariableKey

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


@dataclass
class Installed:
    use: str  # GetCertificateIdUseEnumType
    cert: x509.Certificate
    # The installed certificate that signed it when it was installed (a successor root under M05): its
    # key is what issuerKeyHash hashes, also once that issuer is gone. None: self-signed or unknown.
    issuer: x509.Certificate | None = None


@dataclass
class CertStore:
    installed: list[Installed] = field(default_factory=list)
    pending_keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict, repr=False)
    signed: dict[str, list[x509.Certificate]] = field(default_factory=dict)  # certificateType -> chain
    resenders: dict[str, asyncio.Task[None]] = field(default_factory=dict, repr=False)
    # The private key of each signed chain (network.py connects with it at security profile 3, A05).
    keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict, repr=False)
    # M05 AdditionalRootCertificateCheck (AS-2): the new CSMS root installed but not yet connected with,
    # and whether the connection attempt under way trusts it alone (root_check_* below).
    successor: x509.Certificate | None = None
    trying_successor: bool = False
    new_root_failed_new_slot: bool = False  # only the root-check-profile-fallback-keeps-new-root mutant

    def hash_data_of(self, item: Installed) -> dict[str, str]:
        """M03/M04 hash data: issuerKeyHash hashes the issuer's key, so a root another installed root
        signed (a successor under M05) names that root's key, a self-signed one its own."""
        return hash_data(item.cert, item.issuer or self.issuer_of(item.cert))

    def issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        """Another installed certificate that signed `cert`, if any."""
        others = (i.cert for i in self.installed if i.cert != cert)
        return next((other for other in others if issued_by(cert, other)), None)


_STORES: weakref.WeakKeyDictionary[StationCore, CertStore] = weakref.WeakKeyDictionary()


def _load_file(path: str | None) -> list[x509.Certificate]:
    if not path:
        return []
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError):
        return []


def store(st: StationCore) -> CertStore:
    found = _STORES.get(st)
    if found is None:
        found = _STORES[st] = CertStore()
        # What the station connects with is installed from the start: the CSMS root(s) it trusts
        # (TC_M_07_CS / TC_M_12_CS list it) and its own certificate (TC_M_23_CS: cannot be deleted).
        found.installed = [Installed("CSMSRootCertificate", c) for c in _load_file(st.config.cafile)]
        # A lab's firmware-signing root (L01.FR.02), preinstalled as a vendor ships it: the vendor value
        # ReferenceStation.ManufacturerRootCertificateFile names a PEM file (tests/cs_l); default none.
        try:
            roots = _load_file(st.dm.get("ReferenceStation", "ManufacturerRootCertificateFile"))
        except KeyError:
            roots = []
        found.installed += [Installed("ManufacturerRootCertificate", c) for c in roots]
        own = _load_file(st.config.certfile)
        if own:
            found.signed["ChargingStationCertificate"] = own
        var = st.dm.variable(ComponentKey("SecurityCtrlr"), VariableKey("CertificateEntries"))
        if var is not None:  # the device model reads the live count (TC_M_* read it)
            var.dynamic = lambda: str(len(found.installed) + sum(len(c) for c in found.signed.values()))
    return found


# -- hashing (M03 / M04: CertificateHashDataType) ---------------------------------------------------
def _key_bytes(key: Any) -> bytes:
    """The subjectPublicKey BIT STRING content (what issuerKeyHash hashes)."""
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return bytes(key.public_bytes(serialization.Encoding.DER, spki))


def hash_data(cert: x509.Certificate, issuer: x509.Certificate | None = None) -> dict[str, str]:
    """SHA256 CertificateHashDataType; a root (self-signed) certificate is its own issuer."""
    issuer_key = (issuer or cert).public_key()
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.sha256(_key_bytes(issuer_key)).hexdigest(),
        "serialNumber": format(cert.serial_number, "x"),  # hex, no 0x, no leading zeroes
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
    return all(str(a.get(k, "")).lower().lstrip("0") == str(b.get(k, "")).lower().lstrip("0") for k in keys)


def parse_pem(text: str) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(text.encode())
    except (ValueError, TypeError):
        return None


def currently_valid(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # InvalidSignature, a wrong issuer name, an unsupported key type alike
        return False
    return True


# -- M05 InstallCertificate --------------------------------------------------------------------------
def install_certificate(st: StationCore, req: dict[str, Any]) -> str:
    use, cert = str(req["certificateType"]), parse_pem(str(req["certificate"]))
    now = st.clock.now_dt()
    valid = cert is not None and currently_valid(cert, now)
    if not valid and not st.is_mutant("install-invalid-certificate"):  # M05.FR.07 / TC_M_07_CS
        return "Rejected"
    if cert is None:  # even the mutant cannot store what does not parse
        return "Accepted"
    if use == "CSMSRootCertificate" and root_check_on(st):
        return _install_successor(st, cert)
    box = store(st)
    stored = not st.is_mutant("install-certificate-not-stored")  # M05.FR.02 / TC_M_01_CS broken on purpose
    if stored and not any(i.cert == cert and i.use == use for i in box.installed):
        box.installed.append(Installed(use, cert, box.issuer_of(cert)))
    return "Accepted"


# -- M05 AdditionalRootCertificateCheck (AS-2) -------------------------------------------------------
def root_check_on(st: StationCore) -> bool:
    """SecurityCtrlr.AdditionalRootCertificateCheck (read-only; a SUT description switches it on)."""
    return st.dm.get("SecurityCtrlr", "AdditionalRootCertificateCheck").strip().lower() == "true"


def _install_successor(st: StationCore, cert: x509.Certificate) -> str:
    """M05.FR.10/11: a new CSMSRootCertificate is accepted only when an installed one signed it; it is
    kept beside the old one until a connection with it succeeds (root_check_connected)."""
    box = store(st)
    if any(i.use == "CSMSRootCertificate" and i.cert == cert for i in box.installed):
        return "Accepted"  # already installed: nothing to replace
    olds = [i.cert for i in box.installed if i.use == "CSMSRootCertificate" and i.cert != box.successor]
    if not any(issued_by(cert, old) for old in olds) and not st.is_mutant("root-check-accepts-unsigned"):
        return "Rejected"  # M05.FR.11 / TC_M_09_CS
    if box.successor is not None:  # a newer successor replaces one never connected with
        box.installed = [i for i in box.installed if i.cert != box.successor]
    box.installed.append(Installed("CSMSRootCertificate", cert, box.issuer_of(cert)))
    box.successor = cert
    return "Accepted"


def connection_roots(st: StationCore) -> tuple[list[x509.Certificate], bool]:
    """The CSMS roots the next TLS handshake trusts and whether that needs partial chains: with the check
    on and a new root pending, the new root alone (M05.FR.13), else every installed CSMSRootCertificate."""
    box = store(st)
    check = root_check_on(st)
    box.trying_successor = check and box.successor is not None
    if box.trying_successor and box.successor is not None:
        return [box.successor], True  # signed by the old root: a trust anchor only with partial chains
    return [i.cert for i in box.installed if i.use == "CSMSRootCertificate"], check


def root_check_connected(st: StationCore) -> None:
    """M05.FR.13: the connection with the new root succeeded; the old root(s) that signed it go."""
    box = store(st)
    new, box.trying_successor = box.successor, False
    if new is None or not root_check_on(st):
        return
    box.successor = None
    if st.is_mutant("root-check-keeps-old-root"):  # M05.FR.13 / TC_M_30_CS broken on purpose
        return
    olds = [i for i in box.installed if i.use == "CSMSRootCertificate" and i.cert != new]
    signers = [i for i in olds if issued_by(new, i.cert)]
    box.installed = [i for i in box.installed if i not in signers]


def root_check_failed(st: StationCore, certificate_refused: bool, new_slot: bool = False) -> None:
    """M05.FR.14: validating the CSMS certificate with the new root failed: fall back to the old root
    (the new one is dropped: the next attempt trusts what was installed before it); also when that
    attempt was on a new network profile, whose fallback goes back to the old root (M05.FR.15/16)."""
    box = store(st)
    tried, box.trying_successor = box.trying_successor, False
    if not tried or not certificate_refused or box.successor is None:
        return
    if st.is_mutant("root-check-no-fallback") and not new_slot:  # M05.FR.14 / TC_M_31_CS broken
        return
    keeps = new_slot or box.new_root_failed_new_slot  # the new root stays on the previous slot too
    if st.is_mutant("root-check-profile-fallback-keeps-new-root") and keeps:  # M05.FR.15/16 / TC_B_47_CS
        box.new_root_failed_new_slot = True
        return
    box.installed = [i for i in box.installed if i.cert != box.successor]
    box.successor = None


# -- M03 GetInstalledCertificateIds ------------------------------------------------------------------
def get_installed_ids(st: StationCore, req: dict[str, Any]) -> dict[str, Any]:
    wanted = req.get("certificateType") or []
    if st.is_mutant("installed-ids-first-type-only"):  # M03.FR.01 / TC_M_17_CS broken on purpose
        wanted = wanted[:1]
    box = store(st)
    chains = [
        {"certificateType": i.use, "certificateHashData": box.hash_data_of(i)}
        for i in box.installed
        if not wanted or i.use in wanted
    ]
    for kind, chain in store(st).signed.items():
        use = "V2GCertificateChain" if kind == "V2GCertificate" else None
        if use is not None and chain and (not wanted or use in wanted):
            leaf_issuer = chain[1] if len(chain) > 1 else None
            chains.append({"certificateType": use, "certificateHashData": hash_data(chain[0], leaf_issuer)})
    if not chains:  # M03.FR.02; the mutant breaks it on purpose (TC_M_19_CS)
        return {"status": "Accepted" if st.is_mutant("installed-ids-none-accepted") else "NotFound"}
    return {"status": "Accepted", "certificateHashDataChain": chains}


# -- M04 DeleteCertificate ---------------------------------------------------------------------------
def delete_certificate(st: StationCore, req: dict[str, Any]) -> str:
    wanted = dict(req["certificateHashData"])
    box = store(st)
    station_chain = box.signed.get("ChargingStationCertificate") or []
    if station_chain:
        issuer = station_chain[1] if len(station_chain) > 1 else None
        if _same(hash_data(station_chain[0], issuer), wanted):
            return "Rejected"  # M04.FR.06: the ChargingStationCertificate cannot be deleted
    for item in box.installed:
        if _same(box.hash_data_of(item), wanted):
            if not st.is_mutant("delete-certificate-kept"):  # M04 / TC_M_20_CS broken on purpose
                box.installed.remove(item)
                if item.cert == box.successor:  # a deleted new root is no longer tried (M05)
                    box.successor = None
            return "Accepted"
    if st.is_mutant("delete-unknown-accepted"):  # M04.FR.04 / TC_M_22_CS broken on purpose
        return "Accepted"
    return "NotFound"


# -- A02 / A03 SignCertificate + CertificateSigned ---------------------------------------------------
def make_csr(st: StationCore, kind: str) -> str:
    """A PKCS#10 CSR (O = SecurityCtrlr.OrganizationName, CN = station id) for the pending P-256 key
    of `kind`; a resend reuses the key, so a chain for any CSR sent so far is accepted (TC_A_23_CS)."""
    box = store(st)
    key = box.pending_keys.get(kind)
    if key is None:
        key = box.pending_keys[kind] = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, st.dm.get("SecurityCtrlr", "OrganizationName")),
            x509.NameAttribute(NameOID.COMMON_NAME, st.config.station_id),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def request_signing(st: StationCore, kind: str = "ChargingStationCertificate") -> None:
    """Send SignCertificateRequest (A02 / TriggerMessage SignChargingStationCertificate) and, until a
    CertificateSigned arrives, resend it CertSigningRepeatTimes times, CertSigningWaitMinimum * 2^n
    seconds of station time apart (TC_A_23_CS)."""
    box = store(st)
    fresh = kind not in box.pending_keys
    _send_csr(st, kind)
    if fresh or kind not in box.resenders:
        box.resenders[kind] = st.spawn(_resend(st, kind))


def _send_csr(st: StationCore, kind: str) -> None:
    future = st.outbox.submit("SignCertificate", {"csr": make_csr(st, kind), "certificateType": kind})

    def answered(done: asyncio.Future[dict[str, Any]]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        if done.result().get("status") == "Rejected":  # TC_A_15_CS: the CSMS will not sign; stop
            _forget(st, kind)

    future.add_done_callback(answered)


def _forget(st: StationCore, kind: str) -> None:
    box = store(st)
    box.pending_keys.pop(kind, None)
    task = box.resenders.pop(kind, None)
    if task is not None and task is not asyncio.current_task():
        task.cancel()


async def _resend(st: StationCore, kind: str) -> None:
    box = store(st)
    wait = max(1, st.dm.get_int("SecurityCtrlr", "CertSigningWaitMinimum"))
    for attempt in range(st.dm.get_int("SecurityCtrlr", "CertSigningRepeatTimes")):
        await st.clock.sleep(wait * 2**attempt)
        if kind not in box.pending_keys:
            return
        _send_csr(st, kind)
    box.resenders.pop(kind, None)


def _split_chain(text: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(text.encode())
    except (ValueError, TypeError):
        return []


def certificate_signed(st: StationCore, req: dict[str, Any]) -> str:
    """A02 / TC_A_14_CS: accept only a chain whose leaf, valid now, carries our pending CSR's key."""
    kind = str(req.get("certificateType", "ChargingStationCertificate"))
    chain = _split_chain(str(req["certificateChain"]))
    key = store(st).pending_keys.get(kind)
    ok = (
        bool(chain)
        and key is not None
        and currently_valid(chain[0], st.clock.now_dt())
        and _key_bytes(chain[0].public_key()) == _key_bytes(key.public_key())
    )
    if not ok and not st.is_mutant("certificate-signed-unchecked"):  # A02 / TC_A_14_CS
        st.security_event("InvalidChargingStationCertificate")
        return "Rejected"
    store(st).signed[kind] = chain
    if key is not None:
        store(st).keys[kind] = key
    _forget(st, kind)
    return "Accepted"

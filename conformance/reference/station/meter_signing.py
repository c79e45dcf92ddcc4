"""Signed meter values (J01.FR.21, J02.FR.21; TC_J_04_CS, TC_J_11_CS) of the reference station.

With AlignedDataCtrlr.SignReadings (clock-aligned readings) or SampledDataCtrlr.SignReadings (every
other reading) true, each sampledValue carries a signedMeterValue: an OCMF-style record (the reading
as JSON, then its ECDSA P-256 / SHA-256 signature in hex), base64-encoded. The key pair is generated
per station and never leaves it; OCPPCommCtrlr.PublicKeyWithSignedMeterValue decides when the public
key (base64 DER SubjectPublicKeyInfo) goes along: Never (""), OncePerTransaction, EveryMeterValue.
"""

from __future__ import annotations

import base64
import json
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore
    from conformance.reference.station.model import Evse

SIGNING_METHOD = "ECDSA-secp256r1-SHA256"
ENCODING_METHOD = "OCMF"


@dataclass
class _Signer:
    key: ec.EllipticCurvePrivateKey = field(repr=False)
    public_key: str  # base64 DER SubjectPublicKeyInfo
    keyed_transactions: set[str] = field(default_factory=set)  # OncePerTransaction: key already sent

    def __repr__(self) -> str:  # never the private key
        return "_Signer(<ECDSA P-256 key>)"


_SIGNERS: weakref.WeakKeyDictionary[StationCore, _Signer] = weakref.WeakKeyDictionary()


def _signer(st: StationCore) -> _Signer:
    found = _SIGNERS.get(st)
    if found is None:
        key = ec.generate_private_key(ec.SECP256R1())
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        found = _SIGNERS[st] = _Signer(key, base64.b64encode(der).decode())
    return found


def signing_on(st: StationCore, context: str) -> bool:
    """Clock-aligned readings follow AlignedDataCtrlr.SignReadings, the others SampledDataCtrlr's."""
    if st.is_mutant("meter-values-unsigned"):  # J01.FR.21 / J02.FR.21 broken on purpose
        return False
    ctrlr = "AlignedDataCtrlr" if context == "Sample.Clock" else "SampledDataCtrlr"
    return st.dm.get_bool(ctrlr, "SignReadings")


def _public_key_now(st: StationCore, signer: _Signer, evse: Evse) -> str:
    mode = st.dm.get("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue")
    if mode == "EveryMeterValue":
        return signer.public_key
    if mode == "OncePerTransaction" and evse.tx is not None:
        if evse.tx.transaction_id in signer.keyed_transactions:
            return ""
        signer.keyed_transactions.add(evse.tx.transaction_id)
        return signer.public_key
    return ""


def sign(st: StationCore, evse: Evse, timestamp: str, sampled: list[dict[str, Any]]) -> None:
    """Add a signedMeterValue to every sampledValue of one reading (in place)."""
    signer = _signer(st)
    public_key = _public_key_now(st, signer, evse)
    for value in sampled:
        reading = {
            "evseId": evse.evse_id,
            "timestamp": timestamp,
            "measurand": value.get("measurand", "Energy.Active.Import.Register"),
            "value": value["value"],
            "unit": value.get("unitOfMeasure", {}).get("unit", "Wh"),
        }
        data = json.dumps(reading, separators=(",", ":"), sort_keys=True)
        signature = signer.key.sign(data.encode(), ec.ECDSA(hashes.SHA256())).hex()
        record = f'OCMF|{data}|{{"SA":"{SIGNING_METHOD}","SD":"{signature}"}}'
        value["signedMeterValue"] = {
            "signedMeterData": base64.b64encode(record.encode()).decode(),
            "signingMethod": SIGNING_METHOD,
            "encodingMethod": ENCODING_METHOD,
            "publicKey": public_key,
        }

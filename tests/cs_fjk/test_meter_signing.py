"""The reference station's signed meter values (meter_signing.py, TC_J_04/11_CS): the signature is a real
ECDSA signature over the reading that verifies with the public key sent, and the key goes along as
OCPPCommCtrlr.PublicKeyWithSignedMeterValue says."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conformance.reference.station import meter_signing


@dataclass
class _Dm:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, component: str, variable: str) -> str:
        return self.values.get(f"{component}.{variable}", "")

    def get_bool(self, component: str, variable: str) -> bool:
        return self.get(component, variable) == "true"


class _Station:
    """The two things meter_signing reads from a StationCore."""

    def __init__(self, mode: str, mutant: str | None = None) -> None:
        self.dm = _Dm(
            {"OCPPCommCtrlr.PublicKeyWithSignedMeterValue": mode, "SampledDataCtrlr.SignReadings": "true"}
        )
        self.mutant = mutant

    def is_mutant(self, name: str) -> bool:
        return self.mutant == name


@dataclass
class _Tx:
    transaction_id: str = "tx-1"


@dataclass
class _Evse:
    evse_id: int = 1
    tx: _Tx | None = field(default_factory=_Tx)


def _signed(st: Any, evse: Any) -> dict[str, Any]:
    sampled: list[dict[str, Any]] = [{"value": 12.5, "measurand": "Energy.Active.Import.Register"}]
    meter_signing.sign(st, evse, "2026-01-01T00:00:00.000Z", sampled)
    return dict(sampled[0]["signedMeterValue"])


def test_the_signature_verifies_with_the_public_key_sent() -> None:
    st = _Station("EveryMeterValue")
    signed = _signed(st, _Evse())
    key = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    tag, data, trailer = base64.b64decode(signed["signedMeterData"]).decode().split("|")
    assert tag == "OCMF" and json.loads(data)["value"] == 12.5
    signature = bytes.fromhex(json.loads(trailer)["SD"])
    key.verify(signature, data.encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        key.verify(signature, data.replace("12.5", "99.9").encode(), ec.ECDSA(hashes.SHA256()))
    assert signed["signingMethod"] == "ECDSA-secp256r1-SHA256" and signed["encodingMethod"] == "OCMF"


@pytest.mark.parametrize(("mode", "keys"), [("Never", ["", ""]), ("OncePerTransaction", ["key", ""])])
def test_the_public_key_goes_along_as_configured(mode: str, keys: list[str]) -> None:
    st, evse = _Station(mode), _Evse()
    sent = ["key" if _signed(st, evse)["publicKey"] else "" for _ in keys]
    assert sent == keys


def test_signing_follows_the_controller_of_the_context() -> None:
    st: Any = _Station("Never")
    assert meter_signing.signing_on(st, "Sample.Periodic")  # SampledDataCtrlr.SignReadings true
    assert not meter_signing.signing_on(st, "Sample.Clock")  # AlignedDataCtrlr.SignReadings unset
    unsigned: Any = _Station("Never", "meter-values-unsigned")
    assert not meter_signing.signing_on(unsigned, "Sample.Periodic")

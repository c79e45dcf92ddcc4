"""Faults of block K (Smart Charging) of the reference charging station.

Each is honoured at the one place the rule lives, in `reference/station/smart_charging.py`.
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant


def _m(name: str, breaks: str, description: str) -> Mutant:
    return Mutant(name=name, target="station", breaks=breaks, description=description)


MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        _m(
            "txprofile-without-transaction",
            "K01.FR.09 / TC_K_02_CS",
            "accepts a TxProfile for an EVSE that has no transaction",
        ),
        _m(
            "profile-not-replaced",
            "K01.FR.05 / TC_K_04_CS",
            "keeps the old profile beside a new one with the same chargingProfile.id instead of replacing it",
        ),
        _m(
            "rate-unit-unchecked",
            "K01.FR.26 / TC_K_12_CS",
            "accepts a charging schedule in a chargingRateUnit that SmartChargingCtrlr.RateUnit lacks",
        ),
        _m(
            "get-profiles-ignores-evse",
            "K09.FR.04 / TC_K_30_CS",
            "reports the profiles of every EVSE to a GetChargingProfilesRequest for one evseId",
        ),
        _m(
            "clear-profile-keeps-first",
            "K10.FR.04 / TC_K_24_CS",
            "answers ClearChargingProfile Accepted but leaves one of the matching profiles installed",
        ),
        _m(
            "stack-level-inverted",
            "K08.FR.02, K08.FR.06 / TC_K_40_CS",
            "lets the lowest stackLevel win in the composite schedule instead of the highest",
        ),
        _m(
            "rate-change-unreported",
            "TC_K_57_CS, TC_K_58_CS (TransactionEvent triggerReason ChargingRateChanged)",
            "sends no TransactionEvent ChargingRateChanged when a new profile changes a transaction's limit",
        ),
        _m(
            "remote-start-profile-dropped",
            "K05.FR.03 / TC_K_37_CS",
            "ignores the chargingProfile of a RequestStartTransactionRequest (it is not installed)",
        ),
        _m(
            "tx-profile-not-overruling",
            "K08.FR.02, K08.FR.04 / TC_K_41_CS",
            "lets TxDefaultProfiles show through where the transaction's TxProfile schedule has ended",
        ),
        _m(
            "station-max-ignored",
            "K08.FR.04 / TC_K_41_CS",
            "does not cap the composite schedule by the ChargingStationMaxProfile",
        ),
    )
}

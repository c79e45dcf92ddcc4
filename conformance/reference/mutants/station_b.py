"""Reference-station mutants for block B (Provisioning), charging station under test.

Each is honoured in `conformance.reference.station` where its rule lives.
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
            "setvariables-not-applied",
            "B05.FR.01, B06.FR.01 (an Accepted value is the one read back) / TC_B_06_CS, TC_B_07_CS",
            "answers SetVariables Accepted without storing the value",
        ),
        _m(
            "getvariables-errors-as-rejected",
            "B06.FR.06, B06.FR.07, B06.FR.08 / TC_B_32_CS, TC_B_33_CS, TC_B_34_CS",
            "answers Rejected instead of UnknownComponent / UnknownVariable / NotSupportedAttributeType",
        ),
        _m(
            "setvariables-errors-as-rejected",
            "B05.FR.04, B05.FR.05, B05.FR.06 / TC_B_35_CS, TC_B_36_CS, TC_B_37_CS",
            "answers Rejected instead of UnknownComponent / UnknownVariable / NotSupportedAttributeType",
        ),
        _m(
            "setvariables-always-reboot-required",
            "B05.FR.10 (RebootRequired only when a reboot is needed) / TC_B_09_CS, TC_B_10_CS",
            "answers RebootRequired to every accepted SetVariables, though the value applies at once",
        ),
        _m(
            "setvariables-no-type-check",
            "B05.FR.07 (a value not of the variable's data type is Rejected) / TC_B_11_CS",
            "accepts and stores any value, whatever the variable's data type",
        ),
        _m(
            "reset-ended-still-charging",
            "B12.FR.02, E07 (the reset ends the energy transfer: chargingState EVConnected) / TC_B_22_CS",
            "reports chargingState Charging in the TransactionEvent Ended of an Immediate reset",
        ),
        _m(
            "report-no-values-list",
            "B07 (valuesList for OptionList/SequenceList/MemberList) / TC_B_12_CS, TC_B_13_CS, TC_B_53_CS",
            "leaves variableCharacteristics.valuesList out of its NotifyReport data",
        ),
    )
}

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
        _m(
            "reset-onidle-not-scheduled",
            "B12.FR.01 (OnIdle during a transaction: Scheduled) / TC_B_21_CS, TC_B_26_CS",
            "answers Accepted to a ResetRequest OnIdle during a transaction (it still waits for the end)",
        ),
        _m(
            "scheduled-reset-reason-remote",
            "B12.FR.01 (the scheduled reset boots with reason ScheduledReset) / TC_B_21_CS",
            "boots with reason RemoteReset after a reset scheduled by ResetRequest OnIdle",
        ),
        _m(
            "reset-onidle-reboots-early",
            "B12.FR.03 (the scheduled reset waits for every transaction) / TC_B_41_CS",
            "reboots for a ResetRequest OnIdle as soon as one of several transactions has ended (proven"
            " with two EVSEs: tests/cs_b/test_two_evses.py)",
        ),
        _m(
            "reset-evse-rejected",
            "B11.FR.08 (Reset of one EVSE, C-13) / TC_B_25_CS",
            "answers Rejected to every ResetRequest that names an evseId",
        ),
        _m(
            "summary-unsupported-accepted",
            "B07.FR.02 (an unsupported base report: NotSupported) / TC_B_15_CS",
            "with SummaryInventory switched off (ReferenceStation.SummaryInventory false) still answers"
            " Accepted and sends the report (proven in tests/cs_b/test_without_optional_features.py)",
        ),
        _m(
            "evse-reset-unsupported-accepted",
            "B11.FR.09, B12.FR.09 (no reset of one EVSE: Rejected) / TC_B_28_CS, TC_B_29_CS",
            "with EVSE reset switched off (ReferenceStation.EvseReset false) still accepts a ResetRequest"
            " with an evseId (proven in tests/cs_b/test_without_optional_features.py)",
        ),
        _m(
            "offline-change-unreported",
            "B04.FR.01, B04.FR.02 (connector states after an offline period) / TC_B_51_CS, TC_B_52_CS",
            "reports no connector status when it reconnects, even for changes made while offline",
        ),
        _m(
            "offline-long-only-changed",
            "B04.FR.01 (offline longer than OfflineThreshold: every connector reported) / TC_B_51_CS",
            "after a long offline period reports only the connectors whose status changed (proven with"
            " two EVSEs: tests/cs_b/test_two_evses.py)",
        ),
        _m(
            "reconnect-backoff-not-doubled",
            "Part 4 5.3 (the back-off doubles after each failed attempt) / TC_B_57_CS",
            "waits RetryBackOffWaitMinimum before every reconnect attempt, never doubling it",
        ),
    )
}

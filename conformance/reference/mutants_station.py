"""Deliberately broken variants of the reference charging station.

A station started with ``mutant=NAME`` breaks exactly the rule named in ``breaks``; each mutant is
checked at the one place in ``conformance.reference.station`` where that rule lives, so the harness's
own tests can show that a conformance test really fails when the rule is broken.
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutant import Mutant

__all__ = ["STATION_MUTANTS", "Mutant"]


def _m(name: str, breaks: str, description: str) -> Mutant:
    return Mutant(name=name, target="station", breaks=breaks, description=description)


STATION_MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        _m(
            "boot-ignores-status",
            "B02.FR.02, B03.FR.02 (no other CALLs before Accepted) / TC_B_02_CS, TC_B_03_CS",
            "sends StatusNotification and Heartbeat while its boot is Pending or Rejected",
        ),
        _m(
            "no-status-for-connector",
            "B01.FR.05 / TC_B_01_CS, Reusable State Booted (every connector reported)",
            "skips the StatusNotification and NotifyEvent of the last connector after boot",
        ),
        _m(
            "tx-seqno-gap",
            "E01.FR.16 (seqNo +1 per TransactionEvent) / TC_E_09_CS, TC_J_08_CS",
            "skips one seqNo after TransactionEvent Started",
        ),
        _m(
            "wrong-trigger-reason",
            "TC_E_09_CS, Reusable State EVConnectedPreSession (triggerReason CablePluggedIn)",
            "reports triggerReason Authorized instead of CablePluggedIn when the cable is plugged in",
        ),
        _m(
            "meter-missing-measurand",
            "J02.FR.02 (SampledDataCtrlr.TxUpdatedMeasurands) / TC_J_07_CS",
            "leaves the last configured measurand out of periodic sampled meter values",
        ),
        _m(
            "setvariables-readonly-accepted",
            "B05.FR.09 (ReadOnly -> Rejected) / TC_B_39_CS",
            "answers Accepted to a SetVariables on a ReadOnly variable (and does not change it)",
        ),
        _m(
            "keeps-charging-after-invalid-id",
            "C12.FR.02, C12.FR.04 (StopTxOnInvalidId) / TC_C_16_CS",
            "keeps charging when the CSMS answers a TransactionEvent with an invalid idTokenInfo",
        ),
        _m(
            "late-response",
            "OCPP-J Part 4 (response within the message timeout) / any TC",
            "answers every CSMS request after StationConfig.late_response_delay seconds (default 5 s)",
        ),
        _m(
            "schema-invalid-response",
            "Part 3 ResetResponse schema / TC_B_20_CS",
            "answers ResetRequest with status 'Ok' (not in ResetStatusEnumType)",
        ),
        _m(
            "notimplemented-mandatory",
            "B06.FR.01 (GetVariables is Core) / TC_B_06_CS",
            "answers GetVariablesRequest with CALLERROR NotImplemented",
        ),
        _m(
            "wrong-callerror-code",
            "Part 4 section 4.3 (RPC framework error codes)",
            "bypasses the OCPP-J pre-filter: the ocpp library's own (wrong) error handling is used",
        ),
        _m(
            "heartbeat-wrong-time-format",
            "Part 2 DateTimeType (RFC 3339, UTC) / any TC",
            "stamps its messages (StatusNotification, TransactionEvent, MeterValues) with a local time "
            "without offset and six fractional digits",
        ),
        _m(
            "security-event-missing",
            "TC_B_01_CS, Reusable State Booted step 7 (SecurityEventNotification)",
            "sends no SecurityEventNotification after boot",
        ),
        _m(
            "rejected-answers-requests",
            "B03.FR.08 / TC_B_30_CS",
            "answers CSMS requests normally while its boot is Rejected (instead of SecurityError)",
        ),
    )
}


def _merge_block_mutants() -> None:
    from conformance.reference.mutants import extra_mutants

    for name, mutant in extra_mutants("station").items():
        if name in STATION_MUTANTS:
            raise ValueError(f"station mutant {name!r} is defined twice")
        STATION_MUTANTS[name] = mutant


_merge_block_mutants()

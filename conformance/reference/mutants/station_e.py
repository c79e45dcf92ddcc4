"""Faults of block E (Transactions) of the reference charging station.

Each is honoured at the one place the rule lives: GetTransactionStatus in `reference/station/handlers.py`,
the E13 retry policy in `reference/station/core.py`. TC_E_39_CS reuses `ev-connection-timeout-ignored`
(station_fgjp).
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
            "tx-status-ongoing-any-id",
            "E14.FR.01, E14.FR.03 / TC_E_28_CS, TC_E_32_CS",
            "answers GetTransactionStatus ongoingIndicator true for any transactionId, known or not",
        ),
        _m(
            "tx-status-ongoing-missing",
            "E14.FR.02 / TC_E_30_CS (and TC_E_28_CS)",
            "omits ongoingIndicator from GetTransactionStatusResponse even when a transactionId was given",
        ),
        _m(
            "tx-status-ongoing-without-id",
            "E14.FR.06 / TC_E_34_CS",
            "answers ongoingIndicator false to a GetTransactionStatusRequest without transactionId",
        ),
        _m(
            "tx-event-no-retry",
            "E13.FR.01-E13.FR.03 (resend a failed TransactionEvent) / TC_E_41/42/50/51_CS",
            "drops a TransactionEventRequest the CSMS failed instead of resending it",
        ),
        _m(
            "tx-event-retry-unbounded",
            "E13.FR.04 (stop after MessageAttempts.TransactionEvent) / TC_E_41_CS, TC_E_50_CS",
            "sends a failed TransactionEventRequest once more than OCPPCommCtrlr.MessageAttempts allows",
        ),
    )
}

"""Faults of the offline behaviour of the reference charging station (block E: E11, E12, E08, E14).

Each is honoured at the one place the rule lives: the queue answer of GetTransactionStatus in
`reference/station/handlers.py`, the queueing of TransactionEvents in `reference/station/transactions.py`.
TC_E_40/43/44/45_CS also reuse `queued-events-not-offline` (station_c); TC_E_45_CS reuses `no-group-stop`
(station_c: C09.FR.03, whose group stop E08.FR.02 needs offline too).
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
            "tx-status-queue-hidden",
            "E14.FR.04, E14.FR.07 / TC_E_29_CS, TC_E_31_CS, TC_E_33_CS",
            "answers GetTransactionStatus messagesInQueue false while TransactionEvents are still queued",
        ),
        _m(
            "offline-events-dropped",
            "E11.FR.01, E12.FR.01, E08.FR.04 / TC_E_40_CS, TC_E_43_CS, TC_E_44_CS",
            "drops the TransactionEventRequests that arise while offline instead of queueing them",
        ),
    )
}

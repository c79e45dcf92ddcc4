"""Faults of the reference station's gap-closing behaviours (issue 3): customer data kept under a
customerIdentifier (N10), ...

Each is honoured at the one place its rule lives in `reference/station/`.
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
            "customer-identifier-not-cleared",
            "N10.FR.01 / TC_N_62_CS",
            "reports the customer data of a customerIdentifier but keeps it after a clear",
        ),
        _m(
            "meter-ignores-limit",
            "K01 / K12 (the meter under a charging limit)",
            "meters the EVSE's full rating (power and energy) whatever charging limit is in force",
        ),
    )
}

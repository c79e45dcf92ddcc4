"""Faults of the reference charging station for the conditional E-cases of station variants.

Honoured where each rule lives: the charging state reported at plug-in in `reference/station/
transactions.py` (`_progress`, TC_E_38_CS) and the fixed cable's EVConnectionTimeOut after an EV-side
disconnect (`_ev_side_timeout`, TC_E_27_CS). TC_E_54_CS reuses `tx-stop-point-evconnected-ignored` and
`ev-side-disconnect-unnoticed` (station_e).
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant

MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        Mutant(
            name="ev-not-ready-reported-charging",
            target="station",
            breaks="E03 (chargingState SuspendedEV) / TC_E_38_CS",
            description="reports chargingState Charging when an EV that is not ready is connected",
        ),
        Mutant(
            name="ev-side-timeout-ignored",
            target="station",
            breaks="E10.FR.02 / TC_E_27_CS",
            description=(
                "a fixed cable: never deauthorizes a transaction suspended by an EV-side disconnect when"
                " the EV does not come back within TxCtrlr.EVConnectionTimeOut"
            ),
        ),
    )
}

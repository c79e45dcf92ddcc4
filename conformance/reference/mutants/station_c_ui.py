"""Faults of the reference station's optional Master Pass user interface (C-07, block C).

Each is honoured where the rule lives, in `reference/station/operator_ui.py`; they only show with the
vendor switch ReferenceStation.MasterPassUI on (tests/descriptions/master_pass_ui.toml).
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
            "master-pass-ui-stops-all",
            "C16.FR.01 (stop the transactions selected on the UI) / TC_C_48_CS",
            "ignores the user's selection on the Master Pass UI and stops every ongoing transaction",
        ),
        _m(
            "master-pass-ui-wrong-reason",
            "C16 stoppedReason MasterPass / TC_C_47_CS, TC_C_48_CS",
            "stops the transactions selected on the Master Pass UI with stoppedReason Local",
        ),
    )
}

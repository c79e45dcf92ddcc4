"""More faults of block C (Authorization) of the reference CSMS: GroupId and Master Pass stops.

Each is honoured where the CSMS answers the station's TransactionEventRequest
(`reference/csms/handlers.py`, `on_transaction_event`).
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant

MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        Mutant(
            name="stop-token-must-match",
            target="csms",
            breaks="C09.FR.03, C16.FR.01/02 / TC_C_39_CSMS, TC_C_47_CSMS, TC_C_49_CSMS",
            description="answers idTokenInfo.status Invalid when a TransactionEventRequest carries another"
            " idToken than the one its transaction started with, ignoring GroupId and Master Pass",
        ),
    )
}

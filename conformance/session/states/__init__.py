"""Part 6's reusable states, composed from the session API.

Charging station under test: section 2.18 (`cs`); CSMS under test: section 3.18 (`csms`).
Each state runs its steps as named steps and checks its tool validations.
"""

from conformance.session.states.common import connectors_of, first_connector
from conformance.session.states.cs import (
    CsTransaction,
    cs_boot_sequence,
    cs_booted,
    cs_connectors_reported,
)
from conformance.session.states.csms import SimulatedTransaction, csms_booted

__all__ = [
    "CsTransaction",
    "SimulatedTransaction",
    "connectors_of",
    "cs_boot_sequence",
    "cs_booted",
    "cs_connectors_reported",
    "csms_booted",
    "first_connector",
]

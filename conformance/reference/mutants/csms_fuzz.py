"""Mutants the fuzz cases (FZ_*) exist to catch in the reference csms."""

from __future__ import annotations

from conformance.reference.mutants_station import Mutant

MUTANTS = {
    m.name: m
    for m in (
        Mutant(
            name="closes-on-long-string",
            target="csms",
            breaks="Part 4 4.2.3 (a malformed CALL gets a CALLERROR; the connection stays) / FZ_*",
            description="drops the connection when a CALL carries a string longer than its maxLength",
        ),
    )
}

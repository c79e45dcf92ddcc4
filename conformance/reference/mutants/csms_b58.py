"""Faults of the reference CSMS for TC_B_58_CSMS (Part 4 3.1.2 / 3.2: WebSocket subprotocol negotiation).

Honoured where the reference CSMS selects the subprotocol (`core._select_subprotocol`).
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutant import Mutant


def _m(name: str, breaks: str, description: str) -> Mutant:
    return Mutant(name=name, target="csms", breaks=breaks, description=description)


MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        _m(
            "subprotocol-first-offered",
            "Part 4 3.2 / TC_B_58_CSMS step 2 (a subprotocol the CSMS does not support is not selected)",
            "selects the first subprotocol the station offers, even an unsupported one (ocpp0.1)",
        ),
        _m(
            "subprotocol-not-offered",
            "Part 4 3.2, RFC 6455 4.2.2 / TC_B_58_CSMS step 2 (only an offered subprotocol is selected)",
            "answers Sec-WebSocket-Protocol: ocpp2.0.1 even when the station did not offer it",
        ),
    )
}

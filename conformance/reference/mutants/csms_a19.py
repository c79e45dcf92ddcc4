"""Faults of the reference CSMS for TC_A_19_CSMS (A05: upgrade a station's security profile).

Honoured in `reference/csms/core.py`: the handshake check (`_process_request`) and the
SetNetworkProfileRequest the upgrade sends (`upgrade_security_profile`).
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
            "upgrade-keeps-old-profile",
            "A05.FR.07 / TC_A_19_CSMS step 11 (after the upgrade the lower profile is refused)",
            "keeps accepting the station at its old security profile after it connected at the new one",
        ),
        _m(
            "upgrade-same-profile",
            "A05.FR.04 / TC_A_19_CSMS step 1 (securityProfile is the configured one + 1)",
            "sends the upgrade's SetNetworkProfileRequest with the configured, not the higher, profile",
        ),
    )
}

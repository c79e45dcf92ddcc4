"""Faults of M05's AdditionalRootCertificateCheck (feature AS-2) of the reference charging station.

Each is honoured at the one place the rule lives, in `reference/station/certificates.py`.
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
            "root-check-accepts-unsigned",
            "M05.FR.10 / M05.FR.11 / TC_M_09_CS",
            "with AdditionalRootCertificateCheck on, installs a new CSMS root the old root did not sign",
        ),
        _m(
            "root-check-keeps-old-root",
            "M05.FR.13 / TC_M_30_CS",
            "keeps the old CSMSRootCertificate after connecting with the new one instead of replacing it",
        ),
        _m(
            "root-check-no-fallback",
            "M05.FR.14 / TC_M_31_CS",
            "does not fall back to the old CSMSRootCertificate when the connection with the new one fails",
        ),
        _m(
            "root-check-profile-fallback-keeps-new-root",
            "M05.FR.15 / M05.FR.16 / TC_B_47_CS",
            "keeps validating with the new CSMS root when a new network profile fails and it falls back",
        ),
    )
}

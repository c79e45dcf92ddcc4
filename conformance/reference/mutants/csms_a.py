"""Reference-CSMS mutants for block A (Security) added with TC_A_04_CSMS.

Each is honoured in `conformance.reference.csms` where its rule lives.
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant


def _m(name: str, breaks: str, description: str) -> Mutant:
    return Mutant(name=name, target="csms", breaks=breaks, description=description)


MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        _m(
            "tls-no-rsa-suites",
            "A00.FR.318 (the CSMS supports the TLS_RSA_WITH_AES_*_GCM suites) / TC_A_04_CSMS",
            "serves only its EC server certificate, so no TLS_RSA_* cipher suite can be negotiated",
        ),
    )
}

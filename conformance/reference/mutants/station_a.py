"""Reference-station mutants for block A (Security) and the B09/B10 network-profile cases.

Each is honoured in `conformance.reference.station.network` where its rule lives.
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
            "basic-auth-username-wrong",
            "A00.FR.203 (username = station id) / TC_A_01_CS",
            "after its first connection, sends HTTP Basic auth with a username other than its station id",
        ),
        _m(
            "basic-auth-password-ignored",
            "A01.FR.01 / TC_A_09_CS",
            "answers Accepted to a new BasicAuthPassword but keeps connecting with the old one",
        ),
        _m(
            "basic-auth-short-password-accepted",
            "A01 passwordString of 16-40 characters / TC_A_10_CS",
            "accepts (and uses) a BasicAuthPassword shorter than 16 characters",
        ),
        _m(
            "tls-weak-ciphers",
            "A00.FR.318, A00.FR.319 (required TLS 1.2 cipher suites) / TC_A_04_CS",
            "offers none of the AES-GCM TLS 1.2 cipher suites Part 6 requires",
        ),
        _m(
            "tls-accepts-invalid-certificate",
            "A00.FR.310, A00.FR.311 / TC_A_05_CS",
            "does not verify the CSMS's server certificate (any certificate is accepted)",
        ),
        _m(
            "tls-accepts-old-version",
            "A00.FR.314 (TLS 1.2 or higher) / TC_A_06_CS",
            "completes a TLS handshake below TLS 1.2",
        ),
        _m(
            "network-profile-invalid-slot-accepted",
            "B09.FR.02 / TC_B_43_CS",
            "accepts a SetNetworkProfile for a configurationSlot it does not have",
        ),
        _m(
            "network-profile-downgrade-accepted",
            "B09.FR.04 / TC_A_22_CS",
            "accepts a network connection profile with a lower security profile than the active one",
        ),
        _m(
            "network-priority-not-applied",
            "B10.FR.01 / TC_B_45_CS, TC_B_50_CS, TC_A_19_CS",
            "keeps connecting with its old NetworkConfigurationPriority after the reboot",
        ),
        _m(
            "network-no-fallback",
            "B10.FR.03 / TC_B_46_CS",
            "keeps trying the first slot after NetworkProfileConnectionAttempts failed attempts",
        ),
        _m(
            "upgrade-keeps-lower-slot",
            "A05.FR.06 / TC_A_19_CS",
            "keeps the lower-security-profile slot in NetworkConfigurationPriority after an upgrade",
        ),
    )
}

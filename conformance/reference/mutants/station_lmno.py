"""Faults of blocks L, N, M/A, O (firmware, logs, certificates, display messages) of the reference station.

Each is honoured at the one place its rule lives, in `reference/station/{firmware,diagnostics,
certificates,display}.py`.
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
            "firmware-status-no-request-id",
            "L01.FR.20 / TC_L_01_CS, TC_L_10_CS",
            "sends FirmwareStatusNotifications without the requestId of the UpdateFirmwareRequest",
        ),
        _m(
            "firmware-signature-unchecked",
            "L01.FR.03 / TC_L_06_CS",
            "reports SignatureVerified and installs firmware whose signature does not verify",
        ),
        _m(
            "firmware-certificate-unchecked",
            "L01.FR.02 / TC_L_05_CS",
            "accepts an UpdateFirmwareRequest whose signingCertificate is invalid (no InvalidCertificate)",
        ),
        _m(
            "firmware-install-during-transaction",
            "L01.FR.06 / TC_L_12_CS, TC_L_14_CS",
            "installs (and reboots) while a transaction is still ongoing instead of waiting for it to end",
        ),
        _m(
            "log-status-no-request-id",
            "N01 / TC_N_25_CS, TC_N_35_CS",
            "sends LogStatusNotifications without the requestId of the GetLogRequest",
        ),
        _m(
            "install-invalid-certificate",
            "M05.FR.07 / TC_M_07_CS",
            "accepts (and lists) an expired CA certificate in InstallCertificate",
        ),
        _m(
            "delete-certificate-kept",
            "M04 / TC_M_20_CS",
            "answers DeleteCertificate Accepted but keeps the certificate installed",
        ),
        _m(
            "certificate-signed-unchecked",
            "A02 / TC_A_14_CS",
            "accepts a CertificateSigned chain whose key does not match its CSR (no security event)",
        ),
        _m(
            "display-unknown-tx-accepted",
            "O02 / TC_O_10_CS",
            "accepts a display message for a transaction that is not running (UnknownTransaction was due)",
        ),
        _m(
            "display-get-ignores-filter",
            "O03/O04 / TC_O_07_CS, TC_O_08_CS, TC_O_09_CS",
            "GetDisplayMessages reports every message, ignoring the id / priority / state filters",
        ),
        _m(
            "display-clear-kept",
            "O05 / TC_O_04_CS",
            "answers ClearDisplayMessage Accepted but keeps the message",
        ),
    )
}

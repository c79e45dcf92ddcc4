"""Faults of blocks M (certificate management) and N (logs, customer information) of the reference station.

Each is honoured at the one place its rule lives, in `reference/station/{certificates,diagnostics,
customer}.py`.
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
            "install-certificate-not-stored",
            "M05.FR.02 / TC_M_01_CS, TC_M_02_CS, TC_M_12_CS, TC_M_13_CS, TC_M_18_CS",
            "answers InstallCertificate Accepted for a valid certificate but does not store it",
        ),
        _m(
            "installed-ids-none-accepted",
            "M03.FR.02 / TC_M_19_CS",
            "answers GetInstalledCertificateIds Accepted (no certificateHashDataChain) when none matches",
        ),
        _m(
            "installed-ids-first-type-only",
            "M03.FR.01 / TC_M_17_CS",
            "GetInstalledCertificateIds with several certificateTypes lists only the first type's",
        ),
        _m(
            "delete-unknown-accepted",
            "M04.FR.04 / TC_M_22_CS",
            "answers DeleteCertificate Accepted for hash data matching no installed certificate",
        ),
        _m(
            "log-upload-no-retry",
            "N01.FR.10 / TC_N_26_CS",
            "reports UploadFailure after the first failed attempt, ignoring GetLogRequest.retries",
        ),
        _m(
            "customer-report-empty",
            "N09.FR.05 / TC_N_27_CS, TC_N_30_CS",
            "reports customer information it holds with an empty NotifyCustomerInformationRequest.data",
        ),
        _m(
            "customer-info-no-notify",
            "N09 / N10 / TC_N_28_CS, TC_N_31_CS, TC_N_32_CS",
            "accepts CustomerInformationRequest but never sends NotifyCustomerInformationRequest",
        ),
        _m(
            "customer-info-tbc-stuck",
            "N09 / TC_N_28_CS (tbc not true on the last part)",
            "sends the last NotifyCustomerInformationRequest with tbc true",
        ),
    )
}

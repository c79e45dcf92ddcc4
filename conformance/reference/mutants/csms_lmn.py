"""Reference CSMS mutants for blocks L (firmware), M (certificates) and N (diagnostics).

Each is honoured at the one place its rule lives: `CsmsCore._lmn_request_faults` (how the CSMS composes
an operator's request) or the station-message handlers in `conformance.reference.csms.handlers`.
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
            "update-firmware-unsigned",
            "L01 (secure firmware update) / TC_L_01_CSMS .. TC_L_13_CSMS",
            "sends UpdateFirmwareRequest without firmware.signingCertificate and firmware.signature",
        ),
        _m(
            "update-firmware-schedule-ignored",
            "L01 (C-15 scheduled firmware update) / TC_L_02_CSMS, TC_L_03_CSMS",
            "sends UpdateFirmwareRequest with retrieveDateTime now and no installDateTime, whatever schedule"
            " the operator asked for",
        ),
        _m(
            "firmware-boot-pending",
            "L01 / TC_L_01_CSMS step 14 (BootNotificationResponse Accepted after the update)",
            "answers the BootNotificationRequest with reason FirmwareUpdate with status Pending",
        ),
        _m(
            "firmware-failure-callerror",
            "L01 / TC_L_06_CSMS .. TC_L_09_CSMS (the CSMS responds to every FirmwareStatusNotification)",
            "answers FirmwareStatusNotificationRequest reporting a failure (DownloadFailed, InvalidSignature,"
            " InstallVerificationFailed, InstallationFailed) with CALLERROR InternalError",
        ),
        _m(
            "install-certificate-type-swapped",
            "M05.FR.01 / TC_M_01_CSMS, TC_M_02_CSMS, TC_M_05_CSMS (Reusable State CertificateInstalled)",
            "sends InstallCertificateRequest with CSMSRootCertificate and ManufacturerRootCertificate"
            " swapped",
        ),
        _m(
            "get-installed-certificates-type-dropped",
            "M03.FR.01 / TC_M_13_CSMS, TC_M_19_CSMS (Reusable State GetInstalledCertificates)",
            "sends GetInstalledCertificateIdsRequest without the certificateType filter the operator chose",
        ),
        _m(
            "get-installed-certificates-default-filter",
            "M03.FR.01 / TC_M_18_CSMS (certificateType omitted to retrieve all)",
            "sends GetInstalledCertificateIdsRequest with certificateType [CSMSRootCertificate] when asked"
            " for all certificates",
        ),
        _m(
            "delete-certificate-decimal-serial",
            "M04.FR.01 / TC_M_20_CSMS, TC_M_21_CSMS (certificateHashData as returned by the station)",
            "sends DeleteCertificateRequest with certificateHashData.serialNumber in decimal, not as the"
            " hexadecimal string the station returned",
        ),
        _m(
            "get-log-timestamp-no-offset",
            "Part 2 dateTime (RFC 3339 with offset) / TC_N_25_CSMS, TC_N_34_CSMS .. TC_N_36_CSMS",
            "sends GetLogRequest.log.oldestTimestamp as a date-time without a timezone offset",
        ),
        _m(
            "get-log-type-swapped",
            "N01 / TC_N_25_CSMS (logType DiagnosticsLog), TC_N_35_CSMS (logType SecurityLog)",
            "sends GetLogRequest with DiagnosticsLog and SecurityLog swapped",
        ),
        _m(
            "get-log-reuses-request-id",
            "N01 / TC_N_36_CSMS (a second GetLogRequest has its own requestId)",
            "sends every GetLogRequest with the requestId of its previous GetLogRequest to the station",
        ),
        _m(
            "customer-information-no-report",
            "N09.FR.01 / TC_N_27_CSMS .. TC_N_31_CSMS (CustomerInformationRequest.report true)",
            "sends CustomerInformationRequest with report false, whatever the operator asked",
        ),
        _m(
            "customer-information-clear-dropped",
            "N10.FR.08 / TC_N_30_CSMS .. TC_N_32_CSMS (CustomerInformationRequest.clear true)",
            "sends CustomerInformationRequest with clear false, whatever the operator asked",
        ),
    )
}

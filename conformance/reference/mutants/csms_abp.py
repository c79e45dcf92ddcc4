"""Faults of blocks A (Security), B (Provisioning) and P (DataTransfer) of the reference CSMS.

CSMS-initiated requests are altered where the reference CSMS sends them (`core.send_request`);
answers to the station's own messages where they are made (`core._dispatch_call`, `handlers.py`).
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
            "basic-auth-scheme-case",
            "A00.FR.204 / TC_A_01_CSMS (valid Basic auth credentials are accepted)",
            'accepts only the lowercase auth scheme "basic", refusing valid "Basic" credentials',
        ),
        _m(
            "basic-auth-username-unchecked",
            "A00.FR.204 / TC_A_02_CSMS (the Basic auth username is the station id)",
            "accepts Basic auth credentials whose username is not the station id",
        ),
        _m(
            "accepts-tls11",
            "A00 (TLS 1.2 minimum) / TC_A_06_CSMS",
            "lets a station complete a TLS 1.0/1.1 handshake",
        ),
        _m(
            "ignores-new-password",
            "A01.FR.02/03 / TC_A_09_CSMS (the Accepted BasicAuthPassword is the one to check)",
            "keeps checking the old password after the station Accepted a new BasicAuthPassword",
        ),
        _m(
            "adopts-rejected-password",
            "A01.FR.04/05 / TC_A_10_CSMS (a Rejected BasicAuthPassword is not used)",
            "checks the new password even though the station Rejected the BasicAuthPassword",
        ),
        _m(
            "component-name-typo",
            "B05, B06 / TC_B_06_CSMS, TC_B_09_CSMS (component.name OCPPCommCtrlr)",
            'sends Get/SetVariablesRequest with component.name "OCPPCommCtrl" instead of "OCPPCommCtrlr"',
        ),
        _m(
            "set-variables-target-attribute",
            "B05.FR.01 / TC_B_09_CSMS (attributeType absent or Actual)",
            "sends every SetVariablesRequest entry with attributeType Target",
        ),
        _m(
            "reset-evse-id",
            "B11, B12 (errata 2025-01 §6.2.3-5) / TC_B_20/21/22_CSMS (a station reset omits evseId)",
            "adds evseId 1 to a ResetRequest for the whole station",
        ),
        _m(
            "reset-always-immediate",
            "B12.FR.01 / TC_B_21_CSMS (ResetRequest.type OnIdle)",
            "sends every ResetRequest with type Immediate",
        ),
        _m(
            "reset-evse-dropped",
            "B11/B12 / TC_B_25/26/27_CSMS (an EVSE reset names the EVSE: evseId <Configured evseId>)",
            "drops evseId from a ResetRequest, resetting the whole station instead of one EVSE",
        ),
        _m(
            "base-report-summary",
            "B07.FR.07/08 / TC_B_12_CSMS, TC_B_13_CSMS (reportBase as the operator asked)",
            "sends every GetBaseReportRequest with reportBase SummaryInventory",
        ),
        _m(
            "pending-sticky",
            "B02.FR.01 / TC_B_02_CSMS, TC_B_31_CSMS (the CSMS accepts the station after Pending)",
            "answers every BootNotification Pending once the station's boot was Pending",
        ),
        _m(
            "network-profile-ocpp16",
            "B09.FR.01 / TC_B_42_CSMS (connectionData.ocppVersion OCPP20)",
            "sends SetNetworkProfileRequest with connectionData.ocppVersion OCPP16",
        ),
        _m(
            "network-profile-failed-disconnects",
            "B09.FR.03 / TC_B_44_CSMS (a Failed SetNetworkProfileResponse is handled)",
            "closes the station's connection when it answers SetNetworkProfile with Failed",
        ),
        _m(
            "data-transfer-accepts-unknown",
            "P02.FR.06/07 / TC_P_02_CSMS (unknown vendorId: UnknownVendorId, UnknownMessageId or Rejected)",
            "answers a DataTransferRequest of an unknown vendor with Accepted",
        ),
        _m(
            "rejects-custom-data",
            "Part 3 CustomDataType / TC_P_03_CSMS (customData is allowed in every message)",
            "answers any CALL that carries customData with CALLERROR PropertyConstraintViolation",
        ),
    )
}

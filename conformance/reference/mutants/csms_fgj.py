"""Faults of blocks F (Remote Control), G (Availability) and J (Meter Values) of the reference CSMS.

Each is honoured at the one place the rule lives: `reference/csms/core.py` (CSMS-initiated requests:
RequestStartTransaction, TriggerMessage, ChangeAvailability) or `reference/csms/handlers.py`
(NotifyEvent, MeterValues, TransactionEvent meter values).
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
            "remote-start-central-token",
            "F01/F02 / TC_F_01..04_CSMS step 1 (idToken.type is the configured valid token's type)",
            "sends RequestStartTransactionRequest with idToken.type Central whatever the operator's token",
        ),
        _m(
            "trigger-not-implemented-closes",
            "F06.FR.08 / TC_F_27_CSMS (a TriggerMessageResponse NotImplemented is a normal answer)",
            "closes the station's connection when it answers a TriggerMessageRequest with NotImplemented",
        ),
        _m(
            "unlock-connector-zero-based",
            "F05 / TC_F_06_CSMS step 1 (connectorId is the configured connector)",
            "sends UnlockConnectorRequest with connectorId one below the operator's (0-based numbering)",
        ),
        _m(
            "trigger-drops-evse",
            "F06.FR.02 / TC_F_11/13/23/24_CSMS step 1 (evse.id of a specific-EVSE trigger)",
            "drops evse from every TriggerMessageRequest (always triggers the whole station)",
        ),
        _m(
            "trigger-context-rejected",
            "F06 / TC_F_11..14_CSMS (triggered meter values carry context Trigger)",
            "answers a MeterValuesRequest / TransactionEventRequest carrying a Trigger reading with"
            " CALLERROR",
        ),
        _m(
            "idle-status-rejected",
            "F06 / TC_F_15_CSMS, TC_F_18_CSMS (a triggered Log/FirmwareStatusNotification may be Idle)",
            "answers LogStatusNotificationRequest and FirmwareStatusNotificationRequest with status Idle with"
            " CALLERROR",
        ),
        _m(
            "availability-evse-adds-connector",
            "G03 / TC_G_03/04/11_CSMS step 1 (EVSE scope: evse.connectorId omitted)",
            "adds evse.connectorId 1 to a ChangeAvailabilityRequest that addresses a whole EVSE",
        ),
        _m(
            "availability-station-as-evse-0",
            "G04 / TC_G_05/06/14_CSMS step 1 (station scope: evse omitted)",
            "sends evse.id 0 instead of omitting evse in a station-wide ChangeAvailabilityRequest",
        ),
        _m(
            "availability-connector-dropped",
            "G03 / TC_G_07/08/17_CSMS step 1 (connector scope: evse.connectorId given)",
            "drops evse.connectorId from a ChangeAvailabilityRequest that addresses one connector",
        ),
        _m(
            "notify-event-availability-only",
            "G05.FR.03 / TC_G_20_CSMS (NotifyEventRequest for ConnectorPlugRetentionLock.Problem)",
            "answers a NotifyEventRequest about any variable but AvailabilityState with CALLERROR",
        ),
        _m(
            "clock-aligned-rejected",
            "J01.FR.18 / TC_J_01..04_CSMS (clock-aligned meter values, context Sample.Clock)",
            "answers MeterValuesRequest / TransactionEventRequest carrying a Sample.Clock value with"
            " CALLERROR",
        ),
        _m(
            "sample-periodic-rejected",
            "J02.FR.19 / TC_J_09..11_CSMS (sampled meter values, context Sample.Periodic)",
            "answers a request carrying a Sample.Periodic value (explicit or by default) with CALLERROR",
        ),
        _m(
            "transaction-begin-rejected",
            "J02.FR.19 / TC_J_07/08_CSMS (meter values with context Transaction.Begin)",
            "answers a TransactionEventRequest carrying a Transaction.Begin value with CALLERROR",
        ),
        _m(
            "signed-meter-value-rejected",
            "J01.FR.21, J02.FR.21 / TC_J_04/11_CSMS (signedMeterValue)",
            "answers a request whose sampledValue carries a signedMeterValue with CALLERROR",
        ),
        _m(
            "started-requires-evse",
            "E01, J02 / TC_J_08_CSMS (the EVSE may be unknown when the transaction starts)",
            "answers a TransactionEventRequest Started without evse with CALLERROR",
        ),
    )
}

"""Faults of blocks F (Remote Control), G (Availability), J (Meter Values) and P (DataTransfer) of the
reference charging station.

Each is honoured at the one place the rule lives: `reference/station/availability.py` (ChangeAvailability),
`core.py` (connector reports, reboot), `handlers.py` (RequestStopTransaction, TriggerMessage,
DataTransfer, customData), `transactions.py` (EVConnectionTimeOut, Started meter values) and
`meter.py` (clock-aligned meter values).
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant


def _m(name: str, breaks: str, description: str) -> Mutant:
    return Mutant(name=name, target="station", breaks=breaks, description=description)


MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        # -- G: availability
        _m(
            "plug-in-unreported",
            "G01.FR.01 / TC_G_01_CS (a connector becoming Occupied is reported)",
            "sends no StatusNotification / NotifyEvent when a cable is plugged in",
        ),
        _m(
            "unplug-unreported",
            "G01.FR.01 / TC_G_02_CS (a connector becoming Available again is reported)",
            "sends no StatusNotification / NotifyEvent when a cable is unplugged",
        ),
        _m(
            "availability-silent",
            "G03.FR.04, G04.FR.05 / TC_G_03..08_CS (connector states reported after ChangeAvailability)",
            "applies a ChangeAvailability without reporting the connectors' new state",
        ),
        _m(
            "availability-inoperative-rejected",
            "G03.FR.01, G04.FR.01 / TC_G_03_CS, TC_G_05_CS, TC_G_07_CS",
            "answers Rejected to every ChangeAvailabilityRequest Inoperative",
        ),
        _m(
            "availability-same-state-rejected",
            "G03.FR.03, G04.FR.04 / TC_G_09/10/12/13/15/16_CS (already in the state: Accepted)",
            "answers Rejected to a ChangeAvailabilityRequest for the state the target is already in",
        ),
        _m(
            "availability-not-scheduled",
            "G03.FR.05, G04.FR.06 / TC_G_11/14/17_CS (Scheduled during a transaction)",
            "answers Accepted (and applies nothing until the transaction ends) during a transaction",
        ),
        _m(
            "availability-scheduled-never-applied",
            "G03.FR.05, G04.FR.06 / TC_G_11/14/17_CS (Scheduled applies when the transaction ends)",
            "answers Scheduled during a transaction but forgets the change when the transaction ends",
        ),
        _m(
            "availability-not-persistent",
            "G03.FR.08, G04.FR.09 / TC_G_18/19/21_CS (availability persists across reboot)",
            "forgets every Inoperative setting when it reboots",
        ),
        # -- F: remote control
        _m(
            "remote-start-authorize-ignored",
            "F01.FR.01 / TC_F_02_CS (AuthorizeRemoteStart true: AuthorizeRequest before starting)",
            "never sends AuthorizeRequest after RequestStartTransaction, whatever AuthorizeRemoteStart",
        ),
        _m(
            "remote-start-always-authorizes",
            "F01.FR.02 / TC_F_03_CS (AuthorizeRemoteStart false: no AuthorizeRequest)",
            "always sends AuthorizeRequest after RequestStartTransaction, whatever AuthorizeRemoteStart",
        ),
        _m(
            "remote-start-id-missing",
            "F01, F02 / TC_F_01..03_CS (the Started TransactionEvent carries transactionInfo.remoteStartId)",
            "leaves remoteStartId out of the TransactionEvent Started after RequestStartTransaction",
        ),
        _m(
            "remote-stop-unknown-id-accepted",
            "F03.FR.08 / TC_F_09_CS (RequestStopTransaction for an unknown transactionId: Rejected)",
            "answers Accepted to RequestStopTransactionRequest whatever its transactionId",
        ),
        _m(
            "remote-stop-ignored",
            "F03.FR.02, F03.FR.03 / TC_F_08_CS (the transaction stops with triggerReason RemoteStop)",
            "answers Accepted to RequestStopTransactionRequest but does not stop the transaction",
        ),
        _m(
            "trigger-heartbeat-unsent",
            "F06.FR.05 / TC_F_20_CS (the triggered message is sent after an Accepted TriggerMessage)",
            "answers Accepted to TriggerMessageRequest Heartbeat but sends no HeartbeatRequest",
        ),
        _m(
            "trigger-wrong-context",
            "F06.FR.06, F06.FR.07 / TC_F_11..14_CS (triggered meter values have context Trigger)",
            "sends triggered MeterValues / TransactionEvent readings with context Sample.Periodic",
        ),
        _m(
            "trigger-unimplemented-accepted",
            "F06.FR.08 / TC_F_27_CS (a trigger the station does not implement: NotImplemented)",
            "answers Accepted to TriggerMessageRequest for a message it cannot send (and sends nothing)",
        ),
        _m(
            "unlock-during-transaction",
            "F05.FR.02 / TC_F_05_CS (UnlockConnector during an authorized transaction: no unlock)",
            "answers Unlocked to UnlockConnectorRequest while an authorized transaction runs",
        ),
        _m(
            "unlock-fails",
            "F05.FR.04, F05.FR.06 / TC_F_06_CS, TC_F_07_CS (no transaction: the connector unlocks)",
            "answers UnlockFailed to every UnlockConnectorRequest for a known connector without transaction",
        ),
        _m(
            "unlock-unknown-connector-unlocked",
            "F05.FR.03 / TC_F_10_CS (an unknown connector: UnknownConnector)",
            "answers Unlocked to UnlockConnectorRequest for a connector it does not have",
        ),
        _m(
            "trigger-idle-status-unsent",
            "F06.FR.05 / TC_F_15/17/18_CS (the triggered Log/FirmwareStatusNotification Idle is sent)",
            "answers Accepted to TriggerMessage Log/FirmwareStatusNotification while idle but sends nothing",
        ),
        _m(
            "trigger-status-idle-while-busy",
            "F06.FR.05 / TC_F_16_CS, TC_F_19_CS (the triggered status is the ongoing upload's / download's)",
            "reports status Idle to TriggerMessage Log/FirmwareStatusNotification during an upload",
        ),
        _m(
            "trigger-status-unsent",
            "F06.FR.05 / TC_F_23_CS, TC_F_24_CS (the triggered connector report is sent)",
            "answers Accepted to TriggerMessage StatusNotification but reports nothing",
        ),
        _m(
            "trigger-boot-accepted",
            "F06.FR.17 / TC_F_26_CS (TriggerMessage BootNotification after an accepted boot: Rejected)",
            "answers Accepted to TriggerMessage BootNotification although its boot was accepted",
        ),
        _m(
            "remote-start-profile-rejected",
            "F01.FR.12 / TC_K_38_CS (without smart charging a remote start's chargingProfile is ignored)",
            "with smart charging disabled, answers Rejected to a RequestStartTransactionRequest with a"
            " chargingProfile",
        ),
        _m(
            "ev-connection-timeout-ignored",
            "E03.FR.05 / TC_F_04_CS (EVConnectionTimeOut ends the authorization / transaction)",
            "never ends a transaction whose cable is not plugged in within TxCtrlr.EVConnectionTimeOut",
        ),
        # -- J: meter values
        _m(
            "aligned-wrong-context",
            "J01 / TC_J_01_CS, TC_J_02_CS (clock-aligned readings have context Sample.Clock)",
            "sends clock-aligned meter values with context Sample.Periodic",
        ),
        _m(
            "tx-started-no-meter",
            "J02 / TC_J_07_CS (TransactionEvent Started carries the TxStartedMeasurands)",
            "sends TransactionEvent Started without meterValue",
        ),
        _m(
            "tx-ended-interval-values-dropped",
            "J01/J02 TxEndedInterval / TC_J_03_CS, TC_J_10_CS (Ended carries the interval readings)",
            "sends TransactionEvent Ended with only the Transaction.End reading, without the readings"
            " taken every AlignedDataCtrlr / SampledDataCtrlr.TxEndedInterval",
        ),
        _m(
            "meter-values-unsigned",
            "J01.FR.21, J02.FR.21 / TC_J_04_CS, TC_J_11_CS (SignReadings true: signedMeterValue present)",
            "ignores AlignedDataCtrlr / SampledDataCtrlr.SignReadings: no sampledValue is signed",
        ),
        _m(
            "aligned-sent-during-transaction",
            "J01 AlignedDataCtrlr.SendDuringIdle / TC_J_06_CS (no clock-aligned data during a transaction)",
            "ignores AlignedDataCtrlr.SendDuringIdle: clock-aligned readings go on during a transaction",
        ),
        # -- P: data transfer, custom data
        _m(
            "datatransfer-accepted",
            "P01.FR.05, P01.FR.06 / TC_P_01_CS (unknown vendorId: UnknownVendorId)",
            "answers Accepted to a DataTransferRequest of a vendor it does not know",
        ),
        _m(
            "customdata-rejected",
            "Part 2 CustomDataType / TC_P_03_CS (customData is accepted in any request)",
            "answers a request carrying customData with CALLERROR PropertyConstraintViolation",
        ),
    )
}

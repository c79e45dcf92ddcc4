"""Faults of block E (Transactions) of the reference charging station.

Each is honoured at the one place the rule lives: GetTransactionStatus in `reference/station/handlers.py`,
the E13 retry policy in `reference/station/core.py`, TxStartPoint / TxStopPoint and the EV-side disconnect
in `reference/station/transactions.py`, DisableRemoteAuthorization in `reference/station/auth.py`.
TC_E_39_CS reuses `ev-connection-timeout-ignored` (station_fgjp).
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
            "tx-status-ongoing-any-id",
            "E14.FR.01, E14.FR.03 / TC_E_28_CS, TC_E_32_CS",
            "answers GetTransactionStatus ongoingIndicator true for any transactionId, known or not",
        ),
        _m(
            "tx-status-ongoing-missing",
            "E14.FR.02 / TC_E_30_CS (and TC_E_28_CS)",
            "omits ongoingIndicator from GetTransactionStatusResponse even when a transactionId was given",
        ),
        _m(
            "tx-status-ongoing-without-id",
            "E14.FR.06 / TC_E_34_CS",
            "answers ongoingIndicator false to a GetTransactionStatusRequest without transactionId",
        ),
        _m(
            "tx-event-no-retry",
            "E13.FR.01-E13.FR.03 (resend a failed TransactionEvent) / TC_E_41/42/50/51_CS",
            "drops a TransactionEventRequest the CSMS failed instead of resending it",
        ),
        _m(
            "tx-event-retry-unbounded",
            "E13.FR.04 (stop after MessageAttempts.TransactionEvent) / TC_E_41_CS, TC_E_50_CS",
            "sends a failed TransactionEventRequest once more than OCPPCommCtrlr.MessageAttempts allows",
        ),
        _m(
            "tx-start-point-ignored",
            "E01.FR.01-E01.FR.06 (TxStartPoint) / TC_E_02/09/10/12/13_CS",
            "starts transactions at PowerPathClosed whatever TxCtrlr.TxStartPoint says",
        ),
        _m(
            "tx-stop-point-evconnected-ignored",
            "E06.FR.02 (TxStopPoint EVConnected) / TC_E_20_CS",
            "does not end the transaction when the EV is disconnected although TxStopPoint has EVConnected",
        ),
        _m(
            "tx-stop-point-authorized-ignored",
            "E06.FR.03 (TxStopPoint Authorized) / TC_E_15_CS, TC_E_21_CS",
            "does not end the transaction at the stop authorization although TxStopPoint has Authorized",
        ),
        _m(
            "tx-stop-point-powerpathclosed-ignored",
            "E06.FR.06 (TxStopPoint PowerPathClosed) / TC_E_07_CS, TC_E_35_CS, TC_E_37_CS",
            "does not end the transaction when the power path opens although TxStopPoint has PowerPathClosed",
        ),
        _m(
            "tx-stop-point-energytransfer-ignored",
            "E06.FR.07 (TxStopPoint EnergyTransfer) / TC_E_08_CS, TC_E_22_CS",
            "does not end the transaction when the energy transfer stops (TxStopPoint EnergyTransfer)",
        ),
        _m(
            "tx-stop-point-parkingbay-ignored",
            "E06.FR.01 (TxStopPoint ParkingBayOccupancy) / TC_E_19_CS",
            "does not end the transaction when the EV leaves the bay (TxStopPoint ParkingBayOccupancy)",
        ),
        _m(
            "ev-side-disconnect-unnoticed",
            "E09, E10 (a cable pulled out at the EV side is reported) / TC_E_17/20/24/25/26/37_CS",
            "sends no TransactionEventRequest when the cable is pulled out at the EV side",
        ),
        _m(
            "stop-tx-on-ev-side-disconnect-inverted",
            "E09.FR.01 / E10.FR.01 (TxCtrlr.StopTxOnEVSideDisconnect) / TC_E_17_CS, TC_E_26_CS",
            "suspends on an EV-side disconnect when StopTxOnEVSideDisconnect is true, stops when it is false",
        ),
        _m(
            "disable-remote-authorization-ignored",
            "C01.FR.02 with AuthCtrlr.DisableRemoteAuthorization (C-58) / TC_E_52_CS",
            "sends an AuthorizeRequest for an unknown idToken although DisableRemoteAuthorization is true",
        ),
    )
}

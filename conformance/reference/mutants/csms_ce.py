"""Faults of blocks C (Authorization) and E (Transactions) of the reference CSMS.

Each is honoured at the one place the rule lives: `reference/csms/handlers.py` (Authorize,
TransactionEvent) or `reference/csms/core.py` (CSMS-initiated requests).
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
            "invalid-token-accepted",
            "C01.FR.07 / TC_C_02_CSMS, TC_C_20_CSMS, TC_E_16_CSMS (Invalid idToken)",
            "answers Accepted for a token its table has as Invalid",
        ),
        _m(
            "expired-token-accepted",
            "C01.FR.07 / TC_C_07_CSMS (Expired idToken)",
            "answers Accepted for a token its table has as Expired",
        ),
        _m(
            "no-group-id-token",
            "C09.FR.02, C16 / TC_C_39_CSMS, TC_C_48_CSMS (idTokenInfo.groupIdToken)",
            "leaves groupIdToken out of every IdTokenInfo",
        ),
        _m(
            "clear-cache-extra-field",
            "Part 3 ClearCacheRequest (no properties but customData) / TC_C_37_CSMS, TC_C_38_CSMS",
            "sends ClearCacheRequest with an evseId, a property the schema does not allow",
        ),
        _m(
            "started-requires-idtoken",
            "E01.FR.01/02, E02 / TC_E_03/09/12_CSMS (a transaction may start before authorization)",
            "answers a TransactionEventRequest Started without an idToken with CALLERROR",
        ),
        _m(
            "trigger-reason-subset",
            "E01, E03, E06 / TC_E_11/12/16/19/39_CSMS (every TriggerReasonEnumType value is accepted)",
            "answers a TransactionEventRequest whose triggerReason is not a common one (Authorized,"
            " CablePluggedIn, ChargingStateChanged, StopAuthorized, EVCommunicationLost, Remote*,"
            " MeterValue*) with CALLERROR",
        ),
        _m(
            "rejects-suspended-states",
            "E01.FR.05, E03, E06.FR.07 / TC_E_01/22/38_CSMS (chargingState SuspendedEV/SuspendedEVSE)",
            "answers a TransactionEventRequest with chargingState SuspendedEV or SuspendedEVSE with"
            " CALLERROR",
        ),
        _m(
            "ended-requires-meter-value",
            "E06 / TC_E_07/08/14/17/20_CSMS (TransactionEventRequest.meterValue is optional)",
            "answers a TransactionEventRequest Ended without meterValue with CALLERROR",
        ),
        _m(
            "ev-communication-lost-ends-transaction",
            "E10.FR.01 / TC_E_26_CSMS (EVCommunicationLost in an Updated event suspends, not ends)",
            "takes any EVCommunicationLost as the end of the transaction and answers later"
            " TransactionEventRequests of it with CALLERROR",
        ),
        _m(
            "seqno-per-station",
            "E01.FR.07 / TC_E_53_CSMS (seqNo starts at 0 in every transaction)",
            "answers a TransactionEventRequest whose seqNo is not above the last one the station sent"
            " (in any transaction) with CALLERROR",
        ),
        _m(
            "transaction-status-drops-id",
            "E14.FR.02 / TC_E_29_CSMS, TC_E_30_CSMS (GetTransactionStatus for one transaction)",
            "leaves transactionId out of GetTransactionStatusRequest even when asked about one transaction",
        ),
        _m(
            "transaction-status-adds-id",
            "E14.FR.06 / TC_E_33_CSMS, TC_E_34_CSMS (GetTransactionStatus without transactionId)",
            "puts a transactionId in GetTransactionStatusRequest even when asked about the whole queue",
        ),
        _m(
            "stop-wrong-transaction",
            "F03.FR.01 / TC_E_21_CSMS (RequestStopTransaction names the station's transactionId)",
            "sends RequestStopTransactionRequest with its own transaction reference, not the station's"
            " transactionId",
        ),
    )
}

"""Block K, Smart Charging: charging station under test (Part 6 section 2.12).

TC_K_38_CS applies only to a station WITHOUT smart charging (Core, condition "NOT Smart Charging"); the
built-in reference station has smart charging, so against it the case is not applicable. It is proven
against the reference station configured without it (SmartChargingCtrlr.Enabled false, feature
SmartCharging false in a SUT description): tests/cs_fjk/test_k38_without_smart_charging.py.

Readings of Part 6 where it is ambiguous (as a certification lab would):
- TC_K_38_CS <Configured chargingRateUnit> / <Configured numberPhases>: the first unit of the SUT
  description's SmartChargingCtrlr.RateUnit (default A), and 3 phases.
- TC_K_38_CS step 5 runs when TxStartPoint contains Authorized or the transaction had already started;
  with another TxStartPoint the transaction starts within step 7 (EnergyTransferStarted), whose first
  TransactionEventRequest must then say RemoteStart with the remoteStartId (the general tool rule).
"""

from __future__ import annotations

import contextlib
from typing import Any

from conformance.session.endpoints import HarnessCsms
from conformance.session.states import CsTransaction
from conformance.testing import case, check, check_equal, step
from testcases.cs._fgjp_support import finish_transaction, station_ready

REMOTE_START_ID = 38  # any id; the transaction events must echo it


def _tx_profile(sut: Any) -> dict[str, Any]:
    """The TxProfile of TC_K_38_CS step 1 (transactionId omitted, Relative, limit 6 A or 6000 W)."""
    unit = str(sut.device_model.values.get("SmartChargingCtrlr.RateUnit") or "A").split(",")[0].strip()
    unit = unit if unit in ("A", "W") else "A"
    return {
        "id": 3801,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {
                "id": 3801,
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 6 if unit == "A" else 6000, "numberPhases": 3}
                ],
            }
        ],
    }


async def _remote_start_with_profile(csms: HarnessCsms, sut: Any, tx: CsTransaction) -> None:
    """Steps 1-6: RequestStartTransaction with a TxProfile, (AuthorizeRequest,) TransactionEvent
    RemoteStart."""
    with step("1-2: the OCTT sends RequestStartTransactionRequest with a TxProfile; the station answers"):
        response = await csms.call_ok(
            "RequestStartTransaction",
            {
                "idToken": tx.token,
                "evseId": tx.evse_id,
                "remoteStartId": REMOTE_START_ID,
                "chargingProfile": _tx_profile(sut),
            },
        )
        check_equal(
            response.get("status"),
            "Accepted",
            "RequestStartTransactionResponse.status (step 2, F01.FR.12: a station without smart charging"
            " ignores the chargingProfile)",
        )
        if tx.started:  # TxStartPoint EVConnected (or ParkingBayOccupancy): started at EVConnectedPreSession
            check_equal(
                response.get("transactionId"),
                tx.transaction_id,
                "RequestStartTransactionResponse.transactionId (step 2: the transaction already started)",
            )
    tx.remote_start_id, tx.authorized = REMOTE_START_ID, True
    if not ("Authorized" in tx.start_points or tx.started):
        return  # the transaction starts within step 7 (see the module docstring)
    with step("3-6: (AuthorizeRequest,) TransactionEventRequest RemoteStart with remoteStartId"):
        while True:
            received = await csms.expect(
                ("Authorize", "TransactionEvent"),
                where=lambda p: (
                    tx.transaction_id is None
                    or p.get("transactionInfo", {}).get("transactionId", tx.transaction_id)
                    == tx.transaction_id
                ),
                what="TransactionEventRequest RemoteStart (step 5)",
            )
            payload = received.payload
            if received.action == "Authorize":  # step 3 (AuthorizeRemoteStart true, token not cached)
                token = payload.get("idToken", {})
                check_equal(
                    token.get("idToken"), tx.token["idToken"], "AuthorizeRequest idToken.idToken (step 3)"
                )
                check_equal(token.get("type"), tx.token["type"], "AuthorizeRequest idToken.type (step 3)")
                continue
            break
        check_equal(
            payload.get("triggerReason"), "RemoteStart", "TransactionEventRequest.triggerReason (step 5)"
        )
        check(
            "remoteStartId" in payload.get("transactionInfo", {}),
            "TransactionEventRequest (step 5): transactionInfo.remoteStartId must be present",
        )
        tx.remote_start_id = None  # step 5 was the remote start's event
        if not tx.started:
            tx.transaction_id = payload.get("transactionInfo", {}).get("transactionId")
            tx.started = True
        tx.ended = tx.ended or payload.get("eventType") == "Ended"
        tx.events.append(payload)


@case(
    "TC_K_38_CS",
    requirements=("F01.FR.12", "F01.FR.13"),
    catches={
        "remote-start-profile-rejected": r"RequestStartTransactionResponse\.status \(step 2, F01\.FR\.12"
    },
)
async def test_TC_K_38_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EVConnectedPreSession; RequestStartTransaction carrying a TxProfile at a station without smart
    charging: Accepted, the profile ignored, the transaction starts (RemoteStart) and transfers energy."""
    await station_ready(csms, sut)
    tx = CsTransaction(csms, sut, actions, auth_mode="remote")
    await tx.prepare()
    try:
        await tx.ev_connected_pre_session()
        await _remote_start_with_profile(csms, sut, tx)
        with step("7: Reusable State EnergyTransferStarted"):
            await tx.energy_transfer_started()
    finally:
        with contextlib.suppress(Exception):
            if tx.started and not tx.ended:
                await tx.stop_authorized("remote")  # cleanup: end the remote session remotely
        await finish_transaction(csms, sut, actions, tx)

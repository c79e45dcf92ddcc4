"""Block F, Remote Control: charging station under test (Part 6 section 2.7).

Readings of Part 6 where it is ambiguous (as a certification lab would):
- TC_F_04_CS (errata 2025-01 §6.2.14 removed the TxStartPoint prerequisite): the configuration state's
  TxStartPoint Authorized is applied where the station accepts it; step 1 (TransactionEvent Ended,
  EVConnectTimeout) is required only when the remote authorization started a transaction, as the step's
  note says; otherwise the harness checks that no transaction starts while the timeout runs.
  "AuthCtrlr.AuthEnabled" is the device model's AuthCtrlr.Enabled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from conformance.session.endpoints import HarnessCsms
from conformance.session.states import CsTransaction, first_connector
from conformance.testing import case, check, check_equal, step
from testcases.cs._fgjp_support import Setting, configured, finish_transaction, station_ready

# <Configured ev_connection_timeout>: short, so the case stays fast against any station.
EV_CONNECTION_TIMEOUT = 2


async def _end_transaction(tx: CsTransaction) -> None:
    """Cleanup (not a Part 6 step), best effort: end the case's transaction and unplug, so the next case
    finds the station idle. It runs in a `finally`, so it never masks the case's own failure."""
    with contextlib.suppress(Exception):
        if tx.authorized and tx.started and not tx.ended:
            await tx.stop_authorized()
        if tx.started and not tx.ended:
            await tx.ev_connected_post_session()
        if tx.ev_connected:
            await tx.ev_disconnected()


@case(
    "TC_F_04_CS",
    requirements=("F02.FR.01", "E03.FR.01", "E03.FR.05"),
    catches={"ev-connection-timeout-ignored": r"EVConnectTimeout"},
)
async def test_TC_F_04_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Remote start first, no cable within EVConnectionTimeOut: the authorization ends (E03.FR.05), and
    the EVSE accepts a new remote start."""
    await station_ready(csms, sut)
    timeout = int(sut.device_model.values.get("TxCtrlr.EVConnectionTimeOut", EV_CONNECTION_TIMEOUT))
    settings = (
        Setting("TxCtrlr", "EVConnectionTimeOut", str(timeout)),
        Setting("AuthCtrlr", "Enabled", "true", optional=True),
        Setting("AuthCtrlr", "DisableRemoteAuthorization", "false", optional=True),
        Setting("TxCtrlr", "TxStartPoint", "Authorized", optional=True),
    )
    first = CsTransaction(csms, sut, actions, auth_mode="remote")
    second = CsTransaction(csms, sut, actions, auth_mode="remote")
    async with configured(csms, settings, label="before"):
        try:
            await _f04_scenario(csms, first, second, timeout)
        finally:
            await _end_transaction(first)
            await _end_transaction(second)


async def _f04_scenario(csms: HarnessCsms, first: CsTransaction, second: CsTransaction, timeout: int) -> None:
    await first.prepare()
    await first.authorize()  # Reusable State Authorized (remote)
    if first.started:
        with step("1-2: after EVConnectionTimeOut the station sends TransactionEventRequest Ended"):
            received = await csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("transactionInfo", {}).get("transactionId") == first.transaction_id,
                timeout=timeout + csms.timeout,
                what="TransactionEventRequest Ended with triggerReason EVConnectTimeout",
            )
            check_equal(
                received.payload.get("triggerReason"),
                "EVConnectTimeout",
                "TransactionEventRequest.triggerReason (step 1)",
            )
            check_equal(received.payload.get("eventType"), "Ended", "TransactionEventRequest.eventType")
            first.ended, first.authorized = True, False
    else:
        with step("1-2: no transaction starts while EVConnectionTimeOut runs (no cable)"):
            await csms.expect_no_message(timeout + 1, action="TransactionEvent")
    await second.prepare()
    with step("3: Reusable State Authorized (remote) again: the EVSE is ready for a new session"):
        await second.authorize()
    if second.started:  # cleanup: let the new authorization time out as well
        with contextlib.suppress(Exception):
            await csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("eventType") == "Ended",
                timeout=timeout + csms.timeout,
            )
            second.ended, second.authorized = True, False


@case(
    "TC_F_08_CS",
    requirements=("F03.FR.02", "F03.FR.03", "F03.FR.07", "F03.FR.09"),
    catches={"remote-stop-ignored": r"remote stop"},
)
async def test_TC_F_08_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EnergyTransferStarted, then Reusable State StopAuthorized (remote): RequestStopTransaction
    Accepted and TransactionEvent RemoteStop (F03.FR.02, F03.FR.03)."""
    await station_ready(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    try:
        await tx.energy_transfer_started()
        await tx.stop_authorized("remote")
    finally:
        await _end_transaction(tx)


@case(
    "TC_F_09_CS",
    requirements=("F03.FR.08",),
    catches={"remote-stop-unknown-id-accepted": r"RequestStopTransactionResponse.status"},
)
async def test_TC_F_09_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EnergyTransferStarted; RequestStopTransaction for another transactionId: Rejected (F03.FR.08)."""
    await station_ready(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    try:
        await tx.energy_transfer_started()
        with step("1-2: the OCTT sends RequestStopTransactionRequest for another transactionId"):
            other = f"{tx.transaction_id}-not-this-one"[-36:]
            response = await csms.call_ok("RequestStopTransaction", {"transactionId": other})
            check_equal(response.get("status"), "Rejected", "RequestStopTransactionResponse.status (step 2)")
    finally:
        await _end_transaction(tx)


@case(
    "TC_F_20_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.10"),
    catches={"trigger-heartbeat-unsent": r"HeartbeatRequest"},
)
async def test_TC_F_20_CS(csms: HarnessCsms, sut: Any) -> None:
    """TriggerMessage Heartbeat: Accepted, then a HeartbeatRequest (F06.FR.04, F06.FR.05)."""
    await station_ready(csms, sut)
    with step("1-2: the OCTT sends TriggerMessageRequest Heartbeat; the station answers"):
        csms.discard_inbox()  # a periodic heartbeat sent before the trigger does not answer it
        response = await csms.call_ok("TriggerMessage", {"requestedMessage": "Heartbeat"})
        check_equal(response.get("status"), "Accepted", "TriggerMessageResponse.status (step 2)")
    with step("3-4: the station sends HeartbeatRequest; the OCTT answers"):
        await csms.expect("Heartbeat", what="the triggered HeartbeatRequest")


# ------------------------------------------------------------------ F06 TriggerMessage (conditional)
def _check_trigger_context(meter_values: Any, what: str) -> None:
    check(isinstance(meter_values, list) and meter_values, f"{what}: meterValue must be present")
    sampled = meter_values[0].get("sampledValue", [{}])
    check_equal(sampled[0].get("context"), "Trigger", f"{what}: meterValue[0].sampledValue[0].context")


async def _trigger(csms: HarnessCsms, requested: str, evse: dict[str, int] | None) -> None:
    with step(f"1-2: the OCTT sends TriggerMessageRequest {requested}; the station answers Accepted"):
        csms.discard_inbox()  # only what the trigger causes answers it
        request: dict[str, Any] = {"requestedMessage": requested}
        if evse is not None:
            request["evse"] = evse
        response = await csms.call_ok("TriggerMessage", request)
        check_equal(response.get("status"), "Accepted", "TriggerMessageResponse.status (step 2)")


@case(
    "TC_F_11_CS",
    requirements=("F06.FR.02", "F06.FR.04", "F06.FR.05", "F06.FR.06", "F06.FR.10"),
    catches={"trigger-wrong-context": r"sampledValue\[0\]\.context"},
)
async def test_TC_F_11_CS(csms: HarnessCsms, sut: Any) -> None:
    """TriggerMessage MeterValues for <Configured evseId>: its MeterValuesRequest, context Trigger."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    await _trigger(csms, "MeterValues", {"id": evse_id})
    with step("3-4: the station sends MeterValuesRequest"):
        received = await csms.expect("MeterValues", what="the triggered MeterValuesRequest")
        check_equal(received.payload.get("evseId"), evse_id, "MeterValuesRequest.evseId (step 3)")
        _check_trigger_context(received.payload.get("meterValue"), "MeterValuesRequest (step 3)")


@case(
    "TC_F_12_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.06", "F06.FR.10", "F06.FR.11"),
    catches={"trigger-wrong-context": r"sampledValue\[0\]\.context"},
)
async def test_TC_F_12_CS(csms: HarnessCsms, sut: Any) -> None:
    """TriggerMessage MeterValues, evse omitted: a MeterValuesRequest (context Trigger) for every EVSE."""
    await station_ready(csms, sut)
    await _trigger(csms, "MeterValues", None)
    for evse in sut.evses:
        with step(f"3-4: the station sends MeterValuesRequest for EVSE {evse.id}"):
            received = await csms.expect(
                "MeterValues",
                where=_of_evse(evse.id),
                what=f"the triggered MeterValuesRequest of EVSE {evse.id}",
            )
            _check_trigger_context(received.payload.get("meterValue"), "MeterValuesRequest (step 3)")


def _of_evse(evse_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda payload: payload.get("evseId") == evse_id


async def _trigger_transaction_event(csms: HarnessCsms, sut: Any, actions: Any, *, all_evses: bool) -> None:
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    try:
        await tx.energy_transfer_started()
        await _trigger(csms, "TransactionEvent", None if all_evses else {"id": tx.evse_id})
        with step("3-4: the station sends TransactionEventRequest Trigger"):
            received = await csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id,
                what="the triggered TransactionEventRequest",
            )
            payload = received.payload
            tx.events.append(payload)
            if all_evses or "evse" in payload:  # TC_F_13_CS: evse.id may be omitted
                check_equal(payload.get("evse", {}).get("id"), tx.evse_id, "TransactionEventRequest evse.id")
            check_equal(payload.get("triggerReason"), "Trigger", "TransactionEventRequest.triggerReason")
            check_equal(
                payload.get("transactionInfo", {}).get("chargingState", "Charging"),
                "Charging",
                "TransactionEventRequest transactionInfo.chargingState",
            )
            _check_trigger_context(payload.get("meterValue"), "TransactionEventRequest (step 3)")
    finally:
        await finish_transaction(csms, sut, actions, tx)


@case(
    "TC_F_13_CS",
    requirements=("F06.FR.02", "F06.FR.04", "F06.FR.05", "F06.FR.07", "F06.FR.10"),
    catches={"trigger-wrong-context": r"sampledValue\[0\]\.context"},
)
async def test_TC_F_13_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EnergyTransferStarted; TriggerMessage TransactionEvent for the EVSE: Trigger, Charging, meters."""
    await station_ready(csms, sut)
    await _trigger_transaction_event(csms, sut, actions, all_evses=False)


@case(
    "TC_F_14_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.07", "F06.FR.10", "F06.FR.11"),
    catches={"trigger-wrong-context": r"sampledValue\[0\]\.context"},
)
async def test_TC_F_14_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EnergyTransferStarted; TriggerMessage TransactionEvent, evse omitted: one per EVSE with a
    transaction (the harness runs one transaction, on <Configured evseId>)."""
    await station_ready(csms, sut)
    await _trigger_transaction_event(csms, sut, actions, all_evses=True)


@case(
    "TC_F_27_CS",
    requirements=("F06.FR.08",),
    catches={"trigger-unimplemented-accepted": r"TriggerMessageResponse.status"},
)
async def test_TC_F_27_CS(csms: HarnessCsms, sut: Any) -> None:
    """TriggerMessage SignCombinedCertificate, which the station does not implement: NotImplemented."""
    await station_ready(csms, sut)
    with step("1-2: the OCTT sends TriggerMessageRequest SignCombinedCertificate; the station answers"):
        response = await csms.call_ok("TriggerMessage", {"requestedMessage": "SignCombinedCertificate"})
        check_equal(response.get("status"), "NotImplemented", "TriggerMessageResponse.status (step 2)")


# ------------------------------------------------------------------ F01 / F02 remote start (conditional)
_REMOTE_AUTH = (
    Setting("AuthCtrlr", "Enabled", "true", optional=True),
    Setting("AuthCtrlr", "DisableRemoteAuthorization", "false", optional=True),
)


async def _remote_start_case(
    csms: HarnessCsms, sut: Any, actions: Any, settings: tuple[Setting, ...], *, plug_first: bool
) -> CsTransaction:
    """(EVConnectedPreSession,) Authorized (remote), EnergyTransferStarted; the transaction is ended
    afterwards (cleanup)."""
    tx = CsTransaction(csms, sut, actions, auth_mode="remote")
    async with configured(csms, settings, label="before"):
        await tx.prepare()
        try:
            if plug_first:
                await tx.ev_connected_pre_session()
            with step("1: Reusable State Authorized (remote)"):
                await tx.authorize()
            with step("2: Reusable State EnergyTransferStarted"):
                await tx.energy_transfer_started()
        finally:
            await finish_transaction(csms, sut, actions, tx)
    return tx


def _authorize_requests(csms: HarnessCsms, tx: CsTransaction) -> list[Any]:
    return [r for r in csms.history("Authorize") if r.payload.get("idToken") == tx.token]


@case(
    "TC_F_01_CS",
    requirements=("F01.FR.03", "F01.FR.04", "F01.FR.05", "F01.FR.13", "F01.FR.17", "F01.FR.19", "F02.FR.01"),
    catches={"remote-start-id-missing": r"remoteStartId"},
)
async def test_TC_F_01_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cable plugged in first, then RequestStartTransaction: the transaction starts (RemoteStart)."""
    await station_ready(csms, sut)
    await _remote_start_case(csms, sut, actions, _REMOTE_AUTH, plug_first=True)


@case(
    "TC_F_02_CS",
    requirements=("F02.FR.01", "F01.FR.01"),
    catches={"remote-start-authorize-ignored": r"F01.FR.01", "remote-start-id-missing": r"remoteStartId"},
)
async def test_TC_F_02_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """AuthorizeRemoteStart true: RequestStartTransaction first; the station authorizes the idToken
    with AuthorizeRequest (F01.FR.01) before the transaction starts."""
    await station_ready(csms, sut)
    settings = (*_REMOTE_AUTH, Setting("AuthCtrlr", "AuthorizeRemoteStart", "true", optional=True))
    tx = await _remote_start_case(csms, sut, actions, settings, plug_first=False)
    with step("post-scenario: AuthorizeRequest for the remote start's idToken (F01.FR.01)"):
        check(
            _authorize_requests(csms, tx),
            "F01.FR.01: with AuthorizeRemoteStart true the station must send AuthorizeRequest for the"
            " idToken of RequestStartTransactionRequest; none was received",
        )


@case(
    "TC_F_03_CS",
    requirements=("F02.FR.01", "F01.FR.02"),
    catches={"remote-start-always-authorizes": r"F01.FR.02", "remote-start-id-missing": r"remoteStartId"},
)
async def test_TC_F_03_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """AuthorizeRemoteStart false: RequestStartTransaction first; no AuthorizeRequest (F01.FR.02)."""
    await station_ready(csms, sut)
    settings = (*_REMOTE_AUTH, Setting("AuthCtrlr", "AuthorizeRemoteStart", "false", optional=True))
    tx = await _remote_start_case(csms, sut, actions, settings, plug_first=False)
    with step("post-scenario: no AuthorizeRequest for the remote start's idToken (F01.FR.02)"):
        sent = _authorize_requests(csms, tx)
        check(
            not sent,
            "F01.FR.02: with AuthorizeRemoteStart false the station must start without AuthorizeRequest;"
            f" it sent {len(sent)}",
        )

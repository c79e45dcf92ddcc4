"""Block F, Remote Control: charging station under test (Part 6 section 2.7).

Readings of Part 6 where it is ambiguous (as a certification lab would):
- TC_F_04_CS (errata 2025-01 §6.2.14 removed the TxStartPoint prerequisite): the configuration state's
  TxStartPoint Authorized is applied where the station accepts it; step 1 (TransactionEvent Ended,
  EVConnectTimeout) is required only when the remote authorization started a transaction, as the step's
  note says; otherwise the harness checks that no transaction starts while the timeout runs.
  "AuthCtrlr.AuthEnabled" is the device model's AuthCtrlr.Enabled.
- TC_F_06_CS (charging state N/a): run with the station idle, no cable (Part 6's general precondition).
- TC_F_16_CS <Configured log_location>: LOG_LOCATION (the SUT description has no such key yet).
- TC_F_19_CS: block L's firmware server and signing certificate (the harness is its own manufacturer);
  the download is held open until step 8, then answered 404, so the update ends DownloadFailed (cleanup).
- TC_F_23_CS / TC_F_24_CS step 3 "notifies the current state of the connector": a StatusNotificationRequest
  or a NotifyEventRequest (AvailabilityState), whichever comes first after the trigger; every further report
  of the connector that follows is validated too. A station may report one change both ways, so the
  connector's reports still coming from before the trigger are drained first (until none comes for
  0.5 s): a late twin of the EVConnectedPreSession report must not count as the triggered one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.errors import SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.states import CsTransaction, first_connector
from conformance.testing import Setting, case, check, check_equal, configured, step
from testcases.cs._fgjp_support import finish_transaction, station_ready

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
        Setting("AuthCtrlr", "Enabled", "true", only_if_writable=True),
        Setting("AuthCtrlr", "DisableRemoteAuthorization", "false", only_if_writable=True),
        Setting("TxCtrlr", "TxStartPoint", "Authorized", only_if_writable=True),
    )
    first = CsTransaction(csms, sut, actions, auth_mode="remote")
    second = CsTransaction(csms, sut, actions, auth_mode="remote")
    async with configured(csms, settings, label="before"):
        try:
            await _f04_scenario(csms, sut, actions, first, second, timeout)
        finally:
            await _end_transaction(first)
            await _end_transaction(second)


async def _f04_ev_connection_timeout(actions: Any, timeout: int) -> bool:
    """Let EVConnectionTimeOut pass on the station's clock where the driver can (a real station simply
    waits): True if advanced, else the caller waits in real time."""
    if not actions.supports("advance_clock"):
        return False
    with step(f"Wait: EVConnectionTimeOut ({timeout} s) passes (station clock advanced)"):
        await actions.perform("advance_clock", {"seconds": timeout})
    return True


async def _f04_scenario(
    csms: HarnessCsms, sut: Any, actions: Any, first: CsTransaction, second: CsTransaction, timeout: int
) -> None:
    await first.prepare()
    await first.authorize()  # Reusable State Authorized (remote)
    advanced = await _f04_ev_connection_timeout(actions, timeout)
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
            await csms.expect_no_message(
                sut.timeouts.no_message if advanced else timeout + 1, action="TransactionEvent"
            )
    await second.prepare()
    with step("3: Reusable State Authorized (remote) again: the EVSE is ready for a new session"):
        await second.authorize()
    if second.started:  # cleanup: let the new authorization time out as well
        with contextlib.suppress(Exception):
            await _f04_ev_connection_timeout(actions, timeout)
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
    Setting("AuthCtrlr", "Enabled", "true", only_if_writable=True),
    Setting("AuthCtrlr", "DisableRemoteAuthorization", "false", only_if_writable=True),
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
    settings = (*_REMOTE_AUTH, Setting("AuthCtrlr", "AuthorizeRemoteStart", "true", only_if_writable=True))
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
    settings = (*_REMOTE_AUTH, Setting("AuthCtrlr", "AuthorizeRemoteStart", "false", only_if_writable=True))
    tx = await _remote_start_case(csms, sut, actions, settings, plug_first=False)
    with step("post-scenario: no AuthorizeRequest for the remote start's idToken (F01.FR.02)"):
        sent = _authorize_requests(csms, tx)
        check(
            not sent,
            "F01.FR.02: with AuthorizeRemoteStart false the station must start without AuthorizeRequest;"
            f" it sent {len(sent)}",
        )


# ------------------------------------------------------------------ F05 UnlockConnector (HFS-1)
async def _unlock(csms: HarnessCsms, evse_id: int, connector_id: int, expected: str, rule: str) -> None:
    with step(f"1-2: the OCTT sends UnlockConnectorRequest evseId {evse_id} connectorId {connector_id}"):
        response = await csms.call_ok("UnlockConnector", {"evseId": evse_id, "connectorId": connector_id})
        check_equal(response.get("status"), expected, f"UnlockConnectorResponse.status (step 2, {rule})")


@case(
    "TC_F_05_CS",
    requirements=("F05.FR.01", "F05.FR.02"),
    catches={"unlock-during-transaction": r"UnlockConnectorResponse\.status .*F05\.FR\.02"},
)
async def test_TC_F_05_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EnergyTransferStarted on <Configured connector>; UnlockConnector: OngoingAuthorizedTransaction."""
    await station_ready(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    try:
        await tx.energy_transfer_started()
        await _unlock(csms, tx.evse_id, tx.connector_id, "OngoingAuthorizedTransaction", "F05.FR.02")
    finally:
        await finish_transaction(csms, sut, actions, tx)


@case(
    "TC_F_06_CS",
    requirements=("F05.FR.01", "F05.FR.04"),
    catches={"unlock-fails": r"UnlockConnectorResponse\.status .*F05\.FR\.04"},
)
async def test_TC_F_06_CS(csms: HarnessCsms, sut: Any) -> None:
    """No transaction (Part 6's charging state N/a: the station idle); UnlockConnector: Unlocked."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    await _unlock(csms, evse_id, connector_id, "Unlocked", "F05.FR.04")


@case(
    "TC_F_07_CS",
    requirements=("F05.FR.01", "F05.FR.06"),
    catches={"unlock-fails": r"UnlockConnectorResponse\.status .*F05\.FR\.06"},
)
async def test_TC_F_07_CS(csms: HarnessCsms, sut: Any) -> None:
    """No cable at <Configured connector>, no transaction; UnlockConnector: Unlocked (F05.FR.06)."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    await _unlock(csms, evse_id, connector_id, "Unlocked", "F05.FR.06")


@case(
    "TC_F_10_CS",
    requirements=("F05.FR.03",),
    catches={"unlock-unknown-connector-unlocked": r"UnlockConnectorResponse\.status .*F05\.FR\.03"},
)
async def test_TC_F_10_CS(csms: HarnessCsms, sut: Any) -> None:
    """UnlockConnector for connectorId 999 of <Configured evseId>: UnknownConnector (F05.FR.03)."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    await _unlock(csms, evse_id, 999, "UnknownConnector", "F05.FR.03")


# ------------------------------------------------------------------ F06 Log / FirmwareStatusNotification
# <Configured log_location>: the SUT description has no such key yet; a lab's own upload URL goes here.
LOG_LOCATION = "https://logs.ocpp-conformance.invalid/upload"


async def _triggered_status(csms: HarnessCsms, message: str, expected: str, label: str) -> None:
    with step(f"{label}: the station sends {message}Request; the OCTT answers"):
        received = await csms.expect(message, what=f"F06.FR.05: the triggered {message}Request")
        check_equal(received.payload.get("status"), expected, f"{message}Request.status ({label})")


@case(
    "TC_F_15_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.10", "F06.FR.15"),
    catches={"trigger-idle-status-unsent": r"F06\.FR\.05: the triggered LogStatusNotificationRequest"},
)
async def test_TC_F_15_CS(csms: HarnessCsms, sut: Any) -> None:
    """No upload running; TriggerMessage LogStatusNotification: Accepted, then status Idle."""
    await station_ready(csms, sut)
    await _trigger(csms, "LogStatusNotification", None)
    await _triggered_status(csms, "LogStatusNotification", "Idle", "3-4")


@case(
    "TC_F_16_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.10", "F06.FR.14"),
    catches={"trigger-status-idle-while-busy": r"LogStatusNotificationRequest\.status \(7-8\)"},
)
async def test_TC_F_16_CS(csms: HarnessCsms, sut: Any) -> None:
    """GetLog DiagnosticsLog: Uploading; TriggerMessage LogStatusNotification during the upload: Uploading."""
    await station_ready(csms, sut)
    request_id = 1600 + len(csms.history())
    try:
        with step("1-2: the OCTT sends GetLogRequest DiagnosticsLog to <Configured log_location>"):
            csms.discard_inbox()
            response = await csms.call_ok(
                "GetLog",
                {
                    "logType": "DiagnosticsLog",
                    "requestId": request_id,
                    "log": {"remoteLocation": LOG_LOCATION},
                },
            )
            check_equal(response.get("status"), "Accepted", "GetLogResponse.status (step 2)")
        await _triggered_status(csms, "LogStatusNotification", "Uploading", "3-4")
        await _trigger(csms, "LogStatusNotification", None)
        await _triggered_status(csms, "LogStatusNotification", "Uploading", "7-8")
    finally:
        await _upload_finished(csms)


async def _upload_finished(csms: HarnessCsms) -> None:
    """Cleanup (not a Part 6 step), best effort: wait for the upload's final status, so the next case finds
    the station idle. Never masks the case's own failure."""
    with contextlib.suppress(Exception):
        await csms.expect(
            "LogStatusNotification",
            where=lambda p: p.get("status") not in ("Uploading", "Idle"),
            what="cleanup: the upload's final LogStatusNotificationRequest",
        )


@case(
    "TC_F_17_CS",
    requirements=("F06.FR.03", "F06.FR.04", "F06.FR.05", "F06.FR.10"),
    catches={"trigger-idle-status-unsent": r"F06\.FR\.05: the triggered FirmwareStatusNotificationRequest"},
)
async def test_TC_F_17_CS(csms: HarnessCsms, sut: Any) -> None:
    """TriggerMessage FirmwareStatusNotification with evse.id (not relevant to it): Accepted, then Idle."""
    await station_ready(csms, sut)
    evse_id, _ = first_connector(sut)
    await _trigger(csms, "FirmwareStatusNotification", {"id": evse_id})
    await _triggered_status(csms, "FirmwareStatusNotification", "Idle", "3-4")


@case(
    "TC_F_18_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.10", "F06.FR.16", "L01.FR.25"),
    catches={"trigger-idle-status-unsent": r"F06\.FR\.05: the triggered FirmwareStatusNotificationRequest"},
)
async def test_TC_F_18_CS(csms: HarnessCsms, sut: Any) -> None:
    """No firmware update running; TriggerMessage FirmwareStatusNotification: Accepted, then Idle."""
    await station_ready(csms, sut)
    await _trigger(csms, "FirmwareStatusNotification", None)
    await _triggered_status(csms, "FirmwareStatusNotification", "Idle", "3-4")


# ------------------------------------------------------------------ F06 StatusNotification, BootNotification
_REPORTS = ("StatusNotification", "NotifyEvent")


def _reports_connector(evse_id: int, connector_id: int) -> Callable[[dict[str, Any]], bool]:
    """A StatusNotificationRequest, or a NotifyEventRequest with a Connector AvailabilityState event,
    of this connector."""

    def matches(payload: dict[str, Any]) -> bool:
        if "connectorStatus" in payload:
            return bool(payload.get("evseId") == evse_id and payload.get("connectorId") == connector_id)
        return any(
            e.get("component", {}).get("name") == "Connector"
            and e.get("variable", {}).get("name") == "AvailabilityState"
            and e.get("component", {}).get("evse", {}).get("id") == evse_id
            and e.get("component", {}).get("evse", {}).get("connectorId", connector_id) == connector_id
            for e in payload.get("eventData", [])
        )

    return matches


async def _drain_reports(csms: HarnessCsms, sut: Any, evse_id: int, connector_id: int) -> list[Any]:
    """Take every further report of the connector until none comes for a short quiet period: a station may
    report one change both ways (StatusNotification and NotifyEvent), so one report can still be on its way
    when the step that waited for it is done; left in the inbox, it would answer the next step."""
    quiet = min(0.5, sut.timeouts.no_message)
    drained = []
    while True:
        try:
            drained.append(
                await csms.expect(_REPORTS, where=_reports_connector(evse_id, connector_id), timeout=quiet)
            )
        except SutTimeout:
            return drained


def _check_connector_report(received: Any, status: str, label: str) -> None:
    """Step 3's tool validations, for whichever of the two ways the station reports."""
    payload = received.payload
    if received.action == "StatusNotification":
        check_equal(
            payload.get("connectorStatus"), status, f"StatusNotificationRequest.connectorStatus ({label})"
        )
        return
    first = (payload.get("eventData") or [{}])[0]
    what = f"NotifyEventRequest eventData[0] ({label})"
    check_equal(first.get("trigger"), "Delta", f"{what}.trigger")
    check_equal(first.get("actualValue"), status, f"{what}.actualValue")
    check_equal(first.get("component", {}).get("name"), "Connector", f"{what}.component.name")
    check_equal(first.get("variable", {}).get("name"), "AvailabilityState", f"{what}.variable.name")


async def _trigger_status_notification(
    csms: HarnessCsms, sut: Any, evse_id: int, connector_id: int, status: str
) -> None:
    await _drain_reports(csms, sut, evse_id, connector_id)  # reports of the state before the case
    await _trigger(csms, "StatusNotification", {"id": evse_id, "connectorId": connector_id})
    with step(f"3-4: the station reports connector {evse_id}/{connector_id} {status}; the OCTT answers"):
        first = await csms.expect(
            _REPORTS,
            where=_reports_connector(evse_id, connector_id),
            what="F06.FR.05: the triggered StatusNotificationRequest / NotifyEventRequest"
            f" of {evse_id}/{connector_id}",
        )
        _check_connector_report(first, status, "step 3")
        # Part 6 accepts either way; a station reporting both ways is checked on both
        for received in await _drain_reports(csms, sut, evse_id, connector_id):
            _check_connector_report(received, status, "step 3")


@case(
    "TC_F_23_CS",
    requirements=("F06.FR.02", "F06.FR.04", "F06.FR.05", "F06.FR.10"),
    catches={"trigger-status-unsent": r"F06\.FR\.05: the triggered StatusNotificationRequest"},
)
async def test_TC_F_23_CS(csms: HarnessCsms, sut: Any) -> None:
    """Idle; TriggerMessage StatusNotification for <Configured evse/connector>: reported Available."""
    await station_ready(csms, sut)
    evse_id, connector_id = first_connector(sut)
    await _trigger_status_notification(csms, sut, evse_id, connector_id, "Available")


@case(
    "TC_F_24_CS",
    requirements=("F06.FR.02", "F06.FR.04", "F06.FR.05", "F06.FR.10"),
    catches={"trigger-status-unsent": r"F06\.FR\.05: the triggered StatusNotificationRequest"},
)
async def test_TC_F_24_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """EVConnectedPreSession; TriggerMessage StatusNotification for the connector: reported Occupied."""
    await station_ready(csms, sut)
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    try:
        await tx.ev_connected_pre_session()
        await _trigger_status_notification(csms, sut, tx.evse_id, tx.connector_id, "Occupied")
    finally:
        await finish_transaction(csms, sut, actions, tx)


@case(
    "TC_F_26_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.17"),
    catches={"trigger-boot-accepted": r"TriggerMessageResponse\.status \(step 2, F06\.FR\.17\)"},
)
async def test_TC_F_26_CS(csms: HarnessCsms, sut: Any) -> None:
    """Booted and accepted; TriggerMessage BootNotification: Rejected (F06.FR.17)."""
    await station_ready(csms, sut)
    with step("1-2: the OCTT sends TriggerMessageRequest BootNotification; the station answers"):
        response = await csms.call_ok("TriggerMessage", {"requestedMessage": "BootNotification"})
        check_equal(response.get("status"), "Rejected", "TriggerMessageResponse.status (step 2, F06.FR.17)")


@case(
    "TC_F_19_CS",
    requirements=("F06.FR.04", "F06.FR.05", "F06.FR.10", "L01.FR.26"),
    catches={"trigger-status-idle-while-busy": r"FirmwareStatusNotificationRequest\.status \(7-8\)"},
)
async def test_TC_F_19_CS(csms: HarnessCsms, sut: Any) -> None:
    """UpdateFirmware: Downloading; TriggerMessage FirmwareStatusNotification during the download:
    Downloading.

    The firmware server, signing certificate and signature are block L's (testcases/cs/test_l_firmware.py:
    the harness is its own manufacturer). The download is held open by the server until the case's steps
    are done, so the station is certainly still downloading at step 5; the server then answers 404, so the
    update ends with DownloadFailed instead of installing and rebooting (cleanup, not a Part 6 step)."""
    from testcases.cs.test_l_firmware import IMAGE, firmware_server, signer  # block L's manufacturer

    await station_ready(csms, sut)
    async with firmware_server(csms) as server:
        location = server.url("/hold/ocpp-conformance-f19.bin")  # held, then 404: never installed
        request_id = 1900 + len(csms.history())
        firmware = {
            "location": location,
            "retrieveDateTime": _hours_ago(2),
            "signingCertificate": signer().certificate,
            "signature": signer().sign(IMAGE),
        }
        try:
            with step("1-2: the OCTT sends UpdateFirmwareRequest (retrieveDateTime two hours ago)"):
                csms.discard_inbox()
                response = await csms.call_ok(
                    "UpdateFirmware", {"requestId": request_id, "firmware": firmware}
                )
                check_equal(response.get("status"), "Accepted", "UpdateFirmwareResponse.status (step 2)")
            await _triggered_status(csms, "FirmwareStatusNotification", "Downloading", "3-4")
            await _trigger(csms, "FirmwareStatusNotification", None)
            await _triggered_status(csms, "FirmwareStatusNotification", "Downloading", "7-8")
        finally:
            server.release()
            await _download_finished(csms)


def _hours_ago(hours: int) -> str:
    moment = datetime.now(UTC) - timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def _download_finished(csms: HarnessCsms) -> None:
    """Cleanup (not a Part 6 step), best effort: wait for the update's final status, so the next case finds
    no firmware update running. Never masks the case's own failure."""
    with contextlib.suppress(Exception):
        await csms.expect(
            "FirmwareStatusNotification",
            where=lambda p: p.get("status") in ("DownloadFailed", "InvalidSignature", "Installed"),
            timeout=csms.timeout * 3,
            what="cleanup: the update's final FirmwareStatusNotificationRequest",
        )

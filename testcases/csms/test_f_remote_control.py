"""Block F, Remote Control: CSMS under test (Part 6 section 3.7).

The harness plays the charging station; the CSMS-initiated steps ("Manual Action: trigger the CSMS
to ...") go through the operator-action driver (`operator_request`).
"""

from __future__ import annotations

import secrets
from typing import Any

from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.states.common import first_connector, id_token_of, now
from conformance.session.states.csms import (
    SimulatedTransaction,
    connectors_outside,
    notify_connectors,
    operator_done,
    operator_request,
)
from conformance.testing import case, check_equal, step

# What a case reports when the CSMS answers a valid TransactionEventRequest with CALLERROR.
TX_CALLERROR = r"TransactionEventRequest with CALLERROR"


def remote_start_request(sut: Any) -> dict[str, Any]:
    """What the operator asks for: a remote start of the configured valid idToken on the configured EVSE."""
    evse_id, _ = first_connector(sut)
    return {
        "idToken": id_token_of(sut.tokens.valid),
        "remoteStartId": secrets.randbelow(1_000_000) + 1,
        "evseId": evse_id,
    }


async def remote_start(
    station: HarnessStation, sut: Any, actions: Any, case_id: str, answer: dict[str, Any]
) -> dict[str, Any]:
    """Steps 1-2 of TC_F_01..04_CSMS: the CSMS sends RequestStartTransactionRequest, the OCTT answers
    `answer`; step 1's tool validations (the configured valid idToken) are checked."""
    station.on("RequestStartTransaction", answer)
    received, task = await operator_request(
        station, actions, "RequestStartTransaction", remote_start_request(sut)
    )
    token = received.payload.get("idToken") or {}
    check_equal(
        token.get("idToken"),
        sut.tokens.valid.id_token,
        f"RequestStartTransactionRequest.idToken.idToken ({case_id} step 1: the configured valid idToken)",
    )
    check_equal(
        token.get("type"),
        sut.tokens.valid.type,
        f"RequestStartTransactionRequest.idToken.type ({case_id} step 1: the configured valid idToken type)",
    )
    await operator_done(station, task)
    return received.payload


async def remote_start_first(
    station: HarnessStation, sut: Any, actions: Any, case_id: str, *, authorize: bool
) -> SimulatedTransaction:
    """The common part of TC_F_02/03/04_CSMS: remote start first, then (optionally) Authorize, then the
    Started event with triggerReason RemoteStart."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    with step("1-2: the CSMS sends RequestStartTransactionRequest; the OCTT accepts, transactionId omitted"):
        request = await remote_start(station, sut, actions, case_id, {"status": "Accepted"})
    if authorize:
        with step("3-4: the OCTT sends AuthorizeRequest with the valid idToken; the CSMS accepts it"):
            response = await station.call_ok("Authorize", {"idToken": tx.token})
            check_equal(
                response.get("idTokenInfo", {}).get("status"),
                "Accepted",
                f"AuthorizeResponse.idTokenInfo.status ({case_id} step 4)",
            )
    first = 5 if authorize else 3
    with step(f"{first}-{first + 1}: TransactionEventRequest Started, RemoteStart, the CSMS's remoteStartId"):
        await tx.event("RemoteStart", id_token=tx.token, remote_start_id=int(request["remoteStartId"]))
    tx.authorized = True  # the remote start authorized the transaction
    return tx


@case(
    "TC_F_01_CSMS",
    requirements=(),
    catches={"remote-start-central-token": r"RequestStartTransactionRequest\.idToken\.type"},
)
async def test_TC_F_01_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Remote start, cable plugged in first (F01): EVConnectedPreSession, then the remote start joins
    the running transaction (RemoteStart in an Updated event), then EnergyTransferStarted."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.ev_connected_pre_session()
    with step("1-2: the CSMS sends RequestStartTransactionRequest; the OCTT accepts with its transactionId"):
        answer = {"status": "Accepted", "transactionId": tx.transaction_id}
        request = await remote_start(station, sut, actions, "TC_F_01_CSMS", answer)
    with step("3-4: TransactionEventRequest Updated, RemoteStart, the CSMS's remoteStartId"):
        await tx.event("RemoteStart", id_token=tx.token, remote_start_id=int(request["remoteStartId"]))
    tx.authorized = True
    with step("5: Reusable State EnergyTransferStarted (Authorized, EV connected)"):
        await tx.energy_transfer_started()


@case(
    "TC_F_02_CSMS",
    requirements=("F02.FR.01", "F01.FR.01"),
    catches={"remote-start-central-token": r"RequestStartTransactionRequest\.idToken\.type"},
)
async def test_TC_F_02_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Remote start first, AuthorizeRemoteStart true (F02): the station authorizes the token first."""
    tx = await remote_start_first(station, sut, actions, "TC_F_02_CSMS", authorize=True)
    with step("7: Reusable State EnergyTransferStarted (Authorized, EV not yet connected)"):
        await tx.energy_transfer_started()


@case(
    "TC_F_03_CSMS",
    requirements=("F02.FR.01", "F01.FR.02"),
    catches={"remote-start-central-token": r"RequestStartTransactionRequest\.idToken\.type"},
)
async def test_TC_F_03_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Remote start first, AuthorizeRemoteStart false (F02): no AuthorizeRequest before the start."""
    tx = await remote_start_first(station, sut, actions, "TC_F_03_CSMS", authorize=False)
    with step("5: Reusable State EnergyTransferStarted (Authorized, EV not yet connected)"):
        await tx.energy_transfer_started()


@case(
    "TC_F_04_CSMS",
    requirements=("E03.FR.04", "E03.FR.05"),
    catches={
        "remote-start-central-token": r"RequestStartTransactionRequest\.idToken\.type",
        "trigger-reason-subset": TX_CALLERROR,
    },
)
async def test_TC_F_04_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Remote start first, no cable within EVConnectionTimeOut (F02, E03): the station deauthorizes.

    Part 6 has the OCTT wait <Configured Transaction Duration> before step 5; that wait is the
    simulated station's own, so the harness sends step 5 at once (no fixed sleeps)."""
    tx = await remote_start_first(station, sut, actions, "TC_F_04_CSMS", authorize=False)
    with step("5-6: TransactionEventRequest Updated, EVConnectTimeout"):
        await tx.event("EVConnectTimeout")


@case(
    "TC_F_20_CSMS",
    requirements=("F06.FR.01",),
    catches={"schema-invalid-response": r"schema\.required at \$\.currentTime"},
)
async def test_TC_F_20_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage Heartbeat (F06): the CSMS triggers a HeartbeatRequest and answers it."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends TriggerMessageRequest; the OCTT accepts"):
        station.on("TriggerMessage", {"status": "Accepted"})
        received, task = await operator_request(
            station, actions, "TriggerMessage", {"requestedMessage": "Heartbeat"}
        )
        check_equal(
            received.payload.get("requestedMessage"),
            "Heartbeat",
            "TriggerMessageRequest.requestedMessage (TC_F_20_CSMS step 1)",
        )
        await operator_done(station, task)
    with step("3-4: the OCTT sends HeartbeatRequest; the CSMS responds"):
        await station.call_ok("Heartbeat", {})


@case(
    "TC_F_27_CSMS",
    requirements=("F06.FR.08",),
    catches={"trigger-not-implemented-closes": r"\[disconnected\]"},
)
async def test_TC_F_27_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage answered NotImplemented (F06.FR.08).

    Part 6 lists no tool validation; the case's purpose is that the CSMS handles the answer, so the
    harness then checks the CSMS kept the connection and still serves the station (a HeartbeatRequest
    answered), which is how a lab observes "handled". The requested message is the operator's choice;
    the harness asks for one a station commonly lacks (PublishFirmwareStatusNotification, Local
    Controller only)."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends TriggerMessageRequest; the OCTT answers NotImplemented"):
        station.on("TriggerMessage", {"status": "NotImplemented"})
        _received, task = await operator_request(
            station, actions, "TriggerMessage", {"requestedMessage": "PublishFirmwareStatusNotification"}
        )
        await operator_done(station, task)
    with step("Post: the CSMS keeps the connection and answers the station's HeartbeatRequest"):
        await station.call_ok("Heartbeat", {})


# ---------------------------------------------------------------- conditional cases (Core:C, C-11 / C-29.x)
TRIGGER_EVSE = {"trigger-drops-evse": r"TriggerMessageRequest\.evse\.id \(TC_F_\d+_CSMS step \d\): expected"}
TRIGGER_READING = {
    "trigger-context-rejected": r"Request with CALLERROR \w+ \('sampledValue\.context Trigger is not handled"
}


async def trigger(
    station: HarnessStation,
    actions: Any,
    case_id: str,
    requested: str,
    *,
    evse: dict[str, int] | None = None,
    first: int = 1,
) -> dict[str, Any]:
    """Steps 1-2 of the TriggerMessage cases (F06): the CSMS sends TriggerMessageRequest for `requested`
    (for the EVSE `evse`, if given), the OCTT accepts; checks requestedMessage and, for a specific EVSE,
    evse.id."""
    request: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        request["evse"] = evse
    station.on("TriggerMessage", {"status": "Accepted"})
    received, task = await operator_request(station, actions, "TriggerMessage", request)
    check_equal(
        received.payload.get("requestedMessage"),
        requested,
        f"TriggerMessageRequest.requestedMessage ({case_id} step {first})",
    )
    if evse is not None:
        check_equal(
            (received.payload.get("evse") or {}).get("id"),
            evse["id"],
            f"TriggerMessageRequest.evse.id ({case_id} step {first})",
        )
    await operator_done(station, task)
    return received.payload


def trigger_reading(wh: float = 1234.0) -> dict[str, Any]:
    """A MeterValueType read because of a trigger (context Trigger)."""
    return {
        "timestamp": now(),
        "sampledValue": [
            {
                "value": wh,
                "context": "Trigger",
                "measurand": "Energy.Active.Import.Register",
                "unitOfMeasure": {"unit": "Wh"},
            }
        ],
    }


@case(
    "TC_F_06_CSMS",
    catches={"unlock-connector-zero-based": r"UnlockConnectorRequest\.connectorId \(TC_F_06_CSMS step 1\)"},
)
async def test_TC_F_06_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Remote unlock without a transaction (F05): the OCTT answers Unlocked."""
    await states.csms_booted(station, sut)
    evse_id, connector_id = first_connector(sut)
    with step("1-2: the CSMS sends UnlockConnectorRequest; the OCTT answers Unlocked"):
        station.on("UnlockConnector", {"status": "Unlocked"})
        received, task = await operator_request(
            station, actions, "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id}
        )
        check_equal(
            received.payload.get("evseId"), evse_id, "UnlockConnectorRequest.evseId (TC_F_06_CSMS step 1)"
        )
        check_equal(
            received.payload.get("connectorId"),
            connector_id,
            "UnlockConnectorRequest.connectorId (TC_F_06_CSMS step 1)",
        )
        await operator_done(station, task)


@case("TC_F_11_CSMS", requirements=("F06.FR.01", "F06.FR.02"), catches={**TRIGGER_EVSE, **TRIGGER_READING})
async def test_TC_F_11_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage MeterValues for a specific EVSE (F06)."""
    await states.csms_booted(station, sut)
    evse_id, _ = first_connector(sut)
    with step("1-2: the CSMS sends TriggerMessageRequest MeterValues for the EVSE; the OCTT accepts"):
        await trigger(station, actions, "TC_F_11_CSMS", "MeterValues", evse={"id": evse_id})
    with step("3-4: the OCTT sends MeterValuesRequest for the EVSE, context Trigger"):
        await station.call_ok("MeterValues", {"evseId": evse_id, "meterValue": [trigger_reading()]})


@case("TC_F_12_CSMS", requirements=("F06.FR.01",), catches=TRIGGER_READING)
async def test_TC_F_12_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage MeterValues for all EVSEs (F06).

    Part 6 step 3 reads "evseId omitted", but MeterValuesRequest.evseId is required (Part 3 schema) and
    the step runs "for every EVSE": the OCTT sends one MeterValuesRequest per configured EVSE, each with
    its evseId."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends TriggerMessageRequest MeterValues; the OCTT accepts"):
        await trigger(station, actions, "TC_F_12_CSMS", "MeterValues")
    with step("3-4: the OCTT sends MeterValuesRequest, context Trigger, for every EVSE"):
        for evse in sut.evses:
            await station.call_ok("MeterValues", {"evseId": evse.id, "meterValue": [trigger_reading()]})


@case(
    "TC_F_13_CSMS",
    requirements=("F06.FR.01", "F06.FR.02"),
    catches={**TRIGGER_EVSE, **TRIGGER_READING, "trigger-reason-subset": TX_CALLERROR},
)
async def test_TC_F_13_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage TransactionEvent for a specific EVSE, while charging (F06)."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    with step("1-2: the CSMS sends TriggerMessageRequest TransactionEvent for the EVSE; the OCTT accepts"):
        await trigger(station, actions, "TC_F_13_CSMS", "TransactionEvent", evse={"id": tx.evse_id})
    with step("3-4: TransactionEventRequest Updated, Trigger, Charging, meterValue context Trigger"):
        extra = {"evse": {"id": tx.evse_id}, "meterValue": [trigger_reading()]}
        await tx.event("Trigger", charging_state="Charging", extra=extra)


@case(
    "TC_F_14_CSMS",
    requirements=("F06.FR.01",),
    catches={**TRIGGER_READING, "trigger-reason-subset": TX_CALLERROR},
)
async def test_TC_F_14_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage TransactionEvent for all EVSEs, while charging (F06): the one ongoing transaction
    reports (evse omitted)."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    with step("1-2: the CSMS sends TriggerMessageRequest TransactionEvent; the OCTT accepts"):
        await trigger(station, actions, "TC_F_14_CSMS", "TransactionEvent")
    with step("3-4: TransactionEventRequest Updated, Trigger, Charging, meterValue context Trigger"):
        await tx.event("Trigger", charging_state="Charging", extra={"meterValue": [trigger_reading()]})


@case(
    "TC_F_15_CSMS",
    requirements=("F06.FR.01",),
    catches={"idle-status-rejected": r"LogStatusNotificationRequest with CALLERROR"},
)
async def test_TC_F_15_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage LogStatusNotification while no upload runs (F06): status Idle."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends TriggerMessageRequest LogStatusNotification; the OCTT accepts"):
        await trigger(station, actions, "TC_F_15_CSMS", "LogStatusNotification")
    with step("3-4: the OCTT sends LogStatusNotificationRequest Idle"):
        await station.call_ok("LogStatusNotification", {"status": "Idle"})


@case(
    "TC_F_18_CSMS",
    requirements=("F06.FR.01",),
    catches={"idle-status-rejected": r"FirmwareStatusNotificationRequest with CALLERROR"},
)
async def test_TC_F_18_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage FirmwareStatusNotification while no update runs (F06): status Idle."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends TriggerMessageRequest FirmwareStatusNotification; the OCTT accepts"):
        await trigger(station, actions, "TC_F_18_CSMS", "FirmwareStatusNotification")
    with step("3-4: the OCTT sends FirmwareStatusNotificationRequest Idle"):
        await station.call_ok("FirmwareStatusNotification", {"status": "Idle"})


@case("TC_F_23_CSMS", requirements=("F06.FR.01", "F06.FR.02", "F06.FR.13"), catches=TRIGGER_EVSE)
async def test_TC_F_23_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage StatusNotification for an available connector (F06)."""
    await states.csms_booted(station, sut)
    evse_id, connector_id = first_connector(sut)
    with step("1-2: the CSMS sends TriggerMessageRequest StatusNotification for the EVSE; the OCTT accepts"):
        where = {"id": evse_id, "connectorId": connector_id}
        await trigger(station, actions, "TC_F_23_CSMS", "StatusNotification", evse=where)
    with step("3-4: the OCTT reports the connector Available"):
        await notify_connectors(
            station, sut, "Available", skip=connectors_outside(sut, evse_id, connector_id)
        )


@case("TC_F_24_CSMS", requirements=("F06.FR.01", "F06.FR.02", "F06.FR.13"), catches=TRIGGER_EVSE)
async def test_TC_F_24_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """TriggerMessage StatusNotification for an occupied connector (F06)."""
    await states.csms_booted(station, sut)
    evse_id, connector_id = first_connector(sut)
    others = connectors_outside(sut, evse_id, connector_id)
    with step("1-2: the OCTT reports the connector Occupied"):
        await notify_connectors(station, sut, "Occupied", skip=others)
    with step("3-4: the CSMS sends TriggerMessageRequest StatusNotification for the EVSE; the OCTT accepts"):
        where = {"id": evse_id, "connectorId": connector_id}
        await trigger(station, actions, "TC_F_24_CSMS", "StatusNotification", evse=where, first=3)
    with step("5-6: the OCTT reports the connector Occupied"):
        await notify_connectors(station, sut, "Occupied", skip=others)

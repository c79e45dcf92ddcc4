"""Block E, Transactions: CSMS under test (Part 6 section 3.6).

The harness plays the charging station; every case starts from Reusable State Booted (Table 698).
Part 6 lists StatusNotificationRequest or NotifyEventRequest for a connector change; the harness
sends StatusNotificationRequest (the message every CSMS must take).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conformance.errors import ConformanceFailure
from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.session import ReceivedCall
from conformance.session.states.common import id_token_of, now
from conformance.session.states.csms import SimulatedTransaction, report_connector
from conformance.testing import case, check, check_equal, check_in, step

MISSING_INFO = "transaction-response-missing-idtokeninfo"
TX_CALLERROR = r"TransactionEventRequest with CALLERROR"


@contextmanager
def scenario_step(case_id: str, numbers: str, title: str) -> Iterator[None]:
    """A step of the case's own scenario: a refusal in it (a CALLERROR where a response was
    required) names the case step, so a failure is told apart from one in a Before state."""
    with step(f"{numbers}: {title}"):
        try:
            yield
        except ConformanceFailure as exc:
            # schema violations, timeouts and checks that name their step already: as they are
            if type(exc) is not ConformanceFailure or f"({case_id} " in str(exc):
                raise
            raise ConformanceFailure(f"{exc} ({case_id} step {numbers})") from None


def refused(where: str) -> str:
    """The failure of a CSMS that answers the case's TransactionEventRequest with a CALLERROR."""
    return rf"TransactionEventRequest with CALLERROR .*\({where}\)"


async def operator_request(
    actions: Any, station: HarnessStation, action: str, request: dict[str, Any]
) -> ReceivedCall:
    """Ask the CSMS (operator action) to send `action`; return the request as the station got it.

    The driver call returns once the CSMS has the station's answer, so it runs beside the expect;
    an unsupported action (ActionUnsupported, the case is skipped) surfaces at once.
    """
    perform = asyncio.ensure_future(
        actions.perform(action, {"station_id": station.station_id, "request": request})
    )
    expect = asyncio.ensure_future(station.expect(action))
    try:
        done, _ = await asyncio.wait({perform, expect}, return_when=asyncio.FIRST_EXCEPTION)
        for task in (perform, expect):
            if task in done and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        received = await expect
        await asyncio.wait_for(perform, station.timeout)
        return received
    finally:
        for task in (perform, expect):
            task.cancel()


def check_status(response: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    check_in(response.get("idTokenInfo", {}).get("status"), allowed, f"{what}.idTokenInfo.status")


async def booted_transaction(station: HarnessStation, sut: Any) -> SimulatedTransaction:
    await states.csms_booted(station, sut)
    return SimulatedTransaction(station, sut)


async def authorize_valid(station: HarnessStation, sut: Any, case_id: str) -> None:
    """Steps 1-2 of TC_E_01/02/10/11_CSMS: AuthorizeRequest with the valid idToken, Accepted."""
    with step("1-2: the OCTT sends AuthorizeRequest with the valid idToken"):
        response = await station.call_ok("Authorize", {"idToken": id_token_of(sut.tokens.valid)})
        check_status(response, ("Accepted",), f"AuthorizeResponse ({case_id} step 2)")


async def to_stop_authorized(tx: SimulatedTransaction) -> None:
    """Reusable State StopAuthorized with its Before (EnergyTransferStarted, Tables 703, 705)."""
    await tx.energy_transfer_started()
    await tx.stop_authorized()


async def to_post_session(tx: SimulatedTransaction) -> None:
    """Reusable State EVConnectedPostSession with its Before (Table 706)."""
    await to_stop_authorized(tx)
    await tx.ev_connected_post_session()


# ---------------------------------------------------------------- start options (E01, E02, E03)
@case(
    "TC_E_01_CSMS",
    requirements=("E01.FR.05",),
    catches={
        MISSING_INFO: r"TransactionEventResponse \(TC_E_01_CSMS step 6\)\.idTokenInfo\.status",
        "rejects-suspended-states": refused("TC_E_01_CSMS step 5-6"),
    },
)
async def test_TC_E_01_CSMS(station: HarnessStation, sut: Any) -> None:
    """Start transaction options, PowerPathClosed (E01 S5).

    Ambiguity: Part 6 gives no triggerReason for steps 5 and 7; the harness uses ChargingStateChanged
    (the power path closing is a charging state change), SuspendedEVSE then Charging.
    """
    tx = await booted_transaction(station, sut)
    await authorize_valid(station, sut, "TC_E_01_CSMS")
    with scenario_step("TC_E_01_CSMS", "3-4", "the OCTT reports the connector Occupied"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Occupied")
    with scenario_step(
        "TC_E_01_CSMS",
        "5-6",
        "TransactionEventRequest Started, SuspendedEVSE, with the valid idToken and the EVSE",
    ):
        response = await tx.event("ChargingStateChanged", charging_state="SuspendedEVSE", id_token=tx.token)
        check_status(response, ("Accepted",), "TransactionEventResponse (TC_E_01_CSMS step 6)")
    with scenario_step(
        "TC_E_01_CSMS", "7-8", "TransactionEventRequest Updated, ChargingStateChanged, Charging"
    ):
        await tx.event("ChargingStateChanged", charging_state="Charging")


@case(
    "TC_E_02_CSMS",
    requirements=("E01.FR.06",),
    catches={MISSING_INFO: r"TransactionEventResponse \(TC_E_02_CSMS step 6\)\.idTokenInfo\.status"},
)
async def test_TC_E_02_CSMS(station: HarnessStation, sut: Any) -> None:
    """Start transaction options, EnergyTransfer (E01 S6): the transaction starts with the energy
    transfer (triggerReason ChargingStateChanged, Charging: Part 6 names neither)."""
    tx = await booted_transaction(station, sut)
    await authorize_valid(station, sut, "TC_E_02_CSMS")
    with scenario_step("TC_E_02_CSMS", "3-4", "the OCTT reports the connector Occupied"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Occupied")
    with scenario_step(
        "TC_E_02_CSMS",
        "5-6",
        "TransactionEventRequest Started, Charging, with the valid idToken and the EVSE",
    ):
        response = await tx.event("ChargingStateChanged", charging_state="Charging", id_token=tx.token)
        check_status(response, ("Accepted",), "TransactionEventResponse (TC_E_02_CSMS step 6)")


@case(
    "TC_E_03_CSMS",
    requirements=("E02.FR.02",),
    catches={
        "started-requires-idtoken": TX_CALLERROR,
        MISSING_INFO: r"idTokenInfo\.status \(Authorized step 4\)",
    },
)
async def test_TC_E_03_CSMS(station: HarnessStation, sut: Any) -> None:
    """Local start transaction, cable plugin first, Success (E02). Before: EVConnectedPreSession."""
    tx = await booted_transaction(station, sut)
    await tx.ev_connected_pre_session()
    with scenario_step("TC_E_03_CSMS", "1", "Reusable State Authorized"):
        await tx.authorize()
    with scenario_step("TC_E_03_CSMS", "2", "Reusable State EnergyTransferStarted"):
        await tx.energy_transfer_started()


@case(
    "TC_E_04_CSMS",
    requirements=("E03.FR.02",),
    catches={MISSING_INFO: r"idTokenInfo\.status \(Authorized step 4\)"},
)
async def test_TC_E_04_CSMS(station: HarnessStation, sut: Any) -> None:
    """Local start transaction, authorization first, Success (E03)."""
    tx = await booted_transaction(station, sut)
    with scenario_step("TC_E_04_CSMS", "1", "Reusable State Authorized"):
        await tx.authorize()
    with scenario_step("TC_E_04_CSMS", "2", "Reusable State EnergyTransferStarted"):
        await tx.energy_transfer_started()


@case(
    "TC_E_09_CSMS",
    requirements=("E01.FR.02",),
    catches={"started-requires-idtoken": refused("TC_E_09_CSMS step 3-4")},
)
async def test_TC_E_09_CSMS(station: HarnessStation, sut: Any) -> None:
    """Start transaction options, EVConnected (E01 S2): the transaction starts at cable plug-in."""
    tx = await booted_transaction(station, sut)
    with scenario_step("TC_E_09_CSMS", "1-2", "the OCTT reports the connector Occupied"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Occupied")
    with scenario_step(
        "TC_E_09_CSMS", "3-4", "TransactionEventRequest Started, CablePluggedIn, EVConnected, with the EVSE"
    ):
        await tx.event("CablePluggedIn", charging_state="EVConnected")


@case(
    "TC_E_10_CSMS",
    requirements=("E01.FR.03",),
    catches={MISSING_INFO: r"TransactionEventResponse \(TC_E_10_CSMS step 4\)\.idTokenInfo\.status"},
)
async def test_TC_E_10_CSMS(station: HarnessStation, sut: Any) -> None:
    """Start transaction options, Authorized, Local (E01 S3)."""
    tx = await booted_transaction(station, sut)
    await authorize_valid(station, sut, "TC_E_10_CSMS")
    with scenario_step(
        "TC_E_10_CSMS", "3-4", "TransactionEventRequest Started, Authorized, with the valid idToken"
    ):
        response = await tx.event("Authorized", id_token=tx.token)
        check_status(response, ("Accepted",), "TransactionEventResponse (TC_E_10_CSMS step 4)")


def signed_begin_reading() -> list[dict[str, Any]]:
    """TC_E_11_CSMS step 5: a Transaction.Begin reading of 0.0 with a generated SignedMeterValueType
    (the CSMS is not asked to verify the signature, only to take the event)."""
    signed = {
        "signedMeterData": "T0NUVC1SRUZFUkVOQ0UtUkVBRElORy0wLjA=",
        "signingMethod": "ECDSA-secp256r1-SHA256",
        "encodingMethod": "OCMF",
        "publicKey": "T0NUVC1SRUZFUkVOQ0UtS0VZ",
    }
    sample = {"value": 0.0, "context": "Transaction.Begin", "signedMeterValue": signed}
    return [{"timestamp": now(), "sampledValue": [sample]}]


@case(
    "TC_E_11_CSMS",
    requirements=("E01.FR.04",),
    catches={
        "trigger-reason-subset": refused("TC_E_11_CSMS step 5-6"),
        MISSING_INFO: r"TransactionEventResponse \(TC_E_11_CSMS step 6\)\.idTokenInfo\.status",
    },
)
async def test_TC_E_11_CSMS(station: HarnessStation, sut: Any) -> None:
    """Start transaction options, DataSigned (E01 S4)."""
    tx = await booted_transaction(station, sut)
    await authorize_valid(station, sut, "TC_E_11_CSMS")
    with scenario_step("TC_E_11_CSMS", "3-4", "the OCTT reports the connector Occupied"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Occupied")
    with scenario_step(
        "TC_E_11_CSMS",
        "5-6",
        "TransactionEventRequest Started, SignedDataReceived, signed Transaction.Begin reading",
    ):
        response = await tx.event(
            "SignedDataReceived", id_token=tx.token, extra={"meterValue": signed_begin_reading()}
        )
        check_status(response, ("Accepted",), "TransactionEventResponse (TC_E_11_CSMS step 6)")
    with scenario_step(
        "TC_E_11_CSMS", "7-8", "TransactionEventRequest Updated, ChargingStateChanged, Charging"
    ):
        await tx.event("ChargingStateChanged", charging_state="Charging")


@case(
    "TC_E_12_CSMS",
    requirements=("E01.FR.01",),
    catches={
        "trigger-reason-subset": refused("TC_E_12_CSMS step 1-2"),
        "started-requires-idtoken": refused("TC_E_12_CSMS step 1-2"),
    },
)
async def test_TC_E_12_CSMS(station: HarnessStation, sut: Any) -> None:
    """Start transaction options, ParkingBayOccupied (E01 S1)."""
    tx = await booted_transaction(station, sut)
    with scenario_step("TC_E_12_CSMS", "1-2", "TransactionEventRequest Started, EVDetected"):
        await tx.event("EVDetected")


@case(
    "TC_E_38_CSMS",
    catches={"rejects-suspended-states": refused("TC_E_38_CSMS step 2-3")},
)
async def test_TC_E_38_CSMS(station: HarnessStation, sut: Any) -> None:
    """Local start transaction, EV not ready (E03). Before: Authorized."""
    tx = await booted_transaction(station, sut)
    await tx.authorize()
    with scenario_step(
        "TC_E_38_CSMS", "1", "Reusable State EVConnectedPreSession (Updated: the transaction is authorized)"
    ):
        await tx.ev_connected_pre_session()
    with scenario_step(
        "TC_E_38_CSMS", "2-3", "TransactionEventRequest Updated, ChargingStateChanged, SuspendedEV"
    ):
        await tx.event("ChargingStateChanged", charging_state="SuspendedEV")


@case(
    "TC_E_53_CSMS",
    requirements=("E01.FR.07",),
    catches={"seqno-per-station": refused("TC_E_53_CSMS step 3")},
)
async def test_TC_E_53_CSMS(station: HarnessStation, sut: Any) -> None:
    """Reset sequence number: the CSMS takes seqNo 0 at the start of every transaction (E01).

    EVDisconnected runs with its Before (StopAuthorized, EVConnectedPostSession; Table 707).
    """
    await states.csms_booted(station, sut)
    for first, second in (("1", "2"), ("3", "4")):
        tx = SimulatedTransaction(station, sut)
        with scenario_step("TC_E_53_CSMS", first, "Reusable State EnergyTransferStarted, from seqNo 0"):
            await tx.energy_transfer_started()  # the Started event carries seqNo 0; call_ok needs an answer
        with scenario_step("TC_E_53_CSMS", second, "Reusable State EVDisconnected"):
            await tx.stop_authorized()
            await tx.ev_connected_post_session()
            await tx.ev_disconnected()


# ---------------------------------------------------------------- stop options (E06, E10)
@case(
    "TC_E_07_CSMS",
    requirements=("E06.FR.06",),
    catches={"ended-requires-meter-value": refused("TC_E_07_CSMS step 1-2")},
)
async def test_TC_E_07_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, PowerPathClosed, local stop (E06 S5). Before: EnergyTransferStarted."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    with scenario_step(
        "TC_E_07_CSMS", "1-2", "TransactionEventRequest Ended, StopAuthorized, stoppedReason Local"
    ):
        await tx.event("StopAuthorized", stopped_reason="Local", id_token=tx.token, ended=True)


@case(
    "TC_E_08_CSMS",
    requirements=("E06.FR.07",),
    catches={"ended-requires-meter-value": refused("TC_E_08_CSMS step 1-2")},
)
async def test_TC_E_08_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, EnergyTransfer stopped, StopAuthorized (E06 S6). Before: StopAuthorized."""
    tx = await booted_transaction(station, sut)
    await to_stop_authorized(tx)
    with scenario_step(
        "TC_E_08_CSMS",
        "1-2",
        "TransactionEventRequest Ended, ChargingStateChanged, EVConnected, stoppedReason Local",
    ):
        await tx.event(
            "ChargingStateChanged", charging_state="EVConnected", stopped_reason="Local", ended=True
        )


@case(
    "TC_E_14_CSMS",
    requirements=("E06.FR.02",),
    catches={"ended-requires-meter-value": refused("TC_E_14_CSMS step 1")},
)
async def test_TC_E_14_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, EVDisconnected, Charging Station side (E06 S2).
    Before: EVConnectedPostSession."""
    tx = await booted_transaction(station, sut)
    await to_post_session(tx)
    with scenario_step("TC_E_14_CSMS", "1", "Reusable State EVDisconnected"):
        await tx.ev_disconnected()


@case(
    "TC_E_15_CSMS",
    requirements=("E06.FR.03",),
    catches={MISSING_INFO: r"idTokenInfo\.status \(Authorized step 4\)"},
)
async def test_TC_E_15_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, StopAuthorized, Local (E06 S3). Before: EnergyTransferStarted.

    The stop is authorized locally with the valid idToken (Part 6 lists no tool validation here).
    """
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    with scenario_step("TC_E_15_CSMS", "1-2", "TransactionEventRequest Updated, StopAuthorized"):
        await tx.event("StopAuthorized", id_token=tx.token)


@case(
    "TC_E_16_CSMS",
    requirements=("E06.FR.04", "E01.FR.11", "E01.FR.12"),
    catches={
        "invalid-token-accepted": r"TransactionEventResponse \(TC_E_16_CSMS step 2\)\.idTokenInfo\.status",
        "trigger-reason-subset": refused("TC_E_16_CSMS step 3-4"),
    },
)
async def test_TC_E_16_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, Deauthorized, invalid idToken (E06 S3)."""
    tx = await booted_transaction(station, sut)
    with scenario_step(
        "TC_E_16_CSMS", "1-2", "TransactionEventRequest Started, Authorized, with the invalid idToken"
    ):
        response = await tx.event("Authorized", id_token=id_token_of(sut.tokens.invalid))
        check_status(response, ("Invalid", "Unknown"), "TransactionEventResponse (TC_E_16_CSMS step 2)")
    with scenario_step(
        "TC_E_16_CSMS", "3-4", "TransactionEventRequest Ended, Deauthorized, stoppedReason DeAuthorized"
    ):
        await tx.event("Deauthorized", stopped_reason="DeAuthorized", ended=True)


@case(
    "TC_E_17_CSMS",
    requirements=("E06.FR.04",),
    catches={"ended-requires-meter-value": refused("TC_E_17_CSMS step 1-2")},
)
async def test_TC_E_17_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, Deauthorized, EV side disconnect (E06 S3).
    Before: EnergyTransferSuspended."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    await tx.energy_transfer_suspended()
    with scenario_step(
        "TC_E_17_CSMS",
        "1-2",
        "TransactionEventRequest Ended, EVCommunicationLost, Idle, stoppedReason EVDisconnected",
    ):
        await tx.event(
            "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected", ended=True
        )


@case(
    "TC_E_19_CSMS",
    requirements=("E06.FR.01",),
    catches={"trigger-reason-subset": refused("TC_E_19_CSMS step 1-2")},
)
async def test_TC_E_19_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, ParkingBayUnoccupied (E06 S1). Before: EVDisconnected.

    Ambiguity: Table 707 ends the transaction, yet this case ends it on EVDeparted; with the stop
    point ParkingBayOccupancy the cable's removal only updates the transaction, so the harness sends
    EVDisconnected's event as Updated (no stoppedReason) and Ended on EVDeparted.
    """
    tx = await booted_transaction(station, sut)
    await to_post_session(tx)
    with step("EVDisconnected 1-2: the OCTT reports the connector Available"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Available")
    with step("EVDisconnected 3-4: TransactionEventRequest Updated, EVCommunicationLost, Idle"):
        await tx.event("EVCommunicationLost", charging_state="Idle")
    with scenario_step(
        "TC_E_19_CSMS", "1-2", "TransactionEventRequest Ended, EVDeparted, stoppedReason Local"
    ):
        await tx.event("EVDeparted", stopped_reason="Local", ended=True)


@case(
    "TC_E_20_CSMS",
    requirements=("E06.FR.02",),
    catches={"ended-requires-meter-value": refused("TC_E_20_CSMS step 1")},
)
async def test_TC_E_20_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, EVDisconnected, EV side (E06 S2, E10). Before: EnergyTransferSuspended.

    Ambiguity: EVDisconnected's Before (StopAuthorized, Table 707) would make this a stop by the
    driver; the case is a stop by the EV's disconnection, so only EVDisconnected's steps run.
    """
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    await tx.energy_transfer_suspended()
    with scenario_step("TC_E_20_CSMS", "1", "Reusable State EVDisconnected"):
        await tx.ev_disconnected()


@case(
    "TC_E_21_CSMS",
    requirements=("E06.FR.03", "F03.FR.01", "F03.FR.09", "F03.FR.10"),
    catches={
        "stop-wrong-transaction": r"RequestStopTransactionRequest\.transactionId \(TC_E_21_CSMS step 1\)"
    },
    actions=("RequestStopTransaction",),
)
async def test_TC_E_21_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Stop transaction options, StopAuthorized, Remote (E06 S3, F03). Before: EnergyTransferStarted."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    with scenario_step(
        "TC_E_21_CSMS", "1-2", "the CSMS sends RequestStopTransactionRequest; the OCTT answers Accepted"
    ):
        station.on("RequestStopTransaction", {"status": "Accepted"})
        received = await operator_request(
            actions, station, "RequestStopTransaction", {"transactionId": tx.transaction_id}
        )
        check_equal(
            received.payload.get("transactionId"),
            tx.transaction_id,
            "RequestStopTransactionRequest.transactionId (TC_E_21_CSMS step 1)",
        )
    with scenario_step(
        "TC_E_21_CSMS", "3-4", "TransactionEventRequest Ended, RemoteStop, stoppedReason Remote"
    ):
        await tx.event("RemoteStop", stopped_reason="Remote", ended=True)


@case(
    "TC_E_22_CSMS",
    requirements=("E06.FR.07",),
    catches={
        "rejects-suspended-states": refused("TC_E_22_CSMS step 1-2"),
        "ended-requires-meter-value": refused("TC_E_22_CSMS step 1-2"),
    },
)
async def test_TC_E_22_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, EnergyTransfer stopped, SuspendedEV (E06 S6).
    Before: EnergyTransferStarted."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    with scenario_step(
        "TC_E_22_CSMS", "1-2", "TransactionEventRequest Ended, ChargingStateChanged, SuspendedEV, StoppedByEV"
    ):
        await tx.event(
            "ChargingStateChanged", charging_state="SuspendedEV", stopped_reason="StoppedByEV", ended=True
        )


@case(
    "TC_E_26_CSMS",
    requirements=("E10.FR.01",),
    catches={"ev-communication-lost-ends-transaction": refused("TC_E_26_CSMS step 5-6")},
)
async def test_TC_E_26_CSMS(station: HarnessStation, sut: Any) -> None:
    """Disconnect cable on EV side, suspend transaction (E10). Before: EnergyTransferSuspended."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    await tx.energy_transfer_suspended()
    with scenario_step("TC_E_26_CSMS", "1-2", "TransactionEventRequest Updated, EVCommunicationLost, Idle"):
        await tx.event("EVCommunicationLost", charging_state="Idle")
    with scenario_step("TC_E_26_CSMS", "3-4", "the OCTT reports the connector Available"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Available")
    with scenario_step("TC_E_26_CSMS", "5-6", "TransactionEventRequest Updated, CablePluggedIn, EVConnected"):
        await tx.event("CablePluggedIn", charging_state="EVConnected")
    with scenario_step(
        "TC_E_26_CSMS", "7-8", "TransactionEventRequest Updated, ChargingStateChanged, Charging"
    ):
        await tx.event("ChargingStateChanged", charging_state="Charging")


@case(
    "TC_E_39_CSMS",
    requirements=("E03.FR.04", "E03.FR.05", "E06.FR.04"),
    catches={"trigger-reason-subset": refused("TC_E_39_CSMS step 1-2")},
)
async def test_TC_E_39_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop transaction options, Deauthorized, timeout (E03, E06). Before: Authorized.

    Part 6 names only the triggerReason; as E03.FR.05 has it, the timed-out transaction ends
    (eventType Ended, stoppedReason Timeout). The harness's EV connection timeout is over at once.
    """
    tx = await booted_transaction(station, sut)
    await tx.authorize()
    with scenario_step(
        "TC_E_39_CSMS", "1-2", "TransactionEventRequest Ended, EVConnectTimeout, stoppedReason Timeout"
    ):
        await tx.event("EVConnectTimeout", stopped_reason="Timeout", ended=True)


# ---------------------------------------------------------------- E14: GetTransactionStatus
def check_status_request(received: ReceivedCall, transaction_id: str | None, where: str) -> None:
    if transaction_id is None:
        check(
            "transactionId" not in received.payload,
            f"GetTransactionStatusRequest.transactionId must be omitted ({where}),"
            f" got {received.payload.get('transactionId')!r}",
        )
    else:
        check_equal(
            received.payload.get("transactionId"),
            transaction_id,
            f"GetTransactionStatusRequest.transactionId ({where})",
        )


async def go_offline_and_back(station: HarnessStation) -> None:
    """Steps 1-2 of TC_E_29/31/33_CSMS: the connection closes and the station reconnects (without a
    new boot: it did not reboot). The configured transaction duration is not waited: the CSMS cannot
    tell, and waits come from events only."""
    with step("1-2: the OCTT closes the WebSocket connection, then reconnects"):
        await station.reconnect()


def meter_reading() -> list[dict[str, Any]]:
    return [{"timestamp": now(), "sampledValue": [{"value": 1000.0}]}]


@case(
    "TC_E_29_CSMS",
    requirements=("E14.FR.02", "E14.FR.04"),
    catches={
        "transaction-status-drops-id": r"GetTransactionStatusRequest\.transactionId \(TC_E_29_CSMS step 3\)"
    },
    actions=("GetTransactionStatus",),
)
async def test_TC_E_29_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Check transaction status, transaction ongoing, with messages in queue (E14)."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    await go_offline_and_back(station)
    with step("3-4: the CSMS sends GetTransactionStatusRequest; ongoing, messages in queue"):
        station.on("GetTransactionStatus", {"ongoingIndicator": True, "messagesInQueue": True})
        received = await operator_request(
            actions, station, "GetTransactionStatus", {"transactionId": tx.transaction_id}
        )
        check_status_request(received, tx.transaction_id, "TC_E_29_CSMS step 3")
    with step("5-6: TransactionEventRequest Updated, offline, with meter values"):
        await tx.event("MeterValuePeriodic", extra={"offline": True, "meterValue": meter_reading()})


@case(
    "TC_E_30_CSMS",
    requirements=("E14.FR.02", "E14.FR.05"),
    catches={
        "transaction-status-drops-id": r"GetTransactionStatusRequest\.transactionId \(TC_E_30_CSMS step 1\)"
    },
    actions=("GetTransactionStatus",),
)
async def test_TC_E_30_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Check transaction status, transaction ongoing, without messages in queue (E14)."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    with step("1-2: the CSMS sends GetTransactionStatusRequest; ongoing, no messages in queue"):
        station.on("GetTransactionStatus", {"ongoingIndicator": True, "messagesInQueue": False})
        received = await operator_request(
            actions, station, "GetTransactionStatus", {"transactionId": tx.transaction_id}
        )
        check_status_request(received, tx.transaction_id, "TC_E_30_CSMS step 1")


@case(
    "TC_E_31_CSMS",
    requirements=("E14.FR.03", "E14.FR.04"),
    catches={
        "transaction-status-drops-id": r"GetTransactionStatusRequest\.transactionId \(TC_E_31_CSMS step 7\)"
    },
    actions=("GetTransactionStatus",),
)
async def test_TC_E_31_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Check transaction status, transaction ended, with messages in queue (E14).

    The Ended event comes first and skips two seqNo values; the two queued Updated events follow
    with them (the validation Part 6 puts on "Step 5" is read as the GetTransactionStatusRequest's,
    step 7).
    """
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    await go_offline_and_back(station)
    with step("3-4: the OCTT reports the connector Available"):
        await report_connector(station, tx.evse_id, tx.connector_id, "Available")
    skipped = tx.seq_no
    with step("5-6: TransactionEventRequest Ended, offline, EVCommunicationLost, Idle; seqNo skips two"):
        tx.seq_no = skipped + 2
        await tx.event(
            "EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
            ended=True,
            extra={"offline": True},
        )
    with step("7-8: the CSMS sends GetTransactionStatusRequest; ended, messages in queue"):
        station.on("GetTransactionStatus", {"ongoingIndicator": False, "messagesInQueue": True})
        received = await operator_request(
            actions, station, "GetTransactionStatus", {"transactionId": tx.transaction_id}
        )
        check_status_request(received, tx.transaction_id, "TC_E_31_CSMS step 7")
    with step("9-10: TransactionEventRequest Updated, offline, StopAuthorized, first skipped seqNo"):
        tx.seq_no = skipped
        await tx.event("StopAuthorized", id_token=tx.token, extra={"offline": True})
    with step("11-12: TransactionEventRequest Updated, offline, EVConnected, second skipped seqNo"):
        await tx.event("ChargingStateChanged", charging_state="EVConnected", extra={"offline": True})


@case(
    "TC_E_33_CSMS",
    requirements=("E14.FR.06", "E14.FR.07"),
    catches={"transaction-status-adds-id": r"GetTransactionStatusRequest\.transactionId must be omitted"},
    actions=("GetTransactionStatus",),
)
async def test_TC_E_33_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Check transaction status without transactionId, with messages in queue (E14)."""
    tx = await booted_transaction(station, sut)
    await tx.energy_transfer_started()
    await go_offline_and_back(station)
    with step("3-4: the CSMS sends GetTransactionStatusRequest without transactionId; messages in queue"):
        station.on("GetTransactionStatus", {"messagesInQueue": True})
        received = await operator_request(actions, station, "GetTransactionStatus", {})
        check_status_request(received, None, "TC_E_33_CSMS step 3")
    with step("5-6: TransactionEventRequest Updated, offline, with meter values"):
        await tx.event("MeterValuePeriodic", extra={"offline": True, "meterValue": meter_reading()})


@case(
    "TC_E_34_CSMS",
    requirements=("E14.FR.06", "E14.FR.08"),
    catches={"transaction-status-adds-id": r"GetTransactionStatusRequest\.transactionId must be omitted"},
    actions=("GetTransactionStatus",),
)
async def test_TC_E_34_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Check transaction status without transactionId, without messages in queue (E14)."""
    await states.csms_booted(station, sut)
    with step("1-2: the CSMS sends GetTransactionStatusRequest without transactionId; none in queue"):
        station.on("GetTransactionStatus", {"messagesInQueue": False})
        received = await operator_request(actions, station, "GetTransactionStatus", {})
        check_status_request(received, None, "TC_E_34_CSMS step 1")

"""Transactions (E01-E09, F01-F04): TxStartPoint / TxStopPoint, TransactionEvent sequencing, sampling.

Each physical or remote event calls one of the `on_*` functions; they update the EVSE and send the
TransactionEvents Part 6's reusable states expect: the message of the triggering event first, then a
ChargingStateChanged one when the charging state moves on.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import TYPE_CHECKING, Any

from conformance.reference.station.meter import integrate, meter_value
from conformance.reference.station.model import Evse, Transaction
from conformance.reference.station.outbox import CallFailed, Offline

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


def charging_state(evse: Evse) -> str:
    if not evse.plugged:
        return "Idle"
    if evse.id_token is None:
        return "EVConnected"
    if evse.tx is not None and evse.tx.deauthorized:
        return "SuspendedEVSE"
    return "SuspendedEV" if evse.ev_suspended else "Charging"


# Station defaults: a mutant acting on these whatever TxStartPoint / TxStopPoint say (TC_E_01-22_CS).
_DEFAULT_START, _DEFAULT_STOP = ["PowerPathClosed"], {"EVConnected", "Authorized"}


def _start_points(st: StationCore) -> list[str]:
    if st.is_mutant("tx-start-point-ignored"):  # E01.FR.01-06 broken on purpose
        return list(_DEFAULT_START)
    return st.dm.get_list("TxCtrlr", "TxStartPoint")


def _start_checks(st: StationCore, evse: Evse) -> dict[str, bool]:
    authorized = evse.id_token is not None
    return {
        "EVConnected": evse.plugged,
        "Authorized": authorized,
        "PowerPathClosed": evse.plugged and authorized,
        # E01.FR.04: the signed meter reading is taken as the power path is about to close
        "DataSigned": evse.plugged and authorized,
        "EnergyTransfer": evse.plugged and authorized and not evse.ev_suspended,
        "ParkingBayOccupancy": evse.parking_occupied,
    }


def _start_condition(st: StationCore, evse: Evse) -> bool:
    checks = _start_checks(st, evse)
    return any(checks.get(p, False) for p in _start_points(st))


def _only_start_point(st: StationCore, evse: Evse) -> str | None:
    """The start point that alone starts the transaction now (its own trigger: E01.FR.04, E01.FR.06)."""
    checks = _start_checks(st, evse)
    holding = [p for p in _start_points(st) if checks.get(p, False)]
    return holding[0] if len(holding) == 1 else None


# E06 (TC_E_07/08/14/15/19-22/35/37_CS): each mutant ignores one configured TxStopPoint value.
_STOP_POINT_MUTANTS = {
    "tx-stop-point-evconnected-ignored": "EVConnected",
    "tx-stop-point-authorized-ignored": "Authorized",
    "tx-stop-point-powerpathclosed-ignored": "PowerPathClosed",
    "tx-stop-point-energytransfer-ignored": "EnergyTransfer",
    "tx-stop-point-parkingbay-ignored": "ParkingBayOccupancy",
}


def _stop_points(st: StationCore) -> set[str]:
    points = set(st.dm.get_list("TxCtrlr", "TxStopPoint"))
    return points - {p for m, p in _STOP_POINT_MUTANTS.items() if st.is_mutant(m)}


def send_tx_event(
    st: StationCore,
    evse: Evse,
    event_type: str,
    trigger: str,
    *,
    charging: str | None = None,
    stopped_reason: str | None = None,
    meter: list[dict[str, Any]] | None = None,
) -> None:
    tx = evse.tx
    if tx is None:
        return
    info: dict[str, Any] = {"transactionId": tx.transaction_id}
    if charging is not None and (charging != tx.charging_state or event_type != "Updated"):
        info["chargingState"] = charging
    if charging is not None:
        integrate(st, evse)
        tx.charging_state = charging
    if stopped_reason is not None:
        info["stoppedReason"] = stopped_reason
    # F01/F02: the remoteStartId goes into the Started event; the mutant leaves it out
    if tx.remote_start_id is not None and event_type == "Started" and not st.is_mutant(
        "remote-start-id-missing"
    ):
        info["remoteStartId"] = tx.remote_start_id
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": st.timestamp(),
        "triggerReason": trigger,
        "seqNo": tx.next_seq(),
        "transactionInfo": info,
    }
    if event_type == "Started" and st.is_mutant("tx-seqno-gap"):
        tx.seq_no += 1  # E01: seqNo must increase by one; broken on purpose
    # the evse is reported in the first event of the transaction, and in triggered ones (TC_F_14_CS)
    if not tx.evse_sent or trigger == "Trigger":
        payload["evse"] = {"id": evse.evse_id, "connectorId": tx.connector_id}
        tx.evse_sent = True
    if tx.id_token is not None and not tx.id_token_sent:
        payload["idToken"] = tx.id_token
        tx.id_token_sent = True
    if event_type == "Started" and evse.reservation_used is not None:
        payload["reservationId"] = evse.reservation_used
        evse.reservation_used = None
    if not st.outbox.is_open and not st.is_mutant("queued-events-not-offline"):  # E04 / TC_C_16/17_CS
        payload["offline"] = True
    if meter:
        payload["meterValue"] = meter
    if not st.outbox.is_open and st.is_mutant("offline-events-dropped"):  # E11.FR.01 / E12.FR.01 broken
        return
    future = st.outbox.submit("TransactionEvent", payload, queue_offline=True)
    if "idToken" in payload:
        st.spawn(_check_id_token(st, evse, tx, payload["idToken"], future))


async def _check_id_token(
    st: StationCore,
    evse: Evse,
    tx: Transaction,
    id_token: dict[str, Any],
    future: asyncio.Future[dict[str, Any]],
) -> None:
    """E05: the CSMS may say in its TransactionEventResponse that the id token is not valid."""
    try:
        response = await future
    except (Offline, CallFailed):
        return
    info = response.get("idTokenInfo")
    if not isinstance(info, dict):
        return
    from conformance.reference.station.auth import remember

    if not st.is_mutant("cache-not-updated-by-tx-response"):  # C10.FR.05 broken on purpose
        remember(st, id_token, info)
    group = info.get("groupIdToken")
    if isinstance(group, dict) and evse.id_token == id_token:  # C09: the GroupId may come from here
        evse.token_group = (id_token, group)
    if (
        info.get("status") == "Accepted"
        or evse.tx is not tx
        or st.is_mutant("keeps-charging-after-invalid-id")
    ):
        return
    # E05 / TC_C_17_CS: StopTxOnInvalidId false only suspends; the mutant always ends the transaction
    if st.dm.get_bool("TxCtrlr", "StopTxOnInvalidId") or st.is_mutant("stop-tx-on-invalid-id-ignored"):
        evse.id_token = None
        _end(st, evse, "Deauthorized", "DeAuthorized", charging="EVConnected" if evse.plugged else "Idle")
    elif st.dm.get_int("TxCtrlr", "MaxEnergyOnInvalidId") > 0 and not st.is_mutant(
        "max-energy-on-invalid-id-ignored"  # E05 / C-03 / TC_C_15_CS broken on purpose
    ):
        st.spawn(_suspend_after_max_energy(st, evse, tx))
    else:
        tx.deauthorized = True
        send_tx_event(st, evse, "Updated", "ChargingStateChanged", charging=charging_state(evse))


async def _suspend_after_max_energy(st: StationCore, evse: Evse, tx: Transaction) -> None:
    """E05 / C-03: with StopTxOnInvalidId false a deauthorized transaction may go on until it has
    delivered TxCtrlr.MaxEnergyOnInvalidId Wh; then the energy transfer is suspended (SuspendedEVSE)."""
    while evse.tx is tx:
        integrate(st, evse)
        left = st.dm.get_int("TxCtrlr", "MaxEnergyOnInvalidId") - (evse.meter_wh - tx.start_wh)
        if left <= 0:
            break
        charging = tx.charging_state == "Charging" and evse.power_w > 0
        await st.clock.sleep(max(0.1, left * 3600.0 / evse.power_w) if charging else 1.0)
    if evse.tx is tx:
        tx.deauthorized = True
        send_tx_event(st, evse, "Updated", "ChargingStateChanged", charging=charging_state(evse))


def _begin(st: StationCore, evse: Evse, trigger: str, trigger_state: str) -> None:
    tx = Transaction(str(uuid.uuid4()), evse.evse_id, evse.plugged_connector_id())
    tx.id_token = evse.id_token
    tx.remote_start_id = evse.remote_start_id
    evse.tx = tx
    integrate(st, evse)
    tx.start_wh = evse.meter_wh
    meter = meter_value(
        st, evse, st.dm.get_list("SampledDataCtrlr", "TxStartedMeasurands"), "Transaction.Begin"
    )
    if st.is_mutant("tx-started-no-meter"):  # J02 / TC_J_07_CS broken on purpose
        meter = []
    send_tx_event(st, evse, "Started", trigger, charging=trigger_state, meter=meter)
    st.spawn(_sampler(st, evse, tx))
    st.spawn(_tx_ended_sampler(st, evse, tx, aligned=False))
    st.spawn(_tx_ended_sampler(st, evse, tx, aligned=True))


def _end(st: StationCore, evse: Evse, trigger: str, reason: str, *, charging: str) -> None:
    tx = evse.tx
    if tx is None:
        return
    measurands = st.dm.get_list("SampledDataCtrlr", "TxEndedMeasurands")
    # J01/J02 (TC_J_03/10_CS): the TxEndedInterval readings go into the Ended event; the mutant drops them
    kept = [] if st.is_mutant("tx-ended-interval-values-dropped") else tx.ended_meter
    meter = kept + meter_value(st, evse, measurands, "Transaction.End")
    send_tx_event(st, evse, "Ended", trigger, charging=charging, stopped_reason=reason, meter=meter)
    evse.tx = None
    evse.id_token = None
    evse.remote_start_id = None
    evse.ended_txs.append(tx.transaction_id)
    _after_tx_end(st, evse)


def _after_tx_end(st: StationCore, evse: Evse) -> None:
    from conformance.reference.station.availability import apply_scheduled

    apply_scheduled(st, evse)


def _progress(st: StationCore, evse: Evse, trigger: str, trigger_state: str) -> None:
    """Start the transaction or report the event, then report a charging-state change."""
    if evse.tx is None:
        if _start_condition(st, evse):
            # F02 (TC_F_03_CS): a transaction that starts after RequestStartTransaction says RemoteStart
            remote = evse.remote_start_id is not None and evse.id_token is not None
            only = _only_start_point(st, evse)
            if only == "EnergyTransfer":  # E01.FR.06 (TC_E_02_CS): started by the charging state change
                trigger, trigger_state = "ChargingStateChanged", charging_state(evse)
            elif only == "DataSigned":  # E01.FR.04 (TC_E_11_CS): started by the signed meter data
                trigger = "SignedDataReceived"
            _begin(st, evse, "RemoteStart" if remote else trigger, trigger_state)
    else:
        if evse.tx.id_token is None and evse.id_token is not None:
            evse.tx.id_token = evse.id_token
            evse.tx.id_token_sent = False
        send_tx_event(st, evse, "Updated", trigger, charging=trigger_state)
    final = charging_state(evse)
    if final == "SuspendedEV" and st.is_mutant("ev-not-ready-reported-charging"):
        final = "Charging"  # E03 / TC_E_38_CS broken on purpose: an EV not ready reported as charging
    if evse.tx is not None and final != evse.tx.charging_state:
        send_tx_event(st, evse, "Updated", "ChargingStateChanged", charging=final)


# -- events ----------------------------------------------------------------------------------------
def on_plug_in(st: StationCore, evse: Evse) -> None:
    trigger = "Authorized" if st.is_mutant("wrong-trigger-reason") else "CablePluggedIn"
    _progress(st, evse, trigger, "EVConnected")


def on_unplug(st: StationCore, evse: Evse, *, ev_side: bool = False) -> None:
    """The EV is no longer connected: cable removed, or pulled out at the EV side (E09 / E10)."""
    if evse.tx is None or (ev_side and st.is_mutant("ev-side-disconnect-unnoticed")):
        return
    points = _stop_points(st)
    # E09 / E10: StopTxOnEVSideDisconnect is about the EV side only; a cable removed at the station side
    # ends the transaction per TxStopPoint (Part 6 EVDisconnected: otherwise Updated, EVCommunicationLost)
    stop_on_ev_side = ev_side and st.dm.get_bool("TxCtrlr", "StopTxOnEVSideDisconnect")
    if ev_side and st.is_mutant("stop-tx-on-ev-side-disconnect-inverted"):  # E09 / E10 broken on purpose
        stop_on_ev_side = not stop_on_ev_side
    if points & {"EVConnected", "PowerPathClosed", "EnergyTransfer"} or stop_on_ev_side:
        # TC_E_14_CS: after a stop authorization, the stoppedReason is how it was stopped (Local / Remote)
        _end(st, evse, "EVCommunicationLost", evse.tx.stop_reason or "EVDisconnected", charging="Idle")
    else:
        send_tx_event(st, evse, "Updated", "EVCommunicationLost", charging="Idle")


def on_authorized(st: StationCore, evse: Evse, trigger: str) -> None:
    """A locally presented (trigger Authorized) or remote (RemoteStart) authorization was accepted."""
    _progress(st, evse, trigger, "EVConnected" if evse.plugged else "Idle")
    if not evse.plugged:
        st.spawn(_connection_timeout(st, evse, evse.id_token))


async def _connection_timeout(st: StationCore, evse: Evse, id_token: dict[str, Any] | None) -> None:
    """TxCtrlr.EVConnectionTimeOut: an authorization without a cable plugged in expires (E03)."""
    await st.clock.sleep(st.dm.get_int("TxCtrlr", "EVConnectionTimeOut"))
    if evse.plugged or evse.id_token is not id_token or id_token is None:
        return
    if st.is_mutant("ev-connection-timeout-ignored"):  # E03.FR.05 broken on purpose
        return
    evse.id_token = None
    evse.remote_start_id = None
    if evse.tx is not None:
        _end(st, evse, "EVConnectTimeout", "Timeout", charging="Idle")


def on_fixed_cable_released(st: StationCore, evse: Evse) -> None:
    """HFS-2 (vendor switch ReferenceStation.FixedCable, TC_E_27_CS): the permanently attached cable left
    the EV. A transaction it suspended (E10) is deauthorized if the EV is not back within
    TxCtrlr.EVConnectionTimeOut (E10.FR.02)."""
    if evse.tx is not None and evse.id_token is not None:
        # a new identity voids E03's timer of the authorization (it was for the first plug-in only)
        evse.id_token = dict(evse.id_token)
        st.spawn(_ev_side_timeout(st, evse, evse.tx))


async def _ev_side_timeout(st: StationCore, evse: Evse, tx: Transaction) -> None:
    await st.clock.sleep(st.dm.get_int("TxCtrlr", "EVConnectionTimeOut"))
    if evse.plugged or evse.tx is not tx or evse.id_token is None:
        return
    if st.is_mutant("ev-side-timeout-ignored"):  # E10.FR.02 broken on purpose
        return
    evse.id_token = None
    evse.remote_start_id = None
    if "Authorized" in _stop_points(st):
        _end(st, evse, "EVConnectTimeout", "Timeout", charging="Idle")
    else:  # TxStopPoint ParkingBayOccupancy: deauthorized, it goes on until the bay is empty
        tx.deauthorized = True
        send_tx_event(st, evse, "Updated", "EVConnectTimeout", charging="Idle")


def on_stop_authorized(st: StationCore, evse: Evse, trigger: str, reason: str) -> None:
    """StopAuthorized (local, same token) or RemoteStop: end per TxStopPoint."""
    if evse.tx is None:
        return
    evse.id_token = None
    evse.tx.stop_reason = reason
    after = "EVConnected" if evse.plugged else "Idle"
    stops = bool(_stop_points(st) & {"Authorized", "PowerPathClosed", "EnergyTransfer"})
    if trigger == "RemoteStop":
        if stops:
            _end(st, evse, trigger, reason, charging=after)
        else:
            send_tx_event(st, evse, "Updated", trigger, charging=after)
        return
    send_tx_event(st, evse, "Updated", trigger)
    if stops:
        _end(st, evse, "ChargingStateChanged", reason, charging=after)
    else:
        send_tx_event(st, evse, "Updated", "ChargingStateChanged", charging=after)


def on_ev_charging_change(st: StationCore, evse: Evse) -> None:
    if evse.tx is not None and evse.ev_suspended and "EnergyTransfer" in _stop_points(st):
        # E06.FR.07 (TC_E_22_CS): TxStopPoint EnergyTransfer, the EV stops the energy transfer
        _end(st, evse, "ChargingStateChanged", "StoppedByEV", charging="EVConnected")
        return
    if evse.tx is not None and charging_state(evse) != evse.tx.charging_state:
        send_tx_event(st, evse, "Updated", "ChargingStateChanged", charging=charging_state(evse))
    elif evse.tx is None and _start_condition(st, evse):
        _begin(st, evse, "ChargingStateChanged", charging_state(evse))


def on_parking(st: StationCore, evse: Evse, occupied: bool) -> None:
    if occupied:
        if evse.tx is None and _start_condition(st, evse):
            _begin(st, evse, "EVDetected", charging_state(evse))
        return
    if evse.tx is not None and "ParkingBayOccupancy" in _stop_points(st):
        # TC_E_19_CS: after a stop authorization, the stoppedReason is how it was stopped (Local / Remote)
        _end(st, evse, "EVDeparted", evse.tx.stop_reason or "Other", charging=charging_state(evse))


def end_for_reset(st: StationCore, evse: Evse) -> None:
    # TC_B_22_CS step 3: the energy transfer stops, the EV stays connected (EVConnected, not Charging).
    state = "EVConnected" if evse.plugged else "Idle"
    if st.is_mutant("reset-ended-still-charging"):  # broken on purpose: the state before the stop
        state = charging_state(evse)
    _end(st, evse, "ResetCommand", "ImmediateReset", charging=state)


def end_all_for_reboot(st: StationCore, reason: str) -> None:
    for evse in st.evses.values():
        if evse.tx is None:
            continue
        if reason == "PowerUp":
            _end(st, evse, "AbnormalCondition", "PowerLoss", charging=charging_state(evse))
        else:
            end_for_reset(st, evse)


async def _sampler(st: StationCore, evse: Evse, tx: Transaction) -> None:
    """Periodic sampled meter values while the transaction runs (SampledDataCtrlr.TxUpdatedInterval)."""
    while evse.tx is tx:
        interval = st.dm.get_int("SampledDataCtrlr", "TxUpdatedInterval")
        if interval <= 0:
            await st.clock.sleep(1.0)
            continue
        await st.clock.sleep(interval)
        if evse.tx is not tx:
            return
        measurands = st.dm.get_list("SampledDataCtrlr", "TxUpdatedMeasurands")
        if st.is_mutant("meter-missing-measurand"):
            measurands = measurands[:-1]
        values = meter_value(st, evse, measurands, "Sample.Periodic")
        if values:
            send_tx_event(st, evse, "Updated", "MeterValuePeriodic", meter=values)


async def _tx_ended_sampler(st: StationCore, evse: Evse, tx: Transaction, *, aligned: bool) -> None:
    """Readings for the Ended event: every SampledDataCtrlr.TxEndedInterval seconds (Sample.Periodic), or
    at every multiple of AlignedDataCtrlr.TxEndedInterval since midnight UTC (Sample.Clock); 0 = none."""
    ctrlr = "AlignedDataCtrlr" if aligned else "SampledDataCtrlr"
    while evse.tx is tx:
        interval = st.dm.get_int(ctrlr, "TxEndedInterval")
        if interval <= 0:
            await st.clock.sleep(1.0)
            continue
        if aligned:
            await st.clock.sleep_until(math.floor(st.clock.now() / interval) * interval + interval)
        else:
            await st.clock.sleep(interval)
        if evse.tx is not tx or st.dm.get_int(ctrlr, "TxEndedInterval") != interval:
            continue
        measurands = st.dm.get_list(ctrlr, "TxEndedMeasurands")
        tx.ended_meter += meter_value(st, evse, measurands, "Sample.Clock" if aligned else "Sample.Periodic")

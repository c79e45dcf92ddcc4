"""Block J, Meter Values: charging station under test (Part 6 section 2.10, errata 2025-01 §6.2.15/16).

Intervals are configured short (INTERVAL seconds) so the cases stay fast against any station. Every case
applies errata §6.2.15: no sampledValue has location EV unless its measurand is SoC.

Readings of Part 6 where it is ambiguous (as a certification lab would):
- "An element per configured measurand": the configured list is read from the station (GetVariables);
  a sampledValue without measurand counts as Energy.Active.Import.Register (its default). Errata §6.2.16's
  per-phase elements (SupplyPhases) are not counted: at least one element per measurand is required.
- Timestamp intervals "must equal" the configured interval: each gap between distinct timestamps may
  differ from it by at most min(timestamp_tolerance, interval / 2).
- TC_J_02_CS: the clock-aligned interval is configured after the Reusable State EnergyTransferStarted
  (still before the main scenario), so the state's TransactionEvents cannot interleave with clock-aligned
  ones, whose phase the harness cannot choose.
- TC_J_07_CS: the optional Reusable State ParkingBayOccupied (Table 426) is not executed.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from conformance.session.endpoints import HarnessCsms
from conformance.session.states import CsTransaction
from conformance.testing import case, check, check_equal, step
from testcases.cs._fgjp_support import Setting, configured, finish_transaction, station_ready

INTERVAL = 1  # seconds: <Configured clock-aligned / sampled Meter Values interval>
MESSAGES = 3  # OCTT ends the periodic cases after three meter-value messages
DEFAULT_MEASURAND = "Energy.Active.Import.Register"


async def _configured_list(csms: HarnessCsms, component: str, variable: str) -> list[str]:
    response = await csms.call_ok(
        "GetVariables",
        {"getVariableData": [{"component": {"name": component}, "variable": {"name": variable}}]},
    )
    result = response.get("getVariableResult", [{}])[0]
    check_equal(result.get("attributeStatus"), "Accepted", f"GetVariablesResponse for {component}.{variable}")
    return [m.strip() for m in str(result.get("attributeValue", "")).split(",") if m.strip()]


def _check_meter_values(meter_values: Any, measurands: list[str], context: str, what: str) -> None:
    """sampledValue[0].context, one element per configured measurand, and errata §6.2.15 (location)."""
    check(isinstance(meter_values, list) and meter_values, f"{what}: meterValue is missing or empty")
    for index, meter_value in enumerate(meter_values):
        sampled = meter_value.get("sampledValue", [])
        check_equal(
            sampled[0].get("context", "Sample.Periodic"),
            context,
            f"{what}: meterValue[{index}].sampledValue[0].context",
        )
        present = {s.get("measurand", DEFAULT_MEASURAND) for s in sampled}
        for measurand in measurands:
            check(
                measurand in present,
                f"{what}: meterValue[{index}].sampledValue has no element for the configured measurand"
                f" {measurand} (measurands present: {sorted(present)})",
            )
        for value in sampled:
            check(
                value.get("location") != "EV" or value.get("measurand") == "SoC",
                f"{what}: sampledValue with location EV for measurand {value.get('measurand')}"
                " (errata 2025-01 6.2.15: only SoC)",
            )


def _check_intervals(stamps: list[str], interval: float, tolerance: float, what: str) -> None:
    """Post-scenario: the gaps between the distinct timestamps equal the configured interval."""
    times = sorted({datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() for s in stamps})
    allowed = min(tolerance, interval / 2)
    for earlier, later in itertools.pairwise(times):
        check(
            abs((later - earlier) - interval) <= allowed,
            f"{what}: timestamps {later - earlier:.3f} s apart where the configured interval is"
            f" {interval:g} s (tolerance {allowed:g} s)",
        )


# ---------------------------------------------------------------------------------------- J01
@case(
    "TC_J_01_CS",
    requirements=(
        "J01.FR.01",
        "J01.FR.02",
        "J01.FR.03",
        "J01.FR.06",
        "J01.FR.07",
        "J01.FR.08",
        "J01.FR.14",
        "J01.FR.15",
    ),
    catches={"aligned-wrong-context": r"sampledValue\[0\]\.context"},
)
async def test_TC_J_01_CS(csms: HarnessCsms, sut: Any) -> None:
    """Clock-aligned meter values without a transaction: MeterValuesRequest Sample.Clock per interval."""
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, "AlignedDataCtrlr", "Measurands")
    stamps: list[str] = []
    async with configured(csms, (Setting("AlignedDataCtrlr", "Interval", str(INTERVAL)),), label="before"):
        csms.discard_inbox()
        for n in range(1, MESSAGES + 1):
            with step(f"1-2: the station sends MeterValuesRequest ({n} of {MESSAGES})"):
                received = await csms.expect(
                    "MeterValues", timeout=INTERVAL + csms.timeout, what="clock-aligned meter values"
                )
                meter_values: list[dict[str, Any]] = received.payload.get("meterValue") or []
                _check_meter_values(meter_values, measurands, "Sample.Clock", "MeterValuesRequest")
                stamps.append(meter_values[0]["timestamp"])
    with step("post-scenario: MeterValuesRequest timestamps are AlignedDataCtrlr.Interval apart"):
        _check_intervals(stamps, INTERVAL, sut.timeouts.timestamp_tolerance, "MeterValuesRequest")


@case(
    "TC_J_02_CS",
    requirements=(
        "J01.FR.01",
        "J01.FR.02",
        "J01.FR.03",
        "J01.FR.06",
        "J01.FR.07",
        "J01.FR.08",
        "J01.FR.14",
        "J01.FR.15",
    ),
    catches={"aligned-wrong-context": r"sampledValue\[0\]\.context"},
)
async def test_TC_J_02_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Clock-aligned meter values during a transaction: MeterValuesRequest (Sample.Clock) or
    TransactionEventRequest MeterValueClock (errata 2025-01 6.2.16)."""
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, "AlignedDataCtrlr", "Measurands")
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    settings = (
        Setting("AlignedDataCtrlr", "Interval", str(INTERVAL)),
        Setting("AlignedDataCtrlr", "SendDuringIdle", "false", optional=True),
        Setting("AlignedDataCtrlr", "RegisterValuesWithoutPhases", "false", optional=True),
    )
    try:
        await tx.energy_transfer_started()
        async with configured(csms, settings, label="before"):
            for n in range(1, MESSAGES + 1):
                with step(f"1-4: MeterValuesRequest or TransactionEventRequest, clock-aligned ({n})"):
                    received = await csms.expect(
                        ("MeterValues", "TransactionEvent"),
                        timeout=INTERVAL + csms.timeout,
                        what="clock-aligned meter values",
                    )
                    payload = received.payload
                    if received.action == "TransactionEvent":
                        check_equal(
                            payload.get("triggerReason"),
                            "MeterValueClock",
                            "TransactionEventRequest.triggerReason (step 3)",
                        )
                    _check_meter_values(
                        payload.get("meterValue"), measurands, "Sample.Clock", f"{received.action}Request"
                    )
    finally:
        await finish_transaction(csms, sut, actions, tx)


# ---------------------------------------------------------------------------------------- J02
@case(
    "TC_J_07_CS",
    requirements=(
        "J02.FR.01",
        "J02.FR.02",
        "J02.FR.03",
        "J02.FR.04",
        "J02.FR.10",
        "E01.FR.09",
        "E02.FR.09",
        "E03.FR.07",
        "E04.FR.05",
        "E05.FR.05",
    ),
    catches={"tx-started-no-meter": r"meterValue is missing"},
)
async def test_TC_J_07_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """TxStartPoint EVConnected: the TransactionEvent Started carries the TxStartedMeasurands with
    context Transaction.Begin."""
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, "SampledDataCtrlr", "TxStartedMeasurands")
    tx = CsTransaction(csms, sut, actions)
    async with configured(
        csms, (Setting("TxCtrlr", "TxStartPoint", "EVConnected", optional=True),), label="before"
    ):
        await tx.prepare()
        check(
            "ParkingBayOccupancy" not in tx.start_points,
            "prerequisite: TxCtrlr.TxStartPoint must not contain ParkingBayOccupancy for TC_J_07_CS",
        )
        try:
            await tx.ev_connected_pre_session()
            await tx.energy_transfer_started()
            with step("post-scenario: TransactionEventRequest Started carries Transaction.Begin values"):
                started = next(e for e in tx.events if e.get("eventType") == "Started")
                _check_meter_values(
                    started.get("meterValue"),
                    measurands,
                    "Transaction.Begin",
                    "TransactionEventRequest Started",
                )
        finally:
            await finish_transaction(csms, sut, actions, tx)


@case(
    "TC_J_09_CS",
    requirements=(
        "J02.FR.01",
        "J02.FR.02",
        "J02.FR.03",
        "J02.FR.04",
        "J02.FR.10",
        "J02.FR.11",
        "J02.FR.14",
    ),
    catches={"meter-missing-measurand": r"no element for the configured measurand"},
)
async def test_TC_J_09_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """SampledDataCtrlr.TxUpdatedInterval: TransactionEventRequest MeterValuePeriodic, Sample.Periodic,
    the TxUpdatedMeasurands, timestamps one interval apart."""
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, "SampledDataCtrlr", "TxUpdatedMeasurands")
    tx = CsTransaction(csms, sut, actions)
    stamps: list[str] = []
    async with configured(
        csms, (Setting("SampledDataCtrlr", "TxUpdatedInterval", str(INTERVAL)),), label="before"
    ):
        await tx.prepare()
        try:
            await tx.energy_transfer_started()
            for n in range(1, MESSAGES + 1):
                with step(f"1-2: TransactionEventRequest with sampled meter values ({n} of {MESSAGES})"):
                    received = await csms.expect(
                        "TransactionEvent",
                        where=lambda p: p.get("triggerReason") == "MeterValuePeriodic",
                        timeout=INTERVAL + csms.timeout,
                        what="TransactionEventRequest MeterValuePeriodic",
                    )
                    meter_values: list[dict[str, Any]] = received.payload.get("meterValue") or []
                    _check_meter_values(
                        meter_values, measurands, "Sample.Periodic", "TransactionEventRequest (step 1)"
                    )
                    stamps.append(meter_values[0]["timestamp"])
        finally:
            await finish_transaction(csms, sut, actions, tx)
    with step("post-scenario: timestamps are SampledDataCtrlr.TxUpdatedInterval apart"):
        _check_intervals(stamps, INTERVAL, sut.timeouts.timestamp_tolerance, "TransactionEventRequest")


# ------------------------------------------------------------------ readings sent with eventType Ended
async def _let_transaction_run(csms: HarnessCsms, sut: Any, actions: Any, seconds: int) -> None:
    """Part 6's <Configured transaction duration>: the station's clock moves on (advance_clock where the
    driver has it, one interval at a time so every collection moment happens), else real time passes."""
    with step(f"the transaction runs for {seconds} s (<Configured transaction duration>)"):
        if actions.supports("advance_clock"):
            for _ in range(seconds // INTERVAL):
                await actions.perform("advance_clock", {"seconds": INTERVAL})
            return
        # A real station simply waits (bounded); it must not reboot meanwhile.
        await csms.expect_no_message(seconds, action="BootNotification")


async def _end_by_parking_bay_or_stop(tx: CsTransaction, actions: Any) -> dict[str, Any]:
    """Main step 1, Reusable State ParkingBayUnoccupied "causes the transaction to stop": with TxStopPoint
    ParkingBayOccupancy the EV leaves the bay; otherwise the transaction is ended the way its TxStopPoint
    allows (StopAuthorized, EVConnectedPostSession, EVDisconnected). Returns the Ended event."""
    if "ParkingBayOccupancy" in tx.stop_points:
        with step("1: Reusable State ParkingBayUnoccupied"):
            await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})
            received = await tx.csms.expect(
                "TransactionEvent",
                where=lambda p: p.get("eventType") == "Ended",
                what="TransactionEventRequest Ended after the EV left the parking bay",
            )
            tx.events.append(received.payload)
            tx.ended = True
    else:
        await tx.stop_authorized()
        await tx.ev_connected_post_session()
        if not tx.ended:
            await tx.ev_disconnected()
    ended = [e for e in tx.events if e.get("eventType") == "Ended"]
    check(ended, "no TransactionEventRequest with eventType Ended")
    return ended[-1]


async def _tx_ended_case(
    csms: HarnessCsms, sut: Any, actions: Any, *, aligned: bool, settings: tuple[Setting, ...]
) -> None:
    ctrlr = "AlignedDataCtrlr" if aligned else "SampledDataCtrlr"
    context = "Sample.Clock" if aligned else "Sample.Periodic"
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, ctrlr, "TxEndedMeasurands")
    tx = CsTransaction(csms, sut, actions)
    async with configured(csms, settings, label="before"):
        await tx.prepare()
        try:
            await tx.energy_transfer_started()
            await _let_transaction_run(csms, sut, actions, 3 * INTERVAL)
            ended = await _end_by_parking_bay_or_stop(tx, actions)
        finally:
            await finish_transaction(csms, sut, actions, tx)
    what = "TransactionEventRequest Ended"
    with step(f"post-scenario: {what} carries the {ctrlr}.TxEndedInterval readings"):
        meter_values: list[dict[str, Any]] = ended.get("meterValue") or []
        check(meter_values, f"{what}: meterValue is missing or empty")
        periodic = [m for m in meter_values if m.get("sampledValue", [{}])[0].get("context") == context]
        check(periodic, f"{what}: no meterValue with sampledValue[0].context {context} (TxEndedInterval)")
        _check_meter_values(periodic, measurands, context, what)
        if not aligned:  # TC_J_10_CS: and one Transaction.End reading
            end = [
                m for m in meter_values if m.get("sampledValue", [{}])[0].get("context") == "Transaction.End"
            ]
            check(end, f"{what}: no meterValue with context Transaction.End")
            _check_meter_values(end, measurands, "Transaction.End", what)
        _check_intervals([m["timestamp"] for m in periodic], INTERVAL, sut.timeouts.timestamp_tolerance, what)


@case(
    "TC_J_03_CS",
    requirements=(
        "J01.FR.01",
        "J01.FR.02",
        "J01.FR.03",
        "J01.FR.06",
        "J01.FR.07",
        "J01.FR.08",
        "J01.FR.14",
        "J01.FR.15",
        "E06.FR.11",
        "E06.FR.17",
        "E07.FR.08",
        "E07.FR.13",
        "E08.FR.09",
        "E09.FR.05",
        "E10.FR.04",
        "E12.FR.07",
    ),
    catches={
        "tx-ended-interval-values-dropped": r"Ended: (meterValue is missing|no meterValue .*Sample\.Clock)"
    },
)
async def test_TC_J_03_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """AlignedDataCtrlr.TxEndedInterval: the Ended event carries a Sample.Clock reading per interval."""
    await _tx_ended_case(
        csms,
        sut,
        actions,
        aligned=True,
        settings=(
            Setting("AlignedDataCtrlr", "TxEndedInterval", str(INTERVAL)),
            Setting("SampledDataCtrlr", "TxEndedMeasurands", ""),
            Setting("AlignedDataCtrlr", "SendDuringIdle", "false", optional=True),
        ),
    )


@case(
    "TC_J_10_CS",
    requirements=(
        "J02.FR.01",
        "J02.FR.02",
        "J02.FR.03",
        "J02.FR.04",
        "J02.FR.10",
        "E06.FR.11",
        "E06.FR.17",
        "E07.FR.08",
        "E07.FR.13",
        "E08.FR.09",
        "E09.FR.05",
        "E10.FR.04",
        "E12.FR.07",
    ),
    catches={
        "tx-ended-interval-values-dropped": r"no meterValue with sampledValue\[0\]\.context Sample\.Periodic"
    },
)
async def test_TC_J_10_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """SampledDataCtrlr.TxEndedInterval: the Ended event carries a Sample.Periodic reading per interval
    and a Transaction.End one (errata 2025-01 6.2.17 requirement list)."""
    await _tx_ended_case(
        csms,
        sut,
        actions,
        aligned=False,
        settings=(
            Setting("SampledDataCtrlr", "TxEndedInterval", str(INTERVAL)),
            Setting("AlignedDataCtrlr", "TxEndedMeasurands", ""),
        ),
    )

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
- TC_J_04_CS / TC_J_11_CS: a "valid public key" is PEM, or DER (SubjectPublicKeyInfo) in base64 or hex;
  with PublicKeyWithSignedMeterValue OncePerTransaction the Ended event's readings may carry "" (the key
  went with an earlier reading). TC_J_04_CS checks the clock-aligned readings (AlignedDataCtrlr.SignReadings);
  SampledDataCtrlr.TxEndedMeasurands is emptied as in TC_J_03_CS.
- TC_J_06_CS: "no message to report Meter Values while the transaction was active" is read as no
  clock-aligned values (a MeterValuesRequest, or a TransactionEventRequest with Sample.Clock readings or
  triggerReason MeterValueClock): the Transaction.Begin / End and Sample.Periodic readings belong to
  SampledDataCtrlr, which the case does not configure. The interval + 5 s wait runs on the station's clock
  (advance_clock) where the driver has it. Steps 1 and 7 take two messages each, for the interval check.
- TC_J_01_CS / TC_J_06_CS: after the first clock-aligned reading, each next interval passes on the station's
  clock (advance_clock) where the driver has it; the readings' timestamps are still checked an interval apart.
- TC_J_08_CS: "the first TransactionEventRequest containing evse, sent during EVConnectedPreSession" is
  the first event naming the EVSE, whenever sent: a station that assigns the EVSE at authorization names
  it in the Started event, which must then carry the Transaction.Begin readings.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization

from conformance.errors import SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.states import CsTransaction
from conformance.testing import Setting, case, check, check_equal, configured, read_variable, step
from testcases.cs._fgjp_support import finish_transaction, station_ready

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


# OCPPCommCtrlr.PublicKeyWithSignedMeterValue: when a signed meter value carries its public key.
PUBLIC_KEY_MODE = Setting("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", "")


def _valid_public_key(text: str) -> bool:
    """A public key the way a station can send it: PEM, or DER (SubjectPublicKeyInfo) in base64 or hex."""
    if text.lstrip().startswith("-----BEGIN"):
        candidates = [("pem", text.encode())]
    else:
        candidates = []
        for decode in (lambda t: base64.b64decode(t, validate=True), bytes.fromhex):
            try:
                candidates.append(("der", decode(text.strip())))
            except (binascii.Error, ValueError):
                continue
    for kind, data in candidates:
        try:
            if kind == "pem":
                serialization.load_pem_public_key(data)
            else:
                serialization.load_der_public_key(data)
        except (ValueError, TypeError):
            continue
        return True
    return False


def _check_signed(meter_values: list[dict[str, Any]], key_mode: str | None, what: str) -> None:
    """Post-scenario (TC_J_04_CS, TC_J_11_CS): every sampledValue has a signedMeterValue whose publicKey is
    "" or a valid public key, as OCPPCommCtrlr.PublicKeyWithSignedMeterValue says (Never: "",
    EveryMeterValue: a key in each; OncePerTransaction: the key may have gone with an earlier reading)."""
    for index, meter_value in enumerate(meter_values):
        for number, sampled in enumerate(meter_value.get("sampledValue", [])):
            where = f"{what}: meterValue[{index}].sampledValue[{number}]"
            signed = sampled.get("signedMeterValue")
            check(
                isinstance(signed, dict),
                f"{where}.signedMeterValue is omitted where SignReadings is true (J01.FR.21 / J02.FR.21)",
            )
            key = str(signed.get("publicKey", ""))
            if key_mode == "Never":
                check_equal(
                    key, "", f"{where}.signedMeterValue.publicKey (PublicKeyWithSignedMeterValue Never)"
                )
            elif key or key_mode == "EveryMeterValue":
                check(
                    _valid_public_key(key),
                    f"{where}.signedMeterValue.publicKey is not a valid public key (PEM, or DER in base64"
                    f" / hex); PublicKeyWithSignedMeterValue is {key_mode}",
                )


# ---------------------------------------------------------------------------------------- J01
async def _next_aligned_interval(actions: Any) -> None:
    """After a clock-aligned reading, the station's clock moves on one AlignedDataCtrlr.Interval to the
    next (advance_clock where the driver has it: a real station simply waits; else the harness waits in
    real time). The station's timer for that reading is set once it sent the last one, so the advance
    fires it; its timestamp stays an interval (plus the round trip) after the last, checked as before."""
    if actions.supports("advance_clock"):
        with step(f"Wait: the next clock-aligned interval (station clock +{INTERVAL} s)"):
            await actions.perform("advance_clock", {"seconds": INTERVAL})


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
async def test_TC_J_01_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Clock-aligned meter values without a transaction: MeterValuesRequest Sample.Clock per interval."""
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, "AlignedDataCtrlr", "Measurands")
    stamps: list[str] = []
    async with configured(csms, (Setting("AlignedDataCtrlr", "Interval", str(INTERVAL)),), label="before"):
        csms.discard_inbox()
        for n in range(1, MESSAGES + 1):
            if n > 1:
                await _next_aligned_interval(actions)
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
        Setting("AlignedDataCtrlr", "SendDuringIdle", "false", only_if_writable=True),
        Setting("AlignedDataCtrlr", "RegisterValuesWithoutPhases", "false", only_if_writable=True),
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
        csms, (Setting("TxCtrlr", "TxStartPoint", "EVConnected", only_if_writable=True),), label="before"
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
    csms: HarnessCsms,
    sut: Any,
    actions: Any,
    *,
    aligned: bool,
    settings: tuple[Setting, ...],
    signed: bool = False,
) -> None:
    ctrlr = "AlignedDataCtrlr" if aligned else "SampledDataCtrlr"
    context = "Sample.Clock" if aligned else "Sample.Periodic"
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, ctrlr, "TxEndedMeasurands")
    tx = CsTransaction(csms, sut, actions)
    key_mode: str | None = None
    async with configured(csms, settings, label="before"):
        if signed:
            key_mode = await read_variable(csms, PUBLIC_KEY_MODE)
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
    if signed:
        with step(f"post-scenario: {what} readings carry signedMeterValue ({ctrlr}.SignReadings true)"):
            # TC_J_04_CS: the clock-aligned readings (AlignedDataCtrlr.SignReadings); TC_J_11_CS: all of them
            _check_signed(periodic if aligned else meter_values, key_mode, what)


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
            Setting("AlignedDataCtrlr", "SendDuringIdle", "false", only_if_writable=True),
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


# ---------------------------------------------------------------------------------------- signed (C-42)
@case(
    "TC_J_04_CS",
    requirements=("J01.FR.21",),
    catches={"meter-values-unsigned": r"signedMeterValue is omitted"},
)
async def test_TC_J_04_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """AlignedDataCtrlr.SignReadings: the Ended event's clock-aligned readings are signed (J01.FR.21)."""
    await _tx_ended_case(
        csms,
        sut,
        actions,
        aligned=True,
        signed=True,
        settings=(
            Setting("AlignedDataCtrlr", "TxEndedInterval", str(INTERVAL)),
            Setting("SampledDataCtrlr", "TxEndedMeasurands", ""),
            Setting("AlignedDataCtrlr", "SendDuringIdle", "false", only_if_writable=True),
            Setting("AlignedDataCtrlr", "SignReadings", "true"),
        ),
    )


@case(
    "TC_J_11_CS",
    requirements=("J02.FR.21",),
    catches={"meter-values-unsigned": r"signedMeterValue is omitted"},
)
async def test_TC_J_11_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """SampledDataCtrlr.SignReadings: the Ended event's sampled readings (Sample.Periodic and
    Transaction.End) are signed (J02.FR.21)."""
    await _tx_ended_case(
        csms,
        sut,
        actions,
        aligned=False,
        signed=True,
        settings=(
            Setting("SampledDataCtrlr", "TxEndedInterval", str(INTERVAL)),
            Setting("AlignedDataCtrlr", "TxEndedMeasurands", ""),
            Setting("SampledDataCtrlr", "SignReadings", "true"),
        ),
    )


# ---------------------------------------------------------------------------------------- C-28
def _clock_aligned_since(started: datetime) -> Callable[[dict[str, Any]], bool]:
    """A MeterValuesRequest (no eventType), or a TransactionEventRequest with clock-aligned readings, taken
    at or after `started` (readings taken before the transaction started are the idle ones of step 1)."""

    def matches(payload: dict[str, Any]) -> bool:
        readings = payload.get("meterValue") or []
        if "eventType" in payload:
            aligned = payload.get("triggerReason") == "MeterValueClock" or any(
                s.get("context") == "Sample.Clock" for m in readings for s in m.get("sampledValue", [])
            )
        else:
            aligned = True
        return aligned and any(_time(m.get("timestamp", "")) >= started for m in readings)

    return matches


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:  # schema validation reports a malformed timestamp; count it as during the transaction
        return datetime.max.replace(tzinfo=UTC)


async def _idle_meter_values(
    csms: HarnessCsms, actions: Any, measurands: list[str], label: str, tolerance: float
) -> None:
    """Steps 1-2 / 7-8: clock-aligned MeterValuesRequests (Sample.Clock, the AlignedDataCtrlr.Measurands),
    and post-scenario, their timestamps AlignedDataCtrlr.Interval apart."""
    stamps: list[str] = []
    for n in (1, 2):
        if n > 1:
            await _next_aligned_interval(actions)
        with step(
            f"{label}: the station sends clock-aligned MeterValuesRequest ({n} of 2); the OCTT answers"
        ):
            received = await csms.expect(
                "MeterValues", timeout=INTERVAL + csms.timeout, what=f"clock-aligned meter values ({label})"
            )
            meter_values: list[dict[str, Any]] = received.payload.get("meterValue") or []
            _check_meter_values(meter_values, measurands, "Sample.Clock", f"MeterValuesRequest ({label})")
            stamps.append(meter_values[0]["timestamp"])
    with step(
        f"post-scenario: the {label} MeterValuesRequest timestamps are AlignedDataCtrlr.Interval apart"
    ):
        _check_intervals(stamps, INTERVAL, tolerance, f"MeterValuesRequest ({label})")


async def _no_aligned_during(csms: HarnessCsms, sut: Any, actions: Any, tx: CsTransaction) -> None:
    """Steps 4-6: the transaction runs <Configured clock-aligned interval> + 5 s (on the station's clock
    where the driver can advance it); no clock-aligned meter values may come meanwhile."""
    seconds = INTERVAL + 5
    kinds = ("MeterValues", "TransactionEvent")
    with step(f"4-5: the transaction runs {seconds} s; no clock-aligned meter values (SendDuringIdle true)"):
        if actions.supports("advance_clock"):
            for _ in range(seconds // INTERVAL):
                await actions.perform("advance_clock", {"seconds": INTERVAL})
            window = min(1.0, sut.timeouts.no_message)
        else:
            window = float(seconds)
        started = next(e for e in tx.events if e.get("eventType") == "Started")
        where = _clock_aligned_since(_time(started.get("timestamp", "")))
        try:
            received = await csms.expect(kinds, where=where, timeout=window)
        except SutTimeout:
            return
        check(
            False,
            f"post-scenario: {received.action}Request with clock-aligned meter values while the transaction"
            " was active, where AlignedDataCtrlr.SendDuringIdle is true (TC_J_06_CS)",
        )


@case(
    "TC_J_06_CS",
    requirements=(),  # Part 6 lists none
    catches={"aligned-sent-during-transaction": r"clock-aligned meter values while the transaction"},
)
async def test_TC_J_06_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """AlignedDataCtrlr.SendDuringIdle true: clock-aligned meter values before and after a transaction,
    none while it runs."""
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, "AlignedDataCtrlr", "Measurands")
    tolerance = sut.timeouts.timestamp_tolerance
    tx = CsTransaction(csms, sut, actions)
    settings = (
        Setting("AlignedDataCtrlr", "Interval", str(INTERVAL)),
        Setting("AlignedDataCtrlr", "SendDuringIdle", "true"),
    )
    async with configured(csms, settings, label="before"):
        await tx.prepare()
        try:
            csms.discard_inbox()
            await _idle_meter_values(csms, actions, measurands, "1-2", tolerance)
            with step("3: Reusable State EnergyTransferStarted"):
                await tx.energy_transfer_started()
            await _no_aligned_during(csms, sut, actions, tx)
            await _end_by_parking_bay_or_stop(tx, actions)
        finally:
            await finish_transaction(csms, sut, actions, tx)
        csms.discard_inbox()  # the readings of the transaction's time
        await _idle_meter_values(csms, actions, measurands, "7-8", tolerance)


# ---------------------------------------------------------------------------------------- J02, EVSE not known
async def _authorized_without_evse(csms: HarnessCsms, tx: CsTransaction, actions: Any) -> None:
    """Reusable State Authorized (local) with the token presented before any EVSE is chosen: the
    transaction starts at authorization (TxStartPoint Authorized), its EVSE not known yet."""
    with step("Authorized: manual action, present the valid idToken (no EVSE chosen)"):
        await actions.perform(
            "present_id_token", {"id_token": tx.token["idToken"], "type": tx.token["type"], "evse_id": None}
        )
    with step("Authorized 1-4: (AuthorizeRequest,) TransactionEventRequest Started, Authorized"):
        while True:
            received = await csms.expect(
                ("Authorize", "TransactionEvent"), what="the transaction event for the authorization"
            )
            if received.action == "TransactionEvent":
                break
            check_equal(
                received.payload.get("idToken", {}).get("idToken"),
                tx.token["idToken"],
                "AuthorizeRequest idToken.idToken (Authorized step 1)",
            )
        payload = received.payload
        check_equal(
            payload.get("eventType"), "Started", "TransactionEventRequest.eventType (Authorized step 3)"
        )
        check_equal(
            payload.get("triggerReason"), "Authorized", "TransactionEventRequest.triggerReason (step 3)"
        )
        tx.transaction_id = payload.get("transactionInfo", {}).get("transactionId")
        tx.started = tx.authorized = True
        tx.events.append(payload)


@case(
    "TC_J_08_CS",
    requirements=(
        "J02.FR.01",
        "J02.FR.02",
        "J02.FR.03",
        "J02.FR.04",
        "J02.FR.10",
        "E01.FR.16",
        "E01.FR.17",
        "E03.FR.11",
        "E04.FR.11",
        "E05.FR.08",
    ),
    catches={"tx-started-no-meter": r"first TransactionEventRequest with evse: meterValue is missing"},
)
async def test_TC_J_08_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """TxStartPoint Authorized, token presented before the EVSE is known: the first TransactionEvent that
    names the EVSE carries the TxStartedMeasurands with context Transaction.Begin."""
    await station_ready(csms, sut)
    measurands = await _configured_list(csms, "SampledDataCtrlr", "TxStartedMeasurands")
    tx = CsTransaction(csms, sut, actions)
    async with configured(csms, (Setting("TxCtrlr", "TxStartPoint", "Authorized"),), label="before"):
        await tx.prepare()
        try:
            with step("1: Reusable State EnergyTransferStarted (Authorized first, EVSE not known)"):
                await _authorized_without_evse(csms, tx, actions)
                await tx.energy_transfer_started()
            with step(
                "post-scenario: the first TransactionEventRequest naming the EVSE has Transaction.Begin"
            ):
                named = [e for e in tx.events if "evse" in e]
                check(named, "no TransactionEventRequest of the transaction names its evse")
                _check_meter_values(
                    named[0].get("meterValue"),
                    measurands,
                    "Transaction.Begin",
                    "first TransactionEventRequest with evse",
                )
        finally:
            await finish_transaction(csms, sut, actions, tx)

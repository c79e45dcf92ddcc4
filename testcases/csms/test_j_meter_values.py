"""Block J, Meter Values: CSMS under test (Part 6 section 3.10).

The harness's station reports meter values (MeterValuesRequest, or the meterValue of its
TransactionEventRequests); Part 6 lists no tool validation for these cases beyond the CSMS answering
each request with a valid response, which every `call_ok` checks (schema and no CALLERROR).

Timing: Part 6 has the OCTT send a value every configured interval. The harness plays the station and
owns its clock, so it sends the series back to back with timestamps spaced by the simulated station's
interval (no real waiting; the CSMS sees the same messages a station with that interval sends).
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.states.csms import SimulatedTransaction
from conformance.testing import case, step

CLOCK_INTERVAL = 900  # s: the simulated station's AlignedDataInterval / AlignedDataTxEndedInterval
SAMPLED_INTERVAL = 60  # s: its SampledDataTxUpdatedInterval / SampledDataTxEndedInterval
ROUNDS = 3  # "the OCTT will end the testcase after three Meter Value messages" (per EVSE)


def _refused(kind: str, reason: str) -> str:
    """What a case reports when the CSMS answers a valid meter value report with CALLERROR."""
    return rf"{kind}Request with CALLERROR \w+ \('{reason}"


CLOCK_REFUSED = _refused("(MeterValues|TransactionEvent)", r"sampledValue\.context Sample\.Clock")
PERIODIC_REFUSED = _refused("TransactionEvent", r"sampledValue\.context Sample\.Periodic")
BEGIN_REFUSED = _refused("TransactionEvent", r"sampledValue\.context Transaction\.Begin")
SIGNED_REFUSED = _refused("TransactionEvent", "signed meter values")


def timestamps(count: int, interval: int) -> list[str]:
    """`count` interval-aligned timestamps, the last one the latest boundary not after now."""
    last = int(time.time()) // interval * interval
    return [_iso(last - (count - 1 - i) * interval) for i in range(count)]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def signed_meter_value(timestamp: str, wh: float) -> dict[str, str]:
    """A generated SignedMeterValueType: an OCMF record signed with a fresh ECDSA P-256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    payload = json.dumps({"FV": "1.0", "RD": [{"TM": timestamp, "RV": wh, "RI": "1-b:1.8.0", "RU": "Wh"}]})
    signature = key.sign(payload.encode(), ec.ECDSA(hashes.SHA256())).hex().upper()
    record = f'OCMF|{payload}|{{"SA":"ECDSA-secp256r1-SHA256","SD":"{signature}"}}'
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "signedMeterData": base64.b64encode(record.encode()).decode(),
        "signingMethod": "ECDSA-secp256r1-SHA256",
        "encodingMethod": "OCMF",
        "publicKey": base64.b64encode(public).decode(),
    }


def meter_value(timestamp: str, context: str, wh: float, *, signed: bool = False) -> dict[str, Any]:
    """One MeterValueType: the energy register, with the reading context (and signature if asked)."""
    sampled: dict[str, Any] = {
        "value": wh,
        "context": context,
        "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "Wh"},
    }
    if signed:
        sampled["signedMeterValue"] = signed_meter_value(timestamp, wh)
    return {"timestamp": timestamp, "sampledValue": [sampled]}


def ended_meter_values(context: str, interval: int, *, signed: bool = False) -> dict[str, Any]:
    """The Ended event's meterValue (TC_J_03/04/10/11_CSMS): `context` readings spaced by `interval`,
    the last one Transaction.End."""
    times = timestamps(ROUNDS, interval)
    values = [meter_value(t, context, 1000.0 * (i + 1), signed=signed) for i, t in enumerate(times[:-1])]
    values.append(meter_value(times[-1], "Transaction.End", 1000.0 * ROUNDS, signed=signed))
    return {"meterValue": values}


async def charging(station: HarnessStation, sut: Any) -> SimulatedTransaction:
    """Booted, then Reusable State EnergyTransferStarted on the configured connector."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    return tx


async def clock_aligned_idle(station: HarnessStation, sut: Any, timestamp: str, busy: int | None) -> None:
    """MeterValuesRequest Sample.Clock for evseId 0 (the main meter) and every idle configured EVSE."""
    for evse_id in [0, *(evse.id for evse in sut.evses if evse.id != busy)]:
        value = meter_value(timestamp, "Sample.Clock", 5000.0 + evse_id)
        await station.call_ok("MeterValues", {"evseId": evse_id, "meterValue": [value]})


@case("TC_J_01_CSMS", requirements=("J01.FR.18",), catches={"clock-aligned-rejected": CLOCK_REFUSED})
async def test_TC_J_01_CSMS(station: HarnessStation, sut: Any) -> None:
    """Clock-aligned meter values without a transaction (J01)."""
    await states.csms_booted(station, sut)
    for n, timestamp in enumerate(timestamps(ROUNDS, CLOCK_INTERVAL), 1):
        with step(f"1-2 ({n}/{ROUNDS}): MeterValuesRequest Sample.Clock for evseId 0 and every EVSE"):
            await clock_aligned_idle(station, sut, timestamp, None)


@case("TC_J_02_CSMS", requirements=("J01.FR.18",), catches={"clock-aligned-rejected": CLOCK_REFUSED})
async def test_TC_J_02_CSMS(station: HarnessStation, sut: Any) -> None:
    """Clock-aligned meter values during a transaction (J01): MeterValuesRequest for the main meter
    and idle EVSEs, TransactionEventRequest MeterValueClock for the charging one."""
    tx = await charging(station, sut)
    for n, timestamp in enumerate(timestamps(ROUNDS, CLOCK_INTERVAL), 1):
        with step(f"1-2 ({n}/{ROUNDS}): MeterValuesRequest Sample.Clock for evseId 0 and the idle EVSEs"):
            await clock_aligned_idle(station, sut, timestamp, tx.evse_id)
        with step(f"3-4 ({n}/{ROUNDS}): TransactionEventRequest Updated, MeterValueClock, Sample.Clock"):
            value = meter_value(timestamp, "Sample.Clock", 1000.0 * n)
            await tx.event("MeterValueClock", extra={"meterValue": [value]})


@case("TC_J_03_CSMS", requirements=("J01.FR.18",), catches={"clock-aligned-rejected": CLOCK_REFUSED})
async def test_TC_J_03_CSMS(station: HarnessStation, sut: Any) -> None:
    """Clock-aligned meter values in the Ended event (J01): Sample.Clock readings, then Transaction.End."""
    tx = await charging(station, sut)
    with step("1: Reusable State EVDisconnected; the Ended event carries the clock-aligned readings"):
        await tx.ev_disconnected(extra=ended_meter_values("Sample.Clock", CLOCK_INTERVAL))


@case(
    "TC_J_04_CSMS",
    requirements=("J01.FR.21",),
    catches={"clock-aligned-rejected": CLOCK_REFUSED, "signed-meter-value-rejected": SIGNED_REFUSED},
)
async def test_TC_J_04_CSMS(station: HarnessStation, sut: Any) -> None:
    """Signed clock-aligned meter values in the Ended event (J01.FR.21)."""
    tx = await charging(station, sut)
    with step("1: Reusable State EVDisconnected; the Ended event carries signed clock-aligned readings"):
        await tx.ev_disconnected(extra=ended_meter_values("Sample.Clock", CLOCK_INTERVAL, signed=True))


@case("TC_J_07_CSMS", requirements=("J02.FR.19",), catches={"transaction-begin-rejected": BEGIN_REFUSED})
async def test_TC_J_07_CSMS(station: HarnessStation, sut: Any) -> None:
    """Transaction.Begin meter value in the Started event, EVSE known (J02): cable plugged in first."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    with step("1: Reusable State EVConnectedPreSession; its TransactionEventRequest has Transaction.Begin"):
        begin = meter_value(timestamps(1, 1)[0], "Transaction.Begin", 0.0)
        await tx.ev_connected_pre_session(extra={"meterValue": [begin]})


@case(
    "TC_J_08_CSMS",
    requirements=("J02.FR.19",),
    catches={
        "transaction-begin-rejected": BEGIN_REFUSED,
        "started-requires-evse": r"TransactionEventRequest with CALLERROR",
    },
)
async def test_TC_J_08_CSMS(station: HarnessStation, sut: Any) -> None:
    """Transaction.Begin meter value, EVSE not known at the start (J02): the transaction starts at
    authorization (no evse in the Started event); the cable, the EVSE and the Transaction.Begin reading
    follow in an Updated event."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut, evse_at_start=False)
    with step("1: Reusable State Authorized (Started event without evse)"):
        await tx.authorize()
    with step("2: Reusable State EVConnectedPreSession; its TransactionEventRequest has Transaction.Begin"):
        begin = meter_value(timestamps(1, 1)[0], "Transaction.Begin", 0.0)
        await tx.ev_connected_pre_session(extra={"meterValue": [begin]})
    with step("3: Reusable State EnergyTransferStarted"):
        await tx.energy_transfer_started()


@case("TC_J_09_CSMS", requirements=("J02.FR.19",), catches={"sample-periodic-rejected": PERIODIC_REFUSED})
async def test_TC_J_09_CSMS(station: HarnessStation, sut: Any) -> None:
    """Sampled meter values in Updated events (J02): three MeterValuePeriodic events."""
    tx = await charging(station, sut)
    for n, timestamp in enumerate(timestamps(ROUNDS, SAMPLED_INTERVAL), 1):
        with step(
            f"1-2 ({n}/{ROUNDS}): TransactionEventRequest Updated, MeterValuePeriodic, Sample.Periodic"
        ):
            value = meter_value(timestamp, "Sample.Periodic", 1000.0 * n)
            await tx.event("MeterValuePeriodic", extra={"meterValue": [value]})


@case("TC_J_10_CSMS", requirements=("J02.FR.19",), catches={"sample-periodic-rejected": PERIODIC_REFUSED})
async def test_TC_J_10_CSMS(station: HarnessStation, sut: Any) -> None:
    """Sampled meter values in the Ended event (J02): Sample.Periodic readings, then Transaction.End."""
    tx = await charging(station, sut)
    with step("1: Reusable State EVDisconnected; the Ended event carries the sampled readings"):
        await tx.ev_disconnected(extra=ended_meter_values("Sample.Periodic", SAMPLED_INTERVAL))


@case(
    "TC_J_11_CSMS",
    requirements=("J02.FR.21",),
    catches={"sample-periodic-rejected": PERIODIC_REFUSED, "signed-meter-value-rejected": SIGNED_REFUSED},
)
async def test_TC_J_11_CSMS(station: HarnessStation, sut: Any) -> None:
    """Signed sampled meter values in the Ended event (J02.FR.21)."""
    tx = await charging(station, sut)
    with step("1: Reusable State EVDisconnected; the Ended event carries signed sampled readings"):
        await tx.ev_disconnected(extra=ended_meter_values("Sample.Periodic", SAMPLED_INTERVAL, signed=True))

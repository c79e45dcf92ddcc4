"""Meter readings: sampled (SampledDataCtrlr) and clock-aligned (AlignedDataCtrlr) meter values (J01, J02)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from conformance.reference.station import meter_signing, power
from conformance.reference.station.model import Evse

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

_UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


def integrate(st: StationCore, evse: Evse) -> None:
    """Bring the EVSE's energy register up to station time."""
    now = st.clock.now()
    if evse.tx is not None and evse.tx.charging_state == "Charging":
        evse.meter_wh += power.energy_wh(st, evse, evse.meter_since, now)  # follows the limit in force
    evse.meter_since = now


def _reading(st: StationCore, evse: Evse, measurand: str) -> float:
    charging = evse.tx is not None and evse.tx.charging_state == "Charging"
    drawn = power.drawn_w(st, evse, st.clock.now()) if charging else 0.0
    values = {
        "Energy.Active.Import.Register": round(evse.meter_wh, 1),
        "Power.Active.Import": round(drawn, 1),
        "Current.Import": round(drawn / 230.0 / 3.0, 2),
        "Voltage": 230.0,
        "SoC": 50.0,
    }
    return values.get(measurand, 0.0)


def meter_value(st: StationCore, evse: Evse, measurands: list[str], context: str) -> list[dict[str, Any]]:
    """A one-element meterValue list, or [] when no measurand is configured."""
    integrate(st, evse)
    sampled = [
        {
            "value": _reading(st, evse, m),
            "context": context,
            "measurand": m,
            "unitOfMeasure": {"unit": _UNITS.get(m, "Wh")},
        }
        for m in measurands
    ]
    if not sampled:
        return []
    timestamp = st.timestamp()
    if meter_signing.signing_on(st, context):  # J01.FR.21 / J02.FR.21
        meter_signing.sign(st, evse, timestamp, sampled)
    return [{"timestamp": timestamp, "sampledValue": sampled}]


async def aligned_loop(st: StationCore) -> None:
    """Clock-aligned readings at every multiple of AlignedDataCtrlr.Interval since midnight UTC."""
    from conformance.reference.station.transactions import send_tx_event

    while True:
        interval = st.dm.get_int("AlignedDataCtrlr", "Interval")
        if interval <= 0:
            await st.clock.sleep(1.0)
            continue
        now = st.clock.now()
        await st.clock.sleep_until(math.floor(now / interval) * interval + interval)
        if st.dm.get_int("AlignedDataCtrlr", "Interval") != interval:
            continue  # reconfigured while waiting (e.g. 0: no more clock-aligned readings)
        busy = any(evse.tx is not None for evse in st.evses.values())
        # SendDuringIdle true: clock-aligned data only while no transaction runs (TC_J_06_CS); the mutant
        # sends it anyway
        if (
            busy
            and st.dm.get_bool("AlignedDataCtrlr", "SendDuringIdle")
            and not st.is_mutant("aligned-sent-during-transaction")
        ):
            continue
        measurands = st.dm.get_list("AlignedDataCtrlr", "Measurands")
        # J01: clock-aligned readings have context Sample.Clock; the mutant says Sample.Periodic
        context = "Sample.Periodic" if st.is_mutant("aligned-wrong-context") else "Sample.Clock"
        for evse in st.evses.values():
            values = meter_value(st, evse, measurands, context)
            if not values:
                continue
            if evse.tx is not None:
                send_tx_event(st, evse, "Updated", "MeterValueClock", meter=values)
            elif st.outbox.is_open:
                st.outbox.post("MeterValues", {"evseId": evse.evse_id, "meterValue": values})

"""Meter readings: sampled (SampledDataCtrlr) and clock-aligned (AlignedDataCtrlr) meter values (J01, J02)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

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
        evse.meter_wh += evse.power_w * max(0.0, now - evse.meter_since) / 3600.0
    evse.meter_since = now


def _reading(evse: Evse, measurand: str) -> float:
    charging = evse.tx is not None and evse.tx.charging_state == "Charging"
    power = evse.power_w if charging else 0.0
    values = {
        "Energy.Active.Import.Register": round(evse.meter_wh, 1),
        "Power.Active.Import": power,
        "Current.Import": round(power / 230.0 / 3.0, 2),
        "Voltage": 230.0,
        "SoC": 50.0,
    }
    return values.get(measurand, 0.0)


def meter_value(st: StationCore, evse: Evse, measurands: list[str], context: str) -> list[dict[str, Any]]:
    """A one-element meterValue list, or [] when no measurand is configured."""
    integrate(st, evse)
    sampled = [
        {
            "value": _reading(evse, m),
            "context": context,
            "measurand": m,
            "unitOfMeasure": {"unit": _UNITS.get(m, "Wh")},
        }
        for m in measurands
    ]
    if not sampled:
        return []
    return [{"timestamp": st.timestamp(), "sampledValue": sampled}]


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

"""A minimal, honest subset of ISO 15118 charging needs (K15 / K17) for the reference station.

There is no real EV link: the control action `ev_charging_needs` stands for the EV's
ChargeParameterDiscoveryReq. The station sends NotifyEVChargingNeedsRequest with the EV's needs
(acChargingParameters for AC, dcChargingParameters for DC, as RenegotiateChargingLimits' tool
validation wants) and returns the CSMS's status. While that status is Accepted or Processing, the next
TxProfile the CSMS sets on that EVSE is "handed to the EV", which returns its own charging profile:
the received schedule capped to the EV's maximum, sent as NotifyEVChargingScheduleRequest before the
TransactionEvent ChargingRateChanged (TC_K_55_CS step order). After Rejected the EV charges without a
schedule and returns none (Part 6: NotifyEVChargingSchedule is sent only when the EV returns one).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance.reference.station.clock import format_time

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore
    from conformance.reference.station.model import Evse

TRANSFER_MODES = ("AC_single_phase", "AC_two_phase", "AC_three_phase", "DC")
VOLTAGE = 230.0  # V per phase (smart_charging's conversion)


@dataclass
class EvNeeds:
    """What the EV on one EVSE asked for, kept until the CSMS's schedule reaches it."""

    transfer: str
    max_current: float  # A
    max_voltage: float  # V
    awaiting_schedule: bool = False

    def max_power_w(self) -> float:
        if self.transfer == "DC":
            return self.max_current * self.max_voltage
        return self.max_current * VOLTAGE * (TRANSFER_MODES.index(self.transfer) + 1)


_NEEDS: weakref.WeakKeyDictionary[StationCore, dict[int, EvNeeds]] = weakref.WeakKeyDictionary()


def needs_of(st: StationCore) -> dict[int, EvNeeds]:
    found = _NEEDS.get(st)
    if found is None:
        found = _NEEDS[st] = {}
    return found


def ev_present(evse: Evse) -> bool:
    """An EV is connected (its cable in the EVSE and in the EV): the ISO 15118 link exists."""
    return any(c.plugged and not c.ev_detached for c in evse.connectors)


def charging_needs_request(st: StationCore, evse: Evse, params: dict[str, Any]) -> dict[str, Any]:
    """NotifyEVChargingNeedsRequest for the (already validated) action params."""
    transfer = str(params.get("energy_transfer", "AC_three_phase"))
    energy = int(params.get("energy_amount", 20000))
    max_current, max_voltage = int(params.get("ev_max_current", 32)), int(params.get("ev_max_voltage", 400))
    needs: dict[str, Any] = {"requestedEnergyTransfer": transfer}
    if transfer == "DC":
        needs["dcChargingParameters"] = {
            "evMaxCurrent": max_current,
            "evMaxVoltage": max_voltage,
            "energyAmount": energy,
        }
    else:
        needs["acChargingParameters"] = {
            "energyAmount": energy,
            "evMinCurrent": int(params.get("ev_min_current", 6)),
            "evMaxCurrent": max_current,
            "evMaxVoltage": max_voltage,
        }
    if params.get("departure_in") is not None:
        needs["departureTime"] = format_time(st.clock.now() + float(params["departure_in"]))
    request: dict[str, Any] = {"evseId": evse.evse_id, "chargingNeeds": needs}
    if params.get("max_schedule_tuples") is not None:
        request["maxScheduleTuples"] = int(params["max_schedule_tuples"])
    needs_of(st)[evse.evse_id] = EvNeeds(transfer, float(max_current), float(max_voltage))
    return request


def answered(st: StationCore, evse_id: int, status: str) -> None:
    """The CSMS's NotifyEVChargingNeedsResponse.status: a schedule will follow unless Rejected."""
    found = needs_of(st).get(evse_id)
    if found is not None:
        found.awaiting_schedule = status in ("Accepted", "Processing")


def schedule_set(st: StationCore, req: dict[str, Any]) -> None:
    """After an Accepted SetChargingProfile: a TxProfile reaching an EV that awaits a schedule makes the
    EV return its charging profile (NotifyEVChargingSchedule), limits capped to the EV's maximum."""
    evse_id = int(req.get("evseId", 0))
    profile = req.get("chargingProfile", {})
    found = needs_of(st).get(evse_id)
    evse = st.evses.get(evse_id)
    if (
        found is None
        or not found.awaiting_schedule
        or profile.get("chargingProfilePurpose") != "TxProfile"
        or evse is None
        or not ev_present(evse)
    ):
        return
    found.awaiting_schedule = False
    received = profile["chargingSchedule"][0]
    unit = received["chargingRateUnit"]
    cap = found.max_current if unit == "A" else found.max_power_w()
    periods = received["chargingSchedulePeriod"]
    schedule: dict[str, Any] = {
        "id": received["id"],
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {**period, "limit": min(float(period["limit"]), cap)} for period in periods
        ],
    }
    if "duration" in received:
        schedule["duration"] = received["duration"]
    st.outbox.post(
        "NotifyEVChargingSchedule",
        {"timeBase": st.timestamp(), "evseId": evse_id, "chargingSchedule": schedule},
    )

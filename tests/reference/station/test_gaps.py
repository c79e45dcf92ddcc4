# mypy: disable-error-code="untyped-decorator"
"""Gaps closed in the reference station (issue 3), over real sockets from the test CSMS: customer data
kept under a customerIdentifier (N10, control action store_customer_identifier), the meter following the
charging limit in force (power and energy), and external charging limits set / released through the
control actions set_external_limit / clear_external_limit (K12 / K13: NotifyChargingLimit,
ClearedChargingLimit, TransactionEvent ChargingRateChanged)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ocpp.v201 import call

from conformance.reference.station import ControlError
from tests.reference.station.csms import CsmsBehaviour, TestCsms, running
from tests.reference.station.test_smart_charging import profile, set_profile
from tests.reference.station.test_transactions import expect_tx, fast_sampling, start_local_transaction

RATED_W = 11000.0  # the reference EVSE's rating (StationConfig default)
VOLTS_PHASES = 230.0 * 3  # smart_charging converts A to W as A * 230 V * 3 phases


# -- N10 by customerIdentifier -----------------------------------------------------------------------
async def customer_report(csms: TestCsms, request_id: int, *, clear: bool) -> str:
    result = await csms.call(
        call.CustomerInformation(
            request_id=request_id, report=True, clear=clear, customer_identifier="CUST-1"
        )
    )
    assert result.status == "Accepted"
    note = await csms.expect("NotifyCustomerInformation", where=lambda p: p["requestId"] == request_id)
    assert note["seqNo"] == 0 and not note["tbc"]
    return str(note["data"])


def test_stored_customer_identifier_is_reported_then_cleared() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            assert await customer_report(csms, 1, clear=False) == ""  # nothing stored yet
            stored = await station.control.aperform(
                "store_customer_identifier", {"customer_identifier": "CUST-1"}
            )
            assert stored == {"records": 1}
            assert "CUST-1" in await customer_report(csms, 2, clear=True)
            assert await customer_report(csms, 3, clear=False) == ""  # N10.FR.01: cleared

    asyncio.run(main())


def test_customer_identifier_not_cleared_mutant_keeps_the_data() -> None:
    async def main() -> None:
        async with running(mutant="customer-identifier-not-cleared") as (csms, station):
            await csms.booted()
            await station.control.aperform("store_customer_identifier", {"customer_identifier": "CUST-1"})
            assert "CUST-1" in await customer_report(csms, 2, clear=True)
            assert "CUST-1" in await customer_report(csms, 3, clear=False)

    asyncio.run(main())


@pytest.mark.parametrize(
    ("action", "params", "message"),
    [
        ("store_customer_identifier", {}, "customer_identifier"),
        ("store_customer_identifier", {"customer_identifier": "x" * 65}, "1-64 characters"),
        ("set_external_limit", {"evse_id": 9, "limit": 6}, "unknown EVSE 9"),
        ("set_external_limit", {"limit": -1}, "'limit' must be a number >= 0"),
        ("set_external_limit", {"limit": 6, "unit": "kW"}, "'unit' must be A or W"),
        ("set_external_limit", {"limit": 6, "source": "CSO"}, "'source' must be one of EMS, Other, SO"),
        ("clear_external_limit", {"evse_id": "1"}, "must be an integer"),
    ],
)
def test_bad_gap_action_input_raises_control_error(action: str, params: dict[str, Any], message: str) -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            with pytest.raises(ControlError, match=message):
                await station.control.aperform(action, params)

    asyncio.run(main())


# -- the meter under a charging limit, external limits -------------------------------------------------
async def periodic(csms: TestCsms, station: Any, seconds: float = 10.0) -> tuple[float, float]:
    """Advance the station's clock one TxUpdatedInterval; (Energy register Wh, Power W) of the reading."""
    await station.control.aperform("advance_clock", {"seconds": seconds})
    event = await expect_tx(csms, "Updated", "MeterValuePeriodic")
    values = {s["measurand"]: float(s["value"]) for s in event["meterValue"][0]["sampledValue"]}
    return values["Energy.Active.Import.Register"], values["Power.Active.Import"]


async def limited_readings(mutant: str | None) -> list[tuple[float, float]]:
    """Readings one interval apart: before a limit, under an external 6 A limit (also once a 5 kW
    TxDefaultProfile is set: the lower limit rules), then under the profile once the external limit is
    released (K13.FR.01), the last one 30 s later."""
    readings = []
    async with running(fast_sampling(), mutant=mutant) as (csms, station):
        await csms.booted()
        await start_local_transaction(csms, station.control)
        readings.append(await periodic(csms, station))
        done = await station.control.aperform(
            "set_external_limit", {"evse_id": 1, "limit": 6, "source": "SO"}
        )
        assert done == {"charging_profile_id": 1_000_001}
        notified = await csms.expect("NotifyChargingLimit")
        assert notified["chargingLimit"] == {"chargingLimitSource": "SO"} and notified["evseId"] == 1
        await expect_tx(csms, "Updated", "ChargingRateChanged")  # K11: the rate changed significantly
        readings.append(await periodic(csms, station))
        readings.append(await periodic(csms, station))
        capped = profile(7, periods=[(0, 5000.0)], unit="W")
        assert await set_profile(csms, 1, capped) == "Accepted"  # above the external limit: no change
        readings.append(await periodic(csms, station))
        assert await station.control.aperform("clear_external_limit", {"evse_id": 1}) == {"cleared": True}
        assert await csms.expect("ClearedChargingLimit") == {"chargingLimitSource": "SO", "evseId": 1}
        await expect_tx(csms, "Updated", "ChargingRateChanged")  # K13.FR.03: the profile rules now
        readings.append(await periodic(csms, station))
        readings.append(await periodic(csms, station, 30.0))
    return readings


def test_meter_follows_the_charging_limit_in_force() -> None:
    """Power.Active.Import is the limit (A * V * phases, or W) and the register grows at that rate."""
    readings = asyncio.run(limited_readings(None))
    powers = [power for _, power in readings]
    limit_a_in_w = 6 * VOLTS_PHASES
    assert powers == [RATED_W, limit_a_in_w, limit_a_in_w, limit_a_in_w, 5000.0, 5000.0]
    energy = [wh for wh, _ in readings]
    # register growth over one 10 s interval under the external limit (reading 1 -> 2): 4140 W * 10 s
    assert energy[2] - energy[1] == pytest.approx(limit_a_in_w * 10 / 3600, abs=0.3)
    assert energy[3] - energy[2] == pytest.approx(limit_a_in_w * 10 / 3600, abs=0.3)
    assert energy[5] - energy[4] == pytest.approx(5000.0 * 30 / 3600, abs=0.3)


def test_meter_ignores_limit_mutant_meters_the_rating() -> None:
    readings = asyncio.run(limited_readings("meter-ignores-limit"))
    assert [power for _, power in readings] == [RATED_W] * 6
    assert readings[2][0] - readings[1][0] == pytest.approx(RATED_W * 10 / 3600, abs=0.3)


def test_grid_limit_and_release_without_transaction() -> None:
    """K12 / K13 without a transaction: the grid-connection limit (evse 0) caps the composite schedule, is
    notified without an evseId, and after the release no limit is left and no TransactionEvent is sent."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            await station.control.aperform(
                "set_external_limit", {"limit": 7000, "unit": "W", "source": "EMS"}
            )
            notified = await csms.expect("NotifyChargingLimit")
            assert notified["chargingLimit"] == {"chargingLimitSource": "EMS"} and "evseId" not in notified
            result = await csms.call(
                call.GetCompositeSchedule(duration=60, evse_id=0, charging_rate_unit="W")
            )
            assert result.schedule["charging_schedule_period"][0]["limit"] == 7000.0
            assert await station.control.aperform("clear_external_limit", {}) == {"cleared": True}
            assert await csms.expect("ClearedChargingLimit") == {"chargingLimitSource": "EMS"}
            result = await csms.call(
                call.GetCompositeSchedule(duration=60, evse_id=0, charging_rate_unit="W")
            )
            assert result.schedule["charging_schedule_period"][0]["limit"] == RATED_W  # K13.FR.01
            assert await station.control.aperform("clear_external_limit", {}) == {"cleared": False}
            assert "TransactionEvent" not in csms.actions()

    asyncio.run(main())


# -- ISO 15118 charging needs (K15 / K17) ----------------------------------------------------------------
def test_ev_charging_needs_then_schedule_from_the_tx_profile() -> None:
    """NotifyEVChargingNeeds with acChargingParameters; Accepted: the next TxProfile makes the EV return
    its schedule (capped to evMaxCurrent) in NotifyEVChargingSchedule, before ChargingRateChanged."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            tx_id, _ = await start_local_transaction(csms, station.control)
            params = {"evse_id": 1, "ev_max_current": 16, "departure_in": 3600, "max_schedule_tuples": 3}
            assert await station.control.aperform("ev_charging_needs", params) == {"status": "Accepted"}
            needs = await csms.expect("NotifyEVChargingNeeds")
            assert needs["evseId"] == 1 and needs["maxScheduleTuples"] == 3
            assert needs["chargingNeeds"]["requestedEnergyTransfer"] == "AC_three_phase"
            assert needs["chargingNeeds"]["acChargingParameters"] == {
                "energyAmount": 20000,
                "evMinCurrent": 6,
                "evMaxCurrent": 16,
                "evMaxVoltage": 400,
            }
            assert "departureTime" in needs["chargingNeeds"]
            tx_profile = profile(11, "TxProfile", periods=[(0, 20.0), (60, 10.0)], transactionId=tx_id)
            assert await set_profile(csms, 1, tx_profile) == "Accepted"
            schedule = await csms.expect("NotifyEVChargingSchedule")
            assert schedule["evseId"] == 1 and "timeBase" in schedule
            periods = schedule["chargingSchedule"]["chargingSchedulePeriod"]
            assert [(p["startPeriod"], p["limit"]) for p in periods] == [(0, 16.0), (60, 10.0)]
            await expect_tx(csms, "Updated", "ChargingRateChanged")
            order = [a for a in csms.actions() if a in ("NotifyEVChargingSchedule", "TransactionEvent")]
            assert order[-2:] == ["NotifyEVChargingSchedule", "TransactionEvent"]
            # the schedule went to the EV once: a further TxProfile is not returned again
            assert (
                await set_profile(csms, 1, profile(12, "TxProfile", stack=1, transactionId=tx_id))
                == "Accepted"
            )
            await expect_tx(csms, "Updated", "ChargingRateChanged")
            assert csms.actions().count("NotifyEVChargingSchedule") == 1

    asyncio.run(main())


def test_ev_charging_needs_rejected_dc_no_schedule_returned() -> None:
    """Rejected (TC_K_54_CS): the EV charges without a schedule; DC needs carry dcChargingParameters."""

    async def main() -> None:
        async with running(behaviour=CsmsBehaviour(ev_charging_needs_status="Rejected")) as (csms, station):
            await csms.booted()
            tx_id, _ = await start_local_transaction(csms, station.control)
            params = {"evse_id": 1, "energy_transfer": "DC", "ev_max_current": 100, "ev_max_voltage": 500}
            assert await station.control.aperform("ev_charging_needs", params) == {"status": "Rejected"}
            needs = (await csms.expect("NotifyEVChargingNeeds"))["chargingNeeds"]
            assert needs["dcChargingParameters"] == {
                "evMaxCurrent": 100,
                "evMaxVoltage": 500,
                "energyAmount": 20000,
            }
            assert "acChargingParameters" not in needs
            assert await set_profile(csms, 1, profile(11, "TxProfile", transactionId=tx_id)) == "Accepted"
            await expect_tx(csms, "Updated", "ChargingRateChanged")
            assert "NotifyEVChargingSchedule" not in csms.actions()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"evse_id": 1}, "no EV is plugged in"),
        ({"evse_id": 1, "energy_transfer": "AC"}, "'energy_transfer' must be one of"),
        ({"evse_id": 1, "ev_max_current": -3}, "'ev_max_current' must be a non-negative integer"),
    ],
)
def test_bad_ev_charging_needs_input(params: dict[str, Any], message: str) -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            if params.get("energy_transfer") or params.get("ev_max_current"):
                await station.control.aperform("plug_in", {"evse_id": 1})
            with pytest.raises(ControlError, match=message):
                await station.control.aperform("ev_charging_needs", params)

    asyncio.run(main())

# mypy: disable-error-code="untyped-decorator"
"""Block K (smart charging) of the reference station, over real sockets from the test CSMS:
SetChargingProfile (K01), GetChargingProfiles + ReportChargingProfiles (K09), ClearChargingProfile (K10),
GetCompositeSchedule (K08), and each block K mutant breaking its rule only while it is on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.v201 import call

from conformance.reference.mutants_station import STATION_MUTANTS
from conformance.reference.station import EvseConfig, StationConfig
from conformance.reference.station import smart_charging as sc
from tests.reference.station.csms import TestCsms, running, wait_state
from tests.reference.station.test_transactions import TOKEN, expect_tx, start_local_transaction

TWO_EVSES = StationConfig(evses=[EvseConfig(), EvseConfig()])
ONLY_AMPS = StationConfig(
    evses=[EvseConfig(), EvseConfig()], device_model={"SmartChargingCtrlr/RateUnit": "A"}
)


def stamp(offset: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def profile(
    pid: int,
    purpose: str = "TxDefaultProfile",
    *,
    stack: int = 0,
    periods: list[tuple[int, float]] | None = None,
    kind: str = "Absolute",
    unit: str = "A",
    duration: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ChargingProfileType (camelCase) with one schedule; Absolute ones start now."""
    schedule: dict[str, Any] = {
        "id": pid,
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": s, "limit": lim, "numberPhases": 3} for s, lim in (periods or [(0, 6.0)])
        ],
    }
    if kind != "Relative":
        schedule["startSchedule"] = stamp()
    if duration is not None:
        schedule["duration"] = duration
    return {
        "id": pid,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": [schedule],
        **extra,
    }


async def set_profile(csms: TestCsms, evse_id: int, prof: dict[str, Any]) -> str:
    """SetChargingProfile; the camelCase profile keys pass through the library unchanged."""
    result = await csms.call(call.SetChargingProfile(evse_id=evse_id, charging_profile=prof))
    return str(result.status)


async def composite(csms: TestCsms, evse_id: int, duration: int, unit: str | None = "A") -> Any:
    return await csms.call(
        call.GetCompositeSchedule(duration=duration, evse_id=evse_id, charging_rate_unit=unit)
    )


def limits(result: Any) -> list[tuple[int, float]]:
    return [(p["start_period"], p["limit"]) for p in result.schedule["charging_schedule_period"]]


def near(actual: list[tuple[int, float]], expected: list[tuple[int, float]], slack: int = 2) -> bool:
    """Same limits in the same order; each startPeriod within `slack` s (the x of Part 6 K08 cases)."""
    return len(actual) == len(expected) and all(
        la == le and abs(sa - se) <= slack for (sa, la), (se, le) in zip(actual, expected, strict=True)
    )


async def entries(csms: TestCsms) -> str:
    item = {
        "component": {"name": "SmartChargingCtrlr"},
        "variable": {"name": "Entries", "instance": "ChargingProfiles"},
    }
    result = await csms.call(call.GetVariables(get_variable_data=[item]))
    return str(result.get_variable_result[0]["attribute_value"])


async def reports_for(csms: TestCsms, request_id: int) -> list[dict[str, Any]]:
    """Every ReportChargingProfilesRequest of `request_id`, up to the one with tbc false."""
    found: list[dict[str, Any]] = []
    while True:
        report = await csms.expect("ReportChargingProfiles", where=lambda p: p["requestId"] == request_id)
        found.append(report)
        if not report.get("tbc", False):
            return found


def test_set_profiles_and_the_composite_schedule_they_yield() -> None:
    """TC_K_40_CS: stack levels (the higher wins while in force); TC_K_39_CS: no profile, local limit."""

    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            bare = await composite(csms, 1, 300, "W")
            assert bare.status == "Accepted" and limits(bare) == [(0, 11000.0)]  # the EVSE's rating
            low = profile(1, periods=[(0, 6.0), (100, 8.0), (200, 10.0)], duration=400)
            high = profile(2, stack=1, periods=[(0, 7.0), (100, 9.0)], duration=150)
            assert await set_profile(csms, 1, low) == "Accepted"
            assert await set_profile(csms, 1, high) == "Accepted"
            result = await composite(csms, 1, 350)
            assert result.status == "Accepted"
            schedule = result.schedule
            assert (schedule["evse_id"], schedule["duration"], schedule["charging_rate_unit"]) == (
                1,
                350,
                "A",
            )
            assert near(limits(result), [(0, 7.0), (100, 9.0), (150, 8.0), (200, 10.0)]), limits(result)
            # The same schedule in W: 3 phases at 230 V.
            in_watts = await composite(csms, 1, 120, "W")
            assert near(limits(in_watts), [(0, 7 * 690.0), (100, 9 * 690.0)])

    asyncio.run(main())


def test_validity_start_schedule_and_recurrence_in_the_composite() -> None:
    """TC_K_21_CS validFrom, TC_K_22_CS validTo, TC_K_23_CS startSchedule, TC_K_19_CS Recurring."""
    local = 15.9  # 11 kW / (3 x 230 V): no profile in force

    async def check(csms: TestCsms, prof: dict[str, Any], expected: list[tuple[int, float]]) -> None:
        assert await set_profile(csms, 1, prof) == "Accepted"
        result = await composite(csms, 1, 400)
        assert near(limits(result), expected), (prof, limits(result))
        assert (await csms.call(call.ClearChargingProfile())).status == "Accepted"

    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            await check(csms, profile(1, kind="Relative", validFrom=stamp(300)), [(0, local), (300, 6.0)])
            await check(csms, profile(2, validFrom=stamp(-10), validTo=stamp(300)), [(0, 6.0), (300, local)])
            later = profile(3)
            later["chargingSchedule"][0]["startSchedule"] = stamp(60)
            await check(csms, later, [(0, local), (60, 6.0)])
            daily = profile(
                4, kind="Recurring", recurrencyKind="Daily", periods=[(0, 6.0), (20, 8.0)], duration=100
            )
            daily["chargingSchedule"][0]["startSchedule"] = stamp(-86400 - 10)
            await check(csms, daily, [(0, 6.0), (10, 8.0), (90, local)])
            no_kind = profile(5, kind="Recurring")  # Recurring without recurrencyKind
            assert await set_profile(csms, 1, no_kind) == "Rejected"
            relative_with_start = profile(6)
            relative_with_start["chargingProfileKind"] = "Relative"
            assert await set_profile(csms, 1, relative_with_start) == "Rejected"

    asyncio.run(main())


def test_composite_for_the_grid_connection_sums_evses_under_the_station_max() -> None:
    """K08 for evseId 0 (TC_K_22_CS note): a TxDefaultProfile on evseId 0 applies to every EVSE, the
    ChargingStationMaxProfile caps the sum (TC_K_41_CS)."""

    async def main() -> None:
        async with running(TWO_EVSES) as (csms, _station):
            await csms.booted()
            assert await set_profile(csms, 0, profile(5, periods=[(0, 6.0)])) == "Accepted"
            both = await composite(csms, 0, 300)
            assert limits(both) == [(0, 12.0)]
            cap = profile(6, "ChargingStationMaxProfile", periods=[(0, 10.0), (60, 20.0)], duration=86400)
            assert await set_profile(csms, 0, cap) == "Accepted"
            capped = await composite(csms, 0, 300)
            assert near(limits(capped), [(0, 10.0), (60, 12.0)]), limits(capped)
            one = await composite(csms, 2, 300)
            assert near(limits(one), [(0, 6.0)])

    asyncio.run(main())


def test_tx_profile_in_a_transaction_overrules_the_default_and_ends_with_it() -> None:
    """K01.FR.09/16/33 rejections, then a TxProfile with its transactionId: composite and lifetime."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            assert await set_profile(csms, 1, profile(1, "TxProfile")) == "Rejected"  # no transaction
            tx_id, _ = await start_local_transaction(csms, station.control)
            assert await set_profile(csms, 0, profile(2, "TxProfile", transactionId=tx_id)) == "Rejected"
            unknown = profile(3, "TxProfile", transactionId="UNKNOWN-TRANSACTION-ID")
            assert await set_profile(csms, 1, unknown) == "Rejected"
            assert await set_profile(csms, 1, profile(4, periods=[(0, 10.0)])) == "Accepted"
            await expect_tx(csms, "Updated", "ChargingRateChanged")  # 11 kW -> 10 A (TC_K_57/58_CS)
            tx_profile = profile(5, "TxProfile", kind="Relative", periods=[(0, 8.0)], transactionId=tx_id)
            assert await set_profile(csms, 1, tx_profile) == "Accepted"
            await expect_tx(csms, "Updated", "ChargingRateChanged")
            same = profile(6, "TxProfile", stack=1, kind="Relative", periods=[(0, 8.0)], transactionId=tx_id)
            assert await set_profile(csms, 1, same) == "Accepted"  # the limit does not change: no event
            assert limits(await composite(csms, 1, 60)) == [(0, 8.0)]
            got = await csms.call(
                call.GetChargingProfiles(
                    request_id=7, charging_profile={"chargingProfilePurpose": "TxProfile"}
                )
            )
            assert got.status == "Accepted"
            [report] = await reports_for(csms, 7)
            assert report["chargingProfile"] == [tx_profile, same] and report["evseId"] == 1
            await station.control.aperform("present_id_token", {"id_token": TOKEN})
            await expect_tx(csms, "Updated", "StopAuthorized")
            await expect_tx(csms, "Ended", "ChargingStateChanged")
            assert "ChargingRateChanged" not in [
                c.payload["triggerReason"]
                for c in csms.calls
                if c.action == "TransactionEvent" and not c.consumed
            ]
            assert limits(await composite(csms, 1, 60)) == [(0, 10.0)]  # back to the TxDefaultProfile
            gone = await csms.call(
                call.GetChargingProfiles(
                    request_id=8, charging_profile={"chargingProfilePurpose": "TxProfile"}
                )
            )
            assert gone.status == "NoProfiles"
            assert await entries(csms) == "1"  # SmartChargingCtrlr.Entries(ChargingProfiles): the default

    asyncio.run(main())


async def remote_start_with_profile(csms: TestCsms, station: Any, prof: dict[str, Any]) -> None:
    """From EVConnectedPreSession: RequestStartTransaction carrying `prof` (TC_K_37_CS steps 1-7)."""
    await station.control.aperform("plug_in", {"evse_id": 1})
    request = call.RequestStartTransaction(
        id_token={"idToken": TOKEN, "type": "ISO14443"}, remote_start_id=77, evse_id=1, charging_profile=prof
    )
    assert (await csms.call(request)).status == "Accepted"
    started = await csms.expect("TransactionEvent", where=lambda p: p["eventType"] == "Started")
    assert started["transactionInfo"]["remoteStartId"] == 77


def test_remote_start_with_a_charging_profile() -> None:
    """K05.FR.03 (TC_K_37_CS): the TxProfile (no transactionId) governs the started transaction."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            tx_profile = profile(9, "TxProfile", kind="Relative", periods=[(0, 6.0)])
            await remote_start_with_profile(csms, station, tx_profile)
            await csms.call(
                call.GetChargingProfiles(request_id=3, charging_profile={"chargingProfileId": [9]})
            )
            [report] = await reports_for(csms, 3)
            assert report["chargingProfile"] == [tx_profile] and report["evseId"] == 1
            assert limits(await composite(csms, 1, 60)) == [(0, 6.0)]

    asyncio.run(main())


def test_remote_start_profile_is_ignored_without_smart_charging() -> None:
    """F01.FR.12 (TC_K_38_CS): smart charging off: the transaction starts, the profile is not installed."""

    async def main() -> None:
        config = StationConfig(device_model={"SmartChargingCtrlr/Enabled": "false"})
        async with running(config) as (csms, station):
            await csms.booted()
            await remote_start_with_profile(csms, station, profile(9, "TxProfile", kind="Relative"))
            state = await wait_state(station, lambda s: s["evses"][0]["transaction"] is not None)
            assert state["charging_profiles"] == []

    asyncio.run(main())


async def combine_purposes(csms: TestCsms, station: Any) -> list[tuple[int, float]]:
    """TC_K_41_CS memory state in a transaction; the composite of EVSE 1 over 400 s."""
    await start_local_transaction(csms, station.control)
    cap = profile(1, "ChargingStationMaxProfile", periods=[(0, 10.0)], duration=86400)
    default = profile(2, periods=[(0, 6.0), (60, 10.0), (120, 8.0), (180, 15.0), (260, 8.0)], duration=300)
    tx_periods = [(0, 8.0), (50, 11.0), (140, 16.0), (200, 6.0), (240, 12.0)]
    tx = profile(3, "TxProfile", periods=tx_periods, duration=260)
    for evse_id, prof in ((0, cap), (1, default), (1, tx)):
        assert await set_profile(csms, evse_id, prof) == "Accepted"
    return limits(await composite(csms, 1, 400))


def test_combining_purposes_in_a_transaction() -> None:
    """TC_K_41_CS: the TxProfile overrules the TxDefaultProfile, ChargingStationMaxProfile caps both."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            result = await combine_purposes(csms, station)
            assert near(result, [(0, 8.0), (50, 10.0), (200, 6.0), (240, 10.0)]), result

    asyncio.run(main())


def test_get_charging_profiles_reports_per_evse_and_criteria() -> None:
    """K09 (TC_K_01/03/10/29-36_CS): the reports carry the profile exactly as set."""

    async def main() -> None:
        async with running(TWO_EVSES) as (csms, _station):
            await csms.booted()
            station_max = profile(1, "ChargingStationMaxProfile", periods=[(0, 32.0)])
            default_all = profile(2, stack=0)
            default_one = profile(3, stack=1, validFrom=stamp(-10), validTo=stamp(600))
            for evse_id, prof in ((0, station_max), (0, default_all), (1, default_one)):
                assert await set_profile(csms, evse_id, prof) == "Accepted"
            await csms.call(call.GetChargingProfiles(request_id=1, charging_profile={}))
            every = await reports_for(csms, 1)
            assert [(r["evseId"], r["tbc"]) for r in every] == [(0, True), (1, False)]
            assert every[0]["chargingProfile"] == [station_max, default_all]
            assert every[1]["chargingProfile"] == [default_one]
            assert all(r["chargingLimitSource"] == "CSO" for r in every)
            await csms.call(call.GetChargingProfiles(request_id=2, evse_id=1, charging_profile={}))
            assert [r["evseId"] for r in await reports_for(csms, 2)] == [1]
            await csms.call(
                call.GetChargingProfiles(request_id=3, charging_profile={"chargingProfileId": [2]})
            )
            assert (await reports_for(csms, 3))[0]["chargingProfile"] == [default_all]
            await csms.call(call.GetChargingProfiles(request_id=4, charging_profile={"stackLevel": 1}))
            assert (await reports_for(csms, 4))[0]["chargingProfile"] == [default_one]
            none = await csms.call(call.GetChargingProfiles(request_id=5, evse_id=2, charging_profile={}))
            assert none.status == "NoProfiles"
            # K01.FR.05 (TC_K_04_CS): the same id replaces the installed profile
            assert await set_profile(csms, 0, profile(2, periods=[(0, 10.0)])) == "Accepted"
            await csms.call(
                call.GetChargingProfiles(request_id=6, charging_profile={"chargingProfileId": [2]})
            )
            [replaced] = await reports_for(csms, 6)
            assert len(replaced["chargingProfile"]) == 1
            assert (
                replaced["chargingProfile"][0]["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"]
                == 10
            )

    asyncio.run(main())


def test_clear_charging_profile_by_id_and_by_criteria() -> None:
    """K10 (TC_K_05/06/07/08/24_CS)."""

    async def main() -> None:
        async with running(TWO_EVSES) as (csms, _station):
            await csms.booted()
            assert (await csms.call(call.ClearChargingProfile(charging_profile_id=1))).status == "Unknown"
            for pid, evse_id in ((1, 1), (2, 2), (3, 0)):
                assert await set_profile(csms, evse_id, profile(pid, stack=2)) == "Accepted"
            assert (await csms.call(call.ClearChargingProfile(charging_profile_id=1))).status == "Accepted"
            unknown = call.ClearChargingProfile(
                charging_profile_criteria={"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}
            )
            assert (await csms.call(unknown)).status == "Unknown"
            both = call.ClearChargingProfile(
                charging_profile_criteria={"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 2}
            )
            assert (await csms.call(both)).status == "Accepted"
            left = await csms.call(call.GetChargingProfiles(request_id=9, charging_profile={}))
            assert left.status == "NoProfiles"

    asyncio.run(main())


def test_rejections_and_not_supported() -> None:
    """K01.FR.26/28 (TC_K_12/14_CS), K08.FR.05/07 (TC_K_47/42_CS), K01.FR.29 (TC_K_15_CS)."""

    async def main() -> None:
        config = StationConfig(device_model={"SmartChargingCtrlr/RateUnit": "A"})
        async with running(config) as (csms, _station):
            await csms.booted()
            assert await set_profile(csms, 2, profile(1)) == "Rejected"  # no EVSE 2
            assert await set_profile(csms, 1, profile(1, unit="W")) == "Rejected"  # only A
            assert await set_profile(csms, 1, profile(1, stack=99)) == "Rejected"  # > ProfileStackLevel
            bad_start = profile(1, periods=[(10, 6.0)])
            assert await set_profile(csms, 1, bad_start) == "Rejected"  # first startPeriod must be 0
            max_on_evse = profile(1, "ChargingStationMaxProfile")
            assert await set_profile(csms, 1, max_on_evse) == "Rejected"
            assert (await composite(csms, 2, 300)).status == "Rejected"
            assert (await composite(csms, 0, 300, "W")).status == "Rejected"
            assert (await composite(csms, 0, 300, None)).schedule["charging_rate_unit"] == "A"
            off = await csms.call(
                call.SetVariables(
                    set_variable_data=[
                        {
                            "component": {"name": "SmartChargingCtrlr"},
                            "variable": {"name": "Enabled"},
                            "attributeValue": "false",
                        }
                    ]
                )
            )
            assert off.set_variable_result[0]["attribute_status"] == "Accepted"
            start = len(csms.raw_in)
            await csms.send_raw(
                '[2,"sc-1","SetChargingProfile",{"evseId":1,"chargingProfile":'
                + json.dumps(profile(1))
                + "}]"
            )
            error = await csms.frame_after(start, lambda f: isinstance(f, list) and f[:2] == [4, "sc-1"])
            assert error[2] == "NotSupported"

    asyncio.run(main())


def test_profiles_survive_a_reboot() -> None:
    """K01.FR.27 (TC_K_13_CS)."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            assert await set_profile(csms, 1, profile(1, periods=[(0, 6.0)])) == "Accepted"
            assert (await csms.call(call.Reset(type="Immediate"))).status == "Accepted"
            await csms.wait_connections(2)
            await csms.booted()
            state = await wait_state(station, lambda s: s["boot_status"] == "Accepted")
            assert [p["id"] for p in state["charging_profiles"]] == [1]
            await csms.call(
                call.GetChargingProfiles(request_id=1, charging_profile={"chargingProfileId": [1]})
            )
            assert (await reports_for(csms, 1))[0]["chargingProfile"][0]["id"] == 1

    asyncio.run(main())


async def in_station(station: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(core, *args)` in the station's own loop (no control action exists for external limits)."""

    async def run() -> Any:
        return fn(station._core, *args)

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), station._loop))


def test_external_limit_is_notified_reported_and_caps_the_composite() -> None:
    """K12 (TC_K_52_CS): NotifyChargingLimit, a ChargingStationExternalConstraints profile in the report,
    the composite capped by it; K13: ClearedChargingLimit when it is released."""

    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            await in_station(station, sc.set_external_limit, 1, 12.0, "A", "EMS")
            notified = await csms.expect("NotifyChargingLimit")
            assert notified["chargingLimit"] == {"chargingLimitSource": "EMS"} and notified["evseId"] == 1
            assert notified["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] == 12.0
            criteria = {"chargingProfilePurpose": "ChargingStationExternalConstraints"}
            await csms.call(call.GetChargingProfiles(request_id=4, charging_profile=criteria))
            [report] = await reports_for(csms, 4)
            assert report["chargingLimitSource"] == "EMS" and report["evseId"] == 1
            assert (
                report["chargingProfile"][0]["chargingProfilePurpose"] == criteria["chargingProfilePurpose"]
            )
            assert limits(await composite(csms, 1, 60)) == [(0, 12.0)]
            # the CSMS cannot clear (or set) an external limit
            assert (await csms.call(call.ClearChargingProfile())).status == "Unknown"
            set_external = profile(5, "ChargingStationExternalConstraints")
            assert await set_profile(csms, 1, set_external) == "Rejected"
            assert await in_station(station, sc.clear_external_limit, 1) is True
            assert await csms.expect("ClearedChargingLimit") == {"chargingLimitSource": "EMS", "evseId": 1}
            assert limits(await composite(csms, 1, 60)) == [(0, 15.9)]  # 11 kW / (3 x 230 V)

    asyncio.run(main())


# -- mutants: each breaks its rule only while it is on ------------------------------------------------
Scenario = Callable[[TestCsms, Any], Coroutine[Any, Any, bool]]  # True when the rule held


async def _txprofile_without_transaction(csms: TestCsms, _station: Any) -> bool:
    return await set_profile(csms, 1, profile(1, "TxProfile")) == "Rejected"


async def _profile_not_replaced(csms: TestCsms, _station: Any) -> bool:
    await set_profile(csms, 1, profile(1, periods=[(0, 6.0)]))
    await set_profile(csms, 1, profile(1, stack=1, periods=[(0, 10.0)]))
    await csms.call(call.GetChargingProfiles(request_id=1, charging_profile={}))
    return sum(len(r["chargingProfile"]) for r in await reports_for(csms, 1)) == 1


async def _rate_unit_unchecked(csms: TestCsms, _station: Any) -> bool:
    return await set_profile(csms, 1, profile(1, unit="W")) == "Rejected"


async def _get_profiles_ignores_evse(csms: TestCsms, _station: Any) -> bool:
    await set_profile(csms, 1, profile(1))
    await set_profile(csms, 2, profile(2))
    await csms.call(call.GetChargingProfiles(request_id=1, evse_id=2, charging_profile={}))
    return [r["evseId"] for r in await reports_for(csms, 1)] == [2]


async def _clear_profile_keeps_first(csms: TestCsms, _station: Any) -> bool:
    await set_profile(csms, 1, profile(1, stack=3))
    await set_profile(csms, 2, profile(2, stack=3))
    criteria = {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 3}
    await csms.call(call.ClearChargingProfile(charging_profile_criteria=criteria))
    left = await csms.call(call.GetChargingProfiles(request_id=1, charging_profile={}))
    return str(left.status) == "NoProfiles"


async def _stack_level_inverted(csms: TestCsms, _station: Any) -> bool:
    await set_profile(csms, 1, profile(1, stack=0, periods=[(0, 6.0)]))
    await set_profile(csms, 1, profile(2, stack=1, periods=[(0, 7.0)]))
    return limits(await composite(csms, 1, 60)) == [(0, 7.0)]


async def _station_max_ignored(csms: TestCsms, _station: Any) -> bool:
    await set_profile(csms, 1, profile(1, periods=[(0, 16.0)]))
    await set_profile(csms, 0, profile(2, "ChargingStationMaxProfile", periods=[(0, 10.0)]))
    return limits(await composite(csms, 1, 60)) == [(0, 10.0)]


async def _rate_change_unreported(csms: TestCsms, station: Any) -> bool:
    await start_local_transaction(csms, station.control)
    await set_profile(csms, 1, profile(1, periods=[(0, 10.0)]))
    try:
        await expect_tx(csms, "Updated", "ChargingRateChanged", timeout=1.0)
    except AssertionError:
        return False
    return True


async def _remote_start_profile_dropped(csms: TestCsms, station: Any) -> bool:
    await remote_start_with_profile(csms, station, profile(9, "TxProfile", kind="Relative"))
    got = await csms.call(call.GetChargingProfiles(request_id=1, charging_profile={"chargingProfileId": [9]}))
    return str(got.status) == "Accepted"


async def _tx_profile_not_overruling(csms: TestCsms, station: Any) -> bool:
    return near(await combine_purposes(csms, station), [(0, 8.0), (50, 10.0), (200, 6.0), (240, 10.0)])


SCENARIOS: dict[str, Scenario] = {
    "tx-profile-not-overruling": _tx_profile_not_overruling,
    "remote-start-profile-dropped": _remote_start_profile_dropped,
    "rate-change-unreported": _rate_change_unreported,
    "txprofile-without-transaction": _txprofile_without_transaction,
    "profile-not-replaced": _profile_not_replaced,
    "rate-unit-unchecked": _rate_unit_unchecked,
    "get-profiles-ignores-evse": _get_profiles_ignores_evse,
    "clear-profile-keeps-first": _clear_profile_keeps_first,
    "stack-level-inverted": _stack_level_inverted,
    "station-max-ignored": _station_max_ignored,
}


def test_every_block_k_mutant_has_a_scenario() -> None:
    from conformance.reference.mutants.station_k import MUTANTS

    assert set(SCENARIOS) == set(MUTANTS)
    assert all(STATION_MUTANTS[name] is mutant for name, mutant in MUTANTS.items())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_block_k_mutant_breaks_its_rule_only_when_on(name: str) -> None:
    async def held(mutant: str | None) -> bool:
        async with running(ONLY_AMPS, mutant=mutant) as (csms, station):
            await csms.booted()
            return await SCENARIOS[name](csms, station)

    assert asyncio.run(held(None)) is True, f"{name}: the conformant station broke the rule"
    assert asyncio.run(held(name)) is False, f"{name}: the mutant did not break its rule"

"""A fleet of reference stations on one loop (conformance.reference.station.fleet): correctness only.

The CSMS peer is the scale benchmark's LightCsms (benchmarks/scale.py): every frame it receives is
decoded and schema-checked by the harness's FrameValidator, every response it sends is checked too.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from conformance.reference.station.config import StationConfig
from conformance.reference.station.fleet import Fleet, start_reference_fleet

N = 20
SCALE_PY = Path(__file__).resolve().parents[3] / "benchmarks" / "scale.py"


def _scale() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_scale", SCALE_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _config(i: int) -> StationConfig:
    return StationConfig(station_id=f"FLEET-{i:02d}", serial_number=f"F{i}")


async def _until_closed(csms: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while csms.stats.open_connections:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "stations did not disconnect after stop()"
        await asyncio.sleep(0.02)


def test_fleet_boots_transacts_and_stops_with_every_frame_valid() -> None:
    scale = _scale()

    async def main() -> None:
        csms = scale.LightCsms()
        url = await csms.start()
        fleet = Fleet(url, N, _config)
        try:
            await fleet.start(timeout=30.0)
            assert all(st.boot_status == "Accepted" for st in fleet.stations)
            assert csms.actions["BootNotification"] == N
            await fleet.run_scenario(timeout=30.0)
            assert all(len(st.evses[1].ended_txs) == 1 and st.evses[1].tx is None for st in fleet.stations)
            sent = [a for st in fleet.stations for a in st.outbox.sent]
            assert sent.count("Heartbeat") == N and sent.count("Authorize") == N
            events = csms.actions["TransactionEvent"]
            assert events >= 4 * N  # Started, Updated (ChargingStateChanged, MeterValuePeriodic), Ended
            assert csms.stats.violations == 0, csms.stats.first_violation
            assert csms.stats.frames_in == csms.stats.frames_out == len(fleet.rtts)
        finally:
            await fleet.stop()
        await _until_closed(csms, 10.0)
        assert csms.stats.connections == N
        await csms.close()

    asyncio.run(main())


def test_fleet_periodic_meter_values_are_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The transaction carries meter values: Started/Ended readings and one MeterValuePeriodic."""
    scale = _scale()
    seen: list[dict[str, object]] = []
    original = scale.response_for

    def spy(action: str, payload: dict[str, object]) -> dict[str, object]:
        if action == "TransactionEvent":
            seen.append(payload)
        result: dict[str, object] = original(action, payload)
        return result

    monkeypatch.setattr(scale, "response_for", spy)

    async def main() -> None:
        csms = scale.LightCsms()
        fleet = Fleet(await csms.start(), 2, _config)
        try:
            await fleet.start(timeout=30.0)
            await fleet.run_scenario(timeout=30.0)
        finally:
            await fleet.stop()
        await _until_closed(csms, 10.0)
        await csms.close()
        assert csms.stats.violations == 0, csms.stats.first_violation

    asyncio.run(main())
    triggers = [(p["eventType"], p["triggerReason"], "meterValue" in p) for p in seen]
    for event in [("Started", "Authorized", True), ("Updated", "MeterValuePeriodic", True), ("Ended",)]:
        assert sum(1 for t in triggers if t[: len(event)] == event) == 2, triggers


def test_start_reference_fleet_in_its_own_thread() -> None:
    scale = _scale()

    async def main() -> None:
        csms = scale.LightCsms()
        url = await csms.start()
        running = await asyncio.to_thread(start_reference_fleet, url, 5, _config, timeout=20.0)
        try:
            assert csms.actions["BootNotification"] == 5
            await asyncio.to_thread(running.run_scenario, 20.0)
            assert csms.actions["Authorize"] == 5
        finally:
            await asyncio.to_thread(running.stop)
        await _until_closed(csms, 10.0)
        assert csms.stats.violations == 0, csms.stats.first_violation
        await csms.close()

    asyncio.run(main())


def test_clock_aligned_meter_values_start_when_the_interval_is_set() -> None:
    """The fleet starts a station's aligned-data loop (J01) only once AlignedDataCtrlr.Interval > 0."""
    scale = _scale()

    def config(i: int) -> StationConfig:
        aligned = {"AlignedDataCtrlr/Interval": "1"} if i == 0 else {}
        return StationConfig(station_id=f"ALIGN-{i}", device_model=aligned)

    async def main() -> None:
        csms = scale.LightCsms()
        fleet = Fleet(await csms.start(), 2, config)
        try:
            await fleet.start(timeout=30.0)
            deadline = time.monotonic() + 10.0
            while "MeterValues" not in csms.actions:  # bounded: Interval is 1 s of station time
                assert time.monotonic() < deadline, "no clock-aligned MeterValues within 10 s"
                await asyncio.sleep(0.05)
            assert [st.aligned_started for st in fleet.stations] == [True, False]
        finally:
            await fleet.stop()
        await _until_closed(csms, 10.0)
        await csms.close()
        assert csms.stats.violations == 0, csms.stats.first_violation

    asyncio.run(main())

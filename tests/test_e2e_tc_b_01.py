"""TC_B_01_CS and TC_B_01_CSMS end to end, each against a small peer on the `ocpp` library:
passing on the conformant peer, failing with the broken rule on a non-conformant one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.peers import ocpp_csms, ocpp_station
from tests.support import TESTCASES, free_port, run_pytest


@pytest.fixture
def station_port() -> int:
    return free_port()


def _start_station(
    port: int, *, skip_status: bool
) -> tuple[ocpp_station.TinyStation, asyncio.AbstractEventLoop]:
    station = ocpp_station.TinyStation(f"ws://127.0.0.1:{port}", "CP001", skip_status=skip_status)
    _thread, loop = ocpp_station.run_in_thread(station)
    return station, loop


def _stop_station(station: ocpp_station.TinyStation, loop: asyncio.AbstractEventLoop) -> None:
    station.stopping = True
    for task in asyncio.all_tasks(loop):
        loop.call_soon_threadsafe(task.cancel)


def _run_cs_case(port: int, reports: object) -> str:
    result = run_pytest(
        str(TESTCASES / "cs" / "test_b_provisioning.py"),
        "-k",
        "TC_B_01_CS",
        "--ocpp-sut",
        "charging-station",
        "--ocpp-listen",
        f"127.0.0.1:{port}",
        "--ocpp-station-id",
        "CP001",
        "--ocpp-timeout",
        "3",
        "--ocpp-reports",
        str(reports),
        "-rA",
    )
    return result.stdout + result.stderr


def test_tc_b_01_cs_passes_on_a_conformant_station(station_port: int, tmp_path: object) -> None:
    station, loop = _start_station(station_port, skip_status=False)
    try:
        output = _run_cs_case(station_port, tmp_path)
    finally:
        _stop_station(station, loop)
    assert "1 passed" in output, output
    assert station.boots >= 2 and "Accepted" in station.boot_statuses


def test_tc_b_01_cs_fails_when_a_connector_is_not_reported(station_port: int, tmp_path: object) -> None:
    station, loop = _start_station(station_port, skip_status=True)
    try:
        output = _run_cs_case(station_port, tmp_path)
    finally:
        _stop_station(station, loop)
    assert "1 failed" in output, output
    assert "[timeout]" in output and "a report of connector(s) [(1, 1)] as Available" in output, output
    assert "reports seen for those connectors: none" in output, output


@pytest.fixture
def tiny_csms(request: pytest.FixtureRequest) -> Iterator[ocpp_csms.TinyCsms]:
    csms = ocpp_csms.TinyCsms(interval_as_string=getattr(request, "param", False))
    _thread, loop, stop = ocpp_csms.run_in_thread(csms)
    yield csms
    loop.call_soon_threadsafe(stop.set)


def _run_csms_case(url: str, reports: object) -> str:
    result = run_pytest(
        str(TESTCASES / "csms" / "test_b_provisioning.py"),
        "-k",
        "TC_B_01_CSMS",
        "--ocpp-sut",
        "csms",
        "--ocpp-csms-url",
        url,
        "--ocpp-station-id",
        "CP001",
        "--ocpp-timeout",
        "3",
        "--ocpp-reports",
        str(reports),
        "-rA",
    )
    return result.stdout + result.stderr


def test_tc_b_01_csms_passes_on_a_conformant_csms(tiny_csms: ocpp_csms.TinyCsms, tmp_path: object) -> None:
    output = _run_csms_case(tiny_csms.url, tmp_path)
    assert "1 passed" in output, output
    assert tiny_csms.boots and tiny_csms.boots[0]["reason"] == "PowerUp"


@pytest.mark.parametrize("tiny_csms", [True], indirect=True)
def test_tc_b_01_csms_fails_on_a_wrongly_typed_interval(
    tiny_csms: ocpp_csms.TinyCsms, tmp_path: object
) -> None:
    output = _run_csms_case(tiny_csms.url, tmp_path)
    assert "1 failed" in output, output
    assert "schema.type at $.interval" in output, output

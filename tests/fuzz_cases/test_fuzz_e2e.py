"""FZ cases end to end through pytest subprocesses, against tiny `ocpp`-library peers over real sockets:
passing on conformant peers, failing with the minimal frame and a replay command on broken ones."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzz_cases import peers
from tests.support import TESTCASES, free_port, run_pytest

FAST = {"OCPP_FUZZ_EXAMPLES": "25", "OCPP_FUZZ_SHRINK_SECONDS": "5"}
# Over-long strings are one fault among many: enough fixed (CI) examples that one is always drawn.
FIND_LONG = {"CI": "true", "OCPP_FUZZ_EXAMPLES": "100"}


def _run(reports: Path, sut_args: list[str], select: str, env: dict[str, str]) -> str:
    result = run_pytest(
        str(TESTCASES / "fuzz"),
        "-k",
        select,
        *sut_args,
        "--ocpp-station-id",
        "CP001",
        "--ocpp-timeout",
        "3",
        "--ocpp-reports",
        str(reports),
        "-rA",
        env={**FAST, **env},
        timeout=120,
    )
    return result.stdout + result.stderr


def _minimal_frame(output: str) -> str:
    found = re.search(r"minimal frame \(ready to send\): (\[2,\"[^\"]+\",.*)", output)
    assert found, output
    return re.sub(r'^\[2,"[^"]+"', "[2,ID", found.group(1))


@pytest.fixture
def csms(request: pytest.FixtureRequest) -> Iterator[peers.FuzzCsms]:
    behaviour: peers.Behaviour = getattr(request, "param", peers.Behaviour())
    peer = peers.FuzzCsms(behaviour=behaviour)
    loop, stop = peers.run_csms(peer)
    yield peer
    loop.call_soon_threadsafe(stop.set)


def _csms_args(peer: peers.FuzzCsms) -> list[str]:
    return ["--ocpp-sut", "csms", "--ocpp-csms-url", peer.url]


def test_fuzz_block_passes_on_a_conformant_csms(csms: peers.FuzzCsms, tmp_path: Path) -> None:
    select = (
        "FZ_Heartbeat_CSMS or FZ_BootNotification_CSMS or FZ_StatusNotification_CSMS or FZ_Authorize_CSMS"
        " or FZ_Framing_CSMS"
    )
    output = _run(tmp_path, _csms_args(csms), select, {"CI": "true"})
    assert "5 passed" in output, output
    assert "message-type-unknown -> CALLERROR MessageTypeNotSupported" in output, output
    assert "derandomized (CI)" in output and "valid -> CALLRESULT" in output, output
    assert "Authorize_CSMS" in output and "valid -> CALLERROR NotImplemented" in output, output
    assert csms.behaviour.received > 4 * 25, csms.behaviour.received  # examples plus liveness round trips


@pytest.mark.parametrize("csms", [peers.Behaviour(accept_malformed=frozenset({"Heartbeat"}))], indirect=True)
def test_a_csms_answering_a_malformed_request_with_a_callresult_fails_with_the_minimal_frame(
    csms: peers.FuzzCsms, tmp_path: Path
) -> None:
    # A developer's run (no CI): Hypothesis draws a seed and keeps a database, and both are reported.
    output = _run(tmp_path, _csms_args(csms), "FZ_Heartbeat_CSMS", {"CI": ""})
    assert "1 failed" in output, output
    assert "property 'invalid-rejected' failed" in output, output
    assert "the SUT accepted a malformed HeartbeatRequest" in output, output
    frame = _minimal_frame(output)
    assert frame.startswith('[2,ID,"Heartbeat",{') and len(frame) < 80, frame
    seed = re.search(r"replay: OCPP_FUZZ_SEED=(\d+) python -m pytest .* -k FZ_Heartbeat_CSMS", output)
    assert seed, output
    assert f"Hypothesis database: {tmp_path / 'hypothesis-db'}" in output, output
    assert (tmp_path / "hypothesis-db").is_dir()
    # The replay command reproduces the same minimal frame (seed + the Hypothesis database).
    again = _run(tmp_path, _csms_args(csms), "FZ_Heartbeat_CSMS", {"OCPP_FUZZ_SEED": seed.group(1), "CI": ""})
    assert "1 failed" in again and _minimal_frame(again) == frame, again


@pytest.mark.parametrize("csms", [peers.Behaviour(close_on_long_string=True)], indirect=True)
def test_a_csms_dropping_the_connection_on_an_over_long_string_fails_and_the_harness_reconnects(
    csms: peers.FuzzCsms, tmp_path: Path
) -> None:
    output = _run(tmp_path, _csms_args(csms), "FZ_BootNotification_CSMS", FIND_LONG)
    assert "1 failed" in output, output
    assert "[disconnected] FZ_BootNotification_CSMS: property 'alive' failed" in output, output
    assert re.search(r"invalid BootNotificationRequest \(maxLength\): string of \d+ characters", output), (
        output
    )
    frame = _minimal_frame(output)
    assert frame.startswith('[2,ID,"BootNotification",{'), frame
    assert csms.behaviour.closed_on_long_string >= 2, "each shrink step ran on a new connection"


@pytest.fixture
def station_port() -> int:
    return free_port()


def _station(port: int, behaviour: peers.Behaviour) -> tuple[peers.FuzzStation, object]:
    station = peers.FuzzStation(f"ws://127.0.0.1:{port}", behaviour=behaviour)
    return station, peers.run_station(station)


def _cs_args(port: int) -> list[str]:
    return ["--ocpp-sut", "charging-station", "--ocpp-listen", f"127.0.0.1:{port}"]


def test_fuzz_block_passes_on_a_conformant_station(station_port: int, tmp_path: Path) -> None:
    station = peers.FuzzStation(f"ws://127.0.0.1:{station_port}")
    loop = peers.run_station(station)
    select = (
        "FZ_GetVariables_CS or FZ_Reset_CS or FZ_SetVariables_CS or FZ_UpdateFirmware_CS"
        " or FZ_Heartbeat_CS or FZ_BootNotification_CS or FZ_MeterValues_CS or FZ_Framing_CS"
    )
    try:
        output = _run(tmp_path, _cs_args(station_port), select, {})
    finally:
        peers.stop_station(station, loop)
    # MeterValues cannot be triggered on the tiny station: not applicable, not failed.
    assert "7 passed, 1 skipped" in output, output
    assert "[not-applicable] the station cannot be made to send MeterValuesRequest" in output, output
    assert re.search(r"FZ_UpdateFirmware_CS: \d+ example\(s\) sent \(0 valid, \d+ invalid\)", output), output
    assert "required -> answered" in output, output  # invalid answers to the station's own requests
    assert station.connections == 1, "a conformant station is never dropped"


def test_a_station_dropping_the_connection_on_an_over_long_string_fails(
    station_port: int, tmp_path: Path
) -> None:
    station = peers.FuzzStation(
        f"ws://127.0.0.1:{station_port}", behaviour=peers.Behaviour(close_on_long_string=True)
    )
    loop = peers.run_station(station)
    try:
        output = _run(tmp_path, _cs_args(station_port), "FZ_GetVariables_CS", FIND_LONG)
    finally:
        peers.stop_station(station, loop)
    assert "1 failed" in output, output
    assert "[disconnected] FZ_GetVariables_CS: property 'alive' failed" in output, output
    assert '"GetVariables",{"getVariableData":[' in _minimal_frame(output), output
    assert station.connections >= 2, "the harness waited for the station to reconnect"

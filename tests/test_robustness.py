"""A dead, silent or vanishing SUT fails the case within the timeout with a clear message: never a hang,
never an INTERNALERROR, and the readiness report is still written."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.peers import raw
from tests.support import TESTCASES, free_port, run_pytest

CS_CASE = str(TESTCASES / "cs" / "test_b_provisioning.py")
CSMS_CASE = str(TESTCASES / "csms" / "test_b_provisioning.py")


def _description(tmp_path: Path, connect: float) -> str:
    path = tmp_path / "sut.toml"
    path.write_text(f"[timeouts]\nconnect = {connect}\n")
    return str(path)


def _assert_clean(output: str, reports: Path) -> dict[str, object]:
    assert "INTERNALERROR" not in output, output
    assert "Traceback (most recent call last)" not in output, output
    readiness = json.loads((reports / "readiness.json").read_text())
    return dict(readiness)


def test_station_that_never_answers_times_out(tmp_path: Path) -> None:
    port = free_port()
    loop, stop = raw.silent_station(f"ws://127.0.0.1:{port}", "CP001")
    try:
        started = time.monotonic()
        result = run_pytest(
            CS_CASE,
            "-k",
            "TC_B_01_CS",
            "--ocpp-listen",
            f"127.0.0.1:{port}",
            "--ocpp-timeout",
            "1",
            "--ocpp-reports",
            str(tmp_path),
            "-rA",
        )
        elapsed = time.monotonic() - started
    finally:
        loop.call_soon_threadsafe(stop.set)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "[timeout] no ResetResponse from the charging station within 1 s" in output
    assert elapsed < 30
    readiness = _assert_clean(output, tmp_path)
    core = next(p for p in readiness["profiles"] if p["name"] == "Core")  # type: ignore[index]
    assert core["verdict"] == "not-ready"


def test_station_that_never_connects_fails_within_the_connect_timeout(tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    result = run_pytest(
        CS_CASE,
        "-k",
        "TC_B_01_CS",
        "--ocpp-listen",
        f"127.0.0.1:{port}",
        "--ocpp-config",
        _description(tmp_path, 1.5),
        "--ocpp-reports",
        str(tmp_path),
        "-rA",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "the charging station under test did not connect" in output
    assert time.monotonic() - started < 30
    _assert_clean(output, tmp_path)


def test_dead_csms_fails_with_the_reason(tmp_path: Path) -> None:
    port = free_port()
    result = run_pytest(
        CSMS_CASE,
        "-k",
        "TC_B_01_CSMS",
        "--ocpp-csms-url",
        f"ws://127.0.0.1:{port}",
        "--ocpp-timeout",
        "1",
        "--ocpp-reports",
        str(tmp_path),
        "-rA",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "[disconnected] could not connect to the CSMS" in output and "refused" in output, output
    _assert_clean(output, tmp_path)


def test_csms_that_hangs_up_fails_promptly(tmp_path: Path) -> None:
    port, loop, stop = raw.hanging_up_csms()
    try:
        result = run_pytest(
            CSMS_CASE,
            "-k",
            "TC_B_01_CSMS",
            "--ocpp-csms-url",
            f"ws://127.0.0.1:{port}",
            "--ocpp-timeout",
            "5",
            "--ocpp-reports",
            str(tmp_path),
            "-rA",
        )
    finally:
        loop.call_soon_threadsafe(stop.set)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "[disconnected] the CSMS closed the connection" in output, output
    _assert_clean(output, tmp_path)

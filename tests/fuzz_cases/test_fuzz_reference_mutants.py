"""The fuzz block against the built-in reference SUTs: it passes on the conformant ones, and fails with the
shrunk minimal frame on a mutant that answers a malformed request with a CALLRESULT and on one that drops
the connection on an over-long string."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.resources import schema_dir
from tests.support import run_cli

CASES = {
    "csms": "FZ_BootNotification_CSMS or FZ_Heartbeat_CSMS",
    "charging-station": "FZ_GetVariables_CS or FZ_ReserveNow_CS",
}


def _max_lengths() -> set[int]:
    found: set[int] = set()
    for path in schema_dir().glob("*Request.json"):
        found.update(int(n) for n in re.findall(r'"maxLength":\s*(\d+)', path.read_text()))
    return found


def _fuzz(tmp_path: Path, sut: str, *extra: str) -> tuple[int, str]:
    result = run_cli(
        "run",
        "-k",
        CASES[sut],
        "--ocpp-sut",
        sut,
        "--ocpp-builtin",
        "--ocpp-timeout",
        "2",
        "--ocpp-fuzz-examples",
        "40",
        "-rA",
        *extra,
        cwd=tmp_path,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("sut", sorted(CASES))
def test_fuzz_cases_pass_on_the_conformant_reference(sut: str, tmp_path: Path) -> None:
    code, output = _fuzz(tmp_path, sut)
    assert code == 0, output[-4000:]
    junit = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
    passed = [c for c in junit.iter("testcase") if not list(c)]  # no failure / error / skipped child
    assert len(passed) == 2, output[-4000:]


@pytest.mark.parametrize("sut", sorted(CASES))
def test_dropping_the_connection_on_an_over_long_string_fails_with_the_minimal_frame(
    sut: str, tmp_path: Path
) -> None:
    code, output = _fuzz(tmp_path, sut, "--ocpp-mutant", "closes-on-long-string")
    assert code == 1, output[-4000:]
    assert "property 'alive' failed on the minimal example" in output, output[-4000:]
    frame = re.search(r"minimal frame \(ready to send\): (\[2,.*\])", output)
    assert frame, output[-4000:]
    longest = max(len(s) for s in re.findall(r'"(x+)"', frame.group(1)))
    assert longest - 1 in _max_lengths(), frame.group(1)  # shrunk to exactly one over a schema's maxLength
    assert re.search(r"replay: (OCPP_FUZZ_SEED=\d+|CI=1) python -m pytest", output), output[-3000:]


def test_accepting_a_malformed_request_fails_with_the_minimal_frame(tmp_path: Path) -> None:
    code, output = _fuzz(tmp_path, "csms", "--ocpp-mutant", "wrong-callerror-code")
    assert code == 1, output[-4000:]
    assert "with a CALLRESULT" in output and "property 'invalid-rejected' failed" in output, output[-4000:]
    assert re.search(r"minimal frame \(ready to send\): \[2,", output)
    assert "SUT answer: [3," in output

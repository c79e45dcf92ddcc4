"""A run against a reference mutant: readiness says not-ready and names the failing case and the frame
that broke the rule; the exit code gates a pipeline; JUnit names the case by its id."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.support import run_cli


def test_mutant_run_is_not_ready_with_the_failing_frame(tmp_path: Path) -> None:
    result = run_cli(
        "run",
        "-k",
        "TC_B_01_CSMS",
        "--ocpp-sut",
        "csms",
        "--ocpp-builtin",
        "--ocpp-mutant",
        "heartbeat-interval-string",
        "--ocpp-timeout",
        "3",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "not-ready" in result.stdout
    readiness = json.loads((tmp_path / "reports" / "readiness.json").read_text())
    core = next(p for p in readiness["profiles"] if p["name"] == "Core" and p["sut_type"] == "csms")
    assert core["verdict"] == "not-ready"
    failed = [c for c in core["cases"] if c["outcome"] == "failed"]
    assert [c["id"] for c in failed] == ["TC_B_01_CSMS"]
    reason = failed[0]["reason"]
    assert "schema.type at $.interval" in reason
    assert '"interval":"300"' in reason  # the frame from the SUT that broke the rule
    markdown = (tmp_path / "reports" / "readiness.md").read_text()
    assert "TC_B_01_CSMS" in markdown and "not-ready" in markdown
    names = [case.get("name") for case in ET.parse(tmp_path / "reports" / "junit.xml").iter("testcase")]
    assert names == ["TC_B_01_CSMS"]


def test_conformant_run_of_the_same_case_passes(tmp_path: Path) -> None:
    result = run_cli(
        "run",
        "-k",
        "TC_B_01_CSMS",
        "--ocpp-sut",
        "csms",
        "--ocpp-builtin",
        "--ocpp-timeout",
        "3",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    readiness = json.loads((tmp_path / "reports" / "readiness.json").read_text())
    core = next(p for p in readiness["profiles"] if p["name"] == "Core" and p["sut_type"] == "csms")
    case = next(c for c in core["cases"] if c["id"] == "TC_B_01_CSMS")
    assert case["outcome"] == "passed"
    assert core["verdict"] in ("not-verified", "ready")

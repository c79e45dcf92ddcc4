"""TC_B_51_CS where it differs from TC_B_52_CS: with two EVSEs, the connector that did not change while
offline must be reported too. (TC_B_41_CS on two EVSEs is proven by tests/test_meta_mutants.py, which runs
it under the same SUT description.)"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import TESTCASES, run_pytest

DESCRIPTION = (Path(__file__).parents[1] / "descriptions" / "two_evses.toml").read_text()


def _run(tmp_path: Path, selection: str, *extra: str) -> str:
    description = tmp_path / "sut.toml"
    description.write_text(DESCRIPTION)
    result = run_pytest(
        str(TESTCASES / "cs" / "test_b_provisioning.py"),
        "-k",
        selection,
        "--ocpp-config",
        str(description),
        "--ocpp-builtin",
        "--ocpp-timeout",
        "2",
        "--ocpp-reports",
        str(tmp_path / "reports"),
        "-rA",
        *extra,
        timeout=120,
    )
    return result.stdout + result.stderr


def test_b51_passes_on_a_two_evse_station(tmp_path: Path) -> None:
    output = _run(tmp_path, "TC_B_51_CS")
    assert re.search(r"\b1 passed\b", output), output[-3000:]


def test_b51_fails_when_only_changed_connectors_are_reported(tmp_path: Path) -> None:
    """B04.FR.01: with two EVSEs, the connector that did not change must be reported too."""
    output = _run(tmp_path, "TC_B_51_CS", "--ocpp-mutant", "offline-long-only-changed")
    assert re.search(r"\b1 failed\b", output), output[-3000:]
    assert re.search(r"a report of connector\(s\) \[\(2, 1\)\] as Available", output), output[-3000:]

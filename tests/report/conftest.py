"""A real allure-pytest results directory, made once per session by running a small sample suite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

SAMPLE = textwrap.dedent(
    """
    import pytest

    from conformance.catalogue import Catalogue
    from conformance.errors import NotApplicable, SchemaViolationFailure, SutTimeout
    from conformance.report.allure_labels import apply_case_labels, tag_message

    CAT = Catalogue.load()


    def test_TC_B_01_CS():
        apply_case_labels(CAT.get("TC_B_01_CS"), "charging-station")


    def test_TC_E_04_CS():
        apply_case_labels(CAT.get("TC_E_04_CS"), "charging-station")
        raise SchemaViolationFailure(tag_message(SchemaViolationFailure, "$.reason: enum"))


    def test_TC_B_01_CSMS():
        apply_case_labels(CAT.get("TC_B_01_CSMS"), "csms", fuzz=True)
        raise SutTimeout(tag_message(SutTimeout, "no BootNotificationResponse within 5 s"))


    def test_TC_K_01_CS():
        apply_case_labels(CAT.get("TC_K_01_CS"), "charging-station")
        pytest.skip(tag_message(NotApplicable, "SmartCharging not declared"))


    def test_plain_assert():
        assert 1 == 2, "[conformance] status must be Accepted"


    def test_broken():
        raise RuntimeError("harness blew up")
    """
)


@pytest.fixture(scope="session")
def allure_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the sample suite under allure-pytest (a subprocess: its own plugin state) and return results."""
    root = tmp_path_factory.mktemp("allure-sample")
    (root / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    results = root / "allure-results"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:ocpp_conformance",
            f"--alluredir={results}",
            "test_sample.py",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # 3 failed (schema, timeout, plain assert) + 1 error-as-failure (broken), 1 passed, 1 skipped
    assert "1 passed" in done.stdout and "1 skipped" in done.stdout, done.stdout + done.stderr
    return results


def load_results(results: Path) -> dict[str, dict[str, Any]]:
    """result JSON by test function name."""
    out: dict[str, dict[str, Any]] = {}
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["fullName"].rsplit("#", 1)[-1]] = data
    return out


@pytest.fixture(scope="session")
def allure_cli() -> list[str]:
    """The Allure 3 CLI, npm-installed into the shared cache dir on first use (skips when npm is missing)."""
    from tests.report.test_render import _allure_cli

    return _allure_cli()


@pytest.fixture(scope="session")
def chromium() -> str:
    """A headless-capable Chromium ($OCPP_CONFORMANCE_CHROMIUM or on PATH); skip when there is none."""
    from tests.report.cdp import CHROMIUM_CANDIDATES, find_chromium

    found = find_chromium()
    if found is None:
        pytest.skip(
            f"no Chromium: none of {', '.join(CHROMIUM_CANDIDATES)} on PATH and $OCPP_CONFORMANCE_CHROMIUM"
            " unset or not a file (CI: apt-get install chromium)"
        )
    return found

"""Allure labels as allure-pytest really writes them, the message convention, categories, environment."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import (
    ActionUnsupported,
    ConfigError,
    ConformanceFailure,
    HarnessError,
    NotApplicable,
    SchemaViolationFailure,
    SutDisconnected,
    SutTimeout,
)
from conformance.report.allure_labels import (
    allurerc_text,
    categories,
    environment_mapping,
    prefix_for,
    tag_message,
    write_allurerc,
    write_categories,
    write_environment,
    write_executor,
)
from tests.report.conftest import load_results


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def test_labels_of_a_mandatory_case(allure_results: Path) -> None:
    result = load_results(allure_results)["test_TC_B_01_CS"]
    assert result["name"] == "TC_B_01_CS Cold Boot Charging Station - Accepted"
    assert result["status"] == "passed"
    assert _labels(result, "epic") == ["OCPP 2.0.1"]
    assert _labels(result, "parentSuite") == ["Charging Station under test"]
    assert _labels(result, "suite") == ["B Provisioning"]
    assert _labels(result, "feature") == ["B01"]
    assert _labels(result, "as_id") == ["TC_B_01_CS"]
    assert _labels(result, "tag") == ["Core:M"]
    assert _labels(result, "severity") == ["critical"]


def test_labels_of_conditional_and_fuzz_cases(allure_results: Path) -> None:
    results = load_results(allure_results)
    e04 = results["test_TC_E_04_CS"]
    assert _labels(e04, "severity") == ["normal"]
    assert _labels(e04, "tag") == ["Core:C"]
    assert _labels(e04, "suite") == ["E Transactions"]
    fuzz = results["test_TC_B_01_CSMS"]
    assert _labels(fuzz, "parentSuite") == ["CSMS under test"]
    assert _labels(fuzz, "severity") == ["minor"]
    assert "fuzz" in _labels(fuzz, "tag")


def test_message_prefixes() -> None:
    assert prefix_for(SchemaViolationFailure("x")) == "[schema]"
    assert prefix_for(SutTimeout) == "[timeout]"
    assert prefix_for(SutDisconnected) == "[disconnected]"
    assert prefix_for(ConformanceFailure) == "[conformance]"
    assert prefix_for(ConfigError) == "[harness]"  # a HarnessError
    assert prefix_for(HarnessError) == "[harness]"
    assert prefix_for(ActionUnsupported("plug_in", "prompt")) == "[unsupported]"
    assert prefix_for(NotApplicable) == "[not-applicable]"
    assert prefix_for(ValueError) == ""
    assert tag_message(SutTimeout, "late") == "[timeout] late"
    assert tag_message(SutTimeout, "[timeout] late") == "[timeout] late"


def _java_category(message: str, status: str) -> str | None:
    """Allure 2 semantics: first rule whose status matches and whose regex matches the WHOLE message."""
    for rule in categories():
        if status in rule["matchedStatuses"] and (
            "messageRegex" not in rule or re.fullmatch(rule["messageRegex"], message)
        ):
            return str(rule["name"])
    return None


def test_categories_sort_the_real_messages(allure_results: Path) -> None:
    results = load_results(allure_results)
    expected = {
        "test_TC_E_04_CS": "Schema violation (SUT)",
        "test_TC_B_01_CSMS": "SUT timeout",
        "test_TC_K_01_CS": "Not applicable to this SUT",
        "test_plain_assert": "SUT non-conformance",
        "test_broken": "Harness error (unexpected exception)",
    }
    for name, category in expected.items():
        details = results[name]["statusDetails"]
        assert _java_category(details["message"], results[name]["status"]) == category, details["message"]
    assert (
        _java_category("AssertionError: some other assert", "failed")
        == "Unclassified failure (assertion without a key)"
    )
    assert _java_category("conformance.errors.HarnessError: [harness] no port", "broken") == "Harness error"


def test_categories_json_and_allurerc(tmp_path: Path) -> None:
    path = write_categories(tmp_path)
    assert json.loads(path.read_text()) == categories()
    rc = write_allurerc(tmp_path)
    assert rc.name == "allurerc.mjs" and "export default" in rc.read_text()
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not on PATH: cannot import allurerc.mjs")
    script = "import(process.argv[1]).then(m => console.log(JSON.stringify(m.default)))"
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, rc.as_uri()], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert config["categories"]["rules"] == categories()
    assert config["plugins"]["awesome"]["options"]["singleFile"] is True
    assert allurerc_text(single_file=False).count('"singleFile": false') == 1


def test_environment_properties(tmp_path: Path) -> None:
    mapping = environment_mapping(
        vendor="ACME",
        model="Wallbox 1",
        firmware="1.2.3",
        station_id="CS001",
        security_profile=2,
        sut_type="charging-station",
    )
    path = write_environment(tmp_path, mapping)
    text = path.read_text()
    assert "SUT\\ vendor=ACME" in text and "Security\\ profile=2" in text and "OCPP\\ version=2.0.1" in text
    assert "Harness\\ version=ocpp-conformance" in text
    with pytest.raises(ValueError, match="secret-looking"):
        write_environment(tmp_path, {"Basic auth password": "hunter2"})
    assert "hunter2" not in path.read_text()


def test_executor(tmp_path: Path) -> None:
    data = json.loads(write_executor(tmp_path, build_name="run 7", build_url="https://ci/7").read_text())
    assert (
        data["name"] == "ocpp-conformance"
        and data["buildName"] == "run 7"
        and data["buildUrl"] == "https://ci/7"
    )

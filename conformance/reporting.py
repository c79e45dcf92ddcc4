"""Session-end reporting glue: readiness files, Allure run metadata, JUnit names, the terminal table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.report.allure_labels import (
    environment_mapping,
    write_allurerc,
    write_categories,
    write_environment,
    write_executor,
)
from conformance.report.readiness import (
    CaseOutcome,
    SutInfo,
    compute_readiness,
    format_table,
    write_readiness,
)
from conformance.settings import RunSettings

_REPORT_KEY = pytest.StashKey[dict[str, Any]]()
IMPLEMENTED_KEY = pytest.StashKey[set[str]]()
IDENTITY_KEY = pytest.StashKey[dict[str, dict[str, str]]]()


def _settings(config: pytest.Config) -> RunSettings | None:
    from conformance.pytest_plugin import _SETTINGS_KEY

    return config.stash.get(_SETTINGS_KEY, None)


def sut_infos(settings: RunSettings, identities: dict[str, dict[str, str]]) -> list[SutInfo]:
    described = settings.description.sut
    infos = []
    for kind in settings.sut_types:
        seen = identities.get(kind, {})
        infos.append(
            SutInfo(
                type=kind,
                vendor=seen.get("vendorName", described.vendor_name if kind == "charging-station" else ""),
                model=seen.get("model", described.model if kind == "charging-station" else ""),
                firmware=seen.get(
                    "firmwareVersion", described.firmware_version if kind == "charging-station" else ""
                ),
                station_id=settings.station_id,
                features=dict(settings.features_for(kind)),
            )
        )
    return infos


def write_session_reports(config: pytest.Config, outcomes: dict[str, Any]) -> None:
    """Write readiness.json / readiness.md (and Allure run metadata) when OCPP cases were collected."""
    settings = _settings(config)
    implemented = config.stash.get(IMPLEMENTED_KEY, set())
    if settings is None or not implemented or config.option.collectonly:
        return
    reports = Path(config.getoption("ocpp_reports") or "reports")
    identities = config.stash.get(IDENTITY_KEY, {})
    report = compute_readiness(
        [CaseOutcome(case_id, o["outcome"], o["reason"], o["duration"]) for case_id, o in outcomes.items()],
        sut=sut_infos(settings, identities),
        profiles=list(settings.profiles) or None,
        implemented_ids=implemented,
    )
    report["paths"] = {
        "readiness_json": str(reports / "readiness.json"),
        "readiness_md": str(reports / "readiness.md"),
    }
    json_path, md_path = write_readiness(report, reports)
    config.stash[_REPORT_KEY] = report
    if getattr(config.option, "allure_report_dir", None):
        import allure

        # On the report's Global Attachments: the verdict per profile, next to the proof per case.
        allure.global_attach(
            md_path.read_text(encoding="utf-8"),
            name="Certification readiness (readiness.md)",
            attachment_type=allure.attachment_type.TEXT,
        )
        allure.global_attach(
            json_path.read_text(encoding="utf-8"),
            name="Certification readiness (readiness.json)",
            attachment_type=allure.attachment_type.JSON,
        )
    allure_dir = getattr(config.option, "allure_report_dir", None)
    if allure_dir:
        results = Path(allure_dir)
        first = sut_infos(settings, identities)[0]
        write_environment(
            results,
            environment_mapping(
                vendor=first.vendor,
                model=first.model,
                firmware=first.firmware,
                station_id=settings.station_id,
                security_profile=settings.security_profile,
                sut_type=", ".join(settings.sut_types),
            ),
        )
        write_executor(results)
        write_categories(results)
        write_allurerc(results)


def readiness_summary(config: pytest.Config) -> list[str]:
    report = config.stash.get(_REPORT_KEY, None)
    if report is None:
        return []
    lines = ["", *format_table(report).splitlines()]
    lines.append(f"readiness: {report['paths']['readiness_md']}  {report['paths']['readiness_json']}")
    allure_dir = getattr(config.option, "allure_report_dir", None)
    if allure_dir:
        lines.append(f"allure results: {allure_dir}  (render: ocpp-conformance report)")
    xml = getattr(config.option, "xmlpath", None)
    if xml:
        lines.append(f"junit: {xml}")
    return lines


_CASE_NAME = re.compile(r"^test_((?:TC|FZ)_[A-Za-z0-9_]+)$")


def rename_junit_cases(path: Path) -> None:
    """JUnit test names become the bare test-case ids (TC_B_01_CS), as CI dashboards show them."""
    if not path.is_file():
        return
    tree = ET.parse(path)
    changed = False
    for testcase in tree.iter("testcase"):
        match = _CASE_NAME.match(testcase.get("name", ""))
        if match:
            testcase.set("name", match.group(1))
            changed = True
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)

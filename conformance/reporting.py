"""Session-end reporting glue: readiness files, Allure run metadata, JUnit names, the terminal table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.report.allure_labels import environment_mapping
from conformance.report.publish import publish
from conformance.report.readiness import CaseOutcome, SutInfo, format_table
from conformance.report.run_record import RunRecord
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


def run_record(config: pytest.Config, outcomes: dict[str, Any]) -> RunRecord | None:
    """This pytest run as a record (None when no OCPP case was collected)."""
    settings = _settings(config)
    implemented = config.stash.get(IMPLEMENTED_KEY, set())
    if settings is None or not implemented or config.option.collectonly:
        return None
    suts = sut_infos(settings, config.stash.get(IDENTITY_KEY, {}))
    first = suts[0]
    return RunRecord(
        outcomes={
            case_id: CaseOutcome(case_id, o["outcome"], o["reason"], o["duration"])
            for case_id, o in outcomes.items()
        },
        suts=suts,
        profiles=list(settings.profiles),
        implemented_ids=set(implemented),
        environment=environment_mapping(
            vendor=first.vendor,
            model=first.model,
            firmware=first.firmware,
            station_id=settings.station_id,
            security_profile=settings.security_profile,
            sut_type=", ".join(settings.sut_types),
        ),
    )


def write_session_reports(config: pytest.Config, outcomes: dict[str, Any]) -> None:
    """Write readiness.json / readiness.md (and Allure run metadata) when OCPP cases were collected; a run
    that is one part of `ocpp-conformance run` writes only its record, which the runner merges."""
    record = run_record(config, outcomes)
    if record is None:
        return
    part_record = config.getoption("ocpp_part_record", None)
    if part_record:
        record.write(Path(part_record))
        return
    reports = Path(config.getoption("ocpp_reports") or "reports")
    allure_dir = getattr(config.option, "allure_report_dir", None)
    config.stash[_REPORT_KEY] = publish(record, reports, Path(allure_dir) if allure_dir else None)


def readiness_summary(config: pytest.Config) -> list[str]:
    report = config.stash.get(_REPORT_KEY, None)
    if report is None:
        return []
    return report_summary_lines(
        report, getattr(config.option, "allure_report_dir", None), getattr(config.option, "xmlpath", None)
    )


def report_summary_lines(report: dict[str, Any], allure_dir: str | None, junit: str | None) -> list[str]:
    """The terminal's closing lines: the readiness table and where every report is."""
    lines = ["", *format_table(report).splitlines()]
    lines.append(f"readiness: {report['paths']['readiness_md']}  {report['paths']['readiness_json']}")
    if allure_dir:
        lines.append(f"allure results: {allure_dir}  (render: ocpp-conformance report)")
    if junit:
        lines.append(f"junit: {junit}")
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

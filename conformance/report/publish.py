"""Publish a run record: readiness.json / readiness.md, and the Allure run metadata beside the results.

Used at the end of a serial pytest run and, for a run split into parts, once by the runner after the
parts are merged, so the report always describes the whole run. Nothing here knows pytest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import GlobalAttachment, Globals
from allure_commons.types import AttachmentType
from allure_commons.utils import now

from conformance.report.allure_labels import (
    write_allurerc,
    write_categories,
    write_environment,
    write_executor,
)
from conformance.report.readiness import compute_readiness, write_readiness
from conformance.report.run_record import RunRecord


def publish(record: RunRecord, reports: Path, allure_results: Path | None) -> dict[str, Any]:
    """Write the readiness files into `reports` (and the Allure metadata into `allure_results` when given);
    returns the readiness report with its paths."""
    report = compute_readiness(
        record.outcomes.values(),
        sut=record.suts,
        profiles=record.profiles or None,
        implemented_ids=record.implemented_ids,
    )
    report["paths"] = {
        "readiness_json": str(reports / "readiness.json"),
        "readiness_md": str(reports / "readiness.md"),
    }
    json_path, md_path = write_readiness(report, reports)
    if allure_results is not None:
        _attach_globally(
            allure_results, md_path, "Certification readiness (readiness.md)", AttachmentType.TEXT
        )
        _attach_globally(
            allure_results, json_path, "Certification readiness (readiness.json)", AttachmentType.JSON
        )
        write_environment(allure_results, record.environment)
        write_executor(allure_results)
        write_categories(allure_results)
        write_allurerc(allure_results)
    return report


def _attach_globally(results: Path, source: Path, name: str, kind: AttachmentType) -> None:
    """On the report's Global Attachments: the verdict per profile, next to each case's proof."""
    # allure-commons is untyped; its file logger is what allure-pytest itself writes results with.
    logger = AllureFileLogger(results)  # type: ignore[no-untyped-call]
    file_name = f"{uuid4()}-attachment.{kind.extension}"
    logger.report_attached_data(source.read_text(encoding="utf-8"), file_name)  # type: ignore[no-untyped-call]
    stamp = now()  # type: ignore[no-untyped-call]
    attachment = GlobalAttachment(source=file_name, name=name, type=kind.mime_type, timestamp=stamp)
    logger.report_globals(Globals(attachments=[attachment]))  # type: ignore[no-untyped-call]

"""Read an allure-pytest results directory back into `CaseOutcome`s for the readiness report.

A result belongs to a Part 6 case when it carries the `as_id` label that `apply_case_labels` sets
(allure.dynamic.id). Status mapping: passed -> passed; failed/broken -> failed; skipped -> skipped, or
not-applicable when the message carries the `[not-applicable]` key (see allure_labels' convention).
Results without a case id (fuzz campaigns, unit tests) are ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.report.readiness import CaseOutcome, Outcome

_STATUS: dict[str, Outcome] = {
    "passed": "passed",
    "failed": "failed",
    "broken": "failed",
    "skipped": "skipped",
}


def _case_id(result: dict[str, Any]) -> str | None:
    return next((str(x["value"]) for x in result.get("labels", []) if x.get("name") == "as_id"), None)


def outcomes_from_allure(results_dir: Path) -> list[CaseOutcome]:
    """One CaseOutcome per labelled *-result.json (retries included: readiness keeps the worst)."""
    out: list[CaseOutcome] = []
    for path in sorted(results_dir.glob("*-result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        case_id = _case_id(result)
        status = _STATUS.get(result.get("status", ""))
        if case_id is None or status is None:
            continue
        message = str(result.get("statusDetails", {}).get("message", "") or "")
        if status == "skipped" and "[not-applicable]" in message:
            status = "not-applicable"
        duration = max(0, int(result.get("stop", 0)) - int(result.get("start", 0))) / 1000.0
        out.append(CaseOutcome(case_id, status, message.strip(), duration))
    return out


__all__ = ["outcomes_from_allure"]

"""What one pytest run of the cases produced, before it becomes reports: outcomes, SUTs, profiles.

`ocpp-conformance run` splits a run against the built-in SUTs into parts (parallel shards, and re-runs of
the cases that need another security profile); each part writes its `RunRecord` as JSON and the runner
merges them into one record that is published once (readiness, Allure run metadata). A serial run
publishes its own record directly. Nothing here knows pytest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.report.readiness import CaseOutcome, SutInfo

RECORD_VERSION = 1
_NOT_RUN = ("skipped", "not-applicable")


@dataclass
class RunRecord:
    outcomes: dict[str, CaseOutcome] = field(default_factory=dict)
    suts: list[SutInfo] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)  # empty: Core plus the profiles the SUT claims
    implemented_ids: set[str] = field(default_factory=set)
    environment: dict[str, str] = field(default_factory=dict)  # Allure environment (no secrets)

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "outcomes": {
                case_id: {"outcome": o.outcome, "reason": o.reason, "duration": o.duration}
                for case_id, o in self.outcomes.items()
            },
            "suts": [info.as_dict() | {"features": dict(info.features or {})} for info in self.suts],
            "profiles": list(self.profiles),
            "implemented_ids": sorted(self.implemented_ids),
            "environment": dict(self.environment),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        if data.get("version") != RECORD_VERSION:
            raise ValueError(f"run record version {data.get('version')!r}, expected {RECORD_VERSION}")
        outcomes = {
            case_id: CaseOutcome(case_id, o["outcome"], o.get("reason", ""), float(o.get("duration", 0.0)))
            for case_id, o in data["outcomes"].items()
        }
        suts = [
            SutInfo(
                type=s["type"],
                vendor=s.get("vendor", ""),
                model=s.get("model", ""),
                firmware=s.get("firmware", ""),
                station_id=s.get("station_id", ""),
                features=dict(s.get("features") or {}),
            )
            for s in data["suts"]
        ]
        return cls(
            outcomes=outcomes,
            suts=suts,
            profiles=list(data.get("profiles", [])),
            implemented_ids=set(data.get("implemented_ids", [])),
            environment=dict(data.get("environment", {})),
        )

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def merge_records(base: RunRecord, *later: RunRecord, note: str = "") -> RunRecord:
    """`base` with each later record's outcomes added. A later outcome replaces a base one only when the
    base did not run the case (a re-run at the security profile the case needs); `note` is appended to the
    reason of each replaced outcome (say how it was verified). SUT identities: the first non-empty wins."""
    merged = RunRecord(
        outcomes=dict(base.outcomes),
        suts=list(base.suts),
        profiles=list(base.profiles),
        implemented_ids=set(base.implemented_ids),
        environment=dict(base.environment),
    )
    for record in later:
        merged.implemented_ids |= record.implemented_ids
        for case_id, outcome in record.outcomes.items():
            current = merged.outcomes.get(case_id)
            if current is None:
                merged.outcomes[case_id] = outcome
            elif current.outcome in _NOT_RUN and outcome.outcome in ("passed", "failed"):
                reason = "; ".join(part for part in (outcome.reason, note) if part)
                merged.outcomes[case_id] = CaseOutcome(case_id, outcome.outcome, reason, outcome.duration)
        merged.suts = _merge_suts(merged.suts, record.suts)
    return merged


def _merge_suts(first: list[SutInfo], second: list[SutInfo]) -> list[SutInfo]:
    by_type = {info.type: info for info in first}
    for info in second:
        known = by_type.get(info.type)
        if known is None or (not known.vendor and info.vendor):
            by_type[info.type] = info
    order = [info.type for info in first] + [i.type for i in second if i.type not in {f.type for f in first}]
    return [by_type[kind] for kind in order]

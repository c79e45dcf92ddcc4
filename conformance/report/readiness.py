"""Certification-profile readiness: which Part 5 profiles a SUT would pass, from one run's outcomes.

Input: one `CaseOutcome` per executed test case (id with its role suffix, TC_B_01_CS). The role suffix says
which SUT a case was run against, so one run covering both SUT types is a single outcome list plus one
`SutInfo` per SUT type (`sut=[station_info, csms_info]`); each gets its own entry per profile.

Per profile and SUT type, each case of the profile gets one outcome:
- its recorded outcome (several outcomes for one id, e.g. parametrized: the worst wins);
- a conditional case whose condition is false for the declared features: not-applicable (unless it ran
  and passed or failed: a real result is kept);
- no outcome: skipped ("deselected") when its id is in `implemented_ids`, else not-implemented.
Verdict: ready when every applicable case passed; not-ready when any failed; not-verified otherwise
(skips, not-implemented cases, conditional cases whose applicability is unknown and did not run).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from conformance import OCPP_VERSION, __version__
from conformance.catalogue import CaseInfo, Catalogue, ProfileMark, applicability

Outcome = Literal["passed", "failed", "skipped", "not-applicable", "not-implemented"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "skipped", "not-applicable", "not-implemented")
_WORST_FIRST: tuple[Outcome, ...] = ("failed", "skipped", "not-implemented", "not-applicable", "passed")
_ROLE_OF_TYPE = {"charging-station": "CS", "csms": "CSMS"}


@dataclass
class CaseOutcome:
    id: str
    outcome: Outcome
    reason: str = ""
    duration: float = 0.0

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome of {self.id} must be one of {OUTCOMES}, not {self.outcome!r}")


@dataclass(frozen=True)
class SutInfo:
    """The SUT as the report names it. `features`: its conformance-statement answers (see catalogue)."""

    type: str  # "charging-station" | "csms"
    vendor: str = ""
    model: str = ""
    firmware: str = ""
    station_id: str = ""
    features: Mapping[str, bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.type not in _ROLE_OF_TYPE:
            raise ValueError(f"SUT type must be one of {tuple(_ROLE_OF_TYPE)}, not {self.type!r}")

    @property
    def role(self) -> str:
        return _ROLE_OF_TYPE[self.type]

    def as_dict(self) -> dict[str, str]:
        return {
            "type": self.type,
            "vendor": self.vendor,
            "model": self.model,
            "firmware": self.firmware,
            "station_id": self.station_id,
        }


def _merge(outcomes: Iterable[CaseOutcome]) -> dict[str, CaseOutcome]:
    merged: dict[str, CaseOutcome] = {}
    for item in outcomes:
        previous = merged.get(item.id)
        if previous is None or _WORST_FIRST.index(item.outcome) < _WORST_FIRST.index(previous.outcome):
            merged[item.id] = item
    return merged


def _default_profiles(features: Mapping[str, bool]) -> list[str]:
    """Core, plus each profile the SUT claims by declaring its name true ({"SmartCharging": True})."""
    return ["Core"] + [p for p in Catalogue.load().profiles() if p != "Core" and features.get(p) is True]


def _case_entry(
    item: CaseInfo | str,
    mark: ProfileMark,
    profile: str,
    recorded: Mapping[str, CaseOutcome],
    features: Mapping[str, bool],
    implemented_ids: Collection[str] | None,
) -> dict[str, Any]:
    case_id = item if isinstance(item, str) else item.id
    entry: dict[str, Any] = {"id": case_id, "requirement": mark.requirement}
    if isinstance(item, CaseInfo):
        entry["title"] = item.title
    if mark.requirement == "C":
        entry["condition"] = mark.condition
    applicable: bool | None = True
    if mark.requirement == "C" and isinstance(item, CaseInfo):
        verdict = applicability(item, profile, features)
        applicable = verdict.applicable
        entry["applicable"] = applicable
        if verdict.missing_features:
            entry["missing_features"] = list(verdict.missing_features)
        if not verdict.parsed:
            entry["condition_unparsed"] = True
    run = recorded.get(case_id)
    if run is not None and (applicable is not False or run.outcome in ("passed", "failed")):
        entry["outcome"], entry["reason"], entry["duration"] = run.outcome, run.reason, round(run.duration, 3)
    elif applicable is False:
        entry["outcome"], entry["reason"] = "not-applicable", f"condition false: {mark.condition}"
    elif implemented_ids is not None and case_id in implemented_ids:
        entry["outcome"], entry["reason"] = "skipped", "deselected: implemented but not run"
    elif implemented_ids is None and run is None:
        entry["outcome"], entry["reason"] = "not-implemented", "no outcome recorded"
    else:
        entry["outcome"], entry["reason"] = "not-implemented", "no test for this case in the suite"
    return entry


def _tally(entries: Sequence[dict[str, Any]], requirement: str) -> dict[str, int]:
    chosen = [e for e in entries if e["requirement"] == requirement]
    counts = {"total": len(chosen), "passed": 0, "failed": 0, "skipped": 0, "not_implemented": 0}
    if requirement == "C":
        counts["not_applicable"] = 0
    for entry in chosen:
        key = entry["outcome"].replace("-", "_")
        if key == "not_applicable" and requirement == "M":
            key = "skipped"  # a mandatory case cannot be waived: it stays unverified
        counts[key] += 1
    return counts


def _verdict(entries: Sequence[dict[str, Any]]) -> str:
    relevant = [e for e in entries if e["outcome"] != "not-applicable" or e["requirement"] == "M"]
    if any(e["outcome"] == "failed" for e in relevant):
        return "not-ready"
    if all(e["outcome"] == "passed" for e in relevant):
        return "ready"
    return "not-verified"


def compute_readiness(
    outcomes: Iterable[CaseOutcome],
    *,
    sut: SutInfo | Sequence[SutInfo],
    features: Mapping[str, bool] | None = None,
    catalogue: Catalogue | None = None,
    profiles: Sequence[str] | None = None,
    implemented_ids: Collection[str] | None = None,
) -> dict[str, Any]:
    """The readiness report (a JSON-ready dict). `features` applies to SUTs without their own `features`.

    implemented_ids: ids of every test case the suite has; with it, a case not run is "skipped
    (deselected)" rather than "not-implemented".
    """
    cat = catalogue or Catalogue.load()
    suts = [sut] if isinstance(sut, SutInfo) else list(sut)
    if not suts:
        raise ValueError("compute_readiness needs at least one SutInfo")
    recorded = _merge(outcomes)
    entries: list[dict[str, Any]] = []
    for info in suts:
        declared = info.features if info.features is not None else (features or {})
        for profile in profiles or _default_profiles(declared):
            cases = [
                _case_entry(item, mark, profile, recorded, declared, implemented_ids)
                for item, mark in cat.profile_cases(profile, info.role)
            ]
            entries.append(
                {
                    "name": profile,
                    "sut_type": info.type,
                    "verdict": _verdict(cases),
                    "mandatory": _tally(cases, "M"),
                    "conditional": _tally(cases, "C"),
                    "cases": cases,
                }
            )
    roles = {info.role for info in suts}
    unknown = sorted(i for i in recorded if i not in cat and i.rsplit("_", 1)[-1] in roles)
    return {
        "ocpp_version": OCPP_VERSION,
        "harness_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "sut": suts[0].as_dict(),
        "suts": [info.as_dict() for info in suts],
        "profiles": entries,
        "uncatalogued_outcomes": unknown,
    }


# ---------------------------------------------------------------------------------------------------------
# Output


def _failing(profile: Mapping[str, Any], requirement: str | None = None) -> list[dict[str, Any]]:
    return [
        c
        for c in profile["cases"]
        if c["outcome"] == "failed" and (requirement is None or c["requirement"] == requirement)
    ]


def _unverified(profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Cases that keep a profile from `ready` without failing: mandatory ones not passed, and applicable
    conditional ones skipped or not implemented."""
    return [
        c
        for c in profile["cases"]
        if c["outcome"] not in ("passed", "failed")
        and (c["requirement"] == "M" or c["outcome"] != "not-applicable")
    ]


def _sut_line(sut: Mapping[str, str]) -> str:
    parts = [sut.get("vendor", ""), sut.get("model", ""), sut.get("firmware", "")]
    name = " ".join(p for p in parts if p) or "(unnamed)"
    station = f", station {sut['station_id']}" if sut.get("station_id") else ""
    return f"{sut['type']}: {name}{station}"


def format_table(report: Mapping[str, Any]) -> str:
    """Compact terminal summary: one aligned line per profile and SUT type, then failing mandatory cases."""
    header = ("profile", "sut", "verdict", "M pass/total", "C pass/appl.", "fail", "not impl.")
    rows: list[tuple[str, ...]] = [header]
    for p in report["profiles"]:
        m, c = p["mandatory"], p["conditional"]
        applicable_c = c["total"] - c["not_applicable"]
        rows.append(
            (
                p["name"],
                p["sut_type"],
                p["verdict"],
                f"{m['passed']}/{m['total']}",
                f"{c['passed']}/{applicable_c}",
                str(m["failed"] + c["failed"]),
                str(m["not_implemented"] + c["not_implemented"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"OCPP {report['ocpp_version']} readiness"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for p in report["profiles"]:
        for case in _failing(p, "M"):
            reason = case.get("reason", "").splitlines()[0] if case.get("reason") else ""
            lines.append(f"  FAILED {p['name']}/{p['sut_type']} {case['id']}: {reason}")
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(report: Mapping[str, Any]) -> str:
    out = [f"# OCPP {report['ocpp_version']} certification-profile readiness", ""]
    version = report.get("harness_version", "")
    out += [f"Generated {report['generated_at']} by ocpp-conformance {version}.", ""]
    for sut in report.get("suts", [report["sut"]]):
        out.append(f"- SUT {_sut_line(sut)}")
    out += [
        "",
        "| profile | SUT | verdict | mandatory passed | failed | skipped | not implemented "
        "| conditional passed | failed | skipped | not implemented | not applicable |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in report["profiles"]:
        m, c = p["mandatory"], p["conditional"]
        out.append(
            f"| {p['name']} | {p['sut_type']} | **{p['verdict']}** | {m['passed']}/{m['total']} "
            f"| {m['failed']} | {m['skipped']} | {m['not_implemented']} | {c['passed']}/{c['total']} "
            f"| {c['failed']} | {c['skipped']} | {c['not_implemented']} | {c['not_applicable']} |"
        )
    for p in report["profiles"]:
        failing = _failing(p)
        if failing:
            out += [
                "",
                f"## {p['name']} ({p['sut_type']}): failing cases",
                "",
                "| case | M/C | reason |",
                "|---|---|---|",
            ]
            out += [
                f"| {c['id']} | {c['requirement']} | {_md_escape(c.get('reason', ''))} |" for c in failing
            ]
    for p in report["profiles"]:
        unverified = _unverified(p)
        if unverified:
            out += [
                "",
                f"## {p['name']} ({p['sut_type']}): not verified in this run",
                "",
                "| case | M/C | outcome | reason |",
                "|---|---|---|---|",
            ]
            out += [
                f"| {c['id']} | {c['requirement']} | {c['outcome']} | {_md_escape(c.get('reason', ''))} |"
                for c in unverified
            ]
    for p in report["profiles"]:
        waived = [c for c in p["cases"] if c["outcome"] == "not-applicable" and c["requirement"] == "C"]
        if waived:
            out += [
                "",
                f"## {p['name']} ({p['sut_type']}): not applicable to this SUT",
                "",
                "| case | condition (Part 5), false for the SUT's declared features |",
                "|---|---|",
            ]
            out += [f"| {c['id']} | {_md_escape(c.get('condition', ''))} |" for c in waived]
    for p in report["profiles"]:
        elsewhere = [
            c for c in p["cases"] if c["outcome"] == "passed" and "security profile" in c.get("reason", "")
        ]
        if elsewhere:
            out += [
                "",
                f"## {p['name']} ({p['sut_type']}): passed in a re-run at another security profile",
                "",
            ]
            out += [f"- {c['id']}: {_md_escape(c['reason'])}" for c in elsewhere]
    return "\n".join(out) + "\n"


def write_readiness(report: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write readiness.json and readiness.md into out_dir (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "readiness.json", out_dir / "readiness.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(format_markdown(report), encoding="utf-8")
    return json_path, md_path


__all__ = [
    "OUTCOMES",
    "CaseOutcome",
    "Outcome",
    "SutInfo",
    "compute_readiness",
    "format_markdown",
    "format_table",
    "write_readiness",
]

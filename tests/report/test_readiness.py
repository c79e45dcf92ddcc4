"""Readiness per certification profile, on a tiny catalogue written for the test and on the real one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.catalogue import Catalogue
from conformance.report.collect import outcomes_from_allure
from conformance.report.readiness import (
    CaseOutcome,
    SutInfo,
    compute_readiness,
    format_table,
    write_readiness,
)

CASES = """id,title,sut_role,block,use_cases,profile,source
TC_B_01_CS,Cold Boot,CS,B,B01,Core:M,test
TC_B_02_CS,Pending,CS,B,B02,Core:M,test
TC_E_04_CS,Local start,CS,E,E03,Core:C(C-30 or C-31),test
TC_E_05_CS,Other start,CS,E,E03,Core:C(C-40),test
TC_K_01_CS,Set profile,CS,K,K01,SmartCharging:M,test
TC_B_01_CSMS,Cold Boot,CSMS,B,B01,Core:M,test
"""
MATRIX_HEADER = "profile,tc_id,cs_mark,csms_mark,feature_refs,part5_ed3_page\n"
CS = SutInfo("charging-station", "ACME", "Wallbox", "1.0", "CS001")
CSMS = SutInfo("csms", "ACME", "Central", "2.0")
FEATURES = {"C-30": True, "C-40": False}


def tiny(tmp_path: Path, matrix_rows: str = "") -> Catalogue:
    (tmp_path / "octt-2.0.1-testcases.csv").write_text(CASES, encoding="utf-8")
    (tmp_path / "octt-2.0.1-profile-matrix.csv").write_text(MATRIX_HEADER + matrix_rows, encoding="utf-8")
    return Catalogue.load(directory=tmp_path)


def passed(*ids: str) -> list[CaseOutcome]:
    return [CaseOutcome(i, "passed", duration=0.5) for i in ids]


def core(report: dict[str, Any], sut_type: str = "charging-station") -> dict[str, Any]:
    return next(p for p in report["profiles"] if p["name"] == "Core" and p["sut_type"] == sut_type)


def case(profile: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(c for c in profile["cases"] if c["id"] == case_id)


def run(tmp_path: Path, outcomes: Sequence[CaseOutcome], **kw: Any) -> dict[str, Any]:
    kw.setdefault("sut", CS)
    kw.setdefault("features", FEATURES)
    return compute_readiness(outcomes, catalogue=tiny(tmp_path), **kw)


def test_ready_when_every_applicable_case_passed(tmp_path: Path) -> None:
    report = run(tmp_path, passed("TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS"))
    entry = core(report)
    assert entry["verdict"] == "ready"
    assert entry["mandatory"] == {"total": 2, "passed": 2, "failed": 0, "skipped": 0, "not_implemented": 0}
    assert entry["conditional"] == {
        "total": 2,
        "passed": 1,
        "failed": 0,
        "skipped": 0,
        "not_implemented": 0,
        "not_applicable": 1,
    }
    e05 = case(entry, "TC_E_05_CS")
    assert (e05["outcome"], e05["applicable"], e05["requirement"]) == ("not-applicable", False, "C")
    assert [p["name"] for p in report["profiles"]] == ["Core"]  # SmartCharging not claimed


def test_json_shape(tmp_path: Path) -> None:
    report = run(tmp_path, passed("TC_B_01_CS"))
    assert report["ocpp_version"] == "2.0.1"
    assert report["generated_at"].endswith("Z")
    assert report["sut"] == {
        "type": "charging-station",
        "vendor": "ACME",
        "model": "Wallbox",
        "firmware": "1.0",
        "station_id": "CS001",
    }
    entry = core(report)
    assert set(entry) >= {"name", "sut_type", "verdict", "mandatory", "conditional", "cases"}
    assert set(case(entry, "TC_B_01_CS")) >= {"id", "requirement", "outcome", "reason"}
    json.dumps(report)  # serialisable as is


def test_not_ready_when_any_case_failed(tmp_path: Path) -> None:
    outcomes = [
        *passed("TC_B_01_CS", "TC_E_04_CS"),
        CaseOutcome("TC_B_02_CS", "failed", "[timeout] no reply"),
    ]
    report = run(tmp_path, outcomes)
    assert core(report)["verdict"] == "not-ready"
    assert core(report)["mandatory"]["failed"] == 1
    table = format_table(report)
    assert "FAILED Core/charging-station TC_B_02_CS: [timeout] no reply" in table
    assert table.splitlines()[1].split() == [
        "profile",
        "sut",
        "verdict",
        "M",
        "pass/total",
        "C",
        "pass/appl.",
        "fail",
        "not",
        "impl.",
    ]


def test_worst_outcome_wins_for_repeated_ids(tmp_path: Path) -> None:
    outcomes = [
        *passed("TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS"),
        CaseOutcome("TC_B_01_CS", "failed", "param 2"),
    ]
    assert case(core(run(tmp_path, outcomes)), "TC_B_01_CS")["outcome"] == "failed"


def test_not_run_is_not_implemented_or_deselected(tmp_path: Path) -> None:
    outcomes = passed("TC_B_01_CS", "TC_E_04_CS")
    entry = core(run(tmp_path, outcomes, implemented_ids={"TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS"}))
    assert entry["verdict"] == "not-verified"
    assert case(entry, "TC_B_02_CS")["outcome"] == "skipped"
    assert "deselected" in case(entry, "TC_B_02_CS")["reason"]
    entry = core(run(tmp_path, outcomes, implemented_ids={"TC_B_01_CS", "TC_E_04_CS"}))
    assert case(entry, "TC_B_02_CS")["outcome"] == "not-implemented"
    assert entry["mandatory"]["not_implemented"] == 1


def test_unknown_applicability_blocks_ready(tmp_path: Path) -> None:
    entry = core(run(tmp_path, passed("TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS"), features={"C-30": True}))
    e05 = case(entry, "TC_E_05_CS")
    assert e05["applicable"] is None and e05["missing_features"] == ["C-40"]
    assert e05["outcome"] == "not-implemented"
    assert entry["verdict"] == "not-verified"


def test_a_result_beats_a_false_condition(tmp_path: Path) -> None:
    outcomes = [*passed("TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS"), CaseOutcome("TC_E_05_CS", "failed", "x")]
    assert core(run(tmp_path, outcomes))["verdict"] == "not-ready"


def test_both_sut_types_and_claimed_profiles(tmp_path: Path) -> None:
    cs = SutInfo("charging-station", features={"C-30": True, "C-40": False, "SmartCharging": True})
    outcomes = [
        *passed("TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS", "TC_B_01_CSMS"),
        CaseOutcome("TC_K_01_CS", "skipped"),
    ]
    report = run(tmp_path, outcomes, sut=[cs, CSMS], features=None)
    assert [(p["name"], p["sut_type"], p["verdict"]) for p in report["profiles"]] == [
        ("Core", "charging-station", "ready"),
        ("SmartCharging", "charging-station", "not-verified"),
        ("Core", "csms", "ready"),
    ]
    assert [s["type"] for s in report["suts"]] == ["charging-station", "csms"]
    assert core(report, "csms")["mandatory"]["total"] == 1


def test_matrix_only_case_counts_as_not_implemented(tmp_path: Path) -> None:
    cat = tiny(tmp_path, "Core,TC_B_99,M,,,1\n")
    report = compute_readiness(
        passed("TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS"), sut=CS, features=FEATURES, catalogue=cat
    )
    assert case(core(report), "TC_B_99_CS")["outcome"] == "not-implemented"
    assert core(report)["verdict"] == "not-verified"


def test_write_readiness(tmp_path: Path) -> None:
    outcomes = [
        *passed("TC_B_01_CS", "TC_E_04_CS"),
        CaseOutcome("TC_B_02_CS", "failed", "[schema] $.a | bad"),
    ]
    report = run(tmp_path, outcomes)
    json_path, md_path = write_readiness(report, tmp_path / "out")
    assert json.loads(json_path.read_text()) == report
    md = md_path.read_text()
    assert "| Core | charging-station | **not-ready** | 1/2 |" in md
    assert "| TC_B_02_CS | M | [schema] $.a \\| bad |" in md


def test_markdown_lists_what_keeps_a_profile_unverified(tmp_path: Path) -> None:
    outcomes = [
        *passed("TC_B_01_CS"),
        CaseOutcome("TC_E_04_CS", "skipped", "needs the action 'plug_in'"),
    ]
    report = run(tmp_path, outcomes, implemented_ids={"TC_B_01_CS", "TC_B_02_CS", "TC_E_04_CS"})
    md = write_readiness(report, tmp_path / "out")[1].read_text()
    assert "## Core (charging-station): not verified in this run" in md
    assert "| TC_B_02_CS | M | skipped | deselected: implemented but not run |" in md
    assert "| TC_E_04_CS | C | skipped | needs the action 'plug_in' |" in md
    unverified, waived = md.split("not verified in this run")[1].split("not applicable to this SUT")
    assert "TC_E_05_CS" not in unverified  # not applicable: listed apart, with its condition
    assert "| TC_E_05_CS | C-40 |" in waived


def test_markdown_names_the_cases_passed_at_another_security_profile(tmp_path: Path) -> None:
    outcomes = [CaseOutcome("TC_B_01_CS", "passed", "run at security profile 2"), *passed("TC_B_02_CS")]
    md = write_readiness(run(tmp_path, outcomes), tmp_path / "out")[1].read_text()
    assert "passed in a re-run at another security profile" in md
    assert "- TC_B_01_CS: run at security profile 2" in md and "- TC_B_02_CS" not in md


def test_real_catalogue_core_counts() -> None:
    report = compute_readiness([], sut=CS, features={})
    entry = core(report)
    assert entry["mandatory"]["total"] == 104 and entry["mandatory"]["not_implemented"] == 104
    assert entry["conditional"]["total"] == 119
    assert entry["verdict"] == "not-verified"
    assert "Core" in format_table(report)


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="outcome of TC_B_01_CS"):
        CaseOutcome("TC_B_01_CS", "ok")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="SUT type"):
        SutInfo("station")
    with pytest.raises(ValueError, match="at least one"):
        compute_readiness([], sut=[])


def test_outcomes_from_real_allure_results(allure_results: Path) -> None:
    outcomes = {o.id: o for o in outcomes_from_allure(allure_results)}
    assert set(outcomes) == {"TC_B_01_CS", "TC_E_04_CS", "TC_B_01_CSMS", "TC_K_01_CS"}  # unlabelled ignored
    assert outcomes["TC_B_01_CS"].outcome == "passed"
    assert outcomes["TC_E_04_CS"].outcome == "failed" and "[schema]" in outcomes["TC_E_04_CS"].reason
    assert outcomes["TC_K_01_CS"].outcome == "not-applicable"
    report = compute_readiness(outcomes.values(), sut=CS, features={})
    assert case(core(report), "TC_E_04_CS")["outcome"] == "failed"
    assert core(report)["verdict"] == "not-ready"

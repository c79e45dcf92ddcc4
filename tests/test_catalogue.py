"""The test-case catalogue: counts Part 5 and the errata give, lookups, block labels, condition parsing."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from conformance.catalogue import (
    _ERRATA,
    BLOCK_NAMES,
    MODE_1_2_ONLY,
    PROFILE_TITLES,
    And,
    CaseInfo,
    Catalogue,
    ConditionSyntaxError,
    Feature,
    Not,
    Or,
    applicability,
    block_label,
    evaluate,
    features_of,
    normalize_condition,
    parse_condition,
    parse_profile_column,
    unparseable_conditions,
)
from conformance.resources import data_dir

PART5 = (
    Path(__file__).resolve().parents[2]
    / "shared/reference/ocpp-2.0.1/OCPP-2.0.1_edition3_part5_certification_profiles.txt"
)


def _counts(cat: Catalogue, profile: str, role: str) -> Counter[str]:
    return Counter(mark.requirement for _, mark in cat.profile_cases(profile, role))


# --- counts ------------------------------------------------------------------------------------------------


def test_all_cases_loaded() -> None:
    cat = Catalogue.load()
    assert len(cat.cases()) == 676
    assert len(cat.cases("CS")) == 424
    assert len(cat.cases("CSMS")) == 252
    assert cat.unassigned == ("TC_H_05",)  # Part 5 row without CS/CSMS marks and no Part 6 table


def test_core_counts_as_the_issue_states_without_later_errata() -> None:
    cat = Catalogue.load(errata=False)
    assert _counts(cat, "Core", "CS") == Counter({"M": 104, "C": 118})
    assert _counts(cat, "Core", "CSMS") == Counter({"M": 105, "C": 27})


def test_core_counts_with_errata_applied() -> None:
    # errata 2025-09 §5.8 adds TC_B_14_CS to Core as conditional (C-56): one more Core CS case.
    cat = Catalogue.load()
    assert _counts(cat, "Core", "CS") == Counter({"M": 104, "C": 119})
    assert _counts(cat, "Core", "CSMS") == Counter({"M": 105, "C": 27})
    b14 = cat.get("TC_B_14_CS")
    assert b14.mark("Core") is not None and b14.mark("Core").condition == "C-56"  # type: ignore[union-attr]
    assert b14.mark("AdvancedDeviceMgmt") is not None


def test_tc_b_58_csms_is_core_mandatory() -> None:
    for errata in (True, False):
        mark = Catalogue.load(errata=errata).get("TC_B_58_CSMS").mark("Core")
        assert mark is not None and mark.requirement == "M"


def test_marks_agree_with_the_profile_matrix_both_ways() -> None:
    cat = Catalogue.load(errata=False)
    matrix: set[tuple[str, str, str]] = set()
    by_title = {title: short for short, title in PROFILE_TITLES.items()}
    with (data_dir() / "octt-2.0.1-profile-matrix.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for role, req in (("CS", row["cs_mark"]), ("CSMS", row["csms_mark"])):
                if req:
                    matrix.add((by_title[row["profile"]], f"{row['tc_id']}_{role}", req))
    ours = {(m.profile, c.id, m.requirement) for c in cat.cases() for m in c.profiles}
    # the matrix is Part 5 Ed3; errata 2025-04 §5.10 added TC_B_58_CSMS (already in the CSV's marks)
    assert ours - matrix == {("Core", "TC_B_58_CSMS", "M")}
    assert matrix - ours == set()
    assert all(isinstance(item, CaseInfo) for p in cat.profiles() for item, _ in cat.profile_cases(p, "CS"))


# --- lookups and labels -------------------------------------------------------------------------------------


def test_lookup() -> None:
    case = Catalogue.load().get("TC_B_01_CS")
    assert case.title == "Cold Boot Charging Station - Accepted"
    assert (case.sut_role, case.block, case.base_id) == ("CS", "B", "TC_B_01")
    assert case.sut_type == "charging-station"
    assert case.use_cases == ("B01",)
    assert [str(m) for m in case.profiles] == ["Core:M"]
    assert Catalogue.load().get("TC_B_01_CSMS").sut_type == "csms"
    assert "TC_K_01_CS" in Catalogue.load()


def test_lookup_errors_are_clear() -> None:
    cat = Catalogue.load()
    with pytest.raises(KeyError, match="append _CS or _CSMS"):
        cat.get("TC_B_01")
    with pytest.raises(KeyError, match=r"unknown OCPP 2\.0\.1 test case 'TC_Z_99_CS'"):
        cat.get("TC_Z_99_CS")
    with pytest.raises(KeyError, match="unknown profile"):
        cat.profile_cases("Gold", "CS")


def test_block_labels() -> None:
    assert block_label("B") == "B Provisioning"
    assert block_label("M") == "M ISO 15118 CertificateManagement"
    assert list(BLOCK_NAMES) == [chr(c) for c in range(ord("A"), ord("P") + 1)]
    assert {c.block for c in Catalogue.load().cases()} == set(BLOCK_NAMES)
    with pytest.raises(KeyError, match="unknown Part 6 block 'Z'"):
        block_label("Z")


def test_cases_filter_and_profiles() -> None:
    cat = Catalogue.load()
    assert cat.profiles()[0] == "Core" and set(cat.profiles()) == set(PROFILE_TITLES)
    sc = cat.cases("CS", "SmartCharging")
    assert sc and all(c.sut_role == "CS" and c.mark("SmartCharging") for c in sc)


# --- the profile column and errata -------------------------------------------------------------------------


def test_profile_column_forms() -> None:
    marks, notes = parse_profile_column("SmartCharging:M ; ISO15118:M ; Ed4(2025-12) CSMS mandatory", "CSMS")
    assert [str(m) for m in marks] == ["SmartCharging:M", "ISO15118:M"]
    assert notes == ("Ed4(2025-12) CSMS mandatory",)
    marks, notes = parse_profile_column("not listed in Part5 Ed3", "CS")
    assert marks == () and notes == ("not listed in Part5 Ed3",)
    marks, _ = parse_profile_column('Core:C(HFS-1 and NOT Product Subtype "Mode 1/2-only)', "CS")
    assert marks[0].condition == 'HFS-1 and NOT Product Subtype "Mode 1/2-only'
    marks, _ = parse_profile_column("Reservation:C(For CSMS: R-1, For CS: R-2)", "CS")
    assert marks[0].condition == "R-2"
    marks, _ = parse_profile_column("Reservation:C(For CSMS: R-1, For CS: R-2)", "CSMS")
    assert marks[0].condition == "R-1"
    marks, _ = parse_profile_column("Core:M [added by errata 2025-04, Part5 §5.10]", "CSMS")
    assert marks[0].requirement == "M" and "errata 2025-04" in marks[0].note


def test_errata_applied() -> None:
    new, old = Catalogue.load(), Catalogue.load(errata=False)
    assert new.get("TC_H_13_CS").mark("Reservation").condition == "NOT R-2"  # type: ignore[union-attr]
    assert old.get("TC_H_13_CS").mark("Reservation").condition == "R-2"  # type: ignore[union-attr]
    assert new.get("TC_A_13_CS").mark("ISO15118") is None  # removed from the certification program
    assert old.get("TC_A_13_CS").mark("ISO15118") is not None
    n48 = new.get("TC_N_48_CS").mark("AdvancedDeviceMgmt")
    assert n48 is not None and (n48.requirement, n48.condition) == ("C", "AQ-10")
    e04 = new.get("TC_E_04_CS").mark("Core")
    assert e04 is not None and e04.condition == "C-30 or C-31 or C-32 or C-33 or C-35"


def test_every_errata_note_is_handled() -> None:
    noted = {
        c.id
        for c in Catalogue.load(errata=False).cases()
        if any("errata" in n and "condition removed (M)" not in n for n in c.notes)
    }
    assert noted == {cid for cid, _ in _ERRATA}


# --- conditions ---------------------------------------------------------------------------------------------


def test_normalize_condition() -> None:
    assert normalize_condition("C-30 - C-32 or ISO 15118 support") == "(C-30 or C-31 or C-32) or ISO15118"
    expanded = "C-48.1 and ((C-36 or C-37 or C-38 or C-39))"
    assert normalize_condition("C-48.1 and (C-36 -(or) C-39)") == expanded
    assert normalize_condition("C-10.2 and (C-30 or C35)") == "C-10.2 and (C-30 or C-35)"
    assert normalize_condition("NOT C.06.1 and UI- 1.2 and NOT AQ- 7") == "NOT C-06.1 and UI-1.2 and NOT AQ-7"
    assert normalize_condition("HFS-8 > 1") == "HFS-8>1"
    subtype = 'NOT Product Subtype "Mode 1/2- only Charging Station"'
    assert normalize_condition(subtype) == f"NOT {MODE_1_2_ONLY}"
    assert normalize_condition("Local Authorization List Management or C-49") == "LocalAuthListMgmt or C-49"


def test_parse_precedence_and_case() -> None:
    expr = parse_condition("C-01 or C-02 AND not C-03")
    assert expr == Or((Feature("C-01"), And((Feature("C-02"), Not(Feature("C-03"))))))
    assert parse_condition("Not C-56") == Not(Feature("C-56"))
    assert features_of(parse_condition("(C-30 - C-32) and AQ-2 or C-30")) == ("C-30", "C-31", "C-32", "AQ-2")


@pytest.mark.parametrize(
    "text", ["Applicable if the station has a display", "C-01 and", "(C-01 or C-02", "C-01 C-02", ""]
)
def test_prose_is_rejected(text: str) -> None:
    with pytest.raises(ConditionSyntaxError):
        parse_condition(text)


def test_every_catalogue_condition_parses() -> None:
    assert unparseable_conditions(Catalogue.load()) == []
    assert unparseable_conditions(Catalogue.load(errata=False)) == []


def test_kleene_evaluation() -> None:
    expr = parse_condition("C-44 or NOT AQ-16")
    assert evaluate(expr, {"C-44": True}) is True  # decided without AQ-16
    assert evaluate(expr, {"C-44": False}) is None
    assert evaluate(expr, {"C-44": False, "AQ-16": True}) is False
    assert evaluate(parse_condition("C-01 and C-02"), {"C-01": False}) is False


def test_applicability() -> None:
    cat = Catalogue.load()
    assert applicability(cat.get("TC_B_01_CS"), "Core", {}).applicable is True
    e17 = cat.get("TC_E_17_CS")  # C-10.2 and C-06.2 and AQ-9 and NOT (NOT C-52 AND (C-10.1 OR ...))
    unknown = applicability(e17, "Core", {"C-10.2": True})
    assert unknown.applicable is None
    assert unknown.missing_features == ("C-06.2", "AQ-9", "C-52", "C-10.1", "C-10.3", "C-10.4")
    declared = {"C-10.2": True, "C-06.2": True, "AQ-9": True, "C-52": True}
    assert applicability(e17, "Core", declared).applicable is True
    assert applicability(e17, "Core", {**declared, "C-52": False, "C-10.1": True}).applicable is False
    assert applicability(e17, "Core", {"AQ-9": False}).applicable is False
    k12 = cat.get("TC_K_12_CS")  # Part 5: NOT (SC-2.1 and SC-2.2); the CSV's text is garbled
    assert applicability(k12, "SmartCharging", {"SC-2.1": True, "SC-2.2": False}).applicable is True
    assert applicability(k12, "SmartCharging", {"SC-2.1": True, "SC-2.2": True}).applicable is False
    with pytest.raises(KeyError, match="not part of profile"):
        applicability(cat.get("TC_B_01_CS"), "SmartCharging", {})


@pytest.mark.skipif(not PART5.is_file(), reason=f"Part 5 text not found at {PART5}")
def test_feature_ids_exist_in_part5() -> None:
    text = PART5.read_text(encoding="utf-8")
    later_errata = {"AQ-10", "AQ-11", "AQ-16", "C-61"}  # introduced by errata newer than our copy
    used = {
        f
        for c in Catalogue.load().cases()
        for m in c.profiles
        if m.requirement == "C"
        for f in features_of(parse_condition(m.condition))
        if re.fullmatch(r"[A-Z]+-\d+(\.\d+)?", f)
    }
    missing = sorted(f for f in used - later_errata if not re.search(rf"(?m)^\s*{re.escape(f)}\s", text))
    assert missing == []


def test_role_fixes_give_each_role_its_own_condition() -> None:
    # Part 5 Ed3 §4: TC_E_31 is C-16 for a CSMS; the CSV repeated the charging station's condition.
    for catalogue in (Catalogue.load(), Catalogue.load(errata=False)):
        csms = catalogue.get("TC_E_31_CSMS").mark("Core")
        cs = catalogue.get("TC_E_31_CS").mark("Core")
        assert csms is not None and csms.condition == "C-16"
        assert cs is not None and cs.condition.startswith("NOT ( NOT (C-30 - C-35)")

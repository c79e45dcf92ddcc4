"""The OCPP 2.0.1 test-case catalogue: every Part 6 case id, its certification profiles (Part 5) and when a
conditional case applies to a SUT.

Data: `conformance/data/octt-2.0.1-testcases.csv` (one row per case; its `profile` column holds the marks,
e.g. `Core:M`, `Core:C(C-30 or C-31)`, `SmartCharging:M ; ISO15118:M`, plus notes about errata and Edition 4)
and `octt-2.0.1-profile-matrix.csv` (Part 5's rows, used to find matrix rows that name no catalogue case).

Errata: the CSV's marks already include errata 2025-04 §5.10 (TC_B_58_CSMS Core mandatory). The other
errata it only notes in prose; `_ERRATA` below turns each such note into an explicit change, applied by
default (`Catalogue.load(errata=False)` gives the plain marks). "Ed4(2025-12)" notes concern Edition 4,
not 2.0.1, and are kept as notes only.

Conditions: Part 5's feature references (C-30, AQ-2, HFS-8 > 1, ...) are parsed into a boolean expression
over the ids of the SUT's conformance statement (Part 5 section 3 and appendix A; each SUT type has its
own list, so AQ-1 of a station is not AQ-1 of a CSMS). Besides plain ids, a declaration may use:
`HFS-8>1` (more than one EVSE), `MODE-1/2-ONLY` (product subtype "Mode 1/2-only Charging Station"),
and the profile names `ISO15118`, `LocalAuthListMgmt`, `SmartCharging` (the SUT claims that profile).
Evaluation is three-valued: a feature the SUT did not declare makes the result unknown unless the rest
of the expression decides it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from conformance.resources import data_dir

Requirement = Literal["M", "C"]
SutRole = Literal["CS", "CSMS"]

TESTCASES_CSV = "octt-2.0.1-testcases.csv"
MATRIX_CSV = "octt-2.0.1-profile-matrix.csv"

# Part 6 section titles, one per functional block.
BLOCK_NAMES: dict[str, str] = {
    "A": "Security",
    "B": "Provisioning",
    "C": "Authorization",
    "D": "Local Authorization List Management",
    "E": "Transactions",
    "F": "Remote Control",
    "G": "Availability",
    "H": "Reservation",
    "I": "Tariff and Cost",
    "J": "MeterValues",
    "K": "SmartCharging",
    "L": "Firmware Management",
    "M": "ISO 15118 CertificateManagement",
    "N": "Diagnostics",
    "O": "Display Message",
    "P": "DataTransfer",
}

# Short profile names (the CSV's) -> Part 5's titles (the matrix CSV's).
PROFILE_TITLES: dict[str, str] = {
    "Core": "Core",
    "AdvancedSecurity": "Advanced Security",
    "LocalAuthListMgmt": "Local Authorization List Management",
    "SmartCharging": "Smart Charging",
    "AdvancedDeviceMgmt": "Advanced Device Management",
    "AdvancedUI": "Advanced User Interface",
    "Reservation": "Reservation",
    "ISO15118": "ISO 15118 Support",
}
_PROFILE_BY_TITLE = {title: short for short, title in PROFILE_TITLES.items()}

MODE_1_2_ONLY = "MODE-1/2-ONLY"


def block_label(letter: str) -> str:
    """'B' -> 'B Provisioning'."""
    try:
        return f"{letter} {BLOCK_NAMES[letter]}"
    except KeyError:
        raise KeyError(f"unknown Part 6 block {letter!r}; known: {', '.join(BLOCK_NAMES)}") from None


@dataclass(frozen=True)
class ProfileMark:
    """One certification profile a case belongs to: mandatory, or conditional on `condition`."""

    profile: str
    requirement: Requirement
    condition: str = ""  # the C(...) feature text for this SUT role; "" for M
    note: str = ""  # errata applied, or Part 5 remarks

    def __str__(self) -> str:
        return f"{self.profile}:{self.requirement}"


@dataclass(frozen=True)
class CaseInfo:
    id: str
    title: str
    sut_role: SutRole
    block: str
    use_cases: tuple[str, ...]
    profiles: tuple[ProfileMark, ...]
    source: str
    notes: tuple[str, ...] = ()  # the profile column's non-mark parts (errata, Ed4, "not listed ...")

    @property
    def base_id(self) -> str:
        """'TC_B_01_CS' -> 'TC_B_01' (Part 5's id, shared by both roles)."""
        return self.id.rsplit("_", 1)[0]

    @property
    def sut_type(self) -> str:
        return "charging-station" if self.sut_role == "CS" else "csms"

    def mark(self, profile: str) -> ProfileMark | None:
        return next((m for m in self.profiles if m.profile == profile), None)


# ---------------------------------------------------------------------------------------------------------
# Errata the CSV only notes in prose: (case id, profile) -> the mark to use (None: removed from the profile).
# Sources: errata 2025-01 (§5.2, §5.3, §5.4 of its Part 5 chapter) and later errata as cited in the CSV.
_ERRATA: dict[tuple[str, str], ProfileMark | None] = {
    ("TC_A_13_CS", "ISO15118"): None,  # 2025-02 §5.20: removed from certification program
    ("TC_A_13_CSMS", "ISO15118"): None,  # 2025-02 §5.20
    ("TC_O_15_CS", "AdvancedUI"): None,  # 2025-02 §5.17
    ("TC_A_20_CS", "Core"): ProfileMark("Core", "C", "AQ-1 and C-61", "errata 2025-06 §5.7"),
    ("TC_A_21_CS", "AdvancedSecurity"): ProfileMark("AdvancedSecurity", "C", "AQ-3", "errata 2025-06 §5.14"),
    ("TC_B_14_CS", "Core"): ProfileMark("Core", "C", "C-56", "errata 2025-09 §5.8: added to Core"),
    ("TC_B_30_CSMS", "Core"): ProfileMark("Core", "C", "C-44 or NOT AQ-16", "errata 2025-02 §5.9"),
    ("TC_B_31_CSMS", "Core"): ProfileMark("Core", "C", "C-44 or NOT AQ-16", "errata 2025-02 §5.9"),
    ("TC_E_04_CS", "Core"): ProfileMark(
        "Core", "C", "C-30 or C-31 or C-32 or C-33 or C-35", "errata 2024-09 (2025-01 §5.2)"
    ),
    ("TC_E_17_CS", "Core"): ProfileMark(
        "Core",
        "C",
        "C-10.2 and C-06.2 and AQ-9 and NOT (NOT C-52 AND (C-10.1 OR C-10.3 OR C-10.4))",
        "errata 2024-09 (2025-01 §5.3)",
    ),
    ("TC_F_27_CS", "Core"): ProfileMark("Core", "C", "NOT AQ-11", "errata 2025-02 §5.6"),
    ("TC_H_13_CS", "Reservation"): ProfileMark("Reservation", "C", "NOT R-2", "errata 2024-11 (§5.4)"),
    ("TC_H_15_CS", "Reservation"): ProfileMark("Reservation", "C", "R-1", "errata 2025-06 §5.19"),
    ("TC_H_16_CS", "Reservation"): ProfileMark("Reservation", "C", "R-1", "errata 2025-06 §5.19"),
    ("TC_N_48_CS", "AdvancedDeviceMgmt"): ProfileMark(
        "AdvancedDeviceMgmt", "C", "AQ-10", "errata 2025-02 §5.15: M->C"
    ),
}

# Text-extraction garbles in the CSV, corrected against Part 5 Ed3 (TC_K_12, p.36 and p.44).
_GARBLES: dict[str, str] = {"(SC- SC-2.2)": "(SC-2.1 and SC-2.2)"}

# Rows where the CSV gives one role the other role's condition, corrected against Part 5 Ed3 §4's table
# (always applied: these are data fixes, not errata). TC_E_31: CS has the long condition, CSMS has C-16.
_ROLE_FIXES: dict[tuple[str, str], ProfileMark] = {
    ("TC_E_31_CSMS", "Core"): ProfileMark("Core", "C", "C-16", "Part 5 Ed3 §4: the CSMS condition"),
}

_MARK = re.compile(r"^(?P<profile>[A-Za-z0-9]+):(?P<req>[MC])(?P<rest>.*)$")


_ROLE_SPLITS = (
    re.compile(r"For CSMS:\s*(?P<CSMS>.+?),\s*For CS:\s*(?P<CS>.+)"),
    re.compile(r"CS:\s*(?P<CS>.+?);\s*CSMS:\s*(?P<CSMS>.+)"),
)


def _condition_for_role(text: str, role: SutRole) -> str:
    """Part 5 sometimes gives one condition per role: 'For CSMS: R-1, For CS: R-2' / 'CS: X; CSMS: Y'."""
    for pattern in _ROLE_SPLITS:
        found = pattern.fullmatch(text.strip())
        if found:
            return found.group(role).strip()
    return text


def parse_profile_column(text: str, role: SutRole) -> tuple[tuple[ProfileMark, ...], tuple[str, ...]]:
    """The CSV `profile` column -> (marks, notes). Parts that are not 'Profile:M|C...' become notes."""
    marks: list[ProfileMark] = []
    notes: list[str] = []
    for part in (p.strip() for p in text.split(" ; ")):
        found = _MARK.match(part)
        if not found or found["profile"] not in PROFILE_TITLES:
            notes.append(part)
            continue
        rest = found["rest"].strip()
        if found["req"] == "M":
            marks.append(ProfileMark(found["profile"], "M", "", rest.strip("()[] ")))
            continue
        # C(...): the text between the first '(' and the last ')'; Part 5 extracts are not always balanced.
        condition = rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest
        for bad, good in _GARBLES.items():
            condition = condition.replace(bad, good)
        marks.append(ProfileMark(found["profile"], "C", _condition_for_role(condition, role).strip()))
    return tuple(marks), tuple(notes)


def _apply_errata(case_id: str, marks: tuple[ProfileMark, ...]) -> tuple[ProfileMark, ...]:
    out: list[ProfileMark] = []
    seen: set[str] = set()
    for mark in marks:
        seen.add(mark.profile)
        key = (case_id, mark.profile)
        if key not in _ERRATA:
            out.append(mark)
        elif (changed := _ERRATA[key]) is not None:
            out.append(changed)
    for (cid, profile), changed in _ERRATA.items():
        if cid == case_id and profile not in seen and changed is not None:
            out.append(changed)  # a case the errata add to a profile
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------
# Conditions


class ConditionSyntaxError(ValueError):
    """A condition is prose, not an expression over feature ids."""


@dataclass(frozen=True)
class Feature:
    id: str


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Feature | Not | And | Or

_NAMED = [
    # 'Product Subtype "Mode 1/2-only Charging Station"', often cut short in Part 5's table cells
    (
        re.compile(r'Product\s+Subtype(\s*"Mode\s*1/2-\s*only(\s+Charging\s+Station)?"?)?', re.I),
        MODE_1_2_ONLY,
    ),
    (re.compile(r"ISO\s*15118\s+support", re.I), "ISO15118"),
    (re.compile(r"Local\s+Authorization\s+List\s+Management", re.I), "LocalAuthListMgmt"),
    (re.compile(r"Smart\s+Charging", re.I), "SmartCharging"),
]
_RANGE = re.compile(r"\bC-(\d+)\s*-\s*(?:\(or\)\s*)?C-(\d+)\b")
_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<op>and|or|not)\b|(?P<feature>[A-Z]{1,3}-\d+(?:\.\d+)*(?:>\d+)?"
    r"|MODE-1/2-ONLY|ISO15118|LocalAuthListMgmt|SmartCharging))",
    re.I,
)


def normalize_condition(text: str) -> str:
    """Part 5's feature text -> canonical tokens: ranges expanded, spacing and typos (C35, C.06.1) fixed."""
    s = text.strip()
    for pattern, replacement in _NAMED:
        s = pattern.sub(replacement, s)
    s = re.sub(r"\b([A-Z]{1,3})-\s+(?=\d)", r"\1-", s)  # 'UI- 1.2', 'AQ- 7'
    s = re.sub(r"\bC\.(\d)", r"C-\1", s)  # 'C.06.1'
    s = re.sub(r"\bC(\d\d)\b", r"C-\1", s)  # 'C35'
    s = re.sub(r"\bHFS-8\s*>\s*1\b", "HFS-8>1", s)
    s = _RANGE.sub(
        lambda m: "(" + " or ".join(f"C-{n:02d}" for n in range(int(m[1]), int(m[2]) + 1)) + ")", s
    )
    return s


def parse_condition(text: str) -> Expr:
    """Parse a (normalized or raw) condition; raises ConditionSyntaxError on prose."""
    source = normalize_condition(text)
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        found = _TOKEN.match(source, pos)
        if not found:
            raise ConditionSyntaxError(f"cannot parse {text!r} at {source[pos:]!r}")
        kind = found.lastgroup or ""
        value = found[kind]
        tokens.append((kind, value.upper() if kind == "op" else value))
        pos = found.end()
    return _Parser(tokens, text).parse()


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND unary)*; unary := NOT unary | atom."""

    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.i = 0

    def parse(self) -> Expr:
        expr = self._or()
        if self.i != len(self.tokens):
            self._fail("trailing tokens")
        return expr

    def _fail(self, why: str) -> None:
        raise ConditionSyntaxError(f"cannot parse {self.text!r}: {why} at token {self.i}")

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _or(self) -> Expr:
        items = [self._and()]
        while self._peek() == ("op", "OR"):
            self.i += 1
            items.append(self._and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def _and(self) -> Expr:
        items = [self._unary()]
        while self._peek() == ("op", "AND"):
            self.i += 1
            items.append(self._unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def _unary(self) -> Expr:
        token = self._peek()
        if token == ("op", "NOT"):
            self.i += 1
            return Not(self._unary())
        if token == ("paren", "("):
            self.i += 1
            inner = self._or()
            if self._peek() != ("paren", ")"):
                self._fail("missing ')'")
            self.i += 1
            return inner
        if token is not None and token[0] == "feature":
            self.i += 1
            return Feature(token[1])
        self._fail(f"unexpected {token!r}")
        raise AssertionError  # unreachable: _fail raises


def features_of(expr: Expr) -> tuple[str, ...]:
    """Feature ids in order of first appearance."""
    out: dict[str, None] = {}

    def walk(e: Expr) -> None:
        if isinstance(e, Feature):
            out.setdefault(e.id, None)
        elif isinstance(e, Not):
            walk(e.operand)
        else:
            for operand in e.operands:
                walk(operand)

    walk(expr)
    return tuple(out)


def evaluate(expr: Expr, declared: Mapping[str, bool]) -> bool | None:
    """Kleene three-valued logic: an undeclared feature is unknown (None)."""
    if isinstance(expr, Feature):
        return declared.get(expr.id)
    if isinstance(expr, Not):
        value = evaluate(expr.operand, declared)
        return None if value is None else not value
    values = [evaluate(operand, declared) for operand in expr.operands]
    decisive = isinstance(expr, Or)  # True decides an OR, False decides an AND
    if decisive in values:
        return decisive
    return None if None in values else not decisive


@dataclass(frozen=True)
class Applicability:
    applicable: bool | None  # None: unknown (a feature not declared, or an unparseable condition)
    condition: str
    missing_features: tuple[str, ...] = ()
    parsed: bool = True


def applicability(case: CaseInfo, profile: str, declared_features: Mapping[str, bool]) -> Applicability:
    """Does `case` apply to a SUT declaring `declared_features`, for certification `profile`?"""
    mark = case.mark(profile)
    if mark is None:
        raise KeyError(f"{case.id} is not part of profile {profile!r}; its profiles: {case.profiles}")
    if mark.requirement == "M":
        return Applicability(True, "")
    try:
        expr = parse_condition(mark.condition)
    except ConditionSyntaxError:
        return Applicability(None, mark.condition, (), parsed=False)
    value = evaluate(expr, declared_features)
    missing = tuple(f for f in features_of(expr) if f not in declared_features) if value is None else ()
    return Applicability(value, mark.condition, missing)


# ---------------------------------------------------------------------------------------------------------
# The catalogue


def _split_use_cases(text: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in re.split(r",|&|/", text) if u.strip())


@dataclass
class Catalogue:
    by_id: dict[str, CaseInfo]
    unassigned: tuple[str, ...] = ()  # Part 5 rows with no CS/CSMS mark (TC_H_05)
    matrix_only: dict[tuple[str, str], list[tuple[str, ProfileMark]]] = field(default_factory=dict)

    @classmethod
    def load(cls, *, errata: bool = True, directory: Path | None = None) -> Catalogue:
        """The packaged catalogue (cached). errata=False: the CSV's marks without `_ERRATA`."""
        return _load(errata, directory or data_dir())

    def get(self, case_id: str) -> CaseInfo:
        try:
            return self.by_id[case_id]
        except KeyError:
            hint = ""
            if not case_id.endswith(("_CS", "_CSMS")):
                hint = " (ids carry the SUT role: append _CS or _CSMS)"
            raise KeyError(f"unknown OCPP 2.0.1 test case {case_id!r}{hint}") from None

    def __contains__(self, case_id: object) -> bool:
        return case_id in self.by_id

    def cases(self, sut_role: str | None = None, profile: str | None = None) -> list[CaseInfo]:
        return [
            c
            for c in self.by_id.values()
            if (sut_role is None or c.sut_role == sut_role) and (profile is None or c.mark(profile))
        ]

    def profiles(self) -> list[str]:
        """Profile names in Part 5's order."""
        return list(PROFILE_TITLES)

    def profile_cases(self, profile: str, sut_role: str) -> list[tuple[CaseInfo | str, ProfileMark]]:
        """The profile's cases for one SUT role; a bare id where Part 5 names a case the catalogue lacks."""
        if profile not in PROFILE_TITLES:
            raise KeyError(f"unknown profile {profile!r}; known: {', '.join(PROFILE_TITLES)}")
        out: list[tuple[CaseInfo | str, ProfileMark]] = []
        for case in self.cases(sut_role, profile):
            mark = case.mark(profile)
            assert mark is not None
            out.append((case, mark))
        out.extend(self.matrix_only.get((profile, sut_role), []))
        return out


@cache
def _load(errata: bool, directory: Path) -> Catalogue:
    by_id: dict[str, CaseInfo] = {}
    unassigned: list[str] = []
    with (directory / TESTCASES_CSV).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            role = row["sut_role"]
            if role not in ("CS", "CSMS"):
                unassigned.append(row["id"])
                continue
            marks, notes = parse_profile_column(row["profile"], role)  # type: ignore[arg-type]
            marks = tuple(_ROLE_FIXES.get((row["id"], m.profile), m) for m in marks)
            if errata:
                marks = _apply_errata(row["id"], marks)
            by_id[row["id"]] = CaseInfo(
                id=row["id"],
                title=row["title"],
                sut_role=role,  # type: ignore[arg-type]
                block=row["block"],
                use_cases=_split_use_cases(row["use_cases"]),
                profiles=marks,
                source=row["source"],
                notes=notes,
            )
    matrix_only: dict[tuple[str, str], list[tuple[str, ProfileMark]]] = {}
    with (directory / MATRIX_CSV).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            profile = _PROFILE_BY_TITLE.get(row["profile"], row["profile"])
            for role, req in (("CS", row["cs_mark"]), ("CSMS", row["csms_mark"])):
                case_id = f"{row['tc_id']}_{role}"
                if req in ("M", "C") and case_id not in by_id:
                    condition = _condition_for_role(row["feature_refs"], role) if req == "C" else ""  # type: ignore[arg-type]
                    mark = ProfileMark(profile, req, condition, "Part 5 only")  # type: ignore[arg-type]
                    matrix_only.setdefault((profile, role), []).append((case_id, mark))
    return Catalogue(by_id, tuple(unassigned), matrix_only)


def unparseable_conditions(catalogue: Catalogue | None = None) -> list[tuple[str, str, str]]:
    """(case id, profile, condition) for every condition that is prose rather than features."""
    cat = catalogue or Catalogue.load()
    out: list[tuple[str, str, str]] = []
    for case in cat.by_id.values():
        for mark in case.profiles:
            if mark.requirement == "C":
                try:
                    parse_condition(mark.condition)
                except ConditionSyntaxError:
                    out.append((case.id, mark.profile, mark.condition))
    return out


__all__ = [
    "BLOCK_NAMES",
    "MODE_1_2_ONLY",
    "PROFILE_TITLES",
    "And",
    "Applicability",
    "CaseInfo",
    "Catalogue",
    "ConditionSyntaxError",
    "Expr",
    "Feature",
    "Not",
    "Or",
    "ProfileMark",
    "applicability",
    "block_label",
    "evaluate",
    "features_of",
    "normalize_condition",
    "parse_condition",
    "parse_profile_column",
    "unparseable_conditions",
]

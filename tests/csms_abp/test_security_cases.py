"""Block A's CSMS cases proven both ways at the security profiles they need.

tests/test_meta_mutants.py runs every case at the default security profile 0, where TC_A_*_CSMS are
not applicable (Part 6 prerequisites: "The CSMS supports security profile 1 and/or 2", "2 and/or 3").
Here they run against the built-in reference CSMS at profile 1 and 2: they pass on the conformant
CSMS and fail, with the message their `catches` names, on each declared mutant.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Final

import pytest

from tests.support import TESTCASES, run_pytest

MODULE: Final = TESTCASES / "csms" / "test_a_security.py"
# Profile 2 (TLS + Basic auth) is the one where every case of the module applies.
ALL_APPLY: Final = 2


def _declared() -> dict[str, dict[str, str]]:
    """case id -> {mutant: failure-message regex}, read from the module's @case markers."""
    spec = importlib.util.spec_from_file_location("_abp_security_cases", MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in a case module look their module up
    spec.loader.exec_module(module)
    found: dict[str, dict[str, str]] = {}
    for value in vars(module).values():
        for mark in getattr(value, "pytestmark", []):
            if mark.name == "ocpp_case":
                found[str(mark.args[0])] = dict(mark.kwargs.get("catches", {}))
    return found


CASES: Final = _declared()
MUTANTS: Final = sorted({mutant for catches in CASES.values() for mutant in catches})


def _run(tmp_path: Path, profile: int, *extra: str) -> dict[str, tuple[str, str]]:
    junit = tmp_path / "junit.xml"
    result = run_pytest(
        str(MODULE),
        "--ocpp-sut",
        "csms",
        "--ocpp-builtin",
        "--ocpp-security-profile",
        str(profile),
        "--ocpp-timeout",
        "2",
        "--ocpp-reports",
        str(tmp_path),
        f"--junitxml={junit}",
        *extra,
        timeout=300,
    )
    assert junit.is_file(), result.stdout[-3000:] + result.stderr[-2000:]
    outcomes: dict[str, tuple[str, str]] = {}
    for testcase in ET.parse(junit).iter("testcase"):
        name = testcase.get("name", "").removeprefix("test_")
        failure = testcase.find("failure")
        if failure is None:
            failure = testcase.find("error")
        skipped = testcase.find("skipped")
        if failure is not None:
            outcomes[name] = ("failed", f"{failure.get('message', '')}\n{failure.text or ''}")
        elif skipped is not None:
            outcomes[name] = ("skipped", skipped.get("message", ""))
        else:
            outcomes[name] = ("passed", "")
    return outcomes


def test_every_security_case_declares_a_mutant() -> None:
    assert CASES, f"no case found in {MODULE}"
    assert all(CASES.values()), {case_id: c for case_id, c in CASES.items() if not c}


@pytest.mark.parametrize("profile", [1, 2])
def test_security_cases_pass_on_the_conformant_reference(profile: int, tmp_path: Path) -> None:
    outcomes = _run(tmp_path, profile)
    assert set(outcomes) == set(CASES)
    failed = {case_id: text[-1500:] for case_id, (outcome, text) in outcomes.items() if outcome == "failed"}
    assert not failed, failed
    for case_id, (outcome, text) in outcomes.items():
        # Only a case of another profile may be left out, as not applicable.
        assert outcome == "passed" or "[not-applicable]" in text, (case_id, outcome, text)
    if profile == ALL_APPLY:
        assert {outcome for outcome, _ in outcomes.values()} == {"passed"}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_security_cases_fail_on_their_mutant(mutant: str, tmp_path: Path) -> None:
    outcomes = _run(tmp_path, ALL_APPLY, "--ocpp-mutant", mutant)
    for case_id, catches in CASES.items():
        if mutant not in catches:
            continue
        outcome, text = outcomes.get(case_id, ("not run", ""))
        assert outcome == "failed", f"{case_id} did not fail on mutant {mutant}: {outcome}"
        assert re.search(catches[mutant], text), (
            f"{case_id} on {mutant}: not /{catches[mutant]}/:\n{text[-1500:]}"
        )

"""Every test case proven both ways: it passes on the conformant reference SUT, and it fails on each
reference mutant it declares, with a failure message that names the broken rule."""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.resources import data_dir
from conformance.sharding import load_weights, partition
from tests.support import TESTCASES, run_pytest

# Reference runs at once: each is a pytest process mostly waiting on sockets; 3 keep a 2-core CI machine
# busy without starving the timing windows of the cases (built-in timeouts of 2-3 s).
_JOBS = 3


@dataclass(frozen=True)
class DeclaredCase:
    id: str
    sut_type: str
    catches: dict[str, str]


def _declared_cases() -> list[DeclaredCase]:
    found = []
    for path in sorted(TESTCASES.rglob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_meta_{path.parent.name}_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses in a case module look their module up
        spec.loader.exec_module(module)
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", []):
                if mark.name == "ocpp_case":
                    case_id = str(mark.args[0])
                    kind = "csms" if case_id.endswith("_CSMS") else "charging-station"
                    found.append(DeclaredCase(case_id, kind, dict(mark.kwargs.get("catches", {}))))
    return found


CASES = _declared_cases()
BY_MUTANT: dict[tuple[str, str], list[DeclaredCase]] = defaultdict(list)
for _case in CASES:
    for _mutant in _case.catches:
        BY_MUTANT[(_case.sut_type, _mutant)].append(_case)


def _registry(sut_type: str) -> dict[str, Any]:
    if sut_type == "csms":
        from conformance.reference.mutants_csms import CSMS_MUTANTS

        return dict(CSMS_MUTANTS)
    from conformance.reference.mutants_station import STATION_MUTANTS

    return dict(STATION_MUTANTS)


def _results(junit: Path) -> dict[str, tuple[str, str]]:
    """case id -> (outcome, failure message and text)."""
    outcomes: dict[str, tuple[str, str]] = {}
    for testcase in ET.parse(junit).iter("testcase"):
        name = testcase.get("name", "")
        failure = testcase.find("failure")
        error = testcase.find("error")
        skipped = testcase.find("skipped")
        if failure is not None or error is not None:
            node = failure if failure is not None else error
            assert node is not None
            outcomes[name] = ("failed", f"{node.get('message', '')}\n{node.text or ''}")
        elif skipped is not None:
            outcomes[name] = ("skipped", skipped.get("message", ""))
        else:
            outcomes[name] = ("passed", "")
    return outcomes


_NEEDS_PROFILE = re.compile(r"needs the \S+ under test at security profile (\d)")

# Cases that apply only to a station built otherwise than the built-in default (a conditional case whose
# condition the default reference makes false): proven with the built-in SUT under this SUT description.
DESCRIPTIONS = Path(__file__).parent / "descriptions"
CASE_DESCRIPTIONS: dict[str, Path] = {
    "TC_K_38_CS": DESCRIPTIONS / "without_smart_charging.toml",  # Core: NOT Smart Charging
    "TC_B_15_CS": DESCRIPTIONS / "without_summary_inventory_and_evse_reset.toml",  # NOT C-56
    "TC_B_28_CS": DESCRIPTIONS / "without_summary_inventory_and_evse_reset.toml",  # NOT C-13
    "TC_B_29_CS": DESCRIPTIONS / "without_summary_inventory_and_evse_reset.toml",  # NOT C-13
    "TC_B_41_CS": DESCRIPTIONS / "two_evses.toml",  # HFS-8 > 1
    "TC_L_11_CS": DESCRIPTIONS / "firmware_without_cancel.toml",  # NOT C-60
    "TC_L_12_CS": DESCRIPTIONS / "firmware_waits_for_transactions.toml",  # C-20, NOT C-43/AQ-7, HFS-8>1
    "TC_L_13_CS": DESCRIPTIONS / "firmware_waits_for_transactions.toml",  # NOT C-43, NOT AQ-7
    "TC_L_14_CS": DESCRIPTIONS / "firmware_new_sessions_pending_update.toml",  # C-20, AQ-7, HFS-8>1
    "TC_L_16_CS": DESCRIPTIONS / "firmware_update_during_transaction.toml",  # C-43
    "TC_C_05_CS": DESCRIPTIONS / "cable_lock.toml",  # AQ-2
    "TC_C_47_CS": DESCRIPTIONS / "master_pass_ui.toml",  # C-07
    "TC_C_48_CS": DESCRIPTIONS / "master_pass_ui.toml",  # C-07
    "TC_E_38_CS": DESCRIPTIONS / "no_energy_transfer_start.toml",  # NOT C-09.5
    "TC_E_27_CS": DESCRIPTIONS / "fixed_cable.toml",  # HFS-2
    "TC_E_54_CS": DESCRIPTIONS / "dc_station.toml",  # HFS-4
    "TC_M_09_CS": DESCRIPTIONS / "additional_root_certificate_check.toml",  # AS-2
    "TC_M_30_CS": DESCRIPTIONS / "additional_root_certificate_check.toml",  # AS-2
    "TC_M_31_CS": DESCRIPTIONS / "additional_root_certificate_check.toml",  # AS-2
    "TC_B_47_CS": DESCRIPTIONS / "additional_root_certificate_check.toml",  # AS-2 and C-47
}


def _run(tmp_path: Path, sut_type: str, ids: list[str], *extra: str) -> dict[str, tuple[str, str]]:
    """Run the cases against the default built-in SUT, those with their own SUT description under it, and
    then those that Part 6 wants at another security profile (they skip themselves naming it, e.g. the
    block A cases) again at that profile."""
    described: dict[Path, list[str]] = defaultdict(list)
    for case_id in ids:
        if case_id in CASE_DESCRIPTIONS:
            described[CASE_DESCRIPTIONS[case_id]].append(case_id)
    ids = [i for i in ids if i not in CASE_DESCRIPTIONS]
    outcomes = _run_in_chunks(tmp_path / "sp-default", sut_type, ids, *extra) if ids else {}
    for description, cases in sorted(described.items()):
        config = ("--ocpp-config", str(description))
        outcomes.update(_run_once(tmp_path / description.stem, sut_type, cases, *config, *extra))
    by_profile: dict[str, list[str]] = defaultdict(list)
    for case_id, (outcome, text) in outcomes.items():
        wanted = _NEEDS_PROFILE.search(text) if outcome == "skipped" else None
        if wanted:
            by_profile[wanted.group(1)].append(case_id)
    for profile, again in sorted(by_profile.items()):
        outcomes.update(
            _run_once(tmp_path / f"sp{profile}", sut_type, again, "--ocpp-security-profile", profile, *extra)
        )
    return outcomes


def _run_in_chunks(tmp_path: Path, sut_type: str, ids: list[str], *extra: str) -> dict[str, tuple[str, str]]:
    """A long list of cases (a whole half on the conformant reference) in balanced parallel chunks, each
    its own pytest process with its own reference SUT, as `ocpp-conformance run` splits a run."""
    if len(ids) < 40:
        return _run_once(tmp_path, sut_type, ids, *extra)
    shares = partition(ids, load_weights(data_dir() / "case-durations.json"), _JOBS)
    outcomes: dict[str, tuple[str, str]] = {}
    with ThreadPoolExecutor(_JOBS) as pool:
        runs = [
            pool.submit(_run_once, tmp_path / f"chunk{i}", sut_type, [c for c in ids if c in share], *extra)
            for i, share in enumerate(shares)
            if share
        ]
        for run in runs:
            outcomes.update(run.result())
    return outcomes


def _run_once(tmp_path: Path, sut_type: str, ids: list[str], *extra: str) -> dict[str, tuple[str, str]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    junit = tmp_path / "junit.xml"
    result = run_pytest(
        str(TESTCASES),
        f"--ocpp-cases={','.join(ids)}",
        "--ocpp-sut",
        sut_type,
        "--ocpp-builtin",
        "--ocpp-timeout",
        "2",
        "--ocpp-reports",
        str(tmp_path),
        f"--junitxml={junit}",
        "-p",
        "no:randomly",
        *extra,
        timeout=1500,  # the whole charging-station half on the conformant reference: ~220 cases
    )
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout[-4000:]
    assert junit.is_file(), result.stdout[-4000:] + result.stderr[-2000:]
    return _results(junit)


def test_every_case_declares_mutants_with_their_messages() -> None:
    assert CASES, "no test case found"
    missing = [case.id for case in CASES if not case.catches]
    assert not missing, f"cases without a mutant to catch: {missing}"
    for case in CASES:
        for mutant, pattern in case.catches.items():
            assert pattern, f"{case.id}: mutant {mutant} names no failure message"
            re.compile(pattern)
            assert mutant in _registry(case.sut_type), f"{case.id}: no {case.sut_type} mutant named {mutant}"


class _Runs:
    """Every reference run the selected tests need, started together on a few workers (each run is its own
    pytest process, mostly waiting on sockets), so the meta-test takes a fraction of the serial time."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._pool = ThreadPoolExecutor(_JOBS)
        self._runs: dict[tuple[str, str], Future[dict[str, tuple[str, str]]]] = {}

    def start(self, sut_type: str, mutant: str | None) -> None:
        key = (sut_type, mutant or "")
        if key in self._runs:
            return
        if mutant is None:
            ids = [case.id for case in CASES if case.sut_type == sut_type]
            extra: tuple[str, ...] = ()
        else:
            ids = [case.id for case in BY_MUTANT[(sut_type, mutant)]]
            extra = ("--ocpp-mutant", mutant)
        folder = self._root / f"{sut_type}-{mutant or 'conformant'}"
        self._runs[key] = self._pool.submit(_run, folder, sut_type, ids, *extra)

    def result(self, sut_type: str, mutant: str | None) -> dict[str, tuple[str, str]]:
        self.start(sut_type, mutant)
        return self._runs[(sut_type, mutant or "")].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def reference_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Runs]:
    runs = _Runs(tmp_path_factory.mktemp("meta"))
    wanted = [
        item.callspec.params
        for item in request.session.items
        if getattr(item, "module", None) is request.module
        and hasattr(item, "callspec")
        and "sut_type" in item.callspec.params
    ]
    for params in sorted(wanted, key=lambda p: "mutant" in p):  # the conformant halves (longest) first
        runs.start(params["sut_type"], params.get("mutant"))
    yield runs
    runs.close()


@pytest.mark.parametrize("sut_type", ["charging-station", "csms"])
def test_every_case_passes_on_the_conformant_reference(sut_type: str, reference_runs: _Runs) -> None:
    ids = [case.id for case in CASES if case.sut_type == sut_type]
    outcomes = reference_runs.result(sut_type, None)
    failed = {case_id: text[-1500:] for case_id, (outcome, text) in outcomes.items() if outcome == "failed"}
    assert not failed, failed
    assert set(outcomes) == set(ids)


@pytest.mark.parametrize(("sut_type", "mutant"), sorted(BY_MUTANT))
def test_cases_fail_on_their_mutant(sut_type: str, mutant: str, reference_runs: _Runs) -> None:
    cases = BY_MUTANT[(sut_type, mutant)]
    outcomes = reference_runs.result(sut_type, mutant)
    for case in cases:
        outcome, text = outcomes.get(case.id, ("not run", ""))
        assert outcome == "failed", f"{case.id} did not fail on mutant {mutant}: {outcome}"
        assert re.search(case.catches[mutant], text), (
            f"{case.id} failed on mutant {mutant}, but not with /{case.catches[mutant]}/:\n{text[-1500:]}"
        )

"""`ocpp-conformance run` in parallel parts against the built-in SUTs: the split, the merge of records and
JUnit, the security-profile re-runs, and one report for the whole run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.errors import ConfigError
from conformance.parallel_run import _merge_junit
from conformance.report.readiness import CaseOutcome, Outcome, SutInfo
from conformance.report.run_record import RunRecord, merge_records
from conformance.runner import RunUsageError, split_jobs
from conformance.sharding import load_weights, parse_shard, partition
from tests.support import run_cli


# ---------------------------------------------------------------- the split
def test_partition_gives_every_key_to_exactly_one_part_the_same_way_each_time() -> None:
    keys = [f"TC_X_{i:02}_CS" for i in range(37)]
    weights = {k: float(i % 7) for i, k in enumerate(keys)}
    shares = partition(keys, weights, 4)
    assert shares == partition(keys, weights, 4)
    assert sorted(k for share in shares for k in share) == sorted(keys)
    assert all(not (a & b) for i, a in enumerate(shares) for b in shares[i + 1 :])


def test_partition_balances_by_weight_not_by_count() -> None:
    keys = ["slow1", "slow2", *[f"fast{i}" for i in range(20)]]
    weights = {"slow1": 17.0, "slow2": 17.0} | {f"fast{i}": 0.5 for i in range(20)}
    shares = partition(keys, weights, 2)
    assert {"slow1", "slow2"} not in [share & {"slow1", "slow2"} for share in shares]
    loads = [sum(weights[k] for k in share) for share in shares]
    assert abs(loads[0] - loads[1]) <= 0.5


def test_shard_option_and_weights_file_errors_are_clear(tmp_path: Path) -> None:
    assert parse_shard("2/4") == (2, 4)
    for bad in ("5/4", "0/3", "two/4", "3"):
        with pytest.raises(ConfigError, match="--ocpp-shard"):
            parse_shard(bad)
    broken = tmp_path / "weights.json"
    broken.write_text("{not json")
    assert load_weights(broken) == {}
    assert load_weights(tmp_path / "missing.json") == {}


def test_jobs_option_is_taken_out_of_the_pytest_arguments() -> None:
    assert split_jobs(["-k", "TC_B_01", "--ocpp-jobs", "3"]) == (["-k", "TC_B_01"], 3)
    assert split_jobs(["--ocpp-jobs=1", "-q"]) == (["-q"], 1)
    assert split_jobs(["-q"]) == (["-q"], None)
    for bad in (["--ocpp-jobs", "0"], ["--ocpp-jobs=x"], ["--ocpp-jobs"]):
        with pytest.raises(RunUsageError, match="--ocpp-jobs"):
            split_jobs(bad)


# ---------------------------------------------------------------- the merge
def _record(**outcomes: tuple[Outcome, str]) -> RunRecord:
    return RunRecord(
        outcomes={k: CaseOutcome(k, o, r, 1.0) for k, (o, r) in outcomes.items()},
        suts=[SutInfo(type="charging-station", vendor="v", features={"C-30": True})],
        implemented_ids=set(outcomes),
    )


def test_a_rerun_replaces_only_what_the_first_run_did_not_run(tmp_path: Path) -> None:
    first = _record(
        TC_A_01_CS=("not-applicable", "[not-applicable] needs the station under test at security profile 1"),
        TC_B_01_CS=("passed", ""),
        TC_C_01_CS=("failed", "rule broken"),
    )
    again = _record(TC_A_01_CS=("passed", ""), TC_B_01_CS=("failed", "x"), TC_C_01_CS=("passed", ""))
    merged = merge_records(first, again, note="run at security profile 1")
    assert merged.outcomes["TC_A_01_CS"].outcome == "passed"
    assert merged.outcomes["TC_A_01_CS"].reason == "run at security profile 1"
    assert merged.outcomes["TC_B_01_CS"].outcome == "passed"  # a real result is never overwritten
    assert merged.outcomes["TC_C_01_CS"].outcome == "failed"
    path = tmp_path / "record.json"
    merged.write(path)
    assert RunRecord.read(path).to_json() == merged.to_json()


def test_junit_merge_keeps_one_entry_per_case_preferring_the_rerun(tmp_path: Path) -> None:
    shard, rerun = tmp_path / "a.xml", tmp_path / "b.xml"
    shard.write_text(
        '<testsuites><testsuite><testcase classname="cs.a" name="TC_A_01_CS" time="0.1"><skipped/></testcase>'
        '<testcase classname="cs.b" name="TC_B_01_CS" time="1"/></testsuite></testsuites>'
    )
    rerun.write_text(
        '<testsuites><testsuite><testcase classname="cs.a" name="TC_A_01_CS" time="2"/>'
        "</testsuite></testsuites>"
    )
    out = tmp_path / "junit.xml"
    _merge_junit([shard, rerun, tmp_path / "missing.xml"], out)
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("2", "0", "0")
    assert sorted(c.get("name", "") for c in suite.iter("testcase")) == ["TC_A_01_CS", "TC_B_01_CS"]


# ---------------------------------------------------------------- end to end, real processes and sockets
def test_parallel_run_merges_parts_and_reruns_the_security_profile_cases(tmp_path: Path) -> None:
    result = run_cli(
        "run", "-k", "TC_B_01 or TC_A_01", "--ocpp-jobs", "2", "--ocpp-timeout", "3", cwd=tmp_path
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "2 parallel part(s)" in output and "security profile 1" in output, output[-3000:]
    reports = tmp_path / "reports"
    readiness = json.loads((reports / "readiness.json").read_text())
    cases = {c["id"]: c for p in readiness["profiles"] for c in p["cases"]}
    assert cases["TC_B_01_CS"]["outcome"] == cases["TC_B_01_CSMS"]["outcome"] == "passed"
    assert cases["TC_A_01_CS"]["outcome"] == "passed"
    assert "run at security profile 1" in cases["TC_A_01_CS"]["reason"]
    junit = {c.get("name"): c for c in ET.parse(reports / "junit.xml").iter("testcase")}
    assert {"TC_A_01_CS", "TC_B_01_CS", "TC_B_01_CSMS"} <= set(junit)
    assert junit["TC_A_01_CS"].find("skipped") is None
    globals_text = [p.read_text() for p in (reports / "allure-results").glob("*-globals.json")]
    assert sum("Certification readiness (readiness.md)" in t for t in globals_text) == 1  # one, merged
    assert (reports / "allure-results" / "environment.properties").is_file()
    assert "TC_B_01_CS" in json.loads((reports / "case-durations.json").read_text())


def test_external_sut_with_jobs_and_a_bad_jobs_value_are_usage_errors(tmp_path: Path) -> None:
    external = run_cli("run", "--ocpp-jobs", "2", "--ocpp-listen", "127.0.0.1:0", cwd=tmp_path, timeout=60)
    assert external.returncode == 4 and "built-in SUTs" in external.stdout
    zero = run_cli("run", "--ocpp-jobs", "0", cwd=tmp_path, timeout=60)
    assert zero.returncode == 4 and "--ocpp-jobs" in zero.stdout


def test_a_debugging_flag_keeps_the_run_in_one_process(tmp_path: Path) -> None:
    result = run_cli(
        "run", "-x", "-k", "TC_B_01_CSMS", "--ocpp-sut", "csms", "--ocpp-timeout", "3", cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "parallel part" not in result.stdout and "slowest 10 durations" in result.stdout
    assert not (tmp_path / "reports" / "parts").exists()


def test_a_description_with_a_person_driving_keeps_one_process(tmp_path: Path) -> None:
    description = tmp_path / "station.toml"
    description.write_text('[sut]\ntype = "charging-station"\n\n[driver]\ntype = "prompt"\n')
    jobs = run_cli("run", "--ocpp-jobs", "2", "--ocpp-config", str(description), cwd=tmp_path, timeout=60)
    assert jobs.returncode == 4 and "one device" in jobs.stdout
    # Serial, in this process: the one case needs no action, so no prompt is shown.
    result = run_cli(
        "run", "-k", "TC_B_01_CS", "--ocpp-config", str(description), "--ocpp-timeout", "3", cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "parallel part" not in result.stdout and not (tmp_path / "reports" / "parts").exists()


def test_an_option_value_that_is_a_file_is_not_taken_for_a_test_path(tmp_path: Path) -> None:
    from conformance.resources import testcases_dir
    from conformance.runner import pytest_arguments

    description = tmp_path / "station.toml"
    description.write_text("")
    cases = str(testcases_dir())
    assert pytest_arguments(["--ocpp-config", str(description)], cwd=tmp_path)[-1] == cases
    assert pytest_arguments([f"--ocpp-config={description}", "-k", "TC_B_01"], cwd=tmp_path)[-1] == cases
    module = str(testcases_dir() / "cs" / "test_b_provisioning.py")
    assert pytest_arguments(["--ocpp-config", str(description), module], cwd=tmp_path)[-1] == module

"""`ocpp-conformance run` against the built-in SUTs: the suite in parallel parts, merged into one report.

The built-in SUTs are cheap to start, so each part is its own pytest process with its own reference
station and CSMS on ephemeral ports, running a balanced share of the selected cases (`--ocpp-shard`).
The cases that need another security profile than the run's skip themselves naming it; they are run
again at that profile in one more part each, as a lab would re-run them after reconfiguring the SUT.
The parts write run records (`--ocpp-part-record`) and JUnit files; the runner merges them and publishes
readiness and the Allure metadata once, so the report describes the whole run. An external SUT is one
device and runs serially (see `conformance.runner`).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.report.publish import publish
from conformance.report.run_record import RunRecord, merge_records
from conformance.reporting import report_summary_lines
from conformance.resources import data_dir

# The reason a case gives when the run's security profile is not the one Part 6 wants
# (testcases/*/test_*: require_profile); the case is re-run at the first profile named.
NEEDS_PROFILE = re.compile(r"needs the \S+ under test at security profile (\d)")
_PYTEST_TALLY = re.compile(r"((?:\d+ [a-z]+(?:, )?)+) in ([\d.]+)s")
_FZ_PARAM = re.compile(r"\[(FZ_[^\]]+)\]")
_FAILURES_BANNER = re.compile(r"^=+ (FAILURES|ERRORS) =+$")
DEFAULT_JOBS = 4


@dataclass
class Part:
    name: str
    extra: list[str]  # pytest arguments of this part on top of the user's
    folder: Path

    @property
    def record_path(self) -> Path:
        return self.folder / "record.json"

    @property
    def junit_path(self) -> Path:
        return self.folder / "junit.xml"

    @property
    def log_path(self) -> Path:
        return self.folder / "output.log"


@dataclass
class PartResult:
    part: Part
    exit_code: int
    seconds: float
    record: RunRecord | None


def durations_path(reports: Path) -> Path:
    return reports / "case-durations.json"


def _weights_file(reports: Path) -> Path:
    """The last run's measured time per case balances the parts; a first run uses the packaged one."""
    own = durations_path(reports)
    return own if own.is_file() else data_dir() / "case-durations.json"


def _part_arguments(user_args: Sequence[str], part: Part, reports: Path, base: list[str]) -> list[str]:
    fuzz_db = (
        []
        if any(a.startswith("--ocpp-fuzz-db") for a in user_args)
        else [f"--ocpp-fuzz-db={reports / 'hypothesis-db'}"]
    )
    return [
        *base,
        f"--junitxml={part.junit_path}",
        f"--ocpp-reports={part.folder}",
        f"--ocpp-part-record={part.record_path}",
        *fuzz_db,
        *part.extra,
    ]


async def _run_part(command: list[str], part: Part) -> PartResult:
    part.folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with part.log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(*command, stdout=log, stderr=asyncio.subprocess.STDOUT)
        try:
            code = await process.wait()
        except asyncio.CancelledError:
            process.terminate()
            await process.wait()
            raise
    record = RunRecord.read(part.record_path) if part.record_path.is_file() else None
    return PartResult(part, code, time.monotonic() - started, record)


async def _run_parts(commands: list[tuple[list[str], Part]]) -> list[PartResult]:
    results: list[PartResult] = []
    for finished in asyncio.as_completed([_run_part(command, part) for command, part in commands]):
        result = await finished
        print(f"  {result.part.name}: {_tally(result)}", flush=True)
        results.append(result)
    return results


def _tally(result: PartResult) -> str:
    text = result.part.log_path.read_text(encoding="utf-8", errors="replace")
    found = _PYTEST_TALLY.findall(text)
    tally = found[-1][0] if found else f"exit code {result.exit_code}"
    return f"{tally} in {result.seconds:.1f} s"


def run_in_parts(user_args: Sequence[str], base_args: list[str], reports: Path, jobs: int) -> int:
    """Run the suite in `jobs` parallel shards plus the security-profile re-runs; publish one report."""
    folder = reports / "parts"
    allure = reports / "allure-results"
    for stale in (folder, allure):
        _remove_tree(stale)
    allure.mkdir(parents=True)
    weights = _weights_file(reports)
    print(
        f"ocpp-conformance run: {jobs} parallel part(s) against the built-in SUTs (logs: {folder})",
        flush=True,
    )
    shards = [
        Part(
            f"part {i}/{jobs}",
            [f"--ocpp-shard={i}/{jobs}", f"--ocpp-shard-weights={weights}"],
            folder / f"shard-{i}",
        )
        for i in range(1, jobs + 1)
    ]
    started = time.monotonic()
    results: list[PartResult] = []
    reruns: list[tuple[Part, str]] = []
    try:
        results = _execute(user_args, base_args, reports, shards)
        records = [r.record for r in results if r.record is not None]
        reruns = _profile_reruns(records, folder) if records else []
        if reruns:
            print("  re-running the cases that need another security profile:", flush=True)
            results += _execute(user_args, base_args, reports, [part for part, _ in reruns])
    except KeyboardInterrupt:
        print("ocpp-conformance run: interrupted; reporting what finished", file=sys.stderr)
    return _finish(results, reruns, reports, allure, time.monotonic() - started)


def _execute(user_args: Sequence[str], base: list[str], reports: Path, parts: list[Part]) -> list[PartResult]:
    commands = [
        ([sys.executable, "-m", "pytest", *_part_arguments(user_args, part, reports, base)], part)
        for part in parts
    ]
    return asyncio.run(_run_parts(commands))


def _profile_reruns(records: list[RunRecord], folder: Path) -> list[tuple[Part, str]]:
    wanted: dict[str, list[str]] = defaultdict(list)
    for record in records:
        for case_id, outcome in record.outcomes.items():
            skipped = outcome.outcome in ("skipped", "not-applicable")
            match = NEEDS_PROFILE.search(outcome.reason) if skipped else None
            if match:
                wanted[match.group(1)].append(case_id)
    return [
        (
            Part(
                f"security profile {profile} ({len(ids)} cases)",
                [f"--ocpp-cases={','.join(sorted(ids))}", f"--ocpp-security-profile={profile}"],
                folder / f"security-profile-{profile}",
            ),
            profile,
        )
        for profile, ids in sorted(wanted.items())
    ]


def _finish(
    results: list[PartResult], reruns: list[tuple[Part, str]], reports: Path, allure: Path, seconds: float
) -> int:
    profile_of = {part.name: profile for part, profile in reruns}
    shard_records = [r.record for r in results if r.record is not None and r.part.name not in profile_of]
    broken = [r for r in results if r.exit_code not in (0, 1, 5) or (r.record is None and r.exit_code != 5)]
    for result in broken:
        _show_log_tail(result)
    junit = reports / "junit.xml"
    _merge_junit([r.part.junit_path for r in results], junit)
    _show_failures(results)
    if not shard_records:
        print("ocpp-conformance run: no part produced a result; see the logs above", file=sys.stderr)
        return max((r.exit_code for r in results), default=3) or 3
    record = merge_records(shard_records[0], *shard_records[1:])
    for result in results:
        if result.record is not None and result.part.name in profile_of:
            profile = profile_of[result.part.name]
            record = merge_records(record, result.record, note=f"run at security profile {profile}")
    if profile_of:
        again = ", ".join(sorted(set(profile_of.values())))
        base = record.environment.get("Security profile", "")
        record.environment["Security profile"] = f"{base} (cases needing {again}: re-run at it)".strip()
    report = publish(record, reports, allure)
    _write_durations(results, reports)
    for line in report_summary_lines(report, str(allure), str(junit)):
        print(line)
    _show_slowest(record)
    print(f"ocpp-conformance run: {seconds:.1f} s in {len(results)} part(s)")
    codes = [r.exit_code for r in results]
    if any(code not in (0, 1, 5) for code in codes):
        return max(code for code in codes if code not in (0, 1, 5))
    if any(o.outcome == "failed" for o in record.outcomes.values()) or 1 in codes:
        return 1
    return 0 if any(code == 0 for code in codes) else 5


def _show_log_tail(result: PartResult, lines: int = 30) -> None:
    text = result.part.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    print(
        f"--- {result.part.name} ended with exit code {result.exit_code}; {result.part.log_path}:",
        file=sys.stderr,
    )
    for line in text[-lines:]:
        print(f"    {line}", file=sys.stderr)


def _show_failures(results: list[PartResult]) -> None:
    """What pytest printed about each failure (the rule, the frame, a fuzz case's replay line), per part."""
    for result in results:
        if result.exit_code != 1:
            continue
        text = result.part.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        begin = next((i for i, line in enumerate(text) if _FAILURES_BANNER.match(line)), None)
        picked = (
            text[begin:] if begin is not None else [x for x in text if x.startswith(("FAILED ", "ERROR "))]
        )
        print(f"--- {result.part.name} ({result.part.log_path}):")
        for line in picked:
            print(line)


def _show_slowest(record: RunRecord, count: int = 10) -> None:
    slowest = sorted(record.outcomes.values(), key=lambda o: -o.duration)[:count]
    if slowest:
        print(f"slowest {len(slowest)} cases: " + ", ".join(f"{o.id} {o.duration:.1f} s" for o in slowest))


def _junit_key(case: ET.Element) -> str:
    name = case.get("name", "")
    fuzz = _FZ_PARAM.search(name)
    return fuzz.group(1) if fuzz else name


def _write_durations(results: list[PartResult], reports: Path) -> None:
    """Seconds per part key (case id or FZ id), for balancing the next run's parts."""
    seconds: dict[str, float] = {}
    for result in results:
        for case in _junit_cases(result.part.junit_path):
            key = _junit_key(case)
            seconds[key] = round(seconds.get(key, 0.0) + float(case.get("time", "0") or 0), 3)
    if seconds:
        durations_path(reports).write_text(json.dumps(seconds, indent=0, sort_keys=True) + "\n")


def _junit_cases(path: Path) -> list[ET.Element]:
    if not path.is_file():
        return []
    try:
        return list(ET.parse(path).getroot().iter("testcase"))
    except ET.ParseError:
        return []


def _merge_junit(paths: list[Path], out: Path) -> None:
    """One test suite: a case re-run at its security profile replaces its skipped entry."""
    cases: dict[tuple[str, str], ET.Element] = {}
    for path in paths:
        for case in _junit_cases(path):
            key = (case.get("classname", ""), case.get("name", ""))
            previous = cases.get(key)
            if previous is None or previous.find("skipped") is not None:
                cases[key] = case
    suite = ET.Element("testsuite", name="ocpp-conformance")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total = 0.0
    for case in cases.values():
        suite.append(case)
        counts["tests"] += 1
        counts["failures"] += case.find("failure") is not None
        counts["errors"] += case.find("error") is not None
        counts["skipped"] += case.find("skipped") is not None
        total += float(case.get("time", "0") or 0)
    for counter, value in counts.items():
        suite.set(counter, str(value))
    suite.set("time", f"{total:.3f}")
    root = ET.Element("testsuites", name="ocpp-conformance")
    root.append(suite)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)

"""Suite-speed benchmark (issue 9, item 2): `python benchmarks/suite.py [--jobs N] [--profile Core]`.

Runs `ocpp-conformance run --ocpp-profile Core` against the built-in SUTs in both roles, in a fresh
folder (so no earlier case times balance the parts: the packaged ones do), and prints the wall time,
the summed time of the cases, the verdicts, the slowest ten cases, and a Markdown table for RESULTS.md.
Exits non-zero when any case failed: a fast run that fails proves nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 90.0


def _run(work: Path, jobs: int, profile: str) -> tuple[float, int, str]:
    command = [sys.executable, "-m", "conformance.cli", "run", "--ocpp-profile", profile, "-q"]
    command += ["--ocpp-jobs", str(jobs)]
    started = time.monotonic()
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=1800)
    return time.monotonic() - started, done.returncode, done.stdout + done.stderr


def _cases(readiness: dict[str, Any]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for profile in readiness["profiles"]:
        for case in profile["cases"]:
            if "duration" in case:
                seen[case["id"]] = case
    return list(seen.values())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=4, help="parallel parts (default 4, as `run` uses)")
    parser.add_argument("--profile", default="Core", help="certification profile (default Core)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ocpp-suite-") as folder:
        work = Path(folder)
        wall, code, output = _run(work, options.jobs, options.profile)
        readiness_path = work / "reports" / "readiness.json"
        if not readiness_path.is_file():
            print(output[-4000:])
            print(f"no readiness.json written (exit code {code})")
            return 2
        readiness = json.loads(readiness_path.read_text())
    cases = _cases(readiness)
    failed = [c["id"] for c in cases if c.get("outcome") == "failed"]
    summed = sum(float(c["duration"]) for c in cases)
    slowest = sorted(cases, key=lambda c: -float(c["duration"]))[:10]
    print(f"machine: {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"profile {options.profile}, both roles, built-in SUTs, --ocpp-jobs {options.jobs}")
    for profile in readiness["profiles"]:
        m, c = profile["mandatory"], profile["conditional"]
        print(
            f"  {profile['name']} {profile['sut_type']}: {profile['verdict']}, M {m['passed']}/{m['total']},"
            f" C {c['passed']}/{c['total'] - c.get('not_applicable', 0)} applicable"
        )
    print(f"wall time {wall:.1f} s (target {TARGET_SECONDS:.0f} s); cases' own time summed {summed:.1f} s")
    print("\n| case | seconds |\n|---|---|")
    for case in slowest:
        print(f"| {case['id']} | {float(case['duration']):.1f} |")
    if failed:
        print(f"\nFAILED cases: {', '.join(failed)}")
        return 1
    met = wall <= TARGET_SECONDS
    print(f"\nsuite_wall_seconds={wall:.1f} cases_summed_seconds={summed:.1f} target_met={met}")
    return 0 if code == 0 else code


if __name__ == "__main__":
    raise SystemExit(main())

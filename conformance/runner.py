"""`ocpp-conformance run`: pytest on the packaged test cases, the user's options passed through."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance.resources import data_dir, testcases_dir


def pytest_arguments(user_args: Sequence[str], *, cwd: Path | None = None) -> list[str]:
    """The full pytest command line for a run in `cwd` (reports land in `cwd/reports`)."""
    here = (cwd or Path.cwd()).resolve()
    reports = here / "reports"
    args = [
        "-c",
        str(data_dir() / "run.ini"),
        "--rootdir",
        str(here),
        "-p",
        "no:cacheprovider",
        f"--alluredir={reports / 'allure-results'}",
        "--clean-alluredir",
        f"--junitxml={reports / 'junit.xml'}",
        f"--ocpp-reports={reports}",
        "--durations=10",  # the slowest ten cases; every case's time is in readiness.json
        "--durations-min=0",
    ]
    selects_paths = any(not a.startswith("-") and Path(a.split("::")[0]).exists() for a in user_args)
    return args + list(user_args) + ([] if selects_paths else [str(testcases_dir())])


def run(user_args: Sequence[str]) -> int:
    """Run the suite; the exit code is pytest's."""
    Path("reports").mkdir(exist_ok=True)
    return int(pytest.main(pytest_arguments(user_args)))

"""`ocpp-conformance run`: pytest on the packaged test cases, the user's options passed through.

Against the built-in SUTs the run is split into parallel parts and merged (`conformance.parallel_run`);
against an external SUT (one device), or with options that need one interactive process, it is one
pytest run in this process.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance.resources import data_dir, testcases_dir

# Options that make sense only in one process the user watches (debugger, live output, collection).
_SERIAL_ONLY = (
    "--pdb",
    "--trace",
    "-s",
    "--capture=no",
    "--collect-only",
    "--co",
    "-x",
    "--exitfirst",
    "--maxfail",
    "--fixtures",
    "--markers",
    "--setup-only",
    "--setup-plan",
    "--version",
    "-h",
    "--help",
)
_EXTERNAL_SUT = ("--ocpp-csms-url", "--ocpp-listen")


class RunUsageError(Exception):
    pass


def pytest_arguments(user_args: Sequence[str], *, cwd: Path | None = None) -> list[str]:
    """The full pytest command line for a serial run in `cwd` (reports land in `cwd/reports`)."""
    reports = _reports(cwd)
    return [
        *_common_arguments(cwd),
        f"--alluredir={reports / 'allure-results'}",
        "--clean-alluredir",
        f"--junitxml={reports / 'junit.xml'}",
        f"--ocpp-reports={reports}",
        "--durations=10",  # the slowest ten cases; every case's time is in readiness.json
        "--durations-min=0",
        *_with_cases(user_args),
    ]


def part_arguments(user_args: Sequence[str], *, cwd: Path | None = None) -> list[str]:
    """The pytest command line shared by every part of a parallel run (each adds its own outputs)."""
    reports = _reports(cwd)
    return [*_common_arguments(cwd), f"--alluredir={reports / 'allure-results'}", *_with_cases(user_args)]


def _reports(cwd: Path | None) -> Path:
    return (cwd or Path.cwd()).resolve() / "reports"


def _common_arguments(cwd: Path | None) -> list[str]:
    here = (cwd or Path.cwd()).resolve()
    return ["-c", str(data_dir() / "run.ini"), "--rootdir", str(here), "-p", "no:cacheprovider"]


# pytest options whose value is the next argument (besides every --ocpp-* option but the flags).
_TAKES_VALUE = ("-k", "-m", "-p", "-c", "-o", "-W", "--rootdir", "--basetemp", "--confcutdir", "--junitxml")
_OCPP_FLAGS = ("--ocpp-builtin", "--ocpp-fuzz-strict")


def _with_cases(user_args: Sequence[str]) -> list[str]:
    """The user's arguments, plus the packaged test cases unless the user named test files or folders
    (an option's value, such as --ocpp-config station.toml, is not one)."""
    paths = []
    previous = ""
    for arg in user_args:
        is_value = "=" not in previous and (
            previous in _TAKES_VALUE or (previous.startswith("--ocpp-") and previous not in _OCPP_FLAGS)
        )
        if not arg.startswith("-") and not is_value:
            paths.append(arg)
        previous = arg
    selects_paths = any(Path(a.split("::")[0]).exists() for a in paths)
    return list(user_args) + ([] if selects_paths else [str(testcases_dir())])


def split_jobs(user_args: Sequence[str]) -> tuple[list[str], int | None]:
    """The user's arguments without --ocpp-jobs, and its value (None: not given)."""
    rest: list[str] = []
    jobs: str | None = None
    args = list(user_args)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--ocpp-jobs":
            if i + 1 >= len(args):
                raise RunUsageError("--ocpp-jobs: expected a number of parallel parts")
            jobs, i = args[i + 1], i + 2
            continue
        if arg.startswith("--ocpp-jobs="):
            jobs = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    if jobs is None:
        return rest, None
    if not jobs.isdigit() or int(jobs) < 1:
        raise RunUsageError(f"--ocpp-jobs: expected a positive whole number, got {jobs!r}")
    return rest, int(jobs)


def _is_serial_only(args: Sequence[str]) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args for flag in _SERIAL_ONLY)


def _is_external(args: Sequence[str]) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args for flag in _EXTERNAL_SUT)


def _option_value(args: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _drives_one_device(args: Sequence[str]) -> bool:
    """A description whose actions go to a shell command, an HTTP API or a person drives one real device
    (or one person): such a run stays in one process. A description that does not load stays serial too,
    so its error is reported once, by the plugin."""
    path = _option_value(args, "--ocpp-config")
    if path is None:
        return False
    from conformance.config import load_sut_description
    from conformance.errors import ConfigError

    try:
        return load_sut_description(Path(path).expanduser()).driver.type != "builtin"
    except (ConfigError, OSError):
        return True


def run(user_args: Sequence[str]) -> int:
    """Run the suite; the exit code is pytest's (the worst part's, for a run in parts)."""
    try:
        args, jobs = split_jobs(user_args)
    except RunUsageError as exc:
        print(f"ocpp-conformance run: {exc}")
        return 4
    one_device = _is_external(args) or _drives_one_device(args)
    if jobs is not None and jobs > 1 and one_device:
        print(
            "ocpp-conformance run: --ocpp-jobs > 1 needs the built-in SUTs and the builtin driver"
            " (an external SUT, or a command / http / prompt driver, is one device)"
        )
        return 4
    reports = _reports(None)
    reports.mkdir(exist_ok=True)
    if one_device or _is_serial_only(args):
        return int(pytest.main(pytest_arguments(args)))
    from conformance.parallel_run import DEFAULT_JOBS, run_in_parts

    return run_in_parts(args, part_arguments(args), reports, jobs or DEFAULT_JOBS)

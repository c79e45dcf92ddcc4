"""Fixtures of the fuzz block: its settings, the replay command, and its own report block.

The options and ini names (`--ocpp-fuzz-examples` / `ocpp_fuzz_examples`, ...) belong to the plugin;
env `OCPP_FUZZ_*` wins over the command line, which wins over ini.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import allure
import pytest

from conformance.fuzz.engine import FuzzSettings, resolve_fuzz_settings

INI_NAMES: dict[str, str] = {
    "ocpp_fuzz_examples": "fuzz: examples per FZ case (env OCPP_FUZZ_EXAMPLES)",
    "ocpp_fuzz_strict": "fuzz: demand the one exact CALLERROR code per fault (env OCPP_FUZZ_STRICT)",
    "ocpp_fuzz_seed": "fuzz: Hypothesis seed, to replay a run (env OCPP_FUZZ_SEED)",
    "ocpp_fuzz_db": "fuzz: Hypothesis example database folder (env OCPP_FUZZ_DB)",
    "ocpp_fuzz_shrink_seconds": "fuzz: time allowed for shrinking a failure (env OCPP_FUZZ_SHRINK_SECONDS)",
}
_dynamic: Any = allure.dynamic  # allure-commons is untyped
PARENT_SUITES = {"cs": "Fuzz: Charging Station under test", "csms": "Fuzz: CSMS under test"}


def _ini(config: pytest.Config, name: str) -> object:
    given = config.getoption(name, default=None)
    if given not in (None, False):
        return given
    try:
        return config.getini(name)
    except ValueError:
        return None


@pytest.fixture
def fuzz_settings(pytestconfig: pytest.Config) -> FuzzSettings:
    reports = Path(str(pytestconfig.getoption("ocpp_reports", default="reports") or "reports"))
    return resolve_fuzz_settings({name: _ini(pytestconfig, name) for name in INI_NAMES}, reports_dir=reports)


@pytest.fixture
def fuzz_replay(request: pytest.FixtureRequest) -> str:
    """The pytest command that runs just this case again (the engine adds the seed)."""
    args = list(request.config.invocation_params.args)
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "-k":
            skip = True
            continue
        if arg.startswith("-k"):
            continue
        kept.append(arg)
    case_id = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    return shlex.join(["python", "-m", "pytest", *kept, "-k", case_id])


@pytest.fixture(autouse=True)
def _fuzz_labels(request: pytest.FixtureRequest) -> None:
    """Fuzz cases get their own block in the Allure report (not the Part 6 blocks)."""
    marker = request.node.get_closest_marker("ocpp_fuzz")
    if marker is None:
        return
    sut = "csms" if str(marker.kwargs.get("sut", "")).lower() == "csms" else "cs"
    case_id = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    _dynamic.parent_suite(PARENT_SUITES[sut])
    _dynamic.suite(f"Fuzz {marker.args[0]}" if marker.args else "Fuzz")
    _dynamic.id(case_id)
    _dynamic.tag("fuzz")
    _dynamic.severity(allure.severity_level.MINOR)

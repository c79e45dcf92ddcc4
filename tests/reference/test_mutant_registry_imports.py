"""Every mutant registry imports on its own, in any order (a fresh interpreter per entry point)."""

from __future__ import annotations

import subprocess
import sys

import pytest

ENTRY_POINTS = (
    "conformance.reference.mutants",
    "conformance.reference.mutants.station_b",
    "conformance.reference.mutants_csms",
    "conformance.reference.mutants_station",
)


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_registry_imports_first(module: str) -> None:
    code = (
        f"import {module}\n"
        "from conformance.reference.mutants_station import STATION_MUTANTS\n"
        "from conformance.reference.mutants_csms import CSMS_MUTANTS\n"
        "assert STATION_MUTANTS and CSMS_MUTANTS\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]

"""The built wheel works in a fresh venv: console script, plugin option group, packaged schemas and cases.

Slow (a wheel build and a venv install); it is what a user does first, so CI runs it every time.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheels = list(out.glob("ocpp_conformance-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_schemas_testcases_and_entry_points(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    schemas = [
        n for n in names if n.startswith("conformance/_bundled/schemas/ocpp-2.0.1/") and n.endswith(".json")
    ]
    assert len(schemas) == 128
    assert "conformance/_bundled/testcases/cs/test_b_provisioning.py" in names
    assert "conformance/data/octt-2.0.1-testcases.csv" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]" in text and "conformance.pytest_plugin" in text
    assert "ocpp-conformance = conformance.cli:main" in text


def test_fresh_venv_install_runs(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", str(wheel)],
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    help_text = subprocess.run(
        [str(bin_dir / "ocpp-conformance"), "--help"], cwd=work, capture_output=True, text=True, timeout=60
    )
    assert help_text.returncode == 0 and "ocpp-conformance" in help_text.stdout
    pytest_help = subprocess.run(
        [str(bin_dir / "pytest"), "--help"], cwd=work, capture_output=True, text=True, timeout=60
    )
    assert "OCPP 2.0.1 conformance" in pytest_help.stdout and "--ocpp-sut" in pytest_help.stdout
    run = subprocess.run(
        [str(bin_dir / "ocpp-conformance"), "run", "-k", "TC_B_01", "--ocpp-timeout", "5"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (work / "reports" / "readiness.json").is_file()
    assert (work / "reports" / "junit.xml").is_file()

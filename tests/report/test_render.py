"""The HTML render with the real Allure 3 CLI (installed from npm into a cache dir) and its error paths."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.report import render
from conformance.report.allure_labels import environment_mapping, write_environment
from conformance.report.render import RenderUnavailable, find_allure, render_html

# Reused across runs; override with OCPP_CONFORMANCE_TEST_NPM_PREFIX (CI can cache this directory).
NPM_PREFIX = Path(
    os.environ.get(
        "OCPP_CONFORMANCE_TEST_NPM_PREFIX", Path.home() / ".cache" / "ocpp-conformance" / "allure3"
    )
)


def _allure_cli() -> list[str]:
    """The npm-installed Allure 3 CLI, installing it into NPM_PREFIX on first use; skip if unreachable."""
    binary = NPM_PREFIX / "node_modules" / ".bin" / "allure"
    if binary.is_file():
        return [str(binary)]
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not on PATH: cannot install the Allure 3 CLI (npm package 'allure')")
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "install", "--prefix", str(NPM_PREFIX), "--no-audit", "--no-fund", "allure@3"],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("npm install allure@3 did not finish in 240 s (registry unreachable or slow?)")
    if done.returncode != 0 or not binary.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        pytest.skip(f"npm could not install allure@3 (registry unreachable?): {' | '.join(tail)}")
    return [str(binary)]


def _embedded_data(html: str) -> dict[str, str]:
    """Allure 3's single-file report embeds each data file as d("<path>", "<base64>")."""
    pairs = re.findall(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)', html)
    return {name: base64.b64decode(data).decode("utf-8", "replace") for name, data in pairs}


def test_render_single_file_html(allure_results: Path, tmp_path: Path) -> None:
    cli = _allure_cli()
    results = tmp_path / "results"
    shutil.copytree(allure_results, results)
    write_environment(results, environment_mapping(vendor="ACME", station_id="CS001", security_profile=2))
    html_path = render_html(results, tmp_path / "html", command=cli)
    assert html_path == tmp_path / "html" / "index.html"
    html = html_path.read_text(encoding="utf-8")
    assert "<script" in html and 'src="data:text/javascript;base64,' in html  # assets inlined: one file
    data = _embedded_data(html)
    tests = [json.loads(v) for k, v in data.items() if k.startswith("data/test-results/")]
    assert "TC_B_01_CS Cold Boot Charging Station - Accepted" in {t["name"] for t in tests}
    assert len(tests) == 6
    environment = {e["name"]: e["values"] for e in json.loads(data["widgets/allure_environment.json"])}
    assert environment["SUT vendor"] == ["ACME"] and environment["Security profile"] == ["2"]
    # our categories came through allurerc (Allure 3 ignores categories.json)
    assert "Schema violation (SUT)" in data["widgets/categories.json"]
    assert "SUT timeout" in data["widgets/categories.json"]


def test_missing_cli_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(render.ENV_CLI, str(tmp_path / "nope" / "allure"))
    with pytest.raises(RenderUnavailable, match="npm install -g allure"):
        find_allure()
    monkeypatch.delenv(render.ENV_CLI)
    if (render._PROJECT_ROOT / "node_modules" / ".bin" / "allure").exists():
        pytest.skip("a project-local allure exists, so the no-Node path cannot be exercised")
    monkeypatch.setenv("PATH", str(tmp_path))  # no node, npx or allure
    with pytest.raises(RenderUnavailable, match=r"Node\.js/npm not found[\s\S]*npm install --prefix"):
        find_allure(cwd=tmp_path)


def test_render_rejects_missing_results(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no Allure results directory"):
        render_html(tmp_path / "missing", tmp_path / "out", command=["allure"])

"""Render an allure-pytest results directory to one offline HTML file with the Allure 3 CLI (npm `allure`).

No Java: Allure 3 runs on Node. The CLI is looked for, in order, at $OCPP_CONFORMANCE_ALLURE (a path to
the `allure` executable), on PATH, in `node_modules/.bin/allure` of the current directory or the project
root, then via `npx --no-install allure`. Allure 3.18's `generate` has no single-file flag; single-file
mode is the awesome plugin's `singleFile` option, so we hand it a generated `allurerc.mjs` (which also
carries our failure categories: Allure 3 reads those from its config, not from categories.json).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from conformance.report.allure_labels import write_allurerc

ENV_CLI = "OCPP_CONFORMANCE_ALLURE"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = (
    "The HTML report needs the Allure 3 command line (Node.js 20+ and npm; no Java). Install it with:\n"
    "  npm install -g allure\n"
    "  npm install --prefix <dir> allure\n"
    "      (then export OCPP_CONFORMANCE_ALLURE=<dir>/node_modules/.bin/allure)\n"
    "or render by hand: npx allure awesome --single-file -o <out_dir> <results_dir>"
)


class RenderUnavailable(RuntimeError):
    """Node/npm or the Allure 3 CLI is missing; the message says how to get it."""


class RenderFailed(RuntimeError):
    """The Allure CLI ran and failed; the message carries its output."""


def find_allure(cwd: Path | None = None) -> list[str]:
    """The command prefix that runs the Allure 3 CLI, or RenderUnavailable with install instructions."""
    explicit = os.environ.get(ENV_CLI)
    if explicit:
        if Path(explicit).is_file():
            return [explicit]
        raise RenderUnavailable(f"${ENV_CLI} points to {explicit!r}, which does not exist.\n{INSTALL_HINT}")
    on_path = shutil.which("allure")
    if on_path:
        return [on_path]
    for root in (cwd or Path.cwd(), _PROJECT_ROOT):
        local = root / "node_modules" / ".bin" / "allure"
        if local.is_file():
            return [str(local)]
    npx = shutil.which("npx")
    if npx is None:
        raise RenderUnavailable(f"Node.js/npm not found (no `allure`, no `npx` on PATH).\n{INSTALL_HINT}")
    probe = subprocess.run(
        [npx, "--no-install", "allure", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        raise RenderUnavailable(f"the `allure` npm package is not installed.\n{INSTALL_HINT}")
    return [npx, "--no-install", "allure"]


def allure_version(command: list[str]) -> str:
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60, check=False)
    return done.stdout.strip()


def render_html(
    results_dir: Path,
    out_dir: Path,
    *,
    report_name: str = "OCPP 2.0.1 conformance",
    timeout: float = 300.0,
    command: list[str] | None = None,
) -> Path:
    """Generate a single-file HTML report of results_dir into out_dir; returns the HTML file's path."""
    if not results_dir.is_dir():
        raise FileNotFoundError(f"no Allure results directory at {results_dir}")
    cli = command or find_allure()
    if not allure_version(cli).startswith("3."):
        raise RenderUnavailable(f"{' '.join(cli)} is not Allure 3 (Allure 2 needs Java).\n{INSTALL_HINT}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ocpp-allurerc-") as config_dir:
        config = write_allurerc(Path(config_dir), name=report_name, single_file=True)
        args = [
            *cli,
            "generate",
            "--config",
            str(config),
            "--output",
            str(out_dir.resolve()),
            str(results_dir.resolve()),
        ]
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout, check=False, cwd=config_dir
            )
        except subprocess.TimeoutExpired as exc:
            raise RenderFailed(f"allure generate did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        output = f"{done.stdout}\n{done.stderr}".strip()
        raise RenderFailed(f"allure generate failed (exit {done.returncode}):\n{output}")
    html = out_dir / "index.html"
    if not html.is_file():
        found = sorted(out_dir.rglob("*.html"))
        if not found:
            raise RenderFailed(f"allure generate wrote no HTML into {out_dir}:\n{done.stdout}")
        html = found[0]
    return html


__all__ = ["ENV_CLI", "INSTALL_HINT", "RenderFailed", "RenderUnavailable", "find_allure", "render_html"]

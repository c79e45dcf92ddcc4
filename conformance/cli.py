"""The `ocpp-conformance` command: run, report, certs, sim station, sim csms."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from conformance import OCPP_VERSION, __version__

USAGE = """ocpp-conformance {run,report,certs,sim} ...

  run [pytest options]          run the OCPP 2.0.1 test cases (default: against the built-in SUTs, in
                                parallel parts: --ocpp-jobs N, default 4) and write reports/
                                (readiness.json/.md, junit.xml, allure-results/)
  report [--results DIR] [--out DIR]
                                render the Allure HTML report (single offline file) with the Allure 3 CLI
  certs --out DIR [--station-id ID] [--host NAME]
                                make a test PKI (CA, CSMS server, station client, and deliberately bad ones)
  sim station --csms URL --id ID [--config station.toml]
                                run the reference charging station as a simulator
  sim csms --listen HOST:PORT [--config csms.toml]
                                run the reference CSMS as a simulator

`ocpp-conformance run --help` lists every pytest option, the OCPP ones under "OCPP 2.0.1 conformance".
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(f"ocpp-conformance {__version__} (OCPP {OCPP_VERSION})\n\nusage: {USAGE}")
        return 0
    if args[0] == "--version":
        print(f"ocpp-conformance {__version__}")
        return 0
    command, rest = args[0], args[1:]
    if command == "run":
        from conformance.runner import run

        code = run(rest)
        return code
    if command == "report":
        return _report(rest)
    if command == "certs":
        from conformance.certs_cli import certs_main

        return int(certs_main(rest))
    if command == "sim":
        return _sim(rest)
    print(f"ocpp-conformance: unknown command {command!r}\n\nusage: {USAGE}", file=sys.stderr)
    return 2


def _report(argv: list[str]) -> int:
    from pathlib import Path

    from conformance.report.render import RenderUnavailable, render_html

    parser = argparse.ArgumentParser(prog="ocpp-conformance report")
    parser.add_argument("--results", default="reports/allure-results", help="allure results folder")
    parser.add_argument("--out", default="reports/html", help="where the HTML report goes")
    options = parser.parse_args(argv)
    results = Path(options.results)
    if not results.is_dir():
        print(
            f"ocpp-conformance report: no results at {results}: run `ocpp-conformance run` first",
            file=sys.stderr,
        )
        return 2
    try:
        path = render_html(results, Path(options.out))
    except RenderUnavailable as exc:
        print(f"ocpp-conformance report: {exc}", file=sys.stderr)
        return 3
    print(f"Allure report: {path}")
    return 0


def _sim(argv: list[str]) -> int:
    if not argv or argv[0] not in ("station", "csms"):
        print("usage: ocpp-conformance sim {station,csms} [options]", file=sys.stderr)
        return 2
    if argv[0] == "station":
        from conformance.reference.station.sim import sim_station_main

        return int(sim_station_main(argv[1:]))
    from conformance.reference.csms.sim import sim_csms_main

    return int(sim_csms_main(argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())

"""`ocpp-conformance sim station`: run the reference charging station standalone until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import tomllib
from typing import Any, TextIO

from conformance.errors import HarnessError
from conformance.reference.station.config import EvseConfig, StationConfig
from conformance.reference.station.runner import start_reference_station


def config_from_toml(path: str, station_id: str | None) -> StationConfig:
    """StationConfig fields at the top level; `[[evses]]` tables with `connectors = ["cType2", ...]`."""
    with open(path, "rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    evses = [EvseConfig(**evse) for evse in data.pop("evses", [])] or [EvseConfig()]
    try:
        config = StationConfig(evses=evses, **data)
    except TypeError as exc:
        raise HarnessError(f"{path}: {exc}") from exc
    if station_id:
        config.station_id = station_id
    return config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpp-conformance sim station", description=__doc__)
    parser.add_argument("--csms", required=True, help="the CSMS websocket URL (ws:// or wss://)")
    parser.add_argument("--id", default=None, help="the station id (default CP001 or the config's)")
    parser.add_argument("--config", help="a TOML file of StationConfig fields")
    parser.add_argument(
        "--mutant", help="run as this named mutant (see conformance.reference.mutants_station)"
    )
    parser.add_argument("--http-port", type=int, default=None, help="serve the control API on 127.0.0.1:PORT")
    return parser


def sim_station_main(argv: list[str] | None = None, *, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    stream = out or sys.stdout
    try:
        config = config_from_toml(args.config, args.id) if args.config else StationConfig()
        if args.id and not args.config:
            config.station_id = args.id
        station = start_reference_station(
            args.csms, config, mutant=args.mutant, control_http_port=args.http_port
        )
    except (HarnessError, OSError) as exc:
        print(f"ocpp-conformance sim station: {exc}", file=sys.stderr)
        return 2
    print(f"reference station {config.station_id} -> {args.csms}", file=stream)
    if station.http_url:
        print(f"control API: POST {station.http_url}/actions/<action>", file=stream)
    done = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        station.stop()
    return 0

"""`ocpp-conformance sim csms`: run the reference CSMS standalone with a live frame log."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any, TextIO

from conformance.errors import ConfigError, HarnessError
from conformance.reference.csms.config import CsmsConfig
from conformance.reference.csms.core import FrameEvent
from conformance.reference.csms.runner import start_reference_csms

MAX_PAYLOAD_CHARS = 300
SECRET_KEYS = frozenset({"basicAuthPassword"})  # SetNetworkProfile carries one: never printed
KINDS = {2: "CALL", 3: "RESULT", 4: "ERROR"}


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "***" if k in SECRET_KEYS else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def format_frame(event: FrameEvent) -> str:
    """One line: time, station, direction, kind and action, compact payload."""
    stamp = (
        time.strftime("%H:%M:%S", time.localtime(event.wall_time)) + f".{int(event.wall_time % 1 * 1000):03d}"
    )
    arrow = f"{event.station_id} -> CSMS" if event.direction == "in" else f"CSMS -> {event.station_id}"
    try:
        frame = json.loads(event.text)
    except ValueError:
        frame = None
    if isinstance(frame, list) and frame and frame[0] in KINDS:
        kind = KINDS[frame[0]]
        body: Any = frame[-1] if frame[0] != 4 else frame[2:]
        text = json.dumps(_redact(body), separators=(",", ":"))
    else:
        kind, text = "RAW", event.text
    if len(text) > MAX_PAYLOAD_CHARS:
        text = text[: MAX_PAYLOAD_CHARS - 3] + "..."
    return f"{stamp}  {arrow:<24} {kind:<6} {event.action or '-':<28} {text}"


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocpp-conformance sim csms", description="Run the built-in reference CSMS with a live frame log."
    )
    parser.add_argument(
        "--listen", type=_listen, default=("127.0.0.1", 9000), help="HOST:PORT (127.0.0.1:9000)"
    )
    parser.add_argument(
        "--config", help="a TOML file of CsmsConfig fields ([stations.<id>], [id_tokens.<token>])"
    )
    parser.add_argument("--mutant", help="run as this named mutant (see conformance.reference.mutants_csms)")
    parser.add_argument("--http-port", type=int, default=None, help="also serve the control API on 127.0.0.1")
    return parser


def sim_csms_main(argv: list[str] | None = None, *, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    stream = out or sys.stdout
    host, port = args.listen
    try:
        config = CsmsConfig.from_toml(args.config) if args.config else CsmsConfig()
        running = start_reference_csms(
            config, host=host, port=port, mutant=args.mutant, control_http_port=args.http_port
        )
    except (ConfigError, HarnessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lock = threading.Lock()

    def show(event: FrameEvent) -> None:
        with lock:
            print(format_frame(event), file=stream, flush=True)

    running.add_frame_listener(show)
    print(
        f"reference CSMS listening on {running.url}<stationId>"
        f" (security profile {config.security_profile}{', mutant ' + args.mutant if args.mutant else ''})",
        file=stream,
        flush=True,
    )
    if running.http_url:
        print(f"control API: POST {running.http_url}/actions/<action>", file=stream, flush=True)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        running.stop()
        print("reference CSMS stopped", file=stream, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(sim_csms_main())

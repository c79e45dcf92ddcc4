"""Session benchmark: round trips through the harness's full Session over a real WebSocket.

`python benchmarks/session.py [--frames N]`: a raw `websockets` client (the station) sends Heartbeat and
a 10-value TransactionEvent CALLs one at a time to the harness as CSMS (`HarnessCsms`: transport, OCPP-J
framing rules, schema + format validation of the CALL and of the harness's own answer, RPC tracking,
transcript) and waits for each answer. Reported per second and as p50 / p99 round trip, at security
profile 0 (ws://) and 2 (wss:// with Basic auth, certificates from the test PKI). For scale: the issue
measured ~3,800 round trips/s for raw websockets and ~665/s for the `ocpp` library on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.ocppj.schemas import default_store
from conformance.ocppj.validation import FrameValidator
from conformance.session.endpoints import HarnessCsms
from conformance.session.responders import csms_responders
from conformance.transport import CsmsServer
from conformance.transport.pki import make_test_pki
from conformance.transport.security import ServerSecurity

STATION_ID = "CP-BENCH"
PASSWORD = "bench-password-0123456789"  # a throwaway for the benchmark's own loopback server
STAMP = "2025-01-01T00:00:00Z"


def _transaction_event(seq: int) -> dict[str, Any]:
    values = [
        {"value": 230.0 + i, "measurand": "Voltage", "phase": "L1-N", "unitOfMeasure": {"unit": "V"}}
        for i in range(10)
    ]
    return {
        "eventType": "Updated",
        "timestamp": STAMP,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": seq,
        "transactionInfo": {"transactionId": "tx-bench"},
        "meterValue": [{"timestamp": STAMP, "sampledValue": values}],
    }


async def _round_trips(frames: int, profile: int, pki_dir: Path) -> dict[str, float]:
    if profile == 2:
        pki = make_test_pki(pki_dir, STATION_ID)
        security = ServerSecurity(
            profile=2, passwords={STATION_ID: PASSWORD}, certfile=pki.server_cert, keyfile=pki.server_key
        )
        context: ssl.SSLContext | None = ssl.create_default_context(cafile=str(pki.ca_cert))
        token = base64.b64encode(f"{STATION_ID}:{PASSWORD}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
    else:
        security, context, headers = ServerSecurity(), None, {}
    server = CsmsServer("127.0.0.1", 0, security=security)
    await server.start()
    csms = HarnessCsms(
        server,
        STATION_ID,
        validator=FrameValidator(default_store()),
        timeout=5.0,
        responders=dict(csms_responders()),
    )
    await csms.start()
    url = f"{csms.url.rstrip('/')}/{STATION_ID}"
    times: list[float] = []
    try:
        async with websockets.connect(
            url, subprotocols=["ocpp2.0.1"], ssl=context, additional_headers=headers, proxy=None
        ) as ws:
            await csms.wait_connected(timeout=5.0, after=0)
            started = time.perf_counter()
            for n in range(frames):
                if n % 2:
                    call = [2, f"m{n}", "TransactionEvent", _transaction_event(n)]
                else:
                    call = [2, f"m{n}", "Heartbeat", {}]
                sent = time.perf_counter()
                await ws.send(json.dumps(call))
                answer = json.loads(await ws.recv())
                times.append(time.perf_counter() - sent)
                if answer[0] != 3:
                    raise RuntimeError(f"the harness answered {answer!r}")
            elapsed = time.perf_counter() - started
            csms.check_violations()
    finally:
        await csms.stop()
        await server.stop()
    times.sort()
    return {
        "per_second": frames / elapsed,
        "p50_us": statistics.median(times) * 1e6,
        "p99_us": times[int(len(times) * 0.99) - 1] * 1e6,
    }


async def _raw_baseline(frames: int) -> dict[str, float]:
    """The same client against a bare websockets server that answers every CALL with an empty
    CALLRESULT: no framing rules, no validation, no transcript (the floor the harness adds to)."""

    async def answer(ws: Any) -> None:
        async for message in ws:
            await ws.send(json.dumps([3, json.loads(message)[1], {}]))

    async with websockets.serve(answer, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        times: list[float] = []
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/x", subprotocols=["ocpp2.0.1"], proxy=None
        ) as ws:
            started = time.perf_counter()
            for n in range(frames):
                call = (
                    [2, f"m{n}", "TransactionEvent", _transaction_event(n)]
                    if n % 2
                    else [2, f"m{n}", "Heartbeat", {}]
                )
                sent = time.perf_counter()
                await ws.send(json.dumps(call))
                await ws.recv()
                times.append(time.perf_counter() - sent)
            elapsed = time.perf_counter() - started
    times.sort()
    return {
        "per_second": frames / elapsed,
        "p50_us": statistics.median(times) * 1e6,
        "p99_us": times[int(len(times) * 0.99) - 1] * 1e6,
    }


def _row(name: str, result: dict[str, float]) -> str:
    return f"| {name} | {result['per_second']:,.0f} | {result['p50_us']:,.0f} | {result['p99_us']:,.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=4000, help="round trips per measurement (default 4000)")
    options = parser.parse_args()
    print("| endpoint | round trips/s | p50 µs | p99 µs |\n|---|---|---|---|")
    asyncio.run(_raw_baseline(200))
    print(_row("bare websockets server (no validation)", asyncio.run(_raw_baseline(options.frames))))
    with tempfile.TemporaryDirectory(prefix="ocpp-bench-pki-") as folder:
        for profile in (0, 2):
            asyncio.run(_round_trips(200, profile, Path(folder)))  # warm-up: imports, schema compilation
            result = asyncio.run(_round_trips(options.frames, profile, Path(folder)))
            print(_row(f"harness Session, security profile {profile}", result))


if __name__ == "__main__":
    main()

"""Scale benchmark (issue 9, item 3): N reference stations in one process against one validating CSMS.

    python benchmarks/scale.py [N ...]        (default 100 1000 10000)

Stations: `conformance.reference.station.fleet` — N real reference stations (the `ocpp` library's
ChargePoint each) on one event loop in this process. Each: BootNotification (+ its StatusNotification,
NotifyEvent, SecurityEventNotification), a Heartbeat, then a transaction with meter values (Authorize,
TransactionEvent Started / Updated MeterValuePeriodic / Ended, status changes).

CSMS peer: `LightCsms` below, a CSMS on raw websockets in a SECOND process (`--csms-peer`), so RSS is
the stations' process only and both ends get their own core. Every received frame goes through the
harness's `FrameValidator.decode` (framing + schema); every response it sends is checked with
`check_payload` before it goes out. Any violation fails the run.

Measured: frames/s (both directions, counted by the CSMS, over the scenario phase), p50/p99 of the
stations' CALL -> CALLRESULT round trip (timed in the station outbox, all CALLs of the scenario), and
RSS per station = (VmRSS when all N are connected, booted and idle - VmRSS before) / N.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from websockets.asyncio.server import ServerConnection, serve  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

from conformance.ocppj.frames import Call, CallResult, serialize  # noqa: E402
from conformance.ocppj.validation import FrameValidator  # noqa: E402

SUBPROTOCOL = "ocpp2.0.1"
IDLE_SECONDS = 2.0
HEARTBEAT_INTERVAL = 86400  # no spontaneous heartbeats during a run: the scenario sends its own


def _now() -> str:
    dt = datetime.now(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def response_for(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A conformant CSMS answer to a station CALL (every token Accepted)."""
    if action == "BootNotification":
        return {"currentTime": _now(), "interval": HEARTBEAT_INTERVAL, "status": "Accepted"}
    if action == "Heartbeat":
        return {"currentTime": _now()}
    if action == "Authorize":
        return {"idTokenInfo": {"status": "Accepted"}}
    if action == "TransactionEvent" and "idToken" in payload:
        return {"idTokenInfo": {"status": "Accepted"}}
    return {}


@dataclass
class CsmsStats:
    connections: int = 0
    open_connections: int = 0
    frames_in: int = 0
    frames_out: int = 0
    violations: int = 0
    first_violation: str = ""


class LightCsms:
    """One CSMS endpoint for many stations: decode + validate every frame, answer every CALL."""

    def __init__(self, validator: FrameValidator | None = None) -> None:
        self.validator = validator or FrameValidator()
        self.stats = CsmsStats()
        self.actions: dict[str, int] = {}
        self._server: Any = None

    async def start(self) -> str:
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            subprotocols=[Subprotocol(SUBPROTOCOL)],
            compression=None,
            max_size=64 * 1024,
            max_queue=4,
            write_limit=4096,
            ping_interval=None,
            backlog=4096,
        )
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/ocpp"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 10.0)

    def _violation(self, text: str) -> None:
        self.stats.violations += 1
        if not self.stats.first_violation:
            self.stats.first_violation = text[:500]

    async def _handler(self, ws: ServerConnection) -> None:
        stats = self.stats
        stats.connections += 1
        stats.open_connections += 1
        try:
            if ws.subprotocol != SUBPROTOCOL:
                self._violation(f"subprotocol {ws.subprotocol!r}")
                return
            async for raw in ws:
                stats.frames_in += 1
                decoded = self.validator.decode(raw)
                if decoded.violations:
                    self._violation("; ".join(str(v) for v in decoded.violations))
                frame = decoded.frame
                if not isinstance(frame, Call):
                    self._violation(f"unexpected frame from the station: {frame!r}")
                    continue
                self.actions[frame.action] = self.actions.get(frame.action, 0) + 1
                payload = response_for(frame.action, frame.payload)
                found = self.validator.check_payload(frame.action, "response", payload)
                if found:
                    self._violation("our response: " + "; ".join(str(v) for v in found))
                await ws.send(serialize(CallResult(frame.unique_id, payload)))
                stats.frames_out += 1
        except Exception as exc:  # a connection dropping mid-frame is counted, never fatal
            if not isinstance(exc, ConnectionError) and "ConnectionClosed" not in type(exc).__name__:
                self._violation(f"csms handler error: {exc!r}")
        finally:
            stats.open_connections -= 1


class HarnessCsms:
    """The harness's own pipeline per connection: CsmsServer + one Session (default responders,
    transcript, RPC tracking, violations) per station; for comparison with LightCsms."""

    def __init__(self) -> None:
        from conformance.session.session import Session
        from conformance.transport.server import CsmsServer

        self._session_cls = Session
        self.server = CsmsServer()
        self.validator = FrameValidator()
        self.sessions: list[Any] = []
        self._accepting: asyncio.Task[None] | None = None

    async def start(self) -> str:
        await self.server.start()
        self._accepting = asyncio.ensure_future(self._accept_loop())
        return f"ws://127.0.0.1:{self.server.port}"

    async def _accept_loop(self) -> None:
        from conformance.session.responders import csms_responders

        responders = csms_responders(heartbeat_interval=HEARTBEAT_INTERVAL)
        while True:
            conn = await self.server.accept(timeout=24 * 3600.0)
            session = self._session_cls(validator=self.validator, default_responders=responders)
            session.bind(conn)
            self.sessions.append(session)

    def stats(self) -> dict[str, Any]:
        counts = {"in": 0, "out": 0}
        violations: list[str] = []
        for session in self.sessions:
            for record in session.transcript.records:
                if record.direction in counts:
                    counts[record.direction] += 1
            violations.extend(str(v) for v in session.violations)
        return {
            "connections": len(self.sessions),
            "frames_in": counts["in"],
            "frames_out": counts["out"],
            "violations": len(violations),
            "first_violation": violations[0] if violations else "",
        }

    async def close(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        for session in self.sessions:
            await session.aclose()
        await asyncio.wait_for(self.server.stop(), 10.0)


# -- the CSMS peer process --------------------------------------------------------------------------
async def _peer_main(kind: str) -> None:
    """Serve; print the URL; answer 'stats' lines on stdin with one JSON line; exit on 'quit' or EOF."""
    raise_nofile()
    unpin()
    csms: LightCsms | HarnessCsms = HarnessCsms() if kind == "harness" else LightCsms()
    print(json.dumps({"url": await csms.start()}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if line.strip() == "stats":
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            if isinstance(csms, LightCsms):
                out: dict[str, Any] = dict(vars(csms.stats), actions=csms.actions)
            else:
                out = csms.stats()
            out.update(cpu_s=cpu.ru_utime + cpu.ru_stime, rss_kib=rss_kib())
            print(json.dumps(out), flush=True)
        else:  # "quit" or EOF
            break
    await csms.close()


class CsmsPeer:
    """The LightCsms in a child process (this script with --csms-peer), driven over its stdin/stdout."""

    def __init__(self, kind: str = "light") -> None:
        self._proc = subprocess.Popen(
            [sys.executable, __file__, "--csms-peer", kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = str(self._line()["url"])

    def _line(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()  # the peer answers at once; it dies with us on error
        if not line:
            raise RuntimeError("the CSMS peer process exited")
        result: dict[str, Any] = json.loads(line)
        return result

    async def stats(self) -> dict[str, Any]:
        assert self._proc.stdin is not None
        self._proc.stdin.write("stats\n")
        self._proc.stdin.flush()
        return await asyncio.wait_for(asyncio.to_thread(self._line), 30.0)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(15.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5.0)


# -- the stations' side -----------------------------------------------------------------------------
def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def unpin() -> None:
    """Undo run.py's one-core pin: the stations' process and the CSMS peer each get the OS scheduler."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class ScaleResult:
    n: int
    connect_s: float
    scenario_s: float
    frames: int
    frames_per_s: float
    p50_ms: float
    p99_ms: float
    rss_per_station_kib: float
    rss_after_scenario_kib: float
    calls: int
    idle_cpu_pct: float
    peer_rss_per_station_kib: float
    violations: int
    first_violation: str

    def row(self) -> str:
        return (
            f"scale N={self.n}: {self.frames_per_s:,.0f} frames/s ({self.frames:,} frames in "
            f"{self.scenario_s:.1f} s), rtt p50 {self.p50_ms:.1f} ms p99 {self.p99_ms:.1f} ms, "
            f"RSS/station {self.rss_per_station_kib:.1f} KiB idle ({self.rss_after_scenario_kib:.1f} after "
            f"the transactions), connect+boot {self.connect_s:.1f} s, idle CPU {self.idle_cpu_pct:.0f} %, "
            f"CSMS peer RSS/connection {self.peer_rss_per_station_kib:.1f} KiB, "
            f"violations {self.violations}"
        )


async def warm_up(url: str) -> None:
    """Two stations through the whole scenario first: imports, compiled validators, caches."""
    from conformance.reference.station.config import StationConfig
    from conformance.reference.station.fleet import Fleet

    fleet = Fleet(url, 2, lambda i: StationConfig(station_id=f"WARM-{i}"))
    try:
        await fleet.start(30.0)
        await fleet.run_scenario(30.0)
    finally:
        await fleet.stop()


async def measure(n: int, peer: CsmsPeer, timeout: float) -> ScaleResult:
    from conformance.reference.station.config import StationConfig
    from conformance.reference.station.fleet import Fleet

    await warm_up(peer.url)
    gc.collect()
    before = rss_kib()
    peer_before = (await peer.stats())["rss_kib"]
    fleet = Fleet(peer.url, n, lambda i: StationConfig(station_id=f"SCALE{n}-{i:05d}", serial_number=f"S{i}"))
    t0 = time.perf_counter()
    try:
        await fleet.start(timeout)
        connect_s = time.perf_counter() - t0
        gc.collect()
        idle = rss_kib()
        peer_idle = (await peer.stats())["rss_kib"]
        c0, w0 = cpu_s(), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS)  # what N idle stations cost in CPU (their timers)
        idle_cpu = (cpu_s() - c0) / (time.perf_counter() - w0)
        fleet.rtts.clear()
        s0 = await peer.stats()
        t1 = time.perf_counter()
        await fleet.run_scenario(timeout)
        scenario_s = time.perf_counter() - t1
        s1 = await peer.stats()
        gc.collect()
        after = rss_kib()
    finally:
        await fleet.stop()
    frames = (s1["frames_in"] + s1["frames_out"]) - (s0["frames_in"] + s0["frames_out"])
    return ScaleResult(
        n=n,
        connect_s=connect_s,
        scenario_s=scenario_s,
        frames=frames,
        frames_per_s=frames / scenario_s,
        p50_ms=percentile(fleet.rtts, 0.50) * 1000,
        p99_ms=percentile(fleet.rtts, 0.99) * 1000,
        rss_per_station_kib=(idle - before) / n,
        rss_after_scenario_kib=(after - before) / n,
        calls=len(fleet.rtts),
        idle_cpu_pct=100 * idle_cpu,
        peer_rss_per_station_kib=(peer_idle - peer_before) / n,
        violations=int(s1["violations"]),
        first_violation=str(s1["first_violation"]),
    )


def run_one(n: int, timeout: float, peer_kind: str = "light") -> ScaleResult:
    """One size in THIS process, against a fresh CSMS peer process; raises on any frame violation."""
    raise_nofile()
    unpin()
    peer = CsmsPeer(peer_kind)
    try:
        result = asyncio.run(measure(n, peer, timeout))
    finally:
        peer.close()
    if result.violations:
        raise SystemExit(f"N={n}: {result.violations} violations, first: {result.first_violation}")
    return result


def run_scale(sizes: list[int], timeout: float = 600.0, peer: str = "light") -> list[ScaleResult]:
    """Each size in a fresh process (RSS of one size is not flattered by memory freed by another)."""
    results = []
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--timeout", str(timeout), "--peer", peer],
            capture_output=True,
            text=True,
            timeout=3 * timeout,
        )
        if proc.returncode != 0:
            raise SystemExit(f"scale N={n} failed:\n{proc.stdout}{proc.stderr}")
        results.append(ScaleResult(**json.loads(proc.stdout.strip().splitlines()[-1])))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 10000])
    parser.add_argument("--timeout", type=float, default=600.0, help="per phase, seconds")
    parser.add_argument(
        "--peer",
        choices=["light", "harness"],
        default="light",
        help="CSMS peer: LightCsms (default) or the harness's CsmsServer + a Session per station",
    )
    parser.add_argument("--csms-peer", choices=["light", "harness"], help=argparse.SUPPRESS)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csms_peer:
        asyncio.run(_peer_main(args.csms_peer))
        return
    if args.one is not None:
        print(json.dumps(asdict(run_one(args.one, args.timeout, args.peer))))
        return
    print(f"RLIMIT_NOFILE raised to {raise_nofile()}")
    for result in run_scale(args.sizes, args.timeout, args.peer):
        print(result.row(), flush=True)


if __name__ == "__main__":
    main()

"""Start a reference station in its own daemon thread with its own event loop (like a separate process)."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from conformance.reference.mutants_station import STATION_MUTANTS
from conformance.reference.station.actions import ControlError
from conformance.reference.station.config import StationConfig
from conformance.reference.station.control import StationControl, serve_http
from conformance.reference.station.core import StationCore


class RunningStation:
    def __init__(
        self,
        control: StationControl,
        http_url: str | None,
        core: StationCore,
        loop: asyncio.AbstractEventLoop,
        thread: threading.Thread,
    ) -> None:
        self.control = control
        self.http_url = http_url
        self._core = core
        self._loop = loop
        self._thread = thread

    def stop(self, timeout: float = 5.0) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self._core.stop(), self._loop).result(timeout)
        self._thread.join(timeout)

    def __repr__(self) -> str:
        return f"RunningStation(station_id={self._core.config.station_id!r}, http_url={self.http_url!r})"


def start_reference_station(
    csms_url: str, config: StationConfig, *, mutant: str | None = None, control_http_port: int | None = None
) -> RunningStation:
    """Start the station; it connects (and reconnects after a drop) by itself.

    `control_http_port`: None for no HTTP control, 0 for an ephemeral port on 127.0.0.1.
    """
    if mutant is not None and mutant not in STATION_MUTANTS:
        raise ControlError(f"unknown station mutant {mutant!r}; known: {', '.join(sorted(STATION_MUTANTS))}")
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    async def main() -> None:
        core = StationCore(csms_url, config, mutant)
        box["core"] = core
        server = None
        try:
            if control_http_port is not None:
                server = await serve_http(core, control_http_port)
                box["port"] = server.sockets[0].getsockname()[1]
        except Exception as exc:
            box["error"] = exc
            ready.set()
            return
        ready.set()
        try:
            await core.run()
        finally:
            if server is not None:
                server.close()

    def thread_main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except Exception as exc:  # never die silently
            box.setdefault("error", exc)
            ready.set()
        finally:
            with contextlib.suppress(Exception):
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    thread = threading.Thread(target=thread_main, name=f"reference-station-{config.station_id}", daemon=True)
    thread.start()
    if not ready.wait(10.0):
        raise ControlError("the reference station did not start within 10 s")
    if "error" in box:
        raise ControlError(f"the reference station failed to start: {box['error']!r}")
    core = box["core"]
    assert isinstance(core, StationCore)
    port = box.get("port")
    http_url = f"http://127.0.0.1:{port}" if port is not None else None
    return RunningStation(StationControl(core, loop), http_url, core, loop, thread)

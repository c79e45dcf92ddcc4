"""Start and stop the reference CSMS in its own daemon thread with its own event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Final

from conformance.errors import ConfigError, HarnessError
from conformance.reference.csms.config import CsmsConfig
from conformance.reference.csms.control import ControlHttpServer, CsmsControl
from conformance.reference.csms.core import CSMS_THREAD_NAME, CsmsCore, FrameListener

START_TIMEOUT: Final = 10.0


class RunningCsms:
    def __init__(
        self,
        core: CsmsCore,
        loop: asyncio.AbstractEventLoop,
        thread: threading.Thread,
        http: ControlHttpServer | None,
    ) -> None:
        self._core = core
        self._loop = loop
        self._thread = thread
        self._http = http
        self.url: str = core.url  # ws:// or wss://host:port/ ; stations append their id
        self.control = CsmsControl(core, loop)
        self.http_url: str | None = http.url if http is not None else None
        self.mutant = core.mutant

    def __repr__(self) -> str:
        return f"RunningCsms(url={self.url!r}, mutant={self.mutant!r})"

    def add_frame_listener(self, listener: FrameListener) -> None:
        """Called in the CSMS thread for every frame (the sim's live log)."""
        self._loop.call_soon_threadsafe(self._core.listeners.append, listener)

    def wait_disconnected(self, station_id: str, timeout: float = 5.0) -> None:
        """Return once the CSMS has noticed that `station_id` is gone (its connection handler ended):
        a station's own close completes before the CSMS side has cleaned up. TimeoutError otherwise."""

        async def gone() -> None:
            cp = self._core.stations.get(station_id)
            if cp is not None:
                await asyncio.wait_for(cp.closed.wait(), timeout)

        asyncio.run_coroutine_threadsafe(gone(), self._loop).result(timeout + 1.0)

    def stop(self, timeout: float = 5.0) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._core.stop(), self._loop)
            try:
                future.result(timeout)
            except Exception:
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)


def start_reference_csms(
    config: CsmsConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    mutant: str | None = None,
    control_http_port: int | None = None,
) -> RunningCsms:
    """Returns once the CSMS listens. ``mutant``: a name from `CSMS_MUTANTS`."""
    from conformance.reference.mutants_csms import CSMS_MUTANTS

    if mutant is not None and mutant not in CSMS_MUTANTS:
        raise ConfigError(f"unknown CSMS mutant {mutant!r}; known: {', '.join(sorted(CSMS_MUTANTS))}")
    core = CsmsCore(config, mutant)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(core.start(host, port))
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    thread = threading.Thread(target=run, name=CSMS_THREAD_NAME, daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT):
        raise HarnessError(f"the reference CSMS did not start listening within {START_TIMEOUT:g} s")
    if failure:
        raise HarnessError(
            f"the reference CSMS could not listen on {host}:{port}: {failure[0]}"
        ) from failure[0]
    http = None
    if control_http_port is not None:
        http = ControlHttpServer(CsmsControl(core, loop), control_http_port)
        http.start()
    return RunningCsms(core, loop, thread, http)

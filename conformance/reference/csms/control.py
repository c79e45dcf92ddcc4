"""The reference CSMS's operator console: `CsmsControl` (thread-safe, any thread or event loop)
and the same actions over HTTP on 127.0.0.1 (`POST /actions/<action>`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections.abc import Coroutine
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from conformance.drivers.actions import CSMS_INITIATED_ACTIONS, OPERATOR_ACTIONS
from conformance.reference.csms.config import BOOT_STATUSES
from conformance.reference.csms.core import CsmsCore
from conformance.reference.csms.errors import ControlError
from conformance.reference.csms.ocppj_filter import payload_problem

MAX_BODY: Final = 1 << 20


class CsmsControl:
    side = "csms"  # for conformance.drivers.builtin.infer_side
    supported_actions: Final = frozenset(OPERATOR_ACTIONS)

    def __init__(self, core: CsmsCore, loop: asyncio.AbstractEventLoop) -> None:
        self._core = core
        self._loop = loop

    # ------------------------------------------------------------ public
    def perform(
        self, action: str, params: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Blocking; from any thread but the CSMS's own (use `aperform` inside an event loop)."""
        if _running_loop() is self._loop:
            raise ControlError(f"{action}: perform() called from the CSMS's own thread would deadlock")
        future = self._submit(action, params, timeout)
        try:
            return future.result(timeout + 2.0)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ControlError(f"{action}: the reference CSMS did not finish within {timeout:g} s") from None

    async def aperform(
        self, action: str, params: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """For asyncio callers running in another event loop."""
        future = self._submit(action, params, timeout)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout + 2.0)
        except TimeoutError:
            raise ControlError(f"{action}: the reference CSMS did not finish within {timeout:g} s") from None

    # ------------------------------------------------------------ internals
    def _submit(
        self, action: str, params: dict[str, Any] | None, timeout: float
    ) -> concurrent.futures.Future[dict[str, Any]]:
        coro = self._prepare(action, params or {}, timeout)  # raises ControlError in the caller
        if self._loop.is_closed() or not self._loop.is_running():
            coro.close()
            raise ControlError("the reference CSMS is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _prepare(
        self, action: str, params: dict[str, Any], timeout: float
    ) -> Coroutine[Any, Any, dict[str, Any]]:
        if action not in OPERATOR_ACTIONS:
            raise ControlError(
                f"unknown action {action!r}; the reference CSMS performs: {sorted(OPERATOR_ACTIONS)}"
            )
        if not isinstance(params, dict):
            raise ControlError(f"{action}: params must be a JSON object, got {type(params).__name__}")
        core = self._core
        if action == "get_state":
            return core.snapshot()
        station_id = params.get("station_id")
        if not isinstance(station_id, str) or not station_id:
            raise ControlError(f"{action}: params.station_id must be a non-empty string")
        if action == "configure_boot_status":
            return _configure(core, station_id, params)
        if action == "upgrade_security_profile":  # A05 / TC_A_19_CSMS
            slot, profile = params.get("configuration_slot"), params.get("security_profile")
            for name, value in (("configuration_slot", slot), ("security_profile", profile)):
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ControlError(
                        f"{action}: params.{name} must be a non-negative integer, got {value!r}"
                    )
            assert isinstance(slot, int) and isinstance(profile, int)
            return core.upgrade_security_profile(station_id, slot, profile, timeout=timeout)
        if action == "restore_security_profile":
            return core.restore_security_profile(station_id)
        assert action in CSMS_INITIATED_ACTIONS
        request = params.get("request", {})
        if not isinstance(request, dict):
            raise ControlError(
                f"{action}: params.request must be a JSON object (the {action}Request payload)"
            )
        problem = payload_problem(action, "Request", request)
        if problem is not None:
            raise ControlError(
                f"{action}: params.request is not a valid {action}Request: {problem.describe()}"
            )
        return core.send_request(station_id, action, request, timeout=timeout)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _configure(core: CsmsCore, station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    status, interval = params.get("status"), params.get("interval")
    if status not in BOOT_STATUSES:
        raise ControlError(f"configure_boot_status: status must be one of {BOOT_STATUSES}, got {status!r}")
    if interval is not None and (not isinstance(interval, int) or isinstance(interval, bool) or interval < 0):
        raise ControlError(
            f"configure_boot_status: interval must be a non-negative integer, got {interval!r}"
        )
    return core.configure_boot_status(station_id, str(status), interval)


# ------------------------------------------------------------------ HTTP
class ControlHttpServer:
    """`POST /actions/<action>` with a JSON body (the params) -> 200 JSON result; 400
    {"error": ...} for bad input; 404 for an unknown action. Bound to 127.0.0.1 only."""

    def __init__(self, control: CsmsControl, port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"control": control})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="reference-csms-http", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)


class _Handler(BaseHTTPRequestHandler):
    control: CsmsControl

    def do_POST(self) -> None:
        prefix = "/actions/"
        if not self.path.startswith(prefix):
            self._reply(
                HTTPStatus.NOT_FOUND, {"error": f"no such endpoint {self.path!r}; use POST /actions/<action>"}
            )
            return
        action = self.path[len(prefix) :].split("?", 1)[0]
        if action not in OPERATOR_ACTIONS:
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"unknown action {action!r}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": f"body is not JSON: {exc}"})
            return
        try:
            result = self.control.perform(action, body, timeout=float(self.headers.get("X-Timeout") or 10.0))
        except ControlError as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self._reply(HTTPStatus.OK, result)

    def _reply(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the frame log is the interesting one; keep stderr quiet

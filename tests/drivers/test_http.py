"""The http driver against a real stdlib HTTP server on 127.0.0.1 (ephemeral port) in a thread."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any

import pytest

from conformance.config import HttpAction, HttpDriverConfig
from conformance.drivers.http import HttpDriver
from conformance.errors import ActionUnsupported, HarnessError


@dataclass
class Api:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def api() -> Iterator[Api]:
    state = Api("")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": raw}
            )
            if self.path.startswith("/api/slow"):
                state.release.wait(10)
            if self.path.startswith("/api/fail"):
                self._reply(500, b"station CS-LAB is not registered" + b"x" * 1000, "text/plain")
            elif self.path.startswith("/api/empty"):
                self._reply(204, b"", "text/plain")
            else:
                echo = {"ok": True, "path": self.path, "json": json.loads(raw) if raw else None}
                self._reply(200, json.dumps(echo).encode(), "application/json")

        def _reply(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = do_GET = _handle

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the client gave up on /slow: a broken pipe, expected

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def make(
    base_url: str, *, timeout: float = 5.0, default: HttpAction | None = None, **actions: HttpAction
) -> HttpDriver:
    config = HttpDriverConfig(
        base_url=base_url,
        headers=MappingProxyType({"Authorization": "Bearer ${API_TOKEN}", "X-Lab": "bench-3"}),
        timeout=timeout,
        actions=MappingProxyType(actions),
        default=default,
    )
    return HttpDriver(config, station_id="CS-LAB", environ={"API_TOKEN": "t0k3n-secret"})


def run(d: HttpDriver, action: str, params: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(d.perform(action, params))


START = {
    "station_id": "CS 1/x",
    "request": {"idToken": {"idToken": "AB12", "type": "ISO14443"}, "evseId": 2, "remoteStartId": 7},
}


def test_templated_path_body_and_env_headers(api: Api) -> None:
    d = make(
        api.url,
        RequestStartTransaction=HttpAction(
            "POST",
            "/chargers/{station_id}/start",
            {
                "idTag": "{request.idToken.idToken}",
                "evse": "{request.evseId}",
                "note": "start on {station_id}",
                "ocpp": "{request}",
            },
        ),
    )
    result = run(d, "RequestStartTransaction", START)
    (sent,) = api.requests
    assert sent["method"] == "POST"
    assert sent["path"] == "/api/chargers/CS%201%2Fx/start"  # each path value URL-quoted whole
    assert sent["headers"]["Authorization"] == "Bearer t0k3n-secret"
    assert sent["headers"]["X-Lab"] == "bench-3"
    assert sent["headers"]["Content-Type"] == "application/json"
    body = json.loads(sent["body"])
    assert body == {"idTag": "AB12", "evse": 2, "note": "start on CS 1/x", "ocpp": START["request"]}
    assert result == {"ok": True, "path": sent["path"], "json": body}


def test_default_mapping_covers_the_vocabulary_and_sends_params(api: Api) -> None:
    d = make(api.url, default=HttpAction())  # POST /actions/{action} with all params
    assert d.supports("plug_in") and d.supports("SetVariables") and not d.supports("dance")
    result = run(d, "plug_in", {"evse_id": 1})
    assert api.requests[0]["path"] == "/api/actions/plug_in"
    assert json.loads(api.requests[0]["body"]) == {"evse_id": 1}
    assert result["ok"] is True


def test_base_url_from_the_environment(api: Api) -> None:
    config = HttpDriverConfig(base_url="${LAB_API}/v2", actions=MappingProxyType({"reboot": HttpAction()}))
    d = HttpDriver(config, station_id="CS-LAB", environ={"LAB_API": api.url})
    assert run(d, "reboot", {})["path"] == "/api/v2/actions/reboot"


def test_get_has_no_body_and_204_gives_empty_result(api: Api) -> None:
    d = make(api.url, get_state=HttpAction("GET", "/empty/{station_id}"), reboot=HttpAction("PUT", "/empty"))
    assert run(d, "get_state", {}) == {}
    assert api.requests[0]["method"] == "GET" and api.requests[0]["body"] == b""
    assert api.requests[0]["path"] == "/api/empty/CS-LAB"  # the description's station id by default
    assert run(d, "reboot", {}) == {}


def test_non_2xx_is_a_harness_error_with_status_and_excerpt(api: Api) -> None:
    d = make(api.url, Reset=HttpAction("POST", "/fail/{station_id}", {"type": "{request.type}"}))
    with pytest.raises(HarnessError) as info:
        run(d, "Reset", {"station_id": "CS-LAB", "request": {"type": "Immediate"}})
    message = str(info.value)
    assert message.startswith(
        f"action Reset: POST {api.url}/fail/CS-LAB: HTTP 500: station CS-LAB is not registered"
    )
    assert len(message) < 400  # an excerpt, not the whole body
    assert "t0k3n" not in message


def test_missing_env_var_fails_before_sending(api: Api) -> None:
    config = HttpDriverConfig(
        base_url=api.url,
        headers=MappingProxyType({"Authorization": "Bearer ${NOT_SET_TOKEN}"}),
        actions=MappingProxyType({"reboot": HttpAction()}),
    )
    d = HttpDriver(config, station_id="CS-LAB", environ={})
    with pytest.raises(
        HarnessError, match=r"driver.http.headers.Authorization references \$\{NOT_SET_TOKEN\}"
    ):
        run(d, "reboot", {})
    assert api.requests == []


def test_slow_server_times_out(api: Api) -> None:
    d = make(api.url, timeout=0.3, reboot=HttpAction("POST", "/slow"))
    with pytest.raises(HarnessError, match=r"action reboot: POST .*/slow: no response within 0.3 s"):
        run(d, "reboot", {})
    api.release.set()


def test_refused_connection_and_unsupported_action() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    d = make(f"http://127.0.0.1:{port}", reboot=HttpAction())
    with pytest.raises(
        HarnessError, match=r"action reboot: POST http://127.0.0.1:\d+/actions/reboot: .*refused"
    ):
        run(d, "reboot", {})
    with pytest.raises(ActionUnsupported, match="'plug_in' is not available with the 'http' driver"):
        run(d, "plug_in", {})

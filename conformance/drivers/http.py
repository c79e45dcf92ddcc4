"""The `http` driver: each action is one REST call, e.g. to a CSMS's operator API.

The path's placeholders are URL-quoted; the body is a JSON template (see `render_json`); header
values and the base URL may reference env vars as `${VAR}`, expanded per request so tokens stay out
of the SUT description and out of every message. Stdlib urllib in a worker thread: no extra deps.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from conformance.config import ENV_REFERENCE, HttpAction, HttpDriverConfig, redact_url
from conformance.drivers.actions import ALL_ACTIONS
from conformance.drivers.base import (
    ActionDriver,
    as_result,
    excerpt,
    render,
    render_json,
    tail,
    template_values,
)
from conformance.errors import HarnessError

_NO_BODY = ("GET", "DELETE")


class HttpDriver(ActionDriver):
    name = "http"

    def __init__(
        self, config: HttpDriverConfig, *, station_id: str, environ: Mapping[str, str] | None = None
    ) -> None:
        self.config = config
        self.station_id = station_id
        self.environ = environ

    def supports(self, action: str) -> bool:
        if not self.config.base_url:
            return False
        return action in self.config.actions or (self.config.default is not None and action in ALL_ACTIONS)

    def _spec(self, action: str) -> HttpAction:
        spec = self.config.actions.get(action) or self.config.default
        assert spec is not None
        return spec

    def _expand_env(self, text: str, where: str) -> str:
        env = os.environ if self.environ is None else self.environ

        def value(match: Any) -> str:
            name = match.group(1)
            if name not in env:
                raise HarnessError(f"{where} references ${{{name}}}, but env var {name} is not set")
            return env[name]

        return ENV_REFERENCE.sub(value, text)

    def build_request(self, action: str, params: Mapping[str, Any]) -> urllib.request.Request:
        """The request `action` sends (url, method, JSON body, headers)."""
        spec = self._spec(action)
        values = template_values(action, params, self.station_id)
        base = self._expand_env(self.config.base_url or "", "driver.http.base_url").rstrip("/")
        url = base + render(spec.path, values, action, lambda text: quote(text, safe=""))
        headers = {"Accept": "application/json"}
        data = None
        if spec.method not in _NO_BODY:
            headers["Content-Type"] = "application/json"
            data = json.dumps(render_json(spec.body, values, action), ensure_ascii=False).encode()
        for name, raw in self.config.headers.items():
            headers[name] = self._expand_env(raw, f"driver.http.headers.{name}")
        return urllib.request.Request(url, data=data, headers=headers, method=spec.method)

    async def perform(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        self.require(action)
        request = self.build_request(action, params)
        where = f"action {action}: {request.get_method()} {redact_url(request.full_url)}"
        timeout = self.config.timeout
        try:
            # The socket timeout bounds each blocking step; wait_for bounds the whole exchange.
            status, body = await asyncio.wait_for(asyncio.to_thread(_send, request, timeout), timeout + 1.0)
        except TimeoutError:
            raise HarnessError(f"{where}: no response within {timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise HarnessError(f"{where}: no response within {timeout:g} s") from None
            raise HarnessError(f"{where}: {exc.reason}") from None
        except OSError as exc:
            raise HarnessError(f"{where}: {exc}") from None
        if not 200 <= status < 300:
            raise HarnessError(f"{where}: HTTP {status}: {excerpt(body) or '(empty body)'}")
        if not body.strip():
            return {}
        try:
            return as_result(json.loads(body))
        except ValueError:
            return {"text": tail(body, 2000)}


def _send(request: urllib.request.Request, timeout: float) -> tuple[int, str]:
    """(status, body text); HTTP error statuses are returned, connection failures raised."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), exc.read().decode("utf-8", "replace")

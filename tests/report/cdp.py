"""A tiny Chrome DevTools Protocol client: start headless Chromium, drive one page over `websockets`.

Just enough to check a rendered report in a real browser: navigate, evaluate JavaScript (awaiting
promises, values returned by value), poll a condition against a deadline, take a screenshot. The browser
runs in its own process group with a throw-away profile and is always killed on exit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, offline, no first-run noise; --remote-debugging-port=0 lets the browser pick a free port.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # the test container runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1400,1000",
)


class CdpError(RuntimeError):
    """The browser failed to start, a command failed, or a condition was not met in time."""


def find_chromium() -> str | None:
    """The Chromium executable ($OCPP_CONFORMANCE_CHROMIUM, else the first candidate on PATH)."""
    explicit = os.environ.get("OCPP_CONFORMANCE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((found for name in CHROMIUM_CANDIDATES if (found := shutil.which(name))), None)


class Page:
    """One browser tab, reached through a flattened target session on the browser's socket."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self._browser = browser
        self._session_id = session_id

    async def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
        return await self._browser.send(method, params, timeout=timeout, session_id=self._session_id)

    async def evaluate(self, expression: str, timeout: float = 10.0) -> Any:
        """The expression's value (JSON-able, promises awaited); CdpError on a JavaScript exception."""
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"JavaScript error in {expression[:80]!r}: {text}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, *, timeout: float = 10.0, what: str = "") -> Any:
        """Poll `expression` until it is truthy and return its value; CdpError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            last = await self.evaluate(expression, timeout=max(0.5, deadline - time.monotonic()))
            if last:
                return last
            if time.monotonic() >= deadline:
                raise CdpError(
                    f"timed out after {timeout} s waiting for {what or expression!r}: last {last!r}"
                )
            await asyncio.sleep(0.05)  # poll interval, not a wait for something

    async def navigate(self, url: str, *, timeout: float = 15.0) -> None:
        """Open `url` and wait until the document finished loading."""
        result = await self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise CdpError(f"navigation to {url} failed: {result['errorText']}")
        await self.wait_for("document.readyState === 'complete'", timeout=timeout, what=f"load of {url}")

    async def screenshot(self, path: Path) -> Path:
        """A PNG of the viewport (handy when exploring a page's DOM by eye)."""
        result = await self.send("Page.captureScreenshot", {"format": "png"}, timeout=20.0)
        await asyncio.to_thread(path.write_bytes, base64.b64decode(result["data"]))
        return path


class Browser:
    """A running headless Chromium and the browser-level DevTools socket."""

    def __init__(self, process: subprocess.Popen[bytes], socket: ClientConnection, profile: Path) -> None:
        self.process = process
        self.profile = profile
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                message = json.loads(raw)
                future = self._pending.pop(message.get("id", -1), None)
                if future is None or future.done():
                    continue  # an event, or a reply that came after its caller timed out
                if "error" in message:
                    future.set_exception(CdpError(f"CDP error: {message['error']}"))
                else:
                    future.set_result(message.get("result", {}))
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(CdpError("the DevTools connection closed"))

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float = 10.0,
        session_id: str | None = None,
    ) -> Any:
        """Send one command and wait (bounded) for its result."""
        message_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        await self._socket.send(json.dumps(message))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise CdpError(f"{method} got no answer within {timeout} s") from exc
        finally:
            self._pending.pop(message_id, None)

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        return page

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._socket.close(), 2.0)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop the browser's own process group (renderers, GPU, zygote), escalating to SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _start(executable: str, profile: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as log_file:
        return subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so _kill reaches every child
        )


def _port_file_url(profile: Path) -> str | None:
    """ws://127.0.0.1:<port><path> from <profile>/DevToolsActivePort, which the browser writes when ready."""
    port_file = profile / "DevToolsActivePort"
    lines = port_file.read_text().splitlines() if port_file.is_file() else []
    if len(lines) >= 2 and lines[0].isdigit():
        return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
    return None


def _exited(process: subprocess.Popen[bytes], log: Path) -> CdpError:
    return CdpError(f"Chromium exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")


async def _devtools_url(process: subprocess.Popen[bytes], profile: Path, log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise _exited(process, log)
        url = _port_file_url(profile)
        if url:
            return url
        await asyncio.sleep(0.05)  # poll interval
    raise CdpError(f"Chromium wrote no DevToolsActivePort within {timeout} s")


@contextlib.asynccontextmanager
async def launch(executable: str, *, timeout: float = 30.0) -> AsyncIterator[Browser]:
    """Start headless Chromium with a fresh profile; the browser is killed and the profile removed on exit."""
    with tempfile.TemporaryDirectory(prefix="ocpp-chromium-") as tmp:
        profile = Path(tmp) / "profile"
        profile.mkdir()
        log = Path(tmp) / "chromium.log"
        process = _start(executable, profile, log)
        browser: Browser | None = None
        try:
            url = await _devtools_url(process, profile, log, timeout)
            socket = await asyncio.wait_for(connect(url, max_size=None, proxy=None), timeout)
            browser = Browser(process, socket, profile)
            yield browser
        finally:
            if browser is not None:
                await browser.close()
            _kill(process)


__all__ = ["CHROMIUM_FLAGS", "Browser", "CdpError", "Page", "find_chromium", "launch"]

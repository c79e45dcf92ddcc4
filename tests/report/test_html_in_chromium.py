"""The Allure HTML report as a user sees it: real runs of TC_B_01_CS through `ocpp-conformance run`, rendered
by the Allure 3 CLI to one file, opened from file:// in headless Chromium and checked in the live DOM.

Also: nothing under reports/ (results, readiness, junit, the HTML with its base64-embedded data) carries
the Basic-auth password or a PEM private key after a security-profile-1 run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import websockets

from conformance import resources
from conformance.report.allure_labels import categories
from conformance.report.render import ENV_CLI, render_html
from tests.peers import ocpp_station
from tests.report import cdp
from tests.support import free_port, run_cli

STATION_ID = "CP001"
TITLE = "TC_B_01_CS Cold Boot Charging Station - Accepted"
PARENT_SUITE = "Charging Station under test"
SUITE = "B Provisioning"
RENDER_TIMEOUT = 20.0  # the app renders in well under a second here; generous for a 2-core CI box


@dataclass
class BasicAuthStation(ocpp_station.TinyStation):
    """The tiny station, connecting with `Authorization: Basic` (security profile 1)."""

    password: str = ""

    async def run(self) -> None:
        token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode("ascii")
        while not self.stopping:
            try:
                async with websockets.connect(
                    f"{self.url.rstrip('/')}/{self.station_id}",
                    subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
                    additional_headers={"Authorization": f"Basic {token}"},
                    proxy=None,
                ) as ws:
                    station = ocpp_station._Station(self.station_id, ws, self)
                    self.reboot_requested = asyncio.Event()
                    serve = asyncio.ensure_future(station.start())
                    await station.boot()
                    reboot = asyncio.ensure_future(self.reboot_requested.wait())
                    await asyncio.wait({serve, reboot}, return_when=asyncio.FIRST_COMPLETED)
                    serve.cancel()
                    reboot.cancel()
                    # a closed socket ends serve with ConnectionClosed: consume it, no "never retrieved" noise
                    serve.add_done_callback(lambda t: t.cancelled() or t.exception())
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            if not self.stopping:
                await asyncio.sleep(0.05)  # reconnect back-off of a real station, kept short


def _run_against(station: ocpp_station.TinyStation, port: int, cwd: Path, *extra: str) -> str:
    """`ocpp-conformance run -k TC_B_01_CS` in `cwd` (writes cwd/reports) against `station`."""
    thread, loop = ocpp_station.run_in_thread(station)
    try:
        done = run_cli(
            "run",
            # only the module of the case: a collection error elsewhere in the suite must not hide it
            str(resources.testcases_dir() / "cs" / "test_b_provisioning.py"),
            "-k",
            "TC_B_01_CS",
            "--ocpp-sut",
            "charging-station",
            "--ocpp-listen",
            f"127.0.0.1:{port}",
            "--ocpp-station-id",
            STATION_ID,
            "--ocpp-timeout",
            "3",
            *extra,
            cwd=cwd,
            timeout=90,
        )
    finally:
        _stop(station, loop, thread)
    return done.stdout + done.stderr


def _stop(
    station: ocpp_station.TinyStation, loop: asyncio.AbstractEventLoop, thread: threading.Thread
) -> None:
    station.stopping = True
    for task in asyncio.all_tasks(loop):
        loop.call_soon_threadsafe(task.cancel)
    thread.join(timeout=5)


def _cs_run(tmp_path: Path, *, skip_status: bool) -> Path:
    """A real CLI run of TC_B_01_CS; returns its reports/ directory."""
    port = free_port()
    station = ocpp_station.TinyStation(f"ws://127.0.0.1:{port}", STATION_ID, skip_status=skip_status)
    output = _run_against(station, port, tmp_path)
    assert ("1 failed" if skip_status else "1 passed") in output, output
    return tmp_path / "reports"


# ----------------------------------------------------------------------------------- the live DOM
# JavaScript helpers, defined once per page. Allure 3's awesome app marks its parts with data-testid;
# a tree section's children live in the tree-content that follows its header.
_HELPERS = r"""
window.__q = (id, root = document) => [...root.querySelectorAll(`[data-testid="${id}"]`)];
window.__text = (el) => (el ? el.innerText.trim() : null);
window.__sections = (el) => {
  const titles = [];
  for (let content = el.closest('[data-testid="tree-content"]'); content;
       content = content.parentElement && content.parentElement.closest('[data-testid="tree-content"]')) {
    const header = content.previousElementSibling;
    if (header && header.dataset.testid === 'tree-section') {
      titles.unshift(__text(header.querySelector('[data-testid="tree-section-title"]')));
    }
  }
  return titles;
};
window.__leaf = (part) => __q('tree-leaf').find((l) => __text(l).includes(part)) || null;
window.__section = (title) => __q('tree-section').find(
  (s) => __text(s.querySelector('[data-testid="tree-section-title"]')) === title) || null;
true;
"""


def _js(value: str) -> str:
    return json.dumps(value)


class ReportPage:
    """The rendered report in one Chromium tab, with the few interactions the checks need."""

    def __init__(self, page: cdp.Page) -> None:
        self.page = page

    async def open(self, url: str) -> None:
        await self.page.navigate(url)
        await self.page.evaluate(_HELPERS)
        # the app has rendered once its tree (results or categories) is in the DOM
        await self.page.wait_for("__q('tree-section').length > 0", timeout=RENDER_TIMEOUT, what="the tree")

    async def expand(self, *titles: str) -> None:
        """Open nested tree sections top-down (sections holding only passed tests start collapsed)."""
        for title in titles:
            section = f"__section({_js(title)})"
            await self.page.wait_for(f"!!{section}", what=f"section {title!r}")
            opened = f"!!{section}.nextElementSibling"  # a section's children follow its header
            if not await self.page.evaluate(opened):
                await self.page.evaluate(f"{section}.querySelector('[data-testid=\"tree-arrow\"]').click()")
                await self.page.wait_for(opened, what=f"section {title!r} to open")

    async def leaf(self, part: str) -> dict[str, Any]:
        """The tree leaf whose text holds `part`: its title and the section titles above it."""
        found: dict[str, Any] = await self.page.wait_for(
            f"(() => {{ const l = __leaf({_js(part)}); return l && {{"
            " title: __text(__q('tree-leaf-title', l)[0]), sections: __sections(l) }; })()",
            what=f"a tree leaf with {part!r}",
        )
        return found

    async def open_result(self, part: str) -> None:
        """Click the leaf and wait for the test result page (routed as #<id>)."""
        await self.page.evaluate(f"__leaf({_js(part)}).click()")
        await self.page.wait_for("!!__q('test-result-info-title')[0]", what="the test result page")

    async def texts(self, testid: str) -> list[str]:
        result: list[str] = await self.page.evaluate(f"__q({_js(testid)}).map(__text)")
        return result

    async def labels(self) -> dict[str, list[str]]:
        """The result's labels as shown (after 'Show more' when the list is folded)."""
        await self.page.evaluate(
            "[...document.querySelectorAll('button, span')].find((b) => __text(b) === 'Show more'"
            " && b.closest('[data-testid=\"base-layout\"]'))?.click(); true"
        )
        pairs: list[list[str]] = await self.page.evaluate(
            "__q('metadata-item').map((i) => [__text(__q('metadata-item-key', i)[0]),"
            " __q('metadata-item-value', i).map(__text).join('\\n')])"
        )
        out: dict[str, list[str]] = {}
        for key, value in pairs:
            out.setdefault(key, []).extend(v for v in value.split("\n") if v)
        return out

    async def open_step(self, title_part: str) -> None:
        """Unfold a step (or a fixture's set-up/tear-down step) by part of its title."""
        await self.page.evaluate(
            f"__q('test-result-step-header').find((h) => __text(h).includes({_js(title_part)})).click()"
        )

    async def attachment_text(self, name: str) -> str:
        """Unfold the named attachment and return the text of its preview once it is in the DOM."""
        header = f"__q('test-result-attachment-header').find((h) => __text(h).includes({_js(name)}))"
        await self.page.wait_for(f"!!{header}", what=f"attachment {name!r}")
        await self.page.evaluate(f"{header}.querySelector('button').click()")
        box = f"{header}.closest('[data-testid=\"test-result-attachment\"]')"
        preview = f"__text(__q('code-attachment-content', {box})[0])"
        text: str = await self.page.wait_for(preview, what=f"the preview of {name!r}")
        return text


async def _check_page(
    executable: str, url: str, check: Callable[[ReportPage], Awaitable[None]], shot: Path
) -> None:
    async with cdp.launch(executable) as browser:
        view = ReportPage(await browser.new_page())
        await view.open(url)
        try:
            await check(view)
        except Exception:
            # a picture of what the browser showed, for whoever reads the failure
            with contextlib.suppress(Exception):
                await view.page.screenshot(shot)
                print(f"screenshot of the failing page: {shot}", file=sys.stderr)
            raise


def _in_chromium(
    chromium: str, html: Path, check: Callable[[ReportPage], Awaitable[None]], route: str = ""
) -> None:
    """Open the report file (at `route`, e.g. #categories) in a fresh headless Chromium and run `check`."""
    asyncio.run(_check_page(chromium, html.resolve().as_uri() + route, check, html.parent / "failure.png"))


def test_passing_run_in_chromium(tmp_path: Path, allure_cli: list[str], chromium: str) -> None:
    reports = _cs_run(tmp_path, skip_status=False)
    html = render_html(reports / "allure-results", tmp_path / "html", command=allure_cli)

    async def check(view: ReportPage) -> None:
        # tree: parent suite > suite > the test
        await view.expand(PARENT_SUITE, SUITE)
        leaf = await view.leaf("TC_B_01_CS")
        assert leaf["sections"] == [PARENT_SUITE, SUITE], leaf
        await view.open_result("TC_B_01_CS")
        assert await view.page.evaluate("/^#[0-9a-f]{16,}/.test(location.hash)"), "not routed to a result"
        assert (await view.texts("test-result-status-passed")) != [], "the result is not shown as passed"
        labels = await view.labels()
        assert "Core:M" in labels.get("tag", []), labels
        assert labels.get("severity") == ["critical"], labels
        assert labels.get("feature") == ["B01"], labels
        assert labels.get("as_id") == ["TC_B_01_CS"], labels
        assert labels.get("parentSuite") == [PARENT_SUITE] and labels.get("suite") == [SUITE], labels
        steps = await view.texts("test-result-step-title")
        for step in (
            "Booted 1-2: the OCTT sends ResetRequest Immediate; the station answers",
            "Booted 3-4: the station sends BootNotificationRequest; the OCTT accepts it",
            "Booted 5-6: the station reports every connector Available (1 connector(s))",
        ):
            assert step in steps, steps
        # the frames of a step, and the transcript the csms fixture attaches at tear-down
        await view.open_step("Booted 1-2")
        frames = await view.attachment_text("frames")
        assert "CALL Reset" in frames and '"type":"Immediate"' in frames, frames
        await view.open_step("csms::")
        transcript = await view.attachment_text("transcript (harness-as-CSMS).txt")
        assert '"reason":"PowerUp"' in transcript and '"reason":"RemoteReset"' in transcript, transcript
        # last, so the checks above still run when it fails: the Part 6 title replaces the function name.
        # allure-pytest renames the result after the setup hooks (allure_name), which drops a title set
        # with allure.dynamic.title during setup; a title that survives is item.obj.__allure_display_name__.
        assert leaf["title"] == TITLE, f"the tree lists {leaf['title']!r}, not the case title {TITLE!r}"

    _in_chromium(chromium, html, check)

    async def readiness_shown(view: ReportPage) -> None:
        # the per-profile verdict is in the report too, as a global attachment of the run
        await view.page.evaluate(
            "[...document.querySelectorAll('*')].find(e => e.children.length < 3"
            " && e.textContent.trim().startsWith('Global Attachments')).click()"
        )
        shown = await view.page.wait_for(
            "document.body.innerText.includes('Certification readiness (readiness.md)')"
            " && document.body.innerText",
            what="the readiness global attachments",
        )
        assert "Certification readiness (readiness.json)" in shown

    _in_chromium(chromium, html, readiness_shown)


def _category_of(message: str) -> str:
    """Our category for a failure message: first rule whose regex matches (as Allure applies them)."""
    for rule in categories():
        if "failed" in rule["matchedStatuses"] and re.search(rule.get("messageRegex", ""), message):
            return str(rule["name"])
    raise AssertionError(f"no category matches {message!r}")


def test_failing_run_in_chromium(tmp_path: Path, allure_cli: list[str], chromium: str) -> None:
    reports = _cs_run(tmp_path, skip_status=True)
    results = reports / "allure-results"
    (result,) = [json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*-result.json")]
    message = result["statusDetails"]["message"]
    category = _category_of(message)
    assert category == "SUT timeout", message
    html = render_html(results, tmp_path / "html", command=allure_cli)

    async def on_results(view: ReportPage) -> None:
        leaf = await view.leaf("TC_B_01_CS")  # failed sections start open
        assert leaf["sections"] == [PARENT_SUITE, SUITE], leaf
        await view.open_result("TC_B_01_CS")
        assert (await view.texts("test-result-status-failed")) != [], "the result is not shown as failed"
        shown = "\n".join(await view.texts("test-result-error-message"))
        assert message in shown and "[timeout]" in shown and "connector(s) [(1, 1)]" in shown, shown
        header = await view.page.evaluate("__text(__q('base-layout')[0])")
        assert f"Category: {category}" in header, header
        steps = await view.texts("test-result-step-title")
        assert any(s.startswith("Booted 5-6") for s in steps), steps

    async def on_categories(view: ReportPage) -> None:
        await view.expand(category)
        # under the category: the failure message, then the test (this view has no tree-leaf ids)
        group = f"__section({_js(category)}).parentElement"
        shown = await view.page.wait_for(
            f"__q('tree-leaf-title', {group}).map(__text).find((t) => t.includes('TC_B_01_CS'))",
            what=f"the test under {category!r}",
        )
        assert "TC_B_01_CS" in shown
        assert message in await view.page.evaluate(f"__text({group})")

    _in_chromium(chromium, html, on_results)
    _in_chromium(chromium, html, on_categories, route="#categories")


# ----------------------------------------------------------------------------------- no secrets
_EMBEDDED = re.compile(rb'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)')  # Allure 3 single-file data blobs


def _readable(path: Path) -> bytes:
    """The file's bytes, plus the decoded data an Allure single-file HTML carries in base64."""
    raw = path.read_bytes()
    if path.suffix != ".html":
        return raw
    return raw + b"\n".join(base64.b64decode(blob) for _name, blob in _EMBEDDED.findall(raw))


def _leaks(content: bytes, needles: dict[str, bytes]) -> list[str]:
    return [what for what, needle in needles.items() if needle in content]


@pytest.fixture
def secret() -> str:
    return "pw-" + secrets.token_hex(12)  # unique per run: a hit cannot come from another test


def test_reports_hold_no_password_or_private_key(tmp_path: Path, allure_cli: list[str], secret: str) -> None:
    port = free_port()
    station = BasicAuthStation(f"ws://127.0.0.1:{port}", STATION_ID, password=secret)
    output = _run_against(station, port, tmp_path, "--ocpp-security-profile", "1", "--ocpp-password", secret)
    assert "1 passed" in output, output  # the station authenticated with the secret
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "report"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, ENV_CLI: allure_cli[0]},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    reports = tmp_path / "reports"
    html = reports / "html" / "index.html"
    assert html.is_file(), sorted(p.name for p in reports.rglob("*"))
    basic = base64.b64encode(f"{STATION_ID}:{secret}".encode()).decode("ascii")
    needles = {
        "the password": secret.encode(),
        "the Basic-auth token": basic.encode(),
        "a PEM private key": b"PRIVATE KEY",
    }
    assert _leaks(b"x " + basic.encode(), needles) == ["the Basic-auth token"]  # the scan itself works
    files = [p for p in reports.rglob("*") if p.is_file()]
    assert {"junit.xml", "readiness.json", "index.html"} <= {p.name for p in files}, files
    assert any(p.name.endswith("-attachment.txt") for p in files), files
    assert b"BootNotification" in _readable(html)[len(html.read_bytes()) :]  # embedded data was decoded
    found = {str(p.relative_to(reports)): hits for p in files if (hits := _leaks(_readable(p), needles))}
    assert found == {}, f"secrets in report files: {found}"
    assert secret not in output, "the password was printed by the run"

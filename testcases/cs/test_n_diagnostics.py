"""Block N, Diagnostics: charging station under test (Part 6 section 2.15), the Core cases: logs (N01) and
customer information (N09, N10).

Logs go to a real HTTP server the harness serves for the case (`LogServer`, an ephemeral port on the host
the harness's CSMS listens on): PUT or POST under `/logs/` is stored (201), any other path is refused
(404): that is Part 6's "<Configured log location with non-existing path>" (errata 2025-01 TC_N_26_CS).
A station whose OCPPCommCtrlr.FileTransferProtocols lacks HTTP cannot reach it: the log cases are then
skipped with that reason (Part 6's prerequisite is a server speaking one of the station's protocols).

Readings of Part 6 where it is ambiguous (as a certification lab would):
- TC_N_25_CS / TC_N_35_CS / TC_N_36_CS: besides the statuses, the log server must have received a non-empty
  file for a request the station reports Uploaded (Part 6 has the lab look at its server; "Uploaded" with
  nothing uploaded is not a successful upload).
- TC_N_26_CS: "equals 3 * <Configured retryInterval>" is checked on arrival times, within
  min(timestamp_tolerance, retryInterval / 2); the configured retryInterval is RETRY_INTERVAL (short, so the
  case stays fast). Errata 2025-01: Uploading and the failure status are each sent exactly 1 or 4 times.
- TC_N_36_CS: the first upload is kept in progress by the log server holding its request unanswered
  (Part 6: "Charging Station is uploading log file") until the case ends; <Configured logType> is
  DiagnosticsLog. Step 7 (AcceptedCanceled) is checked for its status only, as Part 6 lists.
- TC_N_27_CS / TC_N_30_CS: "Charging State: Authorized (local), ParkingBayUnoccupied" is read as the state
  Memory State IdTokenCached ends in (the token was authorized, the bay is empty), not as a further
  transaction; IdTokenCached / IdTokenLocalAuthList run "if implemented" = when AuthCacheCtrlr.Enabled /
  LocalAuthListCtrlr.Enabled could be set true. The local list is emptied again afterwards (a Full
  SendLocalList), so the next case finds no customer data of the token left in it.
- TC_N_28_CS / TC_N_31_CS: "a message indicating that no data is found" cannot be judged on its free text:
  the report (all parts, the last with tbc not true) must arrive. TC_N_32_CS (report false): Part 6 still
  lists steps 3-4, so one NotifyCustomerInformationRequest confirming the clear is required.
- TC_N_62_CS: <Configured customerIdentifier> is CUSTOMER_IDENTIFIER (the SUT description has no field for
  it yet); its Memory State is the manual action `store_customer_identifier`. Step 3 "data Not empty" is
  read over all report parts (the data may be split across parts); step 7 "data empty": every part empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.errors import SutTimeout
from conformance.session.endpoints import HarnessCsms
from conformance.session.session import ReceivedCall
from conformance.session.states.common import id_token_of
from conformance.session.states.cs import cs_precondition_booted, id_token_cached
from conformance.testing import case, check, check_equal, check_in, configured, read_variable, setting, step
from conformance.testing.file_transfer import file_server_host, protocols_without_http

RETRY_INTERVAL = 1  # seconds: <Configured retryInterval> (TC_N_26_CS)
FAILURES = ("UploadFailure", "BadMessage", "PermissionDenied", "NotSupportedOperation")
NO_REQUEST_ID = r"LogStatusNotificationRequest\.requestId"
_request_ids = itertools.count(int(time.time()) % 100000 * 10)  # fresh ids per run


# ------------------------------------------------------------------ the harness's log server
@dataclass
class Upload:
    method: str
    path: str
    size: int


@dataclass
class LogServer:
    """A minimal HTTP/1.1 server for log uploads: PUT/POST under /logs/ stored, anything else 404.

    Requests under /logs/hold/ are kept unanswered until `stop` (an upload that stays in progress)."""

    host: str
    uploads: list[Upload] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0)

    async def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def received(self, filename_part: str = "") -> list[Upload]:
        return [u for u in self.uploads if u.size > 0 and filename_part in u.path]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(30):
                method, path, headers = await self._head(reader)
                body = await self._body(reader, headers)
                if path.startswith("/logs/hold/"):
                    await self._release.wait()
                stored = method in ("PUT", "POST") and path.startswith("/logs/")
                if stored:
                    self.uploads.append(Upload(method, path, len(body)))
                status = "201 Created" if stored else "404 Not Found"
                writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
                await writer.drain()
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]]:
        request_line = (await reader.readline()).decode("latin-1").split()
        if len(request_line) < 2:
            raise ValueError("no HTTP request line")
        headers: dict[str, str] = {}
        while (line := (await reader.readline()).decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return request_line[0].upper(), urllib.parse.urlsplit(request_line[1]).path, headers

    @staticmethod
    async def _body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
                chunks.append(await reader.readexactly(size))
                await reader.readline()
            return b"".join(chunks)
        return await reader.readexactly(int(headers.get("content-length", "0")))


@contextlib.asynccontextmanager
async def log_server(csms: HarnessCsms) -> AsyncIterator[LogServer]:
    """Serve log uploads on the host the station already reaches (the harness CSMS's), ephemeral port."""
    protocols = await protocols_without_http(csms)
    if protocols is not None:
        pytest.skip(
            f"the harness's log server speaks HTTP; OCPPCommCtrlr.FileTransferProtocols is {protocols!r}"
        )
    server = LogServer(file_server_host(csms))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


# ------------------------------------------------------------------ steps


async def get_log(
    csms: HarnessCsms, label: str, log_type: str, location: str, status: str, **extra: int
) -> tuple[int, dict[str, Any]]:
    """The OCTT sends GetLogRequest; the station must answer `status` (N01.FR.01)."""
    request_id = next(_request_ids)
    request: dict[str, Any] = {
        "logType": log_type,
        "requestId": request_id,
        "log": {"remoteLocation": location},
        **extra,
    }
    with step(f"{label}: the OCTT sends GetLogRequest ({log_type}, requestId {request_id})"):
        csms.discard_inbox()  # a notification an earlier case's upload sent late is not this request's
        response = await csms.call_ok("GetLog", request)
        check_equal(response.get("status"), status, f"GetLogResponse.status ({label})")
    return request_id, response


async def log_status(
    csms: HarnessCsms, label: str, status: str | tuple[str, ...], request_id: int | None
) -> ReceivedCall:
    """The station sends LogStatusNotificationRequest `status` for the GetLog `request_id`."""
    allowed = (status,) if isinstance(status, str) else status
    with step(f"{label}: the station sends LogStatusNotificationRequest {' / '.join(allowed)}"):
        got = await csms.expect("LogStatusNotification", what=f"status {' / '.join(allowed)}")
        check_in(got.payload.get("status"), allowed, f"LogStatusNotificationRequest.status ({label})")
        if request_id is not None:
            check_equal(
                got.payload.get("requestId"),
                request_id,
                f"LogStatusNotificationRequest.requestId ({label}: same id as the GetLogRequest, N01.FR.08)",
            )
    return got


def check_uploaded(server: LogServer, response: dict[str, Any], label: str) -> None:
    filename = str(response.get("filename") or "")
    check(
        bool(server.received(filename)),
        f"{label}: the station reported Uploaded but the log server received no file {filename!r}"
        f" (uploads: {server.uploads!r})",
    )


async def upload_succeeds(csms: HarnessCsms, sut: Any, log_type: str) -> None:
    """TC_N_25_CS / TC_N_35_CS: GetLog Accepted with a filename, Uploading, Uploaded."""
    await cs_precondition_booted(csms, sut)
    async with log_server(csms) as server:
        request_id, response = await get_log(csms, "1-2", log_type, server.url("/logs/"), "Accepted")
        check(
            bool(response.get("filename")),
            f"GetLogResponse.filename must be present and not empty (step 2, N01.FR.02), got {response!r}",
        )
        await log_status(csms, "3-4", "Uploading", request_id)
        await log_status(csms, "5-6", "Uploaded", request_id)
        check_uploaded(server, response, "step 5")


# ------------------------------------------------------------------ N01 logs
@case(
    "TC_N_25_CS",
    requirements=("N01.FR.01", "N01.FR.02", "N01.FR.04", "N01.FR.07", "N01.FR.08", "N01.FR.09", "N01.FR.13"),
    catches={"log-status-no-request-id": NO_REQUEST_ID},
)
async def test_TC_N_25_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve Log Information - Diagnostics Log - Success (N01)."""
    await upload_succeeds(csms, sut, "DiagnosticsLog")


@case(
    "TC_N_35_CS",
    requirements=("N01.FR.01", "N01.FR.02", "N01.FR.04", "N01.FR.07", "N01.FR.08", "N01.FR.09", "N01.FR.13"),
    catches={"log-status-no-request-id": NO_REQUEST_ID},
)
async def test_TC_N_35_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve Log Information - Security Log - Success (N01)."""
    await upload_succeeds(csms, sut, "SecurityLog")


@case(
    "TC_N_26_CS",
    requirements=("N01.FR.01", "N01.FR.02", "N01.FR.04", "N01.FR.07", "N01.FR.08", "N01.FR.10", "N01.FR.13"),
    catches={"log-upload-no-retry": r"3 \* retryInterval"},
)
async def test_TC_N_26_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve Log Information - Diagnostics Log - Upload failed (N01, errata 2025-01)."""
    await cs_precondition_booted(csms, sut)
    expected = 3 * RETRY_INTERVAL
    allowed = min(sut.timeouts.timestamp_tolerance, RETRY_INTERVAL / 2)
    async with log_server(csms) as server:
        request_id, _ = await get_log(
            csms,
            "1-2",
            "DiagnosticsLog",
            server.url("/no-such-path/"),
            "Accepted",
            retries=3,
            retryInterval=RETRY_INTERVAL,
        )
        await log_status(csms, "3-4", "Uploading", request_id)
        started = time.monotonic()
        arrivals: list[tuple[str, float]] = [("Uploading", started)]
        # Errata: the tool waits at least 3 * retryInterval; it collects until the window closes.
        with step(f"3-6: the station retries; the OCTT collects LogStatusNotifications for {expected} s"):
            deadline = started + expected + allowed + 0.2
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    got = await csms.expect("LogStatusNotification", timeout=remaining)
                except SutTimeout:  # the window closed: nothing more is due
                    break
                status = str(got.payload.get("status"))
                check_in(status, ("Uploading", *FAILURES), "LogStatusNotificationRequest.status (steps 3, 5)")
                check_equal(
                    got.payload.get("requestId"),
                    request_id,
                    "LogStatusNotificationRequest.requestId (same id as the GetLogRequest, N01.FR.08)",
                )
                arrivals.append((status, time.monotonic()))
    uploading = [t for s, t in arrivals if s == "Uploading"]
    failures = [t for s, t in arrivals if s in FAILURES]
    with step("tool validations: counts (errata 2025-01) and the time to the last failure"):
        check_in(len(uploading), (1, 4), "number of LogStatusNotificationRequest Uploading (step 3, errata)")
        check_in(len(failures), (1, 4), "number of LogStatusNotificationRequest failure statuses (step 5)")
        gap = failures[-1] - uploading[0]
        check(
            abs(gap - expected) <= allowed,
            f"the last failure status came {gap:.2f} s after the first Uploading where 3 * retryInterval ="
            f" {expected} s is due (N01.FR.10, tolerance {allowed:g} s)",
        )


@case(
    "TC_N_36_CS",
    requirements=(
        "N01.FR.01",
        "N01.FR.02",
        "N01.FR.03",
        "N01.FR.07",
        "N01.FR.08",
        "N01.FR.09",
        "N01.FR.12",
        "N01.FR.13",
    ),
    catches={"log-status-no-request-id": NO_REQUEST_ID},
)
async def test_TC_N_36_CS(csms: HarnessCsms, sut: Any) -> None:
    """Retrieve Log Information - Second Request (N01, C-57: cancelling an ongoing upload)."""
    await cs_precondition_booted(csms, sut)
    async with log_server(csms) as server:
        first_id, _ = await get_log(csms, "1-2", "DiagnosticsLog", server.url("/logs/hold/"), "Accepted")
        await log_status(csms, "3-4", "Uploading", first_id)
        second_id, second = await get_log(
            csms, "5-6", "DiagnosticsLog", server.url("/logs/"), "AcceptedCanceled"
        )
        await log_status(csms, "7-8", "AcceptedCanceled", None)  # Part 6 validates its status only
        await log_status(csms, "9-10", "Uploading", second_id)
        await log_status(csms, "11-12", "Uploaded", second_id)
        check_uploaded(server, second, "step 11")


# ------------------------------------------------------------------ N09 / N10 customer information
CACHE_AND_LIST = (
    setting("LocalAuthListCtrlr.Enabled", True, only_if_writable=True),
    setting("AuthCtrlr.LocalPreAuthorize", True),
    setting("AuthCacheCtrlr.Enabled", True, only_if_writable=True),
)
NO_DATA = r"NotifyCustomerInformationRequest\.data must not be empty"
NO_NOTIFY = r"no NotifyCustomerInformation"


async def customer_information(
    csms: HarnessCsms, sut: Any, label: str, *, report: bool, clear: bool, status: str | None = "Accepted"
) -> tuple[int, str]:
    """The OCTT sends CustomerInformationRequest for the configured valid idToken; the station must
    answer `status` (None: Part 6 validates no status). Returns the requestId and the status."""
    request_id = next(_request_ids)
    request = {
        "requestId": request_id,
        "report": report,
        "clear": clear,
        "idToken": id_token_of(sut.tokens.valid),
    }
    with step(f"{label}: the OCTT sends CustomerInformationRequest (report {report}, clear {clear})"):
        csms.discard_inbox()  # a late notification of an earlier request is not this request's
        response = await csms.call_ok("CustomerInformation", request)
        if status is not None:
            check_equal(response.get("status"), status, f"CustomerInformationResponse.status ({label})")
    return request_id, str(response.get("status"))


async def notifications(csms: HarnessCsms, label: str, request_id: int) -> list[dict[str, Any]]:
    """The NotifyCustomerInformationRequests of `request_id` until one with tbc not true ("All report
    parts have been received"); seqNo counts up from 0."""
    parts: list[dict[str, Any]] = []
    with step(f"{label}: the station sends NotifyCustomerInformationRequest(s)"):
        while True:
            got = await csms.expect(
                "NotifyCustomerInformation",
                where=lambda p: p.get("requestId") == request_id,
                what=f"report part {len(parts)} of requestId {request_id}",
            )
            check_equal(
                got.payload.get("seqNo"), len(parts), f"NotifyCustomerInformationRequest.seqNo ({label})"
            )
            parts.append(got.payload)
            if not got.payload.get("tbc", False):
                return parts


@contextlib.asynccontextmanager
async def customer_data_stored(csms: HarnessCsms, sut: Any, actions: Any) -> AsyncIterator[None]:
    """TC_N_27/30_CS preparation: Configuration State, Memory States IdTokenCached and IdTokenLocalAuthList
    (each "If implemented": when its controller is enabled). The local list is emptied again afterwards."""
    async with configured(csms, CACHE_AND_LIST):
        if await _enabled(csms, "AuthCacheCtrlr.Enabled"):
            await id_token_cached(csms, sut, actions, "valid")
        listed = await _enabled(csms, "LocalAuthListCtrlr.Enabled")
        if listed:
            await _send_local_list(csms, [id_token_of(sut.tokens.valid)], "IdTokenLocalAuthList")
        try:
            yield
        finally:
            if listed and csms.connected:
                with contextlib.suppress(Exception):
                    await _send_local_list(csms, [], "clean-up: empty the Local Authorization List")


async def _enabled(csms: HarnessCsms, name: str) -> bool:
    return (await read_variable(csms, setting(name))) in ("true", "True", "TRUE")


async def _send_local_list(csms: HarnessCsms, tokens: list[dict[str, str]], label: str) -> None:
    with step(f"{label}: the OCTT sends SendLocalListRequest Full"):
        version = int((await csms.call_ok("GetLocalListVersion", {})).get("versionNumber", 0))
        entries = [{"idToken": t, "idTokenInfo": {"status": "Accepted"}} for t in tokens]
        request: dict[str, Any] = {"versionNumber": max(version, 0) + 1, "updateType": "Full"}
        if entries:
            request["localAuthorizationList"] = entries
        response = await csms.call_ok("SendLocalList", request)
        check_equal(response.get("status"), "Accepted", f"SendLocalListResponse.status ({label})")


def check_data(parts: list[dict[str, Any]], label: str) -> None:
    check(
        any(str(p.get("data", "")) for p in parts),
        f"NotifyCustomerInformationRequest.data must not be empty ({label}: the station holds customer"
        f" data of the configured valid idToken, N09.FR.05), got {[p.get('data') for p in parts]!r}",
    )


@case(
    "TC_N_27_CS",
    requirements=("N09.FR.02", "N09.FR.05"),
    catches={"customer-report-empty": NO_DATA},
)
async def test_TC_N_27_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Get Customer Information - Accepted + data (N09)."""
    await cs_precondition_booted(csms, sut)
    async with customer_data_stored(csms, sut, actions):
        request_id, _ = await customer_information(csms, sut, "1-2", report=True, clear=False)
        check_data(await notifications(csms, "3-4", request_id), "step 3")


@case(
    "TC_N_28_CS",
    requirements=("N09.FR.02", "N09.FR.06"),
    catches={"customer-info-no-notify": NO_NOTIFY, "customer-info-tbc-stuck": r"report part 1 of"},
)
async def test_TC_N_28_CS(csms: HarnessCsms, sut: Any) -> None:
    """Get Customer Information - Accepted + no data (N09). The final part's tbc is not true (step 3);
    whether the text says "no data" cannot be judged by a tool: a notification must arrive."""
    await cs_precondition_booted(csms, sut)
    with step("Memory State: the OCTT has the station clear the customer information of the idToken"):
        cleared, _ = await customer_information(csms, sut, "before", report=False, clear=True)
        await notifications(csms, "before", cleared)
    request_id, _ = await customer_information(csms, sut, "1-2", report=True, clear=False)
    await notifications(csms, "3-4", request_id)


@case(
    "TC_N_30_CS",
    requirements=("N10.FR.01", "N10.FR.03"),
    catches={"customer-report-empty": NO_DATA},
)
async def test_TC_N_30_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Clear Customer Information - Clear and report + data (N10)."""
    await cs_precondition_booted(csms, sut)
    async with customer_data_stored(csms, sut, actions):
        request_id, _ = await customer_information(csms, sut, "1-2", report=True, clear=True)
        check_data(await notifications(csms, "3-4", request_id), "step 3")
        again, answer = await customer_information(csms, sut, "5-6", report=True, clear=False, status=None)
        if answer == "Accepted":  # steps 7-8 only then (Part 6 note); step 8: the last part's tbc not true
            await notifications(csms, "7-8", again)


@case(
    "TC_N_31_CS",
    requirements=("N10.FR.01", "N10.FR.04"),
    catches={"customer-info-no-notify": NO_NOTIFY},
)
async def test_TC_N_31_CS(csms: HarnessCsms, sut: Any) -> None:
    """Clear Customer Information - Clear and report + no data (N10)."""
    await cs_precondition_booted(csms, sut)
    request_id, _ = await customer_information(csms, sut, "1-2", report=True, clear=True)
    await notifications(csms, "3-4", request_id)


@case(
    "TC_N_32_CS",
    requirements=("N10.FR.01", "N10.FR.06"),
    catches={"customer-info-no-notify": NO_NOTIFY},
)
async def test_TC_N_32_CS(csms: HarnessCsms, sut: Any) -> None:
    """Clear Customer Information - Clear and no report (N10): one notification confirms the clear."""
    await cs_precondition_booted(csms, sut)
    request_id, _ = await customer_information(csms, sut, "1-2", report=False, clear=True)
    await notifications(csms, "3-4", request_id)


# ------------------------------------------------------------------ N10 by customerIdentifier
CUSTOMER_IDENTIFIER = "OCTT-CUSTOMER-0001"  # <Configured customerIdentifier> (TC_N_62_CS)
NOT_CLEARED = r"NotifyCustomerInformationRequest\.data must be empty \(step 7"


async def customer_information_by_identifier(
    csms: HarnessCsms, label: str, *, report: bool, clear: bool
) -> int:
    """The OCTT sends CustomerInformationRequest for <Configured customerIdentifier>; status Accepted."""
    request_id = next(_request_ids)
    request = {
        "requestId": request_id,
        "report": report,
        "clear": clear,
        "customerIdentifier": CUSTOMER_IDENTIFIER,
    }
    what = f"report {report}, clear {clear}, customerIdentifier"
    with step(f"{label}: the OCTT sends CustomerInformationRequest ({what})"):
        csms.discard_inbox()  # a late notification of an earlier request is not this request's
        response = await csms.call_ok("CustomerInformation", request)
        check_equal(
            response.get("status"), "Accepted", f"CustomerInformationResponse.status ({label}, N10.FR.01)"
        )
    return request_id


@case(
    "TC_N_62_CS",
    requirements=("N10.FR.01", "N10.FR.03"),
    catches={
        "customer-report-empty": r"NotifyCustomerInformationRequest\.data must not be empty \(step 3",
        "customer-identifier-not-cleared": NOT_CLEARED,
    },
)
async def test_TC_N_62_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Clear Customer Information - Clear and report - customerIdentifier (N10): the data reported at
    step 3 is gone at step 7. Post scenario: all report parts arrive (the last with tbc not true)."""
    await cs_precondition_booted(csms, sut)
    with step("Memory State: manual action, store <Configured customerIdentifier> at the station"):
        await actions.perform("store_customer_identifier", {"customer_identifier": CUSTOMER_IDENTIFIER})
    request_id = await customer_information_by_identifier(csms, "1-2", report=True, clear=True)
    parts = await notifications(csms, "3-4", request_id)
    check(
        any(str(p.get("data", "")) for p in parts),
        "NotifyCustomerInformationRequest.data must not be empty (step 3: the station holds customer data"
        f" of <Configured customerIdentifier>, N10.FR.03), got {[p.get('data') for p in parts]!r}",
    )
    again = await customer_information_by_identifier(csms, "5-6", report=True, clear=False)
    parts = await notifications(csms, "7-8", again)
    check(
        not any(str(p.get("data", "")) for p in parts),
        "NotifyCustomerInformationRequest.data must be empty (step 7: step 1 cleared the customer"
        f" data of <Configured customerIdentifier>, N10.FR.01), got {[p.get('data') for p in parts]!r}",
    )

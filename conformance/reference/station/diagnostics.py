"""Block N (N01) of the reference station: GetLog with LogStatusNotification (TC_N_25/26/34/35/36_CS).

An `http://` remoteLocation gets a real upload: HTTP PUT of the log file to `<remoteLocation>/<filename>`,
successful on a 2xx answer (the harness serves such a location on 127.0.0.1); a refusing server (non-2xx,
connection refused) makes the attempt fail. Other schemes in OCPPCommCtrlr.FileTransferProtocols are
simulated: the upload takes UPLOAD_SECONDS of station time (so `advance_clock` finishes it and a second
GetLog can still cancel it) and a remoteLocation ending in `_does_not_exist` fails. A failed attempt is
retried `retries` times, `retryInterval` seconds of station time apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

UPLOAD_SECONDS = 1.0
HTTP_TIMEOUT = 10.0  # seconds for one real upload attempt (connect, send, answer)


@dataclass
class LogJob:
    request_id: int
    log_type: str
    location: str
    filename: str
    retries: int
    retry_interval: int
    task: asyncio.Task[None] | None = field(default=None, repr=False)


@dataclass
class LogState:
    job: LogJob | None = None
    history: list[tuple[int | None, str]] = field(default_factory=list)


_STATES: weakref.WeakKeyDictionary[StationCore, LogState] = weakref.WeakKeyDictionary()


def state(st: StationCore) -> LogState:
    found = _STATES.get(st)
    if found is None:
        found = _STATES[st] = LogState()
    return found


def _notify(st: StationCore, request_id: int, status: str) -> None:
    payload: dict[str, Any] = {"status": status}
    if not st.is_mutant("log-status-no-request-id"):  # TC_N_25_CS: the GetLog's requestId
        payload["requestId"] = request_id
    state(st).history.append((request_id, status))
    st.outbox.post("LogStatusNotification", payload)


def current_status(st: StationCore) -> dict[str, Any]:
    """For TriggerMessage(LogStatusNotification): Idle, or Uploading with the requestId."""
    job = state(st).job
    if job is None or job.task is None or job.task.done():
        return {"status": "Idle"}
    return {"status": "Uploading", "requestId": job.request_id}


def get_log(st: StationCore, req: dict[str, Any]) -> tuple[dict[str, Any], LogJob | None]:
    """The GetLogResponse payload, and the job to start after the response has been sent."""
    log = dict(req["log"])
    location = str(log["remoteLocation"])
    if "://" not in location:
        return {"status": "Rejected"}, None  # TC_N_34_CS: not a URL this station can upload to
    logs = state(st)
    status = "Accepted"
    running = logs.job
    if running is not None and running.task is not None and not running.task.done():
        running.task.cancel()  # N01: the new request replaces the ongoing upload (TC_N_36_CS)
        _notify(st, running.request_id, "AcceptedCanceled")
        status = "AcceptedCanceled"
    job = LogJob(
        request_id=int(req["requestId"]),
        log_type=str(req["logType"]),
        location=location,
        filename=f"{'security' if str(req['logType']) == 'SecurityLog' else 'diagnostics'}"
        f"-{st.config.station_id}-{int(req['requestId'])}.log",
        retries=int(req.get("retries", 0)),
        retry_interval=int(req.get("retryInterval", 0)),
    )
    logs.job = job
    return {"status": status, "filename": job.filename}, job


def start(st: StationCore, job: LogJob) -> None:
    if state(st).job is job:
        job.task = st.spawn(_run(st, job))


def _reachable(st: StationCore, location: str) -> bool:
    schemes = [p.strip().lower() for p in st.dm.get("OCPPCommCtrlr", "FileTransferProtocols").split(",")]
    return location.split("://", 1)[0].lower() in schemes and not location.endswith("_does_not_exist")


def _log_text(st: StationCore, job: LogJob) -> bytes:
    """The log file: not prescribed by OCPP (N01); a few lines about this station and its requests."""
    stamp = st.clock.now_dt().isoformat()
    lines = [f"{stamp} {st.config.station_id} {job.log_type} requestId={job.request_id}"]
    lines += [f"log request {rid}: {status}" for rid, status in state(st).history]
    return ("\n".join(lines) + "\n").encode()


async def _http_put(url: str, body: bytes) -> bool:
    """One real HTTP/1.1 PUT; True on a 2xx answer. The task may be cancelled (N01: a newer GetLog)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(HTTP_TIMEOUT):
            reader, writer = await asyncio.open_connection(host, port)
            head = (
                f"PUT {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
            status_line = (await reader.readline()).decode("latin-1").split()
        return len(status_line) >= 2 and status_line[1].startswith("2")
    except (OSError, TimeoutError, ValueError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _attempt(st: StationCore, job: LogJob) -> bool:
    """One upload attempt (real for http://, simulated otherwise)."""
    if not _reachable(st, job.location):
        return False
    if job.location.lower().startswith("http://"):
        return await _http_put(job.location.rstrip("/") + "/" + job.filename, _log_text(st, job))
    await st.clock.sleep(UPLOAD_SECONDS)
    return True


async def _run(st: StationCore, job: LogJob) -> None:
    _notify(st, job.request_id, "Uploading")
    if st.is_mutant("log-upload-no-retry"):  # N01.FR.10 / TC_N_26_CS broken on purpose
        job.retries = 0
    for attempt in range(job.retries + 1):
        if await _attempt(st, job):
            _notify(st, job.request_id, "Uploaded")
            return
        if attempt < job.retries:
            await st.clock.sleep(job.retry_interval)
    # TC_N_26_CS: with 3 retries the failure comes 3 * retryInterval after Uploading.
    _notify(st, job.request_id, "UploadFailure")

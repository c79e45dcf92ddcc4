"""Block N (N01) of the reference station: GetLog with LogStatusNotification (TC_N_25/26/34/35/36_CS).

The upload is simulated: it takes UPLOAD_SECONDS of station time (so `advance_clock` finishes it and a
second GetLog can still cancel it); a remoteLocation ending in `_does_not_exist`, or with a scheme
not in OCPPCommCtrlr.FileTransferProtocols, fails (after `retries` retries `retryInterval` apart).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

UPLOAD_SECONDS = 1.0


@dataclass
class LogJob:
    request_id: int
    log_type: str
    location: str
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
        retries=int(req.get("retries", 0)),
        retry_interval=int(req.get("retryInterval", 0)),
    )
    logs.job = job
    prefix = "security" if job.log_type == "SecurityLog" else "diagnostics"
    return {"status": status, "filename": f"{prefix}-{st.config.station_id}-{job.request_id}.log"}, job


def start(st: StationCore, job: LogJob) -> None:
    if state(st).job is job:
        job.task = st.spawn(_run(st, job))


def _reachable(st: StationCore, location: str) -> bool:
    schemes = [p.strip().lower() for p in st.dm.get("OCPPCommCtrlr", "FileTransferProtocols").split(",")]
    return location.split("://", 1)[0].lower() in schemes and not location.endswith("_does_not_exist")


async def _run(st: StationCore, job: LogJob) -> None:
    _notify(st, job.request_id, "Uploading")
    for attempt in range(job.retries + 1):
        if _reachable(st, job.location):
            await st.clock.sleep(UPLOAD_SECONDS)
            _notify(st, job.request_id, "Uploaded")
            return
        if attempt < job.retries:
            await st.clock.sleep(job.retry_interval)
    # TC_N_26_CS: with 3 retries the failure comes 3 * retryInterval after Uploading.
    _notify(st, job.request_id, "UploadFailure")

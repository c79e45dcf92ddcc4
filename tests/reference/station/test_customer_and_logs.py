"""The reference station's customer information (N09 / N10, customer.py) and real HTTP log uploads (N01,
diagnostics.py), driven from the ocpp-library test CSMS; logs go to the harness's LogServer."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ocpp.v201 import call

from testcases.cs.test_n_diagnostics import LogServer
from tests.reference.station.csms import TestCsms, running

TOKEN = {"idToken": "CUSTOMER-1", "type": "ISO14443"}
SNAKE_TOKEN = {"id_token": "CUSTOMER-1", "type": "ISO14443"}


async def _notifications(csms: TestCsms, request_id: int) -> list[dict[str, Any]]:
    parts = []
    while True:
        got = await csms.expect("NotifyCustomerInformation", where=lambda p: p["requestId"] == request_id)
        parts.append(got)
        if not got["tbc"]:
            return parts


def _info(request_id: int, *, report: bool, clear: bool, **extra: Any) -> Any:
    return call.CustomerInformation(request_id=request_id, report=report, clear=clear, **extra)


def test_customer_information_report_clear_and_invalid() -> None:
    """N09 / N10: Invalid without exactly one customer reference; a report of the cache and local-list
    entries; clearing removes the cache entry but keeps the local list; a clear alone is confirmed."""

    async def main() -> None:
        async with running(strict=False) as (csms, station):
            await csms.booted()
            assert (await csms.call(_info(1, report=True, clear=False))).status == "Invalid"
            both = _info(2, report=True, clear=False, id_token=SNAKE_TOKEN, customer_identifier="x")
            assert (await csms.call(both)).status == "Invalid"

            empty = await csms.call(_info(3, report=True, clear=False, id_token=SNAKE_TOKEN))
            assert empty.status == "Accepted"
            assert [p["data"] for p in await _notifications(csms, 3)] == [""]  # no data: empty, tbc false

            await station.control.aperform("present_id_token", {"id_token": TOKEN["idToken"], "evse_id": 1})
            await csms.expect("Authorize")  # the answer (Accepted) goes into the authorization cache
            listed = call.SendLocalList(
                version_number=1,
                update_type="Full",
                local_authorization_list=[{"id_token": SNAKE_TOKEN, "id_token_info": {"status": "Accepted"}}],
            )
            assert (await csms.call(listed)).status == "Accepted"

            await csms.call(_info(4, report=True, clear=True, id_token=SNAKE_TOKEN))
            data = "".join(p["data"] for p in await _notifications(csms, 4))
            assert "authorization cache" in data and "Local Authorization List" in data, data

            await csms.call(_info(5, report=True, clear=False, id_token=SNAKE_TOKEN))
            data = "".join(p["data"] for p in await _notifications(csms, 5))
            assert "authorization cache" not in data and "Local Authorization List" in data, data

            await csms.call(_info(6, report=False, clear=True, id_token=SNAKE_TOKEN))
            assert [p["data"] for p in await _notifications(csms, 6)] == ["customer information cleared"]

    asyncio.run(main())


def _get_log(request_id: int, location: str, **extra: Any) -> Any:
    return call.GetLog(
        log={"remote_location": location}, log_type="DiagnosticsLog", request_id=request_id, **extra
    )


async def _status(csms: TestCsms, request_id: int) -> str:
    got = await csms.expect("LogStatusNotification", where=lambda p: p.get("requestId") == request_id)
    return str(got["status"])


def test_http_log_upload_success_refusal_and_cancel() -> None:
    """N01 over real HTTP: the file arrives (Uploaded); a refusing server (404) fails after the retries;
    an upload the server keeps pending is cancelled by a second GetLog (AcceptedCanceled)."""

    async def main() -> None:
        server = LogServer("127.0.0.1")
        await server.start()
        try:
            async with running() as (csms, station):
                await csms.booted()
                ok = await csms.call(_get_log(1, server.url("/logs/")))
                assert ok.status == "Accepted"
                assert [await _status(csms, 1), await _status(csms, 1)] == ["Uploading", "Uploaded"]
                assert [u.method for u in server.received(ok.filename)] == ["PUT"]

                refused = _get_log(2, server.url("/missing/"), retries=2, retry_interval=30)
                assert (await csms.call(refused)).status == "Accepted"
                assert await _status(csms, 2) == "Uploading"
                failed = None
                for _ in range(20):  # each real attempt takes a moment before its retry wait begins
                    await station.control.aperform("advance_clock", {"seconds": 30})
                    with contextlib.suppress(TimeoutError):
                        failed = await asyncio.wait_for(_status(csms, 2), 0.3)
                        break
                assert failed == "UploadFailure"

                assert (await csms.call(_get_log(3, server.url("/logs/hold/")))).status == "Accepted"
                assert await _status(csms, 3) == "Uploading"
                second = await csms.call(_get_log(4, server.url("/logs/")))
                assert second.status == "AcceptedCanceled"
                assert await _status(csms, 3) == "AcceptedCanceled"
                assert [await _status(csms, 4), await _status(csms, 4)] == ["Uploading", "Uploaded"]
        finally:
            await server.stop()

    asyncio.run(main())

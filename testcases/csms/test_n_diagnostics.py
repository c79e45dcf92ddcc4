"""Block N, Diagnostics: CSMS under test (Part 6 section 3.15), the Core cases: logs (N01) and
customer information (N09, N10).

The requestIds the station echoes (LogStatusNotification, NotifyCustomerInformation) are the ones the
CSMS chose in its request, as Part 6's "Same Id as the GetLogRequest" says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance.session.endpoints import HarnessStation
from conformance.session.session import ReceivedCall
from conformance.session.states import csms as states
from conformance.session.states.common import id_token_of, now
from conformance.testing import case, check, check_equal, step

LOG_LOCATION = "https://logs.ocpp-conformance.invalid/upload"
TIMESTAMP_NO_OFFSET = r"format\.date-time at \$\.log\.oldestTimestamp"
LOG_TYPE = r"GetLogRequest\.logType \(TC_N_(25|35)_CSMS step 1\)"
NO_REPORT = r"CustomerInformationRequest\.report \(TC_N_\d\d_CSMS step 1\): expected True, got False"
NO_CLEAR = r"CustomerInformationRequest\.clear \(TC_N_\d\d_CSMS step 1\): expected True, got False"


def _hour_ago() -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def get_log(
    station: HarnessStation, actions: Any, number: int, log_type: str, request_id: int, answer: str
) -> ReceivedCall:
    """The CSMS sends GetLogRequest (step `number`); the harness's station answers `answer`."""
    with step(f"{number}-{number + 1}: the CSMS sends GetLogRequest ({log_type}); the OCTT answers {answer}"):
        station.on("GetLog", {"status": answer})
        request = {
            "logType": log_type,
            "requestId": request_id,
            "log": {"remoteLocation": LOG_LOCATION, "oldestTimestamp": _hour_ago()},
        }
        received, task = await states.operator_request(station, actions, "GetLog", request)
        await states.operator_done(station, task)
    return received


async def log_status(station: HarnessStation, number: int, status: str, request: ReceivedCall) -> None:
    request_id = int(request.payload["requestId"])
    with step(f"{number}-{number + 1}: the OCTT sends LogStatusNotificationRequest {status} ({request_id})"):
        await station.call_ok("LogStatusNotification", {"status": status, "requestId": request_id})


async def _log_uploaded(station: HarnessStation, sut: Any, actions: Any, case_id: str, log_type: str) -> None:
    """TC_N_25_CSMS / TC_N_35_CSMS: GetLog Accepted, then Uploading and Uploaded."""
    await states.csms_booted(station, sut)
    request = await get_log(station, actions, 1, log_type, 1, "Accepted")
    check_equal(request.payload.get("logType"), log_type, f"GetLogRequest.logType ({case_id} step 1)")
    await log_status(station, 3, "Uploading", request)
    await log_status(station, 5, "Uploaded", request)


@case(
    "TC_N_25_CSMS",
    catches={"get-log-timestamp-no-offset": TIMESTAMP_NO_OFFSET, "get-log-type-swapped": LOG_TYPE},
)
async def test_TC_N_25_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Retrieve Log Information - Diagnostics Log - Success (use case N01; Part 6 lists no requirement)."""
    await _log_uploaded(station, sut, actions, "TC_N_25_CSMS", "DiagnosticsLog")


@case("TC_N_34_CSMS", catches={"get-log-timestamp-no-offset": TIMESTAMP_NO_OFFSET})
async def test_TC_N_34_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Retrieve Log Information - Rejected: the station answers GetLogResponse Rejected (N01)."""
    await states.csms_booted(station, sut)
    await get_log(station, actions, 1, "DiagnosticsLog", 1, "Rejected")


@case(
    "TC_N_35_CSMS",
    catches={"get-log-timestamp-no-offset": TIMESTAMP_NO_OFFSET, "get-log-type-swapped": LOG_TYPE},
)
async def test_TC_N_35_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Retrieve Log Information - Security Log - Success (N01)."""
    await _log_uploaded(station, sut, actions, "TC_N_35_CSMS", "SecurityLog")


@case(
    "TC_N_36_CSMS",
    catches={
        "get-log-timestamp-no-offset": TIMESTAMP_NO_OFFSET,
        "get-log-reuses-request-id": r"second GetLogRequest\.requestId must differ",
    },
)
async def test_TC_N_36_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Retrieve Log Information - Second Request while the first upload runs (N01).

    Part 6 lists no tool validation, but steps 7 and 9 tell the two uploads apart by requestId ("from
    Step 1" / "from Step 5"): a second request reusing the first one's id makes that impossible, so it
    is checked (a lab would).
    """
    await states.csms_booted(station, sut)
    first = await get_log(station, actions, 1, "DiagnosticsLog", 1, "Accepted")
    await log_status(station, 3, "Uploading", first)
    second = await get_log(station, actions, 5, "DiagnosticsLog", 2, "AcceptedCanceled")
    check(
        second.payload["requestId"] != first.payload["requestId"],
        f"the second GetLogRequest.requestId must differ from the first's (TC_N_36_CSMS steps 5, 7, 9):"
        f" both are {first.payload['requestId']!r}",
    )
    await log_status(station, 7, "AcceptedCanceled", first)
    await log_status(station, 9, "Uploading", second)
    await log_status(station, 11, "Uploaded", second)


async def customer_information(
    station: HarnessStation,
    sut: Any,
    actions: Any,
    case_id: str,
    *,
    report: bool,
    clear: bool,
    answer: str = "Accepted",
    data: str | None = None,
) -> None:
    """CustomerInformationRequest for the valid idToken (steps 1-2) and, when the station accepted, the
    NotifyCustomerInformationRequest with `data` (steps 3-4). Part 6 checks `report` in every case of
    N09/N10 and `clear` where it is true."""
    await states.csms_booted(station, sut)
    token = id_token_of(sut.tokens.valid)
    with step(f"1-2: the CSMS sends CustomerInformationRequest; the OCTT answers {answer}"):
        station.on("CustomerInformation", {"status": answer})
        request = {"requestId": 1, "report": report, "clear": clear, "idToken": token}
        received, task = await states.operator_request(station, actions, "CustomerInformation", request)
        sent = received.payload
        check_equal(sent.get("report"), report, f"CustomerInformationRequest.report ({case_id} step 1)")
        if clear:
            check_equal(sent.get("clear"), True, f"CustomerInformationRequest.clear ({case_id} step 1)")
        sent_token = sent.get("idToken") or {}
        check_equal(
            sent_token.get("idToken"),
            token["idToken"],
            f"CustomerInformationRequest.idToken.idToken ({case_id} step 1, configured valid idToken)",
        )
        check_equal(
            sent_token.get("type"),
            token["type"],
            f"CustomerInformationRequest.idToken.type ({case_id} step 1, configured valid idToken type)",
        )
        await states.operator_done(station, task)
    if data is None:
        return
    with step("3-4: the OCTT sends NotifyCustomerInformationRequest"):
        await station.call_ok(
            "NotifyCustomerInformation",
            {"data": data, "seqNo": 0, "generatedAt": now(), "requestId": sent["requestId"], "tbc": False},
        )


CUSTOMER_DATA = "idToken 04A1B2C3D4E501: 2 transactions, last 2026-01-01T00:00:00Z"


@case(
    "TC_N_27_CSMS",
    requirements=("N09.FR.01", "N09.FR.04"),
    catches={"customer-information-no-report": NO_REPORT},
)
async def test_TC_N_27_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Get Customer Information - Accepted + data."""
    await customer_information(
        station, sut, actions, "TC_N_27_CSMS", report=True, clear=False, data=CUSTOMER_DATA
    )


@case(
    "TC_N_28_CSMS",
    requirements=("N09.FR.01", "N09.FR.04"),
    catches={"customer-information-no-report": NO_REPORT},
)
async def test_TC_N_28_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Get Customer Information - Accepted + no data (an empty NotifyCustomerInformation.data)."""
    await customer_information(station, sut, actions, "TC_N_28_CSMS", report=True, clear=False, data="")


@case(
    "TC_N_29_CSMS",
    requirements=("N09.FR.01", "N09.FR.04"),
    catches={"customer-information-no-report": NO_REPORT},
)
async def test_TC_N_29_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Get Customer Information - Not Accepted: the station answers Rejected and reports nothing."""
    await customer_information(
        station, sut, actions, "TC_N_29_CSMS", report=True, clear=False, answer="Rejected"
    )


@case(
    "TC_N_30_CSMS",
    requirements=("N10.FR.08",),
    catches={"customer-information-no-report": NO_REPORT, "customer-information-clear-dropped": NO_CLEAR},
)
async def test_TC_N_30_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Clear Customer Information - Clear and report + data."""
    await customer_information(
        station, sut, actions, "TC_N_30_CSMS", report=True, clear=True, data=CUSTOMER_DATA
    )


@case(
    "TC_N_31_CSMS",
    requirements=("N10.FR.08",),
    catches={"customer-information-no-report": NO_REPORT, "customer-information-clear-dropped": NO_CLEAR},
)
async def test_TC_N_31_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Clear Customer Information - Clear and report + no data."""
    await customer_information(station, sut, actions, "TC_N_31_CSMS", report=True, clear=True, data="")


@case(
    "TC_N_32_CSMS",
    requirements=("N10.FR.08",),
    catches={"customer-information-clear-dropped": NO_CLEAR},
)
async def test_TC_N_32_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Clear Customer Information - Clear and no report (Part 6 still has the station notify, steps 3-4)."""
    await customer_information(station, sut, actions, "TC_N_32_CSMS", report=False, clear=True, data="")


CUSTOMER_IDENTIFIER = "OpenChargeAlliance"  # TC_N_62_CSMS step 1: the identifier Part 6 prescribes


@case(
    "TC_N_62_CSMS",
    requirements=("N10.FR.08",),
    catches={"customer-information-no-report": NO_REPORT, "customer-information-clear-dropped": NO_CLEAR},
)
async def test_TC_N_62_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Clear Customer Information - Clear and report - customerIdentifier (N10, C-14)."""
    await states.csms_booted(station, sut)
    with step(
        "1-2: the CSMS sends CustomerInformationRequest (customerIdentifier); the OCTT answers Accepted"
    ):
        station.on("CustomerInformation", {"status": "Accepted"})
        request = {"requestId": 1, "report": True, "clear": True, "customerIdentifier": CUSTOMER_IDENTIFIER}
        received, task = await states.operator_request(station, actions, "CustomerInformation", request)
        sent = received.payload
        check_equal(sent.get("report"), True, "CustomerInformationRequest.report (TC_N_62_CSMS step 1)")
        check_equal(sent.get("clear"), True, "CustomerInformationRequest.clear (TC_N_62_CSMS step 1)")
        check_equal(
            sent.get("customerIdentifier"),
            CUSTOMER_IDENTIFIER,
            "CustomerInformationRequest.customerIdentifier (TC_N_62_CSMS step 1)",
        )
        await states.operator_done(station, task)
    with step("3-4: the OCTT sends NotifyCustomerInformationRequest; the CSMS responds"):
        await station.call_ok(
            "NotifyCustomerInformation",
            {
                "data": CUSTOMER_DATA,
                "seqNo": 0,
                "generatedAt": now(),
                "requestId": sent["requestId"],
                "tbc": False,
            },
        )

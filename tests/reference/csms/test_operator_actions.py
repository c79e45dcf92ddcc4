"""Operator actions reach the station and their responses are recorded; bad control input is a
clear ControlError (or HTTP 400/404) and the CSMS keeps running."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from conformance.errors import HarnessError
from conformance.reference.csms import ControlError, CsmsConfig, RunningCsms
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.station import CANNED, Connected, boot_payload

COMPONENT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
REQUESTS: dict[str, dict[str, Any]] = {
    "Reset": {"type": "Immediate"},
    "GetVariables": {"getVariableData": [COMPONENT]},
    "SetVariables": {"setVariableData": [{**COMPONENT, "attributeValue": "60"}]},
    "RequestStartTransaction": {
        "idToken": {"idToken": "A1", "type": "ISO14443"},
        "remoteStartId": 7,
        "evseId": 1,
    },
    "RequestStopTransaction": {"transactionId": "TX-1"},
    "ChangeAvailability": {"operationalStatus": "Inoperative", "evse": {"id": 1}},
    "ClearCache": {},
    "UnlockConnector": {"evseId": 1, "connectorId": 1},
    "TriggerMessage": {"requestedMessage": "Heartbeat"},
    "GetBaseReport": {"requestId": 1, "reportBase": "FullInventory"},
    "SetChargingProfile": {
        "evseId": 1,
        "chargingProfile": {
            "id": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": [
                {
                    "id": 1,
                    "chargingRateUnit": "A",
                    "startSchedule": "2024-01-01T00:00:00Z",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
                }
            ],
        },
    },
    "GetLocalListVersion": {},
    "DataTransfer": {"vendorId": "com.example"},
    "ReserveNow": {
        "id": 1,
        "expiryDateTime": "2030-01-01T00:00:00Z",
        "idToken": {"idToken": "A1", "type": "ISO14443"},
    },
    "GetTransactionStatus": {},
    "GetLog": {
        "logType": "DiagnosticsLog",
        "requestId": 3,
        "log": {"remoteLocation": "ftp://example.com/log"},
    },
}


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


@pytest.mark.parametrize("action", sorted(REQUESTS))
def test_operator_action_reaches_station(csms: RunningCsms, action: str) -> None:
    async def scenario() -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            outcome = await csms.control.aperform(action, {"station_id": "CS1", "request": REQUESTS[action]})
            return outcome, list(cs.requests)

    outcome, received = run(scenario())
    assert outcome == {"response": CANNED[action]}
    assert received == [(action, REQUESTS[action])]
    sent = csms.control.perform("get_state")["stations"]["CS1"]["sent"]
    assert [(s["action"], s["request"], s["response"]) for s in sent] == [
        (action, REQUESTS[action], CANNED[action])
    ]


def test_callerror_from_station_is_returned(csms: RunningCsms) -> None:
    async def scenario() -> dict[str, Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            del cs.route_map["Reset"]  # the library station then answers NotImplemented
            return await csms.control.aperform("Reset", {"station_id": "CS1", "request": {"type": "OnIdle"}})

    outcome = run(scenario())
    assert outcome["error"]["code"] in ("NotImplemented", "NotSupported")


@pytest.mark.parametrize(
    ("action", "params", "message"),
    [
        ("Explode", {}, "unknown action 'Explode'"),
        ("Reset", {"request": {"type": "Immediate"}}, "station_id must be a non-empty string"),
        ("Reset", {"station_id": "CS1", "request": {"type": "Sometime"}}, r"\$\.type: enum violated"),
        ("Reset", {"station_id": "CS1", "request": {}}, r"required violated"),
        ("Reset", {"station_id": "CS1", "request": "Immediate"}, "must be a JSON object"),
        ("Reset", {"station_id": "NOPE", "request": {"type": "Immediate"}}, "'NOPE' is not connected"),
        ("configure_boot_status", {"station_id": "CS1", "status": "Maybe"}, "status must be one of"),
    ],
)
def test_bad_control_input_is_a_clear_error(
    csms: RunningCsms, action: str, params: Any, message: str
) -> None:
    with pytest.raises(ControlError, match=message) as info:
        csms.control.perform(action, params)
    assert isinstance(info.value, HarnessError)
    # still running and serving
    assert csms.control.perform("get_state")["connected"] == []
    outcome = run(_boot(csms))
    assert outcome[2]["status"] == "Accepted"


async def _boot(csms: RunningCsms) -> Any:
    async with Connected(csms.url, "CS1") as cs:
        return await cs.raw_call("BootNotification", boot_payload())


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_http_control(start_csms: StartCsms) -> None:
    csms = start_csms(CsmsConfig(), control_http_port=0)
    assert csms.http_url is not None and csms.http_url.startswith("http://127.0.0.1:")

    async def scenario() -> list[tuple[int, dict[str, Any]]]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            loop = asyncio.get_running_loop()
            body = json.dumps({"station_id": "CS1", "request": {"type": "Immediate"}}).encode()
            return [
                await loop.run_in_executor(None, _post, f"{csms.http_url}/actions/Reset", body),
                await loop.run_in_executor(
                    None, _post, f"{csms.http_url}/actions/Reset", b'{"station_id": 1}'
                ),
                await loop.run_in_executor(None, _post, f"{csms.http_url}/actions/Nope", b"{}"),
                await loop.run_in_executor(None, _post, f"{csms.http_url}/actions/Reset", b"not json"),
                await loop.run_in_executor(None, _post, f"{csms.http_url}/actions/get_state", b"{}"),
            ]

    ok, bad, unknown, not_json, state = run(scenario())
    assert ok == (200, {"response": {"status": "Accepted"}})
    assert bad[0] == 400 and "station_id" in bad[1]["error"]
    assert unknown[0] == 404 and "unknown action" in unknown[1]["error"]
    assert not_json[0] == 400
    assert state[0] == 200 and state[1]["stations"]["CS1"]["sent"][0]["action"] == "Reset"


def test_builtin_driver_drives_the_control(csms: RunningCsms) -> None:
    from conformance.drivers.builtin import BuiltinDriver

    driver = BuiltinDriver(csms.control, timeout=5)
    assert driver.side == "csms" and driver.supports("Reset") and not driver.supports("plug_in")

    async def scenario() -> dict[str, Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            return await driver.perform("ClearCache", {"station_id": "CS1", "request": {}})

    assert run(scenario()) == {"response": {"status": "Accepted"}}


def test_schema_invalid_station_response_is_flagged(csms: RunningCsms) -> None:
    async def scenario() -> dict[str, Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            cs.answers["Reset"] = {"status": "Ok"}
            cs.route_map["Reset"]["_skip_schema_validation"] = True
            return await csms.control.aperform(
                "Reset", {"station_id": "CS1", "request": {"type": "Immediate"}}
            )

    outcome = run(scenario())
    assert outcome["response"] == {"status": "Ok"}
    assert outcome["responseViolation"]["code"] == "PropertyConstraintViolation"
    assert "$.status" in outcome["responseViolation"]["description"]

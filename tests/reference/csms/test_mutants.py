"""Every CSMS mutant really breaks the rule it names: each rule has a check that holds for the
conformant reference CSMS and fails for the mutant (so none of these checks can pass vacuously)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from conformance.config import Tokens
from conformance.ocppj.validation import FrameValidator, is_ocpp_datetime
from conformance.reference.csms import ControlError, CsmsConfig, RunningCsms, StationRecord
from conformance.reference.mutants_csms import CSMS_MUTANTS
from conformance.reference.mutants_station import Mutant
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.station import WAIT, Connected, basic_auth, boot_payload
from tests.reference.csms.test_certificates_and_notifications import make_csr

TOKENS = Tokens()
PASSWORD = "right-password-00001"
QUIET = 1.0  # seconds a rule-abiding CSMS stays silent in the "no second CALL" check
Check = Callable[[RunningCsms], Awaitable[bool]]


async def booted_call(csms: RunningCsms, action: str, payload: dict[str, Any], sid: str = "CS1") -> Any:
    async with Connected(csms.url, sid) as cs:
        await cs.raw_call("BootNotification", boot_payload())
        return await cs.raw_call(action, payload)


async def unknown_token_not_accepted(csms: RunningCsms) -> bool:
    frame = await booted_call(csms, "Authorize", {"idToken": TOKENS.unknown.as_ocpp()})
    return bool(frame[2]["idTokenInfo"]["status"] == "Unknown")


async def blocked_token_blocked(csms: RunningCsms) -> bool:
    frame = await booted_call(csms, "Authorize", {"idToken": TOKENS.blocked.as_ocpp()})
    return bool(frame[2]["idTokenInfo"]["status"] == "Blocked")


async def certificate_signed_follows(csms: RunningCsms) -> bool:
    async with Connected(csms.url, "CS1") as cs:
        await cs.raw_call("BootNotification", boot_payload())
        await cs.raw_call("SignCertificate", {"csr": make_csr()})
        try:
            await cs.wait_request("CertificateSigned", timeout=2.0)
        except TimeoutError:
            return False
        return True


async def boot_interval_is_integer(csms: RunningCsms) -> bool:
    async with Connected(csms.url, "CS1") as cs:
        frame = await cs.raw_call("BootNotification", boot_payload())
        return type(frame[2]["interval"]) is int


async def boot_time_is_rfc3339_utc(csms: RunningCsms) -> bool:
    async with Connected(csms.url, "CS1") as cs:
        frame = await cs.raw_call("BootNotification", boot_payload())
        return is_ocpp_datetime(frame[2]["currentTime"])


async def heartbeat_response_schema_valid(csms: RunningCsms) -> bool:
    frame = await booted_call(csms, "Heartbeat", {})
    return not FrameValidator().check_payload("Heartbeat", "response", frame[2])


async def response_id_matches(csms: RunningCsms) -> bool:
    async with Connected(csms.url, "CS1") as cs:
        await cs.tap.send(json.dumps([2, "boot-1", "BootNotification", boot_payload()]))
        frame = await cs.tap.wait_for(lambda f: isinstance(f, list) and f[0] in (3, 4))
        return bool(frame[1] == "boot-1")


async def one_call_open_at_a_time(csms: RunningCsms) -> bool:
    """A raw station that leaves the CSMS's first CALL unanswered for QUIET seconds."""
    async with connect(csms.url + "CS1", subprotocols=["ocpp2.0.1"], proxy=None) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps([2, "b", "BootNotification", boot_payload()]))
        await asyncio.wait_for(ws.recv(), WAIT)
        request = {"getVariableData": [{"component": {"name": "C"}, "variable": {"name": "V"}}]}
        action = asyncio.create_task(
            csms.control.aperform("GetVariables", {"station_id": "CS1", "request": request})
        )
        first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        try:
            await asyncio.wait_for(ws.recv(), QUIET)
            held = False  # another frame arrived while the first CALL was open
        except TimeoutError:
            held = True
        result = [{"attributeStatus": "Accepted", "component": {"name": "C"}, "variable": {"name": "V"}}]
        await ws.send(json.dumps([3, first[1], {"getVariableResult": result}]))
        await action
        return held


async def pending_only_configuration_requests(csms: RunningCsms) -> bool:
    async with Connected(csms.url, "CS1") as cs:
        await cs.raw_call("BootNotification", boot_payload())
        try:
            await csms.control.aperform("Reset", {"station_id": "CS1", "request": {"type": "Immediate"}})
        except ControlError:
            return True
        return False


async def security_error_while_pending(csms: RunningCsms) -> bool:
    status = {
        "timestamp": "2024-01-01T00:00:00Z",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }
    frame = await booted_call(csms, "StatusNotification", status)
    return bool(frame[0] == 4 and frame[2] == "SecurityError")


async def malformed_gets_right_code(csms: RunningCsms) -> bool:
    payload = boot_payload()
    del payload["reason"]
    async with Connected(csms.url, "CS1") as cs:
        frame = await cs.raw_call("BootNotification", payload)
        return bool(frame[0] == 4 and frame[2] == "OccurrenceConstraintViolation")


async def tx_response_has_id_token_info(csms: RunningCsms) -> bool:
    event = {
        "eventType": "Started",
        "timestamp": "2024-01-01T00:00:00Z",
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "T1"},
        "idToken": TOKENS.valid.as_ocpp(),
    }
    frame = await booted_call(csms, "TransactionEvent", event)
    return "idTokenInfo" in frame[2]


async def bad_password_refused(csms: RunningCsms) -> bool:
    try:
        async with Connected(csms.url, "CS1", headers=basic_auth("CS1", "wrong-password-0000")):
            return False
    except InvalidStatus as exc:
        return exc.response.status_code == 401


async def subprotocol_selected(csms: RunningCsms) -> bool:
    async with connect(csms.url + "CS1", subprotocols=["ocpp2.0.1"], proxy=None) as ws:  # type: ignore[list-item]
        return ws.subprotocol == "ocpp2.0.1"


PENDING = CsmsConfig(stations={"CS1": StationRecord(boot_status="Pending", boot_status_sticky=True)})
SP1 = CsmsConfig(security_profile=1, stations={"CS1": StationRecord(password=PASSWORD)})
# mutant -> (config, the check of the rule it breaks)
CHECKS: dict[str, tuple[CsmsConfig | None, Check]] = {
    "accepts-unknown-token": (None, unknown_token_not_accepted),
    "blocked-token-accepted": (None, blocked_token_blocked),
    "no-certificate-signed": (None, certificate_signed_follows),
    "heartbeat-interval-string": (None, boot_interval_is_integer),
    "boot-time-bad-format": (None, boot_time_is_rfc3339_utc),
    "schema-invalid-response": (None, heartbeat_response_schema_valid),
    "mismatched-message-id": (None, response_id_matches),
    "second-call-while-open": (None, one_call_open_at_a_time),
    "ignores-pending": (PENDING, pending_only_configuration_requests),
    "pending-no-security-error": (PENDING, security_error_while_pending),
    "wrong-callerror-code": (None, malformed_gets_right_code),
    "transaction-response-missing-idtokeninfo": (None, tx_response_has_id_token_info),
    "accepts-bad-password": (SP1, bad_password_refused),
    "no-subprotocol": (None, subprotocol_selected),
}


def test_every_mutant_has_a_check() -> None:
    """Core mutants are proven here; the per-block ones by the cases that catch them
    (tests/test_meta_mutants.py runs each case against each mutant it declares)."""
    from conformance.reference.mutants import extra_mutants

    assert set(CHECKS) == set(CSMS_MUTANTS) - set(extra_mutants("csms"))
    for name, mutant in CSMS_MUTANTS.items():
        assert isinstance(mutant, Mutant) and mutant.name == name and mutant.target == "csms"
        assert mutant.breaks and mutant.description


@pytest.mark.parametrize("name", sorted(CHECKS))
@pytest.mark.parametrize("mutated", [False, True], ids=["reference", "mutant"])
def test_mutant_breaks_its_rule(start_csms: StartCsms, name: str, mutated: bool) -> None:
    config, check = CHECKS[name]
    csms = start_csms(config, mutant=name if mutated else None)
    held = asyncio.run(asyncio.wait_for(check(csms), 20))
    assert held is not mutated, f"{name}: rule {'held' if held else 'broken'} ({CSMS_MUTANTS[name].breaks})"


def test_ignores_pending_sends_a_forbidden_request(start_csms: StartCsms) -> None:
    csms = start_csms(PENDING, mutant="ignores-pending")

    async def scenario() -> dict[str, Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            return await cs.wait_request("RequestStartTransaction")

    assert asyncio.run(asyncio.wait_for(scenario(), 20))["idToken"]["type"] == "Central"


def test_unknown_mutant_is_a_config_error(start_csms: StartCsms) -> None:
    from conformance.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape("unknown CSMS mutant 'nope'")):
        start_csms(None, mutant="nope")

"""C/E: Authorize against the id-token table; TransactionEvent bookkeeping; MeterValues."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conformance.config import Tokens
from conformance.reference.csms import CsmsConfig, RunningCsms, TokenRecord
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.station import Connected, boot_payload

TOKENS = Tokens()


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


async def authorize(csms: RunningCsms, id_token: dict[str, str]) -> dict[str, Any]:
    async with Connected(csms.url, "CS1") as cs:
        await cs.raw_call("BootNotification", boot_payload())
        frame = await cs.raw_call("Authorize", {"idToken": id_token})
        assert frame[0] == 3, frame
        return dict(frame[2]["idTokenInfo"])


@pytest.mark.parametrize(
    ("id_token", "status", "group"),
    [
        (TOKENS.valid.as_ocpp(), "Accepted", None),
        (TOKENS.invalid.as_ocpp(), "Invalid", None),
        (TOKENS.blocked.as_ocpp(), "Blocked", None),
        (TOKENS.expired.as_ocpp(), "Expired", None),
        (TOKENS.unknown.as_ocpp(), "Unknown", None),
        (TOKENS.group.as_ocpp(), "Accepted", "GROUP-0001"),
        (
            {"idToken": TOKENS.valid.id_token.lower(), "type": "ISO14443"},
            "Accepted",
            None,
        ),  # case-insensitive
        ({"idToken": "", "type": "NoAuthorization"}, "Accepted", None),
    ],
    ids=["valid", "invalid", "blocked", "expired", "unknown", "group", "lowercase", "noauthorization"],
)
def test_authorize_each_token_kind(
    csms: RunningCsms, id_token: dict[str, str], status: str, group: str | None
) -> None:
    info = run(authorize(csms, id_token))
    assert info["status"] == status
    assert info.get("groupIdToken", {}).get("idToken") == group
    recorded = csms.control.perform("get_state")["stations"]["CS1"]["authorizations"]
    assert recorded == [{"idToken": id_token, "status": status}]


def test_token_table_is_configurable(start_csms: StartCsms) -> None:
    csms = start_csms(
        CsmsConfig(
            id_tokens={"CARD1": TokenRecord(status="NoCredit", cache_expiry_date_time="2030-01-01T00:00:00Z")}
        )
    )
    info = run(authorize(csms, {"idToken": "CARD1", "type": "ISO14443"}))
    assert info == {"status": "NoCredit", "cacheExpiryDateTime": "2030-01-01T00:00:00Z"}


def tx_event(event_type: str, seq: int, trigger: str, **extra: Any) -> dict[str, Any]:
    payload = {
        "eventType": event_type,
        "timestamp": "2024-01-01T00:00:00Z",
        "triggerReason": trigger,
        "seqNo": seq,
        "transactionInfo": {"transactionId": "TX-1"},
    }
    payload.update(extra)
    return payload


def test_full_transaction(csms: RunningCsms) -> None:
    meter = [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": 1.5}]}]

    async def scenario() -> list[Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            frames = [
                await cs.raw_call(
                    "TransactionEvent",
                    tx_event(
                        "Started",
                        0,
                        "Authorized",
                        idToken=TOKENS.valid.as_ocpp(),
                        evse={"id": 1, "connectorId": 1},
                    ),
                ),
                await cs.raw_call(
                    "TransactionEvent", tx_event("Updated", 1, "MeterValuePeriodic", meterValue=meter)
                ),
                await cs.raw_call("MeterValues", {"evseId": 1, "meterValue": meter}),
                await cs.raw_call(
                    "TransactionEvent",
                    tx_event("Ended", 2, "StopAuthorized", idToken=TOKENS.blocked.as_ocpp()),
                ),
            ]
            return frames

    started, updated, meter_values, ended = run(scenario())
    assert all(f[0] == 3 for f in (started, updated, meter_values, ended))
    assert started[2] == {"idTokenInfo": {"status": "Accepted"}}
    assert updated[2] == {}  # no idToken, no idTokenInfo
    assert ended[2]["idTokenInfo"]["status"] == "Blocked"
    st = csms.control.perform("get_state")["stations"]["CS1"]
    tx = st["transactions"]["TX-1"]
    assert tx["seqNos"] == [0, 1, 2] and tx["eventTypes"] == ["Started", "Updated", "Ended"]
    assert tx["ended"] is True and tx["meterValues"] == 1 and tx["evse"] == {"id": 1, "connectorId": 1}
    assert st["meterValues"] == 1

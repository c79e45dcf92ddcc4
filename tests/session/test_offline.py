"""The harness CSMS's offline mode: the station's connection is closed and reconnects are refused
(HTTP 503) until `go_online`; the refusals never fail the test (Part 6: "does not accept a reconnect")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from conformance.errors import SchemaViolationFailure
from conformance.session.endpoints import HarnessCsms
from tests.session.harness_peers import STATION_ID, csms_and_raw_station


async def _connect(csms: HarnessCsms) -> Any:
    return await websockets.connect(
        f"{csms.url.rstrip('/')}/{STATION_ID}",
        subprotocols=[Subprotocol("ocpp2.0.1")],
        proxy=None,
        open_timeout=2.0,
    )


def test_offline_closes_refuses_then_accepts_again() -> None:
    async def scenario() -> None:
        async with csms_and_raw_station() as (csms, ws):
            await csms.go_offline(timeout=2.0)
            assert not csms.connected and csms.offline
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 2.0)
            for _ in range(2):
                with pytest.raises(InvalidStatus) as refused:
                    await _connect(csms)
                assert refused.value.response.status_code == 503
            assert csms.events.refused == 2 and csms.server.offline_refusals == [STATION_ID, STATION_ID]
            assert csms.server.rejections == [] and csms.violations == []
            csms.check_violations()  # deliberate refusals are no violation of the station

            mark = csms.events.connected
            csms.go_online()
            again = await _connect(csms)
            try:
                await csms.wait_connected(timeout=2.0, after=mark)
                assert csms.connected and not csms.offline
            finally:
                await again.close()

    asyncio.run(scenario())


async def test_reference_station_retries_while_offline_and_reconnects(csms: HarnessCsms) -> None:
    """The built-in station retries on its own back-off; each attempt is refused, none fails the test."""
    if not csms.connected:
        await csms.wait_reconnect()
    connections = csms.events.connected
    try:
        await csms.go_offline()
        refused = csms.events.refused
        await csms.wait_refused(timeout=5.0)
        await csms.wait_refused(timeout=5.0)  # a second attempt: it keeps retrying
        assert csms.events.refused >= refused + 2
        assert csms.events.connected == connections and not csms.connected
    finally:
        csms.go_online()
    await csms.wait_reconnect(timeout=5.0)
    assert csms.connected and csms.events.connected == connections + 1
    response = await csms.call_ok(
        "GetVariables",
        {
            "getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
            ]
        },
    )
    assert response["getVariableResult"][0]["attributeStatus"] == "Accepted"
    csms.check_violations()


def test_expected_refusals_are_counted_not_violations() -> None:
    async def refuse_one(csms: HarnessCsms) -> None:
        with pytest.raises(InvalidStatus):  # no station id in the path: HTTP 404, a HandshakeRejection
            await websockets.connect(
                csms.url, subprotocols=[Subprotocol("ocpp2.0.1")], proxy=None, open_timeout=2.0
            )

    async def scenario() -> None:
        async with csms_and_raw_station() as (csms, _ws):
            with csms.refusals_expected() as refused:
                await refuse_one(csms)
                await csms.wait_refused(timeout=2.0, after=0)
            assert len(refused) == 1 and "no station id" in refused[0].reason
            assert csms.violations == []
            await refuse_one(csms)  # outside the block: the station's fault again
            with pytest.raises(SchemaViolationFailure, match="no station id"):
                await csms.expect("Heartbeat", timeout=2.0)

    asyncio.run(scenario())

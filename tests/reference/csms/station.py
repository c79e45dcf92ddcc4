"""A small charging station built on the `ocpp` library (v201 ChargePoint over a websockets client),
used to drive the reference CSMS over real sockets. It taps every frame so tests can also send raw
frames and look at the CSMS's raw answers."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import ssl
import uuid
from collections.abc import Callable
from typing import Any

from ocpp.charge_point import camel_to_snake_case
from ocpp.v201 import ChargePoint
from ocpp.v201 import call_result as result
from websockets.asyncio.client import ClientConnection, connect

from conformance.drivers.actions import CSMS_INITIATED_ACTIONS

WAIT = 5.0  # every wait in these tests is bounded by this

# What the station answers to each CSMS request (minimal valid responses, camelCase).
CANNED: dict[str, dict[str, Any]] = {
    "CancelReservation": {"status": "Accepted"},
    "CertificateSigned": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "ClearDisplayMessage": {"status": "Accepted"},
    "CustomerInformation": {"status": "Accepted"},
    "DataTransfer": {"status": "UnknownVendorId"},
    "GetBaseReport": {"status": "Accepted"},
    "GetLocalListVersion": {"versionNumber": 0},
    "GetLog": {"status": "Accepted"},
    "GetTransactionStatus": {"messagesInQueue": False},
    "GetVariables": {
        "getVariableResult": [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "attributeValue": "300",
            }
        ]
    },
    "RequestStartTransaction": {"status": "Accepted"},
    "RequestStopTransaction": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
    "SendLocalList": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "SetVariables": {
        "setVariableResult": [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            }
        ]
    },
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {"status": "Accepted"},
}


class Tap:
    """The connection the ChargePoint uses: records every frame, both directions."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.incoming: list[Any] = []  # parsed frames from the CSMS (raw text if not JSON)
        self.outgoing: list[str] = []
        self._new = asyncio.Event()

    async def recv(self) -> str | bytes:
        raw = await self.ws.recv()
        try:
            self.incoming.append(json.loads(raw))
        except ValueError:
            self.incoming.append(raw)
        self._new.set()
        return raw

    async def send(self, text: str) -> None:
        self.outgoing.append(text)
        await self.ws.send(text)

    async def wait_for(self, predicate: Callable[[Any], bool], timeout: float = WAIT) -> Any:
        """The first incoming frame (seen so far or arriving within ``timeout``) matching ``predicate``."""
        seen = 0

        async def scan() -> Any:
            nonlocal seen
            while True:
                for frame in self.incoming[seen:]:
                    seen += 1
                    if predicate(frame):
                        return frame
                self._new.clear()
                await self._new.wait()

        return await asyncio.wait_for(scan(), timeout)


class TestStation(ChargePoint):  # type: ignore[misc]
    __test__ = False  # not a pytest class

    def __init__(self, station_id: str, tap: Tap) -> None:
        super().__init__(station_id, tap, response_timeout=WAIT)
        self.tap = tap
        self.requests: list[tuple[str, dict[str, Any]]] = []  # CSMS requests received (camelCase)
        self.answers: dict[str, dict[str, Any]] = dict(CANNED)
        for action in CSMS_INITIATED_ACTIONS:
            if action in self.answers:
                self.route_map[action] = {
                    "_on_action": self._answer(action),
                    "_skip_schema_validation": False,
                }

    def _answer(self, action: str) -> Callable[..., Any]:
        def handler(**_: Any) -> Any:
            frame = self.tap.incoming[-1]
            self.requests.append((action, frame[3]))
            payload = {k: v for k, v in self.answers[action].items()}
            top = {camel_to_snake_case({k: None}).popitem()[0]: v for k, v in payload.items()}
            return getattr(result, action)(**top)

        return handler

    async def raw_call(self, action: str, payload: dict[str, Any]) -> Any:
        """Send a CALL as raw JSON; return the CSMS's raw answer (CALLRESULT or CALLERROR frame)."""
        unique_id = str(uuid.uuid4())
        return await self.send_raw(json.dumps([2, unique_id, action, payload]), unique_id)

    async def send_raw(self, text: str, expect_id: str | None = None) -> Any:
        await self.tap.send(text)

        def answers(frame: Any) -> bool:
            if not isinstance(frame, list) or frame[0] not in (3, 4):
                return False
            return expect_id is None or frame[1] == expect_id

        return await self.tap.wait_for(answers)

    async def wait_request(self, action: str, timeout: float = WAIT) -> dict[str, Any]:
        frame = await self.tap.wait_for(
            lambda f: isinstance(f, list) and f[0] == 2 and f[2] == action, timeout
        )
        return dict(frame[3])


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Connected:
    """`async with Connected(url, "CS1") as station:` — connects, runs the ChargePoint loop, closes."""

    def __init__(
        self,
        url: str,
        station_id: str,
        *,
        headers: dict[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        subprotocols: list[str] | None = None,
    ) -> None:
        self.url = url + station_id
        self.station_id = station_id
        self.headers = headers
        self.ssl_context = ssl_context
        self.subprotocols = subprotocols if subprotocols is not None else ["ocpp2.0.1"]
        self._task: asyncio.Task[Any] | None = None
        self._ws: ClientConnection | None = None

    async def __aenter__(self) -> TestStation:
        self._ws = await connect(
            self.url,
            subprotocols=self.subprotocols,  # type: ignore[arg-type]
            additional_headers=self.headers,
            ssl=self.ssl_context,
            proxy=None,
            open_timeout=WAIT,
            ping_interval=None,
        )
        station = TestStation(self.station_id, Tap(self._ws))
        self._task = asyncio.create_task(station.start())
        return station

    async def __aexit__(self, *exc: object) -> None:
        assert self._ws is not None and self._task is not None
        await self._ws.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


BOOT = {
    "reason": "PowerUp",
    "chargingStation": {"model": "TestModel", "vendorName": "TestVendor"},
}


def boot_payload() -> dict[str, Any]:
    return copy.deepcopy(BOOT)

"""The station actions (`conformance.drivers.actions.STATION_ACTIONS`) performed inside the station's loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from conformance.drivers.actions import STATION_ACTIONS
from conformance.errors import HarnessError
from conformance.reference.station import auth, reservations, transactions
from conformance.reference.station.clock import format_time
from conformance.reference.station.model import Connector, Evse

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


class ControlError(HarnessError):
    """A control action was unknown or its parameters were wrong; the station keeps running."""


Params = dict[str, Any]


def _int(params: Params, name: str, default: int | None = None) -> int:
    value = params.get(name, default)
    if value is None:
        raise ControlError(f"parameter '{name}' is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"parameter '{name}' must be an integer, got {value!r}")
    return value


def _float(params: Params, name: str) -> float:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"parameter '{name}' must be a number of seconds, got {value!r}")
    if value < 0:
        raise ControlError(f"parameter '{name}' must not be negative")
    return float(value)


def _evse(st: StationCore, params: Params) -> Evse:
    evse_id = _int(params, "evse_id")
    evse = st.evses.get(evse_id)
    if evse is None:
        raise ControlError(f"unknown EVSE {evse_id} (this station has EVSEs {sorted(st.evses)})")
    return evse


def _connector(st: StationCore, params: Params) -> tuple[Evse, Connector]:
    evse = _evse(st, params)
    connector_id = _int(params, "connector_id", 1)
    conn = evse.connector(connector_id)
    if conn is None:
        raise ControlError(f"unknown connector {connector_id} on EVSE {evse.evse_id}")
    return evse, conn


async def _plug_in(st: StationCore, p: Params) -> Params:
    evse, conn = _connector(st, p)
    if conn.plugged:
        return {"changed": False}
    conn.plugged = True
    st.report_connector(evse, conn)
    transactions.on_plug_in(st, evse)
    return {"changed": True}


async def _unplug(st: StationCore, p: Params) -> Params:
    evse, conn = _connector(st, p)
    if not conn.plugged:
        return {"changed": False}
    conn.plugged = False
    evse.ev_suspended = False
    st.report_connector(evse, conn)
    transactions.on_unplug(st, evse)
    return {"changed": True}


async def _present_id_token(st: StationCore, p: Params) -> Params:
    token = p.get("id_token")
    if not isinstance(token, str) or not token:
        raise ControlError("parameter 'id_token' is required (a non-empty string)")
    kind = p.get("type", "ISO14443")
    if not isinstance(kind, str):
        raise ControlError("parameter 'type' must be a string")
    id_token = {"idToken": token, "type": kind}
    if p.get("evse_id") is not None:
        evse = _evse(st, p)
    else:
        evse = next((e for e in st.evses.values() if e.id_token == id_token), None) or next(
            (e for e in st.evses.values() if e.plugged and e.id_token is None), st.evses[min(st.evses)]
        )
    if evse.tx is not None and evse.id_token is not None and evse.id_token["idToken"] == token:
        transactions.on_stop_authorized(st, evse, "StopAuthorized", "Local")
        return {"evse_id": evse.evse_id, "result": "stop"}
    if reservations.blocks(evse, id_token):
        return {"evse_id": evse.evse_id, "result": "reserved", "idTokenInfo": {"status": "Invalid"}}
    info = await auth.authorize(st, id_token)
    accepted = info.get("status") == "Accepted" or st.is_mutant("group-stop-ignores-status")
    if accepted and evse.tx is not None and evse.id_token is not None:
        by_group = _same_group(evse, info) and not st.is_mutant("no-group-stop")  # C09.FR.03
        if by_group or st.is_mutant("stops-with-other-token"):  # C01: no other token stops it
            evse.tx.id_token, evse.tx.id_token_sent = id_token, False  # report the stopping token
            transactions.on_stop_authorized(st, evse, "StopAuthorized", "Local")
            return {"evse_id": evse.evse_id, "result": "stop", "idTokenInfo": info}
    if info.get("status") == "Accepted" and evse.id_token is None:
        reservations.consume(evse)
        evse.id_token = id_token
        group = info.get("groupIdToken")
        evse.token_group = (id_token, group) if isinstance(group, dict) else None
        transactions.on_authorized(st, evse, "Authorized")
        return {"evse_id": evse.evse_id, "result": "authorized", "idTokenInfo": info}
    return {"evse_id": evse.evse_id, "result": "rejected", "idTokenInfo": info}


def _same_group(evse: Evse, info: dict[str, Any]) -> bool:
    """C09: another idToken may stop the transaction when its GroupId is the starting token's."""
    other = info.get("groupIdToken")
    if evse.token_group is None or evse.token_group[0] != evse.id_token or not isinstance(other, dict):
        return False
    own = evse.token_group[1]
    return str(own.get("idToken", "")).casefold() == str(other.get("idToken", "")).casefold()


async def _ev_suspend(st: StationCore, p: Params, suspended: bool) -> Params:
    evse = _evse(st, p)
    evse.ev_suspended = suspended
    transactions.on_ev_charging_change(st, evse)
    return {"charging_state": transactions.charging_state(evse)}


async def _fault(st: StationCore, p: Params, faulted: bool) -> Params:
    evse, conn = _connector(st, p)
    conn.faulted = faulted
    st.report_connector(evse, conn)
    return {"status": st.connector_status(evse, conn)}


async def _parking(st: StationCore, p: Params, occupied: bool) -> Params:
    evse = _evse(st, p)
    evse.parking_occupied = occupied
    transactions.on_parking(st, evse, occupied)
    return {"parking_occupied": occupied}


async def _reboot(st: StationCore, p: Params) -> Params:
    await st.reboot("PowerUp")
    return {}


async def _drop(st: StationCore, p: Params) -> Params:
    await st.drop_connection()
    return {}


async def _go_offline(st: StationCore, p: Params) -> Params:
    await st.go_offline(_float(p, "seconds"))
    return {}


async def _go_online(st: StationCore, p: Params) -> Params:
    st.go_online()
    return {}


async def _advance_clock(st: StationCore, p: Params) -> Params:
    st.clock.advance(_float(p, "seconds"))
    for _ in range(5):  # let the timers that are now due run and queue their messages
        await asyncio.sleep(0)
    return {"station_time": format_time(st.clock.now())}


async def _get_state(st: StationCore, p: Params) -> Params:
    from conformance.reference.station.state import snapshot

    return snapshot(st)


_HANDLERS: dict[str, Callable[[StationCore, Params], Awaitable[Params]]] = {
    "plug_in": _plug_in,
    "unplug": _unplug,
    "present_id_token": _present_id_token,
    "ev_suspend": lambda st, p: _ev_suspend(st, p, True),
    "ev_resume": lambda st, p: _ev_suspend(st, p, False),
    "fault_connector": lambda st, p: _fault(st, p, True),
    "clear_fault": lambda st, p: _fault(st, p, False),
    "reboot": _reboot,
    "drop_connection": _drop,
    "go_offline": _go_offline,
    "go_online": _go_online,
    "advance_clock": _advance_clock,
    "parking_bay_occupied": lambda st, p: _parking(st, p, True),
    "parking_bay_unoccupied": lambda st, p: _parking(st, p, False),
    "get_state": _get_state,
}
assert set(_HANDLERS) == set(STATION_ACTIONS), "every station action has a handler"


def is_known(action: str) -> bool:
    return action in _HANDLERS


async def perform(st: StationCore, action: str, params: Params | None) -> Params:
    handler = _HANDLERS.get(action)
    if handler is None:
        raise ControlError(f"unknown action {action!r}; known: {', '.join(sorted(_HANDLERS))}")
    if params is not None and not isinstance(params, dict):
        raise ControlError("params must be a JSON object")
    return await handler(st, dict(params or {}))

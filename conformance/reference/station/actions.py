"""The station actions (`conformance.drivers.actions.STATION_ACTIONS`) performed inside the station's loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from conformance.drivers.actions import STATION_ACTIONS
from conformance.errors import HarnessError
from conformance.reference.station import auth, operator_ui, reservations, transactions
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
    refused = operator_ui.plug_in_refused(st, evse)  # AQ-2 (TC_C_05_CS): a cable lock, described only
    if refused is not None:
        return {"changed": False, "refused": refused}
    conn.plugged = True
    st.report_connector(evse, conn)
    transactions.on_plug_in(st, evse)
    return {"changed": True}


async def _unplug(st: StationCore, p: Params) -> Params:
    evse, conn = _connector(st, p)
    if not conn.plugged:
        return {"changed": False}
    conn.plugged = False
    if conn.ev_detached:  # E09 / E10: the EV left already (reported then); only the cable goes now
        conn.ev_detached, conn.locked_by = False, None
        st.report_connector(evse, conn)
        return {"changed": True}
    evse.ev_suspended = False
    st.report_connector(evse, conn)
    transactions.on_unplug(st, evse)
    return {"changed": True}


async def _ev_side_disconnect(st: StationCore, p: Params) -> Params:
    """E09 / E10: the cable leaves the EV, it stays in the station's socket (the connector stays Occupied)."""
    evse, conn = _connector(st, p)
    if not conn.plugged or conn.ev_detached:
        return {"changed": False}
    conn.ev_detached = True
    evse.ev_suspended = False
    token = evse.id_token
    transactions.on_unplug(st, evse, ev_side=True)
    if operator_ui.vendor_switch(st, "FixedCable"):
        # HFS-2 (TC_E_27_CS): a fixed cable has no socket; free of the EV, its connector is Available
        conn.plugged, conn.ev_detached, conn.locked_by = False, False, None
        st.report_connector(evse, conn)
        transactions.on_fixed_cable_released(st, evse)
        return {"changed": True, "locked": False}
    # E09 (TC_E_25_CS): UnlockOnEVSideDisconnect false keeps the cable locked until the idToken comes again
    unlock = st.dm.get_bool("OCPPCommCtrlr", "UnlockOnEVSideDisconnect")
    if evse.tx is None and token is not None and not unlock:
        conn.locked_by = token
    return {"changed": True, "locked": conn.locked_by is not None}


async def _ev_side_connect(st: StationCore, p: Params) -> Params:
    """E10 (TC_E_26_CS): the cable, still in the station's socket, is plugged into the EV again."""
    evse, conn = _connector(st, p)
    if not conn.plugged and operator_ui.vendor_switch(st, "FixedCable"):
        return await _plug_in(st, p)  # HFS-2: the fixed cable's connector goes back into the EV
    if not conn.ev_detached:
        return {"changed": False}
    conn.ev_detached, conn.locked_by = False, None
    transactions.on_plug_in(st, evse)
    return {"changed": True}


def _unlock_for(st: StationCore, p: Params, token: str) -> int | None:
    """E09 (TC_E_25_CS): the starting idToken presented again unlocks a cable the EV left; the EVSE id."""
    for evse in st.evses.values():
        if p.get("evse_id") is not None and evse.evse_id != p.get("evse_id"):
            continue
        for conn in evse.connectors:
            if conn.locked_by is not None and conn.locked_by.get("idToken") == token:
                conn.locked_by = None
                return evse.evse_id
    return None


async def _present_id_token(st: StationCore, p: Params) -> Params:
    token = p.get("id_token")
    if not isinstance(token, str) or not token:
        raise ControlError("parameter 'id_token' is required (a non-empty string)")
    kind = p.get("type", "ISO14443")
    if not isinstance(kind, str):
        raise ControlError("parameter 'type' must be a string")
    id_token = {"idToken": token, "type": kind}
    unlocked = _unlock_for(st, p, token)
    if unlocked is not None:
        return {"evse_id": unlocked, "result": "unlocked"}
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
    if auth.is_master_pass(st, info):  # C16: a Master Pass stops transactions, it never starts one
        return _master_pass(st, id_token, info)
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


def _master_pass(st: StationCore, id_token: dict[str, Any], info: dict[str, Any]) -> Params:
    """C16.FR.02 (no user interface, C-08): stop every ongoing transaction, stoppedReason MasterPass,
    reporting the Master Pass idToken; C16.FR.03: it authorizes no transaction of its own.
    C16.FR.01 (a user interface, C-07, described only): the user chooses (choose_transactions_to_stop)."""
    if operator_ui.has_master_pass_ui(st):
        offered = operator_ui.offer_choice(st, id_token)
        return {"result": "master-pass-choice", "offered_evses": offered, "idTokenInfo": info}
    stopped = []
    for evse in st.evses.values():
        if evse.tx is None:
            continue
        evse.tx.id_token, evse.tx.id_token_sent = id_token, False
        transactions.on_stop_authorized(st, evse, "StopAuthorized", "MasterPass")
        stopped.append(evse.evse_id)
    return {"result": "master-pass", "stopped_evses": stopped, "idTokenInfo": info}


async def _choose_transactions_to_stop(st: StationCore, p: Params) -> Params:
    """C16.FR.01 (C-07): on the Master Pass UI the user selects the transactions to stop."""
    try:
        return {"stopped_evses": operator_ui.stop_chosen(st, p.get("evse_ids"))}
    except ValueError as exc:
        raise ControlError(str(exc)) from None


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


async def _store_customer_identifier(st: StationCore, p: Params) -> Params:
    """TC_N_62_CS Memory State: customer data kept under a customerIdentifier (N09 / N10 report it)."""
    from conformance.reference.station.customer import customer_records

    identifier = p.get("customer_identifier")
    if not isinstance(identifier, str) or not identifier or len(identifier) > 64:
        raise ControlError("parameter 'customer_identifier' must be a string of 1-64 characters")
    lines = customer_records(st).setdefault(identifier, [])
    lines.append(f"customerIdentifier {identifier}: customer record stored {format_time(st.clock.now())}")
    return {"records": len(lines)}


_EXTERNAL_SOURCES = ("EMS", "Other", "SO")  # ChargingLimitSourceEnumType without CSO: not external


def _limit_evse(st: StationCore, p: Params) -> int:
    evse_id = _int(p, "evse_id", 0)
    if evse_id != 0 and evse_id not in st.evses:
        raise ControlError(f"unknown EVSE {evse_id} (this station has EVSEs {sorted(st.evses)}; 0: the grid)")
    return evse_id


async def _set_external_limit(st: StationCore, p: Params) -> Params:
    """K12 / K13: an external limit, applied in the composite schedule and notified (smart_charging)."""
    from conformance.reference.station import smart_charging

    evse_id = _limit_evse(st, p)
    limit, unit, source = p.get("limit"), p.get("unit", "A"), p.get("source", "EMS")
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
        raise ControlError(f"parameter 'limit' must be a number >= 0, got {limit!r}")
    if unit not in ("A", "W"):
        raise ControlError(f"parameter 'unit' must be A or W, got {unit!r}")
    if source not in _EXTERNAL_SOURCES:
        raise ControlError(
            f"parameter 'source' must be one of {', '.join(_EXTERNAL_SOURCES)}, got {source!r}"
        )
    prof = smart_charging.set_external_limit(st, evse_id, float(limit), str(unit), str(source))
    return {"charging_profile_id": prof["id"]}


async def _clear_external_limit(st: StationCore, p: Params) -> Params:
    from conformance.reference.station import smart_charging

    return {"cleared": smart_charging.clear_external_limit(st, _limit_evse(st, p))}


async def _ev_charging_needs(st: StationCore, p: Params) -> Params:
    """K15 / K17: NotifyEVChargingNeedsRequest for the plugged-in EV; returns the CSMS's status."""
    from conformance.reference.station import iso15118
    from conformance.reference.station.outbox import CallFailed, Offline

    evse = _evse(st, p)
    if not iso15118.ev_present(evse):
        raise ControlError(f"no EV is plugged in at EVSE {evse.evse_id}")
    if p.get("energy_transfer", "AC_three_phase") not in iso15118.TRANSFER_MODES:
        raise ControlError(f"parameter 'energy_transfer' must be one of {', '.join(iso15118.TRANSFER_MODES)}")
    numbers = ("energy_amount", "ev_min_current", "ev_max_current", "ev_max_voltage", "max_schedule_tuples")
    for name in numbers:
        if name in p and (isinstance(p[name], bool) or not isinstance(p[name], int) or p[name] < 0):
            raise ControlError(f"parameter '{name}' must be a non-negative integer, got {p[name]!r}")
    if p.get("departure_in") is not None:
        _float(p, "departure_in")
    request = iso15118.charging_needs_request(st, evse, p)
    try:
        response = await st.outbox.call("NotifyEVChargingNeeds", request)
    except (Offline, CallFailed) as exc:
        raise ControlError(f"NotifyEVChargingNeedsRequest got no answer: {exc}") from None
    status = str(response.get("status"))
    iso15118.answered(st, evse.evse_id, status)
    return {"status": status}


async def _get_state(st: StationCore, p: Params) -> Params:
    from conformance.reference.station.state import snapshot

    return snapshot(st)


_HANDLERS: dict[str, Callable[[StationCore, Params], Awaitable[Params]]] = {
    "plug_in": _plug_in,
    "unplug": _unplug,
    "ev_side_disconnect": _ev_side_disconnect,
    "ev_side_connect": _ev_side_connect,
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
    "store_customer_identifier": _store_customer_identifier,
    "set_external_limit": _set_external_limit,
    "clear_external_limit": _clear_external_limit,
    "ev_charging_needs": _ev_charging_needs,
    "get_state": _get_state,
    "choose_transactions_to_stop": _choose_transactions_to_stop,
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

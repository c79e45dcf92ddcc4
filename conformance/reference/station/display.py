"""Block O of the reference station: display messages (O01-O04, O06; TC_O_*_CS) and block I CostUpdated.

Messages live in memory, keyed by id; DisplayMessageCtrlr.DisplayMessages reads the live count.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from conformance.reference.station.device_model import ComponentKey, VariableKey

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


@dataclass
class DisplayState:
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> MessageInfoType
    costs: list[tuple[str, float]] = field(default_factory=list)  # I: (transactionId, totalCost)


_STATES: weakref.WeakKeyDictionary[StationCore, DisplayState] = weakref.WeakKeyDictionary()


def state(st: StationCore) -> DisplayState:
    found = _STATES.get(st)
    if found is None:
        found = _STATES[st] = DisplayState()
        var = st.dm.variable(ComponentKey("DisplayMessageCtrlr"), VariableKey("DisplayMessages"))
        if var is not None:
            var.dynamic = lambda: str(len(found.messages))
    return found


def _tx_known(st: StationCore, tx_id: str) -> bool:
    return any(e.tx is not None and e.tx.transaction_id == tx_id for e in st.evses.values())


# -- O01 / O02 / O06 SetDisplayMessage ---------------------------------------------------------------
def set_display_message(st: StationCore, req: dict[str, Any]) -> str:
    message = dict(req["message"])
    formats = st.dm.get_list("DisplayMessageCtrlr", "SupportedFormats")
    priorities = st.dm.get_list("DisplayMessageCtrlr", "SupportedPriorities")
    if message["message"]["format"] not in formats:
        return "NotSupportedMessageFormat"  # TC_O_19_CS
    if message["priority"] not in priorities:
        return "NotSupportedPriority"  # TC_O_17_CS
    tx_id = message.get("transactionId")
    unknown = tx_id is not None and not _tx_known(st, str(tx_id))
    if unknown and not st.is_mutant("display-unknown-tx-accepted"):
        return "UnknownTransaction"  # TC_O_10_CS: no such transaction running
    # O01/O06: a message with an existing id replaces it.
    state(st).messages[int(message["id"])] = message
    return "Accepted"


# -- O03 / O04 GetDisplayMessages --------------------------------------------------------------------
def _expire(st: StationCore) -> None:
    """O01: a message whose endDateTime has passed (station clock) is removed (TC_O_14_CS)."""
    now = st.clock.now()
    messages = state(st).messages
    for msg_id, msg in list(messages.items()):
        end = _parse_time(msg.get("endDateTime"))
        if end is not None and end <= now:
            del messages[msg_id]


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def matching(st: StationCore, req: dict[str, Any]) -> list[dict[str, Any]]:
    _expire(st)
    ids = req.get("id")
    priority, wanted_state = req.get("priority"), req.get("state")
    out = []
    for msg_id, msg in sorted(state(st).messages.items()):
        if ids and msg_id not in ids:
            continue
        if priority is not None and msg.get("priority") != priority:
            continue
        if wanted_state is not None and msg.get("state") != wanted_state:
            continue
        out.append(msg)
    return out


def get_display_messages(st: StationCore, req: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    found = matching(st, req)
    if st.is_mutant("display-get-ignores-filter"):  # TC_O_07/08/09_CS broken on purpose
        found = [m for _, m in sorted(state(st).messages.items())]
    return ("Accepted" if found else "Unknown"), found


def notify_display_messages(st: StationCore, request_id: int, found: list[dict[str, Any]]) -> None:
    """NotifyDisplayMessages in chunks (tbc on all but the last), with the request's requestId."""
    chunk = 10
    for start in range(0, len(found), chunk):
        part = found[start : start + chunk]
        payload: dict[str, Any] = {"requestId": request_id, "messageInfo": part}
        if start + chunk < len(found):
            payload["tbc"] = True
        st.outbox.post("NotifyDisplayMessages", payload)


# -- O05 ClearDisplayMessage -------------------------------------------------------------------------
def clear_display_message(st: StationCore, req: dict[str, Any]) -> str:
    msg_id = int(req["id"])
    messages = state(st).messages
    if msg_id not in messages:
        return "Unknown"
    if not st.is_mutant("display-clear-kept"):  # TC_O_04_CS broken on purpose
        del messages[msg_id]
    return "Accepted"


# -- I02 CostUpdated ---------------------------------------------------------------------------------
def cost_updated(st: StationCore, req: dict[str, Any]) -> None:
    """Accept and record (this station has no display to show the running cost on)."""
    state(st).costs.append((str(req["transactionId"]), float(req["totalCost"])))

"""Optional hardware of the reference station that a SUT description switches on (default off).

Vendor switches on component ReferenceStation (tests/descriptions), read when the behaviour is used:
- `CableLock` (AQ-2, TC_C_05_CS): a cable lock keeps the socket closed until an idToken is authorized,
  so the EV cannot be connected before authorization (`plug_in` is refused, nothing is reported).
- `MasterPassUI` (C-07, TC_C_47/48_CS): a user interface. A Master Pass then stops nothing by itself
  (C16.FR.01): the station offers the ongoing transactions and stops those the user chooses, through
  the control action `choose_transactions_to_stop` (`evse_ids`: a list of EVSE ids or "all").
- `FixedCable` (HFS-2, TC_E_27_CS; actions.py / transactions.py): an EV-side disconnect frees the
  connector (Available); EVConnectionTimeOut then deauthorizes the suspended transaction (E10.FR.02).
- `NoEnergyTransferStartPoint` (NOT C-09.5, TC_E_38_CS; device_model.py): TxStartPoint lacks EnergyTransfer.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance.reference.station import transactions

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore
    from conformance.reference.station.model import Evse


def vendor_switch(st: StationCore, name: str) -> bool:
    """ReferenceStation.<name> as the description set it; absent or not a boolean: off."""
    try:
        return st.dm.get("ReferenceStation", name).strip().lower() == "true"
    except KeyError:
        return False


# -- AQ-2 cable lock ----------------------------------------------------------------------------------
def plug_in_refused(st: StationCore, evse: Evse) -> str | None:
    """Why the cable lock keeps the socket closed at `evse`, or None when the EV may be connected: it
    opens for an authorized idToken or an ongoing transaction; with authorization disabled it never locks."""
    if not vendor_switch(st, "CableLock") or evse.id_token is not None or evse.tx is not None:
        return None
    try:
        if not st.dm.get_bool("AuthCtrlr", "Enabled"):
            return None
    except KeyError:
        pass
    return "the cable lock keeps the socket closed until an idToken is authorized (AQ-2)"


# -- C-07 Master Pass with a user interface -----------------------------------------------------------
@dataclass
class _MasterPassChoice:
    id_token: dict[str, Any]
    offered: list[int]  # EVSE ids with an ongoing transaction when the Master Pass was presented


_PENDING: weakref.WeakKeyDictionary[StationCore, _MasterPassChoice] = weakref.WeakKeyDictionary()


def has_master_pass_ui(st: StationCore) -> bool:
    return vendor_switch(st, "MasterPassUI")


def offer_choice(st: StationCore, id_token: dict[str, Any]) -> list[int]:
    """C16.FR.01: the Master Pass was accepted; the UI lists the ongoing transactions (their EVSE ids)."""
    offered = [evse.evse_id for evse in st.evses.values() if evse.tx is not None]
    _PENDING[st] = _MasterPassChoice(dict(id_token), offered)
    return offered


class NoChoicePending(ValueError):
    """choose_transactions_to_stop without a Master Pass presented (or the choice was made already)."""


def stop_chosen(st: StationCore, evse_ids: Any) -> list[int]:
    """Stop the transactions the user selected on the UI: stoppedReason MasterPass, reporting the Master
    Pass idToken. Returns the EVSE ids stopped. Raises NoChoicePending / ValueError on a bad choice."""
    pending = _PENDING.get(st)
    if pending is None:
        raise NoChoicePending("no Master Pass choice is pending: present the Master Pass idToken first")
    if evse_ids == "all":
        chosen = list(pending.offered)
    elif isinstance(evse_ids, list) and evse_ids and all(type(i) is int for i in evse_ids):
        unknown = [i for i in evse_ids if i not in pending.offered]
        if unknown:
            raise ValueError(f"EVSE(s) {unknown} had no ongoing transaction; offered: {pending.offered}")
        chosen = list(dict.fromkeys(evse_ids))
    else:
        raise ValueError(
            f"parameter 'evse_ids' must be \"all\" or a non-empty list of EVSE ids, got {evse_ids!r}"
        )
    del _PENDING[st]
    if st.is_mutant("master-pass-ui-stops-all"):  # C16.FR.01 / TC_C_48_CS broken on purpose
        chosen = list(pending.offered)
    reason = "Local" if st.is_mutant("master-pass-ui-wrong-reason") else "MasterPass"  # TC_C_47/48_CS
    stopped = []
    for evse_id in chosen:
        evse = st.evses[evse_id]
        if evse.tx is None:
            continue
        evse.tx.id_token, evse.tx.id_token_sent = pending.id_token, False
        transactions.on_stop_authorized(st, evse, "StopAuthorized", reason)
        stopped.append(evse_id)
    return stopped

"""The station's physical state: EVSEs, connectors, transactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Connector:
    evse_id: int
    connector_id: int
    connector_type: str
    plugged: bool = False
    # E09/E10 (TC_E_17/20/24-26/37_CS): the cable was pulled out at the EV side; it is still in this
    # station-side socket (Occupied), but no EV is connected. `locked`: UnlockOnEVSideDisconnect false
    # keeps it locked until the starting idToken is presented again.
    ev_detached: bool = False
    locked_by: dict[str, Any] | None = None
    faulted: bool = False
    operative: bool = True
    last_reported: str | None = None  # last ConnectorStatus sent in a StatusNotification

    def status(self, evse_operative: bool, station_operative: bool, reserved: bool = False) -> str:
        if self.faulted:
            return "Faulted"
        if not (self.operative and evse_operative and station_operative):
            return "Unavailable"
        if self.plugged:
            return "Occupied"
        return "Reserved" if reserved else "Available"


@dataclass
class Transaction:
    transaction_id: str
    evse_id: int
    connector_id: int
    seq_no: int = 0
    remote_start_id: int | None = None
    id_token: dict[str, Any] | None = None
    id_token_sent: bool = False
    evse_sent: bool = False
    charging_state: str = "Idle"
    deauthorized: bool = False
    # E06 (TC_E_14/19_CS): how the authorization ended (Local / Remote), the stoppedReason of a later end
    stop_reason: str | None = None
    # J01/J02: readings taken every {Aligned,Sampled}DataCtrlr.TxEndedInterval, sent in the Ended event
    ended_meter: list[dict[str, Any]] = field(default_factory=list)
    # E05 / C-03 (TC_C_15_CS): the energy register at the start, for TxCtrlr.MaxEnergyOnInvalidId
    start_wh: float = 0.0

    def next_seq(self) -> int:
        seq = self.seq_no
        self.seq_no += 1
        return seq


@dataclass
class Evse:
    evse_id: int
    connectors: list[Connector]
    power_w: float
    operative: bool = True
    pending_inoperative: bool = False  # ChangeAvailability Scheduled while a transaction runs
    parking_occupied: bool = False
    ev_suspended: bool = False
    id_token: dict[str, Any] | None = None  # the authorization currently valid on this EVSE
    # C09: (the authorizing idToken, its idTokenInfo.groupIdToken); honoured while id_token is that token
    token_group: tuple[dict[str, Any], dict[str, Any]] | None = None
    remote_start_id: int | None = None
    reservation: dict[str, Any] | None = None  # the ReserveNowRequest being honoured
    reservation_used: int | None = None  # id of the reservation this authorization consumed
    tx: Transaction | None = None
    meter_wh: float = 0.0
    meter_since: float = 0.0  # station time of the last meter integration
    ended_txs: list[str] = field(default_factory=list)

    def connector(self, connector_id: int) -> Connector | None:
        return next((c for c in self.connectors if c.connector_id == connector_id), None)

    @property
    def plugged(self) -> bool:
        return any(c.plugged and not c.ev_detached for c in self.connectors)

    def plugged_connector_id(self) -> int:
        return next((c.connector_id for c in self.connectors if c.plugged and not c.ev_detached), 1)

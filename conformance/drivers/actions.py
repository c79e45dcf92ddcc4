"""The action vocabulary shared by every driver and by the reference SUTs' control APIs.

Station actions are physical or manual events at a charging station under test (Part 6's
"Manual Action" steps). Operator actions make a CSMS under test send one OCPP request to the
harness's station; they are named by that request's action, and their params carry the station id
and the request the operator is asked to make (a real CSMS decides the details itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True)
class ActionSpec:
    name: str
    summary: str
    params: dict[str, str] = field(default_factory=dict)  # name -> "type, meaning"


def _station(name: str, summary: str, **params: str) -> ActionSpec:
    return ActionSpec(name, summary, dict(params))


STATION_ACTIONS: Final[dict[str, ActionSpec]] = {
    spec.name: spec
    for spec in (
        _station("plug_in", "connect an EV's cable", evse_id="int", connector_id="int, default 1"),
        _station("unplug", "disconnect the EV's cable", evse_id="int", connector_id="int, default 1"),
        _station(
            "present_id_token",
            "present an id token at the station (RFID card, ISO 15118 contract, ...)",
            id_token="str",
            type="str IdTokenEnumType, default ISO14443",
            evse_id="int or null",
        ),
        _station("ev_suspend", "the EV stops drawing energy (SuspendedEV)", evse_id="int"),
        _station("ev_resume", "the EV draws energy again", evse_id="int"),
        _station("fault_connector", "put a connector in Faulted", evse_id="int", connector_id="int"),
        _station("clear_fault", "clear a connector's fault", evse_id="int", connector_id="int"),
        _station("reboot", "power cycle the station"),
        _station("drop_connection", "drop the websocket; the station reconnects by itself"),
        _station("go_offline", "stay offline for N seconds, queueing messages", seconds="float"),
        _station("go_online", "end an offline period now"),
        _station("advance_clock", "advance the station's clock, firing due intervals", seconds="float"),
        _station("parking_bay_occupied", "the parking bay detector sees a car", evse_id="int"),
        _station("parking_bay_unoccupied", "the parking bay detector sees no car", evse_id="int"),
        _station("get_state", "a snapshot of the station's state (reference station only)"),
    )
}

# Operator actions: OCPP requests a CSMS can be asked to send to a station.
CSMS_INITIATED_ACTIONS: Final[tuple[str, ...]] = (
    "CancelReservation",
    "CertificateSigned",
    "ChangeAvailability",
    "ClearCache",
    "ClearChargingProfile",
    "ClearDisplayMessage",
    "ClearVariableMonitoring",
    "CostUpdated",
    "CustomerInformation",
    "DataTransfer",
    "DeleteCertificate",
    "GetBaseReport",
    "GetChargingProfiles",
    "GetCompositeSchedule",
    "GetDisplayMessages",
    "GetInstalledCertificateIds",
    "GetLocalListVersion",
    "GetLog",
    "GetMonitoringReport",
    "GetReport",
    "GetTransactionStatus",
    "GetVariables",
    "InstallCertificate",
    "PublishFirmware",
    "RequestStartTransaction",
    "RequestStopTransaction",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "SetDisplayMessage",
    "SetMonitoringBase",
    "SetMonitoringLevel",
    "SetNetworkProfile",
    "SetVariableMonitoring",
    "SetVariables",
    "TriggerMessage",
    "UnlockConnector",
    "UnpublishFirmware",
    "UpdateFirmware",
)

OPERATOR_ACTIONS: Final[dict[str, ActionSpec]] = {
    name: ActionSpec(
        name,
        f"make the CSMS send a {name}Request to the station",
        {"station_id": "str", "request": "dict: the request the operator asks for (camelCase OCPP payload)"},
    )
    for name in CSMS_INITIATED_ACTIONS
}
# Configuration of a CSMS under test that Part 6 presumes (e.g. "CSMS responds Pending").
OPERATOR_ACTIONS["configure_boot_status"] = ActionSpec(
    "configure_boot_status",
    "make the CSMS answer the station's next BootNotification with this status",
    {"station_id": "str", "status": "Accepted | Pending | Rejected", "interval": "int seconds"},
)
OPERATOR_ACTIONS["get_state"] = ActionSpec(
    "get_state", "a snapshot of the CSMS's records (reference CSMS only)"
)

ALL_ACTIONS: Final[frozenset[str]] = frozenset(STATION_ACTIONS) | frozenset(OPERATOR_ACTIONS)

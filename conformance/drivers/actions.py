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
        # E09 / E10 (TC_E_17/20/24-26/37_CS): a detachable cable pulled out / put back at the EV side only
        _station(
            "ev_side_disconnect",
            "pull the cable out of the EV; it stays in the station's socket",
            evse_id="int",
            connector_id="int, default 1",
        ),
        _station(
            "ev_side_connect",
            "plug the cable (still in the station's socket) back into the EV",
            evse_id="int",
            connector_id="int, default 1",
        ),
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
        # N09 / N10 (TC_N_62_CS Memory State): customer data the station keeps under a customerIdentifier
        _station(
            "store_customer_identifier",
            "store customer data under a customerIdentifier at the station",
            customer_identifier="str",
        ),
        # K12 / K13: an external system (EMS, DSO, ...) imposes or releases a charging limit
        _station(
            "set_external_limit",
            "an external system imposes a charging limit on an EVSE (0: the grid connection)",
            evse_id="int, default 0",
            limit="number, >= 0",
            unit="str A | W, default A",
            source="str EMS | Other | SO, default EMS",
        ),
        _station("clear_external_limit", "the external system releases its limit", evse_id="int, default 0"),
        # K15 / K17 (ISO 15118): the EV states its charging needs (ChargeParameterDiscoveryReq)
        _station(
            "ev_charging_needs",
            "the plugged-in EV (ISO 15118) states its charging needs; returns the CSMS's status",
            evse_id="int",
            energy_transfer="str EnergyTransferModeEnumType, default AC_three_phase",
            energy_amount="int Wh, default 20000",
            ev_min_current="int A (AC), default 6",
            ev_max_current="int A, default 32",
            ev_max_voltage="int V, default 400",
            departure_in="float seconds from now, optional",
            max_schedule_tuples="int, optional",
        ),
        _station("get_state", "a snapshot of the station's state (reference station only)"),
        # C16.FR.01 (C-07, TC_C_47/48_CS): after a Master Pass, the user selects on the station's UI
        _station(
            "choose_transactions_to_stop",
            "on the Master Pass user interface, select the transactions to stop",
            evse_ids='list of int (EVSE ids) or "all"',
        ),
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
# A05 / TC_A_19_CSMS: the CSMS sends a SetNetworkProfileRequest for its own endpoint at a higher profile.
OPERATOR_ACTIONS["upgrade_security_profile"] = ActionSpec(
    "upgrade_security_profile",
    "make the CSMS send a SetNetworkProfileRequest for its endpoint at a higher security profile (A05)",
    {
        "station_id": "str",
        "configuration_slot": "int, the station's slot to set",
        "security_profile": "int, the new security profile (the configured one + 1)",
    },
)
# Clean-up after TC_A_19_CSMS (not OCPP): A05 forbids downgrading, so only the operator can undo it.
OPERATOR_ACTIONS["restore_security_profile"] = ActionSpec(
    "restore_security_profile",
    "let the station connect at its configured security profile again (undo an A05 upgrade)",
    {"station_id": "str"},
)
OPERATOR_ACTIONS["get_state"] = ActionSpec(
    "get_state", "a snapshot of the CSMS's records (reference CSMS only)"
)

ALL_ACTIONS: Final[frozenset[str]] = frozenset(STATION_ACTIONS) | frozenset(OPERATOR_ACTIONS)

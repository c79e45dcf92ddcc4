"""The station's device model (Part 2 appendix 3 standard components and variables, Core subset).

Only the Actual attribute is supported. Names and data types follow the appendix table
(dm_components_vars.csv); mutability and defaults are this station's choices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance.reference.station.config import StationConfig

MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
TX_POINTS = "EVConnected,Authorized,PowerPathClosed,EnergyTransfer,ParkingBayOccupancy"


@dataclass(frozen=True)
class ComponentKey:
    name: str
    instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None

    def to_ocpp(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.instance is not None:
            out["instance"] = self.instance
        if self.evse_id is not None:
            evse: dict[str, Any] = {"id": self.evse_id}
            if self.connector_id is not None:
                evse["connectorId"] = self.connector_id
            out["evse"] = evse
        return out


@dataclass(frozen=True)
class VariableKey:
    name: str
    instance: str | None = None

    def to_ocpp(self) -> dict[str, Any]:
        return {"name": self.name} | ({"instance": self.instance} if self.instance is not None else {})


@dataclass
class Variable:
    data_type: str  # string, decimal, integer, dateTime, boolean, OptionList, SequenceList, MemberList
    mutability: str  # ReadOnly, WriteOnly, ReadWrite
    value: str = ""
    unit: str | None = None
    values_list: str | None = None
    reboot_required: bool = False
    dynamic: Callable[[], str] | None = field(default=None, repr=False)  # computed on read

    def read(self) -> str:
        return self.dynamic() if self.dynamic is not None else self.value


def _v(data_type: str, mutability: str, value: str = "", **kw: Any) -> Variable:
    return Variable(data_type, mutability, value, **kw)


RO, RW, WO = "ReadOnly", "ReadWrite", "WriteOnly"
_PRIORITIES = "AlwaysFront,InFront,NormalCycle"  # MessagePriorityEnumType (DisplayMessageCtrlr)
# ConnectorStatusEnumType: an OptionList needs its valuesList in reports (TC_B_12/13/53_CS).
_STATES = "Available,Occupied,Reserved,Unavailable,Faulted"
_DATA_ENUM = {
    "string",
    "decimal",
    "integer",
    "dateTime",
    "boolean",
    "OptionList",
    "SequenceList",
    "MemberList",
}


def _start_point_values(config: StationConfig) -> str:
    """TxStartPoint's valuesList. Vendor switch ReferenceStation.NoEnergyTransferStartPoint (NOT C-09.5,
    TC_E_38_CS): a station that cannot start a transaction at EnergyTransfer lacks the value."""
    points = f"{TX_POINTS},DataSigned"
    switch = config.device_model.get("ReferenceStation/NoEnergyTransferStartPoint", "")
    if switch.strip().lower() == "true":
        points = ",".join(p for p in points.split(",") if p != "EnergyTransfer")
    return points


def _controllers(config: StationConfig) -> dict[str, dict[VariableKey | str, Variable]]:
    return {
        "OCPPCommCtrlr": {
            "HeartbeatInterval": _v("integer", RW, "0", unit="s"),
            # ReadOnly: Part 2 sets it through the NetworkConnectionProfile (TC_B_39_CS writes it).
            # The timeout the station really uses (StationConfig.response_timeout): E13 retry timing
            # (TC_E_41/42_CS) is MessageAttemptInterval * n + this value.
            VariableKey("MessageTimeout", "Default"): _v(
                "integer", RO, str(max(1, round(config.response_timeout))), unit="s"
            ),
            VariableKey("MessageAttempts", "TransactionEvent"): _v("integer", RW, "3"),
            VariableKey("MessageAttemptInterval", "TransactionEvent"): _v("integer", RW, "10"),
            "NetworkConfigurationPriority": _v("string", RW, "0", reboot_required=True),
            "NetworkProfileConnectionAttempts": _v("integer", RW, "3"),
            "OfflineThreshold": _v("integer", RW, "60", unit="s"),
            "ResetRetries": _v("integer", RW, "2"),
            # Part 4 5.3 reconnect back-off (core.py, TC_B_57_CS). WaitMinimum 0 keeps the reference's
            # short fixed retry (StationConfig.reconnect_backoff) unless a case configures a real one.
            "RetryBackOffWaitMinimum": _v("integer", RW, "0", unit="s"),
            "RetryBackOffRepeatTimes": _v("integer", RW, "2"),
            "RetryBackOffRandomRange": _v("integer", RW, "0", unit="s"),
            "UnlockOnEVSideDisconnect": _v("boolean", RW, "true"),
            "FileTransferProtocols": _v("MemberList", RO, "HTTP,HTTPS", values_list="HTTP,HTTPS"),
            "QueueAllMessages": _v("boolean", RW, "false"),
            # J01.FR.21 / J02.FR.21 (meter_signing.py): the public key sent with signed meter values
            "PublicKeyWithSignedMeterValue": _v(
                "OptionList", RW, "EveryMeterValue", values_list="Never,OncePerTransaction,EveryMeterValue"
            ),
        },
        "SecurityCtrlr": {
            "SecurityProfile": _v("integer", RO, str(config.security_profile)),
            "OrganizationName": _v("string", RW, "ocpp-conformance"),
            "CertificateEntries": _v("integer", RO, "0"),
            "Identity": _v("identifierString", RW, config.station_id, reboot_required=True),
            "BasicAuthPassword": _v("passwordString", WO, ""),
            # A02 / TC_A_23_CS (certificates.py): resend SignCertificate when no CertificateSigned comes.
            "CertSigningWaitMinimum": _v("integer", RW, "60", unit="s"),
            "CertSigningRepeatTimes": _v("integer", RW, "2"),
            # M05 / AS-2 (certificates.py): off by default; a SUT description switches it on
            "AdditionalRootCertificateCheck": _v("boolean", RO, "false"),
        },
        "AuthCtrlr": {
            "Enabled": _v("boolean", RW, "true"),
            "AuthorizeRemoteStart": _v("boolean", RW, "false"),
            "LocalAuthorizeOffline": _v("boolean", RW, "true"),
            "LocalPreAuthorize": _v("boolean", RW, "false"),
            "OfflineTxForUnknownIdEnabled": _v("boolean", RW, "false"),
            # C-58 (TC_E_52_CS): true = only the cache / local list authorize, never an AuthorizeRequest
            "DisableRemoteAuthorization": _v("boolean", RW, "false"),
            # C-08 (TC_C_45/49_CS): idTokens of this GroupId are a Master Pass; empty = none
            "MasterPassGroupId": _v("string", RW, ""),
        },
        "AuthCacheCtrlr": {
            "Enabled": _v("boolean", RW, "true"),
            "Available": _v("boolean", RO, "true"),
            "LifeTime": _v("integer", RW, "86400"),
            "Policy": _v("OptionList", RW, "LRU", values_list="LRU"),
            "DisablePostAuthorize": _v("boolean", RW, "false"),  # C-59 / TC_C_57_CS
        },
        "LocalAuthListCtrlr": {
            "Enabled": _v("boolean", RW, "true"),
            "Available": _v("boolean", RO, "true"),
            "Entries": _v("integer", RO, "0"),
            "ItemsPerMessage": _v("integer", RO, "100"),
            "BytesPerMessage": _v("integer", RO, "65536"),
        },
        "TxCtrlr": {
            "EVConnectionTimeOut": _v("integer", RW, "60", unit="s"),
            "StopTxOnEVSideDisconnect": _v("boolean", RW, "true"),
            "StopTxOnInvalidId": _v("boolean", RW, "true"),
            "MaxEnergyOnInvalidId": _v("integer", RW, "0"),
            # DataSigned: a start point only (E01.FR.04, TC_E_11_CS); C-10 has no DataSigned stop point
            "TxStartPoint": _v("MemberList", RW, "PowerPathClosed", values_list=_start_point_values(config)),
            "TxStopPoint": _v("MemberList", RW, "EVConnected,Authorized", values_list=TX_POINTS),
            "TxBeforeAcceptedEnabled": _v("boolean", RW, "false"),
        },
        "SampledDataCtrlr": {
            "Enabled": _v("boolean", RW, "true"),
            "Available": _v("boolean", RO, "true"),
            "TxStartedMeasurands": _v(
                "MemberList", RW, "Energy.Active.Import.Register", values_list=MEASURANDS
            ),
            "TxUpdatedMeasurands": _v(
                "MemberList", RW, "Energy.Active.Import.Register,Power.Active.Import", values_list=MEASURANDS
            ),
            "TxUpdatedInterval": _v("integer", RW, "60", unit="s"),
            "TxEndedMeasurands": _v(
                "MemberList", RW, "Energy.Active.Import.Register", values_list=MEASURANDS
            ),
            "TxEndedInterval": _v("integer", RW, "0", unit="s"),
            "SignReadings": _v("boolean", RW, "false"),  # J02.FR.21 / TC_J_11_CS (meter_signing.py)
        },
        "AlignedDataCtrlr": {
            "Enabled": _v("boolean", RW, "true"),
            "Available": _v("boolean", RO, "true"),
            "Interval": _v("integer", RW, "0", unit="s"),
            "Measurands": _v("MemberList", RW, "Energy.Active.Import.Register", values_list=MEASURANDS),
            "SendDuringIdle": _v("boolean", RW, "false"),
            "SignReadings": _v("boolean", RW, "false"),  # J01.FR.21 / TC_J_04_CS (meter_signing.py)
            "TxEndedInterval": _v("integer", RW, "0", unit="s"),
            "TxEndedMeasurands": _v(
                "MemberList", RW, "Energy.Active.Import.Register", values_list=MEASURANDS
            ),
        },
        "ReservationCtrlr": {
            "Available": _v("boolean", RO, "true"),
            "Enabled": _v("boolean", RW, "true"),
            "NonEvseSpecific": _v("boolean", RO, "false"),
        },
        "SmartChargingCtrlr": {  # block K: reference/station/smart_charging.py
            "Available": _v("boolean", RO, "true"),
            "Enabled": _v("boolean", RW, "true"),
            VariableKey("Entries", "ChargingProfiles"): _v("integer", RO, "0"),
            "LimitChangeSignificance": _v("decimal", RW, "1.0", unit="Percent"),
            "PeriodsPerSchedule": _v("integer", RO, "24"),
            "ProfileStackLevel": _v("integer", RO, "8"),
            "RateUnit": _v("MemberList", RO, "A,W", values_list="A,W"),
            "ExternalControlSignalsEnabled": _v("boolean", RW, "false"),
            "NotifyChargingLimitWithSchedules": _v("boolean", RW, "true"),
        },
        "DeviceDataCtrlr": {
            VariableKey("ItemsPerMessage", "GetReport"): _v("integer", RO, "20"),
            VariableKey("ItemsPerMessage", "GetVariables"): _v("integer", RO, "20"),
            VariableKey("ItemsPerMessage", "SetVariables"): _v("integer", RO, "20"),
            VariableKey("BytesPerMessage", "GetReport"): _v("integer", RO, "65536"),
            VariableKey("BytesPerMessage", "GetVariables"): _v("integer", RO, "65536"),
            VariableKey("BytesPerMessage", "SetVariables"): _v("integer", RO, "65536"),
        },
        "ClockCtrlr": {
            "DateTime": _v("dateTime", RO),
            "TimeSource": _v("SequenceList", RW, "Heartbeat", values_list="Heartbeat,NTP"),
        },
        # Blocks O and I (display.py, CostUpdated): read by TC_O_*_CS / TC_I_*_CS.
        # N02-N08 variable monitoring (monitoring.py); Active* show what SetMonitoringBase/Level set.
        "MonitoringCtrlr": {
            "Enabled": _v("boolean", RW, "true"),
            "Available": _v("boolean", RO, "true"),
            VariableKey("ItemsPerMessage", "SetVariableMonitoring"): _v("integer", RO, "20"),
            VariableKey("ItemsPerMessage", "ClearVariableMonitoring"): _v("integer", RO, "20"),
            VariableKey("BytesPerMessage", "SetVariableMonitoring"): _v("integer", RO, "65536"),
            VariableKey("BytesPerMessage", "ClearVariableMonitoring"): _v("integer", RO, "65536"),
            "ActiveMonitoringBase": _v(
                "OptionList", RO, "All", values_list="All,FactoryDefault,HardWiredOnly"
            ),
            "ActiveMonitoringLevel": _v("integer", RO, "9"),
        },
        "DisplayMessageCtrlr": {
            "Available": _v("boolean", RO, "true"),
            "Enabled": _v("boolean", RW, "true"),
            "DisplayMessages": _v("integer", RO, "0"),
            "SupportedFormats": _v("MemberList", RO, "ASCII,UTF8,URI", values_list="ASCII,HTML,URI,UTF8"),
            "SupportedPriorities": _v("MemberList", RO, _PRIORITIES, values_list=_PRIORITIES),
        },
        "TariffCostCtrlr": {
            VariableKey("Available", "Tariff"): _v("boolean", RO, "true"),
            VariableKey("Available", "Cost"): _v("boolean", RO, "true"),
            VariableKey("Enabled", "Tariff"): _v("boolean", RW, "true"),
            VariableKey("Enabled", "Cost"): _v("boolean", RW, "true"),
            "Currency": _v("string", RW, "EUR"),
            "TariffFallbackMessage": _v("string", RW, "Standard tariff applies."),
            "TotalCostFallbackMessage": _v("string", RW, "Total cost unavailable."),
        },
    }


_Table = dict[ComponentKey, dict[VariableKey, Variable]]
_Own = dict[tuple[ComponentKey, VariableKey], Variable]
# Copy on write (issue 9: thousands of stations in one process): every station whose table has the same
# shape shares ONE table of default Variables; a station keeps in its own map the Variables whose value
# differs (its identity, serial number...) and copies a Variable there before changing it.
_TEMPLATES: dict[tuple[Any, ...], _Table] = {}


def _shape(table: _Table) -> tuple[Any, ...]:
    return tuple(
        (comp, vkey, v.data_type, v.mutability, v.unit, v.values_list, v.reboot_required)
        for comp, variables in table.items()
        for vkey, v in variables.items()
    )


def _shared(table: _Table) -> tuple[_Table, _Own]:
    """The shared template of `table`'s shape, and the Variables of `table` that differ from it."""
    template = _TEMPLATES.setdefault(_shape(table), table)
    if template is table:
        return table, {}
    own: _Own = {}
    for comp, variables in table.items():
        defaults = template[comp]
        for vkey, var in variables.items():
            if var.value != defaults[vkey].value:
                own[(comp, vkey)] = var
    return template, own


class DeviceModel:
    def __init__(self, config: StationConfig) -> None:
        self._vars: _Table = {}  # built here, then swapped for the shared template: never mutated after
        self._own: _Own = {}  # this station's own Variables: those that differ from the shared defaults
        self.mutant: str | None = None  # set by StationCore; block B mutants live in _read / _write
        # Told of every value written (monitoring.py evaluates its monitors); None: nobody listens.
        self.listener: Callable[[ComponentKey, VariableKey], None] | None = None
        for comp, variables in _controllers(config).items():
            self._vars[ComponentKey(comp)] = {
                (k if isinstance(k, VariableKey) else VariableKey(k)): v for k, v in variables.items()
            }
        self._vars[ComponentKey("ChargingStation")] = {
            VariableKey("AvailabilityState"): _v(
                "OptionList", RO, "Available", values_list="Available,Unavailable"
            ),
            VariableKey("Available"): _v("boolean", RO, "true"),
            VariableKey("Model"): _v("string", RO, config.model),
            # L01.FR.07 (firmware.py): false keeps idle EVSEs Unavailable while an install is pending
            VariableKey("AllowNewSessionsPendingFirmwareUpdate"): _v("boolean", RW, "false"),
            VariableKey("VendorName"): _v("string", RO, config.vendor_name),
            VariableKey("SupplyPhases"): _v("integer", RO, "3"),
        }
        for evse_id, evse in enumerate(config.evses, start=1):
            self._vars[ComponentKey("EVSE", evse_id=evse_id)] = {
                VariableKey("AvailabilityState"): _v("OptionList", RO, "Available", values_list=_STATES),
                VariableKey("Available"): _v("boolean", RO, "true"),
                VariableKey("Power"): _v("decimal", RO, f"{evse.power_w:g}", unit="W"),
                VariableKey("SupplyPhases"): _v("integer", RO, "3"),
            }
            for connector_id, ctype in enumerate(evse.connectors, start=1):
                self._vars[ComponentKey("Connector", evse_id=evse_id, connector_id=connector_id)] = {
                    VariableKey("AvailabilityState"): _v("OptionList", RO, "Available", values_list=_STATES),
                    VariableKey("Available"): _v("boolean", RO, "true"),
                    VariableKey("ConnectorType"): _v("string", RO, ctype),
                    VariableKey("SupplyPhases"): _v("integer", RO, "3"),
                }
        for key, value in config.device_model.items():
            comp_key, var_key = parse_override_key(key)
            var = self._vars.get(comp_key, {}).get(var_key)
            if var is None:
                # A lab's description may name variables this station lacks: add them as plain ones.
                self._vars.setdefault(comp_key, {})[var_key] = _v(_guess_type(value), RW, value)
            else:
                var.value = value
        self._vars, self._own = _shared(self._vars)

    def _lookup(self, comp: ComponentKey, vkey: VariableKey) -> Variable | None:
        own = self._own.get((comp, vkey)) if self._own else None
        return own if own is not None else self._vars.get(comp, {}).get(vkey)

    def _writable(self, comp: ComponentKey, vkey: VariableKey) -> Variable | None:
        """This station's own copy of the Variable, made on first write (the template stays untouched)."""
        own = self._own.get((comp, vkey))
        if own is None:
            base = self._vars.get(comp, {}).get(vkey)
            if base is None:
                return None
            own = self._own[(comp, vkey)] = dataclasses.replace(base)
        return own

    # -- lookups ---------------------------------------------------------------------------------
    def components(self) -> Iterator[ComponentKey]:
        return iter(self._vars)

    def items(self) -> Iterator[tuple[ComponentKey, VariableKey, Variable]]:
        own = self._own
        for comp, variables in self._vars.items():
            for vkey, var in variables.items():
                yield comp, vkey, own.get((comp, vkey), var) if own else var

    def variable(self, comp: ComponentKey, var: VariableKey) -> Variable | None:
        """The Variable, as this station's own copy: callers may change it (value, dynamic)."""
        return self._writable(comp, var)

    def has_component(self, comp: ComponentKey) -> bool:
        return comp in self._vars

    def get(self, component: str, variable: str, instance: str | None = None) -> str:
        """An internal read of a controller variable (no evse), e.g. get("TxCtrlr", "TxStartPoint")."""
        comp, vkey = ComponentKey(component), VariableKey(variable, instance)
        var = self._lookup(comp, vkey)
        if var is None:
            raise KeyError(f"{component}.{variable}")
        return var.read()

    def get_int(self, component: str, variable: str, instance: str | None = None) -> int:
        try:
            return int(self.get(component, variable, instance))
        except ValueError:
            return 0

    def get_bool(self, component: str, variable: str) -> bool:
        return self.get(component, variable).lower() == "true"

    def get_list(self, component: str, variable: str) -> list[str]:
        return [v for v in self.get(component, variable).split(",") if v]

    def set_internal(self, comp: ComponentKey, variable: str, value: str) -> None:
        var = self._writable(comp, VariableKey(variable))
        if var is None:
            raise KeyError(f"{comp.name}.{variable}")
        var.value = value
        if self.listener is not None:
            self.listener(comp, VariableKey(variable))

    # -- OCPP GetVariables / SetVariables ------------------------------------------------------
    def get_variable(self, item: dict[str, Any]) -> dict[str, Any]:
        comp = component_key(item["component"])
        vkey = VariableKey(item["variable"]["name"], item["variable"].get("instance"))
        attribute_type = item.get("attributeType", "Actual")
        result: dict[str, Any] = {
            "component": item["component"],
            "variable": item["variable"],
        }
        if "attributeType" in item:
            result["attributeType"] = attribute_type
        status, value = self._read(comp, vkey, attribute_type)
        result["attributeStatus"] = status
        if value is not None:
            result["attributeValue"] = value
        return result

    def _read(self, comp: ComponentKey, vkey: VariableKey, attribute_type: str) -> tuple[str, str | None]:
        status, value = self._read_checked(comp, vkey, attribute_type)
        if self.mutant == "getvariables-errors-as-rejected" and status != "Accepted":
            return "Rejected", None  # B06.FR.06-08 broken on purpose
        return status, value

    def _read_checked(
        self, comp: ComponentKey, vkey: VariableKey, attribute_type: str
    ) -> tuple[str, str | None]:
        if comp not in self._vars:
            return "UnknownComponent", None
        var = self._lookup(comp, vkey)
        if var is None:
            return "UnknownVariable", None
        if attribute_type != "Actual":
            return "NotSupportedAttributeType", None
        if var.mutability == WO:
            return "Rejected", None
        return "Accepted", var.read()

    def set_variable(self, item: dict[str, Any], *, readonly_accepted: bool = False) -> dict[str, Any]:
        comp = component_key(item["component"])
        vkey = VariableKey(item["variable"]["name"], item["variable"].get("instance"))
        attribute_type = item.get("attributeType", "Actual")
        result: dict[str, Any] = {"component": item["component"], "variable": item["variable"]}
        if "attributeType" in item:
            result["attributeType"] = attribute_type
        result["attributeStatus"] = self._write(
            comp, vkey, attribute_type, item["attributeValue"], readonly_accepted
        )
        return result

    def _write(
        self, comp: ComponentKey, vkey: VariableKey, attribute_type: str, value: str, ro_ok: bool
    ) -> str:
        status = self._write_checked(comp, vkey, attribute_type, value, ro_ok)
        broken = self.mutant == "setvariables-errors-as-rejected"
        if broken and status.startswith(("Unknown", "NotSupported")):
            return "Rejected"  # B05.FR.04-06 broken on purpose
        if self.mutant == "setvariables-always-reboot-required" and status == "Accepted" and not ro_ok:
            return "RebootRequired"  # B05.FR.10 broken on purpose: no reboot is needed
        return status

    def _write_checked(
        self, comp: ComponentKey, vkey: VariableKey, attribute_type: str, value: str, ro_ok: bool
    ) -> str:
        if comp not in self._vars:
            return "UnknownComponent"
        var = self._lookup(comp, vkey)
        if var is None:
            return "UnknownVariable"
        if attribute_type != "Actual":
            return "NotSupportedAttributeType"
        if var.mutability == RO:
            return "Accepted" if ro_ok else "Rejected"  # mutant setvariables-readonly-accepted
        if not valid_value(var, value) and self.mutant != "setvariables-no-type-check":  # B05.FR.07
            return "Rejected"
        if self.mutant == "setvariables-not-applied":
            return "Accepted"  # answered, but the value is not stored: broken on purpose
        var = self._writable(comp, vkey) or var
        var.value = value
        if self.listener is not None:
            self.listener(comp, vkey)
        return "RebootRequired" if var.reboot_required else "Accepted"

    # -- reports ---------------------------------------------------------------------------------
    def report_data(self, comp: ComponentKey, vkey: VariableKey, var: Variable) -> dict[str, Any]:
        attribute: dict[str, Any] = {"type": "Actual", "mutability": var.mutability, "persistent": True}
        attribute["constant"] = False
        if var.mutability != WO:
            attribute["value"] = var.read()[:2500]
        # identifierString / passwordString (appendix types) are reported as DataEnumType "string".
        data_type = var.data_type if var.data_type in _DATA_ENUM else "string"
        # Every variable takes monitors (monitoring.py): Delta / Periodic on any, thresholds on numbers.
        characteristics: dict[str, Any] = {"dataType": data_type, "supportsMonitoring": True}
        if var.unit:
            characteristics["unit"] = var.unit
        if var.values_list and self.mutant != "report-no-values-list":  # B07 / TC_B_12_CS, TC_B_53_CS
            characteristics["valuesList"] = var.values_list
        return {
            "component": comp.to_ocpp(),
            "variable": vkey.to_ocpp(),
            "variableAttribute": [attribute],
            "variableCharacteristics": characteristics,
        }


def valid_value(var: Variable, value: str) -> bool:
    if var.data_type == "integer":
        try:
            return int(value) >= 0
        except ValueError:
            return False
    if var.data_type == "decimal":
        try:
            float(value)
        except ValueError:
            return False
        return True
    if var.data_type == "boolean":
        return value in ("true", "false")
    if var.data_type in ("OptionList",) and var.values_list:
        return value in var.values_list.split(",")
    if var.data_type in ("MemberList", "SequenceList") and var.values_list:
        allowed = set(var.values_list.split(","))
        members = value.split(",") if value else []
        return all(m in allowed for m in members)
    return len(value) <= 1000


def _guess_type(value: str) -> str:
    if value in ("true", "false"):
        return "boolean"
    return "integer" if value.isdigit() else "string"


def component_key(component: dict[str, Any]) -> ComponentKey:
    evse = component.get("evse") or {}
    return ComponentKey(component["name"], component.get("instance"), evse.get("id"), evse.get("connectorId"))


def parse_override_key(key: str) -> tuple[ComponentKey, VariableKey]:
    """ "Comp[.inst][/evse[/conn]]/Var[.inst]" -> keys; raises ValueError on a malformed key."""
    parts = key.split("/")
    if len(parts) < 2:
        raise ValueError(f"device_model key {key!r}: expected Component/Variable")
    comp_name, _, comp_inst = parts[0].partition(".")
    numbers = [int(p) for p in parts[1:-1]]
    var_name, _, var_inst = parts[-1].partition(".")
    evse_id = numbers[0] if numbers else None
    connector_id = numbers[1] if len(numbers) > 1 else None
    return (
        ComponentKey(comp_name, comp_inst or None, evse_id, connector_id),
        VariableKey(var_name, var_inst or None),
    )

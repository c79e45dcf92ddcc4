"""Variable monitoring of the reference station (N02-N08): custom monitors and their events.

- SetVariableMonitoring (N04): one result per setMonitoringData, in order. UnknownComponent /
  UnknownVariable from the device model; Rejected for a severity outside 0..9, a negative Delta, a
  non-positive Periodic interval (ValuePositiveOnly), a period under MIN_PERIOD or a threshold outside
  the variable's range (ValueOutOfRange), or an id this station never gave out; UnsupportedMonitorType
  for a threshold on a non-numeric variable; Duplicate for a second monitor of the same type and
  severity on the same component-variable (N04.FR.10); a known id replaces that monitor.
- ClearVariableMonitoring (N06): Accepted / NotFound per id.
- SetMonitoringBase (N03): All keeps the custom monitors; FactoryDefault and HardWiredOnly remove them
  (this station has no preconfigured or hard-wired monitors of its own).
- SetMonitoringLevel (N05): severity 0..9, else Rejected (ValueTooHigh / ValueTooLow); events of monitors
  less severe (higher number) than the level are not reported.
- GetMonitoringReport (N02): NotifyMonitoringReport parts (seqNo, tbc) of the monitors matching
  componentVariable and monitoringCriteria, EmptyResultSet when none match.
- Events (N07 / N08): a device-model value change (SetVariables, or the station's own state such as a
  connector's AvailabilityState) is checked against the variable's monitors: UpperThreshold /
  LowerThreshold raise an Alerting NotifyEvent when crossed and a `cleared` one when back in range; Delta
  fires when a number moved by at least `value` from the last reported one, or on any change of a
  non-number; Periodic / PeriodicClockAligned report the value every `value` seconds of station time.
  MonitoringCtrlr.Enabled false silences every monitor.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.reference.station.device_model import ComponentKey, Variable, VariableKey, component_key

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

Payload = dict[str, Any]
THRESHOLDS = ("UpperThreshold", "LowerThreshold")
PERIODIC = ("Periodic", "PeriodicClockAligned")
CRITERIA = {
    "ThresholdMonitoring": THRESHOLDS,
    "DeltaMonitoring": ("Delta",),
    "PeriodicMonitoring": PERIODIC,
}
REPORT_ITEMS = 10  # monitored variables per NotifyMonitoringReportRequest
MAX_SEVERITY = 9
MIN_PERIOD = 1.0  # seconds: the shortest Periodic / PeriodicClockAligned interval accepted


@dataclass
class Monitor:
    monitor_id: int
    comp: ComponentKey
    var: VariableKey
    kind: str  # MonitorEnumType
    value: float
    severity: int
    transaction: bool
    reference: str = ""  # the value last reported (Delta) / seen when installed
    alerting: bool = False  # a threshold is crossed and not yet cleared
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def to_ocpp(self) -> Payload:
        return {
            "id": self.monitor_id,
            "transaction": self.transaction,
            "value": self.value,
            "type": self.kind,
            "severity": self.severity,
        }


@dataclass
class MonitoringState:
    monitors: dict[int, Monitor] = field(default_factory=dict)
    next_id: int = 1
    level: int = MAX_SEVERITY
    base: str = "All"


_STATES: weakref.WeakKeyDictionary[StationCore, MonitoringState] = weakref.WeakKeyDictionary()


def state(st: StationCore) -> MonitoringState:
    """The station's monitoring state; the first use makes the device model report value changes here."""
    found = _STATES.get(st)
    if found is None:
        found = _STATES[st] = MonitoringState()
        ref = weakref.ref(st)

        def changed(comp: ComponentKey, var: VariableKey) -> None:
            owner = ref()
            if owner is not None:
                value_changed(owner, comp, var)

        st.dm.listener = changed
    return found


# -- helpers ----------------------------------------------------------------------------------------
def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(var: Variable) -> bool:
    return var.data_type in ("integer", "decimal")


def _range(var: Variable) -> tuple[float, float | None]:
    """The variable's value range (minLimit, maxLimit): integers here are never negative; a power
    variable cannot exceed its (read-only) rating."""
    if var.data_type == "integer":
        return 0.0, None
    if var.unit == "W" and var.mutability == "ReadOnly":
        rating = _number(var.read())
        return 0.0, rating
    return float("-inf"), None


def _result(item: Payload, status: str, reason: str | None = None, monitor_id: int | None = None) -> Payload:
    out: Payload = {
        "status": status,
        "type": item["type"],
        "severity": item["severity"],
        "component": item["component"],
        "variable": item["variable"],
    }
    if monitor_id is not None:
        out["id"] = monitor_id
    if reason is not None:
        out["statusInfo"] = {"reasonCode": reason}
    return out


def _variable(st: StationCore, comp: ComponentKey, vkey: VariableKey) -> Variable | None:
    return next((v for c, k, v in st.dm.items() if c == comp and k == vkey), None)


# -- N04 SetVariableMonitoring ----------------------------------------------------------------------
def set_variable_monitoring(st: StationCore, req: Payload) -> Payload:
    return {"setMonitoringResult": [_set_one(st, dict(item)) for item in req["setMonitoringData"]]}


def _set_one(st: StationCore, item: Payload) -> Payload:
    mon = state(st)
    comp = component_key(item["component"])
    vkey = VariableKey(item["variable"]["name"], item["variable"].get("instance"))
    if not st.dm.has_component(comp):
        return _result(item, "UnknownComponent")
    var = _variable(st, comp, vkey)
    if var is None:
        return _result(item, "UnknownVariable")
    kind, value, severity = str(item["type"]), float(item["value"]), int(item["severity"])
    if not 0 <= severity <= MAX_SEVERITY:
        return _result(item, "Rejected", "ValueOutOfRange")
    if kind in THRESHOLDS and not _numeric(var):
        return _result(item, "UnsupportedMonitorType")
    if kind == "Delta" and value < 0:
        return _result(item, "Rejected", "ValuePositiveOnly")
    if kind in PERIODIC and value <= 0:
        return _result(item, "Rejected", "ValuePositiveOnly")
    if kind in PERIODIC and value < MIN_PERIOD:  # this station's limit: no event floods
        return _result(item, "Rejected", "ValueOutOfRange")
    if kind in THRESHOLDS:
        low, high = _range(var)
        if value < low or (high is not None and value > high):
            return _result(item, "Rejected", "ValueOutOfRange")
    replaced = item.get("id")
    if replaced is not None and int(replaced) not in mon.monitors:
        return _result(item, "Rejected", "UnknownMonitorId")
    for other in mon.monitors.values():
        same_place = other.comp == comp and other.var == vkey
        if same_place and other.kind == kind and other.severity == severity and other.monitor_id != replaced:
            return _result(item, "Duplicate", "InvalidValue")  # N04.FR.10
    monitor_id = int(replaced) if replaced is not None else mon.next_id
    if replaced is None:
        mon.next_id += 1
    else:
        _stop(mon.monitors[monitor_id])
    monitor = Monitor(
        monitor_id, comp, vkey, kind, value, severity, bool(item.get("transaction", False)), var.read()
    )
    mon.monitors[monitor_id] = monitor
    if kind in PERIODIC:
        monitor.task = st.spawn(_periodic(st, monitor))
    return _result(item, "Accepted", monitor_id=monitor_id)


def _stop(monitor: Monitor) -> None:
    if monitor.task is not None:
        monitor.task.cancel()
        monitor.task = None


# -- N06 ClearVariableMonitoring ---------------------------------------------------------------------
def clear_variable_monitoring(st: StationCore, req: Payload) -> Payload:
    mon = state(st)
    results = []
    for raw in req["id"]:
        monitor = mon.monitors.pop(int(raw), None)
        if monitor is not None:
            _stop(monitor)
        results.append({"id": int(raw), "status": "Accepted" if monitor is not None else "NotFound"})
    return {"clearMonitoringResult": results}


# -- N03 SetMonitoringBase / N05 SetMonitoringLevel --------------------------------------------------
def set_monitoring_base(st: StationCore, req: Payload) -> Payload:
    mon = state(st)
    base = str(req["monitoringBase"])
    if base != "All":  # FactoryDefault / HardWiredOnly: custom monitors are removed
        for monitor in mon.monitors.values():
            _stop(monitor)
        mon.monitors.clear()
    mon.base = base
    _publish(st, "ActiveMonitoringBase", base)
    return {"status": "Accepted"}


def set_monitoring_level(st: StationCore, req: Payload) -> Payload:
    severity = int(req["severity"])
    if severity > MAX_SEVERITY:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "ValueTooHigh"}}
    if severity < 0:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "ValueTooLow"}}
    state(st).level = severity
    _publish(st, "ActiveMonitoringLevel", str(severity))
    return {"status": "Accepted"}


def _publish(st: StationCore, variable: str, value: str) -> None:
    try:
        st.dm.set_internal(ComponentKey("MonitoringCtrlr"), variable, value)
    except KeyError:
        pass  # a device model without the variable: nothing to show


# -- N02 GetMonitoringReport -------------------------------------------------------------------------
def get_monitoring_report(st: StationCore, req: Payload) -> tuple[Payload, list[Payload]]:
    """The response and the `monitor` entries to report afterwards (NotifyMonitoringReport)."""
    kinds: set[str] = set()
    for criterion in req.get("monitoringCriteria") or list(CRITERIA):
        kinds.update(CRITERIA.get(str(criterion), ()))
    wanted = req.get("componentVariable") or []
    grouped: dict[tuple[ComponentKey, VariableKey], list[Monitor]] = {}
    for monitor in sorted(state(st).monitors.values(), key=lambda m: m.monitor_id):
        if monitor.kind in kinds and (not wanted or any(_matches(monitor, cv) for cv in wanted)):
            grouped.setdefault((monitor.comp, monitor.var), []).append(monitor)
    if not grouped:
        return {"status": "EmptyResultSet"}, []
    entries = [
        {
            "component": comp.to_ocpp(),
            "variable": vkey.to_ocpp(),
            "variableMonitoring": [m.to_ocpp() for m in monitors],
        }
        for (comp, vkey), monitors in grouped.items()
    ]
    return {"status": "Accepted"}, entries


def _matches(monitor: Monitor, wanted: Payload) -> bool:
    """componentVariable: the component (evse / instance when given) and, when given, the variable."""
    comp = wanted.get("component", {})
    if comp.get("name") != monitor.comp.name:
        return False
    if "instance" in comp and comp["instance"] != monitor.comp.instance:
        return False
    evse = comp.get("evse")
    if evse is not None and (
        evse.get("id") != monitor.comp.evse_id
        or ("connectorId" in evse and evse["connectorId"] != monitor.comp.connector_id)
    ):
        return False
    var = wanted.get("variable")
    if var is None:
        return True
    return bool(
        var.get("name") == monitor.var.name
        and ("instance" not in var or var["instance"] == monitor.var.instance)
    )


def send_monitoring_report(st: StationCore, request_id: int, entries: list[Payload]) -> None:
    parts = [entries[i : i + REPORT_ITEMS] for i in range(0, len(entries), REPORT_ITEMS)]
    for seq_no, part in enumerate(parts):
        st.outbox.post(
            "NotifyMonitoringReport",
            {
                "requestId": request_id,
                "seqNo": seq_no,
                "generatedAt": st.timestamp(),
                "tbc": seq_no < len(parts) - 1,
                "monitor": part,
            },
        )


# -- N07 / N08 events ---------------------------------------------------------------------------------
def _active(st: StationCore, monitor: Monitor) -> bool:
    try:
        enabled = st.dm.get_bool("MonitoringCtrlr", "Enabled")
    except KeyError:
        enabled = True
    return enabled and monitor.severity <= state(st).level  # N05: only as severe as the level or more


def value_changed(st: StationCore, comp: ComponentKey, vkey: VariableKey) -> None:
    """Called by the device model after a value was written: evaluate the variable's monitors."""
    mon = _STATES.get(st)
    if mon is None:
        return
    for monitor in list(mon.monitors.values()):
        if monitor.comp != comp or monitor.var != vkey or monitor.kind in PERIODIC:
            continue
        var = _variable(st, comp, vkey)
        if var is not None:
            _evaluate(st, monitor, var.read())


def _evaluate(st: StationCore, monitor: Monitor, current: str) -> None:
    number = _number(current)
    if monitor.kind in THRESHOLDS:
        if number is None:
            return
        crossed = number > monitor.value if monitor.kind == "UpperThreshold" else number < monitor.value
        if crossed != monitor.alerting:
            monitor.alerting = crossed
            _event(st, monitor, "Alerting", current, cleared=not crossed)
        return
    # Delta
    before = _number(monitor.reference)
    if number is not None and before is not None:
        fire = abs(number - before) >= monitor.value
    else:
        fire = current != monitor.reference
    if fire:
        monitor.reference = current
        _event(st, monitor, "Delta", current)


async def _periodic(st: StationCore, monitor: Monitor) -> None:
    while True:
        if monitor.kind == "PeriodicClockAligned":
            now = st.clock.now()
            await st.clock.sleep_until(now - now % monitor.value + monitor.value)
        else:
            await st.clock.sleep(monitor.value)
        var = _variable(st, monitor.comp, monitor.var)
        if var is not None:
            _event(st, monitor, "Periodic", var.read())


def _event(st: StationCore, monitor: Monitor, trigger: str, actual: str, *, cleared: bool = False) -> None:
    if not _active(st, monitor):
        return
    st.event_id += 1
    ts = st.timestamp()
    data: Payload = {
        "eventId": st.event_id,
        "timestamp": ts,
        "trigger": trigger,
        "actualValue": actual[:2500],
        "eventNotificationType": "CustomMonitor",
        "component": monitor.comp.to_ocpp(),
        "variable": monitor.var.to_ocpp(),
        "variableMonitoringId": monitor.monitor_id,
    }
    if cleared:
        data["cleared"] = True
    st.outbox.post("NotifyEvent", {"generatedAt": ts, "seqNo": 0, "eventData": [data]})

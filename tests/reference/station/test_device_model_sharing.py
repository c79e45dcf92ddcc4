"""The device model's copy on write (issue 9): stations share one table of defaults, never their changes."""

from __future__ import annotations

from conformance.reference.station.config import StationConfig
from conformance.reference.station.device_model import ComponentKey, DeviceModel, VariableKey


def _set(dm: DeviceModel, component: str, variable: str, value: str) -> str:
    item = {"component": {"name": component}, "variable": {"name": variable}, "attributeValue": value}
    return str(dm.set_variable(item)["attributeStatus"])


def _get(dm: DeviceModel, component: str, variable: str) -> str:
    item = {"component": {"name": component}, "variable": {"name": variable}}
    return str(dm.get_variable(item)["attributeValue"])


def test_stations_share_one_table_of_defaults_and_keep_their_differences() -> None:
    a, b = DeviceModel(StationConfig(station_id="A")), DeviceModel(StationConfig(station_id="B"))
    assert a._vars is b._vars
    assert len(b._own) < 5  # only what differs (its identity), not the ~100 variables
    c = DeviceModel(StationConfig(station_id="C", device_model={"OCPPCommCtrlr/HeartbeatInterval": "7"}))
    assert c._vars is a._vars
    assert c.get("OCPPCommCtrlr", "HeartbeatInterval") == "7"
    assert a.get("OCPPCommCtrlr", "HeartbeatInterval") != "7"
    bigger = StationConfig(station_id="E", evses=[*StationConfig().evses, *StationConfig().evses])
    assert DeviceModel(bigger)._vars is not a._vars  # another topology is another shape


def test_a_write_stays_with_its_station() -> None:
    a, b = DeviceModel(StationConfig(station_id="A")), DeviceModel(StationConfig(station_id="B"))
    before = b.get("OCPPCommCtrlr", "HeartbeatInterval")
    assert _set(a, "OCPPCommCtrlr", "HeartbeatInterval", "123") == "Accepted"
    assert _get(a, "OCPPCommCtrlr", "HeartbeatInterval") == "123"
    assert a.get("OCPPCommCtrlr", "HeartbeatInterval") == "123"
    assert b.get("OCPPCommCtrlr", "HeartbeatInterval") == before
    assert DeviceModel(StationConfig(station_id="D")).get("OCPPCommCtrlr", "HeartbeatInterval") == before
    reported = {(c.name, v.name): var.value for c, v, var in a.items()}
    assert reported[("OCPPCommCtrlr", "HeartbeatInterval")] == "123"


def test_internal_writes_and_dynamic_values_stay_with_their_station() -> None:
    a, b = DeviceModel(StationConfig(station_id="A")), DeviceModel(StationConfig(station_id="B"))
    comp = ComponentKey("OCPPCommCtrlr")
    a.set_internal(comp, "HeartbeatInterval", "42")
    var = a.variable(comp, VariableKey("MessageTimeout", "Default"))
    assert var is not None
    var.dynamic = lambda: "99"
    assert a.get("OCPPCommCtrlr", "HeartbeatInterval") == "42"
    assert a.get("OCPPCommCtrlr", "MessageTimeout", "Default") == "99"
    assert b.get("OCPPCommCtrlr", "HeartbeatInterval") != "42"
    assert b.get("OCPPCommCtrlr", "MessageTimeout", "Default") != "99"

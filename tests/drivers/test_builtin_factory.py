"""The builtin driver against tiny control objects, and which driver the factory makes."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from conformance.config import CommandDriverConfig, DriverConfig, SutDescription, load_sut_description
from conformance.drivers.base import UnavailableDriver
from conformance.drivers.builtin import BuiltinDriver
from conformance.drivers.command import CommandDriver
from conformance.drivers.factory import make_driver
from conformance.drivers.http import HttpDriver
from conformance.drivers.prompt import PromptDriver
from conformance.errors import ActionUnsupported, HarnessError


class StationControl:
    """Stands in for the reference station's control: records calls, answers per action."""

    sut_type = "charging-station"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], float]] = []

    async def aperform(self, action: str, params: dict[str, Any], timeout: float) -> Any:
        self.calls.append((action, params, timeout))
        if action == "get_state":
            return {"evses": {"1": "Available"}}
        if action == "reboot":
            return None
        if action == "unplug":
            raise ValueError("nothing is plugged in at EVSE 1")
        if action == "go_offline":
            await asyncio.sleep(30)
        if action == "ev_suspend":
            raise ActionUnsupported(action, "builtin", "mutant without EV simulation")
        return "ok"


class CsmsControl:
    async def aperform(self, action: str, params: dict[str, Any], timeout: float) -> Any:
        return {"status": "Accepted", "action": action}


def run(d: Any, action: str, params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = asyncio.run(d.perform(action, params))
    return result


def test_builtin_driver_passes_actions_to_the_control() -> None:
    control = StationControl()
    d = BuiltinDriver(control, timeout=2.0)
    assert d.side == "charging-station"
    assert d.supports("plug_in") and d.supports("get_state") and not d.supports("RequestStartTransaction")
    assert run(d, "get_state", {}) == {"evses": {"1": "Available"}}
    assert run(d, "plug_in", {"evse_id": 1}) == {"result": "ok"}
    assert run(d, "reboot", {}) == {}
    assert control.calls[1] == ("plug_in", {"evse_id": 1}, 2.0)
    with pytest.raises(
        ActionUnsupported, match="'RequestStartTransaction' is not available with the 'builtin'"
    ):
        run(d, "RequestStartTransaction", {})


def test_builtin_driver_failures_name_the_action() -> None:
    d = BuiltinDriver(StationControl(), timeout=0.2)
    with pytest.raises(
        HarnessError, match="action unplug: the built-in charging-station failed: ValueError: nothing"
    ):
        run(d, "unplug", {"evse_id": 1})
    with pytest.raises(
        HarnessError,
        match=r"action go_offline: the built-in charging-station did not finish it within 0\.2 s",
    ):
        run(d, "go_offline", {"seconds": 60})
    with pytest.raises(ActionUnsupported, match="mutant without EV simulation"):
        run(d, "ev_suspend", {"evse_id": 1})


def test_builtin_side_from_class_name_or_listed_actions() -> None:
    d = BuiltinDriver(CsmsControl())
    assert d.side == "csms" and d.supports("SetVariables") and d.supports("configure_boot_status")
    assert not d.supports("plug_in")
    assert run(d, "SetVariables", {"station_id": "CS1", "request": {}}) == {
        "status": "Accepted",
        "action": "SetVariables",
    }
    listed = CsmsControl()
    listed.supported_actions = ("Reset",)  # type: ignore[attr-defined]
    assert BuiltinDriver(listed).actions == {"Reset"}
    with pytest.raises(HarnessError, match="has no aperform"):
        BuiltinDriver(object())


def test_factory_picks_the_driver(tmp_path: Path) -> None:
    default = SutDescription()
    assert isinstance(make_driver(default, builtin_control=StationControl()), BuiltinDriver)
    unavailable = make_driver(default)
    assert isinstance(unavailable, UnavailableDriver) and not unavailable.supports("plug_in")
    with pytest.raises(ActionUnsupported, match="no built-in reference SUT is running"):
        run(unavailable, "plug_in", {})
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert isinstance(make_driver(load_sut_description(examples / "station-command.toml")), CommandDriver)
    assert isinstance(make_driver(load_sut_description(examples / "csms-http.toml")), HttpDriver)
    prompt = dataclasses.replace(default, driver=DriverConfig(type="prompt"))
    assert isinstance(make_driver(prompt, environ={"CI": "1"}), PromptDriver)
    # a built-in SUT wins over a lab driver: lab commands cannot reach it
    lab = load_sut_description(examples / "station-command.toml")
    assert isinstance(make_driver(lab, builtin_control=StationControl()), BuiltinDriver)


def test_factory_station_id_override_reaches_templates(tmp_path: Path) -> None:
    command = CommandDriverConfig(
        actions=MappingProxyType({"reboot": "printf %s {station_id}"}), cwd=tmp_path
    )
    desc = dataclasses.replace(SutDescription(), driver=DriverConfig(type="command", command=command))
    env = {"PATH": os.environ["PATH"]}
    assert run(make_driver(desc, environ=env), "reboot", {}) == {"stdout": "CP001"}
    assert run(make_driver(desc, station_id="CLI-ID", environ=env), "reboot", {}) == {"stdout": "CLI-ID"}

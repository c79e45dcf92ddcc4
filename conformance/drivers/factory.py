"""Which driver a run uses: the built-in SUT's control when one runs, else `[driver] type`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.config import SutDescription
from conformance.drivers.base import ActionDriver, UnavailableDriver
from conformance.drivers.builtin import BuiltinDriver
from conformance.drivers.command import CommandDriver
from conformance.drivers.http import HttpDriver
from conformance.drivers.prompt import PromptDriver


def make_driver(
    desc: SutDescription,
    *,
    builtin_control: Any | None = None,
    station_id: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ActionDriver:
    """The action driver for a run.

    A built-in reference SUT is always driven through its control (a lab's command or HTTP
    settings cannot reach it). `station_id` overrides the description's (e.g. --ocpp-station-id)
    as the `{station_id}` of templates; `environ` replaces os.environ (tests)."""
    if builtin_control is not None:
        return BuiltinDriver(builtin_control, timeout=desc.timeouts.default)
    station = station_id or desc.sut.station_id
    kind = desc.driver.type
    if kind == "command":
        return CommandDriver(desc.driver.command, station_id=station, environ=environ)
    if kind == "http":
        return HttpDriver(desc.driver.http, station_id=station, environ=environ)
    if kind == "prompt":
        return PromptDriver(desc.driver.prompt, station_id=station, environ=environ)
    return UnavailableDriver(
        "builtin",
        "no built-in reference SUT is running for this role; set [driver] type to command, http or"
        " prompt in the SUT description",
    )

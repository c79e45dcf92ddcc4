"""Part 6's "Configuration State" for a charging station under test, set and restored as OCTT does.

One helper for every charging-station case:
- `configured(csms, settings)`: read the old values (GetVariables), write the case's values
  (SetVariables), run the body, put back every value that differs from the old one (in a `finally`).
- `preserved(csms, settings)`: record and restore only (the body changes the variables itself, as a step).
- `read_variable(csms, setting)`: a variable's Actual value, or None when the station does not report it.

A station that cannot be put in the state (variable unknown, value Rejected) fails the case with the
variable and the status named, unless the setting is `only_if_writable` (Part 6: "If implemented AND
ReadWrite"): then the station keeps its value and the case goes on. A failing restore never masks the
case's own failure. The station is shared by the whole run, so restoring is not optional.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance.testing.checks import check
from conformance.testing.steps import step

if TYPE_CHECKING:
    from conformance.session.session import Session

# SetVariables statuses that put the value in place (RebootRequired: set, effective after a reboot).
_WRITTEN = ("Accepted", "RebootRequired")


def render(value: str | int | bool) -> str:
    """A value as OCPP's device model writes it: booleans are "true" / "false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, init=False)
class Setting:
    """One line of a Configuration State: Component[evse, connector].variable[instance] = value."""

    component: str
    variable: str
    value: str
    evse_id: int | None
    connector_id: int | None
    instance: str | None
    only_if_writable: bool

    def __init__(
        self,
        component: str,
        variable: str,
        value: str | int | bool,
        evse_id: int | None = None,
        connector_id: int | None = None,
        instance: str | None = None,
        only_if_writable: bool = False,
    ) -> None:
        for name, field_value in (
            ("component", component),
            ("variable", variable),
            ("value", render(value)),
            ("evse_id", evse_id),
            ("connector_id", connector_id),
            ("instance", instance),
            ("only_if_writable", only_if_writable),
        ):
            object.__setattr__(self, name, field_value)

    @property
    def name(self) -> str:
        """The name Part 6 uses, Component.variable (plus [instance] and the EVSE / connector if given)."""
        where = ""
        if self.evse_id is not None:
            where = f" (EVSE {self.evse_id}" + (
                f", connector {self.connector_id})" if self.connector_id is not None else ")"
            )
        return f"{self.component}.{self.variable}" + (f"[{self.instance}]" if self.instance else "") + where

    @property
    def ref(self) -> dict[str, Any]:
        """The component / variable pair of Get/SetVariables."""
        component: dict[str, Any] = {"name": self.component}
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                component["evse"]["connectorId"] = self.connector_id
        variable: dict[str, Any] = {"name": self.variable}
        if self.instance is not None:
            variable["instance"] = self.instance
        return {"component": component, "variable": variable}

    def with_value(self, value: str | int | bool) -> Setting:
        return Setting(
            self.component,
            self.variable,
            value,
            self.evse_id,
            self.connector_id,
            self.instance,
            self.only_if_writable,
        )


def setting(
    name: str,
    value: str | int | bool = "",
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    instance: str | None = None,
    only_if_writable: bool = False,
) -> Setting:
    """`setting("TxCtrlr.TxStartPoint", "PowerPathClosed")`: a Setting from Part 6's dotted name."""
    component, dot, variable = name.partition(".")
    if not dot or not component or not variable:
        raise ValueError(f"setting name {name!r} must be 'Component.variable'")
    return Setting(component, variable, value, evse_id, connector_id, instance, only_if_writable)


def same_value(a: str, b: str) -> bool:
    """Device-model values compare as OCPP reads them: "True" and "true" are the same boolean."""
    return a.strip().casefold() == b.strip().casefold()


async def _get(csms: Session, setting: Setting) -> tuple[str, str | None]:
    """(attributeStatus, attributeValue) of the variable's Actual attribute."""
    response = await csms.call_ok("GetVariables", {"getVariableData": [setting.ref]})
    results = response.get("getVariableResult", [])
    if not results:
        return "no getVariableResult", None
    status = str(results[0].get("attributeStatus", ""))
    value = results[0].get("attributeValue")
    return status, (None if status != "Accepted" else str(value if value is not None else ""))


async def _set(csms: Session, setting: Setting, value: str) -> str:
    response = await csms.call_ok(
        "SetVariables", {"setVariableData": [{**setting.ref, "attributeValue": value}]}
    )
    results = response.get("setVariableResult", [])
    return str(results[0].get("attributeStatus", "")) if results else "no setVariableResult"


async def read_variable(csms: Session, setting: Setting) -> str | None:
    """The variable's Actual value (GetVariables), or None when the station does not report it."""
    return (await _get(csms, setting))[1]


async def _record(csms: Session, settings: Iterable[Setting]) -> list[tuple[Setting, str]]:
    """The current values of the variables the station reports (the others cannot be restored)."""
    recorded: list[tuple[Setting, str]] = []
    for s in settings:
        old = await read_variable(csms, s)
        if old is not None:
            recorded.append((s, old))
    return recorded


async def _restore(csms: Session, recorded: Sequence[tuple[Setting, str]], label: str) -> None:
    """Put back every recorded value that differs now, last changed first."""
    if not recorded or not csms.connected:
        return  # nothing to do, or the station is gone (a later case finds it after its reconnect)
    with step(f"{label}: restore the configuration (" + ", ".join(s.name for s, _ in recorded) + ")"):
        for s, old in reversed(recorded):
            now = await read_variable(csms, s)
            if now is not None and same_value(now, old):
                continue
            status = await _set(csms, s, old)
            check(
                status in _WRITTEN,
                f"SetVariablesResponse attributeStatus for {s.name} = {old!r} is {status}"
                " while restoring the configuration the case changed (the old value must be writable back)",
            )


@contextlib.asynccontextmanager
async def preserved(
    csms: Session, settings: Iterable[Setting], *, label: str = "Configuration"
) -> AsyncIterator[None]:
    """Record the settings' variables (values of `settings` are ignored) and restore them afterwards."""
    with step(f"{label}: record the configuration the case changes"):
        recorded = await _record(csms, settings)
    try:
        yield
    except BaseException:  # the case failed (or was skipped): its own outcome must survive the restore
        with contextlib.suppress(Exception):
            await _restore(csms, recorded, label)
        raise
    await _restore(csms, recorded, label)


@contextlib.asynccontextmanager
async def configured(
    csms: Session, settings: Iterable[Setting], *, label: str = "Configuration State"
) -> AsyncIterator[None]:
    """Part 6's Configuration State through SetVariables as OCTT does, restored after the body."""
    wanted = list(settings)
    recorded: list[tuple[Setting, str]] = []
    try:
        with step(f"{label}: " + ", ".join(f"{s.name} = {s.value}" for s in wanted)):
            for s in wanted:
                status, old = await _get(csms, s)
                if old is None:
                    check(
                        s.only_if_writable,
                        f"GetVariablesResponse attributeStatus for {s.name} is {status}: the station"
                        f" cannot be put in the case's {label} ({s.name} = {s.value!r})",
                    )
                    continue
                recorded.append((s, old))
                if same_value(old, s.value):
                    continue
                status = await _set(csms, s, s.value)
                check(
                    status in _WRITTEN or s.only_if_writable,
                    f"SetVariablesResponse attributeStatus for {s.name} = {s.value!r} is {status}:"
                    f" the station cannot be put in the case's {label}",
                )
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await _restore(csms, recorded, label)
        raise
    await _restore(csms, recorded, label)
